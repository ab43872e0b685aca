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
/* Buckets whose memory is requested together before any is read, so that
 * their cache misses overlap instead of following one another. */
#define PROBE_BATCH 64

typedef struct probe {
    uint32_t key, begin, end;
    uint8_t table, maxd;
} probe;

typedef struct query_ctx {
    const lm_index *ix;
    const lm_pdq_hash *q;
    uint16_t qw[LM_MIH_BOXES];
    uint16_t kmask;
    int r, t1, t2;
    lm_hit_sink *sink;
    int bad; /* a block of a mapped index failed its check: stop, report LM_E_DB */
    size_t nc, np;
    uint32_t cidx[CAND_BATCH]; /* index into pos[ctab] */
    uint8_t ctab[CAND_BATCH];
    probe probes[PROBE_BATCH];
} query_ctx;

/* Would table t have produced entry h? (the same test the probe loop applies) */
static int table_finds(const query_ctx *c, const lm_pdq_hash *h, int t)
{
    int kd = __builtin_popcount((unsigned)((lm_box(h, t) ^ c->qw[t]) & c->kmask));
    if (kd > c->t1)
        return 0;
    int nd = __builtin_popcount(
        (unsigned)(lm_box(h, (t + 1) % LM_MIH_BOXES) ^ c->qw[(t + 1) % LM_MIH_BOXES]));
    return kd + nd <= c->t2;
}

/* Verifies the queued candidates: full distance, then first-table rule. */
static void flush_candidates(query_ctx *c)
{
    const lm_index *ix = c->ix;
    uint32_t pos[CAND_BATCH];
    uint16_t dist[CAND_BATCH];
    for (size_t j = 0; j < c->nc; j++)
        __builtin_prefetch(&ix->pos[c->ctab[j]][c->cidx[j]]);
    for (size_t j = 0; j < c->nc; j++) {
        const uint32_t *pp = &ix->pos[c->ctab[j]][c->cidx[j]];
        if (lm_ix_touch(ix, pp, sizeof *pp) || lm_ix_touch(ix, &ix->hashes[*pp], 32)) {
            c->bad = 1;
            c->nc = 0;
            return;
        }
        pos[j] = *pp;
    }
    ix->kern->dist_gather(c->q, ix->hashes, pos, c->nc, dist);
    for (size_t j = 0; j < c->nc; j++) {
        if (dist[j] > c->r)
            continue;
        const lm_pdq_hash *h = &ix->hashes[pos[j]];
        int first = 1;
        for (int t = 0; t < c->ctab[j] && first; t++)
            first = !table_finds(c, h, t);
        if (first)
            lm_hit_sink_push(c->sink, pos[j], dist[j]);
    }
    c->nc = 0;
}

/* Filters one bucket by the next word and queues the survivors. */
static void filter_bucket(query_ctx *c, const probe *p)
{
    const lm_index *ix = c->ix;
    const uint16_t qn = c->qw[(p->table + 1) % LM_MIH_BOXES];
    uint32_t idx[FILTER_CHUNK];
    if (c->bad || lm_ix_touch(ix, ix->next[p->table] + p->begin,
                              (size_t)(p->end - p->begin) * sizeof(uint16_t))) {
        c->bad = 1;
        return;
    }
    for (uint32_t b = p->begin; b < p->end;) {
        size_t len = p->end - b < FILTER_CHUNK ? p->end - b : FILTER_CHUNK;
        size_t m = ix->kern->filter16(ix->next[p->table] + b, len, qn, p->maxd, idx);
        for (size_t j = 0; j < m; j++) {
            if (c->nc == CAND_BATCH)
                flush_candidates(c);
            if (c->bad)
                return;
            c->cidx[c->nc] = b + idx[j];
            c->ctab[c->nc++] = p->table;
        }
        b += (uint32_t)len;
    }
}

/* Runs the queued probes in three passes: bucket bounds requested, bucket
 * starts requested, buckets filtered. */
static void flush_probes(query_ctx *c)
{
    const lm_index *ix = c->ix;
    for (size_t i = 0; i < c->np; i++)
        __builtin_prefetch(&ix->offsets[c->probes[i].table][c->probes[i].key]);
    for (size_t i = 0; i < c->np; i++) {
        probe *p = &c->probes[i];
        p->begin = ix->offsets[p->table][p->key];
        p->end = ix->offsets[p->table][p->key + 1];
        /* the whole next-word run (up to 8 lines): the filter reads all of it */
        const char *run = (const char *)(ix->next[p->table] + p->begin);
        size_t bytes = (p->end - p->begin) * sizeof(uint16_t);
        for (size_t o = 0; o < bytes && o < 8 * 64; o += 64)
            __builtin_prefetch(run + o);
    }
    for (size_t i = 0; i < c->np; i++)
        filter_bucket(c, &c->probes[i]);
    c->np = 0;
}

static void add_probe(query_ctx *c, int t, uint32_t key, int maxd)
{
    if (c->np == PROBE_BATCH)
        flush_probes(c);
    probe *p = &c->probes[c->np++];
    p->key = key;
    p->table = (uint8_t)t;
    p->maxd = (uint8_t)maxd;
}

/* Next integer with the same number of set bits (Gosper's hack). */
static inline uint32_t next_combination(uint32_t v)
{
    uint32_t t = v | (v - 1);
    return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctz(v) + 1));
}

int lm_index_mih_range(const lm_index *ix, const lm_pdq_hash *q, int r, lm_hit_sink *s)
{
    if (ix->n == 0)
        return 0;
    query_ctx c;
    c.ix = ix;
    c.q = q;
    c.kmask = (uint16_t)((1u << ix->key_bits) - 1);
    c.r = r;
    c.t1 = r / LM_MIH_BOXES;
    c.t2 = 2 * r / LM_MIH_BOXES;
    c.sink = s;
    c.bad = 0;
    c.nc = 0;
    c.np = 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        c.qw[i] = lm_box(q, i);

    const int w = (int)ix->key_bits;
    for (int t = 0; t < LM_MIH_BOXES; t++) {
        uint32_t qk = c.qw[t] & c.kmask;
        add_probe(&c, t, qk, c.t2);
        /* every key at distance dk from qk, by enumerating the flip masks */
        for (int dk = 1; dk <= c.t1 && dk <= w; dk++)
            for (uint32_t m = (1u << dk) - 1; m <= c.kmask; m = next_combination(m))
                add_probe(&c, t, qk ^ m, c.t2 - dk);
    }
    flush_probes(&c);
    if (c.nc && !c.bad)
        flush_candidates(&c);
    return c.bad ? -1 : 0;
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
    }
    return 0;
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
    return LM_OK;
}

lm_status lm_index_range(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                         lm_search_hit *hits, size_t cap, size_t *found)
{
    return lm_index_range_with(ix, q, max_distance, LM_SEARCH_AUTO, hits, cap, found);
}
