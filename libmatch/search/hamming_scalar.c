/* Scalar Hamming kernels: the specification the SIMD kernels must match. */
#include "hamming.h"
#include "popcount.h"

static void dist_many(const lm_pdq_hash *q, const lm_pdq_hash *base, size_t n, uint16_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint16_t)lm_popcount_xor256(q->b, base[i].b);
}

static void dist_gather(const lm_pdq_hash *q, const lm_pdq_hash *base, const uint32_t *pos,
                        size_t n, uint16_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint16_t)lm_popcount_xor256(q->b, base[pos[i]].b);
}

static size_t filter16(const uint16_t *v, size_t n, uint16_t key, int lo, int hi, uint32_t base,
                       uint32_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = __builtin_popcount((unsigned)(v[i] ^ key));
        if (d > lo && d <= hi)
            out[m++] = base + (uint32_t)i;
    }
    return m;
}

const lm_ham_kernels lm_ham_scalar = {LM_ISA_SCALAR, dist_many, dist_gather, filter16};
