/*
 * The test oracle: distance to every entry with the scalar popcount, a full
 * sort, and a copy of the first entries. Shares nothing with the index's
 * search code on purpose.
 */
#include <stdlib.h>

#include "hit_sink.h"
#include "index.h"
#include "popcount.h"

/* All entries within r, sorted; *out is malloc'd (NULL when none). */
static lm_status collect(const lm_pdq_hash *hashes, size_t n, const lm_pdq_hash *q, int r,
                         lm_search_hit **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (n == 0)
        return LM_OK;
    lm_search_hit *all = malloc(n * sizeof *all);
    if (!all)
        return LM_E_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = lm_popcount_xor256(q->b, hashes[i].b);
        if (d <= r)
            all[m++] = (lm_search_hit){(uint32_t)i, d};
    }
    qsort(all, m, sizeof *all, lm_hit_cmp);
    *out = all;
    *count = m;
    return LM_OK;
}

lm_status lm_brute_range(const lm_pdq_hash *hashes, size_t n, const lm_pdq_hash *q,
                         int max_distance, lm_search_hit *hits, size_t cap, size_t *found)
{
    if ((!hashes && n > 0) || !q || !found || (!hits && cap > 0) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES || n > UINT32_MAX)
        return LM_E_INVALID_ARG;
    lm_search_hit *all;
    size_t m;
    lm_status st = collect(hashes, n, q, max_distance, &all, &m);
    if (st != LM_OK)
        return st;
    for (size_t i = 0; i < m && i < cap; i++)
        hits[i] = all[i];
    free(all);
    *found = m;
    return LM_OK;
}

lm_status lm_brute_knn(const lm_pdq_hash *hashes, size_t n, const lm_pdq_hash *q, int k,
                       lm_search_hit *hits, size_t *found)
{
    if ((!hashes && n > 0) || !q || !found || k < 0 || (!hits && k > 0) || n > UINT32_MAX)
        return LM_E_INVALID_ARG;
    lm_search_hit *all;
    size_t m;
    lm_status st = collect(hashes, n, q, 8 * LM_PDQ_BYTES, &all, &m);
    if (st != LM_OK)
        return st;
    size_t want = (size_t)k < m ? (size_t)k : m;
    for (size_t i = 0; i < want; i++)
        hits[i] = all[i];
    free(all);
    *found = want;
    return LM_OK;
}
