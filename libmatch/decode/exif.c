/*
 * EXIF orientation: find tag 0x0112 in IFD0 of the APP1 TIFF structure (every
 * offset bounds-checked: the payload is hostile), and rotate/flip the output.
 * Applied after resampling, so a 512x512 result stays 512x512; the nearest
 * source pixels picked differ slightly from resampling the rotated image.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

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
    if (o < 2 || o > 8)
        return LM_OK;
    uint32_t w = p->width, h = p->height;
    int swap = o >= 5;
    uint32_t dw = swap ? h : w, dh = swap ? w : h;
    size_t ch = (size_t)p->channels, dstride = (size_t)dw * ch;
    uint8_t *d = malloc(dstride * dh);
    if (!d)
        return lm_errbuf_set(err, LM_E_NOMEM, "no memory to orient %ux%u", w, h);
    for (uint32_t y = 0; y < dh; y++) {
        for (uint32_t x = 0; x < dw; x++) {
            /* Source pixel (sx, sy) shown at (x, y) for each EXIF orientation. */
            uint32_t sx, sy;
            switch (o) {
            case 2:
                sx = w - 1 - x;
                sy = y;
                break;
            case 3:
                sx = w - 1 - x;
                sy = h - 1 - y;
                break;
            case 4:
                sx = x;
                sy = h - 1 - y;
                break;
            case 5:
                sx = y;
                sy = x;
                break;
            case 6:
                sx = y;
                sy = h - 1 - x;
                break;
            case 7:
                sx = w - 1 - y;
                sy = h - 1 - x;
                break;
            default:
                sx = w - 1 - y;
                sy = x;
                break; /* 8 */
            }
            memcpy(d + (size_t)y * dstride + x * ch, p->data + (size_t)sy * p->stride + sx * ch,
                   ch);
        }
    }
    free(p->data);
    p->data = d;
    p->width = dw;
    p->height = dh;
    p->stride = dstride;
    return LM_OK;
}
