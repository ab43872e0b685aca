/* The photographs the robustness benches start from, decoded into RGB synth images. */
#include "bench_photos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode.h"
#include "file_read.h"

const char *const bench_photos[] = {
    "pdq/bridge-mods/aaa-orig.jpg",
    "pdq/reg-test-input/labelme-subset/q0003.jpg",
    "pdq/reg-test-input/labelme-subset/q0004.jpg",
    "pdq/reg-test-input/labelme-subset/q0122.jpg",
    "pdq/reg-test-input/labelme-subset/q0291.jpg",
    "pdq/reg-test-input/labelme-subset/q0746.jpg",
    "pdq/reg-test-input/labelme-subset/q1050.jpg",
    "pdq/reg-test-input/labelme-subset/q2821.jpg",
    "pdq/misc-images/c.png",
    "pdq/misc-images/wee.jpg",
    "pdq/reg-test-input/exif-rotn/exif-rotn-1.jpg",
};
const size_t bench_photo_count = sizeof bench_photos / sizeof bench_photos[0];

int bench_load_photo(const char *dir, const char *rel, synth_image *out)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    uint8_t *data;
    size_t len;
    lm_errbuf err = {{0}};
    if (lm_read_file(path, 1 << 27, &data, &len, &err) != LM_OK)
        return -1;
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    lm_pixels px;
    lm_status st = lm_decode_image(data, len, &o, &px, &err);
    free(data);
    if (st != LM_OK)
        return -1;
    int rc = synth_alloc(out, px.width, px.height, 3);
    for (uint32_t y = 0; rc == 0 && y < px.height; y++)
        for (uint32_t x = 0; x < px.width; x++)
            for (int c = 0; c < 3; c++)
                out->px[((size_t)y * px.width + x) * 3 + c] =
                    px.data[(size_t)y * px.stride + (size_t)x * (size_t)px.channels +
                            (px.channels == 3 ? (size_t)c : 0)];
    lm_pixels_free(&px);
    return rc;
}

int bench_make_picture(lm_hasher *h, uint64_t *seed, synth_image *img)
{
    static const uint32_t sizes[][2] = {{640, 480}, {480, 640}, {800, 450}, {500, 500},
                                        {400, 300}, {360, 640}, {700, 400}};
    for (;;) {
        uint64_t s = (*seed)++;
        if (synth_make(img, sizes[s % 7][0], sizes[s % 7][1], s))
            return -1;
        lm_image_hash ih;
        if (lm_hash_pixels(h, img->px, img->w, img->h, (size_t)img->w * 3, 3, &ih) == LM_OK &&
            ih.quality >= LM_DEFAULT_MIN_QUALITY)
            return 0;
        synth_free(img);
    }
}
