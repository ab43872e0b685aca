/*
 * Stage tests of the scalar PDQ (the specification) on generated buffers:
 * known answers for each stage and for the special cases of the pipeline.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hash_test_util.h"
#include "libmatch.h"
#include "pdq.h"
#include "pdq_kernels.h"

static int is_zero_hash(const lm_pdq_hash *h)
{
    for (int i = 0; i < LM_PDQ_BYTES; i++)
        if (h->b[i])
            return 0;
    return 1;
}

static void test_window(void)
{
    CHECK_EQ_INT(lm_pdq_jarosz_window(5, 64), 1);
    CHECK_EQ_INT(lm_pdq_jarosz_window(64, 64), 1);
    CHECK_EQ_INT(lm_pdq_jarosz_window(128, 64), 1);
    CHECK_EQ_INT(lm_pdq_jarosz_window(129, 64), 2);
    CHECK_EQ_INT(lm_pdq_jarosz_window(256, 64), 2);
    CHECK_EQ_INT(lm_pdq_jarosz_window(257, 64), 3);
    CHECK_EQ_INT(lm_pdq_jarosz_window(512, 64), 4);
    CHECK_EQ_INT(lm_pdq_jarosz_window(1000, 64), 8);
}

static void test_box1d(void)
{
    float in[20], out[20];
    /* window 1 on integer values is the identity (sums stay exact). */
    for (int i = 0; i < 20; i++)
        in[i] = (float)((i * 37) % 256);
    lm_pdq_box1d(in, out, 20, 1, 1);
    CHECK(memcmp(in, out, sizeof in) == 0);

    /* window 3: the mean of in[i-1..i+1], clipped at the ends. */
    for (int i = 0; i < 10; i++)
        in[i] = (float)(i * i);
    lm_pdq_box1d(in, out, 10, 1, 3);
    CHECK(out[0] == (0.0f + 1.0f) / 2);
    for (int i = 1; i < 9; i++)
        CHECK(out[i] == (in[i - 1] + in[i] + in[i + 1]) / 3);
    CHECK(out[9] == (64.0f + 81.0f) / 2);

    /* window 4 (even) is asymmetric: in[i-1..i+2]. */
    lm_pdq_box1d(in, out, 10, 1, 4);
    CHECK(out[0] == (0.0f + 1.0f + 4.0f) / 3);
    for (int i = 1; i < 8; i++)
        CHECK(out[i] == (in[i - 1] + in[i] + in[i + 1] + in[i + 2]) / 4);
    CHECK(out[8] == (49.0f + 64.0f + 81.0f) / 3);
    CHECK(out[9] == (64.0f + 81.0f) / 2);

    /* a strided column gives the same as the contiguous vector */
    float col[10 * 3], colout[10 * 3];
    for (int i = 0; i < 10; i++)
        col[i * 3 + 1] = in[i];
    lm_pdq_box1d(col + 1, colout + 1, 10, 3, 4);
    for (int i = 0; i < 10; i++)
        CHECK(colout[i * 3 + 1] == out[i]);

    /* a constant stays constant */
    for (int i = 0; i < 20; i++)
        in[i] = 200.0f;
    lm_pdq_box1d(in, out, 20, 1, 5);
    for (int i = 0; i < 20; i++)
        CHECK(out[i] == 200.0f);
}

static void test_decimate(void)
{
    static const int sizes[][2] = {{512, 512}, {100, 37}, {64, 64}, {5, 1000}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int rows = sizes[s][0], cols = sizes[s][1];
        float *in = malloc(sizeof(float) * (size_t)rows * cols);
        for (int i = 0; i < rows * cols; i++)
            in[i] = (float)i; /* exact below 2^24 */
        float out[64][64];
        lm_pdq_decimate64(in, rows, cols, out);
        for (int oi = 0; oi < 64; oi++)
            for (int oj = 0; oj < 64; oj++) {
                /* cell centres: floor((o + 1/2) n / 64) = floor((2o + 1) n / 128), in integers */
                int ii = (2 * oi + 1) * rows / 128, ij = (2 * oj + 1) * cols / 128;
                CHECK(out[oi][oj] == (float)(ii * cols + ij));
            }
        free(in);
    }
    /* 512: rows 4, 12, ..., 508 */
    float *in = calloc(512 * 512, sizeof(float));
    in[4 * 512 + 4] = 1.0f;
    in[508 * 512 + 508] = 2.0f;
    float out[64][64];
    lm_pdq_decimate64(in, 512, 512, out);
    CHECK(out[0][0] == 1.0f && out[63][63] == 2.0f);
    free(in);
}

static void test_quality(void)
{
    float block[64][64];
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            block[i][j] = 77.0f;
    CHECK_EQ_INT(lm_pdq_quality((const float(*)[64])block), 0);
    /* step 1 per column: |(-1 * 100) / 255| truncates to 0 */
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            block[i][j] = (float)j;
    CHECK_EQ_INT(lm_pdq_quality((const float(*)[64])block), 0);
    /* step 3: 300/255 truncates to 1, 64 * 63 of them, / 90 = 44 */
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            block[i][j] = (float)(3 * j);
    CHECK_EQ_INT(lm_pdq_quality((const float(*)[64])block), 4032 / 90);
    /* the same along rows counts the same */
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            block[i][j] = (float)(3 * i);
    CHECK_EQ_INT(lm_pdq_quality((const float(*)[64])block), 4032 / 90);
    /* steep both ways: capped at 100 */
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            block[i][j] = (float)(((i + j) & 1) * 255);
    CHECK_EQ_INT(lm_pdq_quality((const float(*)[64])block), 100);
}

static void test_median_bits(void)
{
    float v[256];
    uint64_t st = check_test_seed(11);
    for (int i = 0; i < 256; i++)
        v[i] = (float)i;
    for (int i = 255; i > 0; i--) { /* shuffle */
        int j = (int)(check_rand(&st) % (uint64_t)(i + 1));
        float t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    CHECK(lm_pdq_median256(v) == 127.0f);
    for (int i = 0; i < 256; i++)
        v[i] = (float)(i / 4); /* duplicates: 128th smallest is 31 */
    CHECK(lm_pdq_median256(v) == 31.0f);

    float dct[16][16];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            dct[i][j] = (float)(i * 16 + j);
    lm_pdq_hash h;
    lm_pdq_bits_from_dct((const float(*)[16])dct, &h);
    /* bits 128..255 set; bit k lives in b[31 - k / 8] */
    for (int i = 0; i < 16; i++)
        CHECK_EQ_INT(h.b[i], 0xff);
    for (int i = 16; i < 32; i++)
        CHECK_EQ_INT(h.b[i], 0);
    /* one coefficient: k = 0 only above the median */
    memset(dct, 0, sizeof dct);
    dct[0][0] = 1.0f;
    lm_pdq_bits_from_dct((const float(*)[16])dct, &h);
    CHECK_EQ_INT(h.b[31], 1);
    for (int i = 0; i < 31; i++)
        CHECK_EQ_INT(h.b[i], 0);
}

static void test_small_and_constant(void)
{
    lm_pdq_hash hs[8];
    int q = -1;
    static const int small[][2] = {{1, 1}, {4, 4}, {4, 100}, {100, 4}, {3, 2000}};
    uint64_t st = check_test_seed(12);
    for (size_t s = 0; s < sizeof small / sizeof small[0]; s++) {
        int rows = small[s][0], cols = small[s][1];
        size_t n = (size_t)rows * cols;
        float *luma = malloc(n * 2 * sizeof(float));
        for (size_t i = 0; i < n; i++)
            luma[i] = (float)(check_rand(&st) % 256);
        memset(hs, 0xab, sizeof hs);
        lm_pdq_hash_luma(luma, luma + n, rows, cols, 1, hs, &q);
        CHECK_EQ_INT(q, 0);
        for (int k = 0; k < 8; k++)
            CHECK(is_zero_hash(&hs[k]));
        free(luma);
    }
    /* and through the public API */
    lm_hasher *h = lm_hasher_create();
    CHECK(h != NULL);
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_DIHEDRAL, 1), LM_OK);
    uint8_t px[4 * 300 * 3];
    gen_noise(px, sizeof px, &st);
    lm_image_hash out;
    CHECK_EQ_INT(lm_hash_pixels(h, px, 300, 4, 300 * 3, 3, &out), LM_OK);
    CHECK_EQ_INT(out.quality, 0);
    CHECK(is_zero_hash(&out.pdq));
    CHECK_EQ_INT(out.width, 300);
    CHECK_EQ_INT(out.height, 4);

    /* a constant image of any size has quality 0 */
    static const int sizes[][2] = {{5, 5}, {64, 64}, {100, 80}, {512, 512}, {333, 65}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int rows = sizes[s][0], cols = sizes[s][1];
        uint8_t *rgb = malloc((size_t)rows * cols * 3);
        memset(rgb, 93, (size_t)rows * cols * 3);
        CHECK_EQ_INT(
            lm_hash_pixels(h, rgb, (uint32_t)cols, (uint32_t)rows, (size_t)cols * 3, 3, &out),
            LM_OK);
        CHECK_EQ_INT(out.quality, 0);
        CHECK_EQ_INT(lm_hash_pixels(h, rgb, (uint32_t)cols, (uint32_t)rows, (size_t)cols, 1, &out),
                     LM_OK);
        CHECK_EQ_INT(out.quality, 0);
        free(rgb);
    }
    lm_hasher_destroy(h);
}

/* At exactly 64x64 the reference skips the box filters: the block is the luma. */
static void test_64_skips_filter(void)
{
    uint64_t st = check_test_seed(13);
    float luma[64 * 64 * 2], orig[64 * 64];
    for (int i = 0; i < 64 * 64; i++)
        orig[i] = luma[i] = (float)(check_rand(&st) % 25500) / 100.0f;
    lm_pdq_hash hs[8];
    int q;
    lm_pdq_hash_luma(luma, luma + 64 * 64, 64, 64, 0, hs, &q);
    CHECK(memcmp(luma, orig, sizeof orig) == 0); /* not filtered in place */
    float dct[16][16];
    lm_pdq_dct64_to_16((const float(*)[64])orig, dct);
    lm_pdq_hash expect;
    lm_pdq_bits_from_dct((const float(*)[16])dct, &expect);
    CHECK(memcmp(&expect, &hs[0], sizeof expect) == 0);
    CHECK_EQ_INT(q, lm_pdq_quality((const float(*)[64])orig));

    /* 65x64 does filter (window 1 each way, but the running sums of non-integers round) */
    /* and the 64x64 hash of a 64x64 grey image equals the public API's */
    uint8_t grey[64 * 64];
    gen_smooth(grey, 64, 64, 1, &st);
    for (int i = 0; i < 64 * 64; i++)
        luma[i] = grey[i];
    lm_pdq_hash_luma(luma, luma + 64 * 64, 64, 64, 0, hs, &q);
    lm_hasher *h = lm_hasher_create();
    lm_image_hash out;
    CHECK_EQ_INT(lm_hash_pixels(h, grey, 64, 64, 64, 1, &out), LM_OK);
    CHECK(memcmp(&out.pdq, &hs[0], sizeof out.pdq) == 0);
    CHECK_EQ_INT(out.quality, q);
    lm_hasher_destroy(h);
}

/* Luma of RGB: the float expression in the reference's order, and grey as is. */
static void test_luma(void)
{
    uint8_t rgb[3 * 7 * 2 + 5]; /* two rows of 7 pixels, stride 26 */
    uint64_t st = check_test_seed(14);
    gen_noise(rgb, sizeof rgb, &st);
    float luma[14];
    lm_pdq_luma_from_rgb(rgb, 2, 7, 26, luma);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 7; j++) {
            const uint8_t *p = rgb + i * 26 + j * 3;
            float r = 0.299f * (float)p[0];
            float g = 0.587f * (float)p[1];
            float b = 0.114f * (float)p[2];
            float rg = r + g;
            CHECK(luma[i * 7 + j] == rg + b);
        }
    lm_pdq_luma_from_rgb((const uint8_t[]){255, 255, 255}, 1, 1, 3, luma);
    CHECK(fabsf(luma[0] - 255.0f) < 1e-3f);
    lm_pdq_luma_from_grey(rgb, 2, 7, 13, luma);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 7; j++)
            CHECK(luma[i * 7 + j] == (float)rgb[i * 13 + j]);
}

/* Padding between rows, and hashing twice, change nothing. */
static void test_stride_determinism(void)
{
    uint64_t st = check_test_seed(15);
    int rows = 123, cols = 77;
    size_t stride = (size_t)cols * 3 + 13;
    uint8_t *tight = malloc((size_t)rows * cols * 3), *padded = malloc(stride * rows);
    gen_smooth(tight, rows, cols, 3, &st);
    gen_noise(padded, stride * rows, &st);
    for (int i = 0; i < rows; i++)
        memcpy(padded + i * stride, tight + (size_t)i * cols * 3, (size_t)cols * 3);
    lm_hasher *h = lm_hasher_create();
    lm_hasher_set_option(h, LM_OPT_DIHEDRAL, 1);
    lm_image_hash a, b, c;
    CHECK_EQ_INT(lm_hash_pixels(h, tight, (uint32_t)cols, (uint32_t)rows, (size_t)cols * 3, 3, &a),
                 LM_OK);
    CHECK_EQ_INT(lm_hash_pixels(h, padded, (uint32_t)cols, (uint32_t)rows, stride, 3, &b), LM_OK);
    CHECK_EQ_INT(lm_hash_pixels(h, tight, (uint32_t)cols, (uint32_t)rows, (size_t)cols * 3, 3, &c),
                 LM_OK);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    CHECK(memcmp(&a, &c, sizeof a) == 0);
    CHECK(memcmp(&a.pdq, &a.dihedral[0], sizeof a.pdq) == 0);
    CHECK(a.quality > 0);
    /* with dihedral off, dihedral[] is zeroed */
    lm_hasher_set_option(h, LM_OPT_DIHEDRAL, 0);
    CHECK_EQ_INT(lm_hash_pixels(h, tight, (uint32_t)cols, (uint32_t)rows, (size_t)cols * 3, 3, &c),
                 LM_OK);
    CHECK(memcmp(&a.pdq, &c.pdq, sizeof a.pdq) == 0);
    CHECK(is_zero_hash(&c.dihedral[1]));
    lm_hasher_destroy(h);
    free(tight);
    free(padded);
}

/* The dispatcher follows lm_cpu_isa() (LM_FORCE_ISA caps it; the forced runs use this). */
static void test_dispatch(void)
{
    const lm_pdq_kernels *k = lm_pdq_kernels_best();
    CHECK(k != NULL);
    CHECK(k->isa == lm_cpu_isa());
    const char *force = getenv("LM_FORCE_ISA");
    if (force && strcmp(force, "scalar") == 0)
        CHECK(k == &lm_pdq_kernels_scalar);
    printf("dispatch: %s (LM_FORCE_ISA=%s)\n", lm_isa_name(k->isa), force ? force : "");
}

int main(void)
{
    test_dispatch();
    test_window();
    test_box1d();
    test_decimate();
    test_quality();
    test_median_bits();
    test_small_and_constant();
    test_64_skips_filter();
    test_luma();
    test_stride_determinism();
    return check_report("test-pdq-stages");
}
