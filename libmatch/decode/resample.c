/*
 * Nearest-neighbour resampling while decoding: the decoder pushes each source
 * row once and only the rows the output needs are kept, so memory stays at
 * the output size (at most 512x512) plus the decoder's own scanline.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

/* floor(i * src / dst) in double, as the reference computes it. */
static uint32_t source_index(uint32_t i, uint32_t src, uint32_t dst)
{
    return (uint32_t)((double)i * (double)src / (double)dst);
}

lm_status lm_rowsink_init(lm_rowsink *s, lm_pixels *out, uint32_t src_w, uint32_t src_h,
                          int channels, lm_errbuf *err)
{
    return lm_rowsink_init_scaled(s, out, src_w, src_h, src_w, src_h, channels, err);
}

lm_status lm_rowsink_init_scaled(lm_rowsink *s, lm_pixels *out, uint32_t src_w, uint32_t src_h,
                                 uint32_t full_w, uint32_t full_h, int channels, lm_errbuf *err)
{
    memset(s, 0, sizeof *s);
    int resample = full_w > LM_DECODE_TARGET || full_h > LM_DECODE_TARGET;
    uint32_t w = resample ? LM_DECODE_TARGET : src_w;
    uint32_t h = resample ? LM_DECODE_TARGET : src_h;
    out->data = malloc((size_t)w * h * (size_t)channels);
    s->xmap = malloc(sizeof *s->xmap * w);
    if (!out->data || !s->xmap) {
        free(out->data);
        out->data = NULL;
        free(s->xmap);
        s->xmap = NULL;
        return lm_errbuf_set(err, LM_E_NOMEM, "no memory for %ux%u output", w, h);
    }
    for (uint32_t x = 0; x < w; x++)
        s->xmap[x] = source_index(x, src_w, w);
    out->width = w;
    out->height = h;
    out->stride = (size_t)w * (size_t)channels;
    out->channels = channels;
    out->source_width = src_w;
    out->source_height = src_h;
    s->src_w = src_w;
    s->src_h = src_h;
    s->out = out;
    return LM_OK;
}

int lm_rowsink_wants(const lm_rowsink *s, uint32_t sy)
{
    return s->next_y < s->out->height && source_index(s->next_y, s->src_h, s->out->height) == sy;
}

uint32_t lm_rowsink_next_row(const lm_rowsink *s)
{
    if (!s->out || s->next_y >= s->out->height)
        return s->src_h;
    return source_index(s->next_y, s->src_h, s->out->height);
}

void lm_rowsink_put(lm_rowsink *s, uint32_t sy, const uint8_t *row)
{
    lm_pixels *o = s->out;
    /* A source row may feed several output rows when the image is stretched. */
    while (lm_rowsink_wants(s, sy)) {
        uint8_t *dst = o->data + (size_t)s->next_y * o->stride;
        if (o->width == s->src_w) {
            memcpy(dst, row, o->stride);
        } else if (o->channels == 1) {
            for (uint32_t x = 0; x < o->width; x++)
                dst[x] = row[s->xmap[x]];
        } else {
            for (uint32_t x = 0; x < o->width; x++)
                memcpy(dst + 3 * (size_t)x, row + 3 * (size_t)s->xmap[x], 3);
        }
        s->next_y++;
    }
}

uint32_t lm_rowsink_source_row(const lm_rowsink *s, uint32_t out_y)
{
    return source_index(out_y, s->src_h, s->out->height);
}

void lm_rowsink_put_picked(lm_rowsink *s, uint32_t sy, const uint8_t *row)
{
    lm_pixels *o = s->out;
    while (lm_rowsink_wants(s, sy)) {
        memcpy(o->data + (size_t)s->next_y * o->stride, row, o->stride);
        s->next_y++;
    }
}

int lm_rowsink_done(const lm_rowsink *s)
{
    return s->out && s->next_y == s->out->height;
}

void lm_rowsink_release(lm_rowsink *s)
{
    free(s->xmap);
    s->xmap = NULL;
}
