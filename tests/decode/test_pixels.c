/*
 * Generated images decode to exactly the expected pixels: every PNG colour
 * type and bit depth (interlaced or not, with and without alpha, onto two
 * backgrounds), a BMP through libavcodec, and the 512x512 nearest-neighbour
 * resampling of large images. Also checks that the synthetic images are
 * photo-like (PDQ quality >= 50) and behave like photos under resizing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"

/* What the decoder must output for img (any channel count) composited onto bg. */
static int expected_pixels(const synth_image *img, uint8_t bg, synth_image *out)
{
    int grey = img->channels <= 2, alpha = img->channels == 2 || img->channels == 4;
    int och = grey ? 1 : 3;
    int resample = img->w > LM_DECODE_TARGET || img->h > LM_DECODE_TARGET;
    uint32_t w = resample ? LM_DECODE_TARGET : img->w, h = resample ? LM_DECODE_TARGET : img->h;
    if (synth_alloc(out, w, h, och) != 0)
        return -1;
    for (uint32_t y = 0; y < h; y++) {
        uint32_t sy = (uint32_t)((double)y * img->h / h);
        for (uint32_t x = 0; x < w; x++) {
            uint32_t sx = (uint32_t)((double)x * img->w / w);
            const uint8_t *p = img->px + ((size_t)sy * img->w + sx) * (size_t)img->channels;
            unsigned a = alpha ? p[img->channels - 1] : 255;
            for (int c = 0; c < och; c++)
                out->px[((size_t)y * w + x) * och + c] =
                    (uint8_t)((p[c] * a + bg * (255u - a) + 127u) / 255u);
        }
    }
    return 0;
}

static int decode_equals(const uint8_t *data, size_t len, const synth_image *img, uint8_t bg,
                         const char *what)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.alpha_background = bg;
    lm_pixels px;
    lm_errbuf err = {{0}};
    lm_status st = lm_decode_image(data, len, &o, &px, &err);
    if (st != LM_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, lm_strerror(st), err.msg);
        return 0;
    }
    synth_image want;
    int ok = expected_pixels(img, bg, &want) == 0 && px.width == want.w && px.height == want.h &&
             px.channels == want.channels && px.stride == (size_t)want.w * want.channels &&
             px.source_width == img->w && px.source_height == img->h &&
             memcmp(px.data, want.px, (size_t)want.w * want.h * want.channels) == 0;
    if (!ok)
        fprintf(stderr, "%s: pixels differ (%ux%ux%d, want %ux%ux%d)\n", what, px.width, px.height,
                px.channels, want.w, want.h, want.channels);
    synth_free(&want);
    lm_pixels_free(&px);
    return ok;
}

/* Grey values representable at depth d (libpng expands v to v * 255 / (2^d - 1)). */
static void quantize_grey(synth_image *img, int depth)
{
    if (depth >= 8)
        return;
    unsigned maxv = (1u << depth) - 1;
    size_t n = (size_t)img->w * img->h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = img->px + i * (size_t)img->channels;
        *p = (uint8_t)(((*p * maxv + 127) / 255) * 255 / maxv);
    }
}

/* At most 2^depth distinct RGB(A) colours, picked from the picture's brightness. */
static void posterize(synth_image *img, int depth)
{
    unsigned k = 1u << depth;
    size_t n = (size_t)img->w * img->h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = img->px + i * (size_t)img->channels;
        unsigned bucket = (p[0] + p[1] + p[2]) * k / 766;
        p[0] = (uint8_t)(bucket * 255 / k);
        p[1] = (uint8_t)(255 - bucket * 200 / k);
        p[2] = (uint8_t)((bucket * 97) % 256);
        if (img->channels == 4)
            p[3] = (uint8_t)(bucket % 3 == 0 ? 255 : bucket % 3 == 1 ? 0 : 128);
    }
}

static void png_case(uint32_t w, uint32_t h, int ctype, int depth, int interlace, uint64_t seed)
{
    synth_image rgb, img;
    CHECK_EQ_INT(synth_make(&rgb, w, h, seed), 0);
    int with_alpha = ctype == PNG_COLOR_TYPE_GRAY_ALPHA || ctype == PNG_COLOR_TYPE_RGB_ALPHA ||
                     (ctype == PNG_COLOR_TYPE_PALETTE && (seed & 1));
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) {
        synth_image g;
        CHECK_EQ_INT(synth_grey(&rgb, &g), 0);
        if (with_alpha)
            CHECK_EQ_INT(synth_add_alpha(&g, &img, seed), 0);
        else
            img = g, g.px = NULL;
        synth_free(&g);
        quantize_grey(&img, depth);
    } else if (with_alpha) {
        CHECK_EQ_INT(synth_add_alpha(&rgb, &img, seed), 0);
    } else {
        img = rgb;
        rgb.px = NULL;
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        posterize(&img, depth);
    synth_free(&rgb);

    uint8_t *buf;
    size_t len;
    char what[96];
    snprintf(what, sizeof what, "png %ux%u type %d depth %d%s%s", w, h, ctype, depth,
             interlace ? " interlaced" : "", with_alpha ? " alpha" : "");
    CHECK_EQ_INT(synth_encode_png(&img, ctype, depth, interlace, &buf, &len), 0);
    if (buf) {
        CHECK(decode_equals(buf, len, &img, 255, what));
        if (with_alpha)
            CHECK(decode_equals(buf, len, &img, 0, what));
    }
    free(buf);
    synth_free(&img);
}

static void png_types(void)
{
    static const struct {
        int ctype, depth;
    } t[] = {
        {PNG_COLOR_TYPE_GRAY, 1},        {PNG_COLOR_TYPE_GRAY, 2},
        {PNG_COLOR_TYPE_GRAY, 4},        {PNG_COLOR_TYPE_GRAY, 8},
        {PNG_COLOR_TYPE_GRAY, 16},       {PNG_COLOR_TYPE_GRAY_ALPHA, 8},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16}, {PNG_COLOR_TYPE_PALETTE, 1},
        {PNG_COLOR_TYPE_PALETTE, 2},     {PNG_COLOR_TYPE_PALETTE, 4},
        {PNG_COLOR_TYPE_PALETTE, 8},     {PNG_COLOR_TYPE_RGB, 8},
        {PNG_COLOR_TYPE_RGB, 16},        {PNG_COLOR_TYPE_RGB_ALPHA, 8},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16},
    };
    uint64_t seed = 7;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        for (int interlace = 0; interlace < 2; interlace++) {
            png_case(37, 23, t[i].ctype, t[i].depth, interlace, seed++);
            png_case(700, 301, t[i].ctype, t[i].depth, interlace, seed++);
        }
    /* Stretching: one side above 512, the other far below. */
    png_case(1030, 7, PNG_COLOR_TYPE_RGB, 8, 0, 99);
    png_case(5, 900, PNG_COLOR_TYPE_GRAY, 8, 1, 100);
}

/* A 24-bit bottom-up BMP, the simplest lossless file libavcodec decodes. */
static void bmp_roundtrip(uint32_t w, uint32_t h)
{
    synth_image img;
    CHECK_EQ_INT(synth_make(&img, w, h, w * 31 + h), 0);
    uint8_t *b;
    size_t size;
    CHECK_EQ_INT(synth_encode_bmp(&img, &b, &size), 0);
    if (!b)
        return;
    CHECK_EQ_INT(lm_sniff_format(b, size), LM_FORMAT_BMP);
    CHECK(decode_equals(b, size, &img, 255, "bmp"));
    free(b);
    synth_free(&img);
}

/* JPEG: grey stays one channel, colour gives three, large ones come back 512x512. */
static void jpeg_shapes(void)
{
    synth_image rgb, grey;
    CHECK_EQ_INT(synth_make(&rgb, 900, 333, 5), 0);
    CHECK_EQ_INT(synth_grey(&rgb, &grey), 0);
    const synth_image *imgs[2] = {&rgb, &grey};
    for (int i = 0; i < 2; i++) {
        uint8_t *buf;
        size_t len;
        CHECK_EQ_INT(synth_encode_jpeg(imgs[i], 90, &buf, &len), 0);
        lm_decode_opts o;
        lm_decode_opts_default(&o);
        lm_pixels px;
        lm_errbuf err = {{0}};
        CHECK_EQ_INT(lm_decode_image(buf, len, &o, &px, &err), LM_OK);
        CHECK_EQ_INT(px.channels, imgs[i]->channels);
        CHECK_EQ_INT(px.width, 512);
        CHECK_EQ_INT(px.height, 512);
        CHECK_EQ_INT(px.source_width, 900);
        CHECK_EQ_INT(px.format, LM_FORMAT_JPEG);
        lm_pixels_free(&px);
        free(buf);
    }
    synth_free(&rgb);
    synth_free(&grey);
}

/* Synthetic images must be photo-like for the tools and demos built on them. */
static void synth_is_photo_like(void)
{
    lm_hasher *h = lm_hasher_create();
    for (uint64_t seed = 1; seed <= 12; seed++) {
        uint32_t w = 200 + (uint32_t)(seed * 97 % 900), hh = 200 + (uint32_t)(seed * 61 % 700);
        synth_image a, b, c;
        CHECK_EQ_INT(synth_make(&a, w, hh, seed), 0);
        CHECK_EQ_INT(synth_resize(&a, &b, w * 3 / 5, hh * 3 / 5), 0);
        CHECK_EQ_INT(synth_make(&c, w, hh, seed + 1000), 0);
        lm_image_hash ha, hb, hc;
        CHECK_EQ_INT(lm_hash_pixels(h, a.px, a.w, a.h, a.w * 3, 3, &ha), LM_OK);
        CHECK_EQ_INT(lm_hash_pixels(h, b.px, b.w, b.h, b.w * 3, 3, &hb), LM_OK);
        CHECK_EQ_INT(lm_hash_pixels(h, c.px, c.w, c.h, c.w * 3, 3, &hc), LM_OK);
        int near = lm_pdq_distance(&ha.pdq, &hb.pdq), far = lm_pdq_distance(&ha.pdq, &hc.pdq);
        printf("synth seed %2llu %4ux%-4u quality %3d, resized 60%% distance %2d, unrelated %3d\n",
               (unsigned long long)seed, w, hh, ha.quality, near, far);
        CHECK(ha.quality >= 50);
        CHECK(near <= 31); /* the usual PDQ match threshold */
        CHECK(far >= 60);
        synth_free(&a);
        synth_free(&b);
        synth_free(&c);
    }
    lm_hasher_destroy(h);
}

int main(void)
{
    png_types();
    bmp_roundtrip(33, 17);
    bmp_roundtrip(640, 480);
    jpeg_shapes();
    synth_is_photo_like();
    return check_report("test_pixels");
}
