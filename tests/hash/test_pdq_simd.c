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
#include "simd_compare.h"

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
    static const int fixed[][2] = {{1, 1},     {4, 4},     {5, 5},     {5, 2000},  {2000, 5},
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
        printf("%s: %d images compared with scalar\n", lm_isa_name((lm_isa)isa), n_images - before);
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
