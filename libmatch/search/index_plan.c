/*
 * Cost model choosing between the hash tables and a plain SIMD scan for a
 * radius. Above r = 47 each table needs hundreds of probes per key and a
 * scan wins; for small lists a scan of a few thousand hashes in cache beats
 * sixteen tables of probes. The constants are rough nanosecond costs measured
 * with bench-search on one AVX-512 core; only their ratios matter.
 */
#include "index_internal.h"

#define COST_PROBE 30.0      /* one bucket: offset read + first cache miss */
#define COST_FILTER 0.15     /* one next-word test in a bucket */
#define COST_GATHER 25.0     /* one candidate's 32-byte hash from memory */
#define COST_SCAN_CACHED 0.4 /* one hash of a scan that fits in cache */
#define COST_SCAN_MEMORY 2.5 /* one hash of a scan streaming from DRAM */
#define CACHED_BYTES (8u << 20)

static double binom(int n, int k)
{
    double c = 1;
    for (int i = 1; i <= k; i++)
        c = c * (n - k + i) / i;
    return c;
}

/* Fraction of 16-bit words within distance x of a fixed word. */
static double within16(int x)
{
    double s = 0;
    for (int i = 0; i <= x && i <= 16; i++)
        s += binom(16, i);
    return s / 65536.0;
}

lm_search_strategy lm_index_plan(const lm_index *ix, int max_distance)
{
    if (!ix || ix->n == 0)
        return LM_SEARCH_SCAN;
    const int w = (int)ix->key_bits, t1 = max_distance / LM_MIH_BOXES,
              t2 = 2 * max_distance / LM_MIH_BOXES;
    const double bucket = (double)ix->n / (double)((size_t)1 << w);
    double probes = 0, cands = 0;
    for (int dk = 0; dk <= t1 && dk <= w; dk++) {
        double c = binom(w, dk);
        probes += c;
        cands += c * bucket * within16(t2 - dk);
    }
    double mih =
        LM_MIH_BOXES * (probes * (COST_PROBE + bucket * COST_FILTER) + cands * COST_GATHER);
    double per = ix->n * sizeof(lm_pdq_hash) <= CACHED_BYTES ? COST_SCAN_CACHED : COST_SCAN_MEMORY;
    return mih < (double)ix->n * per ? LM_SEARCH_MIH : LM_SEARCH_SCAN;
}
