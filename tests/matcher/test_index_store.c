/*
 * The persisted index through the matcher (libmatch/index_store.h): a writable
 * open writes pdq.index and the next open maps it; matches and k-nearest from
 * the mapped file equal brute force at distances 0..64 on random and
 * clustered lists; removals and disables act at once on a mapped index (and
 * after reopening it); a stale file (entries added), a foreign file (another
 * list's, same size), a truncated file and bit flips anywhere are never
 * trusted: the matcher builds in memory (or, when a query meets a damaged
 * block, rebuilds and answers again) and the answers stay exact.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hashdb.h"
#include "hdb_test.h"
#include "index_store.h"
#include "libmatch.h"
#include "matcher_internal.h"
#include "search_data.h"

#define N 6000
#define NQ 10

static lm_pdq_hash list[N + 100]; /* the list as stored (duplicates were skipped) */
static uint64_t lid[N + 100];     /* entry id of list[i] */
static int dead[2 * N + 300];     /* by entry id: removed or disabled */
static size_t nlist;
static char dbdir[800], ixpath[900];

static int is_mapped(lm_matcher *m)
{
    matcher_snapshot *s = snapshot_pin(&m->slot);
    int r = s->mapped;
    snapshot_release(s);
    return r;
}

static void import_hashes(const lm_pdq_hash *h, size_t n)
{
    lm_hashdb *db;
    char err[256];
    CHECK(lm_hashdb_open(dbdir, LM_DB_WRITE, &db, err, sizeof err) == LM_OK);
    char *text = malloc(n * 65 + 1);
    for (size_t i = 0; i < n; i++) {
        lm_pdq_to_hex(&h[i], text + 65 * i);
        text[65 * i + 64] = '\n';
    }
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    lm_db_import_result r;
    CHECK(lm_hashdb_import_memory(db, text, n * 65, &o, &r) == LM_OK);
    free(text);
    /* the brute force runs over what was stored */
    lm_db_pdq_set set;
    CHECK(lm_hashdb_load_pdq(db, &set) == LM_OK && set.count <= N + 100);
    nlist = set.count <= N + 100 ? set.count : 0;
    for (size_t i = 0; i < nlist; i++) {
        list[i] = set.hashes[i];
        lid[i] = set.ids[i];
    }
    lm_db_pdq_set_free(&set);
    lm_hashdb_close(db);
}

/* The brute-force distance of entry id (-1: not in the list). */
static int dist_of(const int *dist, uint64_t id)
{
    for (size_t i = 0; i < nlist; i++)
        if (lid[i] == id)
            return dist[i];
    return -1;
}

/* Matches at every radius and nearest-k equal brute force over the live entries. */
static void check_answers(lm_matcher *m, const lm_pdq_hash *qs, size_t nq, const char *what)
{
    static lm_match got[N + 100];
    int before = check_failures;
    lm_check_options o;
    lm_check_options_init(&o);
    for (size_t j = 0; j < nq && check_failures < before + 5; j++) {
        int dist[N + 100];
        for (size_t i = 0; i < nlist; i++)
            dist[i] = lm_pdq_distance(&qs[j], &list[i]);
        for (int r = 0; r <= 64; r += (r < 40 ? 1 : 8)) {
            o.max_distance = r;
            size_t found = 0, want = 0;
            CHECK(lm_match_pdq(m, &qs[j], -1, &o, got, N + 100, &found) == LM_OK);
            for (size_t i = 0; i < nlist; i++)
                want += dist[i] <= r && !dead[lid[i]];
            CHECK_EQ_INT(found, want);
            for (size_t i = 0; i < found && i < N + 100; i++)
                CHECK(!dead[got[i].entry_id] && got[i].distance == dist_of(dist, got[i].entry_id) &&
                      got[i].distance <= r);
        }
        /* k nearest: ordered by (distance, entry id) over the live entries */
        for (int k = 1; k <= 20; k += 19) {
            size_t found = 0;
            CHECK(lm_match_nearest(m, &qs[j], k, 256, got, &found) == LM_OK);
            CHECK_EQ_INT(found, (size_t)k);
            int last_d = -1;
            uint64_t last_id = 0;
            for (size_t i = 0; i < found; i++) {
                uint64_t id = got[i].entry_id;
                CHECK(!dead[id] && got[i].distance == dist_of(dist, id));
                CHECK(got[i].distance > last_d || (got[i].distance == last_d && id > last_id));
                last_d = got[i].distance;
                last_id = id;
            }
            /* nothing live and unreported is closer than the last one */
            size_t closer = 0;
            for (size_t i = 0; i < nlist; i++)
                closer +=
                    !dead[lid[i]] && (dist[i] < last_d || (dist[i] == last_d && lid[i] <= last_id));
            CHECK_EQ_INT(closer, found);
        }
    }
    if (check_failures != before)
        fprintf(stderr, "  in %s\n", what);
}

static lm_matcher *open_matcher(unsigned flags)
{
    lm_matcher *m = NULL;
    char err[256];
    CHECK(lm_matcher_open_with(dbdir, flags, &m, err, sizeof err) == LM_OK);
    return m;
}

static void flip(const char *p, long off)
{
    int fd = open(p, O_RDWR);
    uint8_t b = 0;
    CHECK(fd >= 0 && pread(fd, &b, 1, off) == 1);
    b ^= 0x04;
    CHECK(pwrite(fd, &b, 1, off) == 1);
    close(fd);
}

static void run(const char *kind, uint64_t *st)
{
    char *tmp = scratch_dir("ixstore");
    CHECK(tmp != NULL);
    snprintf(dbdir, sizeof dbdir, "%s/db", tmp);
    snprintf(ixpath, sizeof ixpath, "%s/%s", dbdir, LM_INDEX_STORE_FILE);
    char err[256];
    CHECK(lm_hashdb_init(dbdir, err, sizeof err) == LM_OK);
    memset(dead, 0, sizeof dead);
    if (strcmp(kind, "random") == 0)
        data_random(st, list, N);
    else
        data_clustered(st, list, N, 40, 10);
    import_hashes(list, N);
    lm_pdq_hash qs[NQ];
    data_queries(st, list, nlist, qs, NQ, 40);

    /* no file yet: built in memory, written by a writable open */
    CHECK(access(ixpath, F_OK) != 0);
    lm_matcher *m = open_matcher(LM_MATCHER_WRITABLE);
    CHECK(m && !is_mapped(m) && access(ixpath, F_OK) == 0);
    check_answers(m, qs, NQ, "in memory");
    lm_matcher_close(m);
    m = open_matcher(LM_MATCHER_WRITABLE); /* fresh: mapped, and the list writable */
    CHECK(m && is_mapped(m));
    check_answers(m, qs, NQ, "mapped");

    /* removals and disables act at once on the mapped index... */
    lm_hashdb *db = m->db;
    for (size_t j = 0; j < NQ; j += 2) {
        lm_match got[4];
        size_t f = 0;
        CHECK(lm_match_nearest(m, &qs[j], 1, 256, got, &f) == LM_OK && f == 1);
        if (f != 1)
            continue;
        uint64_t id = got[0].entry_id;
        if (j % 4 == 0)
            CHECK(lm_hashdb_remove(db, id) == LM_OK);
        else
            CHECK(lm_hashdb_set_disabled(db, &id, 1, 1, NULL) == LM_OK);
        dead[id] = 1;
    }
    check_answers(m, qs, NQ, "after removals");
    lm_matcher_close(m);
    /* ...and the file stays fresh (no entry added) */
    m = open_matcher(0);
    CHECK(m && is_mapped(m));
    check_answers(m, qs, NQ, "reopened after removals");
    lm_matcher_close(m);

    /* stale: entries added since the file was written */
    lm_pdq_hash more[100];
    for (size_t i = 0; i < 100; i++) {
        more[i] = qs[i % NQ];
        data_flip_bits(st, &more[i], 1 + (int)(i % 7));
    }
    import_hashes(more, 100);
    m = open_matcher(0); /* read-only: builds in memory, cannot write */
    CHECK(m && !is_mapped(m));
    check_answers(m, qs, NQ, "stale file");
    lm_matcher_close(m);
    m = open_matcher(LM_MATCHER_WRITABLE); /* rewrites it */
    lm_matcher_close(m);
    m = open_matcher(0);
    CHECK(m && is_mapped(m));
    check_answers(m, qs, NQ, "rewritten");
    lm_matcher_close(m);

    /* lm_list_index_update (what 'pmatch db import' calls) leaves a fresh file */
    CHECK(unlink(ixpath) == 0);
    CHECK(lm_hashdb_open(dbdir, LM_DB_WRITE, &db, err, sizeof err) == LM_OK);
    CHECK(lm_list_index_update(db, 1) == LM_OK);
    lm_hashdb_close(db);
    m = open_matcher(0);
    CHECK(m && is_mapped(m));
    lm_matcher_close(m);

    /* damage: truncated, header, and bit flips in the body found lazily */
    char saved[1000];
    snprintf(saved, sizeof saved, "%s.good", ixpath);
    hdb_copy_file(ixpath, saved);
    long size = scratch_file_size(ixpath);
    CHECK(truncate(ixpath, size / 2) == 0);
    m = open_matcher(0);
    CHECK(m && !is_mapped(m));
    check_answers(m, qs, 4, "truncated file");
    lm_matcher_close(m);
    for (int t = 0; t < 6; t++) {
        hdb_copy_file(saved, ixpath);
        /* header, then the hashes of the entries the queries are near (found lazily),
         * then anywhere */
        long off = t == 0  ? 40
                   : t < 4 ? 4096 + (long)(32 * (qs[2 * t % NQ].b[0] % nlist))
                           : 4096 + (long)(check_rand(st) % (uint64_t)(size - 4096));
        flip(ixpath, off);
        m = open_matcher(0);
        CHECK(m != NULL);
        check_answers(m, qs, NQ, "bit flip");
        lm_matcher_close(m);
    }
    /* a query that meets the damage rebuilds: flip the hash block of a query's nearest entry */
    hdb_copy_file(saved, ixpath);
    {
        m = open_matcher(0);
        lm_match got[2];
        size_t f = 0;
        CHECK(lm_match_nearest(m, &qs[0], 1, 256, got, &f) == LM_OK && f == 1);
        lm_matcher_close(m);
        long at = 0; /* the entry's position: its place in id order */
        for (size_t i = 0; i < nlist; i++)
            if (lid[i] == got[0].entry_id)
                at = (long)i;
        flip(ixpath, 4096 + 32 * at + 5);
        m = open_matcher(0); /* refused at open (the features index checks the hashes) or
                                mapped, then met by the query and rebuilt */
        CHECK(m != NULL);
        check_answers(m, qs, 1, "damaged block met by a query");
        CHECK(!is_mapped(m)); /* in memory either way */
        lm_matcher_close(m);
    }
    /* A list without local features is not read whole at open: a damaged hash block that
     * no sampled position lies in leaves the file mapped (it is met lazily, by a query,
     * and then rebuilt) instead of costing a full check of the file at every open. */
    hdb_copy_file(saved, ixpath);
    {
        const size_t per = 4096 / 32; /* hashes per block */
        size_t blk = SIZE_MAX;
        for (size_t b = 0; b * per < nlist && blk == SIZE_MAX; b++) {
            int sampled = 0;
            for (size_t k = 0; k < 16; k++) {
                size_t pos = (nlist - 1) * k / 15;
                sampled |= pos >= b * per && pos < (b + 1) * per;
            }
            if (!sampled)
                blk = b;
        }
        CHECK(blk != SIZE_MAX);
        flip(ixpath, 4096 + (long)(blk * 4096 + 7));
        m = open_matcher(0);
        CHECK(m && is_mapped(m));
        check_answers(m, qs, NQ, "damage left for the queries");
        lm_matcher_close(m);
    }
    /* a foreign file: another list of the same size and ids */
    hdb_copy_file(saved, ixpath);
    char *tmp2 = scratch_dir("ixstore2");
    char other[700], otherix[1000];
    snprintf(other, sizeof other, "%s/db", tmp2);
    snprintf(otherix, sizeof otherix, "%s/%s", other, LM_INDEX_STORE_FILE);
    {
        uint64_t gen = 0, next = 0; /* the other list gets as many entries: equal next ids */
        CHECK(lm_hashdb_open(dbdir, LM_DB_READONLY, &db, err, sizeof err) == LM_OK);
        CHECK(lm_hashdb_index_stamp(db, &gen, &next) == LM_OK && next >= 2 && next <= N + 101);
        lm_hashdb_close(db);
        char keep[800];
        snprintf(keep, sizeof keep, "%s", dbdir);
        snprintf(dbdir, sizeof dbdir, "%s", other);
        CHECK(lm_hashdb_init(dbdir, err, sizeof err) == LM_OK);
        lm_pdq_hash *alt = malloc((N + 100) * sizeof *alt);
        data_random(st, alt, N + 100);
        import_hashes(alt, (size_t)(next - 1));
        free(alt);
        snprintf(dbdir, sizeof dbdir, "%s", keep);
    }
    hdb_copy_file(ixpath, otherix);
    snprintf(dbdir, sizeof dbdir, "%s", other);
    m = open_matcher(0);
    CHECK(m && !is_mapped(m));
    lm_matcher_close(m);
    scratch_remove(tmp2);
    free(tmp2);
    scratch_remove(tmp);
    free(tmp);
}

int main(void)
{
    uint64_t st = check_test_seed(0x5107E1D);
    run("random", &st);
    run("clustered", &st);
    return check_report("test_index_store");
}
