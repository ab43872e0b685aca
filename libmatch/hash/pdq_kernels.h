/*
 * PDQ kernels per instruction set, chosen at run time (best first, scalar
 * last). Every kernel gives bit-identical floats to the scalar one: SIMD lanes
 * run over independent rows, columns or outputs, and each lane performs the
 * scalar operation sequence in the same order (no FMA, true IEEE division).
 */
#ifndef LM_HASH_PDQ_KERNELS_H
#define LM_HASH_PDQ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "libmatch.h"

typedef struct lm_pdq_kernels {
    lm_isa isa;
    /* As lm_pdq_luma_from_rgb / lm_pdq_luma_from_grey. */
    void (*luma_from_rgb)(const uint8_t *rgb, int rows, int cols, size_t stride, float *luma);
    void (*luma_from_grey)(const uint8_t *grey, int rows, int cols, size_t stride, float *luma);
    /* lm_pdq_box1d along every row of in (rows x cols) into out. */
    void (*box_rows)(const float *in, float *out, int rows, int cols, int window);
    /* lm_pdq_box1d down every column of in (rows x cols) into out. */
    void (*box_cols)(const float *in, float *out, int rows, int cols, int window);
    void (*decimate64)(const float *in, int rows, int cols, float out[64][64]);
    int (*quality)(const float block[64][64]);
    void (*dct64_to_16)(const float block[64][64], float out[16][16]);
} lm_pdq_kernels;

extern const lm_pdq_kernels lm_pdq_kernels_scalar;
#if defined(LM_HAVE_PDQ_AVX2)
extern const lm_pdq_kernels lm_pdq_kernels_avx2;
#endif
#if defined(LM_HAVE_PDQ_AVX512)
extern const lm_pdq_kernels lm_pdq_kernels_avx512;
#endif

/* The kernels for lm_cpu_isa() (the widest the CPU has, capped by LM_FORCE_ISA). */
const lm_pdq_kernels *lm_pdq_kernels_best(void);

/* The kernels of exactly this ISA, or NULL when not built in or the CPU lacks it. */
const lm_pdq_kernels *lm_pdq_kernels_for(lm_isa isa);

/* The Jarosz filter (two passes of rows then columns) with the given kernels:
 * buf1 is filtered in place, buf2 holds the last row pass. */
void lm_pdq_jarosz_filter_with(const lm_pdq_kernels *k, float *buf1, float *buf2, int rows,
                               int cols);

/* lm_pdq_hash_luma with the given kernels. */
void lm_pdq_hash_luma_with(const lm_pdq_kernels *k, float *luma, float *tmp, int rows, int cols,
                           int dihedral, lm_pdq_hash hashes[8], int *quality);

/*
 * The 64x64 block the hash is taken from (the filtered, decimated luma, or
 * the luma itself at exactly 64x64), with the given kernels. luma is
 * overwritten as by lm_pdq_hash_luma. rows, cols >= LM_PDQ_MIN_DIM.
 */
void lm_pdq_block64_with(const lm_pdq_kernels *k, float *luma, float *tmp, int rows, int cols,
                         float block[64][64]);

#endif
