/*
 * The one border detector (border.h). UNIFORM lines work on luma: borders are
 * black, white or some flat colour, and luma tells them from content as well
 * as RGB does; DARK lines look at every channel, so that a saturated colour
 * next to the bars is never taken for black.
 */
#include "border.h"

#include <stdlib.h>

/* Tolerances chosen on JPEG quality 30 borders (bench/robustness). */
const lm_border_params lm_border_image = {
    .line = LM_BORDER_UNIFORM,
    .level = 8, /* mean |luma - band colour| of a band row */
    .far = 40,  /* a pixel this far from the band colour strays */
    .stray_num = 3,
    .stray_den = 100, /* at most 3% of a band row's pixels stray */
    .min_side = 8,
    .min_band_pct = 1,
    .min_band_px = 2,
    .min_content_div = 4,
    .all_or_nothing = 0,
};

/* Bars are encoded near 16/255; ringing next to a sharp edge stays well below 48. */
const lm_border_params lm_border_video = {
    .line = LM_BORDER_DARK,
    .level = 48,
    .stray_num = 1,
    .stray_den = 64,
    .min_side = 1,
    .min_band_pct = 0,
    .min_band_px = 0,
    .min_content_div = 2,
    .all_or_nothing = 1,
};

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

/* At most num/den of n pixels may stray: stray * den <= num * n. */
static int few(uint64_t stray, const lm_border_params *p, uint32_t n)
{
    return stray * p->stray_den <= (uint64_t)p->stray_num * n;
}

/* UNIFORM: the line stays within tolerance of colour ref. */
static int line_uniform(const lm_border_params *p, line l, int channels, int ref)
{
    uint64_t dev = 0, far = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        int d = abs(luma_at(l.p + i * l.step, channels) - ref);
        dev += (uint64_t)d;
        far += d > p->far;
    }
    return dev <= (uint64_t)p->level * l.n && few(far, p, l.n);
}

/* DARK: few pixels brighter than level in any channel (stops at the first one too many). */
static int line_dark(const lm_border_params *p, line l, int channels)
{
    uint64_t allowed = (uint64_t)p->stray_num * l.n / p->stray_den, seen = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        const uint8_t *q = l.p + i * l.step;
        int bright = 0;
        for (int c = 0; c < channels; c++)
            bright |= q[c] > p->level;
        if (bright && ++seen > allowed)
            return 0;
    }
    return 1;
}

/*
 * Width of the band starting at line 0 and moving inward: line k starts at
 * base + k * advance. Scans at most limit lines.
 */
static uint32_t band_width(const lm_border_params *p, const uint8_t *base, ptrdiff_t advance,
                           size_t step, uint32_t n, uint32_t limit, int channels)
{
    line first = {base, step, n};
    int ref = p->line == LM_BORDER_UNIFORM ? line_mean(first, channels) : 0;
    uint32_t k = 0;
    while (k < limit) {
        line l = {base + (ptrdiff_t)k * advance, step, n};
        if (!(p->line == LM_BORDER_DARK ? line_dark(p, l, channels)
                                        : line_uniform(p, l, channels, ref)))
            break;
        k++;
    }
    return k;
}

/* Drop bands too thin to be borders; both, returning 1, when too little content would remain. */
static int settle_axis(const lm_border_params *p, uint32_t *a, uint32_t *b, uint32_t side)
{
    uint64_t pct = (uint64_t)side * p->min_band_pct / 100;
    uint64_t min_band = pct > p->min_band_px ? pct : p->min_band_px;
    if (*a < min_band)
        *a = 0;
    if (*b < min_band)
        *b = 0;
    if ((uint64_t)(side - *a - *b) * p->min_content_div < side) {
        *a = *b = 0;
        return 1;
    }
    return 0;
}

int lm_border_detect(const lm_border_params *p, const uint8_t *px, uint32_t width, uint32_t height,
                     size_t stride, int channels, lm_border_bands *out)
{
    out->top = out->bottom = out->left = out->right = 0;
    if (!px || (channels != 1 && channels != 3) || width < p->min_side || height < p->min_side ||
        width == 0 || height == 0)
        return 0;
    size_t cs = (size_t)channels;
    /* Rows first (n = width pixels, cs apart), then columns over the rows left (stride apart). */
    out->top = band_width(p, px, (ptrdiff_t)stride, cs, width, height, channels);
    if (out->top < height)
        out->bottom = band_width(p, px + (size_t)(height - 1) * stride, -(ptrdiff_t)stride, cs,
                                 width, height - out->top, channels);
    if (settle_axis(p, &out->top, &out->bottom, height) && p->all_or_nothing)
        return 0;
    const uint8_t *rows = px + (size_t)out->top * stride;
    uint32_t nrows = height - out->top - out->bottom;
    out->left = band_width(p, rows, (ptrdiff_t)cs, stride, nrows, width, channels);
    if (out->left < width)
        out->right = band_width(p, rows + (size_t)(width - 1) * cs, -(ptrdiff_t)cs, stride, nrows,
                                width - out->left, channels);
    if (settle_axis(p, &out->left, &out->right, width) && p->all_or_nothing) {
        out->top = out->bottom = 0;
        return 0;
    }
    return out->top || out->bottom || out->left || out->right;
}
