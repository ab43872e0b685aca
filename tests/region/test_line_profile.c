/*
 * The insets' side-test kernel (libmatch/region/line_profile.c) equals its scalar reference in
 * every count: random luma, luma with pasted rectangles (sharp sides, the case it is for) and
 * flat runs with ties, both directions, every position including those near the border where
 * the kernel hands over to the reference, and widths that are not multiples of four.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "line_profile.h"

static uint64_t rng;
static uint32_t next(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static void fill(float *l, uint32_t w, uint32_t h, int kind)
{
    for (size_t i = 0; i < (size_t)w * h; i++)
        l[i] = kind == 0 ? (float)(next() % 256) : kind == 1 ? 40.0f + (float)(next() % 5) : 128;
    if (kind == 0)
        return;
    for (int r = 0; r < 6; r++) { /* rectangles of one level: sharp straight sides */
        uint32_t x0 = next() % w, y0 = next() % h, x1 = x0 + next() % (w - x0 + 1),
                 y1 = y0 + next() % (h - y0 + 1);
        float v = (float)(next() % 256);
        for (uint32_t y = y0; y < y1; y++)
            for (uint32_t x = x0; x < x1; x++)
                l[(size_t)y * w + x] = kind == 2 ? v : v + (float)(next() % 3) * 0.5f;
    }
}

int main(void)
{
    rng = check_test_seed(0x11e9f0f11e);
    static const uint32_t sizes[][2] = {{32, 32}, {37, 29}, {64, 48}, {127, 130}, {512, 384}};
    uint64_t lines = 0, sharp = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int kind = 0; kind < 4; kind++) {
            uint32_t w = sizes[s][0], h = sizes[s][1];
            float *l = malloc((size_t)w * h * sizeof *l);
            uint32_t n = w > h ? w : h;
            uint32_t *mem = malloc((size_t)6 * (n + 1) * sizeof *mem);
            fill(l, w, h, kind);
            for (int vertical = 0; vertical < 2; vertical++) {
                uint32_t lim = vertical ? w : h, len = vertical ? h : w;
                for (uint32_t p = 1; p + 1 < lim; p++) {
                    uint32_t *a[3] = {mem, mem + len + 1, mem + 2 * (len + 1)};
                    uint32_t *b[3] = {mem + 3 * (len + 1), mem + 4 * (len + 1),
                                      mem + 5 * (len + 1)};
                    memset(mem, 0xAB, (size_t)6 * (len + 1) * sizeof *mem);
                    lm_line_profile3(l, w, h, vertical, p, a);
                    lm_line_profile3_ref(l, w, h, vertical, p, b);
                    for (int o = 0; o < 3; o++) {
                        if (memcmp(a[o], b[o], (len + 1) * sizeof *mem) != 0) {
                            CHECK(!"kernel differs from the reference");
                            fprintf(stderr, "size %ux%u kind %d vertical %d p %u o %d\n", w, h,
                                    kind, vertical, p, o);
                        }
                        sharp += b[o][len];
                    }
                    lines++;
                }
            }
            free(l);
            free(mem);
        }
    /* the data must exercise both answers */
    CHECK(sharp > 1000);
    printf("%llu side lines x 3 positions equal to the reference (%llu sharp pixel lines)\n",
           (unsigned long long)lines, (unsigned long long)sharp);
    return check_report("test_line_profile");
}
