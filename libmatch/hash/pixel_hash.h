/*
 * The one way from pixels to PDQ (issue 15). An 8-bit RGB (3 channels) or grey
 * (1) buffer, rows `stride` bytes apart -> float luma as the reference computes it
 * -> PDQ hash and quality, and the 7 other dihedral hashes when asked. Still
 * images (the hasher, lm_check, list adds), their sub-images (trimmed content,
 * companions, region proposals) and video frames are all hashed here.
 */
#ifndef LM_HASH_PIXEL_HASH_H
#define LM_HASH_PIXEL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "errbuf.h"
#include "libmatch.h"

/* Reusable float scratch for lm_pdq_hash_pixels (video frames); zero-initialise. */
typedef struct lm_pdq_scratch {
    float *buf;
    size_t cap; /* pixels: buf holds 2 * cap floats (luma, then the filter's scratch) */
} lm_pdq_scratch;

void lm_pdq_scratch_free(lm_pdq_scratch *s);

/* Float luma of 8-bit pixels: RGB weighted as the reference, grey values as they are. */
void lm_pdq_luma_from_pixels(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                             int channels, float *luma);

/*
 * PDQ of a width x height float luma image (overwritten; tmp: as many floats of
 * scratch) into out->pdq and out->quality, and out->dihedral[0..7] when dihedral
 * is set; nothing else of out is written.
 */
void lm_pdq_hash_luma_image(float *luma, float *tmp, uint32_t width, uint32_t height, int dihedral,
                            lm_image_hash *out);

/*
 * PDQ of the pixels, as lm_pdq_hash_luma_image writes it. scratch: kept between
 * calls by the caller (video frames), or NULL to allocate for this call only.
 * width, height >= 1; channels 1 or 3. LM_OK or LM_E_NOMEM.
 */
lm_status lm_pdq_hash_pixels(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                             int channels, int dihedral, lm_pdq_scratch *scratch,
                             lm_image_hash *out);

/*
 * PDQ of the rectangle r of a luma image luma_width floats wide (left as it is),
 * through a copy in work (2 * r.w * r.h floats): the hash of those pixels, so one
 * luma serves every rectangle of an image.
 */
void lm_pdq_hash_luma_rect(const float *luma, uint32_t luma_width, lm_rect r, float *work,
                           int dihedral, lm_image_hash *out);

/*
 * The whole lm_image_hash of decoded pixels: zeroed, then the hash, quality
 * (dihedral when asked), the source's size, format and truncation.
 * LM_OK or LM_E_NOMEM (detail in err).
 */
lm_status lm_hash_decoded(const lm_pixels *px, int dihedral, lm_image_hash *out, lm_errbuf *err);

/*
 * Decode data with opts (decode/: every limit, including max_bytes) and hash it
 * as lm_hash_decoded. keep non-NULL: on LM_OK the decoded pixels are the
 * caller's (lm_pixels_free), for hashes of parts of the image; else freed.
 * Codes as lm_hash_memory.
 */
lm_status lm_hash_image_data(const lm_decode_opts *opts, int dihedral, const void *data, size_t len,
                             lm_pixels *keep, lm_image_hash *out, lm_errbuf *err);

#endif
