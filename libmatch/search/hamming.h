/*
 * Hamming-distance kernels for 256-bit PDQ hashes, one implementation per
 * instruction set (hamming_scalar.c, hamming_avx2.c, hamming_avx512.c), each
 * built as its own static library with only its own -m flags. The scalar
 * table is the specification: every kernel returns exactly the same values.
 */
#ifndef LM_SEARCH_HAMMING_H
#define LM_SEARCH_HAMMING_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "libmatch.h"

typedef struct lm_ham_kernels {
    lm_isa isa;
    /* out[i] = distance(q, base[i]) for i < n. */
    void (*dist_many)(const lm_pdq_hash *q, const lm_pdq_hash *base, size_t n, uint16_t *out);
    /* out[i] = distance(q, base[pos[i]]) for i < n (candidate verification). */
    void (*dist_gather)(const lm_pdq_hash *q, const lm_pdq_hash *base, const uint32_t *pos,
                        size_t n, uint16_t *out);
    /* Writes, in ascending order, base + i for every i < n with
     * lo < popcount(v[i] ^ key) <= hi into out (room for n) and returns how many
     * (lo = -1: no lower limit). The next-word filter of the table searches. */
    size_t (*filter16)(const uint16_t *v, size_t n, uint16_t key, int lo, int hi, uint32_t base,
                       uint32_t *out);
} lm_ham_kernels;

/* The kernels for one ISA, or NULL when this build or this CPU lacks it. */
const lm_ham_kernels *lm_ham_kernels_for(lm_isa isa);

/* The kernels for lm_cpu_isa() (honours LM_FORCE_ISA). Never NULL. */
const lm_ham_kernels *lm_ham_kernels_best(void);

/* Per-ISA tables; only those compiled in exist (see hamming_dispatch.c). */
extern const lm_ham_kernels lm_ham_scalar;
extern const lm_ham_kernels lm_ham_avx2;
extern const lm_ham_kernels lm_ham_avx512;

#endif
