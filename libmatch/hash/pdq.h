/*
 * PDQ perceptual hashing, computed exactly as Meta's reference does
 * (pdq/cpp/hashing and pdq/cpp/downscaling in facebook/ThreatExchange):
 *
 *   RGB -> float luma (0.299 R + 0.587 G + 0.114 B, single precision)
 *   -> two passes of row/column box filters (Jarosz "tent" filter)
 *   -> decimation to 64x64 (sampling at cell centres)
 *   -> quality from image-domain gradients
 *   -> DCT rows 1..16 x columns 1..16 of the 64x64
 *   -> bit set where a coefficient exceeds the median (Torben: 128th smallest).
 *
 * Every floating-point operation happens in the same order and precision as
 * the reference; this file must be compiled with -ffp-contract=off.
 */
#ifndef LM_HASH_PDQ_H
#define LM_HASH_PDQ_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

/* Images smaller than this in either dimension hash to all-zero, quality 0 (as the reference). */
#define LM_PDQ_MIN_DIM 5

/* Float luma of an 8-bit RGB image (3 bytes per pixel, rows `stride` bytes apart).
 * Runs the fastest kernel; every kernel gives the scalar result bit for bit. */
void lm_pdq_luma_from_rgb(const uint8_t *rgb, int rows, int cols, size_t stride, float *luma);

/* Float luma of an 8-bit grey image: the grey value itself, as the reference. */
void lm_pdq_luma_from_grey(const uint8_t *grey, int rows, int cols, size_t stride, float *luma);

/*
 * Hash a rows x cols float luma image (row-major), with the kernels of
 * lm_cpu_isa() (see pdq_kernels.h; every kernel gives the scalar result).
 *  [in,out] luma  overwritten (filtered in place)
 *  [tmp]    tmp   rows*cols floats of scratch
 *  [out]    hashes  hashes[0] is the PDQ hash; when dihedral is non-zero,
 *                   hashes[1..7] are the rotations and flips in lm_dihedral order.
 *  [out]    quality 0..100
 */
void lm_pdq_hash_luma(float *luma, float *tmp, int rows, int cols, int dihedral,
                      lm_pdq_hash hashes[8], int *quality);

/* The stages, exposed for the SIMD kernels' tests and for benchmarks. */
int lm_pdq_jarosz_window(int old_dim, int new_dim);
void lm_pdq_box1d(const float *in, float *out, int length, int stride, int window);
void lm_pdq_decimate64(const float *in, int rows, int cols, float out[64][64]);
int lm_pdq_quality(const float block[64][64]);
void lm_pdq_dct64_to_16(const float block[64][64], float out[16][16]);
void lm_pdq_bits_from_dct(const float dct[16][16], lm_pdq_hash *hash);
/* The Jarosz filter with the scalar kernels: buf1 filtered in place, buf2 = last row pass. */
void lm_pdq_jarosz_filter(float *buf1, float *buf2, int rows, int cols);
/* hashes[1..7] from the DCT of the original, by sign flips and transposes (scalar). */
void lm_pdq_dihedral_bits(const float dct[16][16], lm_pdq_hash hashes[8]);
/* The 128th smallest of 256 values (what the reference's Torben median returns). */
float lm_pdq_median256(const float values[256]);

#endif
