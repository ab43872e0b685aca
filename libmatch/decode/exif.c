/*
 * EXIF orientation: find tag 0x0112 in IFD0 of the APP1 TIFF structure (every
 * offset bounds-checked: the payload is hostile), and rotate/flip the output
 * with the one orientation transform (orient.h, shared with video).
 * Applied after resampling, so a 512x512 result stays 512x512; the nearest
 * source pixels picked differ slightly from resampling the rotated image.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "orient.h"

static uint32_t rd16(const uint8_t *p, int le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p, int le)
{
    return le ? rd16(p, 1) | rd16(p + 2, 1) << 16 : rd16(p, 0) << 16 | rd16(p + 2, 0);
}

int lm_exif_orientation(const uint8_t *app1, size_t len)
{
    if (!app1 || len < 6 + 8 || memcmp(app1, "Exif\0\0", 6) != 0)
        return 0;
    const uint8_t *t = app1 + 6;
    size_t n = len - 6;
    int le;
    if (memcmp(t, "II*\0", 4) == 0)
        le = 1;
    else if (memcmp(t, "MM\0*", 4) == 0)
        le = 0;
    else
        return 0;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd > n || n - ifd < 2)
        return 0;
    uint32_t count = rd16(t + ifd, le);
    size_t pos = (size_t)ifd + 2;
    for (uint32_t i = 0; i < count && n - pos >= 12; i++, pos += 12) {
        const uint8_t *e = t + pos;
        /* tag 0x0112, type SHORT, count 1: the value sits in the first two bytes. */
        if (rd16(e, le) == 0x0112 && rd16(e + 2, le) == 3 && rd32(e + 4, le) == 1) {
            uint32_t v = rd16(e + 8, le);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
}

lm_status lm_orient_pixels(lm_pixels *p, int o, lm_errbuf *err)
{
    lm_xform xf = lm_xform_from_exif(o);
    if (xf == LM_XF_NONE)
        return LM_OK;
    uint32_t w = p->width, h = p->height;
    uint32_t dw = lm_xform_swaps(xf) ? h : w, dh = lm_xform_swaps(xf) ? w : h;
    size_t dstride = (size_t)dw * (size_t)p->channels;
    uint8_t *d = malloc(dstride * dh);
    if (!d)
        return lm_errbuf_set(err, LM_E_NOMEM, "no memory to orient %ux%u", w, h);
    lm_xform_pixels(xf, p->data, w, h, p->stride, p->channels, d, dstride);
    free(p->data);
    p->data = d;
    p->width = dw;
    p->height = dh;
    p->stride = dstride;
    return LM_OK;
}
