/* The stored videos' frame index and vPDQ scoring of a query video (video_index.h). */
#include "video_index.h"

#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "vpdq_match.h"

struct lm_video_index {
    lm_index *index;     /* over set.hashes */
    lm_db_video_set set; /* frame -> video, video -> entry id and unique count */
};

lm_status lm_video_index_open(lm_hashdb *db, int min_quality, lm_video_index **out)
{
    *out = NULL;
    lm_video_index *vi = calloc(1, sizeof *vi);
    if (!vi)
        return LM_E_NOMEM;
    lm_status st = lm_hashdb_load_videos(db, min_quality, &vi->set);
    if (st == LM_OK && vi->set.count > UINT32_MAX)
        st = LM_E_NOMEM;
    if (st == LM_OK)
        st = lm_index_build(vi->set.hashes, vi->set.count, 0, &vi->index);
    if (st != LM_OK) {
        lm_video_index_free(vi);
        return st;
    }
    /* The index keeps its own copy of the hashes. */
    free(vi->set.hashes);
    vi->set.hashes = NULL;
    *out = vi;
    return LM_OK;
}

void lm_video_index_free(lm_video_index *vi)
{
    if (!vi)
        return;
    lm_index_free(vi->index);
    lm_db_video_set_free(&vi->set);
    free(vi);
}

size_t lm_video_index_videos(const lm_video_index *vi)
{
    return vi ? vi->set.videos : 0;
}

size_t lm_video_index_frames(const lm_video_index *vi)
{
    return vi ? vi->set.count : 0;
}

/* (video, item) pairs; sorted and de-duplicated to count distinct items per video. */
typedef struct pair {
    uint32_t video, item;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->video != y->video)
        return x->video < y->video ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int push(pair **v, size_t *n, size_t *cap, pair p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        pair *t = realloc(*v, nc * sizeof *t);
        if (!t)
            return -1;
        *v = t;
        *cap = nc;
    }
    (*v)[(*n)++] = p;
    return 0;
}

/* Sort, drop repeats, leave counts per video in cnt[] (indexed by video). */
static void count_distinct(pair *v, size_t n, uint32_t *cnt)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_pair);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || cmp_pair(&v[i - 1], &v[i]) != 0)
            cnt[v[i].video]++;
}

lm_status lm_video_index_match(const lm_video_index *vi, const lm_video_frame *frames, size_t n,
                               int max_distance, int min_quality, double query_threshold,
                               double stored_threshold, lm_video_score **out, size_t *nout)
{
    if (!vi || !out || !nout || (!frames && n))
        return LM_E_INVALID_ARG;
    *out = NULL;
    *nout = 0;
    if (vi->set.videos == 0 || n == 0)
        return LM_OK;
    lm_vpdq_match_opts mo;
    lm_vpdq_match_opts_default(&mo);
    mo.max_distance = max_distance;
    mo.min_quality = min_quality;
    lm_pdq_hash *q = NULL;
    size_t nq = 0;
    lm_status st = lm_vpdq_unique(frames, n, &mo, &q, &nq);
    if (st != LM_OK || nq == 0)
        return st;
    pair *qp = NULL, *sp = NULL; /* (video, query frame) and (video, stored frame) */
    size_t nqp = 0, qcap = 0, nsp = 0, scap = 0;
    enum { STACK_HITS = 256 };
    lm_search_hit stack_hits[STACK_HITS];
    for (size_t i = 0; st == LM_OK && i < nq; i++) {
        lm_search_hit *hits = stack_hits;
        size_t found = 0;
        st = lm_index_range(vi->index, &q[i], max_distance, hits, STACK_HITS, &found);
        if (st == LM_OK && found > STACK_HITS) {
            hits = malloc(found * sizeof *hits);
            size_t again = 0;
            st = hits ? lm_index_range(vi->index, &q[i], max_distance, hits, found, &again)
                      : LM_E_NOMEM;
            found = again < found ? again : found;
        }
        for (size_t h = 0; st == LM_OK && h < found; h++) {
            uint32_t v = vi->set.video[hits[h].pos];
            if (push(&qp, &nqp, &qcap, (pair){v, (uint32_t)i}) ||
                push(&sp, &nsp, &scap, (pair){v, hits[h].pos}))
                st = LM_E_NOMEM;
        }
        if (hits != stack_hits)
            free(hits);
    }
    uint32_t *qcnt = NULL, *scnt = NULL;
    if (st == LM_OK && nqp) {
        qcnt = calloc(vi->set.videos, sizeof *qcnt);
        scnt = calloc(vi->set.videos, sizeof *scnt);
        if (!qcnt || !scnt)
            st = LM_E_NOMEM;
    }
    if (st == LM_OK && nqp) {
        count_distinct(qp, nqp, qcnt);
        count_distinct(sp, nsp, scnt);
        size_t k = 0, cap = 0;
        lm_video_score *res = NULL;
        /* qp is sorted by video now: visit each touched video once. */
        for (size_t i = 0; st == LM_OK && i < nqp; i++) {
            uint32_t v = qp[i].video;
            if (i > 0 && qp[i - 1].video == v)
                continue;
            double qpct = 100.0 * qcnt[v] / (double)nq;
            double spct = vi->set.unique[v] ? 100.0 * scnt[v] / (double)vi->set.unique[v] : 0.0;
            if (qpct < query_threshold || spct < stored_threshold || !vi->set.unique[v])
                continue;
            if (k == cap) {
                cap = cap ? cap * 2 : 8;
                lm_video_score *t = realloc(res, cap * sizeof *t);
                if (!t) {
                    st = LM_E_NOMEM;
                    break;
                }
                res = t;
            }
            res[k++] = (lm_video_score){vi->set.ids[v], qpct, spct};
        }
        if (st == LM_OK) {
            *out = res;
            *nout = k;
        } else {
            free(res);
        }
    }
    free(qcnt);
    free(scnt);
    free(qp);
    free(sp);
    free(q);
    return st;
}
