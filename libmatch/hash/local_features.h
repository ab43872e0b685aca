/*
 * Local binary features: the second, crop- and rotation-tolerant signature of
 * an image-built list entry (issue 14). Deterministic and bounded:
 *
 *  - working image: luma, resampled with the source's aspect ratio so that
 *    its longer side is LM_FEAT_SIDE pixels (from the bounded decoded buffer);
 *  - LM_FEAT_LEVELS pyramid levels, each LM_FEAT_SCALE times smaller;
 *  - FAST-9 corners ranked by the Harris response, spread over a grid, at most
 *    LM_FEAT_MAX per image (feat_keypoints.c);
 *  - orientation by the intensity centroid, and a 256-bit steered BRIEF
 *    descriptor (rBRIEF, as ORB) on the smoothed level (feat_descriptor.c);
 *  - geometric verification of descriptor matches with a similarity transform
 *    (scale, rotation, shift) and a minimum inlier count (feat_verify.c).
 *
 * A 256-bit descriptor is an lm_pdq_hash, so the Hamming index of search/
 * serves them too. Knows nothing of files, decoding or the database.
 */
#ifndef LM_HASH_LOCAL_FEATURES_H
#define LM_HASH_LOCAL_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

#define LM_FEAT_SIDE 320 /* longer side of the working image, pixels */
#define LM_FEAT_LEVELS 4 /* pyramid levels */
#define LM_FEAT_SCALE 1.25f
#define LM_FEAT_MAX 256     /* keypoints kept per image (stored and query alike) */
#define LM_FEAT_MIN_SIDE 48 /* a working image with a shorter side gets no features */

/* One keypoint: position in level-0 pixels x 16, orientation in 256ths of a turn. */
typedef struct lm_feature {
    uint16_t x, y;
    uint8_t angle;
    uint8_t level;
    lm_pdq_hash desc;
} lm_feature;

typedef struct lm_features {
    uint16_t width, height; /* the working image */
    uint16_t count;         /* 0..LM_FEAT_MAX (0: flat, tiny or no corners) */
    lm_feature f[LM_FEAT_MAX];
} lm_features;

/*
 * Features of an 8-bit grey (channels 1) or RGB (channels 3) buffer of
 * width x height pixels; source_width x source_height is the image's true size
 * (the buffer may have been resampled to another aspect ratio), 0 for the
 * buffer's own. Returns LM_OK (out->count may be 0), LM_E_INVALID_ARG or LM_E_NOMEM.
 * Scratch: about 12 bytes per working pixel (at most 320x320), freed before return.
 */
lm_status lm_features_compute(const uint8_t *data, uint32_t width, uint32_t height, size_t stride,
                              int channels, uint32_t source_width, uint32_t source_height,
                              lm_features *out);

/*
 * The stored form (hashdb's features table): an 8-byte header {u8 version 1,
 * u8 0, u16 count, u16 width, u16 height} and count x 38 bytes {u16 x, u16 y,
 * u8 angle, u8 level, descriptor[32]}, little-endian.
 */
#define LM_FEAT_RECORD_HDR 8
#define LM_FEAT_RECORD_KP 38
#define LM_FEAT_RECORD_MAX (LM_FEAT_RECORD_HDR + LM_FEAT_MAX * LM_FEAT_RECORD_KP)
/* Encode into buf (LM_FEAT_RECORD_MAX bytes); returns the size, 0 when f has no keypoints. */
size_t lm_features_encode(const lm_features *f, uint8_t *buf);
/* Decode a record; 0, or -1 when malformed. */
int lm_features_decode(const uint8_t *rec, size_t len, lm_features *out);

/* A candidate correspondence: query keypoint qi and stored keypoint si (of one entry). */
typedef struct lm_feat_pair {
    uint16_t qi, si;
    uint16_t distance; /* descriptor Hamming distance */
} lm_feat_pair;

/* What geometric verification found: the transform stored -> query, and its support. */
typedef struct lm_feat_transform {
    int inliers;    /* distinct keypoint pairs consistent with the transform */
    float scale;    /* query size / stored size */
    float rotation; /* degrees, counter-clockwise in image coordinates */
    float tx, ty;   /* shift, query level-0 pixels */
    float spread;   /* the inliers' standard deviation along their narrowest axis, as a share
                       of the query's shorter side (a uniform spread over the query: 0.29) */
} lm_feat_transform;

/* The least number of inliers for a match (chosen with bench/robustness: see README). */
#define LM_FEAT_MIN_INLIERS 22
/* The least spread of the inliers (lm_feat_transform.spread) for a match: 0.06 of the
 * query's shorter side, i.e. spanning about a fifth of it when spread evenly (see README). */
#define LM_FEAT_MIN_SPREAD 0.06f
/* Hamming distance at most this for a descriptor pair to be a candidate. */
#define LM_FEAT_MAX_DESC_DISTANCE 56
/* Candidate pairs examined per entry (the closest first). */
#define LM_FEAT_MAX_PAIRS 1024

/*
 * Verify pairs[0..n) (sorted by distance, at most LM_FEAT_MAX_PAIRS used)
 * between query q and stored keypoints s[0..ns). Deterministic; bounded by
 * LM_FEAT_MAX_PAIRS and a fixed number of hypotheses. Fills *out (inliers 0
 * when nothing is consistent).
 */
void lm_feat_verify(const lm_features *q, const lm_feature *s, size_t ns, const lm_feat_pair *pairs,
                    size_t n, lm_feat_transform *out);

#endif
