/*
 * The multi-row PNG unfiltering of png_filter_avx2.c in 512-bit vectors
 * (AVX-512 F/BW): 32 lanes of 16 bits, so twice the rows side by side (8 and
 * 4 for 3-4 and 6-8 bytes per pixel), filter choices in mask registers. 1- and
 * 2-byte pixels stay with the AVX2 kernel (faster there: see below).
 * Same scheme: row s in slot s computes pixel k - 2s at step k, its pixel above
 * being slot s - 1's output of step k - 2 shifted up one slot. Rows it does
 * not take in a run go to the AVX2 single-row kernels. Bytes out are identical
 * to lm_png_unfilter_row_scalar (tests/decode/test_png_fast.c).
 */
#include <immintrin.h>
#include <string.h>

#include "png_filter.h"

#define LM_INLINE static inline __attribute__((always_inline))

/* W bytes at p (W >= bpp: 3-byte pixels read 4, 6-byte pixels 8). */
LM_INLINE uint64_t ld(const uint8_t *p, unsigned W)
{
    uint64_t v = 0;
    if (W == 1)
        v = p[0];
    else if (W == 2) {
        uint16_t t;
        memcpy(&t, p, 2);
        v = t;
    } else if (W == 4) {
        uint32_t t;
        memcpy(&t, p, 4);
        v = t;
    } else
        memcpy(&v, p, 8);
    return v;
}

/* Values v[0..S) of W bytes each, as 32 bytes. */
LM_INLINE __m256i gather(const uint64_t *v, unsigned W)
{
    if (W == 1)
        return _mm256_setr_epi8(
            (char)v[0], (char)v[1], (char)v[2], (char)v[3], (char)v[4], (char)v[5], (char)v[6],
            (char)v[7], (char)v[8], (char)v[9], (char)v[10], (char)v[11], (char)v[12], (char)v[13],
            (char)v[14], (char)v[15], (char)v[16], (char)v[17], (char)v[18], (char)v[19],
            (char)v[20], (char)v[21], (char)v[22], (char)v[23], (char)v[24], (char)v[25],
            (char)v[26], (char)v[27], (char)v[28], (char)v[29], (char)v[30], (char)v[31]);
    if (W == 2)
        return _mm256_setr_epi16((short)v[0], (short)v[1], (short)v[2], (short)v[3], (short)v[4],
                                 (short)v[5], (short)v[6], (short)v[7], (short)v[8], (short)v[9],
                                 (short)v[10], (short)v[11], (short)v[12], (short)v[13],
                                 (short)v[14], (short)v[15]);
    if (W == 4)
        return _mm256_setr_epi32((int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5],
                                 (int)v[6], (int)v[7]);
    return _mm256_setr_epi64x((long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3]);
}

struct wave {
    const uint8_t *src[32]; /* first byte after the filter type; NULL for unused slots */
    uint8_t *dst[32];
    const uint8_t *prev;
    size_t npix;
    unsigned m;     /* rows in use, 2..S */
    __m512i up_one; /* lane i takes lane i - W (next_slot's permutation) */
    __mmask32 not_slot0;
};

/* Step k: slot s does pixel k - 2s (png_filter_avx2.c's wave_step). */
LM_INLINE void wave_step(const struct wave *w, unsigned m, size_t k, unsigned W, unsigned bpp,
                         int checked, __mmask32 keep_p, __mmask32 force_b, __m512i *o1, __m512i *o2,
                         __m512i *c)
{
    const unsigned S = 32 / W;
    uint64_t xv[32];
#pragma GCC unroll 32
    for (unsigned s = 0; s < S; s++) {
        size_t p = k - 2 * (size_t)s; /* wraps when k < 2s: then > npix */
        if (checked)
            xv[s] = s < m && p < w->npix ? ld(w->src[s] + p * bpp, W) : 0;
        else
            xv[s] = s < m ? ld(w->src[s] + p * bpp, W) : 0;
    }
    __m512i x = _mm512_cvtepu8_epi16(gather(xv, W));
    uint64_t b0 = !checked || k < w->npix ? ld(w->prev + k * bpp, W) : 0;
    __m512i b = _mm512_or_si512(
        _mm512_maskz_permutexvar_epi16(w->not_slot0, w->up_one, *o2),
        _mm512_cvtepu8_epi16(_mm256_zextsi128_si256(_mm_cvtsi64_si128((long long)b0))));
    __m512i a = *o1, cc = *c;
    __m512i bc = _mm512_sub_epi16(b, cc), ac = _mm512_sub_epi16(a, cc);
    __m512i pa = _mm512_abs_epi16(bc), pb = _mm512_abs_epi16(ac);
    __m512i pc = _mm512_abs_epi16(_mm512_add_epi16(bc, ac));
    /* Paeth: c when pc < min(pa, pb); else b when pb < pa; else a. Up: b. Sub: a. */
    __mmask32 mb = (_mm512_cmpgt_epi16_mask(pa, pb) & keep_p) | force_b;
    __mmask32 mc = _mm512_cmpgt_epi16_mask(_mm512_min_epi16(pa, pb), pc) & keep_p;
    __m512i pred = _mm512_mask_blend_epi16(mc, _mm512_mask_blend_epi16(mb, a, b), cc);
    __m512i out = _mm512_and_si512(_mm512_add_epi16(x, pred), _mm512_set1_epi16(0xff));
    uint8_t ob[32];
    _mm256_storeu_si256((__m256i *)ob, _mm512_cvtepi16_epi8(out));
#pragma GCC unroll 32
    for (unsigned s = 0; s < S; s++) {
        size_t p = k - 2 * (size_t)s;
        if (s < m && (!checked || p < w->npix))
            memcpy(w->dst[s] + p * bpp, ob + s * W, W);
    }
    *c = b;
    *o2 = *o1;
    *o1 = out;
}

LM_INLINE void wave_run(const struct wave *w, unsigned m, unsigned W, unsigned bpp,
                        __mmask32 keep_p, __mmask32 force_b)
{
    __m512i o1 = _mm512_setzero_si512(), o2 = o1, c = o1;
    /* Steps 0..lead: rows still starting; lead..npix: all inside; then rows ending. */
    size_t lead = 2 * (size_t)(m - 1), end = w->npix + lead, k = 0;
    for (; k < lead; k++)
        wave_step(w, m, k, W, bpp, 1, keep_p, force_b, &o1, &o2, &c);
    for (; k < w->npix; k++)
        wave_step(w, m, k, W, bpp, 0, keep_p, force_b, &o1, &o2, &c);
    for (; k < end; k++)
        wave_step(w, m, k, W, bpp, 1, keep_p, force_b, &o1, &o2, &c);
}

static void wave_3(const struct wave *w, __mmask32 kp, __mmask32 fb)
{
    if (w->m == 32 / 4)
        wave_run(w, 32 / 4, 4, 3, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 4, 3, kp, fb);
}
static void wave_4(const struct wave *w, __mmask32 kp, __mmask32 fb)
{
    if (w->m == 32 / 4)
        wave_run(w, 32 / 4, 4, 4, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 4, 4, kp, fb);
}
static void wave_6(const struct wave *w, __mmask32 kp, __mmask32 fb)
{
    if (w->m == 32 / 8)
        wave_run(w, 32 / 8, 8, 6, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 8, 6, kp, fb);
}
static void wave_8(const struct wave *w, __mmask32 kp, __mmask32 fb)
{
    if (w->m == 32 / 8)
        wave_run(w, 32 / 8, 8, 8, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 8, 8, kp, fb);
}

unsigned lm_png_unfilter_avx512(unsigned nrows, const uint8_t *const *src, uint8_t *const *dst,
                                const uint8_t *prev, size_t n, unsigned bpp)
{
    /* 1- and 2-byte pixels: 32 or 16 rows at once gather more than they gain (measured:
       grey 1080p 2.1 ms with AVX2's 16 rows, 2.6 ms with 32); AVX2's kernel does them. */
    if (bpp <= 2)
        return lm_png_unfilter_avx2(nrows, src, dst, prev, n, bpp);
    unsigned W = bpp <= 4 ? 4 : 8, S = 32 / W;
    /* Leading rows of Paeth, Sub and Up, at most S; worth it with a Paeth row among them. */
    unsigned m = 0, paeths = 0;
    if (bpp != 5 && bpp != 7)
        while (m < nrows && m < S && src[m][0] != 0 && src[m][0] != 3)
            paeths += src[m++][0] == 4;
    if (m < 2 || !paeths) {
        lm_png_unfilter_row_avx2(src[0][0], dst[0], src[0] + 1, prev, n, bpp);
        return 1;
    }
    struct wave w;
    w.prev = prev;
    w.npix = n / bpp;
    w.m = m;
    uint16_t idx[32];
    for (unsigned l = 0; l < 32; l++)
        idx[l] = (uint16_t)(l >= W ? l - W : 0);
    w.up_one = _mm512_loadu_si512(idx);
    w.not_slot0 = (__mmask32)(0xffffffffu << W);
    __mmask32 keep_p = 0, force_b = 0;
    for (unsigned s = 0; s < S; s++) {
        int t = s < m ? src[s][0] : 1;
        /* Unused slots compute from zeros and are never stored. */
        w.src[s] = s < m ? src[s] + 1 : NULL;
        w.dst[s] = s < m ? dst[s] : NULL;
        uint32_t lanes = ((1u << W) - 1) << (s * W);
        if (t == 4)
            keep_p |= lanes;
        if (t == 2)
            force_b |= lanes;
    }
    switch (bpp) {
    case 3: wave_3(&w, keep_p, force_b); break;
    case 4: wave_4(&w, keep_p, force_b); break;
    case 6: wave_6(&w, keep_p, force_b); break;
    default: wave_8(&w, keep_p, force_b); break;
    }
    return m;
}
