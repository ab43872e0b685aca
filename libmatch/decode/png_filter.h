/*
 * PNG row unfiltering (None, Sub, Up, Average, Paeth; ISO/IEC 15948 9.2).
 * png_filter.c holds the scalar specification and the dispatch; the AVX2
 * build (png_filter_avx2.c, compiled with -mavx2 only) must give identical
 * bytes for every filter, bpp and length (tests/decode/test_png_fast.c).
 */
#ifndef LM_DECODE_PNG_FILTER_H
#define LM_DECODE_PNG_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/*
 * Unfilter row[0..n) in place. prev is the previous unfiltered row (n bytes;
 * all zero for the first row). bpp is bytes per complete pixel, 1..8 (1 for
 * sub-byte depths). type 0..4; other values are refused by the caller.
 */
typedef void (*lm_png_unfilter_fn)(int type, uint8_t *row, const uint8_t *prev, size_t n,
                                   unsigned bpp);

void lm_png_unfilter_scalar(int type, uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp);
#ifdef LM_HAVE_PNG_AVX2
void lm_png_unfilter_avx2(int type, uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp);
#endif

/* The kernel for isa (falls back to the widest available below it). Never NULL. */
lm_png_unfilter_fn lm_png_unfilter_for(lm_isa isa);
/* The kernel for lm_cpu_isa() (honours LM_FORCE_ISA), and its name. */
lm_png_unfilter_fn lm_png_unfilter_best(const char **name);

#endif
