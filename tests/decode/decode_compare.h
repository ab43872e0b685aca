/* Comparing decodes in the decoder tests: the same pixels, and the reference hasher's hash. */
#ifndef LM_TEST_DECODE_COMPARE_H
#define LM_TEST_DECODE_COMPARE_H

#include <stdio.h>
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

/* The bytes decoded with the defaults and no orientation; a failure is said on stderr. */
static inline lm_status decode_plain(const uint8_t *d, size_t n, lm_pixels *px)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.exif_orient = 0;
    lm_errbuf err = {{0}};
    lm_status st = lm_decode_image(d, n, &o, px, &err);
    if (st != LM_OK)
        fprintf(stderr, "  decode: %s (%s)\n", lm_strerror(st), err.msg);
    return st;
}

/*
 * A lossless file of a w x h image in format, and the PNG of the same image: the file's
 * size and format, the same pixels, the same hash and quality (checked). *ha is the file's
 * hash and hex its text; returns the distance to the PNG's hash (0 unless a check failed).
 */
static inline int lossless_as_png(const char *what, const uint8_t *file, size_t fn,
                                  lm_format format, const uint8_t *png, size_t pn, uint32_t w,
                                  uint32_t h, lm_image_hash *ha, char hex[LM_PDQ_HEX_CHARS + 1])
{
    lm_pixels a, b;
    CHECK_EQ_INT(decode_plain(file, fn, &a), LM_OK);
    CHECK_EQ_INT(decode_plain(png, pn, &b), LM_OK);
    CHECK_EQ_INT(a.source_width, w);
    CHECK_EQ_INT(a.source_height, h);
    CHECK_EQ_INT(a.format, format);
    if (!same_pixels(&a, &b))
        fprintf(stderr, "%s: pixels differ from PNG\n", what);
    CHECK(same_pixels(&a, &b));
    lm_pixels_free(&a);
    lm_pixels_free(&b);
    lm_image_hash hb;
    hash_of(file, fn, ha);
    hash_of(png, pn, &hb);
    lm_pdq_to_hex(&ha->pdq, hex);
    int d = lm_pdq_distance(&ha->pdq, &hb.pdq);
    CHECK_EQ_INT(d, 0);
    CHECK_EQ_INT(ha->quality, hb.quality);
    return d;
}

#endif
