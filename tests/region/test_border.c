/*
 * The one border detector (libmatch/region/border.c) against the two it
 * replaced, kept here verbatim as oracles: the strict uniform borders of still
 * images (border_trim.c) and the dark bars of video frames (video_crop.c).
 * Thousands of generated images (bands of every width and colour, noise,
 * stray bright pixels, flat and dark pictures, tiny sizes, grey and RGB) must
 * give the same bands with lm_border_image and lm_border_video, bit for bit:
 * stored LM_REGION_TRIMMED companions and vPDQ frames hashed with crop_borders
 * were made with the old code. Seed: LM_TEST_SEED.
 */
#include <stdlib.h>
#include <string.h>

#include "border.h"
#include "check.h"
#include "synth.h"

/* ---- border_trim.c as it was (images) --------------------------------------------------- */
#define MEAN_DEV_MAX 8
#define FAR_DEV 40
#define FAR_FRAC_PCT 3

static inline int old_luma_at(const uint8_t *p, int channels)
{
    return channels == 3 ? (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8 : p[0];
}

typedef struct old_line {
    const uint8_t *p;
    size_t step;
    uint32_t n;
} old_line;

static int old_line_mean(old_line l, int channels)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < l.n; i++)
        sum += (uint64_t)old_luma_at(l.p + i * l.step, channels);
    return (int)((sum + l.n / 2) / l.n);
}

static int old_line_uniform(old_line l, int channels, int ref)
{
    uint64_t dev = 0, far = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        int d = abs(old_luma_at(l.p + i * l.step, channels) - ref);
        dev += (uint64_t)d;
        far += d > FAR_DEV;
    }
    return dev <= (uint64_t)MEAN_DEV_MAX * l.n && far * 100 <= (uint64_t)FAR_FRAC_PCT * l.n;
}

static uint32_t old_band_width(const uint8_t *base, ptrdiff_t advance, size_t step, uint32_t n,
                               uint32_t limit, int channels)
{
    old_line first = {base, step, n};
    int ref = old_line_mean(first, channels);
    uint32_t k = 0;
    while (k < limit) {
        old_line l = {base + (ptrdiff_t)k * advance, step, n};
        if (!old_line_uniform(l, channels, ref))
            break;
        k++;
    }
    return k;
}

static void old_settle_axis(uint32_t *a, uint32_t *b, uint32_t side)
{
    uint32_t min_band = side / 100 > 2 ? side / 100 : 2;
    if (*a < min_band)
        *a = 0;
    if (*b < min_band)
        *b = 0;
    if ((uint64_t)(side - *a - *b) * 4 < side)
        *a = *b = 0;
}

static int old_border_detect(const uint8_t *px, uint32_t width, uint32_t height, size_t stride,
                             int channels, lm_border_bands *out)
{
    out->top = out->bottom = out->left = out->right = 0;
    if (!px || (channels != 1 && channels != 3) || width < 8 || height < 8)
        return 0;
    size_t cs = (size_t)channels;
    out->top = old_band_width(px, (ptrdiff_t)stride, cs, width, height, channels);
    if (out->top < height)
        out->bottom = old_band_width(px + (size_t)(height - 1) * stride, -(ptrdiff_t)stride, cs,
                                     width, height - out->top, channels);
    old_settle_axis(&out->top, &out->bottom, height);
    const uint8_t *rows = px + (size_t)out->top * stride;
    uint32_t nrows = height - out->top - out->bottom;
    out->left = old_band_width(rows, (ptrdiff_t)cs, stride, nrows, width, channels);
    if (out->left < width)
        out->right = old_band_width(rows + (size_t)(width - 1) * cs, -(ptrdiff_t)cs, stride, nrows,
                                    width - out->left, channels);
    old_settle_axis(&out->left, &out->right, width);
    return out->top || out->bottom || out->left || out->right;
}

/* ---- video_crop.c as it was (video frames, RGB24) --------------------------------------- */
#define LM_CROP_DARK 48

typedef struct old_rect {
    int x, y, w, h;
} old_rect;

static int old_bright(const uint8_t *p)
{
    return p[0] > LM_CROP_DARK || p[1] > LM_CROP_DARK || p[2] > LM_CROP_DARK;
}

static int old_is_bar(const uint8_t *p, int n, size_t step)
{
    int allowed = n / 64, seen = 0;
    for (int i = 0; i < n; i++, p += step)
        if (old_bright(p) && ++seen > allowed)
            return 0;
    return 1;
}

static old_rect old_video_content_rect(const uint8_t *rgb, int w, int h, size_t stride)
{
    old_rect all = {0, 0, w, h};
    int top = 0, bottom = h, left = 0, right = w;
    while (top < bottom && old_is_bar(rgb + (size_t)top * stride, w, 3))
        top++;
    while (bottom > top && old_is_bar(rgb + (size_t)(bottom - 1) * stride, w, 3))
        bottom--;
    if ((bottom - top) * 2 < h)
        return all;
    const uint8_t *band = rgb + (size_t)top * stride;
    int bh = bottom - top;
    while (left < right && old_is_bar(band + (size_t)left * 3, bh, stride))
        left++;
    while (right > left && old_is_bar(band + (size_t)(right - 1) * 3, bh, stride))
        right--;
    if ((right - left) * 2 < w)
        return all;
    old_rect r = {left, top, right - left, bottom - top};
    return r;
}

/* ---- generated images ------------------------------------------------------------------- */
static uint32_t pick(uint64_t *st, uint32_t n)
{
    return n ? (uint32_t)(check_rand(st) % n) : 0;
}

static uint8_t clamp(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/*
 * A w x h image (channels 1 or 3, rows stride bytes apart): content (a synthetic scene,
 * noise, flat or dark), framed by a band on each side of its own width and colour, with
 * noise of some amplitude and a few stray pixels.
 */
static uint8_t *generate(uint64_t *st, uint32_t w, uint32_t h, int ch, size_t stride)
{
    uint8_t *p = calloc(stride * h, 1);
    int kind = (int)pick(st, 4);
    synth_image scene = {0};
    if (kind == 0 && synth_make(&scene, w, h, check_rand(st)) != 0)
        abort();
    int flat = (int)pick(st, 256);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                int v;
                switch (kind) {
                case 0: v = scene.px[((size_t)y * w + x) * 3 + (size_t)(c % 3)]; break;
                case 1: v = (int)pick(st, 256); break;
                case 2: v = flat + (int)pick(st, 9) - 4; break;
                default: v = (int)pick(st, 40); break; /* a dark scene */
                }
                p[y * stride + x * (size_t)ch + (size_t)c] = clamp(v);
            }
    synth_free(&scene);
    uint32_t band[4]; /* top, bottom, left, right */
    for (int s = 0; s < 4; s++) {
        uint32_t side = s < 2 ? h : w;
        band[s] = pick(st, 3) == 0 ? 0 : pick(st, side / 2 + 2);
    }
    for (int s = 0; s < 4; s++) {
        static const int palette[][3] = {{0, 0, 0},      {16, 16, 16}, {255, 255, 255},
                                         {20, 120, 110}, {40, 10, 60}, {45, 45, 45}};
        const int *col = palette[pick(st, 6)];
        int noise = (int)pick(st, 4) == 0 ? (int)pick(st, 60) : (int)pick(st, 6);
        uint32_t stray_per_k = pick(st, 3) == 0 ? pick(st, 60) : 0; /* per 1000 pixels */
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                int in = s == 0   ? y < band[0]
                         : s == 1 ? y >= h - band[1] && h >= band[1]
                         : s == 2 ? x < band[2]
                                  : x >= w - band[3] && w >= band[3];
                if (!in)
                    continue;
                int stray = pick(st, 1000) < stray_per_k;
                for (int c = 0; c < ch; c++) {
                    int v = stray ? (int)pick(st, 256)
                                  : col[c % 3] + (int)pick(st, (uint32_t)(2 * noise + 1)) - noise;
                    p[y * stride + x * (size_t)ch + (size_t)c] = clamp(v);
                }
            }
    }
    return p;
}

int main(void)
{
    uint64_t st = check_test_seed(1515);
    int cases = 0, with_bands_image = 0, with_bands_video = 0, mismatches = 0;
    for (int iter = 0; iter < 4000; iter++) {
        uint32_t w, h;
        if (iter % 5 == 0) { /* tiny */
            w = 1 + pick(&st, 12);
            h = 1 + pick(&st, 12);
        } else {
            w = 8 + pick(&st, 150);
            h = 8 + pick(&st, 150);
        }
        int ch = pick(&st, 3) == 0 ? 1 : 3;
        size_t stride = (size_t)w * (size_t)ch + pick(&st, 3) * 7;
        uint8_t *p = generate(&st, w, h, ch, stride);

        lm_border_bands want, got;
        int rw = old_border_detect(p, w, h, stride, ch, &want);
        int rg = lm_border_detect(&lm_border_image, p, w, h, stride, ch, &got);
        if (rw != rg || memcmp(&want, &got, sizeof want) != 0) {
            mismatches++;
            fprintf(stderr, "image %d (%ux%u, %d channels): old %u/%u/%u/%u, new %u/%u/%u/%u\n",
                    iter, w, h, ch, want.top, want.bottom, want.left, want.right, got.top,
                    got.bottom, got.left, got.right);
        }
        with_bands_image += rw;

        if (ch == 3) { /* the video detector only ever saw RGB24 */
            old_rect r = old_video_content_rect(p, (int)w, (int)h, stride);
            lm_border_bands vb;
            int rv = lm_border_detect(&lm_border_video, p, w, h, stride, 3, &vb);
            old_rect n = {(int)vb.left, (int)vb.top, (int)(w - vb.left - vb.right),
                          (int)(h - vb.top - vb.bottom)};
            int moved = r.x != 0 || r.y != 0 || r.w != (int)w || r.h != (int)h;
            if (memcmp(&r, &n, sizeof r) != 0 || rv != moved) {
                mismatches++;
                fprintf(stderr, "video %d (%ux%u): old %d,%d %dx%d, new %d,%d %dx%d\n", iter, w, h,
                        r.x, r.y, r.w, r.h, n.x, n.y, n.w, n.h);
            }
            with_bands_video += moved;
        }
        cases++;
        free(p);
    }
    CHECK_EQ_INT(mismatches, 0);
    /* The generator must exercise both outcomes of both detectors. */
    CHECK(with_bands_image > cases / 20 && with_bands_image < cases - cases / 20);
    CHECK(with_bands_video > cases / 40);
    printf("%d images: %d with image bands, %d with video bars, %d mismatches\n", cases,
           with_bands_image, with_bands_video, mismatches);
    return check_report("test-border");
}
