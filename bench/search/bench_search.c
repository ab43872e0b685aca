/*
 * bench-search N [THREADS] [MAX_FAMILY]: builds the exact index over N
 * synthetic hashes (see synth.h) and prints build time, bytes per entry,
 * range queries/s at distance 31 on 1 and THREADS threads (near and unrelated
 * queries apart too), k-NN queries/s, and recall against the brute-force
 * oracle on a sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "index.h"
#include "synth.h"

#define NQUERIES 10000
#define CAP 64
#define SAMPLE 200

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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
    double t0 = now();
    clock_t c0 = clock();
    lm_index_range_batch(ix, qs, nq, LM_SEARCH_DEFAULT_DISTANCE, hits, CAP, found, threads);
    double dt = now() - t0;
    *cpu_qps = (double)nq * CLOCKS_PER_SEC / (double)(clock() - c0 + 1);
    *total = 0;
    for (size_t j = 0; j < nq; j++)
        *total += found[j];
    return (double)nq / dt;
}

int main(int argc, char **argv)
{
    unsigned long long n = 1000000, threads = 2, max_family = 64;
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
    double t0 = now();
    clock_t c0 = clock();
    lm_status st = lm_index_build(list, (size_t)n, (int)threads, &ix);
    double build = now() - t0, build_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
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
        double t1 = now();
        lm_index_knn_batch(ix, set, nq, 10, hits, found, (int)threads);
        printf("knn k=10, %llu thread(s), %s: %.0f queries/s\n", threads,
               half ? "unrelated" : "near", (double)nq / (now() - t1));
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
    free(a);
    free(b);
    lm_index_free(ix);
    free(list);
    free(qs);
    free(near);
    free(far);
    free(hits);
    free(found);
    return mismatched ? 1 : 0;
}
