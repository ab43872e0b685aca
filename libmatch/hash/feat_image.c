/* Working images of the local features: resampling and smoothing (float luma). */
#include <stdlib.h>
#include <string.h>

#include "local_features_internal.h"

/* One axis: output i covers source [i * s, (i + 1) * s) (box) or samples its centre (bilinear). */
typedef struct axis_tap {
    int first, n;
    float w[8];
} axis_tap;

/* Taps for n2 outputs from n inputs; NULL on allocation failure. */
static axis_tap *axis_taps(int n, int n2)
{
    axis_tap *t = calloc((size_t)n2, sizeof *t);
    if (!t)
        return NULL;
    double s = (double)n / n2;
    for (int i = 0; i < n2; i++) {
        if (s > 1.0) {
            /* Box: the source interval, fractional at both ends (s < 8 by construction
             * would be nice; wider boxes are subsampled to 8 taps by widening each). */
            double a = i * s, b = (i + 1) * s;
            int lo = (int)a, hi = (int)(b - 1e-9);
            if (hi >= n)
                hi = n - 1;
            int cnt = hi - lo + 1;
            if (cnt > 8) { /* very strong reduction: 8 evenly spread samples */
                t[i].first = -1;
                t[i].n = 8;
                for (int k = 0; k < 8; k++)
                    t[i].w[k] = (float)(int)(a + (k + 0.5) * (b - a) / 8);
                continue;
            }
            t[i].first = lo;
            t[i].n = cnt;
            double tot = 0;
            for (int k = 0; k < cnt; k++) {
                double p0 = lo + k, p1 = p0 + 1;
                double ov = (p1 < b ? p1 : b) - (p0 > a ? p0 : a);
                t[i].w[k] = (float)(ov > 0 ? ov : 0);
                tot += t[i].w[k];
            }
            for (int k = 0; k < cnt; k++)
                t[i].w[k] = (float)(t[i].w[k] / tot);
        } else {
            double c = (i + 0.5) * s - 0.5;
            if (c < 0)
                c = 0;
            int lo = (int)c;
            if (lo >= n - 1) {
                t[i].first = n - 1;
                t[i].n = 1;
                t[i].w[0] = 1;
                continue;
            }
            float f = (float)(c - lo);
            t[i].first = lo;
            t[i].n = 2;
            t[i].w[0] = 1 - f;
            t[i].w[1] = f;
        }
    }
    return t;
}

static float apply_tap(const axis_tap *t, const float *p, size_t step)
{
    float v = 0;
    if (t->first < 0) {
        for (int k = 0; k < 8; k++)
            v += p[(size_t)t->w[k] * step];
        return v / 8;
    }
    for (int k = 0; k < t->n; k++)
        v += t->w[k] * p[(size_t)(t->first + k) * step];
    return v;
}

int feat_resample(const float *src, int w, int h, size_t stride, feat_img *dst, int w2, int h2)
{
    dst->p = NULL;
    dst->w = w2;
    dst->h = h2;
    axis_tap *tx = axis_taps(w, w2), *ty = axis_taps(h, h2);
    float *mid = malloc((size_t)w2 * (size_t)h * sizeof *mid);
    float *out = malloc((size_t)w2 * (size_t)h2 * sizeof *out);
    if (!tx || !ty || !mid || !out) {
        free(tx);
        free(ty);
        free(mid);
        free(out);
        return -1;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w2; x++)
            mid[(size_t)y * w2 + x] = apply_tap(&tx[x], src + (size_t)y * stride, 1);
    for (int y = 0; y < h2; y++)
        for (int x = 0; x < w2; x++)
            out[(size_t)y * w2 + x] = apply_tap(&ty[y], mid + x, (size_t)w2);
    free(tx);
    free(ty);
    free(mid);
    dst->p = out;
    return 0;
}

int feat_blur(const feat_img *src, feat_img *dst)
{
    /* sigma 2, taps -4..4, normalised */
    static const float k[9] = {0.027995f, 0.065984f, 0.121703f, 0.175713f, 0.198596f,
                               0.175713f, 0.121703f, 0.065984f, 0.027995f};
    int w = src->w, h = src->h;
    dst->w = w;
    dst->h = h;
    dst->p = malloc((size_t)w * (size_t)h * sizeof *dst->p);
    float *tmp = malloc((size_t)w * (size_t)h * sizeof *tmp);
    if (!dst->p || !tmp) {
        free(dst->p);
        free(tmp);
        dst->p = NULL;
        return -1;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = 0;
            for (int d = -4; d <= 4; d++) {
                int xx = x + d < 0 ? 0 : x + d >= w ? w - 1 : x + d;
                v += k[d + 4] * src->p[(size_t)y * w + xx];
            }
            tmp[(size_t)y * w + x] = v;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = 0;
            for (int d = -4; d <= 4; d++) {
                int yy = y + d < 0 ? 0 : y + d >= h ? h - 1 : y + d;
                v += k[d + 4] * tmp[(size_t)yy * w + x];
            }
            dst->p[(size_t)y * w + x] = v;
        }
    free(tmp);
    return 0;
}
