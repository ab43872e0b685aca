/*
 * Display-matrix orientation: phones store portrait video as landscape frames
 * plus a rotation, and a viewer (and so a person reporting it) sees it turned.
 */
#ifndef LM_VIDEO_ROTATE_H
#define LM_VIDEO_ROTATE_H

#include <stddef.h>
#include <stdint.h>

typedef enum lm_video_xform {
    LM_XF_NONE = 0,
    LM_XF_ROT90, /* clockwise */
    LM_XF_ROT180,
    LM_XF_ROT270, /* clockwise (90 counter-clockwise) */
    LM_XF_HFLIP,
    LM_XF_VFLIP,
    LM_XF_TRANSPOSE,    /* mirror about the main diagonal */
    LM_XF_ANTITRANSPOSE /* mirror about the other diagonal */
} lm_video_xform;

/* The transform a player applies for this 3x3 display matrix (as ffmpeg's CLI does). */
lm_video_xform lm_video_xform_from_matrix(const int32_t matrix[9]);

/* Clockwise degrees of rotation in xf (0, 90, 180, 270), for reporting. */
int lm_video_xform_degrees(lm_video_xform xf);

/* 1 when xf swaps width and height. */
int lm_video_xform_swaps(lm_video_xform xf);

/*
 * Apply xf to a w x h RGB24 image (src, rows sstride bytes apart) into dst,
 * which is h x w when xf swaps, else w x h, rows dstride bytes apart.
 */
void lm_video_xform_rgb(lm_video_xform xf, const uint8_t *src, int w, int h, size_t sstride,
                        uint8_t *dst, size_t dstride);

#endif
