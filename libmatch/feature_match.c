/*
 * Feature index and search (see feature_match.h). Memory: per keypoint its
 * place and orientation (6 bytes), a 4-byte entry number, and in the LSH
 * (feature_lsh.c) its descriptor and its places in the tables (at most 96
 * bytes); per entry its id, hash and first keypoint.
 */
#include "feature_match.h"

#include <stdlib.h>
#include <string.h>

#include "feature_lsh.h"

/* What verification needs of a stored keypoint (its descriptor lives in the LSH). */
typedef struct kp_geom {
    uint16_t x, y;
    uint8_t angle, level;
} kp_geom;

struct lm_feature_index {
    size_t nentries, nkp;
    uint64_t *ids;       /* [nentries] */
    lm_pdq_hash *hashes; /* [nentries] the entries' own PDQ hashes */
    size_t *first;       /* [nentries + 1]: entry e's keypoints are kp[first[e]..first[e+1]) */
    kp_geom *kp;         /* [nkp] */
    uint32_t *entry_of;  /* [nkp] */
    lm_feat_lsh *lsh;    /* over kp[i].desc */
};

void lm_feature_index_free(lm_feature_index *fx)
{
    if (!fx)
        return;
    free(fx->ids);
    free(fx->hashes);
    free(fx->first);
    free(fx->kp);
    free(fx->entry_of);
    lm_feat_lsh_free(fx->lsh);
    free(fx);
}

size_t lm_feature_index_entries(const lm_feature_index *fx)
{
    return fx ? fx->nentries : 0;
}

size_t lm_feature_index_keypoints(const lm_feature_index *fx)
{
    return fx ? fx->nkp : 0;
}

size_t lm_feature_index_bytes(const lm_feature_index *fx)
{
    if (!fx)
        return 0;
    return sizeof *fx + fx->nentries * (sizeof *fx->ids + sizeof *fx->hashes + sizeof *fx->first) +
           fx->nkp * (sizeof *fx->kp + sizeof *fx->entry_of) + lm_feat_lsh_bytes(fx->lsh);
}

/* Position of id in the sorted ids[0..n), or n. */
static size_t find_id(const uint64_t *ids, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] == id)
            return mid;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n;
}

lm_status lm_feature_index_build(lm_hashdb *db, const uint64_t *ids, const lm_pdq_hash *hashes,
                                 size_t n, lm_feature_index **out)
{
    *out = NULL;
    lm_db_feature_set fs;
    lm_status st = lm_hashdb_load_features(db, &fs);
    if (st != LM_OK)
        return st;
    if (fs.count == 0) {
        lm_db_feature_set_free(&fs);
        return LM_OK;
    }
    lm_feature_index *fx = calloc(1, sizeof *fx);
    lm_features *tmp = malloc(sizeof *tmp);
    size_t total = 0;
    for (size_t i = 0; i < fs.count; i++)
        total += (fs.offset[i + 1] - fs.offset[i]) / LM_FEAT_RECORD_KP;
    if (fx) {
        fx->ids = malloc(fs.count * sizeof *fx->ids);
        fx->hashes = malloc(fs.count * sizeof *fx->hashes);
        fx->first = malloc((fs.count + 1) * sizeof *fx->first);
        fx->kp = malloc((total ? total : 1) * sizeof *fx->kp);
        fx->entry_of = malloc((total ? total : 1) * sizeof *fx->entry_of);
    }
    lm_pdq_hash *desc = malloc((total ? total : 1) * sizeof *desc);
    if (!fx || !tmp || !desc || !fx->ids || !fx->hashes || !fx->first || !fx->kp || !fx->entry_of) {
        st = LM_E_NOMEM;
        goto done;
    }
    fx->first[0] = 0;
    for (size_t i = 0; i < fs.count; i++) {
        size_t pos = find_id(ids, n, fs.ids[i]);
        /* Features of an entry no longer in the PDQ set (damage): skipped. */
        if (pos == n ||
            lm_features_decode(fs.bytes + fs.offset[i], fs.offset[i + 1] - fs.offset[i], tmp))
            continue;
        size_t e = fx->nentries++;
        fx->ids[e] = fs.ids[i];
        fx->hashes[e] = hashes[pos];
        for (size_t k = 0; k < tmp->count; k++) {
            const lm_feature *f = &tmp->f[k];
            fx->kp[fx->nkp] = (kp_geom){f->x, f->y, f->angle, f->level};
            desc[fx->nkp] = f->desc;
            fx->entry_of[fx->nkp] = (uint32_t)e;
            fx->nkp++;
        }
        fx->first[e + 1] = fx->nkp;
    }
    if (fx->nentries == 0)
        goto done;
    st = lm_feat_lsh_build(desc, fx->nkp, &fx->lsh); /* takes desc */
    desc = NULL;
done:
    free(desc);
    free(tmp);
    lm_db_feature_set_free(&fs);
    if (st != LM_OK || !fx || fx->nentries == 0) {
        lm_feature_index_free(fx);
        return st;
    }
    *out = fx;
    return LM_OK;
}

/* A candidate: query keypoint qi against stored keypoint (global) pos of entry e. */
typedef struct cand {
    uint32_t entry, pos;
    uint16_t qi, distance;
} cand;

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->entry != b->entry)
        return a->entry < b->entry ? -1 : 1;
    if (a->distance != b->distance)
        return a->distance - b->distance;
    if (a->qi != b->qi)
        return a->qi - b->qi;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

typedef struct group {
    uint32_t entry;
    size_t begin, n;
} group;

static int cmp_group(const void *pa, const void *pb)
{
    const group *a = pa, *b = pb;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->entry < b->entry ? -1 : a->entry > b->entry;
}

static int cmp_hit(const void *pa, const void *pb)
{
    const lm_feature_hit *a = pa, *b = pb;
    if (a->t.inliers != b->t.inliers)
        return a->t.inliers > b->t.inliers ? -1 : 1;
    return a->entry_id < b->entry_id ? -1 : a->entry_id > b->entry_id;
}

/* Per query keypoint: the closest stored keypoints found within the radius, at most 2 per entry. */
#define HITS_PER_QUERY 64
#define PER_ENTRY 2

lm_status lm_feature_search(const lm_feature_index *fx, const lm_features *q,
                            const lm_pdq_hash *plain, const lm_feature_search_opts *opts,
                            lm_feature_hit *hits, size_t *nhits)
{
    *nhits = 0;
    int min_inliers = opts ? opts->min_inliers : LM_FEAT_MIN_INLIERS;
    size_t max_verified = opts ? opts->max_verified : LM_FEAT_MAX_VERIFIED;
    if (min_inliers < 2)
        min_inliers = 2;
    if (!fx || !q || q->count < min_inliers)
        return LM_OK;
    cand *c = malloc((size_t)q->count * HITS_PER_QUERY * sizeof *c);
    if (!c)
        return LM_E_NOMEM;
    size_t nc = 0;
    lm_flsh_hit sh[HITS_PER_QUERY];
    for (uint16_t i = 0; i < q->count; i++) {
        size_t found = lm_feat_lsh_query(fx->lsh, &q->f[i].desc, LM_FEAT_MAX_DESC_DISTANCE, sh,
                                         HITS_PER_QUERY);
        uint32_t seen_e[HITS_PER_QUERY];
        uint8_t seen_n[HITS_PER_QUERY];
        size_t nseen = 0;
        for (size_t h = 0; h < found; h++) {
            uint32_t e = fx->entry_of[sh[h].pos];
            size_t s = 0;
            while (s < nseen && seen_e[s] != e)
                s++;
            if (s == nseen) {
                seen_e[nseen] = e;
                seen_n[nseen++] = 0;
            }
            if (seen_n[s]++ >= PER_ENTRY)
                continue;
            c[nc++] = (cand){e, sh[h].pos, i, sh[h].distance};
        }
    }
    qsort(c, nc, sizeof *c, cmp_cand);
    /* Entries with enough candidates to reach the inlier minimum, the most first. */
    group *g = malloc((nc ? nc : 1) * sizeof *g);
    if (!g) {
        free(c);
        return LM_E_NOMEM;
    }
    size_t ng = 0;
    for (size_t i = 0; i < nc;) {
        size_t j = i;
        while (j < nc && c[j].entry == c[i].entry)
            j++;
        if (j - i >= (size_t)min_inliers)
            g[ng++] = (group){c[i].entry, i, j - i};
        i = j;
    }
    qsort(g, ng, sizeof *g, cmp_group);
    if (ng > max_verified)
        ng = max_verified;
    lm_feat_pair *pairs = malloc(LM_FEAT_MAX_PAIRS * sizeof *pairs);
    lm_feature *s = malloc(LM_FEAT_MAX * sizeof *s); /* an entry's keypoints, for verification */
    if (!pairs || !s) {
        free(pairs);
        free(s);
        free(c);
        free(g);
        return LM_E_NOMEM;
    }
    size_t out = 0;
    for (size_t k = 0; k < ng; k++) {
        uint32_t e = g[k].entry;
        size_t np = g[k].n < LM_FEAT_MAX_PAIRS ? g[k].n : LM_FEAT_MAX_PAIRS;
        for (size_t i = 0; i < np; i++) {
            const cand *x = &c[g[k].begin + i];
            pairs[i] = (lm_feat_pair){x->qi, (uint16_t)(x->pos - fx->first[e]), x->distance};
        }
        size_t ns = fx->first[e + 1] - fx->first[e];
        for (size_t i = 0; i < ns; i++) {
            const kp_geom *kg = &fx->kp[fx->first[e] + i];
            s[i] = (lm_feature){.x = kg->x, .y = kg->y, .angle = kg->angle, .level = kg->level};
        }
        lm_feat_transform t;
        lm_feat_verify(q, s, ns, pairs, np, &t);
        if (t.inliers < min_inliers)
            continue;
        hits[out].entry_id = fx->ids[e];
        hits[out].pdq_distance = plain ? lm_pdq_distance(plain, &fx->hashes[e]) : 256;
        hits[out].t = t;
        out++;
    }
    free(pairs);
    free(s);
    free(c);
    free(g);
    qsort(hits, out, sizeof *hits, cmp_hit);
    *nhits = out;
    return LM_OK;
}
