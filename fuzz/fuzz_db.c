/*
 * libFuzzer harness: a mutated data.mdb, written as data.mdb of a scratch directory (once per
 * process under /tmp). An open without LM_DB_CHECK checks only the meta pages, the table
 * directory and the meta table; everything after it must be safe on any file it accepts
 * (issues 16, 19):
 *  1. checked reads, before anything checks the whole file: every point and range read of the
 *     list calls (entries, lists and their entries, the hash index, companions, features,
 *     videos, disabled entries, attributes, hit reports) and the bulk loads;
 *  2. then the calls that check a whole snapshot first (verify, stats);
 *  3. matchers on the file, read-only and writable (pmatch match/scan): queries of the stored
 *     hashes, then the hit flush and a few writes, which check every page before the first
 *     write and refuse to write a damaged file.
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

#define NPROBE 4

/* 1. The checked reads, on ids 1..8 and the lists the file names. */
static void checked_reads(lm_hashdb *db, lm_pdq_hash *probe, size_t *nprobe)
{
    uint64_t gen;
    (void)lm_hashdb_generation(db, &gen);
    lm_db_list_info li[8];
    size_t nl = 0;
    if (lm_hashdb_lists(db, li, 8, &nl) != LM_OK)
        nl = 0;
    lm_entry_info page[4];
    size_t n;
    uint64_t next;
    for (size_t i = 0; i <= nl && i < 8; i++) /* every list's entries, and all entries */
        (void)lm_hashdb_list_entries(db, i < nl ? li[i].name : NULL, 0, page, 4, &n, &next);
    for (uint64_t id = 1; id <= 8; id++) {
        lm_entry_info info;
        (void)lm_hashdb_get_entry(db, id, &info);
        lm_db_companion one[4];
        (void)lm_hashdb_entry_companions(db, id, one, 4, &n);
        uint8_t feat[64];
        (void)lm_hashdb_entry_features(db, id, feat, sizeof feat, &n);
        lm_db_frame *frames = NULL;
        if (lm_hashdb_get_video(db, id, &frames, &n) == LM_OK)
            free(frames);
        int dis;
        (void)lm_hashdb_is_disabled(db, id, &dis);
        lm_db_list_attrs a;
        (void)lm_hashdb_get_list_attrs(db, (uint32_t)id, &a);
    }
    uint64_t ids[8] = {1, 2, 3, 4, 5, 6, 7, 8}, found[4];
    lm_db_entry_state states[8];
    (void)lm_hashdb_entry_states(db, ids, 8, states);
    static const uint8_t zero[32];
    (void)lm_hashdb_lookup(db, LM_HASH_SHA256, zero, 32, found, 4, &n);
    lm_db_list_attrs *attrs = NULL;
    if (lm_hashdb_all_list_attrs(db, &attrs, &n, NULL) == LM_OK)
        free(attrs);
    lm_db_hit_row *rows = NULL;
    if (lm_hashdb_hit_report(db, NULL, &rows, &n) == LM_OK)
        free(rows);
    lm_db_pdq_set set;
    if (lm_hashdb_load_pdq(db, &set) == LM_OK) {
        for (size_t i = 0; i < set.count && *nprobe < NPROBE; i++) {
            probe[*nprobe] = set.hashes[i];
            (void)lm_hashdb_lookup(db, LM_HASH_PDQ, probe[(*nprobe)++].b, 32, found, 4, &n);
        }
        uint8_t *regions = NULL;
        if (lm_hashdb_append_companions(db, &set, &regions) == LM_OK)
            free(regions);
        lm_db_pdq_set_free(&set);
    }
    lm_db_video_set vs;
    if (lm_hashdb_load_videos(db, 0, &vs) == LM_OK)
        lm_db_video_set_free(&vs);
    lm_db_feature_set fs;
    if (lm_hashdb_load_features(db, &fs) == LM_OK)
        lm_db_feature_set_free(&fs);
    (void)lm_hashdb_feature_count(db, &n);
}

/* 3. A matcher's queries and its hit flush (the first write of a writable one). */
static void match(unsigned flags, const lm_pdq_hash *probe, size_t nprobe)
{
    lm_matcher *m = NULL;
    if (lm_matcher_open_with(fuzz_db_dir, flags, &m, NULL, 0) != LM_OK)
        return;
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
    (void)lm_matcher_flush_hits(m, &found);
    lm_matcher_close(m);
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
    snprintf(path, sizeof path, "%s/pdq.index", fuzz_db_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/data.mdb", fuzz_db_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
    lm_pdq_hash probe[NPROBE];
    size_t nprobe = 0;
    lm_hashdb *db = NULL;
    if (lm_hashdb_open(fuzz_db_dir, LM_DB_READONLY, &db, NULL, 0) != LM_OK)
        return 0;
    checked_reads(db, probe, &nprobe);
    /* 2. Whole-list reads: they check every page of their snapshot first. */
    unsigned problems = 0;
    uint64_t n = 0;
    (void)lm_hashdb_verify(db, count_problem, &problems, &n);
    lm_db_stats st;
    if (lm_hashdb_stats(db, &st) == LM_OK)
        lm_db_stats_free(&st);
    lm_hashdb_close(db);
    match(0, probe, nprobe);
    match(LM_MATCHER_WRITABLE, probe, nprobe);
    /* Writes through a writable handle: refused on a damaged file, else applied. */
    if (lm_hashdb_open(fuzz_db_dir, LM_DB_WRITE, &db, NULL, 0) == LM_OK) {
        uint64_t one = 1;
        (void)lm_hashdb_set_disabled(db, &one, 1, 1, NULL);
        static const uint8_t h[32] = {0x77, 0x01};
        lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = h, .quality = 50, .list = "fuzz"};
        (void)lm_hashdb_add(db, &e, NULL);
        (void)lm_hashdb_remove(db, 2);
        lm_hashdb_close(db);
    }
    return 0;
}
