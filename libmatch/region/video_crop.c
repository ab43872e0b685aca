#include "video_crop.h"

/* Brighter than this in any channel is picture, not bar (bars are encoded near 16/255
 * and ringing next to a sharp edge stays well below this). */
#define LM_CROP_DARK 48

static int bright(const uint8_t *p)
{
    return p[0] > LM_CROP_DARK || p[1] > LM_CROP_DARK || p[2] > LM_CROP_DARK;
}

/* A line is bar when at most 1/64 of its n pixels (step bytes apart) are bright. */
static int is_bar(const uint8_t *p, int n, size_t step)
{
    int allowed = n / 64, seen = 0;
    for (int i = 0; i < n; i++, p += step)
        if (bright(p) && ++seen > allowed)
            return 0;
    return 1;
}

lm_video_rect lm_video_content_rect(const uint8_t *rgb, int w, int h, size_t stride)
{
    lm_video_rect all = {0, 0, w, h};
    int top = 0, bottom = h, left = 0, right = w;
    while (top < bottom && is_bar(rgb + (size_t)top * stride, w, 3))
        top++;
    while (bottom > top && is_bar(rgb + (size_t)(bottom - 1) * stride, w, 3))
        bottom--;
    if ((bottom - top) * 2 < h)
        return all;
    const uint8_t *band = rgb + (size_t)top * stride;
    int bh = bottom - top;
    while (left < right && is_bar(band + (size_t)left * 3, bh, stride))
        left++;
    while (right > left && is_bar(band + (size_t)(right - 1) * 3, bh, stride))
        right--;
    if ((right - left) * 2 < w)
        return all;
    lm_video_rect r = {left, top, right - left, bottom - top};
    return r;
}
