/*
 * The one border detector (issue 15), for still images and video frames:
 * bands along each side whose lines (rows, columns) all pass a line test,
 * found from each side inward, rows first, then columns over the rows left.
 * Parameters say what a band line is and how much band and content an image
 * must have; each caller's set is fixed here, because the hashes stored in
 * lists (the LM_REGION_TRIMMED companion, vPDQ frames hashed with
 * crop_borders) were made with it. Knows nothing of hashes.
 */
#ifndef LM_REGION_BORDER_H
#define LM_REGION_BORDER_H

#include <stddef.h>
#include <stdint.h>

/* Band widths in pixels of the image given; content is the rectangle inside them. */
typedef struct lm_border_bands {
    uint32_t top, bottom, left, right;
} lm_border_bands;

/* What makes a line part of a band. */
typedef enum lm_border_line {
    /* Close to the band colour, the outermost line's mean luma: mean |luma - colour| at most
     * `level` and at most stray_num/stray_den of the pixels more than `far` off (JPEG ringing
     * makes single pixels stray, content many). Any flat colour. */
    LM_BORDER_UNIFORM = 0,
    /* Dark: at most stray_num/stray_den of the pixels brighter than `level` in any channel
     * (video bars are encoded near 16/255, ringing by a sharp edge stays below 48). */
    LM_BORDER_DARK = 1,
} lm_border_line;

typedef struct lm_border_params {
    lm_border_line line;
    int level, far;                /* as lm_border_line says; far: UNIFORM only */
    uint32_t stray_num, stray_den; /* at most num/den of a band line's pixels stray */
    uint32_t min_side;             /* smaller images (either side) have no bands */
    /* Bands thinner than max(side * min_band_pct / 100, min_band_px) are noise: dropped. */
    uint32_t min_band_pct, min_band_px;
    /* When less than side / min_content_div would remain, that axis has no bands ... */
    uint32_t min_content_div;
    int all_or_nothing; /* ... and with this set, neither axis has any. */
} lm_border_params;

/*
 * Strict uniform borders of still images (the trimmed hash, LM_REGION_TRIMMED):
 * UNIFORM lines (level 8, far 40, 3% strays, on an 8-bit luma), images of at least
 * 8x8, bands of at least 1% of the side and 2 px, content at least a quarter of
 * each side (a mostly flat picture is not a border; only that axis is given up).
 */
extern const lm_border_params lm_border_image;

/*
 * Video letterbox and pillarbox bars (lm_video_opts.crop_borders): DARK lines
 * (level 48, 1/64 strays), any size, any band width, content at least half of
 * each side, else nothing is cropped at all (a dark scene, not bars).
 */
extern const lm_border_params lm_border_video;

/*
 * Find the bands of an 8-bit RGB (channels 3) or grey (1) image, rows `stride`
 * bytes apart. Returns 1 when any band was found, 0 otherwise (bands all zero).
 */
int lm_border_detect(const lm_border_params *p, const uint8_t *px, uint32_t width, uint32_t height,
                     size_t stride, int channels, lm_border_bands *out);

#endif
