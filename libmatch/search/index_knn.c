/*
 * Exact k-nearest search: pigeonring plans over the multi-index tables, run
 * one key distance at a time.
 *
 * A plan certifies a radius d: in every table t it probes the keys within
 * a[t] of the query's word t and keeps the entries whose next word brings the
 * pair to at most p[t] (plan_for: thresholds split so that the pigeonring
 * principle holds, cheapest split by a cost model). Every entry within d
 * passes some table, so once a plan for d is covered and the k-th best is
 * <= d the answer is final. This is the range search's own filter
 * (index_range.c), which is what makes it cheap: at d = 31 about 7
 * candidates per table reach a hash read, where pigeonhole rings (every
 * word >= rho, the k-NN before this one, README.md) read every entry of
 * every probed bucket until rho is large.
 *
 * The search runs the plan's smallest key distance still to do in every
 * table (a "group"), then plans again with the bound it now has: the target
 * is the k-th best found (finishing), or while that is far or fewer than k
 * are known, 15, 31, 47, ... (exploring, while cheap). What was probed is
 * kept per (table, key distance) as the largest next-word distance covered
 * (done[][]), so later groups skip, bucket by bucket, what earlier ones
 * offered, and an entry is offered only at its first (group, table): no set,
 * no duplicates.
 *
 * When the work still needed costs more than a scan of the list, a SIMD scan
 * finishes, offering only what no group offered. For an unrelated query the
 * 10th neighbour of a random 256-bit hash among 10M is ~85 bits away, where a
 * scan is the cheapest exact method (README.md); max_distance bounds the work.
 */
#include "hit_sink.h"
#include "index_probe.h"

#define SCAN_CHUNK 1024

/* Costs as index_plan.c (rough ns; only ratios matter). */
#define COST_PROBE 30.0
#define COST_FILTER 0.15
#define COST_SCAN 2.5
#define COST_GATHER 25.0

/* A plan certifying radius d: per table t, key radius a[t] and pair radius p[t]. */
typedef struct plan {
    int d;
    int8_t a[LM_MIH_BOXES], p[LM_MIH_BOXES];
} plan;

typedef struct sknn_ctx {
    lm_probes run; /* first: the accept function gets &run */
    int max_d;
    lm_hit_sink *sink;
    /* done[t][dk]: every entry at key distance exactly dk in table t whose next word is
     * within done[t][dk] was offered (-1: none). The running group: key distance gdk,
     * next words in (done[t][gdk], ghi[t]] for each table t. */
    int8_t done[LM_MIH_BOXES][LM_MIH_MAX_KEY_BITS + 1];
    int8_t ghi[LM_MIH_BOXES];
    int gdk;
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

/* Was h offered by an earlier group, or by the running group in a table before t? */
static int offered_before(const sknn_ctx *c, const int *kd, const int *nd, int t)
{
    for (int u = 0; u < LM_MIH_BOXES; u++)
        if (nd[u] <= c->done[u][kd[u]])
            return 1;
    for (int u = 0; u < t; u++)
        if (kd[u] == c->gdk && nd[u] <= c->ghi[u])
            return 1;
    return 0;
}

/* Offers the candidates within the bound that no earlier (group, table) offered. */
static void accept(lm_probes *run, const uint32_t *pos, const uint16_t *dist, const uint8_t *table,
                   size_t n)
{
    sknn_ctx *c = (sknn_ctx *)run;
    for (size_t j = 0; j < n; j++) {
        if (dist[j] > sknn_bound(c->sink, c->max_d))
            continue;
        int kd[LM_MIH_BOXES], nd[LM_MIH_BOXES];
        word_dists(run->qw, run->kmask, &run->ix->hashes[pos[j]], kd, nd);
        if (!offered_before(c, kd, nd, table[j]))
            lm_hit_sink_push(c->sink, pos[j], dist[j]);
    }
}

/* Words of 16 bits within x of a fixed one (cumulative binomials of 16). */
static const double within16_count[17] = {1,     17,    137,   697,   2517,  6885,
                                          14893, 26333, 39203, 50643, 58651, 63019,
                                          64839, 65399, 65519, 65535, 65536};

/* The cost model of one query (rough ns, only ratios matter): probing every key at
 * distance dk of a table (bounds and next words), and per unit of next-word pass
 * rate, reading the hashes of their entries. */
typedef struct knn_costs {
    double probe[LM_MIH_MAX_KEY_BITS + 1], gather[LM_MIH_MAX_KEY_BITS + 1];
    int w;
} knn_costs;

static void costs_init(knn_costs *k, const lm_index *ix)
{
    k->w = (int)ix->key_bits;
    const double bucket = (double)ix->n / (double)((size_t)1 << k->w);
    double keys = 1; /* binom(w, dk) */
    for (int dk = 0; dk <= k->w; dk++) {
        k->probe[dk] = keys * (COST_PROBE + bucket * COST_FILTER);
        k->gather[dk] = keys * bucket * COST_GATHER;
        keys = keys * (k->w - dk) / (dk + 1);
    }
}

static inline double pass16(int x)
{
    return x < 0 ? 0 : within16_count[x > 16 ? 16 : x] / 65536.0;
}

/* What a table whose covered next-word distances are done[] still costs to cover key
 * distances <= a with pair radius p. */
static double table_rest(const knn_costs *k, const int8_t *done, int a, int p)
{
    double cost = 0;
    for (int dk = 0; dk <= a && dk <= k->w; dk++) {
        int hi = p - dk > 16 ? 16 : p - dk, lo = done[dk];
        if (hi > lo)
            cost += k->probe[dk] + k->gather[dk] * (pass16(hi) - pass16(lo));
    }
    return cost;
}

/*
 * The cheapest plan certifying radius d, given what was already offered; its
 * remaining cost. Pigeonring with real thresholds t_i summing to d (the cycle
 * lemma: some rotation has every prefix of d_i - t_i <= 0): integer key radii
 * a_i summing to S in [d - 15, d] and t_i = a_i + f, f = (d - S)/16 < 1; an
 * entry within d then has a table t with d_t <= a_t and
 * d_t + d_{t+1} <= a_t + a_{t+1} + floor(2f). S = 16 floor(d/16) is the
 * uniform split of index_range.c; S = d - 15 moves budget from the pair slack
 * to fewer probes (at d = 50: thirteen tables at key radius 2 and three at 3
 * instead of sixteen at 3). A few splits are tried. (Fractions other than
 * equal ones, 0 on some tables to spare their pairs the extra 1 when
 * 8 <= d - S <= 14, were tried too: the model picked the same plans.)
 */
static double plan_for(const knn_costs *k, const sknn_ctx *c, int d, plan *out)
{
    const int lo = d - 15 > 0 ? d - 15 : 0;
    const int tries[4] = {lo, lo + 4 < d ? lo + 4 : d, lo + 8 < d ? lo + 8 : d,
                          LM_MIH_BOXES * (d / LM_MIH_BOXES)};
    double best = -1;
    for (int i = 0; i < 4; i++) {
        const int S = tries[i];
        plan s;
        s.d = d;
        const int base = S / LM_MIH_BOXES, extra = S % LM_MIH_BOXES, slack = (d - S) / 8;
        for (int t = 0; t < LM_MIH_BOXES; t++) /* the extra radii spread evenly */
            s.a[t] = (int8_t)(base + ((t + 1) * extra / LM_MIH_BOXES > t * extra / LM_MIH_BOXES));
        double cost = 0;
        for (int t = 0; t < LM_MIH_BOXES; t++) {
            int p = s.a[t] + s.a[(t + 1) % LM_MIH_BOXES] + slack;
            s.p[t] = (int8_t)(p > 32 ? 32 : p);
            cost += table_rest(k, c->done[t], s.a[t], s.p[t]);
        }
        if (best < 0 || cost < best) {
            best = cost;
            *out = s;
        }
    }
    return best;
}

static void sknn_init(sknn_ctx *c, const lm_index *ix, const lm_pdq_hash *q, int max_d,
                      lm_hit_sink *s)
{
    lm_probes_init(&c->run, ix, q, accept);
    c->max_d = max_d;
    c->sink = s;
    c->gdk = -1;
    memset(c->done, -1, sizeof c->done);
    memset(c->ghi, -1, sizeof c->ghi);
}

/* The scan that finishes a staged search: only entries no completed stage offered. */
static int scan_rest(sknn_ctx *c)
{
    const lm_index *ix = c->run.ix;
    uint16_t dist[SCAN_CHUNK];
    int bound = sknn_bound(c->sink, c->max_d);
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        if (lm_ix_touch(ix, ix->hashes + b, len * sizeof *ix->hashes))
            return -1;
        ix->kern->dist_many(c->run.q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++) {
            if (dist[j] > bound)
                continue;
            int kd[LM_MIH_BOXES], nd[LM_MIH_BOXES];
            word_dists(c->run.qw, c->run.kmask, &ix->hashes[b + j], kd, nd);
            if (offered_before(c, kd, nd, 0))
                continue;
            lm_hit_sink_push(c->sink, (uint32_t)(b + j), dist[j]);
            bound = sknn_bound(c->sink, c->max_d);
        }
    }
    return 0;
}

/* Runs the smallest key distance of plan s with work left, in every table: 0, or
 * 1 when s is already covered. */
static int run_group(sknn_ctx *c, const plan *s)
{
    const int w = (int)c->run.ix->key_bits;
    int dk = -1;
    for (int d = 0; d <= w && dk < 0; d++)
        for (int t = 0; t < LM_MIH_BOXES && dk < 0; t++) {
            int hi = s->p[t] - d > 16 ? 16 : s->p[t] - d;
            if (d <= s->a[t] && hi > c->done[t][d])
                dk = d;
        }
    if (dk < 0)
        return 1;
    c->gdk = dk;
    for (int t = 0; t < LM_MIH_BOXES; t++) {
        int hi = s->p[t] - dk > 16 ? 16 : s->p[t] - dk;
        c->ghi[t] = (int8_t)(dk <= s->a[t] && hi > c->done[t][dk] ? hi : -1);
    }
    for (int t = 0; t < LM_MIH_BOXES; t++)
        if (c->ghi[t] >= 0)
            lm_probes_ring(&c->run, t, dk, c->done[t][dk], c->ghi[t]);
    lm_probes_flush(&c->run);
    for (int t = 0; t < LM_MIH_BOXES; t++)
        if (c->ghi[t] >= 0)
            c->done[t][dk] = c->ghi[t];
    c->gdk = -1;
    return 0;
}

/* A plan that only explores (the k-th best known is far) may cost this share of a scan. */
#define EXPLORE_SHARE 0.05

/*
 * The k nearest within max_d; 0, or -1 on a damaged block. Works one key
 * distance at a time and plans again after each, so a bound that tightened
 * shrinks the rest of the work.
 */
static int staged_knn(const lm_index *ix, const lm_pdq_hash *q, int max_d, lm_hit_sink *s)
{
    sknn_ctx c;
    sknn_init(&c, ix, q, max_d, s);
    knn_costs costs;
    costs_init(&costs, ix);
    const double scan = (double)ix->n * COST_SCAN;
    int certified = -1, target = 15; /* every entry within certified was offered */
    plan fin, ex, *run = NULL;
    for (;;) {
        const int bound = sknn_bound(s, max_d);
        if (bound <= certified)
            return 0;
        if (target <= certified)
            target = certified + 16;
        if (run == &fin && fin.d == bound) {
            /* finishing, and the bound did not move: the plan stands (no planning) */
        } else {
            /* A plan certifying the bound finishes the search. While that is dear (fewer
             * than k are known, or it costs more than a scan) a cheap plan certifying 16
             * bits more may tighten the bound first; a scan of the rest when neither pays.
             * With k known and the plan affordable, exploring would probe again what
             * finishing must probe anyway (measured: +5-10% queries/s without it). */
            const double cf = plan_for(&costs, &c, bound, &fin);
            const double ce = target < bound && (s->len < s->cap || cf > scan)
                                  ? plan_for(&costs, &c, target, &ex)
                                  : -1;
            if (cf <= scan && (ce < 0 || cf <= 2 * ce))
                run = &fin;
            else if (ce >= 0 && ce <= EXPLORE_SHARE * scan)
                run = &ex;
            else if (cf <= scan)
                run = &fin;
            else
                return scan_rest(&c);
        }
        if (run_group(&c, run))
            certified = run->d;
        if (c.run.bad)
            return -1;
    }
}

/* A scan keeping the best s->cap within max_d: the k-NN of a list too small for
 * the tables to pay (a staged search that offered nothing yet). */
int lm_index_scan_knn(const lm_index *ix, const lm_pdq_hash *q, int max_d, lm_hit_sink *s)
{
    sknn_ctx c;
    sknn_init(&c, ix, q, max_d, s);
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
