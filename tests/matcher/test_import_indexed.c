/*
 * An import with its index built beside the write transaction (lm_db_import_indexed,
 * libmatch/import_indexed.c; the hand-over lm_db_import_hooked, hashdb/import_handoff.c):
 *  - the hand-over of a new list holds exactly the PDQ set the list has after the commit
 *    (duplicates left out, ids counting the other types' entries too) and the next entry id
 *    the commit leaves; it is not made when the list held PDQ entries, nor for a failed import;
 *  - the pdq.index it writes is byte for byte the one lm_db_build_index writes from the list,
 *    for a new list (built beside) and for a second import (built after, from the list);
 *  - a failed import writes no index and leaves no temporary file;
 *  - lm_index_build_file_begin/end give lm_index_build_file's bytes, or nothing when not kept.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hashdb.h"
#include "hdb_test.h"
#include "index_file.h"
#include "libmatch.h"

static char dir[400];

typedef struct handed {
    int calls;
    lm_pdq_hash *hashes;
    uint64_t *ids;
    size_t n;
    uint64_t next;
} handed;

static void keep_handed(void *ctx, lm_pdq_hash *hashes, uint64_t *ids, size_t n, uint64_t next)
{
    handed *h = ctx;
    h->calls++;
    free(h->hashes);
    free(h->ids);
    h->hashes = hashes;
    h->ids = ids;
    h->n = n;
    h->next = next;
}

static lm_status import_text(lm_hashdb *db, const char *text, lm_db_import_hook hook, void *ctx)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    CHECK(f != NULL);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    lm_db_import_result r = {.struct_size = sizeof r};
    lm_status st = lm_db_import_hooked(db, NULL, f, &o, &r, hook, ctx);
    fclose(f);
    return st;
}

/* The hand-over equals the list's PDQ set and next id after the commit. */
static void check_handed_is_list(lm_hashdb *db, const handed *h, size_t want_n)
{
    lm_db_pdq_set set;
    CHECK_EQ_INT(lm_hashdb_load_pdq(db, &set), LM_OK);
    CHECK_EQ_INT(h->n, want_n);
    CHECK_EQ_INT(set.count, h->n);
    for (size_t i = 0; i < set.count && i < h->n; i++)
        CHECK(memcmp(set.hashes[i].b, h->hashes[i].b, 32) == 0 && set.ids[i] == h->ids[i]);
    uint64_t gen, next;
    CHECK_EQ_INT(lm_hashdb_index_stamp(db, &gen, &next), LM_OK);
    CHECK_EQ_INT(next, h->next);
    lm_db_pdq_set_free(&set);
}

static void test_handoff(uint64_t *seed)
{
    lm_hashdb *db = hdb_create(dir, "handoff");
    /* PDQ lines with duplicates, MD5 lines between them (their entries take ids too) */
    size_t cap = 200 * 80, off = 0, npdq = 0;
    char *text = malloc(cap);
    char first[65] = "";
    for (int i = 0; i < 200; i++) {
        if (i % 7 == 3) {
            off += (size_t)snprintf(text + off, cap - off, "%016llx%016llx\n",
                                    (unsigned long long)check_rand(seed),
                                    (unsigned long long)check_rand(seed));
        } else if (i % 11 == 5 && first[0]) {
            off += (size_t)snprintf(text + off, cap - off, "%s\n", first); /* a duplicate */
        } else {
            lm_pdq_hash h = hdb_random_pdq(seed);
            char hex[LM_PDQ_HEX_CHARS + 1];
            lm_pdq_to_hex(&h, hex);
            if (!first[0])
                memcpy(first, hex, sizeof first);
            off += (size_t)snprintf(text + off, cap - off, "%s\n", hex);
            npdq++;
        }
    }
    handed h = {0};
    CHECK_EQ_INT(import_text(db, text, keep_handed, &h), LM_OK);
    CHECK_EQ_INT(h.calls, 1);
    check_handed_is_list(db, &h, npdq);
    int gaps = 0; /* the MD5 entries between PDQ ones */
    for (size_t i = 1; i < h.n; i++)
        gaps += h.ids[i] > h.ids[i - 1] + 1;
    CHECK(gaps > 10);
    /* a second import: the list holds PDQ entries, so no hand-over */
    char *more = hdb_random_hex(seed, 50);
    CHECK_EQ_INT(import_text(db, more, keep_handed, &h), LM_OK);
    CHECK_EQ_INT(h.calls, 1);
    lm_hashdb_close(db);

    /* a list of MD5 entries only: its pdq set is empty, so the hand-over is made */
    db = hdb_create(dir, "handoff-md5");
    CHECK_EQ_INT(import_text(db, "0123456789abcdef0123456789abcdef\n", NULL, NULL), LM_OK);
    handed h2 = {0};
    CHECK_EQ_INT(import_text(db, more, keep_handed, &h2), LM_OK);
    CHECK_EQ_INT(h2.calls, 1);
    check_handed_is_list(db, &h2, 50);
    lm_hashdb_close(db);

    /* a bad line: nothing written, no hand-over */
    db = hdb_create(dir, "handoff-bad");
    handed h3 = {0};
    char *bad = hdb_random_hex(seed, 20);
    bad[65 * 10 + 3] = 'x';
    CHECK_EQ_INT(import_text(db, bad, keep_handed, &h3), LM_E_IMPORT);
    CHECK_EQ_INT(h3.calls, 0);
    lm_hashdb_close(db);
    free(bad);
    free(more);
    free(text);
    free(h.hashes);
    free(h.ids);
    free(h2.hashes);
    free(h2.ids);
}

/* Number of directory entries of path's directory whose name starts with "pdq.index.tmp". */
static int tmp_files(const char *dbpath)
{
    DIR *d = opendir(dbpath);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += strncmp(e->d_name, "pdq.index.tmp", 13) == 0;
    if (d)
        closedir(d);
    return n;
}

/* Import text with lm_db_import_indexed; then pdq.index must equal what lm_db_build_index
 * writes from the list. */
static void import_and_compare(const char *dbpath, const char *text, const char *what)
{
    lm_db *db;
    CHECK_EQ_INT(lm_db_open(dbpath, LM_DB_CREATE, &db), LM_OK);
    char hexfile[700];
    snprintf(hexfile, sizeof hexfile, "%s.hex", dbpath);
    hdb_write_file(hexfile, (const uint8_t *)text, (long)strlen(text));
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    lm_db_import_result r = {.struct_size = sizeof r};
    lm_status ist = LM_E_DB;
    CHECK_EQ_INT(lm_db_import_indexed(db, hexfile, NULL, &o, &r, 2, &ist), LM_OK);
    CHECK_EQ_INT(ist, LM_OK);
    char ix[700];
    snprintf(ix, sizeof ix, "%s/pdq.index", dbpath);
    long alen = 0, blen = 0;
    uint8_t *a = hdb_read_file(ix, &alen);
    CHECK(a != NULL);
    CHECK(unlink(ix) == 0);
    CHECK_EQ_INT(lm_db_build_index(db, 1), LM_OK);
    uint8_t *b = hdb_read_file(ix, &blen);
    CHECK(b != NULL);
    if (!(a && b && alen == blen && memcmp(a, b, (size_t)alen) == 0))
        fprintf(stderr, "%s: pdq.index differs from lm_db_build_index's (%ld / %ld bytes)\n", what,
                alen, blen);
    CHECK(a && b && alen == blen && memcmp(a, b, (size_t)alen) == 0);
    CHECK_EQ_INT(tmp_files(dbpath), 0);
    free(a);
    free(b);
    lm_db_close(db);
}

static void test_indexed(uint64_t *seed)
{
    char path[700];
    snprintf(path, sizeof path, "%s/indexed", dir);
    char *t1 = hdb_random_hex(seed, 3000), *t2 = hdb_random_hex(seed, 500);
    import_and_compare(path, t1, "new list");      /* built beside the write transaction */
    import_and_compare(path, t2, "second import"); /* built from the list after it */

    /* a failed import writes no index and leaves no temporary file */
    snprintf(path, sizeof path, "%s/indexed-bad", dir);
    lm_db *db;
    CHECK_EQ_INT(lm_db_open(path, LM_DB_CREATE, &db), LM_OK);
    t1[65 * 100] = 'z';
    FILE *f = fmemopen(t1, strlen(t1), "r");
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    lm_status ist = LM_E_DB;
    CHECK_EQ_INT(lm_db_import_indexed(db, NULL, f, &o, NULL, 0, &ist), LM_E_IMPORT);
    CHECK_EQ_INT(ist, LM_OK);
    fclose(f);
    char ix[800];
    snprintf(ix, sizeof ix, "%s/pdq.index", path);
    CHECK(access(ix, F_OK) != 0);
    CHECK_EQ_INT(tmp_files(path), 0);
    lm_db_close(db);
    free(t1);
    free(t2);
}

static void test_build_steps(uint64_t *seed)
{
    enum { N = 4000 };
    lm_pdq_hash *h = malloc(N * sizeof *h);
    uint64_t *ids = malloc(N * sizeof *ids);
    for (size_t i = 0; i < N; i++) {
        h[i] = hdb_random_pdq(seed);
        ids[i] = 3 * i + 1;
    }
    uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS] = {1, 2, 3, N};
    lm_index_payload pl[2] = {{ids, N * sizeof *ids}, {NULL, 0}};
    char one[700], two[700], three[700];
    snprintf(one, sizeof one, "%s/one.index", dir);
    snprintf(two, sizeof two, "%s/two.index", dir);
    snprintf(three, sizeof three, "%s/three.index", dir);
    CHECK_EQ_INT(lm_index_build_file(h, N, 2, one, stamp, pl, 2), LM_OK);
    lm_index_file_build *b = NULL;
    CHECK_EQ_INT(lm_index_build_file_begin(h, N, 2, two, pl, 2, &b), LM_OK);
    CHECK(b != NULL && access(two, F_OK) != 0); /* not in place before the end */
    CHECK_EQ_INT(lm_index_build_file_end(b, stamp, 1), LM_OK);
    long alen = 0, blen = 0;
    uint8_t *a = hdb_read_file(one, &alen), *c = hdb_read_file(two, &blen);
    CHECK(a && c && alen == blen && memcmp(a, c, (size_t)alen) == 0);
    /* not kept: nothing at the path, no temporary file */
    CHECK_EQ_INT(lm_index_build_file_begin(h, N, 1, three, pl, 2, &b), LM_OK);
    CHECK_EQ_INT(lm_index_build_file_end(b, NULL, 0), LM_OK);
    CHECK(access(three, F_OK) != 0);
    DIR *d = opendir(dir);
    int tmps = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        tmps += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    CHECK_EQ_INT(tmps, 0);
    free(a);
    free(c);
    free(h);
    free(ids);
}

int main(void)
{
    uint64_t seed = check_test_seed(20261204);
    char *d = scratch_dir("import-indexed");
    snprintf(dir, sizeof dir, "%s", d);
    test_handoff(&seed);
    test_indexed(&seed);
    test_build_steps(&seed);
    scratch_remove(d);
    free(d);
    return check_report("import-indexed");
}
