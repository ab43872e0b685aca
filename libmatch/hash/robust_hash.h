/*
 * Hashes beyond the plain PDQ hash, all from one decode (the bounded buffer,
 * at most 512x512, that the plain hash is computed from):
 *  - query side: the hash of the content inside detected borders (trimmed);
 *  - list side: companion hashes of fixed sub-regions (crop resilience).
 * The plain hash stays bit-identical to the reference; these are extra.
 */
#ifndef LM_HASH_ROBUST_HASH_H
#define LM_HASH_ROBUST_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "border.h"
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
 * on the pixels, see lm_border_detect and lm_border_image).
 */
int lm_region_rect(int code, uint32_t width, uint32_t height, uint32_t *x, uint32_t *y, uint32_t *w,
                   uint32_t *h);

/* The default companion set stored by lm_list_add_image (chosen by bench/robustness). */
extern const uint8_t lm_default_companion_regions[];
extern const size_t lm_default_companion_count;

/* PDQ of the w x h rectangle at (x, y) of a decoded image into out->pdq and out->quality
 * (out->dihedral with dihedral), as lm_pdq_hash_pixels. */
lm_status lm_hash_subimage(const lm_pixels *px, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                           int dihedral, lm_image_hash *out, lm_errbuf *err);

/* What lm_check matches for a still image. */
typedef struct lm_query_hashes {
    lm_image_hash image;   /* the plain hash (reference-compatible), dihedrals when asked */
    int has_trimmed;       /* 1 when borders were found and trimmed is valid */
    lm_border_bands bands; /* in pixels of the decoded (bounded) image */
    lm_image_hash trimmed; /* the content's hash (pdq, quality, format; dihedral[1..7]
                              with dihedral), as lm_check_result.trimmed */
    lm_rect trimmed_rect;  /* where, in pixels of the image as decoded (source size) */
    size_t region_count;   /* region proposals (libmatch/region), as lm_check_result */
    lm_query_region regions[LM_CHECK_MAX_REGIONS];
    int inexact; /* 1: from a fast decode (lm_pixels.inexact), not the reference's pixels */
} lm_query_hashes;

/*
 * Decode once; plain hash, the trimmed hash when trim is set, and the region
 * proposals' hashes when regions is set (the one float luma of the decoded
 * image serves all of them, cropped: every hash is the PDQ of those pixels).
 * Codes as lm_hash_memory.
 */
lm_status lm_query_hashes_compute(const lm_decode_opts *opts, int dihedral, int trim, int regions,
                                  const void *data, size_t len, lm_query_hashes *out,
                                  lm_errbuf *err);

/*
 * As lm_query_hashes_compute; with keep non-NULL, the decoded pixels are
 * handed to the caller on success (free with lm_pixels_free) so that the local
 * features can be computed later, only when the hashes found nothing.
 */
lm_status lm_query_hashes_compute_ex(const lm_decode_opts *opts, int dihedral, int trim,
                                     int regions, lm_pixels *keep, const void *data, size_t len,
                                     lm_query_hashes *out, lm_errbuf *err);

/* The local features of pixels decoded by lm_query_hashes_compute_ex (keep). */
lm_status lm_query_features(const lm_pixels *px, lm_features *f, lm_errbuf *err);

/* r (pixels of the w x h decoded buffer) in pixels of the image as decoded (px's source size). */
lm_rect lm_rect_to_source(const lm_pixels *px, lm_rect r);

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
