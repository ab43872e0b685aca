/*
 * Range search over alternative table layouts, emulated on a built lm_index,
 * for bench-search's memory/throughput comparison (not library code). Each
 * layout keeps the current access pattern and drops what it would not store:
 *
 *   LAY_CURRENT  16 tables, 16-bit key, pair filter on the full next word
 *   LAY_NO_NEXT  16 tables, no next word: every entry of a probed bucket is read
 *   LAY_NEXT8    16 tables, 8 bits of the next word (d8 <= d16: still exact)
 *   LAY_EIGHT    8 tables (words 0, 2, ..., 14) keyed by a word, the next word
 *                completing a 32-bit box: some box is within floor(r/8)
 *
 * All are exact (every entry within r is counted once, by the first table
 * whose test it passes); the bench checks the counts against lm_index_range.
 * The positions are read from the 32-bit arrays, so what a compressed
 * position would cost to decode is not in these figures.
 */
#ifndef LM_BENCH_SEARCH_LAYOUTS_H
#define LM_BENCH_SEARCH_LAYOUTS_H

#include "index_internal.h"

typedef enum layout { LAY_CURRENT, LAY_NO_NEXT, LAY_NEXT8, LAY_EIGHT, LAY_COUNT } layout;

#define LAY_PROBES 64
#define LAY_CANDS 256

typedef struct lay_ctx {
    const lm_index *ix;
    const lm_pdq_hash *q;
    layout L;
    int r, a, p, step;
    uint16_t qw[LM_MIH_BOXES], kmask;
    size_t found, np, nc;
    uint32_t pk[LAY_PROBES], pb[LAY_PROBES], pe[LAY_PROBES];
    uint8_t pt[LAY_PROBES], pmax[LAY_PROBES];
    uint32_t ci[LAY_CANDS];
    uint8_t ct[LAY_CANDS];
} lay_ctx;

static inline int lay_next_dist(const lay_ctx *c, uint16_t next, int t)
{
    uint16_t x = (uint16_t)(next ^ c->qw[(t + 1) % LM_MIH_BOXES]);
    switch (c->L) {
    case LAY_NO_NEXT: return 0;
    case LAY_NEXT8: return __builtin_popcount((unsigned)(x & 0xff));
    default: return __builtin_popcount((unsigned)x);
    }
}

/* Does table t's test pass entry h? */
static inline int lay_passes(const lay_ctx *c, const lm_pdq_hash *h, int t)
{
    int kd = __builtin_popcount((unsigned)((lm_box(h, t) ^ c->qw[t]) & c->kmask));
    return kd <= c->a && kd + lay_next_dist(c, lm_box(h, (t + 1) % LM_MIH_BOXES), t) <= c->p;
}

static void lay_flush_cands(lay_ctx *c)
{
    const lm_index *ix = c->ix;
    uint32_t pos[LAY_CANDS];
    uint16_t dist[LAY_CANDS];
    for (size_t j = 0; j < c->nc; j++)
        __builtin_prefetch(&ix->pos[c->ct[j]][c->ci[j]]);
    for (size_t j = 0; j < c->nc; j++)
        pos[j] = ix->pos[c->ct[j]][c->ci[j]];
    ix->kern->dist_gather(c->q, ix->hashes, pos, c->nc, dist);
    for (size_t j = 0; j < c->nc; j++) {
        if (dist[j] > c->r)
            continue;
        int first = 1;
        for (int u = 0; u < c->ct[j] && first; u += c->step)
            first = !lay_passes(c, &ix->hashes[pos[j]], u);
        c->found += first;
    }
    c->nc = 0;
}

static inline void lay_cand(lay_ctx *c, int t, uint32_t i)
{
    if (c->nc == LAY_CANDS)
        lay_flush_cands(c);
    c->ci[c->nc] = i;
    c->ct[c->nc++] = (uint8_t)t;
}

static void lay_flush_probes(lay_ctx *c)
{
    const lm_index *ix = c->ix;
    for (size_t i = 0; i < c->np; i++)
        __builtin_prefetch(&ix->offsets[c->pt[i]][c->pk[i]]);
    for (size_t i = 0; i < c->np; i++) {
        c->pb[i] = ix->offsets[c->pt[i]][c->pk[i]];
        c->pe[i] = ix->offsets[c->pt[i]][c->pk[i] + 1];
        const char *run = (const char *)(ix->next[c->pt[i]] + c->pb[i]);
        for (size_t o = 0; o < (c->pe[i] - c->pb[i]) * 2u && o < 8 * 64; o += 64)
            __builtin_prefetch(run + o);
    }
    uint32_t idx[1024];
    for (size_t i = 0; i < c->np; i++) {
        const int t = c->pt[i], maxd = c->pmax[i];
        const uint16_t *next = ix->next[t];
        const uint16_t qn = c->qw[(t + 1) % LM_MIH_BOXES];
        for (uint32_t b = c->pb[i]; b < c->pe[i];) {
            size_t len = c->pe[i] - b < 1024 ? c->pe[i] - b : 1024;
            if (c->L == LAY_NO_NEXT) {
                for (size_t j = 0; j < len; j++)
                    lay_cand(c, t, b + (uint32_t)j);
            } else if (c->L == LAY_NEXT8) {
                for (size_t j = 0; j < len; j++)
                    if (__builtin_popcount((unsigned)((next[b + j] ^ qn) & 0xff)) <= maxd)
                        lay_cand(c, t, b + (uint32_t)j);
            } else {
                size_t m = ix->kern->filter16(next + b, len, qn, -1, maxd, b, idx);
                for (size_t j = 0; j < m; j++)
                    lay_cand(c, t, idx[j]);
            }
            b += (uint32_t)len;
        }
    }
    c->np = 0;
}

static inline uint32_t lay_next_comb(uint32_t v)
{
    uint32_t t = v | (v - 1);
    return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctz(v) + 1));
}

/* The number of entries within r of q under layout L (exact). */
static size_t layout_range(const lm_index *ix, layout L, const lm_pdq_hash *q, int r)
{
    static lay_ctx c; /* one thread: keeps the big context off the stack */
    c.ix = ix;
    c.q = q;
    c.L = L;
    c.r = r;
    c.kmask = (uint16_t)((1u << ix->key_bits) - 1);
    c.step = L == LAY_EIGHT ? 2 : 1;
    c.a = L == LAY_EIGHT ? r / 8 : r / 16;
    c.p = L == LAY_EIGHT ? r / 8 : L == LAY_NO_NEXT ? r / 16 : 2 * r / 16;
    c.found = c.np = c.nc = 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        c.qw[i] = lm_box(q, i);
    const int w = (int)ix->key_bits;
    for (int t = 0; t < LM_MIH_BOXES; t += c.step) {
        uint32_t qk = c.qw[t] & c.kmask;
        for (int dk = 0; dk <= c.a && dk <= w; dk++) {
            int maxd = c.p - dk > 16 ? 16 : c.p - dk;
            for (uint32_t m = dk ? (1u << dk) - 1 : 0; m <= c.kmask;
                 m = dk ? lay_next_comb(m) : c.kmask + 1u) {
                if (c.np == LAY_PROBES)
                    lay_flush_probes(&c);
                c.pt[c.np] = (uint8_t)t;
                c.pk[c.np] = qk ^ m;
                c.pmax[c.np++] = (uint8_t)maxd;
                if (dk == w)
                    break;
            }
        }
    }
    lay_flush_probes(&c);
    lay_flush_cands(&c);
    return c.found;
}

/* Elias-Fano bits of one sorted bucket of b values below u. */
static inline double ef_bits(size_t b, size_t u)
{
    if (b == 0)
        return 0;
    unsigned l = 0;
    while (((size_t)1 << (l + 1)) <= u / b)
        l++;
    return (double)b * l + (double)b + (double)(u >> l) + 1;
}

/* Bytes per entry of the positions of `tables` tables (every step-th) as Elias-Fano
 * sequences per bucket, measured on ix's buckets. */
static double ef_bytes_per_entry(const lm_index *ix, int step)
{
    double bits = 0;
    size_t nkeys = (size_t)1 << ix->key_bits;
    for (int t = 0; t < LM_MIH_BOXES; t += step)
        for (size_t k = 0; k < nkeys; k++)
            bits += ef_bits(ix->offsets[t][k + 1] - ix->offsets[t][k], ix->n);
    return bits / 8 / (double)ix->n;
}

#endif
