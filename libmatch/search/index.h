/*
 * Exact in-memory search over 256-bit PDQ hashes (internal API, used by the
 * matcher and by hashdb when loading a list).
 *
 * Range search returns every entry within a Hamming distance; k-NN returns the
 * k nearest. Both are exact (100% recall) and return hits sorted by
 * (distance, pos), where pos is the entry's position in the array given to
 * lm_index_build. Internally: multi-index hashing over the sixteen 16-bit
 * words of a hash, with a pigeonring filter and SIMD verification (see
 * index_range.c), falling back to a SIMD scan when that is cheaper.
 *
 * Thread safety: a built lm_index is immutable; any number of threads may
 * query it at once. Query functions allocate nothing.
 */
#ifndef LM_SEARCH_INDEX_H
#define LM_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "libmatch.h"

/* PDQ's usual match threshold. */
#define LM_SEARCH_DEFAULT_DISTANCE 31

typedef struct lm_index lm_index;

typedef struct lm_search_hit {
    uint32_t pos; /* position in the array given to lm_index_build */
    int distance; /* Hamming distance to the query, 0..256 */
} lm_search_hit;

/*
 * Builds an index over hashes[0..n) (copied; the caller's array may be freed
 * afterwards). n may be 0; at most UINT32_MAX. nthreads: OpenMP threads for
 * the build (<= 0: all cores; 1: serial). Kernels are those of lm_cpu_isa().
 * [out] *out: the index, freed with lm_index_free.
 * Returns LM_OK, LM_E_INVALID_ARG (NULL out, NULL hashes with n > 0, n too
 * large) or LM_E_NOMEM (nothing leaked).
 */
lm_status lm_index_build(const lm_pdq_hash *hashes, size_t n, int nthreads, lm_index **out);

/* As lm_index_build with the kernels of one ISA; LM_E_UNSUPPORTED if this
 * CPU or build lacks it. For tests and benchmarks. */
lm_status lm_index_build_isa(const lm_pdq_hash *hashes, size_t n, int nthreads, lm_isa isa,
                             lm_index **out);

/* Frees an index; NULL is accepted. */
void lm_index_free(lm_index *ix);

size_t lm_index_count(const lm_index *ix);
/* Bytes the index holds (hashes, tables, offsets, header). */
size_t lm_index_memory_bytes(const lm_index *ix);
/* The instruction set whose kernels this index uses. */
lm_isa lm_index_isa(const lm_index *ix);

/*
 * Every entry within max_distance (0..256) of *q, sorted by (distance, pos).
 * [out] hits: the first min(cap, total) of them (may be NULL when cap == 0).
 * [out] *found: the total number within max_distance (may exceed cap).
 * Returns LM_OK, LM_E_INVALID_ARG, or LM_E_DB when ix is a mapped file
 * (index_file.h) and a block it read failed its check (then *found is 0).
 */
lm_status lm_index_range(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                         lm_search_hit *hits, size_t cap, size_t *found);

/*
 * The k nearest entries (k >= 0), ties broken by pos, sorted by (distance, pos).
 * [out] hits: room for k. [out] *found: min(k, count).
 * Returns LM_OK or LM_E_INVALID_ARG.
 */
lm_status lm_index_knn(const lm_index *ix, const lm_pdq_hash *q, int k, lm_search_hit *hits,
                       size_t *found);

/* The k nearest within max_distance (0..256): *found may be below min(k, count). */
lm_status lm_index_knn_within(const lm_index *ix, const lm_pdq_hash *q, int k, int max_distance,
                              lm_search_hit *hits, size_t *found);

/*
 * Batch forms over qs[0..nq), parallel with OpenMP (nthreads <= 0: all cores,
 * 1: serial; serial when built without OpenMP). Query j writes to
 * hits + j * cap (range) or hits + j * k (knn) and to found[j].
 */
lm_status lm_index_range_batch(const lm_index *ix, const lm_pdq_hash *qs, size_t nq,
                               int max_distance, lm_search_hit *hits, size_t cap, size_t *found,
                               int nthreads);
lm_status lm_index_knn_batch(const lm_index *ix, const lm_pdq_hash *qs, size_t nq, int k,
                             lm_search_hit *hits, size_t *found, int nthreads);

/* How a range query is answered; AUTO picks the cheaper by a cost model. */
typedef enum lm_search_strategy {
    LM_SEARCH_AUTO = 0,
    LM_SEARCH_MIH = 1,  /* multi-index hashing tables + verification */
    LM_SEARCH_SCAN = 2, /* SIMD distance to every entry */
} lm_search_strategy;

/* The strategy AUTO uses for this radius. */
lm_search_strategy lm_index_plan(const lm_index *ix, int max_distance);

/* lm_index_knn_within with a forced strategy (MIH: the staged search even where
 * the plan would scan; tests exercise both). */
lm_status lm_index_knn_with(const lm_index *ix, const lm_pdq_hash *q, int k, int max_distance,
                            lm_search_strategy strategy, lm_search_hit *hits, size_t *found);

/*
 * lm_index_range, also telling how close the search came to a match it did not
 * find: *beyond is the least distance above max_distance among the entries the
 * search compared in full anyway (the MIH candidates that passed the table
 * filters, or every entry of a scan), 257 when there were none. A hint for
 * deciding whether a costlier, more precise query is worth making (the
 * matcher's fast-decode re-check): entries within a few bits of the radius are
 * usually among the candidates but not always, so it is never an answer. Free:
 * the distances are computed by the range search itself. strategy as
 * lm_index_range_with (LM_SEARCH_AUTO: lm_index_range's choice).
 */
lm_status lm_index_range_near_miss(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                                   lm_search_strategy strategy, lm_search_hit *hits, size_t cap,
                                   size_t *found, int *beyond);

/* lm_index_range with a forced strategy (tests exercise both on every radius). */
lm_status lm_index_range_with(const lm_index *ix, const lm_pdq_hash *q, int max_distance,
                              lm_search_strategy strategy, lm_search_hit *hits, size_t cap,
                              size_t *found);

/*
 * Brute-force oracle over a plain array, scalar and deliberately simple: the
 * reference the index is tested against. Same contracts as lm_index_range and
 * lm_index_knn; may also return LM_E_NOMEM (it sorts a private copy).
 */
lm_status lm_brute_range(const lm_pdq_hash *hashes, size_t n, const lm_pdq_hash *q,
                         int max_distance, lm_search_hit *hits, size_t cap, size_t *found);
lm_status lm_brute_knn(const lm_pdq_hash *hashes, size_t n, const lm_pdq_hash *q, int k,
                       lm_search_hit *hits, size_t *found);

#endif
