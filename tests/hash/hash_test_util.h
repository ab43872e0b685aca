/*
 * Generated test images for the hash tests: all deterministic from a seed
 * (check_rand, splitmix64), benign synthetic patterns only.
 */
#ifndef LM_TEST_HASH_UTIL_H
#define LM_TEST_HASH_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Uniform noise: every byte independent. */
static inline void gen_noise(uint8_t *px, size_t n, uint64_t *st)
{
    for (size_t i = 0; i < n; i++)
        px[i] = (uint8_t)(check_rand(st) >> 56);
}

/*
 * A smooth "photo-like" image: per channel, a gradient and 12 random plane
 * waves of 0.5..5 cycles per image with 1/f amplitudes (so all 16x16 DCT
 * frequencies carry energy, like photos), plus a little noise. Small
 * geometric changes move its PDQ hash by few bits, unlike pure noise.
 */
#define GEN_WAVES 12
static inline void gen_smooth(uint8_t *px, int rows, int cols, int channels, uint64_t *st)
{
    double fx[3][GEN_WAVES], fy[3][GEN_WAVES], ph[3][GEN_WAVES], amp[3][GEN_WAVES];
    for (int c = 0; c < 3; c++)
        for (int w = 0; w < GEN_WAVES; w++) {
            double f = 0.5 + (double)(check_rand(st) % 450) / 100.0;
            double ang = (double)(check_rand(st) % 628) / 100.0;
            fx[c][w] = f * cos(ang);
            fy[c][w] = f * sin(ang);
            ph[c][w] = (double)(check_rand(st) % 628) / 100.0;
            amp[c][w] = (15.0 + (double)(check_rand(st) % 30)) / sqrt(f);
        }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            for (int c = 0; c < channels; c++) {
                double y = (double)i / rows, x = (double)j / cols;
                double v = 128.0 + 30.0 * (x - y);
                for (int w = 0; w < GEN_WAVES; w++)
                    v += amp[c][w] * sin(6.2831853 * (fx[c][w] * x + fy[c][w] * y) + ph[c][w]);
                v += (double)(check_rand(st) % 5) - 2.0;
                px[((size_t)i * cols + j) * channels + c] = (uint8_t)(v < 0     ? 0
                                                                      : v > 255 ? 255
                                                                                : v);
            }
}

/*
 * Source pixel of destination (i, j) for dihedral transform k, as the DCT
 * sign/transpose rules in pdq.c define them (see test_pdq_dihedral.c); Meta's
 * bridge-N dihedral test files agree (test_pdq_refimages.c).
 * H, W: source size. Transforms 1, 3, 6, 7 swap the dimensions.
 */
static inline void dihedral_src(int k, int H, int W, int i, int j, int *r, int *c)
{
    switch (k) {
    case 0:
        *r = i;
        *c = j;
        break;
    case 1:
        *r = j;
        *c = W - 1 - i;
        break; /* rotate 90 counter-clockwise */
    case 2:
        *r = H - 1 - i;
        *c = W - 1 - j;
        break; /* rotate 180 */
    case 3:
        *r = H - 1 - j;
        *c = i;
        break; /* rotate 270 (90 clockwise) */
    case 4:
        *r = H - 1 - i;
        *c = j;
        break; /* Meta's flipx: mirror top-bottom */
    case 5:
        *r = i;
        *c = W - 1 - j;
        break; /* Meta's flipy: mirror left-right */
    case 6:
        *r = j;
        *c = i;
        break; /* transpose */
    default:
        *r = H - 1 - j;
        *c = W - 1 - i;
        break; /* anti-transpose */
    }
}

static inline int dihedral_swaps(int k)
{
    return k == 1 || k == 3 || k == 6 || k == 7;
}

/* dst gets transform k of the tight H x W x ch buffer src; returns dst's rows/cols. */
static inline void dihedral_apply(int k, const uint8_t *src, int H, int W, int ch, uint8_t *dst,
                                  int *outH, int *outW)
{
    int h = dihedral_swaps(k) ? W : H, w = dihedral_swaps(k) ? H : W;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            int r, c;
            dihedral_src(k, H, W, i, j, &r, &c);
            memcpy(dst + ((size_t)i * w + j) * ch, src + ((size_t)r * W + c) * ch, (size_t)ch);
        }
    *outH = h;
    *outW = w;
}

static inline void dihedral_apply_f(int k, const float *src, int H, int W, float *dst)
{
    int h = dihedral_swaps(k) ? W : H, w = dihedral_swaps(k) ? H : W;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            int r, c;
            dihedral_src(k, H, W, i, j, &r, &c);
            dst[(size_t)i * w + j] = src[(size_t)r * W + c];
        }
}

#endif
