/*
 * Border detection (libmatch/region/border.c, lm_border_image): exact band widths on
 * generated images with known borders, RGB and grey, black, white and
 * coloured; nothing on an image without borders or on a flat image; and the
 * widths found after a JPEG round trip at quality 30 (ringing next to the
 * content costs at most a few pixels, which the assertions pin exactly).
 */
#include <stdlib.h>
#include <string.h>

#include "border.h"
#include "check.h"
#include "decode.h"
#include "synth.h"

static lm_border_bands detect(const synth_image *img)
{
    lm_border_bands b;
    lm_border_detect(&lm_border_image, img->px, img->w, img->h,
                     (size_t)img->w * (size_t)img->channels, img->channels, &b);
    return b;
}

#define CHECK_BANDS(b, t, bo, l, r)                                                                \
    do {                                                                                           \
        CHECK_EQ_INT((b).top, t);                                                                  \
        CHECK_EQ_INT((b).bottom, bo);                                                              \
        CHECK_EQ_INT((b).left, l);                                                                 \
        CHECK_EQ_INT((b).right, r);                                                                \
    } while (0)

int main(void)
{
    static const uint8_t black[3] = {0, 0, 0}, white[3] = {255, 255, 255}, teal[3] = {20, 120, 110};
    synth_image scene;
    CHECK_EQ_INT(synth_make(&scene, 400, 300, 7), 0);

    /* No borders: nothing found. */
    lm_border_bands b = detect(&scene);
    CHECK_BANDS(b, 0, 0, 0, 0);

    /* A black border of 10% on every side. */
    synth_image f;
    CHECK_EQ_INT(synth_frame(&scene, &f, 30, 30, 40, 40, black), 0);
    b = detect(&f);
    CHECK_BANDS(b, 30, 30, 40, 40);
    synth_free(&f);

    /* Letterbox: white bars top and bottom only, unequal. */
    CHECK_EQ_INT(synth_frame(&scene, &f, 50, 47, 0, 0, white), 0);
    b = detect(&f);
    CHECK_BANDS(b, 50, 47, 0, 0);
    synth_free(&f);

    /* Pillarbox in a flat colour, and the grey version of it. */
    CHECK_EQ_INT(synth_frame(&scene, &f, 0, 0, 64, 64, teal), 0);
    b = detect(&f);
    CHECK_BANDS(b, 0, 0, 64, 64);
    synth_image g;
    CHECK_EQ_INT(synth_grey(&f, &g), 0);
    b = detect(&g);
    CHECK_BANDS(b, 0, 0, 64, 64);
    synth_free(&g);
    synth_free(&f);

    /* One side only, and a band under 1% of the side: ignored as noise. */
    CHECK_EQ_INT(synth_frame(&scene, &f, 0, 2, 0, 25, black), 0);
    b = detect(&f);
    CHECK_BANDS(b, 0, 0, 0, 25);
    synth_free(&f);

    /* A flat picture is not a border: less than a quarter would remain. */
    synth_image flat;
    CHECK_EQ_INT(synth_alloc(&flat, 200, 200, 3), 0);
    CHECK_EQ_INT(lm_border_detect(&lm_border_image, flat.px, 200, 200, 600, 3, &b), 0);
    CHECK_BANDS(b, 0, 0, 0, 0);
    synth_free(&flat);

    /* JPEG quality 30 round trip of the 10% black border, decoded as the matcher does. */
    CHECK_EQ_INT(synth_frame(&scene, &f, 30, 30, 40, 40, black), 0);
    uint8_t *jpg;
    size_t jlen;
    CHECK_EQ_INT(synth_encode_jpeg(&f, 30, &jpg, &jlen), 0);
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    lm_pixels px;
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_decode_image(jpg, jlen, &o, &px, &err), LM_OK);
    CHECK_EQ_INT(lm_border_detect(&lm_border_image, px.data, px.width, px.height, px.stride,
                                  px.channels, &b),
                 1);
    /* The true widths are 30/30/40/40; ringing next to the content is kept as content. */
    CHECK(b.top >= 26 && b.top <= 30 && b.bottom >= 26 && b.bottom <= 30);
    CHECK(b.left >= 36 && b.left <= 40 && b.right >= 36 && b.right <= 40);
    CHECK_BANDS(b, 30, 30, 40, 40);
    lm_pixels_free(&px);
    free(jpg);
    synth_free(&f);

    synth_free(&scene);
    return check_report("test_border_trim");
}
