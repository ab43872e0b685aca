/*
 * Exact k-nearest search. A query close to the list (the usual case for a
 * match) is answered by range searches of growing radius: once a radius R
 * holds k entries, the k best of them are the k nearest, since everything
 * unseen is farther than R. Otherwise (an unrelated query: its nearest random
 * neighbour is ~85 bits away, beyond any useful table radius) a SIMD scan with
 * a bounded heap gives the answer.
 */
#include "hit_sink.h"
#include "index_internal.h"

static const int radii[] = {7, 15, 31};

/* Entries scanned per kernel call. */
#define SCAN_CHUNK 1024

/* Full scan keeping the best s->cap; most entries fail the cheap bound test. */
static void scan_knn(const lm_index *ix, const lm_pdq_hash *q, lm_hit_sink *s)
{
    uint16_t dist[SCAN_CHUNK];
    int bound = 8 * LM_PDQ_BYTES;
    for (size_t b = 0; b < ix->n; b += SCAN_CHUNK) {
        size_t len = ix->n - b < SCAN_CHUNK ? ix->n - b : SCAN_CHUNK;
        ix->kern->dist_many(q, ix->hashes + b, len, dist);
        for (size_t j = 0; j < len; j++) {
            if (dist[j] > bound)
                continue;
            lm_hit_sink_push(s, (uint32_t)(b + j), dist[j]);
            if (s->len == s->cap)
                bound = s->hits[0].distance; /* the worst kept hit */
        }
    }
}

lm_status lm_index_knn(const lm_index *ix, const lm_pdq_hash *q, int k, lm_search_hit *hits,
                       size_t *found)
{
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
            lm_index_mih_range(ix, q, radii[i], &s);
            if (s.total >= want) {
                lm_hit_sink_finish(&s);
                *found = want;
                return LM_OK;
            }
        }
    }
    lm_hit_sink_init(&s, hits, want);
    scan_knn(ix, q, &s);
    lm_hit_sink_finish(&s);
    *found = want;
    return LM_OK;
}
