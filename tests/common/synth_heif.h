/* HEIC/AVIF test encoders (libheif): benign generated images only. */
#ifndef LM_TEST_SYNTH_HEIF_H
#define LM_TEST_SYNTH_HEIF_H

#include "synth.h"

/* 1 when this libheif can encode and decode HEIC (avif 0) or AVIF (avif 1). */
int synth_heif_can_encode(int avif);
/*
 * Encode img (3 or 4 channels) as HEIC (avif 0, x265) or AVIF (avif 1, libaom).
 * lossless: RGB 4:4:4, identity matrix (pixels survive exactly); else quality 0..100.
 * orientation 2..8 writes irot/imir for that EXIF orientation (pixels stored as given).
 * *buf is malloc'd. Returns 0 or -1.
 */
int synth_encode_heif(const synth_image *img, int avif, int lossless, int quality, int orientation,
                      uint8_t **buf, size_t *len);

#endif
