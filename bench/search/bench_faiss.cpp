/*
 * bench-faiss N [THREADS] [FAISS_QUERIES]: the same synthetic list and
 * queries as bench-search (synth.h) through libmatch's index and through
 * FAISS's IndexBinaryFlat (brute force) and IndexBinaryMultiHash (16 tables
 * of 16 bits, 1 bit flip: exact at distance <= 31 by the pigeonhole
 * principle), in one run; prints queries/s, hit counts and the ratios.
 * FAISS is measured on the first FAISS_QUERIES queries (default 1000, half
 * near, half unrelated), its flat index on a tenth of them.
 */
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" {
#include "index.h"
#include "synth.h"
}

namespace
{

constexpr size_t kQueries = 10000;
constexpr int kRadius = 31;

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

long rss_kib()
{
    FILE *f = std::fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return resident * 4;
}

/* Queries/s by the wall clock and per CPU-second of the process (steadier
 * on a shared machine), and the hits found. */
struct Result {
    double qps;
    double cpu_qps;
    size_t hits;
};

double cpu_seconds()
{
    return double(std::clock()) / CLOCKS_PER_SEC;
}

Result run_libmatch(const lm_index *ix, const lm_pdq_hash *qs, size_t nq, int threads)
{
    std::vector<size_t> found(nq);
    std::vector<lm_search_hit> hits(nq * 64);
    double t0 = now(), c0 = cpu_seconds();
    lm_index_range_batch(ix, qs, nq, kRadius, hits.data(), 64, found.data(), threads);
    double dt = now() - t0, dc = cpu_seconds() - c0;
    size_t total = 0;
    for (size_t f : found)
        total += f;
    return {double(nq) / dt, double(nq) / dc, total};
}

Result run_faiss(const faiss::IndexBinary &index, const lm_pdq_hash *qs, size_t nq, int threads)
{
    omp_set_num_threads(threads);
    faiss::RangeSearchResult res{faiss::Index::idx_t(nq)};
    double t0 = now(), c0 = cpu_seconds();
    /* FAISS returns distances < radius, so radius 32 means <= 31 */
    index.range_search(faiss::Index::idx_t(nq), reinterpret_cast<const uint8_t *>(qs), kRadius + 1,
                       &res);
    double dt = now() - t0, dc = cpu_seconds() - c0;
    return {double(nq) / dt, double(nq) / dc, size_t(res.lims[nq])};
}

bool parse(const char *s, unsigned long long *out)
{
    char *end;
    *out = std::strtoull(s, &end, 10);
    return *s && !*end;
}

} // namespace

int main(int argc, char **argv)
{
    unsigned long long n = 1000000, threads = 2, fq = 1000;
    if ((argc > 1 && !parse(argv[1], &n)) || (argc > 2 && !parse(argv[2], &threads)) ||
        (argc > 3 && !parse(argv[3], &fq)) || threads < 1 || fq < 10 || fq > kQueries) {
        std::fprintf(stderr, "usage: bench-faiss N [THREADS] [FAISS_QUERIES]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0); /* figures appear as they are measured */
    std::vector<lm_pdq_hash> list(n), qs(kQueries);
    synth_list(42, list.data(), n, 64, 8);
    synth_queries(42, list.data(), n, qs.data(), kQueries);
    std::printf("bench-faiss: n=%llu, %zu queries (FAISS multihash on %llu, flat on %llu), r<=%d\n",
                n, kQueries, fq, fq / 10, kRadius);

    long rss0 = rss_kib();
    lm_index *ix = nullptr;
    double t0 = now();
    if (lm_index_build(list.data(), n, int(threads), &ix) != LM_OK)
        return 1;
    std::printf("libmatch: build %.3f s, %.1f bytes/entry (RSS +%.1f bytes/entry)\n", now() - t0,
                double(lm_index_memory_bytes(ix)) / double(n),
                double(rss_kib() - rss0) * 1024.0 / double(n));

    const uint8_t *codes = reinterpret_cast<const uint8_t *>(list.data());
    rss0 = rss_kib();
    faiss::IndexBinaryFlat flat(256);
    t0 = now();
    flat.add(faiss::Index::idx_t(n), codes);
    std::printf("faiss flat: add %.3f s, RSS +%.1f bytes/entry\n", now() - t0,
                double(rss_kib() - rss0) * 1024.0 / double(n));
    rss0 = rss_kib();
    faiss::IndexBinaryMultiHash mh(256, 16, 16);
    mh.nflip = 1;
    t0 = now();
    mh.add(faiss::Index::idx_t(n), codes);
    std::printf("faiss multihash(16x16, nflip=1): add %.3f s, RSS +%.1f bytes/entry\n", now() - t0,
                double(rss_kib() - rss0) * 1024.0 / double(n));

    for (int t : {1, int(threads)}) {
        Result ours_all = run_libmatch(ix, qs.data(), kQueries, t);
        Result ours_mh = run_libmatch(ix, qs.data(), size_t(fq), t);
        Result ours_flat = run_libmatch(ix, qs.data(), size_t(fq / 10), t);
        Result mhr = run_faiss(mh, qs.data(), size_t(fq), t);
        Result flr = run_faiss(flat, qs.data(), size_t(fq / 10), t);
        std::printf("%d thread(s): libmatch %.0f q/s (all %zu queries, %zu hits)\n", t,
                    ours_all.qps, kQueries, ours_all.hits);
        std::printf("  multihash: %.1f q/s, %zu hits (libmatch %zu, %.0f q/s on the same): "
                    "libmatch is %.1fx faster; per CPU-s %.1f vs %.0f: %.1fx\n",
                    mhr.qps, mhr.hits, ours_mh.hits, ours_mh.qps, ours_mh.qps / mhr.qps,
                    mhr.cpu_qps, ours_mh.cpu_qps, ours_mh.cpu_qps / mhr.cpu_qps);
        std::printf("  flat:      %.1f q/s, %zu hits (libmatch %zu, %.0f q/s on the same): "
                    "libmatch is %.0fx faster; per CPU-s %.1f vs %.0f: %.0fx\n",
                    flr.qps, flr.hits, ours_flat.hits, ours_flat.qps, ours_flat.qps / flr.qps,
                    flr.cpu_qps, ours_flat.cpu_qps, ours_flat.cpu_qps / flr.cpu_qps);
        if (threads == 1)
            break;
    }
    lm_index_free(ix);
    return 0;
}
