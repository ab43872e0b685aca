#include "vpdq_match.h"

#include <stdlib.h>
#include <string.h>

#include "popcount.h"

void lm_vpdq_match_opts_default(lm_vpdq_match_opts *o)
{
    o->max_distance = LM_DEFAULT_MAX_DISTANCE;
    o->min_quality = LM_DEFAULT_MIN_QUALITY;
    o->dedup_distance = 0;
    o->query_threshold = 0.0;
    o->stored_threshold = 80.0;
}

static int valid_opts(const lm_vpdq_match_opts *o)
{
    return o->max_distance >= 0 && o->max_distance <= 256 && o->min_quality >= 0 &&
           o->min_quality <= 101 && o->dedup_distance >= 0 && o->dedup_distance <= 256 &&
           o->query_threshold >= 0.0 && o->query_threshold <= 100.0 && o->stored_threshold >= 0.0 &&
           o->stored_threshold <= 100.0;
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(lm_pdq_hash));
}

lm_status lm_vpdq_unique(const lm_video_frame *frames, size_t n, const lm_vpdq_match_opts *o,
                         lm_pdq_hash **out, size_t *nout)
{
    if ((!frames && n) || !o || !out || !nout || !valid_opts(o))
        return LM_E_INVALID_ARG;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return LM_OK;
    lm_pdq_hash *h = malloc(n * sizeof *h);
    if (!h)
        return LM_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (frames[i].quality < o->min_quality)
            continue;
        /* A still scene repeats one picture for many frames: count it once. */
        if (o->dedup_distance > 0 && k > 0 &&
            lm_popcount_xor256(h[k - 1].b, frames[i].pdq.b) <= o->dedup_distance)
            continue;
        h[k++] = frames[i].pdq;
    }
    qsort(h, k, sizeof *h, cmp_hash);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || memcmp(&h[u - 1], &h[i], sizeof *h) != 0)
            h[u++] = h[i];
    if (u == 0) {
        free(h);
        return LM_OK;
    }
    *out = h;
    *nout = u;
    return LM_OK;
}

/* How many of a[] have some b[] within max_distance. */
static size_t count_covered(const lm_pdq_hash *a, size_t na, const lm_pdq_hash *b, size_t nb,
                            int max_distance)
{
    size_t hits = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (lm_popcount_xor256(a[i].b, b[j].b) <= max_distance) {
                hits++;
                break;
            }
    return hits;
}

lm_status lm_vpdq_compare_unique(const lm_pdq_hash *query, size_t nq, const lm_pdq_hash *stored,
                                 size_t ns, const lm_vpdq_match_opts *o, lm_vpdq_match_result *res)
{
    if ((!query && nq) || (!stored && ns) || !o || !res || !valid_opts(o))
        return LM_E_INVALID_ARG;
    memset(res, 0, sizeof *res);
    res->query_unique = nq;
    res->stored_unique = ns;
    if (nq == 0 || ns == 0)
        return LM_OK; /* nothing comparable: never a match */
    res->query_matched = count_covered(query, nq, stored, ns, o->max_distance);
    res->stored_matched = count_covered(stored, ns, query, nq, o->max_distance);
    res->query_percent = 100.0 * (double)res->query_matched / (double)nq;
    res->stored_percent = 100.0 * (double)res->stored_matched / (double)ns;
    res->match =
        res->query_percent >= o->query_threshold && res->stored_percent >= o->stored_threshold;
    return LM_OK;
}

lm_status lm_vpdq_match(const lm_video_frame *query, size_t nq, const lm_video_frame *stored,
                        size_t ns, const lm_vpdq_match_opts *o, lm_vpdq_match_result *res)
{
    lm_vpdq_match_opts def;
    if (!o) {
        lm_vpdq_match_opts_default(&def);
        o = &def;
    }
    lm_pdq_hash *qu = NULL, *su = NULL;
    size_t nqu = 0, nsu = 0;
    lm_status st = lm_vpdq_unique(query, nq, o, &qu, &nqu);
    if (st == LM_OK)
        st = lm_vpdq_unique(stored, ns, o, &su, &nsu);
    if (st == LM_OK)
        st = lm_vpdq_compare_unique(qu, nqu, su, nsu, o, res);
    free(qu);
    free(su);
    return st;
}
