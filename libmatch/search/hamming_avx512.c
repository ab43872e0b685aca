/*
 * AVX-512 Hamming kernels: VPOPCNTQ on two hashes per register, eight hashes
 * reduced per iteration with two rounds of pairwise permutes. Compiled with
 * -mavx512f -mavx512bw -mavx512vl -mavx512vpopcntdq -mpopcnt only.
 */
#include <immintrin.h>

#include "hamming.h"
#include "popcount.h"

/* Per-qword popcount of (two hashes at a, b) ^ q. */
static inline __m512i pair(__m512i q, const lm_pdq_hash *a, const lm_pdq_hash *b)
{
    __m512i x =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a->b)),
                           _mm256_loadu_si256((const __m256i *)b->b), 1);
    return _mm512_popcnt_epi64(_mm512_xor_si512(x, q));
}

/* Sums adjacent qword pairs of a then b: [a0+a1, a2+a3, ..., b6+b7]. */
static inline __m512i pairsum(__m512i a, __m512i b)
{
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    return _mm512_add_epi64(_mm512_permutex2var_epi64(a, even, b),
                            _mm512_permutex2var_epi64(a, odd, b));
}

/* Eight distances from four pair registers, stored as 16-bit values. */
static inline void store8(__m512i a, __m512i b, __m512i c, __m512i d, uint16_t *out)
{
    __m512i s = pairsum(pairsum(a, b), pairsum(c, d));
    _mm_storeu_si128((__m128i *)out, _mm512_cvtepi64_epi16(s));
}

static void dist_many(const lm_pdq_hash *q, const lm_pdq_hash *base, size_t n, uint16_t *out)
{
    __m512i qq = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q->b));
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const lm_pdq_hash *h = base + i;
        store8(pair(qq, h, h + 1), pair(qq, h + 2, h + 3), pair(qq, h + 4, h + 5),
               pair(qq, h + 6, h + 7), out + i);
    }
    for (; i < n; i++)
        out[i] = (uint16_t)lm_popcount_xor256(q->b, base[i].b);
}

/* How far ahead candidate loads are prefetched: enough to cover DRAM latency. */
#define GATHER_AHEAD 16

static void dist_gather(const lm_pdq_hash *q, const lm_pdq_hash *base, const uint32_t *pos,
                        size_t n, uint16_t *out)
{
    __m512i qq = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q->b));
    for (size_t i = 0; i < n && i < GATHER_AHEAD; i++)
        _mm_prefetch((const char *)(base + pos[i]), _MM_HINT_T0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (size_t j = i + GATHER_AHEAD; j < i + GATHER_AHEAD + 8 && j < n; j++)
            _mm_prefetch((const char *)(base + pos[j]), _MM_HINT_T0);
        const uint32_t *p = pos + i;
        store8(pair(qq, base + p[0], base + p[1]), pair(qq, base + p[2], base + p[3]),
               pair(qq, base + p[4], base + p[5]), pair(qq, base + p[6], base + p[7]), out + i);
    }
    for (; i < n; i++)
        out[i] = (uint16_t)lm_popcount_xor256(q->b, base[pos[i]].b);
}

static size_t filter16(const uint16_t *v, size_t n, uint16_t key, int lo, int hi, uint32_t base,
                       uint32_t *out)
{
    size_t m = 0, i = 0;
    if (hi < 0 || hi <= lo)
        return 0;
    const __m512i lut =
        _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
    const __m512i low = _mm512_set1_epi8(0x0f);
    const __m512i k = _mm512_set1_epi16((short)key);
    const __m512i vlo = _mm512_set1_epi16((short)(lo < -1 ? -1 : lo > 16 ? 16 : lo));
    const __m512i vhi = _mm512_set1_epi16((short)(hi > 16 ? 16 : hi));
    const __m512i lowbyte = _mm512_set1_epi16(0x00ff);
    for (; i < n; i += 32) {
        /* the tail of a bucket through a masked load (no scalar loop, no read past n) */
        const __mmask32 live = n - i >= 32 ? ~(__mmask32)0 : (__mmask32)((1u << (n - i)) - 1);
        __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi16(live, (const void *)(v + i)), k);
        __m512i c = _mm512_add_epi8(
            _mm512_shuffle_epi8(lut, _mm512_and_si512(x, low)),
            _mm512_shuffle_epi8(lut, _mm512_and_si512(_mm512_srli_epi16(x, 4), low)));
        __m512i c16 = _mm512_add_epi16(_mm512_and_si512(c, lowbyte), _mm512_srli_epi16(c, 8));
        __mmask32 pass =
            _mm512_mask_cmple_epi16_mask(_mm512_mask_cmpgt_epi16_mask(live, c16, vlo), c16, vhi);
        while (pass) {
            out[m++] = base + (uint32_t)(i + (unsigned)__builtin_ctz(pass));
            pass &= pass - 1;
        }
    }
    return m;
}

const lm_ham_kernels lm_ham_avx512 = {LM_ISA_AVX512, dist_many, dist_gather, filter16};
