/* PNG unfiltering: the scalar specification and the run-time choice of kernel. */
#include <string.h>

#include "png_filter.h"

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
    int p = (int)a + (int)b - (int)c;
    int pa = p > a ? p - a : a - p;
    int pb = p > b ? p - b : b - p;
    int pc = p > c ? p - c : c - p;
    if (pa <= pb && pa <= pc)
        return a;
    return pb <= pc ? b : c;
}

void lm_png_unfilter_row_scalar(int type, uint8_t *dst, const uint8_t *src, const uint8_t *prev,
                                size_t n, unsigned bpp)
{
    size_t i;
    switch (type) {
    case 1: /* Sub */
        for (i = 0; i < bpp && i < n; i++)
            dst[i] = src[i];
        for (; i < n; i++)
            dst[i] = (uint8_t)(src[i] + dst[i - bpp]);
        break;
    case 2: /* Up */
        for (i = 0; i < n; i++)
            dst[i] = (uint8_t)(src[i] + prev[i]);
        break;
    case 3: /* Average */
        for (i = 0; i < bpp && i < n; i++)
            dst[i] = (uint8_t)(src[i] + (prev[i] >> 1));
        for (; i < n; i++)
            dst[i] = (uint8_t)(src[i] + (((unsigned)dst[i - bpp] + prev[i]) >> 1));
        break;
    case 4: /* Paeth */
        for (i = 0; i < bpp && i < n; i++)
            dst[i] = (uint8_t)(src[i] + prev[i]); /* a = c = 0: Paeth picks b */
        for (; i < n; i++)
            dst[i] = (uint8_t)(src[i] + paeth(dst[i - bpp], prev[i], prev[i - bpp]));
        break;
    default: /* None */ memcpy(dst, src, n); break;
    }
}

unsigned lm_png_unfilter_scalar(unsigned nrows, const uint8_t *const *src, uint8_t *const *dst,
                                const uint8_t *prev, size_t n, unsigned bpp)
{
    for (unsigned r = 0; r < nrows; r++) {
        lm_png_unfilter_row_scalar(src[r][0], dst[r], src[r] + 1, prev, n, bpp);
        prev = dst[r];
    }
    return nrows;
}

unsigned lm_png_unfilter_group(lm_png_unfilter_fn f, unsigned bpp)
{
#ifdef LM_HAVE_PNG_AVX512
    if (f == lm_png_unfilter_avx512)
        return bpp == 1 ? 16 : bpp == 2 ? 8 : bpp <= 4 ? 8 : 4; /* 1-2 bytes: as AVX2 */
#endif
#ifdef LM_HAVE_PNG_AVX2
    /* One row per 16-bit slot group of a 256-bit vector (png_filter_avx2.c). */
    if (f == lm_png_unfilter_avx2)
        return bpp == 1 ? 16 : bpp == 2 ? 8 : bpp <= 4 ? 4 : 2;
#endif
    (void)bpp;
    return f == lm_png_unfilter_scalar ? 4 : 1;
}

lm_png_unfilter_fn lm_png_unfilter_for(lm_isa isa)
{
#ifdef LM_HAVE_PNG_AVX512
    if (isa >= LM_ISA_AVX512)
        return lm_png_unfilter_avx512;
#endif
#ifdef LM_HAVE_PNG_AVX2
    if (isa >= LM_ISA_AVX2)
        return lm_png_unfilter_avx2;
#endif
    (void)isa;
    return lm_png_unfilter_scalar;
}

lm_png_unfilter_fn lm_png_unfilter_best(const char **name)
{
    lm_isa isa = lm_cpu_isa();
    lm_png_unfilter_fn f = lm_png_unfilter_for(isa);
    if (name)
        *name = f == lm_png_unfilter_scalar ? "scalar"
#ifdef LM_HAVE_PNG_AVX512
                : f == lm_png_unfilter_avx512 ? "avx512"
#endif
                                              : "avx2";
    return f;
}
