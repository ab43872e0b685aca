/*
 * Descriptors: the keypoint's orientation by the intensity centroid of a
 * radius-15 disc (as ORB), and 256 brightness comparisons of point pairs
 * (feat_pattern.c) rotated by that orientation, sampled bilinearly on the
 * smoothed level so that JPEG noise and small shifts flip few bits.
 */
#include <math.h>

#include "local_features_internal.h"

uint8_t feat_orientation(const feat_img *img, float x, float y)
{
    const int r = LM_FEAT_PATCH_RADIUS, cx = (int)x, cy = (int)y, w = img->w;
    float m10 = 0, m01 = 0;
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            if (dx * dx + dy * dy > r * r)
                continue;
            float v = img->p[(size_t)(cy + dy) * w + (cx + dx)];
            m10 += (float)dx * v;
            m01 += (float)dy * v;
        }
    if (m10 == 0 && m01 == 0)
        return 0;
    double a = atan2((double)m01, (double)m10); /* -pi..pi */
    long q = lround(a * 128.0 / M_PI);
    return (uint8_t)(q & 255);
}

static float sample(const feat_img *img, float x, float y)
{
    int ix = (int)floorf(x), iy = (int)floorf(y);
    float fx = x - ix, fy = y - iy;
    const float *p = img->p + (size_t)iy * img->w + ix;
    return (1 - fy) * ((1 - fx) * p[0] + fx * p[1]) +
           fy * ((1 - fx) * p[img->w] + fx * p[img->w + 1]);
}

void feat_describe(const feat_img *smooth, float x, float y, uint8_t angle, lm_pdq_hash *out)
{
    double a = angle * M_PI / 128.0;
    float c = (float)cos(a), s = (float)sin(a);
    for (int i = 0; i < 32; i++)
        out->b[i] = 0;
    for (int i = 0; i < LM_FEAT_BITS; i++) {
        const int8_t *p = lm_feat_pattern[i];
        float x1 = x + c * p[0] - s * p[1], y1 = y + s * p[0] + c * p[1];
        float x2 = x + c * p[2] - s * p[3], y2 = y + s * p[2] + c * p[3];
        if (sample(smooth, x1, y1) < sample(smooth, x2, y2))
            out->b[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
}
