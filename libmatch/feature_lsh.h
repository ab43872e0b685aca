/*
 * Approximate near-neighbour search over the stored rBRIEF descriptors of the
 * local-features index (feature_match.c): multi-probe LSH by bit sampling.
 *
 * LM_FLSH_TABLES hash tables; each keys a descriptor by k of its 256 bits
 * (k grows with the number of descriptors so that buckets stay small), the
 * bits chosen at build time over a sample of the stored descriptors so that
 * the keys split them evenly: rBRIEF bits are biased and correlated, so a key
 * of arbitrary bits puts hundreds of descriptors in one bucket (an earlier
 * attempt keyed by 16 consecutive bits: ~430 per bucket, uniform would be 1.4).
 * Tables use disjoint bits. A query probes its own bucket and the k buckets one
 * bit away in every table, and confirms each candidate by its true distance.
 *
 * Not exact (a stored descriptor is found when, in some table, it differs from
 * the query in at most one key bit); geometric verification follows, which
 * needs only a fraction of the true pairs. Deterministic: the bits depend only
 * on the stored descriptors, the probes only on the query; single-threaded.
 */
#ifndef LM_FEATURE_LSH_H
#define LM_FEATURE_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

#define LM_FLSH_TABLES 8
#define LM_FLSH_MAX_KEY_BITS 32

typedef struct lm_feat_lsh lm_feat_lsh;

/*
 * Build over desc[0..n) (n <= UINT32_MAX - 1; malloc'd), which the index takes
 * over, also on failure. LM_OK, LM_E_INVALID_ARG or LM_E_NOMEM.
 */
lm_status lm_feat_lsh_build(lm_pdq_hash *desc, size_t n, lm_feat_lsh **out);
void lm_feat_lsh_free(lm_feat_lsh *x);
/* Bytes held (descriptors, tables and bucket offsets). */
size_t lm_feat_lsh_bytes(const lm_feat_lsh *x);
/* Tables made (0 for an empty index), and the key bits of table t. */
int lm_feat_lsh_tables(const lm_feat_lsh *x);
int lm_feat_lsh_key_bits(const lm_feat_lsh *x, int t);

/* One found descriptor: its position in kp[] and its distance to the query. */
typedef struct lm_flsh_hit {
    uint32_t pos;
    uint16_t distance;
} lm_flsh_hit;

/*
 * The closest stored descriptors found within max_distance of *q, at most cap
 * of them (each once), sorted by (distance, pos); returns how many. Thread-safe.
 */
size_t lm_feat_lsh_query(const lm_feat_lsh *x, const lm_pdq_hash *q, int max_distance,
                         lm_flsh_hit *hits, size_t cap);

#endif
