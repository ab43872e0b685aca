/* libFuzzer harness: lm_decode_image (every decoder, via sniffing) with small limits. */
#include <stddef.h>
#include <stdint.h>


#include "decode.h"
#include "decode_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        /* Loading FFmpeg through libmatch silences its global logger (decode/av_lazy.c). */
        (void)lm_av_load(NULL);
        quiet = 1;
    }
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.max_bytes = 4u << 20;
    o.max_pixels = 1u << 22;
    o.max_dimension = 8192;
    o.exif_orient = 1;
    o.alpha_background = size ? data[0] : 255;
    lm_pixels px;
    lm_errbuf err;
    if (lm_decode_image(data, size, &o, &px, &err) == LM_OK) {
        /* Touch every output byte so the sanitizers see uninitialised or short buffers. */
        volatile unsigned sum = 0;
        for (uint32_t y = 0; y < px.height; y++)
            for (size_t x = 0; x < (size_t)px.width * (size_t)px.channels; x++)
                sum += px.data[y * px.stride + x];
        (void)sum;
    }
    lm_pixels_free(&px);
    return 0;
}
