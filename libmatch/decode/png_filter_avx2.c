/*
 * PNG unfiltering with AVX2 (and the SSE4.1/SSSE3 it implies): Up 32 bytes
 * at a time; Sub with an in-register prefix sum for 3 and 4 bytes per pixel;
 * Average and Paeth one pixel per step in 16-bit lanes (each pixel depends on
 * the one before). Other pixel sizes use the scalar specification. Bytes out
 * are identical to lm_png_unfilter_scalar (tests/decode/test_png_fast.c).
 */
#include <immintrin.h>
#include <string.h>

#include "png_filter.h"

static void up(uint8_t *row, const uint8_t *prev, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(row + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(prev + i));
        _mm256_storeu_si256((__m256i *)(row + i), _mm256_add_epi8(x, b));
    }
    for (; i < n; i++)
        row[i] = (uint8_t)(row[i] + prev[i]);
}

#define LM_INLINE static inline __attribute__((always_inline))

LM_INLINE __m128i load_px(const uint8_t *p, unsigned bpp)
{
    uint32_t v = 0;
    memcpy(&v, p, bpp);
    return _mm_cvtsi32_si128((int)v);
}

LM_INLINE void store_px(uint8_t *p, __m128i v, unsigned bpp)
{
    uint32_t w = (uint32_t)_mm_cvtsi128_si32(v);
    memcpy(p, &w, bpp);
}

static void sub4(uint8_t *row, size_t n)
{
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(row + i));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 8));
        x = _mm_add_epi8(x, carry);
        _mm_storeu_si128((__m128i *)(row + i), x);
        carry = _mm_shuffle_epi32(x, 0xFF);
    }
    for (i = i < 4 ? 4 : i; i < n; i++)
        row[i] = (uint8_t)(row[i] + row[i - 4]);
}

static void sub3(uint8_t *row, size_t n)
{
    const __m128i last = _mm_setr_epi8(9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, -1, -1, -1, -1);
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 12) {
        __m128i x = _mm_loadu_si128((const __m128i *)(row + i));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 3));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 6));
        x = _mm_add_epi8(x, carry);
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, x);
        memcpy(row + i, tmp, 12); /* bytes 12..15 are the next pixels, still raw */
        carry = _mm_shuffle_epi8(x, last);
    }
    for (i = i < 3 ? 3 : i; i < n; i++)
        row[i] = (uint8_t)(row[i] + row[i - 3]);
}

/*
 * For 3-byte pixels whole 4-byte words are loaded and stored while a fourth
 * byte exists: the prediction's fourth lane is masked to 0, so the stored
 * fourth byte is the next pixel's raw byte, unchanged.
 */
LM_INLINE __m128i load4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128((int)v);
}

LM_INLINE void store4(uint8_t *p, __m128i v)
{
    uint32_t w = (uint32_t)_mm_cvtsi128_si32(v);
    memcpy(p, &w, 4);
}

LM_INLINE void avg(uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp)
{
    const __m128i one = _mm_set1_epi8(1);
    const __m128i keep = _mm_cvtsi32_si128(bpp == 4 ? -1 : 0x00FFFFFF);
    __m128i a = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 4 <= n; i += bpp) {
        __m128i b = load4(prev + i);
        __m128i x = load4(row + i);
        /* floor((a + b) / 2): the rounded-up average minus the lost bit. */
        __m128i m = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
        a = _mm_add_epi8(x, _mm_and_si128(m, keep));
        store4(row + i, a);
    }
    for (; i + bpp <= n; i += bpp) {
        __m128i b = load_px(prev + i, bpp);
        __m128i x = load_px(row + i, bpp);
        __m128i m = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
        a = _mm_add_epi8(x, m);
        store_px(row + i, a, bpp);
    }
}

LM_INLINE __m128i paeth_px(__m128i a, __m128i b, __m128i c)
{
    __m128i bc = _mm_sub_epi16(b, c), ac = _mm_sub_epi16(a, c);
    __m128i pa = _mm_abs_epi16(bc), pb = _mm_abs_epi16(ac);
    __m128i pc = _mm_abs_epi16(_mm_add_epi16(bc, ac));
    /* c when pc < min(pa, pb); else b when pb < pa; else a (the scalar order). */
    __m128i pred = _mm_blendv_epi8(a, b, _mm_cmplt_epi16(pb, pa));
    return _mm_blendv_epi8(pred, c, _mm_cmplt_epi16(pc, _mm_min_epi16(pa, pb)));
}

LM_INLINE void paeth(uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i keep = _mm_cvtsi32_si128(bpp == 4 ? -1 : 0x00FFFFFF);
    __m128i a = zero, c = zero; /* 16-bit lanes */
    size_t i = 0;
    for (; i + 4 <= n; i += bpp) {
        __m128i b = _mm_unpacklo_epi8(load4(prev + i), zero);
        __m128i x = load4(row + i);
        __m128i pred = paeth_px(a, b, c);
        __m128i out = _mm_add_epi8(x, _mm_and_si128(_mm_packus_epi16(pred, pred), keep));
        store4(row + i, out);
        a = _mm_unpacklo_epi8(out, zero);
        c = b;
    }
    for (; i + bpp <= n; i += bpp) {
        __m128i b = _mm_unpacklo_epi8(load_px(prev + i, bpp), zero);
        __m128i x = load_px(row + i, bpp);
        __m128i pred = paeth_px(a, b, c);
        __m128i out = _mm_add_epi8(x, _mm_packus_epi16(pred, pred));
        store_px(row + i, out, bpp);
        a = _mm_unpacklo_epi8(out, zero);
        c = b;
    }
}

void lm_png_unfilter_avx2(int type, uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp)
{
    if (type == 2) {
        up(row, prev, n);
        return;
    }
    if (bpp != 3 && bpp != 4) {
        lm_png_unfilter_scalar(type, row, prev, n, bpp);
        return;
    }
    switch (type) {
    case 1:
        if (bpp == 4)
            sub4(row, n);
        else
            sub3(row, n);
        break;
    /* Constant pixel sizes, so the pixel loads and stores are plain moves. */
    case 3:
        if (bpp == 4)
            avg(row, prev, n, 4);
        else
            avg(row, prev, n, 3);
        break;
    case 4:
        if (bpp == 4)
            paeth(row, prev, n, 4);
        else
            paeth(row, prev, n, 3);
        break;
    default: break;
    }
}
