/*
 * AVX-512 (F/BW/VL/DQ) PDQ kernels. Compiled with only the AVX-512 -m flags
 * and -ffp-contract=off, no FMA intrinsics:
 * each lane does the scalar kernel's operations in the scalar order, so the
 * results are bit-identical to pdq.c.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "pdq.h"
#include "pdq_dct_matrix.h"
#include "pdq_kernels.h"
#include "pdq_simd_common.h"

#define W 16 /* floats per vector */

static void luma_from_rgb_avx512(const uint8_t *rgb, int rows, int cols, size_t stride, float *luma)
{
    const __m512 kr = _mm512_set1_ps(0.299f), kg = _mm512_set1_ps(0.587f),
                 kb = _mm512_set1_ps(0.114f);
    for (int i = 0; i < rows; i++) {
        const uint8_t *p = rgb + (size_t)i * stride;
        float *out = luma + (size_t)i * (size_t)cols;
        int j = 0;
        for (; j + 16 <= cols; j += 16, p += 48) {
            __m128i r, g, b;
            lm_deinterleave16(p, &r, &g, &b);
            __m512 fr = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(r));
            __m512 fg = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(g));
            __m512 fb = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b));
            __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(kr, fr), _mm512_mul_ps(kg, fg)),
                                     _mm512_mul_ps(kb, fb));
            _mm512_storeu_ps(out + j, y);
        }
        for (; j < cols; j++, p += 3)
            out[j] = lm_luma1(p);
    }
}

static void luma_from_grey_avx512(const uint8_t *grey, int rows, int cols, size_t stride,
                                  float *luma)
{
    for (int i = 0; i < rows; i++) {
        const uint8_t *p = grey + (size_t)i * stride;
        float *out = luma + (size_t)i * (size_t)cols;
        int j = 0;
        for (; j + 16 <= cols; j += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + j));
            _mm512_storeu_ps(out + j, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)));
        }
        if (j < cols) {
            __mmask16 m = (__mmask16)((1u << (cols - j)) - 1);
            __m128i v = _mm_maskz_loadu_epi8(m, p + j);
            _mm512_mask_storeu_ps(out + j, m, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)));
        }
    }
}

/*
 * lm_pdq_box1d down nv adjacent vectors of columns (nv * 16 columns from `in`),
 * `length` lines `ld` floats apart; the last vector is limited by `mask`.
 * Each lane: the scalar running sum, same adds and subtracts in the same order,
 * and sum / count as a true division.
 */
LM_ALWAYS_INLINE void box_down(const float *in, float *out, size_t ld, int length, int window,
                               int nv, __mmask16 mask)
{
    int half = (window + 2) / 2;
    int phase1 = half - 1;
    int phase2 = window - half + 1;
    int phase3 = length - window;
    int phase4 = half - 1;
    const float *ri = in, *li = in;
    float *o = out;
    __m512 s[4];
    int count = 0;
#define LOAD(p, v)                                                                                 \
    ((v) == nv - 1 ? _mm512_maskz_loadu_ps(mask, (p) + 16 * (v)) : _mm512_loadu_ps((p) + 16 * (v)))
#define STORE(p, v, x)                                                                             \
    do {                                                                                           \
        if ((v) == nv - 1)                                                                         \
            _mm512_mask_storeu_ps((p) + 16 * (v), mask, (x));                                      \
        else                                                                                       \
            _mm512_storeu_ps((p) + 16 * (v), (x));                                                 \
    } while (0)
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        s[v] = _mm512_setzero_ps();
    for (int i = 0; i < phase1; i++, ri += ld) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            s[v] = _mm512_add_ps(s[v], LOAD(ri, v));
        count++;
    }
    for (int i = 0; i < phase2; i++, ri += ld, o += ld) {
        count++;
        __m512 c = _mm512_set1_ps((float)count);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            s[v] = _mm512_add_ps(s[v], LOAD(ri, v));
            STORE(o, v, _mm512_div_ps(s[v], c));
        }
    }
    {
        __m512 c = _mm512_set1_ps((float)count);
        for (int i = 0; i < phase3; i++, li += ld, ri += ld, o += ld) {
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) {
                s[v] = _mm512_add_ps(s[v], LOAD(ri, v));
                s[v] = _mm512_sub_ps(s[v], LOAD(li, v));
                STORE(o, v, _mm512_div_ps(s[v], c));
            }
        }
    }
    for (int i = 0; i < phase4; i++, li += ld, o += ld) {
        count--;
        __m512 c = _mm512_set1_ps((float)count);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            s[v] = _mm512_sub_ps(s[v], LOAD(li, v));
            STORE(o, v, _mm512_div_ps(s[v], c));
        }
    }
#undef LOAD
#undef STORE
}

/* Filter every column of a length x width block (lines ld floats apart). */
static void box_cols_block(const float *in, float *out, int length, int width, size_t ld,
                           int window)
{
    int c = 0;
    for (; c + 4 * W <= width; c += 4 * W)
        box_down(in + c, out + c, ld, length, window, 4, 0xffff);
    for (; c + W <= width; c += W)
        box_down(in + c, out + c, ld, length, window, 1, 0xffff);
    if (c < width)
        box_down(in + c, out + c, ld, length, window, 1, (__mmask16)((1u << (width - c)) - 1));
}

static void box_cols_avx512(const float *in, float *out, int rows, int cols, int window)
{
    box_cols_block(in, out, rows, cols, (size_t)cols, window);
}

/*
 * Rows: transpose a strip of STRIP rows (so each row becomes a column), run
 * the column filter across the strip, and transpose back. A pure relayout
 * around the same per-lane operations. 16 rows measured fastest on Zen 4 at
 * 512 columns (scratch stays in L1/L2; 32 and 64 were 40% and 2x slower).
 */
#define STRIP 16

static void box_rows_avx512(const float *in, float *out, int rows, int cols, int window)
{
    float *tin = malloc(sizeof(float) * (size_t)cols * STRIP * 2);
    if (!tin) { /* no scratch: the scalar kernel gives the same result */
        lm_pdq_kernels_scalar.box_rows(in, out, rows, cols, window);
        return;
    }
    float *tout = tin + (size_t)cols * STRIP;
    for (int r0 = 0; r0 < rows; r0 += STRIP) {
        int h = rows - r0 < STRIP ? rows - r0 : STRIP;
        lm_transpose(in + (size_t)r0 * cols, (size_t)cols, tin, STRIP, h, cols);
        box_cols_block(tin, tout, cols, h, STRIP, window);
        lm_transpose(tout, STRIP, out + (size_t)r0 * cols, (size_t)cols, cols, h);
    }
    free(tin);
}

static void decimate64_avx512(const float *in, int rows, int cols, float out[64][64])
{
    int ri[64], ci[64];
    lm_decimate_indices(rows, ri);
    lm_decimate_indices(cols, ci);
    __m512i idx[4];
    for (int b = 0; b < 4; b++)
        idx[b] = _mm512_loadu_si512((const void *)(ci + 16 * b));
    for (int oi = 0; oi < 64; oi++) {
        const float *row = in + (size_t)ri[oi] * cols;
        for (int b = 0; b < 4; b++)
            _mm512_storeu_ps(&out[oi][16 * b], _mm512_i32gather_ps(idx[b], row, 4));
    }
}

/* |(int)(((a - b) * 100) / 255)| per lane, as the scalar expression. */
LM_ALWAYS_INLINE __m512i grad(__m512 a, __m512 b)
{
    __m512 d = _mm512_div_ps(_mm512_mul_ps(_mm512_sub_ps(a, b), _mm512_set1_ps(100.0f)),
                             _mm512_set1_ps(255.0f));
    return _mm512_abs_epi32(_mm512_cvttps_epi32(d));
}

static int quality_avx512(const float block[64][64])
{
    __m512i acc = _mm512_setzero_si512();
    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j += 16)
            acc = _mm512_add_epi32(
                acc, grad(_mm512_loadu_ps(&block[i][j]), _mm512_loadu_ps(&block[i + 1][j])));
    /* along rows: j and j + 1; the last vector pairs lane 15 with itself (difference 0) */
    const __m512i shift = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15);
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 48; j += 16)
            acc = _mm512_add_epi32(
                acc, grad(_mm512_loadu_ps(&block[i][j]), _mm512_loadu_ps(&block[i][j + 1])));
        __m512 last = _mm512_loadu_ps(&block[i][48]);
        acc = _mm512_add_epi32(acc, grad(last, _mm512_permutexvar_ps(shift, last)));
    }
    int gradient_sum = _mm512_reduce_add_epi32(acc);
    int quality = gradient_sum / 90;
    return quality > 100 ? 100 : quality;
}

static void dct64_to_16_avx512(const float block[64][64], float out[16][16])
{
    const float(*d)[64] = lm_pdq_dct_matrix();
    float t[16][64];
    /* T = D A: lanes over j, k summed in increasing order from 0.0f; two rows of D at once */
    for (int i = 0; i < 16; i += 2) {
        __m512 acc[8];
        for (int b = 0; b < 8; b++)
            acc[b] = _mm512_setzero_ps();
        for (int k = 0; k < 64; k++) {
            __m512 d0 = _mm512_set1_ps(d[i][k]), d1 = _mm512_set1_ps(d[i + 1][k]);
#pragma GCC unroll 4
            for (int b = 0; b < 4; b++) {
                __m512 a = _mm512_loadu_ps(&block[k][16 * b]);
                acc[b] = _mm512_add_ps(acc[b], _mm512_mul_ps(d0, a));
                acc[4 + b] = _mm512_add_ps(acc[4 + b], _mm512_mul_ps(d1, a));
            }
        }
        for (int b = 0; b < 4; b++) {
            _mm512_storeu_ps(&t[i][16 * b], acc[b]);
            _mm512_storeu_ps(&t[i + 1][16 * b], acc[4 + b]);
        }
    }
    /* B = T D^t: out[i][j] = sum_k t[i][k] * d[j][k]; lanes over j need D^t */
    float dt[64][16];
    for (int j = 0; j < 16; j++)
        for (int k = 0; k < 64; k++)
            dt[k][j] = d[j][k];
    for (int i = 0; i < 16; i += 8) {
        __m512 acc[8];
        for (int r = 0; r < 8; r++)
            acc[r] = _mm512_setzero_ps();
        for (int k = 0; k < 64; k++) {
            __m512 dk = _mm512_loadu_ps(&dt[k][0]);
#pragma GCC unroll 8
            for (int r = 0; r < 8; r++)
                acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(_mm512_set1_ps(t[i + r][k]), dk));
        }
        for (int r = 0; r < 8; r++)
            _mm512_storeu_ps(&out[i + r][0], acc[r]);
    }
}

const lm_pdq_kernels lm_pdq_kernels_avx512 = {
    .isa = LM_ISA_AVX512,
    .luma_from_rgb = luma_from_rgb_avx512,
    .luma_from_grey = luma_from_grey_avx512,
    .box_rows = box_rows_avx512,
    .box_cols = box_cols_avx512,
    .decimate64 = decimate64_avx512,
    .quality = quality_avx512,
    .dct64_to_16 = dct64_to_16_avx512,
};
