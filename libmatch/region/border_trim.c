/*
 * Border detection. A band row (or column) is one whose pixels stay close to
 * the band colour, the outermost row's mean luma: the mean absolute deviation
 * is small and only a few pixels stray far (JPEG ringing and noise make single
 * pixels stray; content makes many). Luma only: borders are black, white or
 * some flat colour, and luma tells them from content as well as RGB does.
 */
#include "border_trim.h"

#include <stdlib.h>

/* Tolerances in 8-bit luma levels, chosen on JPEG quality 30 borders (bench/robustness). */
#define MEAN_DEV_MAX 8 /* mean |luma - band colour| of a band row */
#define FAR_DEV 40     /* a pixel this far from the band colour strays */
#define FAR_FRAC_PCT 3 /* at most this % of a band row's pixels stray */

static inline int luma_at(const uint8_t *p, int channels)
{
    return channels == 3 ? (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8 : p[0];
}

/* The line of n pixels starting at p, step bytes apart. */
typedef struct line {
    const uint8_t *p;
    size_t step;
    uint32_t n;
} line;

static int line_mean(line l, int channels)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < l.n; i++)
        sum += (uint64_t)luma_at(l.p + i * l.step, channels);
    return (int)((sum + l.n / 2) / l.n);
}

/* 1 when the line stays within tolerance of colour ref. */
static int line_uniform(line l, int channels, int ref)
{
    uint64_t dev = 0, far = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        int d = abs(luma_at(l.p + i * l.step, channels) - ref);
        dev += (uint64_t)d;
        far += d > FAR_DEV;
    }
    return dev <= (uint64_t)MEAN_DEV_MAX * l.n && far * 100 <= (uint64_t)FAR_FRAC_PCT * l.n;
}

/*
 * Width of the band starting at line 0 and moving inward: line k starts at
 * base + k * advance. Scans at most limit lines.
 */
static uint32_t band_width(const uint8_t *base, ptrdiff_t advance, size_t step, uint32_t n,
                           uint32_t limit, int channels)
{
    line first = {base, step, n};
    int ref = line_mean(first, channels);
    uint32_t k = 0;
    while (k < limit) {
        line l = {base + (ptrdiff_t)k * advance, step, n};
        if (!line_uniform(l, channels, ref))
            break;
        k++;
    }
    return k;
}

/* Drop bands too thin to be borders, and both when too little content would remain. */
static void settle_axis(uint32_t *a, uint32_t *b, uint32_t side)
{
    uint32_t min_band = side / 100 > 2 ? side / 100 : 2;
    if (*a < min_band)
        *a = 0;
    if (*b < min_band)
        *b = 0;
    if ((uint64_t)(side - *a - *b) * 4 < side)
        *a = *b = 0;
}

int lm_border_detect(const uint8_t *px, uint32_t width, uint32_t height, size_t stride,
                     int channels, lm_border_bands *out)
{
    out->top = out->bottom = out->left = out->right = 0;
    if (!px || (channels != 1 && channels != 3) || width < 8 || height < 8)
        return 0;
    size_t cs = (size_t)channels;
    /* Rows first (n = width pixels, cs apart), then columns over the rows left (stride apart). */
    out->top = band_width(px, (ptrdiff_t)stride, cs, width, height, channels);
    if (out->top < height)
        out->bottom = band_width(px + (size_t)(height - 1) * stride, -(ptrdiff_t)stride, cs, width,
                                 height - out->top, channels);
    settle_axis(&out->top, &out->bottom, height);
    const uint8_t *rows = px + (size_t)out->top * stride;
    uint32_t nrows = height - out->top - out->bottom;
    out->left = band_width(rows, (ptrdiff_t)cs, stride, nrows, width, channels);
    if (out->left < width)
        out->right = band_width(rows + (size_t)(width - 1) * cs, -(ptrdiff_t)cs, stride, nrows,
                                width - out->left, channels);
    settle_axis(&out->left, &out->right, width);
    return out->top || out->bottom || out->left || out->right;
}
