/* The probe pipeline of the table searches (see index_probe.h). */
#include "index_probe.h"

/* Candidates ahead whose position is requested while one is read. */
#define POS_AHEAD 12
/* Probes ahead whose bucket bounds, and then whose next words, are requested
 * while the current bucket is filtered. */
#define OFF_AHEAD 16
#define RUN_AHEAD 8

void lm_probes_init(lm_probes *p, const lm_index *ix, const lm_pdq_hash *q, lm_probe_accept accept)
{
    p->ix = ix;
    p->q = q;
    p->kmask = (uint16_t)((1u << ix->key_bits) - 1);
    p->bad = 0;
    p->accept = accept;
    p->np = p->nc = 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        p->qw[i] = lm_box(q, i);
}

/* Gathers the queued candidates' hashes and hands them over. */
static void flush_candidates(lm_probes *p)
{
    const lm_index *ix = p->ix;
    uint32_t pos[LM_CAND_ROOM];
    uint16_t dist[LM_CAND_ROOM];
    for (size_t j = 0; j < p->nc && j < POS_AHEAD; j++)
        __builtin_prefetch(&ix->pos[p->ctab[j]][p->cidx[j]]);
    for (size_t j = 0; j < p->nc; j++) {
        if (j + POS_AHEAD < p->nc)
            __builtin_prefetch(&ix->pos[p->ctab[j + POS_AHEAD]][p->cidx[j + POS_AHEAD]]);
        const uint32_t *pp = &ix->pos[p->ctab[j]][p->cidx[j]];
        if (lm_ix_touch(ix, pp, sizeof *pp) || lm_ix_touch(ix, &ix->hashes[*pp], 32)) {
            p->bad = 1;
            p->nc = 0;
            return;
        }
        pos[j] = *pp;
        __builtin_prefetch(&ix->hashes[pos[j]]);
    }
    ix->kern->dist_gather(p->q, ix->hashes, pos, p->nc, dist);
    const size_t n = p->nc;
    p->nc = 0;
    p->accept(p, pos, dist, p->ctab, n);
}

/* Filters one bucket by its next words and queues the candidates. */
static void filter(lm_probes *p, const lm_probe *b)
{
    const lm_index *ix = p->ix;
    if (b->begin == b->end || p->bad)
        return;
    const uint16_t *next = ix->next[b->table];
    if (lm_ix_touch(ix, next + b->begin, (size_t)(b->end - b->begin) * sizeof(uint16_t))) {
        p->bad = 1;
        return;
    }
    const uint16_t qn = p->qw[(b->table + 1) % LM_MIH_BOXES];
    for (uint32_t s = b->begin; s < b->end;) {
        size_t len = b->end - s < LM_FILTER_CHUNK ? b->end - s : LM_FILTER_CHUNK;
        /* nc < LM_CAND_BATCH here, so the kernel has room for len more */
        size_t m = ix->kern->filter16(next + s, len, qn, b->lo, b->hi, s, p->cidx + p->nc);
        memset(p->ctab + p->nc, b->table, m);
        p->nc += m;
        if (p->nc >= LM_CAND_BATCH) {
            flush_candidates(p);
            if (p->bad)
                return;
        }
        s += (uint32_t)len;
    }
}

/* Reads a probe's bucket bounds and requests its next words (up to 8 lines). */
static inline void probe_bounds(const lm_index *ix, lm_probe *b)
{
    b->begin = ix->offsets[b->table][b->key];
    b->end = ix->offsets[b->table][b->key + 1];
    if (b->end == b->begin)
        return;
    const uint16_t *next = ix->next[b->table];
    const uintptr_t first = (uintptr_t)(next + b->begin) & ~(uintptr_t)63,
                    last = (uintptr_t)(next + b->end - 1) & ~(uintptr_t)63;
    for (uintptr_t line = first; line <= last && line < first + 8 * 64; line += 64)
        __builtin_prefetch((const void *)line);
}

static void flush_probes(lm_probes *p)
{
    const lm_index *ix = p->ix;
    const size_t np = p->np;
    for (size_t i = 0; i < np && i < OFF_AHEAD; i++)
        __builtin_prefetch(&ix->offsets[p->probes[i].table][p->probes[i].key]);
    for (size_t i = 0; i < np && i < RUN_AHEAD; i++)
        probe_bounds(ix, &p->probes[i]);
    for (size_t i = 0; i < np; i++) {
        if (i + OFF_AHEAD < np)
            __builtin_prefetch(
                &ix->offsets[p->probes[i + OFF_AHEAD].table][p->probes[i + OFF_AHEAD].key]);
        if (i + RUN_AHEAD < np)
            probe_bounds(ix, &p->probes[i + RUN_AHEAD]);
        filter(p, &p->probes[i]);
    }
    p->np = 0;
}

static inline void add_probe(lm_probes *p, int t, uint32_t key, int lo, int hi)
{
    if (p->np == LM_PROBE_BATCH)
        flush_probes(p);
    lm_probe *b = &p->probes[p->np++];
    b->table = (uint8_t)t;
    b->key = key;
    b->lo = (int8_t)lo;
    b->hi = (int8_t)hi;
}

/* Next integer with the same number of set bits (Gosper's hack). */
static inline uint32_t next_combination(uint32_t v)
{
    uint32_t t = v | (v - 1);
    return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctz(v) + 1));
}

void lm_probes_ring(lm_probes *p, int t, int dk, int lo, int hi)
{
    const uint32_t qk = p->qw[t] & p->kmask;
    if (dk == 0) {
        add_probe(p, t, qk, lo, hi);
        return;
    }
    /* every key at distance dk from qk, by enumerating the flip masks */
    for (uint32_t m = (1u << dk) - 1; m <= p->kmask; m = next_combination(m))
        add_probe(p, t, qk ^ m, lo, hi);
}

void lm_probes_flush(lm_probes *p)
{
    flush_probes(p);
    if (p->nc && !p->bad)
        flush_candidates(p);
}
