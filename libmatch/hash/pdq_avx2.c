/*
 * AVX2 PDQ kernels. Compiled with -mavx2 only (no FMA) and -ffp-contract=off:
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

#define W 8 /* floats per vector */

static void luma_from_rgb_avx2(const uint8_t *rgb, int rows, int cols, size_t stride, float *luma)
{
    const __m256 kr = _mm256_set1_ps(0.299f), kg = _mm256_set1_ps(0.587f),
                 kb = _mm256_set1_ps(0.114f);
    for (int i = 0; i < rows; i++) {
        const uint8_t *p = rgb + (size_t)i * stride;
        float *out = luma + (size_t)i * (size_t)cols;
        int j = 0;
        for (; j + 16 <= cols; j += 16, p += 48) {
            __m128i r, g, b;
            lm_deinterleave16(p, &r, &g, &b);
            for (int h = 0; h < 2; h++) {
                __m256 fr = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(r));
                __m256 fg = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(g));
                __m256 fb = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
                __m256 y =
                    _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(kr, fr), _mm256_mul_ps(kg, fg)),
                                  _mm256_mul_ps(kb, fb));
                _mm256_storeu_ps(out + j + 8 * h, y);
                r = _mm_srli_si128(r, 8);
                g = _mm_srli_si128(g, 8);
                b = _mm_srli_si128(b, 8);
            }
        }
        for (; j < cols; j++, p += 3)
            out[j] = lm_luma1(p);
    }
}

static void luma_from_grey_avx2(const uint8_t *grey, int rows, int cols, size_t stride, float *luma)
{
    for (int i = 0; i < rows; i++) {
        const uint8_t *p = grey + (size_t)i * stride;
        float *out = luma + (size_t)i * (size_t)cols;
        int j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m128i v = _mm_loadl_epi64((const __m128i *)(p + j));
            _mm256_storeu_ps(out + j, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)));
        }
        for (; j < cols; j++)
            out[j] = (float)p[j];
    }
}

/*
 * lm_pdq_box1d down NV adjacent vectors of columns (NV * 8 columns from `in`),
 * `length` lines `ld` floats apart. The last vector may be partial (mask).
 * Each lane: the scalar running sum, same adds and subtracts in the same order,
 * and sum / count as a true division.
 */
LM_ALWAYS_INLINE void box_down(const float *in, float *out, size_t ld, int length, int window,
                               int nv, int masked, __m256i mask)
{
    int half = (window + 2) / 2;
    int phase1 = half - 1;
    int phase2 = window - half + 1;
    int phase3 = length - window;
    int phase4 = half - 1;
    const float *ri = in, *li = in;
    float *o = out;
    __m256 s[4];
    int count = 0;
#define LOAD(p, v)                                                                                 \
    ((masked && (v) == nv - 1) ? _mm256_maskload_ps((p) + 8 * (v), mask)                           \
                               : _mm256_loadu_ps((p) + 8 * (v)))
#define STORE(p, v, x)                                                                             \
    do {                                                                                           \
        if (masked && (v) == nv - 1)                                                               \
            _mm256_maskstore_ps((p) + 8 * (v), mask, (x));                                         \
        else                                                                                       \
            _mm256_storeu_ps((p) + 8 * (v), (x));                                                  \
    } while (0)
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        s[v] = _mm256_setzero_ps();
    for (int i = 0; i < phase1; i++, ri += ld) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            s[v] = _mm256_add_ps(s[v], LOAD(ri, v));
        count++;
    }
    for (int i = 0; i < phase2; i++, ri += ld, o += ld) {
        count++;
        __m256 c = _mm256_set1_ps((float)count);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            s[v] = _mm256_add_ps(s[v], LOAD(ri, v));
            STORE(o, v, _mm256_div_ps(s[v], c));
        }
    }
    {
        __m256 c = _mm256_set1_ps((float)count);
        for (int i = 0; i < phase3; i++, li += ld, ri += ld, o += ld) {
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) {
                s[v] = _mm256_add_ps(s[v], LOAD(ri, v));
                s[v] = _mm256_sub_ps(s[v], LOAD(li, v));
                STORE(o, v, _mm256_div_ps(s[v], c));
            }
        }
    }
    for (int i = 0; i < phase4; i++, li += ld, o += ld) {
        count--;
        __m256 c = _mm256_set1_ps((float)count);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            s[v] = _mm256_sub_ps(s[v], LOAD(li, v));
            STORE(o, v, _mm256_div_ps(s[v], c));
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
        box_down(in + c, out + c, ld, length, window, 4, 0, _mm256_setzero_si256());
    for (; c + W <= width; c += W)
        box_down(in + c, out + c, ld, length, window, 1, 0, _mm256_setzero_si256());
    if (c < width) {
        int rest = width - c;
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rest), lane);
        box_down(in + c, out + c, ld, length, window, 1, 1, mask);
    }
}

static void box_cols_avx2(const float *in, float *out, int rows, int cols, int window)
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

static void box_rows_avx2(const float *in, float *out, int rows, int cols, int window)
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

static void decimate64_avx2(const float *in, int rows, int cols, float out[64][64])
{
    int ri[64], ci[64];
    lm_decimate_indices(rows, ri);
    lm_decimate_indices(cols, ci);
    __m256i idx[8];
    for (int b = 0; b < 8; b++)
        idx[b] = _mm256_loadu_si256((const __m256i *)(ci + 8 * b));
    for (int oi = 0; oi < 64; oi++) {
        const float *row = in + (size_t)ri[oi] * cols;
        for (int b = 0; b < 8; b++)
            _mm256_storeu_ps(&out[oi][8 * b], _mm256_i32gather_ps(row, idx[b], 4));
    }
}

/* |(int)(((a - b) * 100) / 255)| per lane, as the scalar expression. */
LM_ALWAYS_INLINE __m256i grad(__m256 a, __m256 b)
{
    __m256 d = _mm256_div_ps(_mm256_mul_ps(_mm256_sub_ps(a, b), _mm256_set1_ps(100.0f)),
                             _mm256_set1_ps(255.0f));
    return _mm256_abs_epi32(_mm256_cvttps_epi32(d));
}

static int quality_avx2(const float block[64][64])
{
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j += 8)
            acc = _mm256_add_epi32(
                acc, grad(_mm256_loadu_ps(&block[i][j]), _mm256_loadu_ps(&block[i + 1][j])));
    /* along rows: j and j + 1; the last vector pairs lane 7 with itself (difference 0) */
    const __m256i shift = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 56; j += 8)
            acc = _mm256_add_epi32(
                acc, grad(_mm256_loadu_ps(&block[i][j]), _mm256_loadu_ps(&block[i][j + 1])));
        __m256 last = _mm256_loadu_ps(&block[i][56]);
        acc = _mm256_add_epi32(acc, grad(last, _mm256_permutevar8x32_ps(last, shift)));
    }
    int lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, acc);
    int gradient_sum = 0;
    for (int k = 0; k < 8; k++)
        gradient_sum += lanes[k];
    int quality = gradient_sum / 90;
    return quality > 100 ? 100 : quality;
}

static void dct64_to_16_avx2(const float block[64][64], float out[16][16])
{
    const float(*d)[64] = lm_pdq_dct_matrix();
    float t[16][64];
    /* T = D A: lanes over j, k summed in increasing order from 0.0f */
    for (int i = 0; i < 16; i++) {
        __m256 acc[8];
        for (int b = 0; b < 8; b++)
            acc[b] = _mm256_setzero_ps();
        for (int k = 0; k < 64; k++) {
            __m256 dk = _mm256_set1_ps(d[i][k]);
#pragma GCC unroll 8
            for (int b = 0; b < 8; b++)
                acc[b] =
                    _mm256_add_ps(acc[b], _mm256_mul_ps(dk, _mm256_loadu_ps(&block[k][8 * b])));
        }
        for (int b = 0; b < 8; b++)
            _mm256_storeu_ps(&t[i][8 * b], acc[b]);
    }
    /* B = T D^t: out[i][j] = sum_k t[i][k] * d[j][k]; lanes over j need D^t */
    float dt[64][16];
    for (int j = 0; j < 16; j++)
        for (int k = 0; k < 64; k++)
            dt[k][j] = d[j][k];
    for (int i = 0; i < 16; i += 4) {
        __m256 acc[8];
        for (int b = 0; b < 8; b++)
            acc[b] = _mm256_setzero_ps();
        for (int k = 0; k < 64; k++) {
            __m256 d0 = _mm256_loadu_ps(&dt[k][0]), d1 = _mm256_loadu_ps(&dt[k][8]);
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                __m256 tk = _mm256_set1_ps(t[i + r][k]);
                acc[2 * r] = _mm256_add_ps(acc[2 * r], _mm256_mul_ps(tk, d0));
                acc[2 * r + 1] = _mm256_add_ps(acc[2 * r + 1], _mm256_mul_ps(tk, d1));
            }
        }
        for (int r = 0; r < 4; r++) {
            _mm256_storeu_ps(&out[i + r][0], acc[2 * r]);
            _mm256_storeu_ps(&out[i + r][8], acc[2 * r + 1]);
        }
    }
}

const lm_pdq_kernels lm_pdq_kernels_avx2 = {
    .isa = LM_ISA_AVX2,
    .luma_from_rgb = luma_from_rgb_avx2,
    .luma_from_grey = luma_from_grey_avx2,
    .box_rows = box_rows_avx2,
    .box_cols = box_cols_avx2,
    .decimate64 = decimate64_avx2,
    .quality = quality_avx2,
    .dct64_to_16 = dct64_to_16_avx2,
};
