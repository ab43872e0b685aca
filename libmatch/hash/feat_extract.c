/*
 * lm_features_compute: the working image, its pyramid, keypoints per level
 * (a share of LM_FEAT_MAX proportional to the level's area, as ORB) and their
 * descriptors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "local_features_internal.h"

lm_status lm_features_compute(const uint8_t *data, uint32_t width, uint32_t height, size_t stride,
                              int channels, uint32_t source_width, uint32_t source_height,
                              lm_features *out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    memset(out, 0, offsetof(lm_features, f));
    if (!data || (channels != 1 && channels != 3) || width == 0 || height == 0 ||
        stride < (size_t)width * (size_t)channels || width > 65535 || height > 65535)
        return LM_E_INVALID_ARG;
    uint32_t sw = source_width ? source_width : width, sh = source_height ? source_height : height;
    if (sw == 0 || sh == 0)
        return LM_E_INVALID_ARG;
    int W, H;
    if (sw >= sh) {
        W = LM_FEAT_SIDE;
        H = (int)lround((double)LM_FEAT_SIDE * sh / sw);
    } else {
        H = LM_FEAT_SIDE;
        W = (int)lround((double)LM_FEAT_SIDE * sw / sh);
    }
    /* Too small or too thin a picture to carry local structure: no features (not an error). */
    if (W < LM_FEAT_MIN_SIDE || H < LM_FEAT_MIN_SIDE || width < 32 || height < 32)
        return LM_OK;
    out->width = (uint16_t)W;
    out->height = (uint16_t)H;

    float *luma = malloc((size_t)width * height * sizeof *luma);
    if (!luma)
        return LM_E_NOMEM;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *row = data + (size_t)y * stride;
        float *o = luma + (size_t)y * width;
        if (channels == 3)
            for (uint32_t x = 0; x < width; x++)
                o[x] = 0.299f * row[3 * x] + 0.587f * row[3 * x + 1] + 0.114f * row[3 * x + 2];
        else
            for (uint32_t x = 0; x < width; x++)
                o[x] = row[x];
    }
    static const float share[LM_FEAT_LEVELS] = {0.433f, 0.277f, 0.177f, 0.113f};
    feat_kp kps[LM_FEAT_MAX];
    lm_status st = LM_OK;
    size_t total = 0;
    double scale = 1.0;
    for (int l = 0; l < LM_FEAT_LEVELS && st == LM_OK; l++, scale *= LM_FEAT_SCALE) {
        int lw = (int)lround(W / scale), lh = (int)lround(H / scale);
        size_t quota =
            l == LM_FEAT_LEVELS - 1 ? LM_FEAT_MAX - total : (size_t)lround(LM_FEAT_MAX * share[l]);
        if (quota > LM_FEAT_MAX - total)
            quota = LM_FEAT_MAX - total;
        if (lw <= 2 * LM_FEAT_MARGIN + 2 || lh <= 2 * LM_FEAT_MARGIN + 2 || quota == 0)
            continue;
        feat_img img, smooth;
        if (feat_resample(luma, (int)width, (int)height, width, &img, lw, lh)) {
            st = LM_E_NOMEM;
            break;
        }
        if (feat_blur(&img, &smooth)) {
            free(img.p);
            st = LM_E_NOMEM;
            break;
        }
        size_t n = feat_detect(&img, l, quota, kps);
        if (n == (size_t)-1) {
            free(img.p);
            free(smooth.p);
            st = LM_E_NOMEM;
            break;
        }
        float fx = (float)W / lw, fy = (float)H / lh;
        for (size_t i = 0; i < n; i++) {
            lm_feature *f = &out->f[total + i];
            f->angle = feat_orientation(&img, kps[i].x, kps[i].y);
            feat_describe(&smooth, kps[i].x, kps[i].y, f->angle, &f->desc);
            f->level = (uint8_t)l;
            f->x = (uint16_t)lround(kps[i].x * fx * 16);
            f->y = (uint16_t)lround(kps[i].y * fy * 16);
        }
        total += n;
        free(img.p);
        free(smooth.p);
    }
    free(luma);
    if (st != LM_OK) {
        out->count = 0;
        return st;
    }
    out->count = (uint16_t)total;
    return LM_OK;
}
