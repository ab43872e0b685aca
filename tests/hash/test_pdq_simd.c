/*
 * Every PDQ kernel the CPU supports against the scalar specification, on many
 * generated images of varied sizes: identical luma, identical filter buffers
 * (both of them), identical 64x64 block, quality, DCT and hashes, bit for bit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hash_test_util.h"
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

#define CHECK_SAME(what, a, b, n, isa, rows, cols)                                                  \
    do {                                                                                            \
        long d_ = first_diff((a), (b), (n));                                                        \
        if (d_ >= 0) {                                                                              \
            fprintf(stderr, "%s: %s differs at %ld (%.9g vs %.9g) for %dx%d\n", lm_isa_name(isa),  \
                    what, d_, (double)(a)[d_], (double)(b)[d_], rows, cols);                        \
        }                                                                                           \
        CHECK(d_ < 0);                                                                              \
    } while (0)

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
    if (channels == 3) {
        s->luma_from_rgb(px, rows, cols, stride, a);
        k->luma_from_rgb(px, rows, cols, stride, b);
    } else {
        s->luma_from_grey(px, rows, cols, stride, a);
        k->luma_from_grey(px, rows, cols, stride, b);
    }
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
    if (channels == 3) {
        s->luma_from_rgb(px, rows, cols, stride, a);
        k->luma_from_rgb(px, rows, cols, stride, b);
    } else {
        s->luma_from_grey(px, rows, cols, stride, a);
        k->luma_from_grey(px, rows, cols, stride, b);
    }
    lm_pdq_hash_luma_with(s, a, a + n, rows, cols, 1, ha, &qa);
    lm_pdq_hash_luma_with(k, b, b + n, rows, cols, 1, hb, &qb);
    CHECK(memcmp(ha, hb, sizeof ha) == 0);
    CHECK_EQ_INT(qa, qb);
    n_images++;
    free(a);
    free(b);
}

/* Random stage inputs that images rarely produce: wide value ranges, any window. */
static void compare_box_random(const lm_pdq_kernels *k, uint64_t *st)
{
    for (int iter = 0; iter < 60; iter++) {
        int rows = 1 + (int)(check_rand(st) % 150), cols = 1 + (int)(check_rand(st) % 150);
        int window = 1 + (int)(check_rand(st) % (uint64_t)(rows < cols ? rows : cols));
        size_t n = (size_t)rows * cols;
        float *in = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)),
              *b = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            in[i] = (float)((double)(int64_t)check_rand(st) / 9.2e16); /* about +-100 */
        lm_pdq_kernels_scalar.box_rows(in, a, rows, cols, window);
        k->box_rows(in, b, rows, cols, window);
        CHECK_SAME("box_rows(random)", a, b, n, k->isa, rows, cols);
        lm_pdq_kernels_scalar.box_cols(in, a, rows, cols, window);
        k->box_cols(in, b, rows, cols, window);
        CHECK_SAME("box_cols(random)", a, b, n, k->isa, rows, cols);
        free(in);
        free(a);
        free(b);
    }
    float block[64][64], da[16][16], db[16][16];
    for (int iter = 0; iter < 20; iter++) {
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < 64; j++)
                block[i][j] = (float)((double)(check_rand(st) >> 11) / 3.5e13);
        lm_pdq_kernels_scalar.dct64_to_16((const float(*)[64])block, da);
        k->dct64_to_16((const float(*)[64])block, db);
        CHECK_SAME("dct(random)", &da[0][0], &db[0][0], 256, k->isa, 64, 64);
        CHECK_EQ_INT(lm_pdq_kernels_scalar.quality((const float(*)[64])block),
                     k->quality((const float(*)[64])block));
    }
}

static void run_isa(const lm_pdq_kernels *k, uint64_t seed)
{
    uint64_t st = seed;
    static const int fixed[][2] = {{1, 1},     {4, 4},     {5, 5},     {5, 2000}, {2000, 5},
                                   {64, 64},   {63, 65},   {65, 63},   {128, 128}, {129, 131},
                                   {512, 512}, {511, 513}, {300, 200}, {17, 1000}, {1000, 17},
                                   {7, 33},    {256, 384}, {1999, 37}, {720, 1280}};
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    for (size_t f = 0; f < nfixed + 40; f++) {
        int rows, cols;
        if (f < nfixed) {
            rows = fixed[f][0];
            cols = fixed[f][1];
        } else if (f % 2) { /* small, any */
            rows = 1 + (int)(check_rand(&st) % 200);
            cols = 1 + (int)(check_rand(&st) % 200);
        } else { /* anything up to 2000, pixels bounded for run time */
            rows = 1 + (int)(check_rand(&st) % 2000);
            cols = 1 + (int)(check_rand(&st) % 2000);
            while ((long)rows * cols > 1200000)
                rows = rows / 2 + 1;
        }
        int pad = (int)(check_rand(&st) % 5);
        for (int channels = 1; channels <= 3; channels += 2) {
            size_t stride = (size_t)cols * channels + (size_t)pad;
            uint8_t *px = malloc(stride * rows);
            if (check_rand(&st) % 2)
                gen_noise(px, stride * rows, &st);
            else {
                uint8_t *tight = malloc((size_t)rows * cols * channels);
                gen_smooth(tight, rows, cols, channels, &st);
                for (int i = 0; i < rows; i++)
                    memcpy(px + i * stride, tight + (size_t)i * cols * channels,
                           (size_t)cols * channels);
                free(tight);
            }
            compare_image(k, px, rows, cols, stride, channels);
            free(px);
        }
    }
    compare_box_random(k, &st);
}

int main(void)
{
    uint64_t seed = check_test_seed(20260601);
    int tested = 0;
    for (int isa = LM_ISA_AVX2; isa <= LM_ISA_AVX512; isa++) {
        const lm_pdq_kernels *k = lm_pdq_kernels_for((lm_isa)isa);
        if (!k) {
            printf("%s: not supported here, skipped\n", lm_isa_name((lm_isa)isa));
            continue;
        }
        int before = n_images;
        run_isa(k, seed);
        printf("%s: %d images compared with scalar\n", lm_isa_name((lm_isa)isa),
               n_images - before);
        tested++;
    }
    /* the dispatcher picks one of them, scalar last */
    const lm_pdq_kernels *best = lm_pdq_kernels_best();
    CHECK(best != NULL);
    CHECK(best->isa == lm_cpu_isa());
    CHECK(lm_pdq_kernels_for(LM_ISA_SCALAR) == &lm_pdq_kernels_scalar);
    printf("dispatch: %s (%d SIMD kernel sets tested)\n", lm_isa_name(best->isa), tested);
    return check_report("test-pdq-simd");
}
