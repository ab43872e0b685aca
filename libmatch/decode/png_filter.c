/* PNG unfiltering: the scalar specification and the run-time choice of kernel. */
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

void lm_png_unfilter_scalar(int type, uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp)
{
    size_t i;
    switch (type) {
    case 1: /* Sub */
        for (i = bpp; i < n; i++)
            row[i] = (uint8_t)(row[i] + row[i - bpp]);
        break;
    case 2: /* Up */
        for (i = 0; i < n; i++)
            row[i] = (uint8_t)(row[i] + prev[i]);
        break;
    case 3: /* Average */
        for (i = 0; i < bpp && i < n; i++)
            row[i] = (uint8_t)(row[i] + (prev[i] >> 1));
        for (; i < n; i++)
            row[i] = (uint8_t)(row[i] + (((unsigned)row[i - bpp] + prev[i]) >> 1));
        break;
    case 4: /* Paeth */
        for (i = 0; i < bpp && i < n; i++)
            row[i] = (uint8_t)(row[i] + prev[i]); /* a = c = 0: Paeth picks b */
        for (; i < n; i++)
            row[i] = (uint8_t)(row[i] + paeth(row[i - bpp], prev[i], prev[i - bpp]));
        break;
    default: break; /* None */
    }
}

lm_png_unfilter_fn lm_png_unfilter_for(lm_isa isa)
{
#ifdef LM_HAVE_PNG_AVX2
    /* AVX-512 has nothing to add: Sub/Average/Paeth run pixel after pixel, Up is memory-bound. */
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
        *name = f == lm_png_unfilter_scalar ? "scalar" : "avx2";
    return f;
}
