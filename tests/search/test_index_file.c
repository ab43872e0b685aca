/*
 * The persisted index (index_file.h): a written and mapped index answers
 * exactly as the brute-force oracle at every radius 0..64 and for k-NN, on
 * random and clustered lists; its stamp and payloads come back; a truncated,
 * bit-flipped, foreign or zero-length file is refused at open or, for a block
 * checked lazily, makes the query fail with LM_E_DB - never a wrong answer. The index built
 * straight into a file (lm_index_build_file) is byte for byte the one built in memory.
 * Usage: test_index_file [list sizes...] (default 0 1 1000 30000).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "index.h"
#include "index_file.h"
#include "scratch.h"
#include "search_data.h"

static char dir[] = "/tmp/lm-ixf-XXXXXX";
static char path[64];

/* Writes list's index with a stamp and an id payload. */
static void write_index(const lm_pdq_hash *list, size_t n, const uint64_t *ids)
{
    lm_index *ix = NULL;
    CHECK(lm_index_build(list, n, 2, &ix) == LM_OK);
    uint64_t stamp[4] = {7, n, 0xABCDEF, 42};
    lm_index_payload pl = {ids, n * sizeof *ids};
    CHECK(lm_index_write(ix, path, stamp, &pl, 1) == LM_OK);
    lm_index_free(ix);
}

/* Every radius 0..64 and k in {1, 10, 100}, or LM_E_DB everywhere once damaged
 * (damage_ok). Returns the number of LM_E_DB answers. */
static size_t check_queries(const lm_index *ix, const lm_pdq_hash *list, size_t n,
                            const lm_pdq_hash *qs, size_t nq, int damage_ok, const char *what)
{
    lm_search_hit *all = malloc((n + 1) * sizeof *all), *got = malloc((n + 1) * sizeof *got);
    size_t errors = 0;
    CHECK(all && got);
    for (size_t j = 0; all && got && j < nq; j++) {
        size_t m = 0, found = 0;
        int bad = check_failures;
        CHECK(lm_brute_knn(list, n, &qs[j], (int)(n + 1), all, &m) == LM_OK);
        for (int r = 0; r <= 64; r++) {
            size_t want = data_count_within(all, m, r);
            for (int s = LM_SEARCH_AUTO; s <= LM_SEARCH_SCAN; s += (r % 8 == 0) ? 1 : 2) {
                lm_status st =
                    lm_index_range_with(ix, &qs[j], r, (lm_search_strategy)s, got, n + 1, &found);
                if (st == LM_E_DB && damage_ok) {
                    errors++;
                    continue;
                }
                CHECK(st == LM_OK);
                CHECK_EQ_INT(found, want);
                CHECK(found == want && data_same_hits(got, all, want));
            }
        }
        static const int ks[] = {1, 10, 100};
        for (size_t ki = 0; ki < 3; ki++) {
            size_t want = (size_t)ks[ki] < n ? (size_t)ks[ki] : n;
            lm_status st = lm_index_knn(ix, &qs[j], ks[ki], got, &found);
            if (st == LM_E_DB && damage_ok) {
                errors++;
                continue;
            }
            CHECK(st == LM_OK);
            CHECK(found == want && data_same_hits(got, all, want));
            /* within a radius: the prefix of the full answer */
            st = lm_index_knn_within(ix, &qs[j], ks[ki], 40, got, &found);
            if (st == LM_E_DB && damage_ok) {
                errors++;
                continue;
            }
            size_t w40 = data_count_within(all, m, 40);
            CHECK(st == LM_OK && found == (want < w40 ? want : w40) && data_same_hits(got, all, found));
        }
        if (check_failures != bad)
            fprintf(stderr, "  in %s, n=%zu, query %zu\n", what, n, j);
    }
    free(all);
    free(got);
    return errors;
}

static void check_list(const lm_pdq_hash *list, size_t n, const char *what, uint64_t *st)
{
    uint64_t *ids = malloc((n + 1) * sizeof *ids);
    const size_t nq = 12;
    lm_pdq_hash qs[12];
    CHECK(ids != NULL);
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++)
        ids[i] = 1000 + 3 * i;
    data_queries(st, list, n, qs, nq, 48);
    write_index(list, n, ids);
    lm_index *ix = NULL;
    uint64_t stamp[4];
    lm_index_payload pl;
    char why[128];
    CHECK(lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why) == LM_OK);
    if (!ix) {
        free(ids);
        return;
    }
    CHECK(lm_index_is_mapped(ix) && lm_index_count(ix) == n);
    CHECK(stamp[0] == 7 && stamp[1] == n && stamp[2] == 0xABCDEF && stamp[3] == 42);
    CHECK(pl.bytes == n * sizeof *ids);
    CHECK(lm_index_check(ix, pl.data, pl.bytes) == 0);
    CHECK(n == 0 || memcmp(pl.data, ids, pl.bytes) == 0);
    check_queries(ix, list, n, qs, nq, 0, what);
    CHECK(lm_index_verify_all(ix) == LM_OK && !lm_index_damaged(ix));
    lm_index_free(ix);
    free(ids);
}

/* 1 when the files at a and b hold the same bytes. */
static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* The index built straight into the file (lm_index_build_file, one group of tables at a
 * time) is byte for byte the one built in memory and written, with 1 and 3 threads, with
 * short keys (n < 65536) and 16-bit ones (radix build), with and without payloads. */
static void check_build_file(uint64_t *st)
{
    static const size_t sizes[] = {0, 1, 1000, 30000, 70000};
    char direct[80];
    snprintf(direct, sizeof direct, "%s.direct", path);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        lm_pdq_hash *list = malloc((n + 1) * sizeof *list);
        uint64_t *ids = malloc((n + 1) * sizeof *ids);
        uint8_t *regions = malloc(n + 1);
        CHECK(list && ids && regions);
        if (!list || !ids || !regions)
            break;
        data_clustered(st, list, n, 64, 8);
        for (size_t i = 0; i < n; i++) {
            ids[i] = check_rand(st);
            regions[i] = (uint8_t)(i % 5);
        }
        lm_index *ix = NULL;
        CHECK(lm_index_build(list, n, 2, &ix) == LM_OK);
        uint64_t stamp[4] = {1, 2, 3, n};
        lm_index_payload pl[2] = {{ids, n * sizeof *ids}, {regions, n}};
        for (size_t np = 0; np <= 2; np += 2) {
            CHECK(lm_index_write(ix, path, stamp, pl, np) == LM_OK);
            for (int threads = 1; threads <= 3; threads += 2) {
                CHECK(lm_index_build_file(list, n, threads, direct, stamp, pl, np) == LM_OK);
                CHECK(same_bytes(path, direct));
            }
        }
        lm_index_free(ix);
        free(list);
        free(ids);
        free(regions);
    }
    CHECK(lm_index_build_file(NULL, 3, 1, direct, (uint64_t[4]){0}, NULL, 0) == LM_E_INVALID_ARG);
    unlink(direct);
}

static void flip_byte(long off, uint8_t mask)
{
    int fd = open(path, O_RDWR);
    uint8_t b = 0;
    CHECK(fd >= 0 && pread(fd, &b, 1, off) == 1);
    b ^= mask;
    CHECK(pwrite(fd, &b, 1, off) == 1);
    close(fd);
}

/* Damage of every kind: refused at open, or LM_E_DB from the queries that read it. */
static void check_damage(uint64_t *st)
{
    const size_t n = 20000;
    lm_pdq_hash *list = malloc(n * sizeof *list);
    uint64_t *ids = malloc(n * sizeof *ids);
    lm_pdq_hash qs[6];
    CHECK(list && ids);
    if (!list || !ids)
        goto out;
    data_clustered(st, list, n, 64, 8);
    for (size_t i = 0; i < n; i++)
        ids[i] = i + 1;
    data_queries(st, list, n, qs, 6, 32);
    lm_index *ix;
    uint64_t stamp[4];
    lm_index_payload pl;
    char why[128];

    /* missing, empty, foreign */
    unlink(path);
    CHECK(lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why) == LM_E_NOT_FOUND && !ix);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK(lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why) == LM_E_DB && !ix);
    f = fopen(path, "wb");
    for (int i = 0; f && i < 5000; i++)
        fputc("not an index\n"[i % 13], f);
    if (f)
        fclose(f);
    CHECK(lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why) == LM_E_DB && !ix);

    write_index(list, n, ids);
    const long size = scratch_file_size(path);
    CHECK(size > 4096);
    /* the payload count is part of the structure */
    CHECK(lm_index_open(path, &ix, stamp, &pl, 0, why, sizeof why) == LM_E_DB && !ix);

    /* truncated anywhere */
    static const long cuts[] = {1, 4095, 4096, 4097, 70000, -1, -8};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        write_index(list, n, ids);
        long at = cuts[c] > 0 ? cuts[c] : size + cuts[c];
        CHECK(truncate(path, at) == 0);
        CHECK(lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why) == LM_E_DB && !ix);
    }
    /* trailing garbage */
    write_index(list, n, ids);
    f = fopen(path, "ab");
    if (f) {
        fputc('x', f);
        fclose(f);
    }
    CHECK(lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why) == LM_E_DB && !ix);

    /* one flipped bit at many places: header, offsets, hashes, positions, next words,
     * payload, checksums. Never a wrong answer. */
    size_t refused = 0, lazily = 0;
    for (int trial = 0; trial < 48; trial++) {
        write_index(list, n, ids);
        long off =
            trial < 8 ? (long)(check_rand(st) % 200) : (long)(check_rand(st) % (uint64_t)size);
        flip_byte(off, (uint8_t)(1u << (check_rand(st) % 8)));
        lm_status s = lm_index_open(path, &ix, stamp, &pl, 1, why, sizeof why);
        if (s != LM_OK) {
            CHECK(s == LM_E_DB && !ix);
            refused++;
            continue;
        }
        size_t errs = check_queries(ix, list, n, qs, 6, 1, "bit flip");
        int payload_bad = lm_index_check(ix, pl.data, pl.bytes) != 0;
        CHECK(payload_bad || memcmp(pl.data, ids, pl.bytes) == 0);
        /* the flip is somewhere: a full check always finds it */
        CHECK(lm_index_verify_all(ix) == LM_E_DB && lm_index_damaged(ix));
        /* a damaged index is never copied */
        char copy[80];
        snprintf(copy, sizeof copy, "%s.copy", path);
        uint64_t s4[4] = {0};
        CHECK(lm_index_write(ix, copy, s4, NULL, 0) == LM_E_DB);
        if (errs || payload_bad)
            lazily++;
        lm_index_free(ix);
    }
    CHECK(refused > 0 && lazily > 0);
    printf("bit flips: %zu refused at open, %zu found by queries/checks, all found by verify\n",
           refused, lazily);
    unlink(path);
out:
    free(list);
    free(ids);
}

/* Leftovers of killed writers ("pdq.index.tmp.PID", PID gone) are removed by the next
 * write; a live process's file and other names are kept. */
static void check_stale_tmp(uint64_t *st)
{
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    CHECK(child > 0);
    int status;
    CHECK(waitpid(child, &status, 0) == child); /* reaped: its pid no longer exists */
    char dead[128], alive[128], other[128], odd[128];
    snprintf(dead, sizeof dead, "%s.tmp.%ld", path, (long)child);
    snprintf(alive, sizeof alive, "%s.tmp.%ld", path, (long)getppid());
    snprintf(other, sizeof other, "%s/other.index.tmp.%ld", dir, (long)child);
    snprintf(odd, sizeof odd, "%s.tmp.12x", path);
    const char *files[] = {dead, alive, other, odd};
    for (size_t i = 0; i < 4; i++) {
        int fd = open(files[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        if (fd >= 0)
            close(fd);
    }
    lm_pdq_hash list[50];
    uint64_t ids[50];
    data_random(st, list, 50);
    for (size_t i = 0; i < 50; i++)
        ids[i] = i + 1;
    write_index(list, 50, ids);
    CHECK(access(dead, F_OK) != 0);  /* a killed writer's: removed */
    CHECK(access(alive, F_OK) == 0); /* a live process's: kept */
    CHECK(access(other, F_OK) == 0); /* another file's: kept */
    CHECK(access(odd, F_OK) == 0);   /* not a pid: kept */
    CHECK(lm_index_remove_stale_tmp(path) == 0);
    CHECK(access(path, F_OK) == 0);
    for (size_t i = 1; i < 4; i++)
        unlink(files[i]);
}

int main(int argc, char **argv)
{
    static const size_t default_sizes[] = {0, 1, 1000, 30000};
    uint64_t seed = check_test_seed(0x1DF11E5);
    uint64_t st = seed;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/pdq.index", dir);

    /* the checksum sees any single changed word */
    uint8_t block[4096];
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (uint8_t)check_rand(&st);
    uint64_t base = lm_index_block_sum(block, sizeof block, 3);
    CHECK(base != lm_index_block_sum(block, sizeof block, 4));
    for (size_t i = 0; i < sizeof block; i += 97) {
        block[i] ^= 0x10;
        CHECK(lm_index_block_sum(block, sizeof block, 3) != base);
        block[i] ^= 0x10;
    }

    data_check_sizes(argc, argv, default_sizes, sizeof default_sizes / sizeof default_sizes[0], 0,
                     check_list, &st);
    check_build_file(&st);
    check_damage(&st);
    check_stale_tmp(&st);
    char copy[80];
    snprintf(copy, sizeof copy, "%s.copy", path);
    unlink(copy);
    unlink(path);
    rmdir(dir);
    return check_report("test_index_file");
}
