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
 */
#include "hit_sink.h"
#include "index_internal.h"

/* Candidates verified per batch (gathered with prefetching). */
#define CAND_BATCH 256
/* Bucket slice filtered per kernel call. */
#define FILTER_CHUNK 1024

typedef struct query_ctx {
    const lm_index *ix;
    const lm_pdq_hash *q;
    uint16_t qw[LM_MIH_BOXES];
    uint16_t kmask;
    int r, t1, t2;
    lm_hit_sink *sink;
    size_t nc;
    uint32_t cpos[CAND_BATCH];
    uint8_t ctab[CAND_BATCH];
} query_ctx;

/* Would table t have produced entry h? (the same test the probe loop applies) */
static int table_finds(const query_ctx *c, const lm_pdq_hash *h, int t)
{
    int kd = __builtin_popcount((unsigned)((lm_box(h, t) ^ c->qw[t]) & c->kmask));
    if (kd > c->t1)
        return 0;
    int nd = __builtin_popcount((unsigned)(lm_box(h, (t + 1) % LM_MIH_BOXES) ^
                                           c->qw[(t + 1) % LM_MIH_BOXES]));
    return kd + nd <= c->t2;
}

static void flush(query_ctx *c)
{
    uint16_t dist[CAND_BATCH];
    const lm_index *ix = c->ix;
    ix->kern->dist_gather(c->q, ix->hashes, c->cpos, c->nc, dist);
    for (size_t j = 0; j < c->nc; j++) {
        if (dist[j] > c->r)
            continue;
        const lm_pdq_hash *h = &ix->hashes[c->cpos[j]];
        int first = 1;
        for (int t = 0; t < c->ctab[j] && first; t++)
            first = !table_finds(c, h, t);
        if (first)
            lm_hit_sink_push(c->sink, c->cpos[j], dist[j]);
    }
    c->nc = 0;
}

/* Filters bucket `key` of table t by the next word and queues the survivors. */
static void probe(query_ctx *c, int t, uint32_t key, int maxd)
{
    const lm_index *ix = c->ix;
    uint32_t b = ix->offsets[t][key], e = ix->offsets[t][key + 1];
    uint16_t qn = c->qw[(t + 1) % LM_MIH_BOXES];
    uint32_t idx[FILTER_CHUNK];
    while (b < e) {
        size_t len = e - b < FILTER_CHUNK ? e - b : FILTER_CHUNK;
        size_t m = ix->kern->filter16(ix->next[t] + b, len, qn, maxd, idx);
        for (size_t j = 0; j < m; j++) {
            if (c->nc == CAND_BATCH)
                flush(c);
            c->cpos[c->nc] = ix->pos[t][b + idx[j]];
            c->ctab[c->nc++] = (uint8_t)t;
        }
        b += (uint32_t)len;
    }
}

/* Next integer with the same number of set bits (Gosper's hack). */
static inline uint32_t next_combination(uint32_t v)
{
    uint32_t t = v | (v - 1);
    return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctz(v) + 1));
}

void lm_index_mih_range(const lm_index *ix, const lm_pdq_hash *q, int r, lm_hit_sink *s)
{
    if (ix->n == 0)
        return;
    query_ctx c;
    c.ix = ix;
    c.q = q;
    c.kmask = (uint16_t)((1u << ix->key_bits) - 1);
    c.r = r;
    c.t1 = r / LM_MIH_BOXES;
    c.t2 = 2 * r / LM_MIH_BOXES;
    c.sink = s;
    c.nc = 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        c.qw[i] = lm_box(q, i);

    const int w = (int)ix->key_bits;
    for (int t = 0; t < LM_MIH_BOXES; t++) {
        uint32_t qk = c.qw[t] & c.kmask;
        probe(&c, t, qk, c.t2);
        /* every key at distance dk from qk, by enumerating the flip masks */
        for (int dk = 1; dk <= c.t1 && dk <= w; dk++)
            for (uint32_t m = (1u << dk) - 1; m <= c.kmask; m = next_combination(m))
                probe(&c, t, qk ^ m, c.t2 - dk);
    }
    if (c.nc)
        flush(&c);
}

/* Entries scanned per kernel call in the brute-force path. */
#define SCAN_CHUNK 1024

void lm_index_scan_range(const lm_index *ix, const lm_pdq_hash *q, int r, lm_hit_sink *s)
{
    uint16_t dist[SCAN_CHUNK];
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        ix->kern->dist_many(q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++)
            if (dist[j] <= r)
                lm_hit_sink_push(s, (uint32_t)(b + j), dist[j]);
    }
}

lm_status lm_index_range_with(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                              lm_search_strategy strategy, lm_search_hit *hits, size_t cap,
                              size_t *found)
{
    if (!ix || !q || !found || (!hits && cap > 0) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES)
        return LM_E_INVALID_ARG;
    if (strategy == LM_SEARCH_AUTO)
        strategy = lm_index_plan(ix, max_distance);
    lm_hit_sink s;
    lm_hit_sink_init(&s, hits, cap);
    if (strategy == LM_SEARCH_MIH)
        lm_index_mih_range(ix, q, max_distance, &s);
    else if (strategy == LM_SEARCH_SCAN)
        lm_index_scan_range(ix, q, max_distance, &s);
    else
        return LM_E_INVALID_ARG;
    lm_hit_sink_finish(&s);
    *found = s.total;
    return LM_OK;
}

lm_status lm_index_range(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                         lm_search_hit *hits, size_t cap, size_t *found)
{
    return lm_index_range_with(ix, q, max_distance, LM_SEARCH_AUTO, hits, cap, found);
}
