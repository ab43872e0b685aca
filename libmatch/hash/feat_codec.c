/* The stored form of lm_features (the record layout of hashdb's features table). */
#include <string.h>

#include "local_features.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

size_t lm_features_encode(const lm_features *f, uint8_t *buf)
{
    if (f->count == 0)
        return 0;
    buf[0] = 1;
    buf[1] = 0;
    put16(buf + 2, f->count);
    put16(buf + 4, f->width);
    put16(buf + 6, f->height);
    for (size_t i = 0; i < f->count; i++) {
        uint8_t *p = buf + LM_FEAT_RECORD_HDR + i * LM_FEAT_RECORD_KP;
        put16(p, f->f[i].x);
        put16(p + 2, f->f[i].y);
        p[4] = f->f[i].angle;
        p[5] = f->f[i].level;
        memcpy(p + 6, f->f[i].desc.b, 32);
    }
    return LM_FEAT_RECORD_HDR + (size_t)f->count * LM_FEAT_RECORD_KP;
}

int lm_features_decode(const uint8_t *rec, size_t len, lm_features *out)
{
    memset(out, 0, offsetof(lm_features, f));
    if (len < LM_FEAT_RECORD_HDR || rec[0] != 1)
        return -1;
    size_t n = get16(rec + 2);
    if (n == 0 || n > LM_FEAT_MAX || len != LM_FEAT_RECORD_HDR + n * LM_FEAT_RECORD_KP)
        return -1;
    out->width = (uint16_t)get16(rec + 4);
    out->height = (uint16_t)get16(rec + 6);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rec + LM_FEAT_RECORD_HDR + i * LM_FEAT_RECORD_KP;
        out->f[i].x = (uint16_t)get16(p);
        out->f[i].y = (uint16_t)get16(p + 2);
        out->f[i].angle = p[4];
        out->f[i].level = p[5];
        memcpy(out->f[i].desc.b, p + 6, 32);
    }
    out->count = (uint16_t)n;
    return 0;
}
