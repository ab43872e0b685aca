/*
 * List figures at scale: import rate and live-refresh cost.
 *
 *  1. Writes N random PDQ hashes (fixed seed) as a hex file, one per line.
 *  2. Imports it into a new database with lm_hashdb_import_path (what
 *     'pmatch db import --format hex' runs): hashes/s.
 *  3. Builds and writes the persisted search index (lm_list_index_update,
 *     what 'pmatch db import' runs after the import), then times a matcher
 *     open to its first answer with the index file (mmap) and without it
 *     (load + in-memory build, the previous behaviour), with RSS after each.
 *  4. Queries a read-only matcher on the persisted index, one thread: range queries
 *     (distance 31, lm_match_pdq) and k = 10 nearest (lm_match_nearest), near
 *     queries (list hashes with 8-24 bits flipped) and unrelated ones (random),
 *     queries per CPU-second, the first pass (every block it touches verified on
 *     first touch, page cache warm from the write) and a second one.
 *  5. Opens a matcher on it, adds ADD more hashes (a new generation) and times
 *     lm_matcher_refresh while a thread keeps querying: time from the call to
 *     the swap (the call returns right after it), queries served meanwhile,
 *     and the peak extra resident memory (VmHWM after resetting it, minus the
 *     resident size before the call).
 * Peak RSS (VmHWM) is printed per phase. Above 20M hashes the steps that build the
 * index in memory (the open without the index file, the refresh) are skipped: they
 * need ~176 bytes per entry (17.6 GB at 100M).
 *
 * usage: bench-lists [N] [DIR]   (default 10000000, $TMPDIR or /tmp; DIR/lm-bench-lists-N
 *        is created and removed, the hex file right after the import; needs about 170
 *        bytes of disk per hash, 65 of them for the hex file)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "hashdb.h"
#include "index_store.h"
#include "libmatch.h"

static double load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &l) != 1)
        l = -1;
    if (f)
        fclose(f);
    return l;
}

static uint64_t rng = 0x5eed;
static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int write_hex(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static const char digits[] = "0123456789abcdef";
    char line[65];
    line[64] = '\n';
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 64; j += 16) {
            uint64_t r = next();
            for (int k = 0; k < 16; k++, r >>= 4)
                line[j + k] = digits[r & 15];
        }
        fwrite(line, 1, 65, f);
    }
    return fclose(f);
}

/* kB from /proc/self/status for a field such as "VmRSS:". */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0)
            v = strtol(line + strlen(field), NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f); /* resets VmHWM to the current RSS */
        fclose(f);
    }
}

/* Peak RSS since the last reset_peak, in MiB. */
static long peak_mib(void)
{
    return status_kb("VmHWM:") / 1024;
}

/* Hash i of the generated list (write_hex's order), without the file. */
static lm_pdq_hash list_hash(size_t i)
{
    uint64_t saved = rng;
    rng = 0x5eed + (uint64_t)(4 * i) * 0x9E3779B97F4A7C15ull;
    lm_pdq_hash h;
    for (int j = 0; j < 4; j++) { /* hex digit k of word j is bits 4k.. of r: bytes LE */
        uint64_t r = next();
        for (int k = 0; k < 8; k++) {
            unsigned lo = (unsigned)(r >> (8 * k)) & 15, hi = (unsigned)(r >> (8 * k + 4)) & 15;
            h.b[8 * j + k] = (uint8_t)(lo << 4 | hi); /* digits "lo hi" make the byte 0xlohi */
        }
    }
    rng = saved;
    return h;
}

/* Queries per CPU-second of q[0..nq) (one thread): range at the default distance (31) when
 * k == 0, else the k nearest within max_d. -1 when a query fails. */
static double query_rate(const lm_matcher *m, const lm_pdq_hash *q, size_t nq, int k, int max_d,
                         size_t *answers)
{
    lm_match mt[LM_CHECK_MAX_MATCHES > 16 ? LM_CHECK_MAX_MATCHES : 16];
    double c0 = bench_thread_cpu_s();
    *answers = 0;
    for (size_t i = 0; i < nq; i++) {
        size_t found = 0;
        lm_status st = k ? lm_match_nearest(m, &q[i], k, max_d, mt, &found)
                         : lm_match_pdq(m, &q[i], -1, NULL, mt, LM_CHECK_MAX_MATCHES, &found);
        if (st != LM_OK)
            return -1;
        *answers += found;
    }
    return (double)nq / (bench_thread_cpu_s() - c0);
}

static lm_matcher *matcher;
static atomic_int stop;
static atomic_long served;

static void *query_loop(void *arg)
{
    (void)arg;
    lm_pdq_hash q;
    while (!atomic_load(&stop)) {
        for (int i = 0; i < 32; i += 8) {
            uint64_t r = (uint64_t)atomic_load(&served) * 0x9E3779B97F4A7C15ull + (uint64_t)i;
            memcpy(q.b + i, &r, 8);
        }
        lm_match mt[LM_CHECK_MAX_MATCHES];
        size_t found;
        if (lm_match_pdq(matcher, &q, -1, NULL, mt, LM_CHECK_MAX_MATCHES, &found) != LM_OK) {
            fprintf(stderr, "query failed during refresh\n");
            exit(1);
        }
        atomic_fetch_add(&served, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    const char *base = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    enum { ADD = 1000 };
    char dir[512], db_path[600], hex[600], add_hex[600], cmd[1400];
    snprintf(dir, sizeof dir, "%s/lm-bench-lists-%zu", base, n);
    snprintf(db_path, sizeof db_path, "%s/db", dir);
    snprintf(hex, sizeof hex, "%s/list.hex", dir);
    snprintf(add_hex, sizeof add_hex, "%s/add.hex", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        return 1;
    double t0 = bench_wall_s();
    if (write_hex(hex, n) || write_hex(add_hex, ADD)) {
        fprintf(stderr, "cannot write %s\n", hex);
        return 1;
    }
    printf("generated %zu random PDQ hashes (%zu bytes of hex) in %.1f s\n", n, n * 65,
           bench_wall_s() - t0);

    char err[256];
    if (lm_hashdb_init(db_path, err, sizeof err) != LM_OK) {
        fprintf(stderr, "init: %s\n", err);
        return 1;
    }
    lm_hashdb *db;
    if (lm_hashdb_open(db_path, LM_DB_WRITE, &db, err, sizeof err) != LM_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = LM_DB_FORMAT_HEX;
    o.list = "bench";
    lm_db_import_result r;
    reset_peak();
    t0 = bench_wall_s();
    double c0 = bench_process_cpu_s();
    lm_status st = lm_hashdb_import_path(db, hex, &o, &r);
    double ti = bench_wall_s() - t0, ci = bench_process_cpu_s() - c0;
    if (st != LM_OK) {
        fprintf(stderr, "import: %s: %s\n", lm_strerror(st), lm_hashdb_last_error(db));
        return 1;
    }
    unlink(hex);
    printf("import: %llu hashes in %.2f s = %.0f hashes/s (one transaction, synced); CPU %.2f s "
           "= %.0f hashes per CPU-second; peak RSS %ld MiB; load average %.1f\n",
           (unsigned long long)r.added, ti, (double)r.added / ti, ci, (double)r.added / ci,
           peak_mib(), load1());

    long rss_start = status_kb("VmRSS:") / 1024;
    reset_peak();
    t0 = bench_wall_s();
    c0 = bench_process_cpu_s();
    st = lm_list_index_update(db, 0);
    double tx = bench_wall_s() - t0, cx = bench_process_cpu_s() - c0;
    if (st != LM_OK) {
        fprintf(stderr, "index: %s\n", lm_strerror(st));
        return 1;
    }
    printf("persisted index built and written: %.2f s (CPU %.2f s), peak RSS %ld MiB (%ld MiB "
           "before); import + index: %.0f hashes/s, %.0f hashes per CPU-second\n",
           tx, cx, peak_mib(), rss_start, (double)r.added / (ti + tx), (double)r.added / (ci + cx));
    /* Above this the in-memory build (~176 bytes per entry) would not fit beside the rest. */
    const int in_memory_ok = n <= 20000000;
    char ix_path[700], ix_aside[720];
    snprintf(ix_path, sizeof ix_path, "%s/%s", db_path, LM_INDEX_STORE_FILE);
    snprintf(ix_aside, sizeof ix_aside, "%s.aside", ix_path);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && !in_memory_ok) {
            printf("open-to-first-answer without the index file: skipped above 20M hashes\n");
            break;
        }
        if (pass == 1 && rename(ix_path, ix_aside) != 0)
            return 1;
        lm_pdq_hash q;
        memset(&q, 0x5a, sizeof q);
        lm_match mt[LM_CHECK_MAX_MATCHES];
        size_t found;
        long rss0 = status_kb("VmRSS:");
        t0 = bench_wall_s();
        c0 = bench_process_cpu_s();
        if (lm_matcher_open(db_path, &matcher, err, sizeof err) != LM_OK ||
            lm_match_pdq(matcher, &q, -1, NULL, mt, LM_CHECK_MAX_MATCHES, &found) != LM_OK) {
            fprintf(stderr, "matcher: %s\n", err);
            return 1;
        }
        printf("open-to-first-answer, %s: %.3f s (CPU %.3f s), %zu hashes, RSS +%ld MiB\n",
               pass ? "no index file (load + in-memory build, as before)"
                    : "persisted index (mmap, warm page cache)",
               bench_wall_s() - t0, bench_process_cpu_s() - c0, lm_matcher_size(matcher),
               (status_kb("VmRSS:") - rss0) / 1024);
        lm_matcher_close(matcher);
        if (pass == 1 && rename(ix_aside, ix_path) != 0)
            return 1;
    }

    t0 = bench_wall_s();
    c0 = bench_process_cpu_s();
    if (lm_matcher_open(db_path, &matcher, err, sizeof err) != LM_OK) {
        fprintf(stderr, "matcher: %s\n", err);
        return 1;
    }
    printf("matcher open (persisted index): %.2f s (CPU %.2f s), %zu hashes, RSS %ld MiB\n",
           bench_wall_s() - t0, bench_process_cpu_s() - c0, lm_matcher_size(matcher),
           status_kb("VmRSS:") / 1024);

    enum { NQ = 2000, NQ_SCAN = 8 }; /* an unrelated unbounded k-NN is a scan of the hashes */
    lm_pdq_hash *near = malloc(NQ * sizeof *near), *far = malloc(NQ * sizeof *far);
    if (!near || !far)
        return 1;
    uint64_t qs = 0x9e7;
    for (size_t i = 0; i < NQ; i++) {
        near[i] = list_hash((size_t)(i * 2654435761u % n));
        for (int f = 8 + (int)(i % 17); f > 0; f--) { /* 8-24 bits, some twice: < 25 apart */
            uint64_t z = (qs += 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
            near[i].b[(z >> 40) % 32] ^= (uint8_t)(1u << ((z >> 20) % 8));
        }
        for (int b = 0; b < 32; b++)
            far[i].b[b] = (uint8_t)((qs += 0x9E3779B97F4A7C15ull) >> 56);
    }
    reset_peak();
    /* A random list has no near copies: past the query's own entry every neighbour is ~85
     * bits away, so k > 1 without a bound is a scan whatever the query (clustered lists:
     * bench-search knn). */
    static const struct {
        const char *what;
        int k, max_d, is_near;
        size_t nq;
    } runs[] = {{"range r=31, near", 0, 0, 1, NQ},
                {"range r=31, unrelated", 0, 0, 0, NQ},
                {"k=1 nearest, near", 1, 256, 1, NQ},
                {"k=10 nearest within 32, unrelated", 10, 32, 0, NQ},
                {"k=10 nearest, unrelated (a scan)", 10, 256, 0, NQ_SCAN}};
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
            size_t answers;
            double rate = query_rate(matcher, runs[i].is_near ? near : far, runs[i].nq, runs[i].k,
                                     runs[i].max_d, &answers);
            if (rate < 0) {
                fprintf(stderr, "%s: a query failed\n", runs[i].what);
                return 1;
            }
            printf("%s pass, %s: %.0f queries per CPU-second (%zu queries, %zu answers)\n",
                   pass ? "second" : "first", runs[i].what, rate, runs[i].nq, answers);
        }
    printf("queries: peak RSS %ld MiB (the index and the list are mapped: page cache)\n",
           peak_mib());
    free(near);
    free(far);
    if (!in_memory_ok) {
        printf("refresh: skipped above 20M hashes (it builds the new snapshot in memory)\n");
        lm_matcher_close(matcher);
        lm_hashdb_close(db);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : 1;
    }

    o.list = "bench-added";
    if (lm_hashdb_import_path(db, add_hex, &o, &r) != LM_OK)
        return 1;
    pthread_t th;
    atomic_store(&stop, 0);
    pthread_create(&th, NULL, query_loop, NULL);
    usleep(200000);
    long rss_before = status_kb("VmRSS:");
    reset_peak();
    long served_before = atomic_load(&served);
    int changed = 0;
    t0 = bench_wall_s();
    st = lm_matcher_refresh(matcher, &changed);
    double tr = bench_wall_s() - t0;
    long served_during = atomic_load(&served) - served_before;
    long peak = status_kb("VmHWM:");
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    if (st != LM_OK || !changed) {
        fprintf(stderr, "refresh failed: %s\n", lm_strerror(st));
        return 1;
    }
    printf("refresh at %zu hashes: %.2f s from the call to the swap; %ld queries answered "
           "meanwhile (none failed); peak extra memory %ld MiB (RSS %ld MiB before)\n",
           lm_matcher_size(matcher), tr, served_during, (peak - rss_before) / 1024,
           rss_before / 1024);
    /* Once more without the query thread: the refresh's own CPU time. */
    o.list = "bench-added-2";
    rng = 0xadd2;
    if (write_hex(add_hex, ADD) || lm_hashdb_import_path(db, add_hex, &o, &r) != LM_OK)
        return 1;
    rss_before = status_kb("VmRSS:");
    reset_peak();
    t0 = bench_wall_s();
    c0 = bench_process_cpu_s();
    st = lm_matcher_refresh(matcher, &changed);
    tr = bench_wall_s() - t0;
    double cr = bench_process_cpu_s() - c0;
    peak = status_kb("VmHWM:");
    if (st != LM_OK || !changed)
        return 1;
    printf("refresh at %zu hashes, no concurrent queries: %.2f s (CPU %.2f s), peak extra "
           "memory %ld MiB; load average %.1f\n",
           lm_matcher_size(matcher), tr, cr, (peak - rss_before) / 1024, load1());
    lm_matcher_close(matcher);
    lm_hashdb_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
