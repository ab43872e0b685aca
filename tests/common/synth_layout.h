/*
 * Re-share layouts of a picture, for the region stage's tests and bench:
 * a caption band above it, a screenshot UI frame around it, an inset over
 * another picture, a 2x2 collage. Benign, deterministic (seeded); text is
 * text-like strokes, not letters. Each returns where the picture lies in the
 * output (*where), in output pixels. RGB in, RGB out; 0 on success, -1 on
 * bad arguments or no memory.
 */
#ifndef LM_TEST_SYNTH_LAYOUT_H
#define LM_TEST_SYNTH_LAYOUT_H

#include <stdint.h>

#include "synth.h"

typedef struct synth_rect {
    uint32_t x, y, w, h;
} synth_rect;

/* Fill [x0,x1) x [y0,y1) of an RGB image with colour bg and text-like lines of colour fg. */
void synth_text_block(synth_image *img, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
                      const uint8_t bg[3], const uint8_t fg[3], uint32_t line_h, uint64_t seed);

/* A white band (a fifth of the height) with dark text above the picture. */
int synth_caption(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where);

/*
 * A phone-like screenshot: status bar, app bar, the picture shown at 85% of its
 * size off-centre on a light page with text beside and below it, a bottom bar.
 */
int synth_screenshot(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where);

/* The picture at 45% of the side of an unrelated scene (seed), placed off-centre. */
int synth_inset(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where);

/*
 * A 2x2 collage of cells of half the picture's size: the picture in cell
 * ((seed >> 1) % 4: 0 top left, 1 top right, 2 bottom left, 3 bottom right),
 * unrelated scenes in the others, with a white seam of 4 pixels when seed is
 * odd (bit 0 chooses the seam only, so every cell occurs with and without).
 */
int synth_collage(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where);

#endif
