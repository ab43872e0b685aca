/*
 * The one pixels -> PDQ path (hash/pixel_hash.h): with or without reused
 * scratch, from RGB or grey, whole or a rectangle of one luma, and through the
 * public lm_hash_pixels, every result is the PDQ core's on the same luma.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libmatch.h"
#include "pdq.h"
#include "pixel_hash.h"

static uint8_t *random_image(uint64_t *st, uint32_t w, uint32_t h, int ch, size_t stride)
{
    uint8_t *p = malloc(stride * h);
    for (size_t i = 0; i < stride * h; i++)
        p[i] = (uint8_t)check_rand(st);
    /* smooth it a little so that quality is not always the same */
    for (uint32_t y = 1; y < h; y++)
        for (size_t x = 0; x < (size_t)w * (size_t)ch; x++)
            p[y * stride + x] = (uint8_t)((p[y * stride + x] + p[(y - 1) * stride + x]) / 2);
    return p;
}

/* The core on the luma of the pixels, computed by hand. */
static void reference(const uint8_t *p, uint32_t w, uint32_t h, size_t stride, int ch,
                      lm_pdq_hash hashes[8], int *quality)
{
    size_t n = (size_t)w * h;
    float *l = malloc(n * 2 * sizeof *l);
    if (ch == 3)
        lm_pdq_luma_from_rgb(p, (int)h, (int)w, stride, l);
    else
        lm_pdq_luma_from_grey(p, (int)h, (int)w, stride, l);
    lm_pdq_hash_luma(l, l + n, (int)h, (int)w, 1, hashes, quality);
    free(l);
}

static void same(const lm_image_hash *a, const lm_pdq_hash want[8], int quality, int dihedral)
{
    CHECK(memcmp(&a->pdq, &want[0], sizeof a->pdq) == 0);
    CHECK_EQ_INT(a->quality, quality);
    if (dihedral)
        CHECK(memcmp(a->dihedral, want, sizeof a->dihedral) == 0);
}

int main(void)
{
    uint64_t st = check_test_seed(15);
    static const uint32_t sizes[][2] = {{97, 61}, {300, 200}, {64, 64},
                                        {4, 9},   {512, 512}, {33, 130}};
    lm_pdq_scratch scratch = {0}; /* reused from size to size, growing and not */
    lm_hasher *hasher = lm_hasher_create();
    CHECK(hasher != NULL);
    CHECK_EQ_INT(lm_hasher_set_option(hasher, LM_OPT_DIHEDRAL, 1), LM_OK);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int ch = 1; ch <= 3; ch += 2) {
            uint32_t w = sizes[i][0], h = sizes[i][1];
            size_t stride = (size_t)w * (size_t)ch + (i % 3) * 5; /* padded rows too */
            uint8_t *p = random_image(&st, w, h, ch, stride);
            lm_pdq_hash want[8];
            int q;
            reference(p, w, h, stride, ch, want, &q);

            lm_image_hash a, b, c;
            memset(&a, 0x5a, sizeof a);
            CHECK_EQ_INT(lm_pdq_hash_pixels(p, w, h, stride, ch, 1, NULL, &a), LM_OK);
            same(&a, want, q, 1);
            CHECK_EQ_INT(lm_pdq_hash_pixels(p, w, h, stride, ch, 0, &scratch, &b), LM_OK);
            same(&b, want, q, 0);
            CHECK_EQ_INT(lm_hash_pixels(hasher, p, w, h, stride, ch, &c), LM_OK);
            same(&c, want, q, 1);
            CHECK_EQ_INT(c.width, w);
            CHECK_EQ_INT(c.height, h);

            /* A rectangle of one luma: the hash of that sub-image's pixels. */
            if (w >= 16 && h >= 16) {
                lm_rect r = {w / 5, h / 7, w / 2, h / 2};
                size_t n = (size_t)w * h;
                float *l = malloc(n * 3 * sizeof *l);
                lm_pdq_luma_from_pixels(p, w, h, stride, ch, l);
                lm_image_hash d;
                lm_pdq_hash_luma_rect(l, w, r, l + n, 1, &d);
                lm_pdq_hash sub[8];
                int sq;
                reference(p + (size_t)r.y * stride + (size_t)r.x * (size_t)ch, r.w, r.h, stride, ch,
                          sub, &sq);
                same(&d, sub, sq, 1);
                /* the luma itself is left as it was: a second rectangle hashes the same */
                lm_pdq_hash_luma_rect(l, w, r, l + n, 1, &d);
                same(&d, sub, sq, 1);
                free(l);
            }
            free(p);
        }
    }
    lm_pdq_scratch_free(&scratch);
    lm_pdq_scratch_free(&scratch); /* twice is harmless */
    lm_hasher_destroy(hasher);
    return check_report("test-hash-pixels");
}
