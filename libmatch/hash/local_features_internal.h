/* Shared by the feat_*.c files: working images and keypoints before description. */
#ifndef LM_HASH_LOCAL_FEATURES_INTERNAL_H
#define LM_HASH_LOCAL_FEATURES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "local_features.h"

#define LM_FEAT_BITS 256
/* Rotated pattern points reach 13 * sqrt(2) < 19 pixels; the orientation patch 15. */
#define LM_FEAT_MARGIN 19
#define LM_FEAT_PATCH_RADIUS 15

extern const int8_t lm_feat_pattern[LM_FEAT_BITS][4];

/* A grey image of floats 0..255. */
typedef struct feat_img {
    float *p;
    int w, h;
} feat_img;

/* Resample src (w x h, row stride in floats) to an image of w2 x h2 (box filter down, bilinear up).
 */
int feat_resample(const float *src, int w, int h, size_t stride, feat_img *dst, int w2, int h2);
/* Gaussian blur (sigma 2, 9 taps, edges clamped) into dst (same size, allocated). */
int feat_blur(const feat_img *src, feat_img *dst);

typedef struct feat_kp {
    float x, y;     /* level pixels */
    float response; /* Harris */
    int level;
} feat_kp;

/*
 * FAST-9 corners of img (threshold on 0..255), 3x3 non-maximum suppression
 * on the Harris response, away from the margin. Up to cap of them in out,
 * the strongest first spread over a grid; returns how many, or (size_t)-1 out of memory.
 */
size_t feat_detect(const feat_img *img, int level, size_t cap, feat_kp *out);

/* Orientation (256ths of a turn) by the intensity centroid of the raw level image. */
uint8_t feat_orientation(const feat_img *img, float x, float y);
/* The steered descriptor on the smoothed level image. */
void feat_describe(const feat_img *smooth, float x, float y, uint8_t angle, lm_pdq_hash *out);

#endif
