/*
 * The one orientation transform (decode/orient.h) against the two it replaced,
 * written out here pixel by pixel as they were: EXIF orientations 2..8
 * (decode/exif.c, grey and RGB) and the video display-matrix transforms
 * (video/video_rotate.c, RGB24 with padded rows). Same pixels, bit for bit.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode_internal.h"
#include "orient.h"

/* Source pixel shown at (x, y) for EXIF orientation o (exif.c before issue 15). */
static void exif_source(int o, uint32_t w, uint32_t h, uint32_t x, uint32_t y, uint32_t *sx,
                        uint32_t *sy)
{
    switch (o) {
    case 2: *sx = w - 1 - x, *sy = y; break;
    case 3: *sx = w - 1 - x, *sy = h - 1 - y; break;
    case 4: *sx = x, *sy = h - 1 - y; break;
    case 5: *sx = y, *sy = x; break;
    case 6: *sx = y, *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y, *sy = h - 1 - x; break;
    default: *sx = w - 1 - y, *sy = x; break; /* 8 */
    }
}

/* The same for a video transform (video_rotate.c before issue 15). */
static void video_source(lm_xform xf, int w, int h, int x, int y, int *sx, int *sy)
{
    switch (xf) {
    case LM_XF_ROT90: *sx = y, *sy = h - 1 - x; break;
    case LM_XF_ROT180: *sx = w - 1 - x, *sy = h - 1 - y; break;
    case LM_XF_ROT270: *sx = w - 1 - y, *sy = x; break;
    case LM_XF_HFLIP: *sx = w - 1 - x, *sy = y; break;
    case LM_XF_VFLIP: *sx = x, *sy = h - 1 - y; break;
    case LM_XF_TRANSPOSE: *sx = y, *sy = x; break;
    case LM_XF_ANTITRANSPOSE: *sx = w - 1 - y, *sy = h - 1 - x; break;
    default: *sx = x, *sy = y; break;
    }
}

static uint8_t *random_pixels(uint64_t *st, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)check_rand(st);
    return p;
}

static void test_exif(uint64_t *st)
{
    static const uint32_t sizes[][2] = {{1, 1}, {7, 3}, {3, 7}, {16, 16}, {61, 40}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ch = 1; ch <= 3; ch += 2)
            for (int o = 0; o <= 9; o++) {
                uint32_t w = sizes[s][0], h = sizes[s][1];
                size_t stride = (size_t)w * (size_t)ch + s; /* padded rows too */
                lm_pixels p = {.width = w, .height = h, .stride = stride, .channels = ch};
                p.data = random_pixels(st, stride * h);
                uint8_t *orig = malloc(stride * h);
                memcpy(orig, p.data, stride * h);
                lm_errbuf err = {{0}};
                CHECK_EQ_INT(lm_orient_pixels(&p, o, &err), LM_OK);
                if (o < 2 || o > 8) { /* 1 and anything invalid: untouched */
                    CHECK(p.width == w && p.height == h && p.stride == stride);
                    CHECK(memcmp(p.data, orig, stride * h) == 0);
                } else {
                    int swap = o >= 5;
                    CHECK_EQ_INT(p.width, swap ? h : w);
                    CHECK_EQ_INT(p.height, swap ? w : h);
                    CHECK_EQ_INT(p.stride, (size_t)p.width * (size_t)ch);
                    int bad = 0;
                    for (uint32_t y = 0; y < p.height; y++)
                        for (uint32_t x = 0; x < p.width; x++) {
                            uint32_t sx, sy;
                            exif_source(o, w, h, x, y, &sx, &sy);
                            bad += memcmp(p.data + y * p.stride + x * (size_t)ch,
                                          orig + sy * stride + sx * (size_t)ch, (size_t)ch) != 0;
                        }
                    CHECK_EQ_INT(bad, 0);
                }
                free(orig);
                lm_pixels_free(&p);
            }
}

static void test_video(uint64_t *st)
{
    static const int sizes[][2] = {{1, 1}, {5, 2}, {2, 5}, {33, 20}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int xf = LM_XF_NONE; xf <= LM_XF_ANTITRANSPOSE; xf++) {
            int w = sizes[s][0], h = sizes[s][1];
            size_t stride = ((size_t)w * 3 + 63) & ~(size_t)63; /* as swscale's buffer */
            uint8_t *src = random_pixels(st, stride * (size_t)h);
            int dw = lm_xform_swaps(xf) ? h : w, dh = lm_xform_swaps(xf) ? w : h;
            size_t dstride = (size_t)dw * 3;
            uint8_t *dst = malloc(dstride * (size_t)dh);
            lm_xform_pixels(xf, src, (uint32_t)w, (uint32_t)h, stride, 3, dst, dstride);
            int bad = 0;
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++) {
                    int sx, sy;
                    video_source(xf, w, h, x, y, &sx, &sy);
                    bad += memcmp(dst + (size_t)y * dstride + (size_t)x * 3,
                                  src + (size_t)sy * stride + (size_t)sx * 3, 3) != 0;
                }
            CHECK_EQ_INT(bad, 0);
            free(src);
            free(dst);
        }
}

/* EXIF numbers name the same transforms as the video's (one enum for both). */
static void test_mapping(void)
{
    static const lm_xform want[] = {LM_XF_NONE,   LM_XF_NONE,          LM_XF_HFLIP,
                                    LM_XF_ROT180, LM_XF_VFLIP,         LM_XF_TRANSPOSE,
                                    LM_XF_ROT90,  LM_XF_ANTITRANSPOSE, LM_XF_ROT270};
    for (int o = 0; o <= 8; o++)
        CHECK_EQ_INT(lm_xform_from_exif(o), want[o]);
    CHECK_EQ_INT(lm_xform_from_exif(9), LM_XF_NONE);
    CHECK_EQ_INT(lm_xform_from_exif(-1), LM_XF_NONE);
}

int main(void)
{
    uint64_t st = check_test_seed(15);
    test_mapping();
    test_exif(&st);
    test_video(&st);
    return check_report("decode-orient");
}
