/*
 * Batch queries: independent queries spread over OpenMP threads. The index is
 * read-only, so the only per-thread state is each query's stack.
 */
#include "index_internal.h"

#include "omp_threads.h"

lm_status lm_index_range_batch(const lm_index *ix, const lm_pdq_hash *qs, size_t nq,
                               int max_distance, lm_search_hit *hits, size_t cap, size_t *found,
                               int nthreads)
{
    if (!ix || (!qs && nq > 0) || (!found && nq > 0) || (!hits && cap > 0) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES)
        return LM_E_INVALID_ARG;
    const long long n = (long long)nq;
    const lm_search_strategy plan = lm_index_plan(ix, max_distance);
    int bad = 0;
    LM_OMP(omp parallel for num_threads(lm_omp_threads(nthreads)) schedule(dynamic, 4) reduction(|:bad))
    for (long long j = 0; j < n; j++)
        bad |= lm_index_range_with(ix, &qs[j], max_distance, plan,
                                   hits ? hits + (size_t)j * cap : NULL, cap, &found[j]) != LM_OK;
    return bad ? LM_E_DB : LM_OK;
}

lm_status lm_index_knn_batch(const lm_index *ix, const lm_pdq_hash *qs, size_t nq, int k,
                             lm_search_hit *hits, size_t *found, int nthreads)
{
    if (!ix || (!qs && nq > 0) || (!found && nq > 0) || k < 0 || (!hits && k > 0))
        return LM_E_INVALID_ARG;
    const long long n = (long long)nq;
    int bad = 0;
    LM_OMP(omp parallel for num_threads(lm_omp_threads(nthreads)) schedule(dynamic, 1) reduction(|:bad))
    for (long long j = 0; j < n; j++)
        bad |= lm_index_knn(ix, &qs[j], k, hits ? hits + (size_t)j * (size_t)k : NULL, &found[j]) !=
               LM_OK;
    return bad ? LM_E_DB : LM_OK;
}
