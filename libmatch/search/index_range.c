/*
 * Exact range search by multi-index hashing with a pigeonring filter.
 *
 * Why it is exact: cut the 256 bits into the 16 words (boxes) and let d_i be
 * the distance on word i, so sum d_i <= r for a match. The pigeonring
 * principle (Qin & Xiao, VLDB 2018) gives a box i, in ring order, with
 *     d_i <= floor(r/16)   and   d_i + d_{i+1} <= floor(2r/16).
 * Table i is keyed by (part of) word i: probing every key within t1 =
 * floor(r/16) of the query's key finds all entries meeting the first
 * condition (key distance <= d_i), and the stored next word rejects those that
 * fail the second before their 32-byte hash is read. At r = 31 this keeps
 * about 1 candidate in 200; the survivors get a full SIMD distance.
 *
 * An entry can pass in several tables; it is reported only by the first table
 * whose test it passes, so every match is counted exactly once with no set.
 * The probes and the candidates' hash reads run in index_probe.c, shared
 * with the k-NN.
 */
#include "hit_sink.h"
#include "index_probe.h"

typedef struct query_ctx {
    lm_probes run; /* first: the accept function gets &run */
    int r, t1, t2;
    lm_hit_sink *sink;
} query_ctx;

/* Would table t have produced entry h? (the same test the probes apply) */
static int table_finds(const query_ctx *c, const lm_pdq_hash *h, int t)
{
    const uint16_t *qw = c->run.qw;
    int kd = __builtin_popcount((unsigned)((lm_box(h, t) ^ qw[t]) & c->run.kmask));
    if (kd > c->t1)
        return 0;
    int nd = __builtin_popcount(
        (unsigned)(lm_box(h, (t + 1) % LM_MIH_BOXES) ^ qw[(t + 1) % LM_MIH_BOXES]));
    return kd + nd <= c->t2;
}

/* Keeps the candidates within r that no earlier table found. */
static void accept(lm_probes *run, const uint32_t *pos, const uint16_t *dist, const uint8_t *table,
                   size_t n)
{
    query_ctx *c = (query_ctx *)run;
    for (size_t j = 0; j < n; j++) {
        if (dist[j] > c->r) {
            lm_hit_sink_note_beyond(c->sink, dist[j]);
            continue;
        }
        const lm_pdq_hash *h = &run->ix->hashes[pos[j]];
        int first = 1;
        for (int t = 0; t < table[j] && first; t++)
            first = !table_finds(c, h, t);
        if (first)
            lm_hit_sink_push(c->sink, pos[j], dist[j]);
    }
}

int lm_index_mih_range(const lm_index *ix, const lm_pdq_hash *q, int r, lm_hit_sink *s)
{
    if (ix->n == 0)
        return 0;
    query_ctx c;
    lm_probes_init(&c.run, ix, q, accept);
    c.r = r;
    c.t1 = r / LM_MIH_BOXES;
    c.t2 = 2 * r / LM_MIH_BOXES;
    c.sink = s;
    for (int t = 0; t < LM_MIH_BOXES; t++)
        for (int dk = 0; dk <= c.t1 && dk <= (int)ix->key_bits; dk++)
            lm_probes_ring(&c.run, t, dk, -1, c.t2 - dk);
    lm_probes_flush(&c.run);
    return c.run.bad ? -1 : 0;
}

/* Entries scanned per kernel call in the brute-force path. */
#define SCAN_CHUNK 1024

int lm_index_scan_range(const lm_index *ix, const lm_pdq_hash *q, int r, lm_hit_sink *s)
{
    uint16_t dist[SCAN_CHUNK];
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        if (lm_ix_touch(ix, ix->hashes + b, len * sizeof *ix->hashes))
            return -1;
        ix->kern->dist_many(q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++)
            if (dist[j] <= r)
                lm_hit_sink_push(s, (uint32_t)(b + j), dist[j]);
            else
                lm_hit_sink_note_beyond(s, dist[j]);
    }
    return 0;
}

/* lm_index_range_with, also giving the sink's near-miss hint (*beyond, may be NULL). */
static lm_status range_run(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                           lm_search_strategy strategy, lm_search_hit *hits, size_t cap,
                           size_t *found, int *beyond)
{
    if (!ix || !q || !found || (!hits && cap > 0) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES)
        return LM_E_INVALID_ARG;
    if (strategy == LM_SEARCH_AUTO)
        strategy = lm_index_plan(ix, max_distance);
    lm_hit_sink s;
    lm_hit_sink_init(&s, hits, cap);
    int bad;
    if (strategy == LM_SEARCH_MIH)
        bad = lm_index_mih_range(ix, q, max_distance, &s);
    else if (strategy == LM_SEARCH_SCAN)
        bad = lm_index_scan_range(ix, q, max_distance, &s);
    else
        return LM_E_INVALID_ARG;
    if (bad) {
        *found = 0; /* never a partial answer */
        return LM_E_DB;
    }
    lm_hit_sink_finish(&s);
    *found = s.total;
    if (beyond)
        *beyond = s.beyond;
    return LM_OK;
}

lm_status lm_index_range_with(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                              lm_search_strategy strategy, lm_search_hit *hits, size_t cap,
                              size_t *found)
{
    return range_run(ix, q, max_distance, strategy, hits, cap, found, NULL);
}

lm_status lm_index_range_near_miss(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                                   lm_search_strategy strategy, lm_search_hit *hits, size_t cap,
                                   size_t *found, int *beyond)
{
    if (!beyond)
        return LM_E_INVALID_ARG;
    *beyond = 257;
    return range_run(ix, q, max_distance, strategy, hits, cap, found, beyond);
}

lm_status lm_index_range(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                         lm_search_hit *hits, size_t cap, size_t *found)
{
    return lm_index_range_with(ix, q, max_distance, LM_SEARCH_AUTO, hits, cap, found);
}
