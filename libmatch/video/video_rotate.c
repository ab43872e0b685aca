#include "video_rotate.h"

#include <math.h>

#include <libavutil/display.h>

#include "av_lazy.h"

lm_video_xform lm_video_xform_from_matrix(const int32_t m[9])
{
    double ccw = av_display_rotation_get(m);
    if (isnan(ccw))
        return LM_XF_NONE;
    /* Clockwise degrees a player turns the picture, normalised to [0, 360). */
    double theta = -round(ccw);
    theta -= 360.0 * floor(theta / 360.0 + 0.9 / 360.0);
    if (fabs(theta - 90.0) < 1.0)
        return m[3] > 0 ? LM_XF_TRANSPOSE : LM_XF_ROT90;
    if (fabs(theta - 180.0) < 1.0) {
        int h = m[0] < 0, v = m[4] < 0;
        return h && v ? LM_XF_ROT180 : h ? LM_XF_HFLIP : v ? LM_XF_VFLIP : LM_XF_NONE;
    }
    if (fabs(theta - 270.0) < 1.0)
        return m[3] < 0 ? LM_XF_ANTITRANSPOSE : LM_XF_ROT270;
    if (fabs(theta) < 1.0 && m[4] < 0)
        return LM_XF_VFLIP;
    return LM_XF_NONE; /* arbitrary angles are not turned */
}

int lm_video_xform_degrees(lm_video_xform xf)
{
    switch (xf) {
    case LM_XF_ROT90: return 90;
    case LM_XF_ROT180: return 180;
    case LM_XF_ROT270: return 270;
    default: return 0;
    }
}

int lm_video_xform_swaps(lm_video_xform xf)
{
    return xf == LM_XF_ROT90 || xf == LM_XF_ROT270 || xf == LM_XF_TRANSPOSE ||
           xf == LM_XF_ANTITRANSPOSE;
}

void lm_video_xform_rgb(lm_video_xform xf, const uint8_t *src, int w, int h, size_t sstride,
                        uint8_t *dst, size_t dstride)
{
    int dw = lm_video_xform_swaps(xf) ? h : w;
    int dh = lm_video_xform_swaps(xf) ? w : h;
    for (int y = 0; y < dh; y++) {
        uint8_t *d = dst + (size_t)y * dstride;
        for (int x = 0; x < dw; x++) {
            int sx, sy;
            switch (xf) {
            case LM_XF_ROT90:
                sx = y;
                sy = h - 1 - x;
                break;
            case LM_XF_ROT180:
                sx = w - 1 - x;
                sy = h - 1 - y;
                break;
            case LM_XF_ROT270:
                sx = w - 1 - y;
                sy = x;
                break;
            case LM_XF_HFLIP:
                sx = w - 1 - x;
                sy = y;
                break;
            case LM_XF_VFLIP:
                sx = x;
                sy = h - 1 - y;
                break;
            case LM_XF_TRANSPOSE:
                sx = y;
                sy = x;
                break;
            case LM_XF_ANTITRANSPOSE:
                sx = w - 1 - y;
                sy = h - 1 - x;
                break;
            default:
                sx = x;
                sy = y;
                break;
            }
            const uint8_t *s = src + (size_t)sy * sstride + (size_t)sx * 3;
            d[3 * x] = s[0];
            d[3 * x + 1] = s[1];
            d[3 * x + 2] = s[2];
        }
    }
}
