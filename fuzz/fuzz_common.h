/* Shared by the harnesses: small decode limits and a quiet libav. */
#ifndef LM_FUZZ_COMMON_H
#define LM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "decode_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_quiet(void)
{
    static int quiet;
    if (!quiet) {
        /* Loading FFmpeg through libmatch silences its global logger (decode/av_lazy.c). */
        (void)lm_av_load(NULL);
        quiet = 1;
    }
}

static inline void fuzz_decode_opts(lm_decode_opts *o, const uint8_t *data, size_t size)
{
    lm_decode_opts_default(o);
    o->max_bytes = 4u << 20;
    o->max_pixels = 1u << 22;
    o->max_dimension = 8192;
    o->exif_orient = 1;
    o->alpha_background = size ? data[0] : 255;
}

/* Touch every output byte so the sanitizers see uninitialised or short buffers. */
static inline void fuzz_touch(const lm_pixels *px)
{
    volatile unsigned sum = 0;
    for (uint32_t y = 0; y < px->height; y++)
        for (size_t x = 0; x < (size_t)px->width * (size_t)px->channels; x++)
            sum += px->data[y * px->stride + x];
    (void)sum;
}

/* A still-image decoder as the harnesses call it (decode_internal.h's signature). */
typedef lm_status (*fuzz_decoder)(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                                  lm_pixels *out, lm_errbuf *err);

/* One input through decode with o (fuzz_decode_opts's, which a harness may adjust): every
 * output byte is read. */
static inline int fuzz_decode_with(fuzz_decoder decode, const uint8_t *data, size_t size,
                                   const lm_decode_opts *o)
{
    fuzz_quiet();
    lm_pixels px = {0};
    lm_errbuf err;
    if (decode(data, size, o, &px, &err) == LM_OK)
        fuzz_touch(&px);
    lm_pixels_free(&px);
    return 0;
}

#endif
