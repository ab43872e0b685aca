/*
 * Keypoints: FAST-9 corners (a contiguous arc of 9 of the 16 pixels on a
 * radius-3 circle all brighter or all darker than the centre by a threshold),
 * ranked by the Harris response over a 7x7 window, 3x3 non-maximum
 * suppression, then spread over a 4x4 grid so that a crop or a box over part
 * of the picture leaves most cells' keypoints in place. Deterministic: ties
 * are broken by position.
 */
#include <stdlib.h>
#include <string.h>

#include "local_features_internal.h"

static const int circle[16][2] = {{0, -3}, {1, -3},  {2, -2},  {3, -1}, {3, 0},  {3, 1},
                                  {2, 2},  {1, 3},   {0, 3},   {-1, 3}, {-2, 2}, {-3, 1},
                                  {-3, 0}, {-3, -1}, {-2, -2}, {-1, -3}};

#define FAST_THRESHOLD 20.0f
#define FAST_THRESHOLD_LOW 8.0f /* when the first pass finds too few corners */
#define GRID 4

static int arc9(unsigned m)
{
    unsigned m32 = m | (m << 16), r = m32;
    for (int i = 1; i < 9; i++)
        r &= m32 >> i;
    return (r & 0xffffu) != 0;
}

static float harris(const feat_img *img, int x, int y)
{
    float sxx = 0, syy = 0, sxy = 0;
    const int w = img->w;
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) {
            const float *p = img->p + (size_t)(y + dy) * w + (x + dx);
            float ix = p[1] - p[-1], iy = p[w] - p[-w];
            sxx += ix * ix;
            syy += iy * iy;
            sxy += ix * iy;
        }
    return sxx * syy - sxy * sxy - 0.04f * (sxx + syy) * (sxx + syy);
}

static int cmp_kp(const void *pa, const void *pb)
{
    const feat_kp *a = pa, *b = pb;
    if (a->response != b->response)
        return a->response > b->response ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return a->x < b->x ? -1 : a->x > b->x;
}

/* Corners at threshold t into a response map (0: none); returns how many. */
static size_t fast_pass(const feat_img *img, float t, float *resp)
{
    const int w = img->w, h = img->h, m = LM_FEAT_MARGIN;
    size_t n = 0;
    int off[16];
    for (int i = 0; i < 16; i++)
        off[i] = circle[i][1] * w + circle[i][0];
    for (int y = m; y < h - m; y++)
        for (int x = m; x < w - m; x++) {
            const float *p = img->p + (size_t)y * w + x;
            float c = *p;
            unsigned hi = 0, lo = 0;
            for (int i = 0; i < 16; i++) {
                float v = p[off[i]];
                hi |= (unsigned)(v > c + t) << i;
                lo |= (unsigned)(v < c - t) << i;
            }
            if (!arc9(hi) && !arc9(lo))
                continue;
            float r = harris(img, x, y);
            if (r > 0) {
                resp[(size_t)y * w + x] = r;
                n++;
            }
        }
    return n;
}

size_t feat_detect(const feat_img *img, int level, size_t cap, feat_kp *out)
{
    const int w = img->w, h = img->h, m = LM_FEAT_MARGIN;
    if (cap == 0 || w <= 2 * m + 2 || h <= 2 * m + 2)
        return 0;
    float *resp = calloc((size_t)w * (size_t)h, sizeof *resp);
    if (!resp)
        return (size_t)-1;
    size_t n = fast_pass(img, FAST_THRESHOLD, resp);
    if (n < cap) {
        memset(resp, 0, (size_t)w * (size_t)h * sizeof *resp);
        n = fast_pass(img, FAST_THRESHOLD_LOW, resp);
    }
    feat_kp *all = n ? malloc(n * sizeof *all) : NULL;
    size_t k = 0;
    for (int y = m; all && y < h - m; y++)
        for (int x = m; x < w - m; x++) {
            size_t i = (size_t)y * w + x;
            float r = resp[i];
            if (r <= 0)
                continue;
            int keep = 1;
            for (int dy = -1; dy <= 1 && keep; dy++)
                for (int dx = -1; dx <= 1 && keep; dx++) {
                    if (!dx && !dy)
                        continue;
                    float o = resp[i + (size_t)((ptrdiff_t)dy * w + dx)];
                    /* strictly stronger than earlier neighbours, at least as strong as later */
                    keep = (dy < 0 || (dy == 0 && dx < 0)) ? r > o : r >= o;
                }
            if (keep && k < n)
                all[k++] = (feat_kp){(float)x, (float)y, r, level};
        }
    free(resp);
    if (!all)
        return k == 0 && n == 0 ? 0 : (size_t)-1;
    qsort(all, k, sizeof *all, cmp_kp);
    /* Spread: each grid cell first keeps its share, then the strongest of the rest. */
    size_t per_cell = (cap + GRID * GRID - 1) / (GRID * GRID), taken = 0;
    size_t cell_count[GRID * GRID] = {0};
    unsigned char *used = calloc(k ? k : 1, 1);
    if (!used) {
        free(all);
        return (size_t)-1;
    }
    for (size_t i = 0; i < k && taken < cap; i++) {
        int cx = (int)(all[i].x * GRID / w), cy = (int)(all[i].y * GRID / h);
        int c = cy * GRID + cx;
        if (cell_count[c] < per_cell) {
            cell_count[c]++;
            used[i] = 1;
            out[taken++] = all[i];
        }
    }
    for (size_t i = 0; i < k && taken < cap; i++)
        if (!used[i])
            out[taken++] = all[i];
    free(used);
    free(all);
    qsort(out, taken, sizeof *out, cmp_kp);
    return taken;
}
