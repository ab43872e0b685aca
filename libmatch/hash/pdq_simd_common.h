/*
 * Helpers shared by pdq_avx2.c and pdq_avx512.c. Included only from those
 * files, so each copy is compiled with its own file's -m flags.
 * Needs AVX2 at least.
 */
#ifndef LM_HASH_PDQ_SIMD_COMMON_H
#define LM_HASH_PDQ_SIMD_COMMON_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define LM_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Transpose 8x8 floats held in r[0..7] (r[i] = row i). */
LM_ALWAYS_INLINE void lm_tr8x8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* dst[c * ldd + r] = src[r * lds + c] for r < nr, c < nc (a pure copy: exact). */
static inline void lm_transpose(const float *src, size_t lds, float *dst, size_t ldd, int nr,
                                int nc)
{
    int r = 0;
    for (; r + 8 <= nr; r += 8) {
        int c = 0;
        for (; c + 8 <= nc; c += 8) {
            __m256 v[8];
            for (int k = 0; k < 8; k++)
                v[k] = _mm256_loadu_ps(src + (size_t)(r + k) * lds + c);
            lm_tr8x8(v);
            for (int k = 0; k < 8; k++)
                _mm256_storeu_ps(dst + (size_t)(c + k) * ldd + r, v[k]);
        }
        for (; c < nc; c++)
            for (int k = 0; k < 8; k++)
                dst[(size_t)c * ldd + r + k] = src[(size_t)(r + k) * lds + c];
    }
    for (; r < nr; r++)
        for (int c = 0; c < nc; c++)
            dst[(size_t)c * ldd + r] = src[(size_t)r * lds + c];
}

/*
 * 16 RGB pixels (48 bytes at p) split into 16 R, 16 G and 16 B bytes.
 * Reads exactly p[0..47].
 */
LM_ALWAYS_INLINE void lm_deinterleave16(const uint8_t *p, __m128i *r, __m128i *g, __m128i *b)
{
    const __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    const __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    const __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    /* channel c of pixel n is byte 3n + c: in x0 for 3n + c < 16, and so on */
    const __m128i r0 = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i r1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i r2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i g0 = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i g2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i b0 = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i b2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    *r = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(x0, r0), _mm_shuffle_epi8(x1, r1)),
                      _mm_shuffle_epi8(x2, r2));
    *g = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(x0, g0), _mm_shuffle_epi8(x1, g1)),
                      _mm_shuffle_epi8(x2, g2));
    *b = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(x0, b0), _mm_shuffle_epi8(x1, b1)),
                      _mm_shuffle_epi8(x2, b2));
}

/* The scalar luma expression, for row tails. */
static inline float lm_luma1(const uint8_t *p)
{
    return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

/* Sampling indices of the decimation, exactly as lm_pdq_decimate64 computes them. */
static inline void lm_decimate_indices(int n, int idx[64])
{
    for (int o = 0; o < 64; o++)
        idx[o] = (int)(((o + 0.5) * n) / 64);
}

#endif
