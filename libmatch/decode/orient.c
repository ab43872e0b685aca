/* The one orientation transform (orient.h): EXIF tags and display matrices, applied alike. */
#include "orient.h"

#include <math.h>
#include <string.h>

#include <libavutil/display.h>

#include "av_lazy.h"

lm_xform lm_xform_from_exif(int orientation)
{
    /* EXIF 1..8: as stored, mirrored, turned 180, flipped, transposed, turned 90 clockwise,
     * anti-transposed, turned 270 clockwise (how a viewer shows the stored pixels). */
    static const lm_xform from_exif[9] = {
        LM_XF_NONE,      LM_XF_NONE,  LM_XF_HFLIP,         LM_XF_ROT180, LM_XF_VFLIP,
        LM_XF_TRANSPOSE, LM_XF_ROT90, LM_XF_ANTITRANSPOSE, LM_XF_ROT270,
    };
    return orientation >= 1 && orientation <= 8 ? from_exif[orientation] : LM_XF_NONE;
}

lm_xform lm_xform_from_matrix(const int32_t m[9])
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

int lm_xform_degrees(lm_xform xf)
{
    switch (xf) {
    case LM_XF_ROT90: return 90;
    case LM_XF_ROT180: return 180;
    case LM_XF_ROT270: return 270;
    default: return 0;
    }
}

int lm_xform_swaps(lm_xform xf)
{
    return xf == LM_XF_ROT90 || xf == LM_XF_ROT270 || xf == LM_XF_TRANSPOSE ||
           xf == LM_XF_ANTITRANSPOSE;
}

/*
 * The source pixel shown at (x, y) is (sx, sy) = (x0 + xx*x + xy*y, y0 + yx*x + yy*y), with
 * x0 either 0 or w - 1 and y0 either 0 or h - 1 (far_x, far_y).
 */
static const struct {
    int8_t far_x, xx, xy, far_y, yx, yy;
} affine[] = {
    [LM_XF_NONE] = {0, 1, 0, 0, 0, 1},            /* (x, y) */
    [LM_XF_ROT90] = {0, 0, 1, 1, -1, 0},          /* (y, h-1-x) */
    [LM_XF_ROT180] = {1, -1, 0, 1, 0, -1},        /* (w-1-x, h-1-y) */
    [LM_XF_ROT270] = {1, 0, -1, 0, 1, 0},         /* (w-1-y, x) */
    [LM_XF_HFLIP] = {1, -1, 0, 0, 0, 1},          /* (w-1-x, y) */
    [LM_XF_VFLIP] = {0, 1, 0, 1, 0, -1},          /* (x, h-1-y) */
    [LM_XF_TRANSPOSE] = {0, 0, 1, 0, 1, 0},       /* (y, x) */
    [LM_XF_ANTITRANSPOSE] = {1, 0, -1, 1, -1, 0}, /* (w-1-y, h-1-x) */
};

void lm_xform_pixels(lm_xform xf, const uint8_t *src, uint32_t w, uint32_t h, size_t sstride,
                     int channels, uint8_t *dst, size_t dstride)
{
    if ((unsigned)xf >= sizeof affine / sizeof affine[0])
        xf = LM_XF_NONE;
    uint32_t dw = lm_xform_swaps(xf) ? h : w, dh = lm_xform_swaps(xf) ? w : h;
    ptrdiff_t ch = channels, ss = (ptrdiff_t)sstride;
    /* Byte offsets into src: of the pixel shown at (0, 0), and per step right and down. */
    ptrdiff_t origin = (affine[xf].far_y ? (ptrdiff_t)h - 1 : 0) * ss +
                       (affine[xf].far_x ? (ptrdiff_t)w - 1 : 0) * ch;
    ptrdiff_t right = affine[xf].yx * ss + affine[xf].xx * ch;
    ptrdiff_t down = affine[xf].yy * ss + affine[xf].xy * ch;
    for (uint32_t y = 0; y < dh; y++) {
        uint8_t *d = dst + (size_t)y * dstride;
        ptrdiff_t off = origin + (ptrdiff_t)y * down;
        switch (channels) {
        case 1:
            for (uint32_t x = 0; x < dw; x++, off += right)
                d[x] = src[off];
            break;
        case 3:
            for (uint32_t x = 0; x < dw; x++, off += right, d += 3) {
                d[0] = src[off];
                d[1] = src[off + 1];
                d[2] = src[off + 2];
            }
            break;
        default:
            for (uint32_t x = 0; x < dw; x++, off += right, d += ch)
                memcpy(d, src + off, (size_t)ch);
            break;
        }
    }
}
