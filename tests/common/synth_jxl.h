/* JPEG XL test encoder (libjxl, linked for tests only): benign generated images only. */
#ifndef LM_TEST_SYNTH_JXL_H
#define LM_TEST_SYNTH_JXL_H

#include "synth.h"

/* 1 when the tests were built with libjxl's encoder. */
int synth_jxl_can_encode(void);
/*
 * Encode img (1 grey, 2 grey+alpha, 3 RGB or 4 RGBA channels, 8 bits) as JPEG XL.
 * lossless: modular, pixels survive exactly; else distance (1.0 is visually lossless).
 * orientation 1..8: the codestream's orientation field (pixels stored as given).
 * container: the ISOBMFF container instead of a bare codestream. frames > 1: an
 * animation of that many copies. *buf is malloc'd. Returns 0 or -1.
 */
int synth_encode_jxl(const synth_image *img, int lossless, float distance, int orientation,
                     int container, int frames, uint8_t **buf, size_t *len);

#endif
