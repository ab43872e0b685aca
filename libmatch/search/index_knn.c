/*
 * Exact k-nearest search: pigeonring stages over the multi-index tables.
 *
 * Stage j certifies a radius D (15, 31, 47, ... in steps of 16, capped by the
 * current k-th best and by max_distance): it probes, in every table t, the
 * keys within t1 = floor(D/16) of the query's word t and keeps the entries
 * whose next word brings the pair to at most t2 = floor(2D/16). By the
 * pigeonring principle (index_range.c) every entry within D passes in some
 * table, so once stage j is done and the k-th best is <= D the answer is
 * final. This is the range search's own filter, which is what makes it cheap:
 * at D = 31 about 7 candidates per table reach a hash read, where the
 * pigeonhole rings (every word >= rho, index_knn_prev.c) read every entry of
 * every probed bucket until rho is large.
 *
 * No entry is counted twice and no set is kept: an entry is offered only at
 * its first (stage, table) in which it passes (each stage's parameters are
 * recorded), and a stage's probes skip, bucket by bucket, the band of next
 * distances the previous stage already covered. Stage parameters only grow
 * (a stage runs only while the k-th best is above the radius certified so
 * far), so "passed in an earlier stage" is exactly the test of those
 * recorded parameters.
 *
 * Before each stage a cost model compares the stages still needed (up to
 * the k-th best found so far, or just the next one while fewer than k are
 * known) with a scan of the list; when the scan is cheaper it finishes the
 * search, offering only the entries no stage offered. For an unrelated query
 * the 10th neighbour of a random 256-bit hash among 10M is ~85 bits away,
 * where a scan is the cheapest exact method (README.md).
 */
#include "hit_sink.h"
#include "index_internal.h"

#define SCAN_CHUNK 1024
#define CAND_BATCH 256
#define FILTER_CHUNK 1024
#define PROBE_BATCH 64
#define MAX_STAGES 17

/* Costs as index_plan.c (rough ns; only ratios matter). */
#define COST_PROBE 30.0
#define COST_FILTER 0.15
#define COST_SCAN 2.5
#define COST_GATHER 25.0

/* One stage: per table t, key radius a[t] and pair radius p[t]; certifies radius d. */
typedef struct stage {
    int d;
    int8_t a[LM_MIH_BOXES], p[LM_MIH_BOXES];
} stage;

typedef struct sprobe {
    uint32_t key, begin, end;
    uint8_t table;
    int8_t lo, hi; /* next-word distances in (lo, hi] are new in this stage */
} sprobe;

typedef struct sknn_ctx {
    const lm_index *ix;
    const lm_pdq_hash *q;
    uint16_t qw[LM_MIH_BOXES];
    uint16_t kmask;
    int max_d, bad;
    lm_hit_sink *sink;
    int cur; /* the running stage; st[0..cur] recorded */
    stage st[MAX_STAGES];
    size_t np, nc;
    sprobe probes[PROBE_BATCH];
    uint32_t cidx[CAND_BATCH];
    uint8_t ctab[CAND_BATCH];
} sknn_ctx;

/* Largest distance a new hit may have and still be kept. */
static inline int sknn_bound(const lm_hit_sink *s, int max_d)
{
    int b = s->len == s->cap ? s->hits[0].distance : max_d;
    return b < max_d ? b : max_d;
}

/* The per-table key distances (masked) and next-word distances of h. */
static inline void word_dists(const uint16_t *qw, uint16_t kmask, const lm_pdq_hash *h, int *kd,
                              int *nd)
{
    int d[LM_MIH_BOXES];
    for (int t = 0; t < LM_MIH_BOXES; t++) {
        uint16_t x = (uint16_t)(lm_box(h, t) ^ qw[t]);
        d[t] = __builtin_popcount(x);
        kd[t] = __builtin_popcount((unsigned)(x & kmask));
    }
    for (int t = 0; t < LM_MIH_BOXES; t++)
        nd[t] = d[(t + 1) % LM_MIH_BOXES];
}

static inline int passes(const int *kd, const int *nd, int t, const stage *s)
{
    return kd[t] <= s->a[t] && kd[t] + nd[t] <= s->p[t];
}

/* Did a stage before `cur`, or stage `cur` in a table before t, pass h? */
static int offered_before(const int *kd, const int *nd, const stage *st, int cur, int t)
{
    for (int j = 0; j < cur; j++)
        for (int u = 0; u < LM_MIH_BOXES; u++)
            if (passes(kd, nd, u, &st[j]))
                return 1;
    for (int u = 0; u < t; u++)
        if (passes(kd, nd, u, &st[cur]))
            return 1;
    return 0;
}

static void sknn_flush_candidates(sknn_ctx *c)
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
        if (dist[j] > sknn_bound(c->sink, c->max_d))
            continue;
        int kd[LM_MIH_BOXES], nd[LM_MIH_BOXES];
        word_dists(c->qw, c->kmask, &ix->hashes[pos[j]], kd, nd);
        if (!offered_before(kd, nd, c->st, c->cur, c->ctab[j]))
            lm_hit_sink_push(c->sink, pos[j], dist[j]);
    }
    c->nc = 0;
}

static void sknn_filter(sknn_ctx *c, const sprobe *p)
{
    const lm_index *ix = c->ix;
    if (p->begin == p->end || c->bad)
        return;
    const uint16_t *next = ix->next[p->table];
    if (lm_ix_touch(ix, next + p->begin, (size_t)(p->end - p->begin) * sizeof(uint16_t))) {
        c->bad = 1;
        return;
    }
    const uint16_t qn = c->qw[(p->table + 1) % LM_MIH_BOXES];
    uint32_t idx[FILTER_CHUNK];
    for (uint32_t b = p->begin; b < p->end;) {
        size_t len = p->end - b < FILTER_CHUNK ? p->end - b : FILTER_CHUNK;
        size_t m = ix->kern->filter16(next + b, len, qn, p->hi, idx);
        for (size_t j = 0; j < m; j++) {
            uint32_t e = b + idx[j];
            if (p->lo >= 0 && __builtin_popcount((unsigned)(next[e] ^ qn)) <= p->lo)
                continue; /* passed in this table at the previous stage */
            if (c->nc == CAND_BATCH)
                sknn_flush_candidates(c);
            if (c->bad)
                return;
            c->cidx[c->nc] = e;
            c->ctab[c->nc++] = p->table;
        }
        b += (uint32_t)len;
    }
}

static void sknn_flush_probes(sknn_ctx *c)
{
    const lm_index *ix = c->ix;
    for (size_t i = 0; i < c->np; i++) {
        sprobe *p = &c->probes[i];
        p->begin = ix->offsets[p->table][p->key];
        p->end = ix->offsets[p->table][p->key + 1];
        const char *run = (const char *)(ix->next[p->table] + p->begin);
        size_t bytes = (p->end - p->begin) * sizeof(uint16_t);
        for (size_t o = 0; o < bytes && o < 8 * 64; o += 64)
            __builtin_prefetch(run + o);
    }
    for (size_t i = 0; i < c->np; i++)
        sknn_filter(c, &c->probes[i]);
    c->np = 0;
}

static inline void sknn_probe(sknn_ctx *c, int t, uint32_t key, int lo, int hi)
{
    if (c->np == PROBE_BATCH)
        sknn_flush_probes(c);
    /* the bucket bounds are requested now, a batch before they are read */
    __builtin_prefetch(&c->ix->offsets[t][key]);
    sprobe *p = &c->probes[c->np++];
    p->table = (uint8_t)t;
    p->key = key;
    p->lo = (int8_t)lo;
    p->hi = (int8_t)hi;
}

static inline uint32_t next_combination(uint32_t v)
{
    uint32_t t = v | (v - 1);
    return (t + 1) | (((~t & (t + 1)) - 1) >> (__builtin_ctz(v) + 1));
}

/* Words of 16 bits within x of a fixed one (cumulative binomials of 16). */
static const double within16_count[17] = {1,     17,    137,   697,   2517,  6885,
                                          14893, 26333, 39203, 50643, 58651, 63019,
                                          64839, 65399, 65519, 65535, 65536};

/* The cost model of one query: per-table stage costs, memoised (plan_stage tries
 * up to 16 splits per call and runs before every stage). */
typedef struct knn_costs {
    double bucket, binw[LM_MIH_MAX_KEY_BITS + 1];
    int w;
    double tc[LM_MIH_MAX_KEY_BITS + 1][33]; /* < 0: not computed yet */
} knn_costs;

static void costs_init(knn_costs *k, const lm_index *ix)
{
    k->w = (int)ix->key_bits;
    k->bucket = (double)ix->n / (double)((size_t)1 << k->w);
    k->binw[0] = 1;
    for (int i = 1; i <= k->w; i++)
        k->binw[i] = k->binw[i - 1] * (k->w - i + 1) / i;
    for (int a = 0; a <= LM_MIH_MAX_KEY_BITS; a++)
        for (int p = 0; p < 33; p++)
            k->tc[a][p] = -1;
}

/* Rough cost of one table's part of a stage: key radius a, pair radius p. */
static double table_cost(knn_costs *k, int a, int p)
{
    if (a > k->w)
        a = k->w;
    if (k->tc[a][p] >= 0)
        return k->tc[a][p];
    double cost = 0;
    for (int dk = 0; dk <= a; dk++) {
        int x = p - dk > 16 ? 16 : p - dk;
        double pass = x < 0 ? 0 : within16_count[x] / 65536.0;
        cost += k->binw[dk] * (COST_PROBE + k->bucket * (COST_FILTER + pass * COST_GATHER));
    }
    return k->tc[a][p] = cost;
}

/*
 * The cheapest stage certifying radius d. Pigeonring with real thresholds
 * t_i summing to d (the cycle lemma: some rotation has every prefix of
 * d_i - t_i <= 0): take integer key radii a_i summing to S in [d - 15, d]
 * and t_i = a_i + f with f = (d - S)/16 < 1; an entry within d then has a
 * table t with d_t <= a_t and d_t + d_{t+1} <= a_t + a_{t+1} + floor(2f).
 * S = 16 floor(d/16) is the uniform split of index_range.c; S = d - 15 moves
 * the budget from the pair slack to fewer probes (at d = 50: thirteen tables
 * at key radius 2 and three at 3 instead of sixteen at 3).
 */
static double plan_stage(knn_costs *k, int d, stage *out)
{
    double best = -1;
    for (int S = d - 15 > 0 ? d - 15 : 0; S <= d; S++) {
        stage s;
        s.d = d;
        const int base = S / LM_MIH_BOXES, extra = S % LM_MIH_BOXES, slack = (d - S) / 8;
        for (int i = 0; i < LM_MIH_BOXES; i++) /* the extra radii spread evenly */
            s.a[i] = (int8_t)(base + ((i + 1) * extra / LM_MIH_BOXES > i * extra / LM_MIH_BOXES));
        double cost = 0;
        for (int i = 0; i < LM_MIH_BOXES; i++) {
            int p = s.a[i] + s.a[(i + 1) % LM_MIH_BOXES] + slack;
            s.p[i] = (int8_t)(p > 32 ? 32 : p);
            cost += table_cost(k, s.a[i], s.p[i]);
        }
        if (best < 0 || cost < best) {
            best = cost;
            *out = s;
        }
    }
    return best;
}

/* The scan that finishes a staged search: only entries no completed stage offered. */
static int scan_rest(sknn_ctx *c)
{
    const lm_index *ix = c->ix;
    uint16_t dist[SCAN_CHUNK];
    int bound = sknn_bound(c->sink, c->max_d);
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        if (lm_ix_touch(ix, ix->hashes + b, len * sizeof *ix->hashes))
            return -1;
        ix->kern->dist_many(c->q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++) {
            if (dist[j] > bound)
                continue;
            int kd[LM_MIH_BOXES], nd[LM_MIH_BOXES];
            word_dists(c->qw, c->kmask, &ix->hashes[b + j], kd, nd);
            if (offered_before(kd, nd, c->st, c->cur, 0))
                continue;
            lm_hit_sink_push(c->sink, (uint32_t)(b + j), dist[j]);
            bound = sknn_bound(c->sink, c->max_d);
        }
    }
    return 0;
}

/* Runs stage c->cur (parameters s) after the stage before it (prev, or none). */
static void run_stage(sknn_ctx *c, const stage *s, const stage *prev)
{
    const int w = (int)c->ix->key_bits;
    for (int t = 0; t < LM_MIH_BOXES && !c->bad; t++) {
        uint32_t qk = c->qw[t] & c->kmask;
        for (int dk = 0; dk <= s->a[t] && dk <= w; dk++) {
            int hi = s->p[t] - dk > 16 ? 16 : s->p[t] - dk;
            int lo = prev && dk <= prev->a[t] ? prev->p[t] - dk : -1;
            if (lo > 16)
                lo = 16;
            if (hi <= lo)
                continue; /* nothing new under these keys */
            if (dk == 0) {
                sknn_probe(c, t, qk, lo, hi);
                continue;
            }
            for (uint32_t m = (1u << dk) - 1; m <= c->kmask; m = next_combination(m)) {
                sknn_probe(c, t, qk ^ m, lo, hi);
                if (dk == w)
                    break; /* the only mask of w bits (Gosper's next would overflow the key) */
            }
        }
    }
    sknn_flush_probes(c);
    if (c->nc && !c->bad)
        sknn_flush_candidates(c);
}

/* A stage that only explores (the k-th best known is far) may cost this share of a scan. */
#define EXPLORE_SHARE 0.05

/* The k nearest within max_d by stages; 0, or -1 on a damaged block. */
static int staged_knn(const lm_index *ix, const lm_pdq_hash *q, int max_d, lm_hit_sink *s)
{
    sknn_ctx c;
    c.ix = ix;
    c.q = q;
    c.kmask = (uint16_t)((1u << ix->key_bits) - 1);
    c.max_d = max_d;
    c.bad = 0;
    c.sink = s;
    c.np = c.nc = 0;
    c.cur = 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        c.qw[i] = lm_box(q, i);
    const double scan = (double)ix->n * COST_SCAN;
    knn_costs costs;
    costs_init(&costs, ix);
    int certified = -1; /* every entry within this was offered */
    for (int j = 0; j < MAX_STAGES; j++) {
        const int bound = sknn_bound(s, max_d);
        if (bound <= certified)
            return 0;
        c.cur = j;
        /* A stage certifying the bound finishes the search. While that is dear (the k-th
         * best known is far, or fewer than k are known) a cheap stage certifying 16 bits
         * more may tighten the bound first; a scan of the rest when neither pays. */
        stage fin, ex;
        const double cf = plan_stage(&costs, bound, &fin);
        const int de = certified < 0 ? 15 : certified + 16;
        const double ce = de < bound ? plan_stage(&costs, de, &ex) : -1;
        if (cf <= scan && (ce < 0 || cf <= 2 * ce))
            c.st[j] = fin;
        else if (ce >= 0 && ce <= EXPLORE_SHARE * scan)
            c.st[j] = ex;
        else if (cf <= scan)
            c.st[j] = fin;
        else
            return scan_rest(&c);
        run_stage(&c, &c.st[j], j ? &c.st[j - 1] : NULL);
        if (c.bad)
            return -1;
        certified = c.st[j].d;
    }
    c.cur = MAX_STAGES; /* unreachable: each stage certifies 16 bits more, 256 in all */
    return scan_rest(&c);
}

lm_status lm_index_knn_with(const lm_index *ix, const lm_pdq_hash *q, int k, int max_distance,
                            lm_search_strategy strategy, lm_search_hit *hits, size_t *found)
{
    if (!ix || !q || !found || k < 0 || (!hits && k > 0) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES || strategy < LM_SEARCH_AUTO || strategy > LM_SEARCH_SCAN)
        return LM_E_INVALID_ARG;
    size_t want = (size_t)k < ix->n ? (size_t)k : ix->n;
    *found = 0;
    if (want == 0)
        return LM_OK;
    if (strategy == LM_SEARCH_AUTO)
        strategy = lm_index_plan(ix, LM_SEARCH_DEFAULT_DISTANCE);
    lm_hit_sink s;
    lm_hit_sink_init(&s, hits, want);
    int bad = strategy == LM_SEARCH_MIH ? staged_knn(ix, q, max_distance, &s)
                                        : lm_index_scan_knn(ix, q, max_distance, &s);
    if (bad)
        return LM_E_DB;
    lm_hit_sink_finish(&s);
    *found = s.len;
    return LM_OK;
}

lm_status lm_index_knn_within(const lm_index *ix, const lm_pdq_hash *q, int k, int max_distance,
                              lm_search_hit *hits, size_t *found)
{
    return lm_index_knn_with(ix, q, k, max_distance, LM_SEARCH_AUTO, hits, found);
}

lm_status lm_index_knn(const lm_index *ix, const lm_pdq_hash *q, int k, lm_search_hit *hits,
                       size_t *found)
{
    return lm_index_knn_within(ix, q, k, 8 * LM_PDQ_BYTES, hits, found);
}
