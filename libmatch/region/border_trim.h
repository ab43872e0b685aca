/*
 * Border and letterbox detection on a decoded image (the bounded buffer the
 * hash is computed from, at most 512x512): near-uniform bands of one colour on
 * each side, tolerant to JPEG noise. Knows nothing of hashes.
 */
#ifndef LM_ROBUST_BORDER_TRIM_H
#define LM_ROBUST_BORDER_TRIM_H

#include <stddef.h>
#include <stdint.h>

/* Band widths in pixels of the image given; content is the rectangle inside them. */
typedef struct lm_border_bands {
    uint32_t top, bottom, left, right;
} lm_border_bands;

/*
 * Find the uniform bands of an 8-bit RGB (channels 3) or grey (1) image.
 * A row (column) belongs to a band while its luma mean stays within a small
 * tolerance of the outermost row's and its luma spread stays small; the
 * outermost row must itself be uniform. Bands thinner than 1% of the side are
 * ignored (noise), and when the content left would be under a quarter of a
 * side nothing is trimmed on that axis (a mostly flat picture, not a border).
 * Returns 1 when any band was found, 0 otherwise (bands all zero).
 */
int lm_border_detect(const uint8_t *px, uint32_t width, uint32_t height, size_t stride,
                     int channels, lm_border_bands *out);

#endif
