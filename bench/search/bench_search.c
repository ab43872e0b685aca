/*
 * bench-search N [THREADS] [MAX_FAMILY]: builds the exact index over N
 * synthetic hashes (see synth.h) and prints build time, bytes per entry,
 * range queries/s at distance 31 on 1 and THREADS threads (near and unrelated
 * queries apart too), k-NN queries/s, and recall against the brute-force
 * oracle on a sample. Then the persisted index (index_file.h) beside it in the
 * same run: write time, file bytes per entry beside the hashes, open-to-first-
 * answer, range queries/s from the map (first pass verifies blocks on first
 * touch, second pass warm) against the in-memory index (median of 3,
 * alternating), and k-NN queries/s in memory and from the map, near and
 * unrelated, k = 1 and 10. The file goes to $TMPDIR (or /tmp) and is
 * removed. Last, k-NN on clustered data with every SIMD kernel set of this
 * CPU (bench_knn), also alone as `bench-search knn N`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "bench_clock.h"
#include "index.h"
#include "index_file.h"
#include "index_internal.h"
#include "layouts.h"
#include "synth.h"

#define NQUERIES 10000
#define CAP 64
#define SAMPLE 200

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Serial range queries per CPU-second at r = 31 over qs (1 thread). */
static double serial_range(const lm_index *ix, const lm_pdq_hash *qs, size_t nq,
                           lm_search_hit *hits, size_t *bad)
{
    size_t f;
    double t0 = bench_thread_cpu_s();
    for (size_t j = 0; j < nq; j++)
        *bad += lm_index_range(ix, &qs[j], LM_SEARCH_DEFAULT_DISTANCE, hits, CAP, &f) != LM_OK;
    return (double)nq / (bench_thread_cpu_s() - t0);
}

/* Serial k-NN queries per CPU-second over qs: at least 5 queries, then until nq
 * queries or max_s seconds. */
static double knn_qps(const lm_index *ix, const lm_pdq_hash *qs, size_t nq, int k, int max_d,
                      lm_search_hit *hits, double max_s)
{
    size_t f, j = 0;
    double t0 = bench_thread_cpu_s();
    for (; j < nq && (j < 5 || bench_thread_cpu_s() - t0 < max_s); j++)
        lm_index_knn_within(ix, &qs[j], k, max_d, hits, &f);
    return (double)j / (bench_thread_cpu_s() - t0);
}

static void bench_persisted(const lm_index *ix, const lm_pdq_hash *list, size_t n,
                            const lm_pdq_hash *near, const lm_pdq_hash *far, lm_search_hit *hits)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/lm-bench-search-%ld.index", dir && *dir ? dir : "/tmp",
             (long)getpid());
    uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS] = {1, 2, 3, 4};
    double t0 = bench_wall_s();
    if (lm_index_write(ix, path, stamp, NULL, 0) != LM_OK) {
        printf("persisted: cannot write %s\n", path);
        return;
    }
    double wr = bench_wall_s() - t0;
    lm_index *mx = NULL;
    size_t f;
    t0 = bench_wall_s();
    lm_status st = lm_index_open(path, &mx, stamp, NULL, 0, NULL, 0);
    double op = bench_wall_s() - t0;
    if (st == LM_OK)
        st = lm_index_range(mx, &near[0], LM_SEARCH_DEFAULT_DISTANCE, hits, CAP, &f);
    double first = bench_wall_s() - t0;
    if (st != LM_OK) {
        printf("persisted: cannot open %s: %s\n", path, lm_strerror(st));
        lm_index_free(mx);
        unlink(path);
        return;
    }
    double hb = (double)n * sizeof(lm_pdq_hash);
    printf("persisted: write %.2f s (%.0f MB/s); file %.1f bytes/entry beside the 32-byte hashes "
           "(in-memory index: %.1f); open %.2f ms, open-to-first-answer %.2f ms (warm page "
           "cache)\n",
           wr, ((double)lm_index_memory_bytes(mx) / 1e6) / wr,
           ((double)lm_index_memory_bytes(mx) - hb) / (double)(n ? n : 1),
           ((double)lm_index_memory_bytes(ix) - hb) / (double)(n ? n : 1), 1e3 * op, 1e3 * first);

    /* range r=31, 1 thread: the first pass over the map verifies blocks as it touches them */
    size_t bad = 0, nq = NQUERIES / 2;
    double cold_near = serial_range(mx, near, nq, hits, &bad);
    double cold_far = serial_range(mx, far, nq, hits, &bad);
    double mem[3], map[3], memf[3], mapf[3];
    for (int r = 0; r < 3; r++) {
        mem[r] = serial_range(ix, near, nq, hits, &bad);
        map[r] = serial_range(mx, near, nq, hits, &bad);
        memf[r] = serial_range(ix, far, nq, hits, &bad);
        mapf[r] = serial_range(mx, far, nq, hits, &bad);
    }
    qsort(mem, 3, sizeof *mem, cmp_double);
    qsort(map, 3, sizeof *map, cmp_double);
    qsort(memf, 3, sizeof *memf, cmp_double);
    qsort(mapf, 3, sizeof *mapf, cmp_double);
    printf("range r=31, 1 thread, per CPU-second, median of 3: near: in-memory %.0f/s, mapped "
           "%.0f/s (%.2fx); "
           "unrelated: in-memory %.0f/s, mapped %.0f/s (%.2fx); first pass over the map (verifying "
           "blocks): near %.0f/s, unrelated %.0f/s; errors %zu\n",
           mem[1], map[1], map[1] / mem[1], memf[1], mapf[1], mapf[1] / memf[1], cold_near,
           cold_far, bad);

    /* the map answers exactly as the in-memory index */
    size_t differ = 0;
    lm_search_hit *b = malloc(CAP * sizeof *b);
    for (size_t j = 0; b && j < SAMPLE; j++) {
        size_t fa, fb;
        const lm_pdq_hash *q = j % 2 ? &far[j] : &near[j];
        lm_index_range(ix, q, LM_SEARCH_DEFAULT_DISTANCE, hits, CAP, &fa);
        lm_index_range(mx, q, LM_SEARCH_DEFAULT_DISTANCE, b, CAP, &fb);
        differ += fa != fb || memcmp(hits, b, (fa < CAP ? fa : CAP) * sizeof *b) != 0;
    }
    /* k-NN, 1 thread: in memory and from the map */
    for (int k = 1; k <= 10; k += 9) {
        double nn = knn_qps(ix, near, nq, k, 256, hits, 3.0);
        double nm = knn_qps(mx, near, nq, k, 256, hits, 3.0);
        double fn = knn_qps(ix, far, 200, k, 256, hits, 5.0);
        double fm = knn_qps(mx, far, 200, k, 256, hits, 5.0);
        printf("knn k=%d, 1 thread, per CPU-second: near: in-memory %.0f/s, mapped %.0f/s "
               "(%.2fx); unrelated: in-memory %.1f/s, mapped %.1f/s (%.2fx)\n",
               k, nn, nm, nm / nn, fn, fm, fm / fn);
    }
    /* k-NN exactness: mapped == in-memory == brute force on a sample */
    for (size_t j = 0; b && j < 40; j++) {
        size_t fa, fb, fc;
        const lm_pdq_hash *q = j % 2 ? &far[j] : &near[j];
        lm_search_hit c[10];
        lm_index_knn(mx, q, 10, hits, &fa);
        lm_index_knn(ix, q, 10, b, &fb);
        if (j < 8) {
            lm_brute_knn(list, n, q, 10, c, &fc);
            differ += fc != fa || memcmp(c, hits, fa * sizeof *c) != 0;
        }
        differ += fa != fb || memcmp(hits, b, fa * sizeof *b) != 0;
    }
    printf("persisted: %zu of %d range and 40 k-NN sample answers differ from the in-memory "
           "index / brute force\n",
           differ, SAMPLE);
    free(b);
    lm_index_free(mx);
    unlink(path);
}

/* ---- k-NN on clustered data, with every SIMD kernel set of this CPU ---- */

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define KNN_REPS 3
#define KNN_NEAR 4000
#define KNN_FAR 400
#define KNN_ISAS 2

/* ix answered with each SIMD kernel set from lm_cpu_isa() (LM_FORCE_ISA) down to AVX2:
 * shallow copies sharing ix's tables, only the kernels swapped (never freed). */
static int kernel_variants(const lm_index *ix, lm_index *out)
{
    int nv = 0;
    for (int isa = (int)lm_cpu_isa(); isa >= LM_ISA_AVX2 && nv < KNN_ISAS; isa--) {
        const lm_ham_kernels *k = lm_ham_kernels_for((lm_isa)isa);
        if (!k)
            continue;
        out[nv] = *ix;
        out[nv++].kern = k;
    }
    if (nv == 0)
        out[nv++] = *ix; /* no SIMD: the index's own (scalar) kernels */
    return nv;
}

/*
 * A list of clusters of 10-20 copies, each 5-30 bits from a random centre
 * (like lists of re-encodes); near queries are new copies of a centre (5-30
 * bits), unrelated ones random. Each figure is the median of KNN_REPS
 * passes, the kernel sets interleaved within each pass. only_row >= 0 runs
 * that row alone (for a profiler).
 */
static int bench_knn(size_t n, int only_row)
{
    lm_pdq_hash *list = malloc(n * sizeof *list), *near = malloc(KNN_NEAR * sizeof *near),
                *far = malloc(KNN_FAR * sizeof *far);
    lm_pdq_hash *centres = malloc((n / 10 + 1) * sizeof *centres);
    lm_search_hit *hits = malloc(100 * sizeof *hits), *b = malloc(100 * sizeof *b);
    if (!list || !near || !far || !centres || !hits || !b) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint64_t st = 0xC1A55;
    size_t nc = 0;
    for (size_t i = 0; i < n;) {
        synth_hash(&st, &centres[nc]);
        size_t fam = 10 + (size_t)(synth_rand(&st) % 11);
        for (size_t j = 0; j < fam && i < n; j++, i++) {
            list[i] = centres[nc];
            synth_flip(&st, &list[i], 5 + (int)(synth_rand(&st) % 26));
        }
        nc++;
    }
    for (size_t j = 0; j < KNN_NEAR; j++) {
        near[j] = centres[synth_rand(&st) % nc];
        synth_flip(&st, &near[j], 5 + (int)(synth_rand(&st) % 26));
    }
    for (size_t j = 0; j < KNN_FAR; j++)
        synth_hash(&st, &far[j]);
    lm_index *ix = NULL;
    if (lm_index_build(list, n, 2, &ix) != LM_OK) {
        fprintf(stderr, "build failed\n");
        return 1;
    }
    lm_index var[KNN_ISAS];
    const int nv = kernel_variants(ix, var);
    printf("knn bench: n=%zu in %zu clusters of 10-20 copies 5-30 bits from a centre; kernels", n,
           nc);
    for (int i = 0; i < nv; i++)
        printf(" %s", lm_isa_name(lm_index_isa(&var[i])));
    printf("; 1 thread, queries per CPU-second, median of %d interleaved passes\n", KNN_REPS);
    /* where the k-th neighbour lies (k = 1, 10) for the near queries */
    int dk[2][KNN_NEAR];
    size_t f;
    for (size_t j = 0; j < 400; j++) {
        lm_index_knn(ix, &near[j], 10, hits, &f);
        dk[0][j] = hits[0].distance;
        dk[1][j] = hits[f - 1].distance;
    }
    for (int i = 0; i < 2; i++) {
        double v[400];
        for (int j = 0; j < 400; j++)
            v[j] = dk[i][j];
        qsort(v, 400, sizeof *v, cmp_double);
        printf("  near queries: distance of neighbour %d: median %.0f, 90%% %.0f, max %.0f\n",
               i ? 10 : 1, v[200], v[360], v[399]);
    }

    static const struct {
        const char *what;
        int k, max_d, far;
    } rows[] = {
        {"near k=1", 1, 256, 0},
        {"near k=10", 10, 256, 0},
        {"unrelated k=1", 1, 256, 1},
        {"unrelated k=10", 10, 256, 1},
        {"unrelated k=10 d<=32", 10, 32, 1},
        {"unrelated k=10 d<=64", 10, 64, 1},
        {"near k=10 d<=32", 10, 32, 0},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (only_row >= 0 && (size_t)only_row != r)
            continue;
        double v[KNN_ISAS][KNN_REPS];
        const lm_pdq_hash *qs = rows[r].far ? far : near;
        const size_t nq = rows[r].far ? KNN_FAR : KNN_NEAR;
        for (int rep = 0; rep < KNN_REPS; rep++)
            for (int i = 0; i < nv; i++)
                v[i][rep] = knn_qps(&var[i], qs + (size_t)rep * 5 % nq, nq - 15, rows[r].k,
                                    rows[r].max_d, hits, rows[r].far ? 2.0 : 1.5);
        printf("  %-22s", rows[r].what);
        const double first = median(v[0], KNN_REPS);
        for (int i = 0; i < nv; i++) {
            double m = i ? median(v[i], KNN_REPS) : first;
            printf("  %s %8.1f/s", lm_isa_name(lm_index_isa(&var[i])), m);
            if (i)
                printf(" (%.2fx)", m / first);
        }
        printf("\n");
    }
    /* exactness on a sample: every kernel set == brute force */
    size_t differ = 0;
    for (size_t j = 0; j < (only_row >= 0 ? 0u : 24u); j++) {
        const lm_pdq_hash *q = j % 3 == 2 ? &far[j] : &near[j];
        int k = j % 2 ? 10 : 1, md = j % 4 == 3 ? 32 : 256;
        size_t fa, fb;
        lm_index_knn_within(ix, q, k, md, hits, &fa);
        for (int i = 0; i < nv; i++) {
            lm_index_knn_within(&var[i], q, k, md, b, &fb);
            differ += fa != fb || memcmp(hits, b, fa * sizeof *b) != 0;
        }
        if (j < 8) {
            lm_brute_knn(list, n, q, k, b, &fb);
            size_t w = 0;
            while (w < fb && b[w].distance <= md)
                w++;
            differ += fa != w || memcmp(hits, b, fa * sizeof *b) != 0;
        }
    }
    printf("  exactness: %zu of 24 sampled answers differ between kernel sets / from brute "
           "force\n",
           differ);
    lm_index_free(ix);
    free(list);
    free(near);
    free(far);
    free(centres);
    free(hits);
    free(b);
    return differ ? 1 : 0;
}

/* ---- memory layouts: bytes per entry against range r=31 throughput ---- */

#define LAY_Q 2000

static double layout_qps(const lm_index *ix, layout L, const lm_pdq_hash *qs, size_t nq,
                         size_t *sum)
{
    double t0 = bench_thread_cpu_s();
    for (size_t j = 0; j < nq; j++)
        *sum += layout_range(ix, L, &qs[j], LM_SEARCH_DEFAULT_DISTANCE);
    return (double)nq / (bench_thread_cpu_s() - t0);
}

/* The layouts of layouts.h on the main bench's data, r = 31, 1 thread, median of 3. */
static int bench_layouts(size_t n)
{
    lm_pdq_hash *list = malloc(n * sizeof *list), *qs = malloc(2 * LAY_Q * sizeof *qs);
    lm_pdq_hash *near = malloc(LAY_Q * sizeof *near), *far = malloc(LAY_Q * sizeof *far);
    lm_search_hit *hits = malloc(CAP * sizeof *hits);
    if (!list || !qs || !near || !far || !hits)
        return 1;
    synth_list(42, list, n, 64, 8);
    synth_queries(42, list, n, qs, 2 * LAY_Q);
    for (size_t j = 0; j < LAY_Q; j++) {
        near[j] = qs[2 * j];
        far[j] = qs[2 * j + 1];
    }
    lm_index *ix = NULL;
    if (lm_index_build(list, n, 2, &ix) != LM_OK)
        return 1;
    /* exact: every layout counts what the index finds */
    size_t bad = 0;
    for (size_t j = 0; j < 200; j++) {
        size_t f;
        const lm_pdq_hash *q = j % 2 ? &far[j] : &near[j];
        lm_index_range(ix, q, LM_SEARCH_DEFAULT_DISTANCE, hits, CAP, &f);
        for (int L = 0; L < LAY_COUNT; L++)
            bad += layout_range(ix, (layout)L, q, LM_SEARCH_DEFAULT_DISTANCE) != f;
    }
    double v[LAY_COUNT][2][3], lib[2][3];
    size_t sum = 0;
    for (int rep = 0; rep < 3; rep++) {
        for (int half = 0; half < 2; half++) {
            const lm_pdq_hash *set = half ? far : near;
            size_t b2 = 0;
            lib[half][rep] = serial_range(ix, set, LAY_Q, hits, &b2);
            for (int L = 0; L < LAY_COUNT; L++)
                v[L][half][rep] =
                    layout_qps(ix, (layout)L, set, L == LAY_NO_NEXT ? LAY_Q / 4 : LAY_Q, &sum);
        }
    }
    const double dn = (double)n, off = (double)((size_t)1 << ix->key_bits) * 4 + 4;
    unsigned pbits = 1;
    while (pbits < 32 && ((size_t)1 << pbits) < n)
        pbits++;
    const double ef16 = ef_bytes_per_entry(ix, 1), ef8 = ef_bytes_per_entry(ix, 2);
    printf(
        "layouts: n=%zu isa=%s, range r=31, 1 thread, queries per CPU-second, median of 3; bytes "
        "per entry beside the 32-byte hashes (positions as Elias-Fano per bucket, measured); "
        "%zu of %d sampled counts differ from lm_index_range\n",
        n, lm_isa_name(lm_index_isa(ix)), bad, 200 * LAY_COUNT);
    printf("  library lm_index_range (current layout): near %8.0f/s  unrelated %8.0f/s  %.1f B\n",
           median(lib[0], 3), median(lib[1], 3),
           ((double)lm_index_memory_bytes(ix) - dn * 32) / dn);
    static const char *names[LAY_COUNT] = {"16 tables, 16-bit next (current)",
                                           "16 tables, no next word", "16 tables, 8-bit next",
                                           "8 tables (32-bit boxes)"};
    const double bytes[LAY_COUNT][2] = {
        {16 * (4 + 2) + 16 * off / dn, 16 * (pbits + 16) / 8.0 + 16 * off / dn},
        {16 * 4 + 16 * off / dn, ef16 + 16 * off / dn},
        {16 * 5 + 16 * off / dn, ef16 + 16 + 16 * off / dn},
        {8 * (4 + 2) + 8 * off / dn, ef8 + 8 * 2 + 8 * off / dn}};
    const double base_near = median(v[0][0], 3), base_far = median(v[0][1], 3);
    for (int L = 0; L < LAY_COUNT; L++) {
        double a = median(v[L][0], 3), b = median(v[L][1], 3);
        printf("  %-34s near %8.0f/s (%.2fx)  unrelated %8.0f/s (%.2fx)  %5.1f B with 32-bit "
               "positions, %5.1f B %s\n",
               names[L], a, a / base_near, b, b / base_far, bytes[L][0], bytes[L][1],
               L == 0 ? "with bit-packed positions" : "with Elias-Fano positions");
    }
    printf("  (checksum %zu)\n", sum);
    lm_index_free(ix);
    free(list);
    free(qs);
    free(near);
    free(far);
    free(hits);
    return bad ? 1 : 0;
}

static int parse_count(const char *s, unsigned long long *out)
{
    char *end;
    *out = strtoull(s, &end, 10);
    return *s != '\0' && *end == '\0';
}

/* Range queries/s over qs[0..nq), by the wall clock and per CPU-second (the
 * latter is steadier on a shared machine). */
static double range_qps(const lm_index *ix, const lm_pdq_hash *qs, size_t nq, int threads,
                        lm_search_hit *hits, size_t *found, size_t *total, double *cpu_qps)
{
    double t0 = bench_wall_s();
    clock_t c0 = clock();
    lm_index_range_batch(ix, qs, nq, LM_SEARCH_DEFAULT_DISTANCE, hits, CAP, found, threads);
    double dt = bench_wall_s() - t0;
    *cpu_qps = (double)nq * CLOCKS_PER_SEC / (double)(clock() - c0 + 1);
    *total = 0;
    for (size_t j = 0; j < nq; j++)
        *total += found[j];
    return (double)nq / dt;
}

int main(int argc, char **argv)
{
    unsigned long long n = 1000000, threads = 2, max_family = 64;
    if (argc > 2 && strcmp(argv[1], "layouts") == 0) { /* the memory layout rows only */
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!parse_count(argv[2], &n)) {
            fprintf(stderr, "usage: bench-search layouts N\n");
            return 2;
        }
        return bench_layouts((size_t)n);
    }
    if (argc > 1 && strcmp(argv[1], "knn") == 0) { /* the clustered k-NN rows only */
        setvbuf(stdout, NULL, _IOLBF, 0);
        unsigned long long row = ~0ull;
        if ((argc > 2 && !parse_count(argv[2], &n)) || (argc > 3 && !parse_count(argv[3], &row))) {
            fprintf(stderr, "usage: bench-search knn N [ROW]\n");
            return 2;
        }
        return bench_knn((size_t)n, row == ~0ull ? -1 : (int)row);
    }
    if ((argc > 1 && !parse_count(argv[1], &n)) || (argc > 2 && !parse_count(argv[2], &threads)) ||
        (argc > 3 && !parse_count(argv[3], &max_family)) || threads < 1 || max_family < 1) {
        fprintf(stderr, "usage: bench-search N [THREADS] [MAX_FAMILY]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* figures appear as they are measured */
    lm_pdq_hash *list = malloc((size_t)n * sizeof *list);
    lm_pdq_hash *qs = malloc(NQUERIES * sizeof *qs);
    lm_pdq_hash *near = malloc(NQUERIES / 2 * sizeof *near),
                *far = malloc(NQUERIES / 2 * sizeof *far);
    lm_search_hit *hits = malloc((size_t)NQUERIES * CAP * sizeof *hits);
    size_t *found = malloc(NQUERIES * sizeof *found);
    if (!list || !qs || !near || !far || !hits || !found) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    synth_list(42, list, (size_t)n, (int)max_family, 8);
    synth_queries(42, list, (size_t)n, qs, NQUERIES);
    for (size_t j = 0; j < NQUERIES / 2; j++) {
        near[j] = qs[2 * j];
        far[j] = qs[2 * j + 1];
    }
    printf("bench-search: n=%llu threads=%llu max_family=%llu isa=%s queries=%d (half near 0-40 "
           "bits, half unrelated)\n",
           n, threads, max_family, lm_isa_name(lm_cpu_isa()), NQUERIES);

    lm_index *ix = NULL;
    double t0 = bench_wall_s();
    clock_t c0 = clock();
    lm_status st = lm_index_build(list, (size_t)n, (int)threads, &ix);
    double build = bench_wall_s() - t0, build_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (st != LM_OK) {
        fprintf(stderr, "build failed: %s\n", lm_strerror(st));
        return 1;
    }
    printf("build: %.3f s on %llu threads (%.3f CPU-s), %.1f bytes/entry (%.1f MiB), plan at r=31: "
           "%s\n",
           build, threads, build_cpu, (double)lm_index_memory_bytes(ix) / (double)(n ? n : 1),
           (double)lm_index_memory_bytes(ix) / 1048576.0,
           lm_index_plan(ix, 31) == LM_SEARCH_MIH ? "mih" : "scan");

    size_t total;
    double cq, cqn, cqf;
    for (unsigned long long t = 1; t <= threads;
         t = t == 1 && threads > 1 ? threads : t + threads) {
        double qps = range_qps(ix, qs, NQUERIES, (int)t, hits, found, &total, &cq);
        double qn = range_qps(ix, near, NQUERIES / 2, (int)t, hits, found, &total, &cqn);
        size_t near_hits = total;
        double qf = range_qps(ix, far, NQUERIES / 2, (int)t, hits, found, &total, &cqf);
        printf(
            "range r=31, %llu thread(s): %.0f queries/s (near %.0f/s with %.1f hits each, "
            "unrelated %.0f/s with %zu hits); per CPU-second: %.0f (near %.0f, unrelated %.0f)\n",
            t, qps, qn, (double)near_hits / (NQUERIES / 2), qf, total, cq, cqn, cqf);
    }

    /* k-NN: near queries mostly end in the tables, unrelated ones need a scan. */
    for (int half = 0; half < 2; half++) {
        const lm_pdq_hash *set = half ? far : near;
        size_t nq = SAMPLE;
        double t1 = bench_wall_s();
        lm_index_knn_batch(ix, set, nq, 10, hits, found, (int)threads);
        printf("knn k=10, %llu thread(s), %s: %.0f queries/s\n", threads,
               half ? "unrelated" : "near", (double)nq / (bench_wall_s() - t1));
    }

    /* Recall and exactness against the oracle, on a sample of both kinds. */
    size_t want_total = 0, got_total = 0, mismatched = 0;
    lm_search_hit *a = malloc(CAP * sizeof *a), *b = malloc(CAP * sizeof *b);
    for (size_t j = 0; j < SAMPLE && a && b; j++) {
        size_t fa, fb;
        lm_brute_range(list, (size_t)n, &qs[j], LM_SEARCH_DEFAULT_DISTANCE, a, CAP, &fa);
        lm_index_range(ix, &qs[j], LM_SEARCH_DEFAULT_DISTANCE, b, CAP, &fb);
        want_total += fa;
        got_total += fb;
        if (fa != fb || memcmp(a, b, (fa < CAP ? fa : CAP) * sizeof *a) != 0)
            mismatched++;
    }
    printf("recall vs brute force on %d queries: %zu/%zu hits (%.2f%%), %zu queries differ\n",
           SAMPLE, got_total, want_total,
           want_total ? 100.0 * (double)got_total / (double)want_total : 100.0, mismatched);
    bench_persisted(ix, list, (size_t)n, near, far, hits);
    free(a);
    free(b);
    lm_index_free(ix);
    free(list);
    free(qs);
    free(near);
    free(far);
    free(hits);
    free(found);
    if (mismatched)
        return 1;
    return bench_knn((size_t)n, -1);
}
