/*
 * Orientation: the one transform that turns and mirrors pixel buffers (issue 15).
 * A still image says how to show it with its EXIF orientation tag (exif.c), a
 * video with its display matrix (phones store portrait video as landscape frames
 * plus a rotation); a viewer, and so a person reporting it, sees it turned. Both
 * become an lm_xform here and are applied by lm_xform_pixels.
 */
#ifndef LM_DECODE_ORIENT_H
#define LM_DECODE_ORIENT_H

#include <stddef.h>
#include <stdint.h>

typedef enum lm_xform {
    LM_XF_NONE = 0,
    LM_XF_ROT90, /* clockwise */
    LM_XF_ROT180,
    LM_XF_ROT270, /* clockwise (90 counter-clockwise) */
    LM_XF_HFLIP,
    LM_XF_VFLIP,
    LM_XF_TRANSPOSE,    /* mirror about the main diagonal */
    LM_XF_ANTITRANSPOSE /* mirror about the other diagonal */
} lm_xform;

/* The transform for EXIF orientation 1..8 (anything else: LM_XF_NONE). */
lm_xform lm_xform_from_exif(int orientation);

/* The transform a player applies for this 3x3 display matrix (as ffmpeg's CLI does).
 * Calls FFmpeg (decode/av_lazy.h): only once lm_av_load has succeeded. */
lm_xform lm_xform_from_matrix(const int32_t matrix[9]);

/* Clockwise degrees of rotation in xf (0, 90, 180, 270), for reporting. */
int lm_xform_degrees(lm_xform xf);

/* 1 when xf swaps width and height. */
int lm_xform_swaps(lm_xform xf);

/*
 * Apply xf to a w x h image of `channels` bytes per pixel (src, rows sstride
 * bytes apart) into dst, which is h x w when xf swaps, else w x h, rows dstride
 * bytes apart. src and dst must not overlap.
 */
void lm_xform_pixels(lm_xform xf, const uint8_t *src, uint32_t w, uint32_t h, size_t sstride,
                     int channels, uint8_t *dst, size_t dstride);

#endif
