/*
 * AVX2 Hamming kernels: nibble-table popcount (vpshufb) and vpsadbw, four
 * hashes per iteration. Compiled with -mavx2 -mpopcnt only.
 */
#include <immintrin.h>

#include "hamming.h"
#include "popcount.h"

/* Bytewise popcount of a 256-bit vector. */
static inline __m256i popcnt_bytes(__m256i x)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                         1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_and_si256(x, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* Four partial sums (one per 64-bit lane) of popcount(a ^ q). */
static inline __m256i partial(__m256i q, const lm_pdq_hash *h)
{
    __m256i x = _mm256_xor_si256(q, _mm256_loadu_si256((const __m256i *)h->b));
    return _mm256_sad_epu8(popcnt_bytes(x), _mm256_setzero_si256());
}

/* Folds the lane partials of four hashes into four 16-bit distances at out. */
static inline void store4(__m256i a, __m256i b, __m256i c, __m256i d, uint16_t *out)
{
    __m256i ab = _mm256_add_epi64(a, _mm256_slli_epi64(b, 32)); /* dwords: a, b per lane */
    __m256i cd = _mm256_add_epi64(c, _mm256_slli_epi64(d, 32));
    __m256i s = _mm256_add_epi32(_mm256_unpacklo_epi64(ab, cd), _mm256_unpackhi_epi64(ab, cd));
    __m128i r = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    _mm_storel_epi64((__m128i *)out, _mm_packus_epi32(r, r));
}

static void dist_many(const lm_pdq_hash *q, const lm_pdq_hash *base, size_t n, uint16_t *out)
{
    __m256i qq = _mm256_loadu_si256((const __m256i *)q->b);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        store4(partial(qq, base + i), partial(qq, base + i + 1), partial(qq, base + i + 2),
               partial(qq, base + i + 3), out + i);
    for (; i < n; i++)
        out[i] = (uint16_t)lm_popcount_xor256(q->b, base[i].b);
}

/* How far ahead candidate loads are prefetched: enough to cover DRAM latency. */
#define GATHER_AHEAD 16

static void dist_gather(const lm_pdq_hash *q, const lm_pdq_hash *base, const uint32_t *pos,
                        size_t n, uint16_t *out)
{
    __m256i qq = _mm256_loadu_si256((const __m256i *)q->b);
    for (size_t i = 0; i < n && i < GATHER_AHEAD; i++)
        _mm_prefetch((const char *)(base + pos[i]), _MM_HINT_T0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (size_t j = i + GATHER_AHEAD; j < i + GATHER_AHEAD + 4 && j < n; j++)
            _mm_prefetch((const char *)(base + pos[j]), _MM_HINT_T0);
        store4(partial(qq, base + pos[i]), partial(qq, base + pos[i + 1]),
               partial(qq, base + pos[i + 2]), partial(qq, base + pos[i + 3]), out + i);
    }
    for (; i < n; i++)
        out[i] = (uint16_t)lm_popcount_xor256(q->b, base[pos[i]].b);
}

/* Lanes passing lo < popcount(v[i] ^ key) <= hi as a pair of mask bits per 16-bit lane. */
static inline uint32_t band16(const uint16_t *v, __m256i k, __m256i lo, __m256i hi)
{
    const __m256i lowbyte = _mm256_set1_epi16(0x00ff);
    __m256i c = popcnt_bytes(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)v), k));
    __m256i c16 = _mm256_add_epi16(_mm256_and_si256(c, lowbyte), _mm256_srli_epi16(c, 8));
    __m256i in = _mm256_andnot_si256(_mm256_cmpgt_epi16(c16, hi), _mm256_cmpgt_epi16(c16, lo));
    return (uint32_t)_mm256_movemask_epi8(in);
}

static size_t filter16(const uint16_t *v, size_t n, uint16_t key, int lo, int hi, uint32_t base,
                       uint32_t *out)
{
    size_t m = 0, i = 0;
    if (hi < 0 || hi <= lo)
        return 0;
    const __m256i k = _mm256_set1_epi16((short)key);
    const __m256i vlo = _mm256_set1_epi16((short)(lo < -1 ? -1 : lo > 16 ? 16 : lo));
    const __m256i vhi = _mm256_set1_epi16((short)(hi > 16 ? 16 : hi));
    for (; i + 16 <= n; i += 16) {
        uint32_t pass = band16(v + i, k, vlo, vhi);
        while (pass) {
            unsigned bit = (unsigned)__builtin_ctz(pass);
            out[m++] = base + (uint32_t)(i + bit / 2);
            pass &= ~(3u << bit);
        }
    }
    if (i < n && n >= 16) { /* the tail: the last 16 values again, lanes before i masked off */
        size_t b = n - 16;
        uint32_t pass = band16(v + b, k, vlo, vhi) & (~0u << (2 * (i - b)));
        while (pass) {
            unsigned bit = (unsigned)__builtin_ctz(pass);
            out[m++] = base + (uint32_t)(b + bit / 2);
            pass &= ~(3u << bit);
        }
        i = n;
    }
    for (; i < n; i++) {
        int d = __builtin_popcount((unsigned)(v[i] ^ key));
        if (d > lo && d <= hi)
            out[m++] = base + (uint32_t)i;
    }
    return m;
}

const lm_ham_kernels lm_ham_avx2 = {LM_ISA_AVX2, dist_many, dist_gather, filter16};
