/*
 * libFuzzer harness: the LMDB record decoders over a mutated data.mdb. The
 * input is written as data.mdb of a scratch directory (once per process under
 * /tmp), then opened (page pre-check), bulk-loaded (lm_hashdb_load_pdq: the
 * bounds-checked page walker), verified (lm_hashdb_verify), and read by the
 * list-management calls (stats, list attributes, the hit report), and opened
 * as a matcher that matches the stored hashes (lm_match_pdq, lm_match_digest:
 * the entry, list and rule lookups through LMDB's own cursors, where a damaged
 * list crashed pmatch match/scan, issue 19 item 6). Every open checks every
 * page, so these calls run on any file the open accepts.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "hashdb.h"
#include "libmatch.h"

static char fuzz_db_dir[] = "/tmp/lm-fuzz-db-XXXXXX";
static int made;

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_db_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_db_dir);
}

static void count_problem(void *ctx, const char *what)
{
    (void)what;
    (*(unsigned *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!made) {
        if (!mkdtemp(fuzz_db_dir))
            abort();
        atexit(cleanup);
        made = 1;
    }
    if (size > (1u << 20))
        return 0;
    char path[160];
    snprintf(path, sizeof path, "%s/lock.mdb", fuzz_db_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/data.mdb", fuzz_db_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
    lm_hashdb *db = NULL;
    if (lm_hashdb_open(fuzz_db_dir, LM_DB_READONLY, &db, NULL, 0) == LM_OK) {
        lm_db_pdq_set set;
        lm_pdq_hash probe[4];
        size_t nprobe = 0;
        if (lm_hashdb_load_pdq(db, &set) == LM_OK) {
            for (size_t i = 0; i < set.count && nprobe < 4; i++)
                probe[nprobe++] = set.hashes[i];
            lm_db_pdq_set_free(&set);
        }
        uint8_t *regions = NULL;
        lm_db_pdq_set all = {0};
        if (lm_hashdb_append_companions(db, &all, &regions) == LM_OK)
            free(regions);
        lm_db_pdq_set_free(&all);
        unsigned problems = 0;
        uint64_t n = 0;
        (void)lm_hashdb_verify(db, count_problem, &problems, &n);
        /* The list-management decoders: attributes, disabled entries, hit records. They
         * read through LMDB cursors, which trust pages: safe because every open has checked
         * every page (whatever verify thinks of the records). */
        lm_db_stats st;
        if (lm_hashdb_stats(db, &st) == LM_OK)
            lm_db_stats_free(&st);
        lm_db_list_attrs *attrs = NULL;
        size_t na = 0;
        if (lm_hashdb_all_list_attrs(db, &attrs, &na, NULL) == LM_OK)
            free(attrs);
        lm_db_hit_row *rows = NULL;
        size_t nr = 0;
        if (lm_hashdb_hit_report(db, NULL, &rows, &nr) == LM_OK)
            free(rows);
        lm_db_companion one[4];
        size_t n_one = 0;
        (void)lm_hashdb_entry_companions(db, 3, one, 4, &n_one);
        lm_hashdb_close(db);
        /* The matching path (pmatch match/scan): entries, lists, rules, disabled flags. */
        lm_matcher *m = NULL;
        if (lm_matcher_open(fuzz_db_dir, &m, NULL, 0) == LM_OK) {
            lm_match mt[8];
            size_t found = 0;
            for (size_t i = 0; i < nprobe; i++)
                (void)lm_match_pdq(m, &probe[i], -1, NULL, mt, 8, &found);
            static const uint8_t zero[32];
            (void)lm_match_digest(m, LM_HASH_SHA256, zero, 32, mt, 8, &found);
            (void)lm_match_digest(m, LM_HASH_MD5, zero, 16, mt, 8, &found);
            for (uint64_t id = 1; id <= 3; id++) {
                lm_entry_info info;
                (void)lm_matcher_entry(m, id, &info);
            }
            lm_matcher_close(m);
        }
    }
    return 0;
}
