/*
 * PNG row unfiltering (None, Sub, Up, Average, Paeth; ISO/IEC 15948 9.2).
 * png_filter.c holds the scalar specification and the dispatch; the AVX2
 * build (png_filter_avx2.c, compiled with -mavx2 only) must give identical
 * bytes for every filter, bpp and length (tests/decode/test_png_fast.c).
 *
 * Rows are unfiltered out of place: from the inflated data (each row its
 * filter-type byte then its bytes) into separate row buffers, so a kernel
 * never loads what it has just stored (a 4-byte store of a 3-byte pixel
 * followed by a load of the next pixel defeats store forwarding) and the
 * inflated buffer is only read. Several rows at once: Paeth (and Sub/Up rows
 * among them) is one dependency chain per row, so the AVX2 kernel runs up to
 * 16/4 rows side by side (AVX-512: 32/8), one per vector slot, each two pixels behind the row
 * above it (a wavefront).
 */
#ifndef LM_DECODE_PNG_FILTER_H
#define LM_DECODE_PNG_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/* src rows must be readable, dst rows writable and prev readable this far beyond n. */
#define LM_PNG_ROW_SLACK 32

/* The most rows a kernel takes in one call (lm_png_unfilter_group gives it per pixel size). */
#define LM_PNG_UNFILTER_MAX_ROWS 32

/*
 * Unfilter up to nrows consecutive rows (nrows >= 1). src[r] points at row
 * r's filter-type byte, followed by its n filtered bytes; dst[r] receives
 * the n unfiltered bytes; prev is the unfiltered row before src[0] (n zero
 * bytes for the first row of the image) and row r > 0 is predicted from
 * dst[r - 1]. Filter types must be 0..4 (the caller checks). bpp is bytes
 * per complete pixel, 1..8 (1 for sub-byte depths). Returns the number of
 * rows done, 1..nrows (a kernel does a row on its own when it has nothing
 * better); the caller continues with the rest.
 */
typedef unsigned (*lm_png_unfilter_fn)(unsigned nrows, const uint8_t *const *src,
                                       uint8_t *const *dst, const uint8_t *prev, size_t n,
                                       unsigned bpp);

/* One row, the specification: dst = unfiltered src (n bytes after the type byte). */
void lm_png_unfilter_row_scalar(int type, uint8_t *dst, const uint8_t *src, const uint8_t *prev,
                                size_t n, unsigned bpp);

unsigned lm_png_unfilter_scalar(unsigned nrows, const uint8_t *const *src, uint8_t *const *dst,
                                const uint8_t *prev, size_t n, unsigned bpp);
#ifdef LM_HAVE_PNG_AVX2
/* One row, AVX2 (Up, Sub, Average, Paeth for 3/4-byte pixels; the rest scalar). */
void lm_png_unfilter_row_avx2(int type, uint8_t *dst, const uint8_t *src, const uint8_t *prev,
                              size_t n, unsigned bpp);
unsigned lm_png_unfilter_avx2(unsigned nrows, const uint8_t *const *src, uint8_t *const *dst,
                              const uint8_t *prev, size_t n, unsigned bpp);
#endif
#ifdef LM_HAVE_PNG_AVX512
/* The wavefront in 512-bit vectors (twice the rows); single rows as AVX2. */
unsigned lm_png_unfilter_avx512(unsigned nrows, const uint8_t *const *src, uint8_t *const *dst,
                                const uint8_t *prev, size_t n, unsigned bpp);
#endif

/* How many rows to offer per call for pixels of bpp bytes (>= 1, <= LM_PNG_UNFILTER_MAX_ROWS). */
unsigned lm_png_unfilter_group(lm_png_unfilter_fn f, unsigned bpp);

/* The kernel for isa (falls back to the widest available below it). Never NULL. */
lm_png_unfilter_fn lm_png_unfilter_for(lm_isa isa);
/* The kernel for lm_cpu_isa() (honours LM_FORCE_ISA), and its name. */
lm_png_unfilter_fn lm_png_unfilter_best(const char **name);

#endif
