/*
 * The second stage of lm_check for lists built from images: the stored local
 * features of every entry in one LSH index (feature_lsh.h), the query's
 * features matched against it, candidate pairs grouped by entry and verified
 * geometrically (hash/feat_verify.c). Built with the matcher snapshot.
 */
#ifndef LM_FEATURE_MATCH_H
#define LM_FEATURE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "hashdb.h"
#include "libmatch.h"
#include "local_features.h"

typedef struct lm_feature_index lm_feature_index;

/*
 * Load every entry's features from db; entries (ids sorted ascending, as
 * lm_hashdb_load_pdq gives them) and their PDQ hashes give each feature entry
 * its hash. *out is NULL when the list holds no features. LM_OK, LM_E_NOMEM, LM_E_DB.
 */
lm_status lm_feature_index_build(lm_hashdb *db, const uint64_t *ids, const lm_pdq_hash *hashes,
                                 size_t n, lm_feature_index **out);
void lm_feature_index_free(lm_feature_index *fx);
/* Entries with features, keypoints held, bytes held. */
size_t lm_feature_index_entries(const lm_feature_index *fx);
size_t lm_feature_index_keypoints(const lm_feature_index *fx);
size_t lm_feature_index_bytes(const lm_feature_index *fx);

/* Most entries verified per query (those with the most candidate pairs). */
#define LM_FEAT_MAX_VERIFIED 16

/* One verified entry. */
typedef struct lm_feature_hit {
    uint64_t entry_id;
    int pdq_distance; /* the query's plain hash against the entry's own hash */
    lm_feat_transform t;
} lm_feature_hit;

/* What lm_feature_search keeps (NULL: lm_check's, LM_FEAT_MIN_INLIERS and LM_FEAT_MAX_VERIFIED). */
typedef struct lm_feature_search_opts {
    int min_inliers;     /* >= 2 (bench: the closest non-matching pairs) */
    size_t max_verified; /* entries verified, those with the most candidate pairs first */
} lm_feature_search_opts;

/*
 * Entries whose features match q with at least min_inliers inliers (at most
 * max_verified), best first; hits: room for max_verified. plain: the query's
 * plain hash (for pdq_distance). The descriptor search is approximate
 * (feature_lsh.h). LM_OK or LM_E_NOMEM. Thread-safe on a built index.
 */
lm_status lm_feature_search(const lm_feature_index *fx, const lm_features *q,
                            const lm_pdq_hash *plain, const lm_feature_search_opts *opts,
                            lm_feature_hit *hits, size_t *nhits);

#endif
