/* Stage-by-stage comparison of one kernel set with the scalar kernels. */
#ifndef LM_TEST_HASH_SIMD_COMPARE_H
#define LM_TEST_HASH_SIMD_COMPARE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pdq.h"
#include "pdq_kernels.h"

static int n_images;

/* First differing float index, or -1. Compares bit patterns (so -0 != +0, NaN == NaN). */
static long first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            return (long)i;
    return -1;
}

#define CHECK_SAME(what, a, b, n, isa, rows, cols)                                                 \
    do {                                                                                           \
        long d_ = first_diff((a), (b), (n));                                                       \
        if (d_ >= 0) {                                                                             \
            fprintf(stderr, "%s: %s differs at %ld (%.9g vs %.9g) for %dx%d\n", lm_isa_name(isa),  \
                    what, d_, (double)(a)[d_], (double)(b)[d_], rows, cols);                       \
        }                                                                                          \
        CHECK(d_ < 0);                                                                             \
    } while (0)

/* The luma of an RGB or grey image by the kernel sets s (into a) and k (into b). */
static void both_lumas(const lm_pdq_kernels *s, const lm_pdq_kernels *k, const uint8_t *px,
                       int rows, int cols, size_t stride, int channels, float *a, float *b)
{
    const lm_pdq_kernels *sets[2] = {s, k};
    float *out[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (channels == 3)
            sets[i]->luma_from_rgb(px, rows, cols, stride, out[i]);
        else
            sets[i]->luma_from_grey(px, rows, cols, stride, out[i]);
    }
}

/* One image through both kernel sets, stage by stage. */
static void compare_image(const lm_pdq_kernels *k, const uint8_t *px, int rows, int cols,
                          size_t stride, int channels)
{
    const lm_pdq_kernels *s = &lm_pdq_kernels_scalar;
    size_t n = (size_t)rows * cols;
    float *a = malloc(n * 2 * sizeof(float)), *b = malloc(n * 2 * sizeof(float));
    if (!a || !b) {
        CHECK(!"out of memory");
        free(a);
        free(b);
        return;
    }
    both_lumas(s, k, px, rows, cols, stride, channels, a, b);
    CHECK_SAME("luma", a, b, n, k->isa, rows, cols);

    if (rows >= LM_PDQ_MIN_DIM && cols >= LM_PDQ_MIN_DIM) {
        /* the box passes one at a time, then the whole filter (both buffers) */
        int wr = lm_pdq_jarosz_window(cols, 64), wc = lm_pdq_jarosz_window(rows, 64);
        s->box_rows(a, a + n, rows, cols, wr);
        k->box_rows(a, b + n, rows, cols, wr);
        CHECK_SAME("box_rows", a + n, b + n, n, k->isa, rows, cols);
        s->box_cols(a, a + n, rows, cols, wc);
        k->box_cols(a, b + n, rows, cols, wc);
        CHECK_SAME("box_cols", a + n, b + n, n, k->isa, rows, cols);

        memcpy(b, a, n * sizeof(float));
        float ba[64][64], bb[64][64];
        lm_pdq_block64_with(s, a, a + n, rows, cols, ba);
        lm_pdq_block64_with(k, b, b + n, rows, cols, bb);
        if (!(rows == 64 && cols == 64)) {
            CHECK_SAME("filtered", a, b, n, k->isa, rows, cols);
            CHECK_SAME("filter scratch", a + n, b + n, n, k->isa, rows, cols);
        }
        CHECK_SAME("block", &ba[0][0], &bb[0][0], 64 * 64, k->isa, rows, cols);
        float dbk[64][64];
        k->decimate64(a, rows, cols, dbk);
        s->decimate64(a, rows, cols, ba);
        CHECK_SAME("decimate", &ba[0][0], &dbk[0][0], 64 * 64, k->isa, rows, cols);
        CHECK_EQ_INT(s->quality((const float(*)[64])bb), k->quality((const float(*)[64])bb));
        float da[16][16], db[16][16];
        s->dct64_to_16((const float(*)[64])bb, da);
        k->dct64_to_16((const float(*)[64])bb, db);
        CHECK_SAME("dct", &da[0][0], &db[0][0], 256, k->isa, rows, cols);
    }

    /* end to end, dihedral on */
    lm_pdq_hash ha[8], hb[8];
    int qa, qb;
    both_lumas(s, k, px, rows, cols, stride, channels, a, b);
    lm_pdq_hash_luma_with(s, a, a + n, rows, cols, 1, ha, &qa);
    lm_pdq_hash_luma_with(k, b, b + n, rows, cols, 1, hb, &qb);
    CHECK(memcmp(ha, hb, sizeof ha) == 0);
    CHECK_EQ_INT(qa, qb);
    n_images++;
    free(a);
    free(b);
}

#endif
