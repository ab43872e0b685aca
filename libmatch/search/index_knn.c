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
    lm_index_scan_range(ix, q, 8 * LM_PDQ_BYTES, &s);
    lm_hit_sink_finish(&s);
    *found = want;
    return LM_OK;
}
