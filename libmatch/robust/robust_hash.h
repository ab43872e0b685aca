/*
 * Hashes beyond the plain PDQ hash, all from one decode (the bounded buffer,
 * at most 512x512, that the plain hash is computed from):
 *  - query side: the hash of the content inside detected borders (trimmed);
 *  - list side: companion hashes of fixed sub-regions (crop resilience).
 * The plain hash stays bit-identical to the reference; these are extra.
 */
#ifndef LM_ROBUST_HASH_H
#define LM_ROBUST_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "border_trim.h"
#include "decode.h"
#include "errbuf.h"
#include "libmatch.h"
#include "local_features.h"

/* Region codes 1..LM_REGION_MAX_CODE are defined (lm_region in libmatch.h). */
#define LM_REGION_MAX_CODE 21
#define LM_MAX_COMPANIONS 24

/*
 * The rectangle of region code within a width x height image. Returns 0 and
 * fills x/y/w/h, or -1 for an unknown code or LM_REGION_TRIMMED (which depends
 * on the pixels, see lm_border_detect).
 */
int lm_region_rect(int code, uint32_t width, uint32_t height, uint32_t *x, uint32_t *y, uint32_t *w,
                   uint32_t *h);

/* The default companion set stored by lm_list_add_image (chosen by bench/robustness). */
extern const uint8_t lm_default_companion_regions[];
extern const size_t lm_default_companion_count;

/* PDQ of the w x h rectangle at (x, y) of a decoded image; dihedral fills hashes[1..7]. */
lm_status lm_hash_subimage(const lm_pixels *px, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                           int dihedral, lm_pdq_hash hashes[8], int *quality, lm_errbuf *err);

/* What lm_check matches for a still image. */
typedef struct lm_query_hashes {
    lm_image_hash image;    /* the plain hash (reference-compatible), dihedrals when asked */
    int has_trimmed;        /* 1 when borders were found and trimmed is valid */
    lm_border_bands bands;  /* in pixels of the decoded (bounded) image */
    lm_image_hash trimmed;  /* the content's hash (pdq, quality, format; dihedral[1..7]
                               with dihedral), as lm_check_result.trimmed */
} lm_query_hashes;

/* Decode once; plain hash, and the trimmed hash when trim is set. Codes as lm_hash_memory. */
lm_status lm_query_hashes_compute(const lm_decode_opts *opts, int dihedral, int trim,
                                  const void *data, size_t len, lm_query_hashes *out,
                                  lm_errbuf *err);

/* As lm_query_hashes_compute; with features non-NULL, also the image's local features. */
lm_status lm_query_hashes_compute_ex(const lm_decode_opts *opts, int dihedral, int trim,
                                     lm_features *features, const void *data, size_t len,
                                     lm_query_hashes *out, lm_errbuf *err);

/* What lm_list_add_image stores for an image. */
typedef struct lm_companion_hashes {
    lm_image_hash image; /* the plain hash */
    size_t count;
    uint8_t region[LM_MAX_COMPANIONS];
    lm_pdq_hash hash[LM_MAX_COMPANIONS];
    int quality[LM_MAX_COMPANIONS];
} lm_companion_hashes;

/*
 * Decode once; the plain hash and the companions of the given regions (plus
 * LM_REGION_TRIMMED when the image has borders and trimmed is set). Companions
 * equal to the plain hash are left out. Codes as lm_hash_memory.
 */
lm_status lm_companions_compute(const lm_decode_opts *opts, const uint8_t *regions, size_t nregions,
                                int trimmed, const void *data, size_t len, lm_companion_hashes *out,
                                lm_errbuf *err);

/* As lm_companions_compute; with features non-NULL, also the image's local features. */
lm_status lm_companions_compute_ex(const lm_decode_opts *opts, const uint8_t *regions,
                                   size_t nregions, int trimmed, lm_features *features,
                                   const void *data, size_t len, lm_companion_hashes *out,
                                   lm_errbuf *err);

#endif
