/*
 * Declared dimensions of GIF, WebP and BMP, read from fixed header offsets so
 * that an oversized image gets LM_E_LIMIT_* before libavcodec sees it (the
 * decoder's own size check only says "invalid data").
 */
#include <string.h>

#include "decode_internal.h"

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t le24(const uint8_t *p)
{
    return le16(p) | (uint32_t)p[2] << 16;
}
static uint32_t le32(const uint8_t *p)
{
    return le24(p) | (uint32_t)p[3] << 24;
}

static int webp_dims(const uint8_t *d, size_t n, uint64_t *w, uint64_t *h)
{
    if (n < 30)
        return 0;
    const uint8_t *c = d + 12; /* first chunk */
    if (memcmp(c, "VP8X", 4) == 0) {
        *w = (uint64_t)le24(d + 24) + 1;
        *h = (uint64_t)le24(d + 27) + 1;
        return 1;
    }
    if (memcmp(c, "VP8 ", 4) == 0 && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a) {
        *w = le16(d + 26) & 0x3fff;
        *h = le16(d + 28) & 0x3fff;
        return 1;
    }
    if (memcmp(c, "VP8L", 4) == 0 && d[20] == 0x2f) {
        uint32_t b = le32(d + 21);
        *w = (uint64_t)(b & 0x3fff) + 1;
        *h = (uint64_t)((b >> 14) & 0x3fff) + 1;
        return 1;
    }
    return 0;
}

int lm_header_dims(const uint8_t *d, size_t n, lm_format format, uint64_t *w, uint64_t *h)
{
    switch (format) {
    case LM_FORMAT_GIF:
        if (n < 10)
            return 0;
        *w = le16(d + 6);
        *h = le16(d + 8);
        return 1;
    case LM_FORMAT_WEBP: return webp_dims(d, n, w, h);
    case LM_FORMAT_BMP: {
        if (n < 26)
            return 0;
        uint32_t hs = le32(d + 14);
        if (hs == 12) {
            *w = le16(d + 18);
            *h = le16(d + 20);
        } else {
            int32_t sw = (int32_t)le32(d + 18), sh = (int32_t)le32(d + 22);
            /* Negative height means top-down rows; INT32_MIN has no positive twin. */
            *w = sw < 0 ? 0 : (uint64_t)sw;
            *h = sh == INT32_MIN ? (uint64_t)1 << 31 : (uint64_t)(sh < 0 ? -(int64_t)sh : sh);
        }
        return 1;
    }
    default: return 0;
    }
}
