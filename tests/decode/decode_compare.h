/* Comparing decodes in the decoder tests: the same pixels, and the reference hasher's hash. */
#ifndef LM_TEST_DECODE_COMPARE_H
#define LM_TEST_DECODE_COMPARE_H

#include <string.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"

/* Same size, layout and bytes. */
static inline int same_pixels(const lm_pixels *a, const lm_pixels *b)
{
    return a->width == b->width && a->height == b->height && a->channels == b->channels &&
           a->stride == b->stride && memcmp(a->data, b->data, a->stride * a->height) == 0;
}

/* The hash pmatch hash gives the bytes (reference settings); a failure is a CHECK failure. */
static inline void hash_of(const uint8_t *d, size_t n, lm_image_hash *h)
{
    lm_hasher *hs = lm_hasher_create();
    memset(h, 0, sizeof *h);
    CHECK_EQ_INT(lm_hash_memory(hs, d, n, h), LM_OK);
    lm_hasher_destroy(hs);
}

#endif
