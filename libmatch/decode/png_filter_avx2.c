/*
 * PNG unfiltering with AVX2 (and the SSE4.1/SSSE3 it implies), out of place
 * (png_filter.h). Bytes out are identical to lm_png_unfilter_row_scalar
 * (tests/decode/test_png_fast.c).
 *
 * Several rows at once (the usual case: encoders pick Paeth for most rows of
 * a photo or screenshot, with Up and Sub between): a run of up to S rows of
 * Paeth, Sub and Up is computed side by side in one 256-bit vector of 16-bit
 * lanes, row s in slot s (W lanes: one per byte of a pixel, W = 1, 2, 4 or 8,
 * S = 16 / W). At step k slot s computes pixel k - 2s of its row: its "b"
 * (the pixel above) is what slot s - 1 computed two steps before, so it comes
 * from a register shifted by one slot, and the slots are independent chains
 * whose latencies overlap. Each slot's filter is a pair of lane masks (Sub
 * takes a, Up takes b, Paeth chooses). Runs that contain no Paeth row, and
 * Average and None rows, are done a row at a time: Up 32 bytes per step, Sub
 * with an in-register prefix sum for 3 and 4 bytes per pixel, Average and
 * Paeth one pixel per step.
 */
#include <immintrin.h>
#include <string.h>

#include "png_filter.h"

#define LM_INLINE static inline __attribute__((always_inline))

/* ---- one row at a time ---------------------------------------------------- */

static void up(uint8_t *dst, const uint8_t *src, const uint8_t *prev, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(prev + i));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_add_epi8(x, b));
    }
    for (; i < n; i++)
        dst[i] = (uint8_t)(src[i] + prev[i]);
}

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

/* dst may be written 16 bytes beyond n (LM_PNG_ROW_SLACK). */
static void sub4(uint8_t *dst, const uint8_t *src, size_t n)
{
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(src + i));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 8));
        x = _mm_add_epi8(x, carry);
        _mm_storeu_si128((__m128i *)(dst + i), x);
        carry = _mm_shuffle_epi32(x, 0xFF);
    }
    for (; i < n; i++)
        dst[i] = (uint8_t)(src[i] + (i >= 4 ? dst[i - 4] : 0));
}

static void sub3(uint8_t *dst, const uint8_t *src, size_t n)
{
    const __m128i last = _mm_setr_epi8(9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, -1, -1, -1, -1);
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 12) {
        __m128i x = _mm_loadu_si128((const __m128i *)(src + i));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 3));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 6));
        x = _mm_add_epi8(x, carry);
        /* Bytes 12..15 are wrong; the next step (or the slack) overwrites them. */
        _mm_storeu_si128((__m128i *)(dst + i), x);
        carry = _mm_shuffle_epi8(x, last);
    }
    for (; i < n; i++)
        dst[i] = (uint8_t)(src[i] + (i >= 3 ? dst[i - 3] : 0));
}

/*
 * For 3-byte pixels whole 4-byte words are loaded and stored: the fourth
 * byte stored is wrong and overwritten by the next pixel (the last one's
 * lands in the slack); the fourth lane never reaches the other three.
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

LM_INLINE void avg(uint8_t *dst, const uint8_t *src, const uint8_t *prev, size_t n, unsigned bpp)
{
    const __m128i one = _mm_set1_epi8(1);
    __m128i a = _mm_setzero_si128();
    size_t i = 0;
    for (; i + bpp <= n; i += bpp) {
        __m128i b = load4(prev + i);
        __m128i x = load4(src + i);
        /* floor((a + b) / 2): the rounded-up average minus the lost bit. */
        __m128i m = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
        a = _mm_add_epi8(x, m);
        store4(dst + i, a);
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

LM_INLINE void paeth(uint8_t *dst, const uint8_t *src, const uint8_t *prev, size_t n, unsigned bpp)
{
    const __m128i zero = _mm_setzero_si128(), lo = _mm_set1_epi16(0xff);
    __m128i a = zero, c = zero; /* 16-bit lanes */
    for (size_t i = 0; i + bpp <= n; i += bpp) {
        __m128i b = _mm_cvtepu8_epi16(load4(prev + i));
        __m128i x = _mm_cvtepu8_epi16(load4(src + i));
        a = _mm_and_si128(_mm_add_epi16(x, paeth_px(a, b, c)), lo);
        store4(dst + i, _mm_packus_epi16(a, a));
        c = b;
    }
}

void lm_png_unfilter_row_avx2(int type, uint8_t *dst, const uint8_t *src, const uint8_t *prev,
                              size_t n, unsigned bpp)
{
    if (type == 2) {
        up(dst, src, prev, n);
        return;
    }
    if (bpp != 3 && bpp != 4) {
        lm_png_unfilter_row_scalar(type, dst, src, prev, n, bpp);
        return;
    }
    switch (type) {
    case 1:
        if (bpp == 4)
            sub4(dst, src, n);
        else
            sub3(dst, src, n);
        break;
    /* Constant pixel sizes, so the pixel loads and stores are plain moves. */
    case 3:
        if (bpp == 4)
            avg(dst, src, prev, n, 4);
        else
            avg(dst, src, prev, n, 3);
        break;
    case 4:
        if (bpp == 4)
            paeth(dst, src, prev, n, 4);
        else
            paeth(dst, src, prev, n, 3);
        break;
    default: memcpy(dst, src, n); break;
    }
}

/* ---- several rows side by side ------------------------------------------- */

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

LM_INLINE void st(uint8_t *p, const uint8_t *from, unsigned W)
{
    memcpy(p, from, W);
}

/* Values v[0..S) of W bytes each, as 16 bytes. */
LM_INLINE __m128i gather(const uint64_t *v, unsigned W)
{
    if (W == 1)
        return _mm_setr_epi8((char)v[0], (char)v[1], (char)v[2], (char)v[3], (char)v[4], (char)v[5],
                             (char)v[6], (char)v[7], (char)v[8], (char)v[9], (char)v[10],
                             (char)v[11], (char)v[12], (char)v[13], (char)v[14], (char)v[15]);
    if (W == 2)
        return _mm_setr_epi16((short)v[0], (short)v[1], (short)v[2], (short)v[3], (short)v[4],
                              (short)v[5], (short)v[6], (short)v[7]);
    if (W == 4)
        return _mm_setr_epi32((int)v[0], (int)v[1], (int)v[2], (int)v[3]);
    return _mm_set_epi64x((long long)v[1], (long long)v[0]);
}

/* v shifted up by one slot (W 16-bit lanes), zeros in slot 0. */
LM_INLINE __m256i next_slot(__m256i v, unsigned W)
{
    __m256i t = _mm256_permute2x128_si256(v, v, 0x08); /* [0, low half] */
    switch (W) {
    case 1: return _mm256_alignr_epi8(v, t, 14);
    case 2: return _mm256_alignr_epi8(v, t, 12);
    case 4: return _mm256_alignr_epi8(v, t, 8);
    default: return t;
    }
}

struct wave {
    const uint8_t *src[16]; /* first byte after the filter type; unused slots: row 0, shifted */
    uint8_t *dst[16];
    const uint8_t *prev;
    size_t npix;
    unsigned m; /* rows in use, 2..S */
};

/*
 * Step k: slot s does pixel k - 2s. checked: some slot's pixel is outside its row
 * (x = 0 before a row starts keeps its a and c at 0 for its first pixel).
 */
LM_INLINE void wave_step(const struct wave *w, unsigned m, size_t k, unsigned W, unsigned bpp,
                         int checked, __m256i keep_p, __m256i force_b, __m256i *o1, __m256i *o2,
                         __m256i *c)
{
    const unsigned S = 16 / W;
    uint64_t xv[16];
#pragma GCC unroll 16
    for (unsigned s = 0; s < S; s++) {
        size_t p = k - 2 * (size_t)s; /* wraps when k < 2s: then > npix */
        if (checked)
            xv[s] = s < m && p < w->npix ? ld(w->src[s] + p * bpp, W) : 0;
        else
            xv[s] = s < m ? ld(w->src[s] + p * bpp, W) : 0;
    }
    __m256i x = _mm256_cvtepu8_epi16(gather(xv, W));
    uint64_t b0 = !checked || k < w->npix ? ld(w->prev + k * bpp, W) : 0;
    __m256i b =
        _mm256_or_si256(next_slot(*o2, W), _mm256_cvtepu8_epi16(_mm_cvtsi64_si128((long long)b0)));
    __m256i a = *o1, cc = *c;
    __m256i bc = _mm256_sub_epi16(b, cc), ac = _mm256_sub_epi16(a, cc);
    __m256i pa = _mm256_abs_epi16(bc), pb = _mm256_abs_epi16(ac);
    __m256i pc = _mm256_abs_epi16(_mm256_add_epi16(bc, ac));
    /* Paeth: c when pc < min(pa, pb); else b when pb < pa; else a. Up: b. Sub: a. */
    __m256i mb = _mm256_or_si256(_mm256_and_si256(_mm256_cmpgt_epi16(pa, pb), keep_p), force_b);
    __m256i mc = _mm256_and_si256(_mm256_cmpgt_epi16(_mm256_min_epi16(pa, pb), pc), keep_p);
    __m256i pred = _mm256_blendv_epi8(_mm256_blendv_epi8(a, b, mb), cc, mc);
    __m256i out = _mm256_and_si256(_mm256_add_epi16(x, pred), _mm256_set1_epi16(0xff));
    uint8_t ob[16];
    _mm_storeu_si128((__m128i *)ob, _mm_packus_epi16(_mm256_castsi256_si128(out),
                                                     _mm256_extracti128_si256(out, 1)));
#pragma GCC unroll 16
    for (unsigned s = 0; s < S; s++) {
        size_t p = k - 2 * (size_t)s;
        if (s < m && (!checked || p < w->npix))
            st(w->dst[s] + p * bpp, ob + s * W, W);
    }
    *c = b;
    *o2 = *o1;
    *o1 = out;
}

LM_INLINE void wave_run(const struct wave *w, unsigned m, unsigned W, unsigned bpp, __m256i keep_p,
                        __m256i force_b)
{
    __m256i o1 = _mm256_setzero_si256(), o2 = o1, c = o1;
    /* Steps 0..lead: rows still starting; lead..npix: all inside; then rows ending. */
    size_t lead = 2 * (size_t)(m - 1), end = w->npix + lead, k = 0;
    for (; k < lead; k++)
        wave_step(w, m, k, W, bpp, 1, keep_p, force_b, &o1, &o2, &c);
    for (; k < w->npix; k++)
        wave_step(w, m, k, W, bpp, 0, keep_p, force_b, &o1, &o2, &c);
    for (; k < end; k++)
        wave_step(w, m, k, W, bpp, 1, keep_p, force_b, &o1, &o2, &c);
}

static void wave_1(const struct wave *w, __m256i kp, __m256i fb)
{
    if (w->m == 16 / 1)
        wave_run(w, 16 / 1, 1, 1, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 1, 1, kp, fb);
}
static void wave_2(const struct wave *w, __m256i kp, __m256i fb)
{
    if (w->m == 16 / 2)
        wave_run(w, 16 / 2, 2, 2, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 2, 2, kp, fb);
}
static void wave_3(const struct wave *w, __m256i kp, __m256i fb)
{
    if (w->m == 16 / 4)
        wave_run(w, 16 / 4, 4, 3, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 4, 3, kp, fb);
}
static void wave_4(const struct wave *w, __m256i kp, __m256i fb)
{
    if (w->m == 16 / 4)
        wave_run(w, 16 / 4, 4, 4, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 4, 4, kp, fb);
}
static void wave_6(const struct wave *w, __m256i kp, __m256i fb)
{
    if (w->m == 16 / 8)
        wave_run(w, 16 / 8, 8, 6, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 8, 6, kp, fb);
}
static void wave_8(const struct wave *w, __m256i kp, __m256i fb)
{
    if (w->m == 16 / 8)
        wave_run(w, 16 / 8, 8, 8, kp, fb); /* full: no slot checks */
    else
        wave_run(w, w->m, 8, 8, kp, fb);
}

unsigned lm_png_unfilter_avx2(unsigned nrows, const uint8_t *const *src, uint8_t *const *dst,
                              const uint8_t *prev, size_t n, unsigned bpp)
{
    unsigned W = bpp == 3 ? 4 : bpp >= 5 ? 8 : bpp, S = 16 / W;
    size_t npix = n / bpp;
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
    w.npix = npix;
    w.m = m;
    uint16_t kp[16], fb[16];
    for (unsigned s = 0; s < S; s++) {
        int t = s < m ? src[s][0] : 1;
        /* Unused slots compute from zeros and are never stored. */
        w.src[s] = s < m ? src[s] + 1 : NULL;
        w.dst[s] = s < m ? dst[s] : NULL;
        for (unsigned l = 0; l < W; l++) {
            kp[s * W + l] = t == 4 ? 0xffff : 0;
            fb[s * W + l] = t == 2 ? 0xffff : 0;
        }
    }
    __m256i keep_p = _mm256_loadu_si256((const __m256i *)kp);
    __m256i force_b = _mm256_loadu_si256((const __m256i *)fb);
    switch (bpp) {
    case 1: wave_1(&w, keep_p, force_b); break;
    case 2: wave_2(&w, keep_p, force_b); break;
    case 3: wave_3(&w, keep_p, force_b); break;
    case 4: wave_4(&w, keep_p, force_b); break;
    case 6: wave_6(&w, keep_p, force_b); break;
    default: wave_8(&w, keep_p, force_b); break;
    }
    return m;
}
