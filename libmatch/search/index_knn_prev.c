/*
 * The two previous releases' k-NN, kept as bench-search's baselines (and
 * tested against brute force like the current one, index_knn.c).
 *
 * lm_index_knn_rings: multi-index hashing with a growing key radius.
 *
 * Ring rho probes, in every table t, the keys at exactly rho bits from the
 * query's key. After ring rho, every entry not yet seen differs from the query
 * by more than rho bits in each of the sixteen words, so it is at least
 * 16 (rho + 1) away: once the k best found so far are closer than that, they
 * are the k nearest (pigeonhole stopping bound). An entry is reported only at
 * its first (ring, table) - the smallest key distance over the tables, then
 * the first table with it - so none is counted twice, and a reported entry is
 * at least 15 rho + (its next word's distance) away, which the stored next
 * words test before any hash is read. When the next ring would cost more than
 * a scan of the whole list (a query far from everything: its nearest random
 * neighbour is ~85 bits away), a SIMD scan with a bounded heap answers.
 */
#include "hit_sink.h"
#include "index_internal.h"

/* Entries scanned per kernel call. */
#define SCAN_CHUNK 1024
#define CAND_BATCH 256
#define FILTER_CHUNK 1024
#define PROBE_BATCH 64

/* Costs as index_plan.c (rough ns; only ratios matter). */
#define COST_PROBE 30.0
#define COST_FILTER 0.15
#define COST_SCAN 2.5
#define COST_GATHER 25.0 /* one candidate that passed the next-word test: its hash from memory */

/* Full scan keeping the best s->cap within max_d; most entries fail the bound test. */
int lm_index_scan_knn(const lm_index *ix, const lm_pdq_hash *q, int max_d, lm_hit_sink *s)
{
    uint16_t dist[SCAN_CHUNK];
    int bound = max_d;
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        if (lm_ix_touch(ix, ix->hashes + b, len * sizeof *ix->hashes))
            return -1;
        ix->kern->dist_many(q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++) {
            if (dist[j] > bound)
                continue;
            lm_hit_sink_push(s, (uint32_t)(b + j), dist[j]);
            if (s->len == s->cap)
                bound = s->hits[0].distance; /* the worst kept hit */
        }
    }
    return 0;
}

/*
 * The scan that finishes a growing-radius search stopped before ring rho:
 * entries whose smallest key distance is below rho were already offered to
 * the sink (kept, or farther than the bound), so only the others are pushed.
 */
static int scan_rest(const lm_index *ix, const lm_pdq_hash *q, int rho, int max_d, lm_hit_sink *s)
{
    uint16_t dist[SCAN_CHUNK], qw[LM_MIH_BOXES];
    const uint16_t kmask = (uint16_t)((1u << ix->key_bits) - 1);
    for (int i = 0; i < LM_MIH_BOXES; i++)
        qw[i] = lm_box(q, i);
    int bound = s->len == s->cap && s->hits[0].distance < max_d ? s->hits[0].distance : max_d;
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        if (lm_ix_touch(ix, ix->hashes + b, len * sizeof *ix->hashes))
            return -1;
        ix->kern->dist_many(q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++) {
            if (dist[j] > bound)
                continue;
            const lm_pdq_hash *h = &ix->hashes[b + j];
            int seen = 0;
            for (int t = 0; t < LM_MIH_BOXES && !seen; t++)
                seen = __builtin_popcount((unsigned)((lm_box(h, t) ^ qw[t]) & kmask)) < rho;
            if (seen)
                continue;
            lm_hit_sink_push(s, (uint32_t)(b + j), dist[j]);
            if (s->len == s->cap && s->hits[0].distance < bound)
                bound = s->hits[0].distance;
        }
    }
    return 0;
}

typedef struct knn_ctx {
    const lm_index *ix;
    const lm_pdq_hash *q;
    uint16_t qw[LM_MIH_BOXES];
    uint16_t kmask;
    int rho, max_d, bad;
    lm_hit_sink *sink;
    size_t np, nc;
    uint32_t pkey[PROBE_BATCH], pbegin[PROBE_BATCH], pend[PROBE_BATCH];
    uint8_t ptab[PROBE_BATCH];
    uint32_t cidx[CAND_BATCH];
    uint8_t ctab[CAND_BATCH];
} knn_ctx;

/* Largest distance a new hit may have and still be kept. */
static inline int knn_bound(const knn_ctx *c)
{
    const lm_hit_sink *s = c->sink;
    int b = s->len == s->cap ? s->hits[0].distance : c->max_d;
    return b < c->max_d ? b : c->max_d;
}

static void knn_flush_candidates(knn_ctx *c)
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
        if (dist[j] > knn_bound(c))
            continue;
        /* first (ring, table) rule: no table closer than rho, none before ctab at rho */
        const lm_pdq_hash *h = &ix->hashes[pos[j]];
        int first = 1;
        for (int t = 0; t < LM_MIH_BOXES && first; t++) {
            int kd = __builtin_popcount((unsigned)((lm_box(h, t) ^ c->qw[t]) & c->kmask));
            first = kd > c->rho || (kd == c->rho && t >= c->ctab[j]);
        }
        if (first)
            lm_hit_sink_push(c->sink, pos[j], dist[j]);
    }
    c->nc = 0;
}

static void knn_filter(knn_ctx *c, int t, uint32_t begin, uint32_t end)
{
    const lm_index *ix = c->ix;
    if (begin == end || c->bad)
        return;
    if (lm_ix_touch(ix, ix->next[t] + begin, (size_t)(end - begin) * sizeof(uint16_t))) {
        c->bad = 1;
        return;
    }
    const uint16_t qn = c->qw[(t + 1) % LM_MIH_BOXES];
    uint32_t idx[FILTER_CHUNK];
    for (uint32_t b = begin; b < end;) {
        size_t len = end - b < FILTER_CHUNK ? end - b : FILTER_CHUNK;
        /* a reported entry is >= 15 rho + d(next) away (every other word >= rho) */
        int maxd = knn_bound(c) - 15 * c->rho;
        if (maxd < 0)
            return;
        size_t m = ix->kern->filter16(ix->next[t] + b, len, qn, maxd > 16 ? 16 : maxd, idx);
        for (size_t j = 0; j < m; j++) {
            if (c->nc == CAND_BATCH)
                knn_flush_candidates(c);
            if (c->bad)
                return;
            c->cidx[c->nc] = b + idx[j];
            c->ctab[c->nc++] = (uint8_t)t;
        }
        b += (uint32_t)len;
    }
}

static void knn_flush_probes(knn_ctx *c)
{
    const lm_index *ix = c->ix;
    for (size_t i = 0; i < c->np; i++)
        __builtin_prefetch(&ix->offsets[c->ptab[i]][c->pkey[i]]);
    for (size_t i = 0; i < c->np; i++) {
        c->pbegin[i] = ix->offsets[c->ptab[i]][c->pkey[i]];
        c->pend[i] = ix->offsets[c->ptab[i]][c->pkey[i] + 1];
        const char *run = (const char *)(ix->next[c->ptab[i]] + c->pbegin[i]);
        size_t bytes = (c->pend[i] - c->pbegin[i]) * sizeof(uint16_t);
        for (size_t o = 0; o < bytes && o < 8 * 64; o += 64)
            __builtin_prefetch(run + o);
    }
    for (size_t i = 0; i < c->np; i++)
        knn_filter(c, c->ptab[i], c->pbegin[i], c->pend[i]);
    c->np = 0;
}

static inline void knn_probe(knn_ctx *c, int t, uint32_t key)
{
    if (c->np == PROBE_BATCH)
        knn_flush_probes(c);
    c->ptab[c->np] = (uint8_t)t;
    c->pkey[c->np++] = key;
}

static inline uint32_t next_combination(uint32_t v)
{
    uint32_t t = v | (v - 1);
    return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctz(v) + 1));
}

static double binom(int n, int k)
{
    double r = 1;
    for (int i = 1; i <= k; i++)
        r = r * (n - k + i) / i;
    return r;
}

/*
 * The share of a bucket's entries whose next 16-bit word is within maxd of the
 * query's (random words): each such entry costs a hash read. Without this the
 * model missed that a large k-th distance lets every bucket entry through.
 */
static double next_pass(int maxd)
{
    if (maxd < 0)
        return 0;
    if (maxd >= 16)
        return 1;
    double c = 1, sum = 0;
    for (int i = 0; i <= maxd; i++) {
        sum += c;
        c = c * (16 - i) / (i + 1);
    }
    return sum / 65536.0;
}

/* The k nearest within max_d; 0, or -1 on a damaged block. */
static int mih_knn(const lm_index *ix, const lm_pdq_hash *q, int max_d, lm_hit_sink *s)
{
    knn_ctx c;
    c.ix = ix;
    c.q = q;
    c.kmask = (uint16_t)((1u << ix->key_bits) - 1);
    c.max_d = max_d;
    c.bad = 0;
    c.sink = s;
    c.np = c.nc = 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        c.qw[i] = lm_box(q, i);
    const int w = (int)ix->key_bits;
    const double bucket = (double)ix->n / (double)((size_t)1 << w);
    const double scan = (double)ix->n * COST_SCAN;
    for (int rho = 0; rho <= w; rho++) {
        /* unseen entries are >= 16 rho away */
        const int bound = knn_bound(&c);
        if (16 * rho > bound)
            break;
        /* the rings still needed at this bound, against a scan of what is left */
        double rest = 0;
        for (int r = rho; r <= w && 16 * r <= bound; r++)
            rest += LM_MIH_BOXES * binom(w, r) *
                    (COST_PROBE + bucket * (COST_FILTER + next_pass(bound - 15 * r) * COST_GATHER));
        if (rho > 0 && rest > scan)
            return scan_rest(ix, q, rho, max_d, s);
        c.rho = rho;
        for (int t = 0; t < LM_MIH_BOXES && !c.bad; t++) {
            uint32_t qk = c.qw[t] & c.kmask;
            if (rho == 0) {
                knn_probe(&c, t, qk);
                continue;
            }
            for (uint32_t m = (1u << rho) - 1; m <= c.kmask; m = next_combination(m)) {
                knn_probe(&c, t, qk ^ m);
                if (rho == w)
                    break; /* the only mask of w bits (Gosper's next would overflow the key) */
            }
        }
        knn_flush_probes(&c);
        if (c.nc && !c.bad)
            knn_flush_candidates(&c);
        if (c.bad)
            return -1;
    }
    return 0;
}

lm_status lm_index_knn_rings(const lm_index *ix, const lm_pdq_hash *q, int k, int max_distance,
                             lm_search_hit *hits, size_t *found)
{
    if (!ix || !q || !found || k < 0 || (!hits && k > 0) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES)
        return LM_E_INVALID_ARG;
    size_t want = (size_t)k < ix->n ? (size_t)k : ix->n;
    *found = 0;
    if (want == 0)
        return LM_OK;
    lm_hit_sink s;
    lm_hit_sink_init(&s, hits, want);
    int bad = lm_index_plan(ix, LM_SEARCH_DEFAULT_DISTANCE) == LM_SEARCH_MIH
                  ? mih_knn(ix, q, max_distance, &s)
                  : lm_index_scan_knn(ix, q, max_distance, &s);
    if (bad)
        return LM_E_DB;
    lm_hit_sink_finish(&s);
    *found = s.len;
    return LM_OK;
}

/* The k-NN of the previous release, kept as bench-search's baseline: range
 * searches at radii 7, 15, 31 until one holds k entries, else a full scan. */
lm_status lm_index_knn_radii(const lm_index *ix, const lm_pdq_hash *q, int k, lm_search_hit *hits,
                             size_t *found)
{
    static const int radii[] = {7, 15, 31};
    if (!ix || !q || !found || k < 0 || (!hits && k > 0))
        return LM_E_INVALID_ARG;
    size_t want = (size_t)k < ix->n ? (size_t)k : ix->n;
    *found = 0;
    if (want == 0)
        return LM_OK;
    lm_hit_sink s;
    if (want < ix->n) {
        for (size_t i = 0; i < sizeof radii / sizeof radii[0]; i++) {
            if (lm_index_plan(ix, radii[i]) != LM_SEARCH_MIH)
                continue;
            lm_hit_sink_init(&s, hits, want);
            if (lm_index_mih_range(ix, q, radii[i], &s))
                return LM_E_DB;
            if (s.total >= want) {
                lm_hit_sink_finish(&s);
                *found = want;
                return LM_OK;
            }
        }
    }
    lm_hit_sink_init(&s, hits, want);
    if (lm_index_scan_knn(ix, q, 8 * LM_PDQ_BYTES, &s))
        return LM_E_DB;
    lm_hit_sink_finish(&s);
    *found = want;
    return LM_OK;
}
