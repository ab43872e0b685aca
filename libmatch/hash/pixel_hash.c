/* The one pixels -> PDQ path (pixel_hash.h). */
#include "pixel_hash.h"

#include <stdlib.h>
#include <string.h>

#include "pdq.h"

void lm_pdq_scratch_free(lm_pdq_scratch *s)
{
    if (!s)
        return;
    free(s->buf);
    s->buf = NULL;
    s->cap = 0;
}

/* 2 * n floats from s (grown when too small), or NULL when out of memory. */
static float *scratch_get(lm_pdq_scratch *s, size_t n)
{
    if (n <= s->cap)
        return s->buf;
    if (n > SIZE_MAX / (2 * sizeof(float)))
        return NULL;
    free(s->buf);
    s->cap = 0;
    s->buf = malloc(n * 2 * sizeof(float));
    if (!s->buf)
        return NULL;
    s->cap = n;
    return s->buf;
}

void lm_pdq_luma_from_pixels(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                             int channels, float *luma)
{
    if (channels == 3)
        lm_pdq_luma_from_rgb(pixels, (int)height, (int)width, stride, luma);
    else
        lm_pdq_luma_from_grey(pixels, (int)height, (int)width, stride, luma);
}

void lm_pdq_hash_luma_image(float *luma, float *tmp, uint32_t width, uint32_t height, int dihedral,
                            lm_image_hash *out)
{
    lm_pdq_hash hashes[8];
    lm_pdq_hash_luma(luma, tmp, (int)height, (int)width, dihedral, hashes, &out->quality);
    out->pdq = hashes[0];
    if (dihedral)
        memcpy(out->dihedral, hashes, sizeof hashes);
}

lm_status lm_pdq_hash_pixels(const uint8_t *pixels, uint32_t width, uint32_t height, size_t stride,
                             int channels, int dihedral, lm_pdq_scratch *scratch,
                             lm_image_hash *out)
{
    lm_pdq_scratch own = {0};
    lm_pdq_scratch *s = scratch ? scratch : &own;
    size_t n = (size_t)width * height;
    float *luma = scratch_get(s, n);
    if (!luma)
        return LM_E_NOMEM;
    lm_pdq_luma_from_pixels(pixels, width, height, stride, channels, luma);
    lm_pdq_hash_luma_image(luma, luma + n, width, height, dihedral, out);
    lm_pdq_scratch_free(&own);
    return LM_OK;
}

void lm_pdq_hash_luma_rect(const float *luma, uint32_t luma_width, lm_rect r, float *work,
                           int dihedral, lm_image_hash *out)
{
    for (uint32_t y = 0; y < r.h; y++)
        memcpy(work + (size_t)y * r.w, luma + (size_t)(r.y + y) * luma_width + r.x,
               r.w * sizeof *work);
    lm_pdq_hash_luma_image(work, work + (size_t)r.w * r.h, r.w, r.h, dihedral, out);
}

lm_status lm_hash_decoded(const lm_pixels *px, int dihedral, lm_image_hash *out, lm_errbuf *err)
{
    memset(out, 0, sizeof *out);
    if (lm_pdq_hash_pixels(px->data, px->width, px->height, px->stride, px->channels, dihedral,
                           NULL, out) != LM_OK)
        return lm_errbuf_set(err, LM_E_NOMEM, "no memory for %ux%u luma", px->width, px->height);
    out->width = px->source_width;
    out->height = px->source_height;
    out->format = px->format;
    out->truncated = px->truncated;
    return LM_OK;
}

lm_status lm_hash_image_data(const lm_decode_opts *opts, int dihedral, const void *data, size_t len,
                             lm_pixels *keep, lm_image_hash *out, lm_errbuf *err)
{
    lm_pixels px;
    lm_status st = lm_decode_image(data, len, opts, &px, err);
    if (st != LM_OK)
        return st;
    st = lm_hash_decoded(&px, dihedral, out, err);
    if (st == LM_OK && keep)
        *keep = px;
    else
        lm_pixels_free(&px);
    return st;
}
