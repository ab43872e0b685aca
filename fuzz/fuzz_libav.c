/* libFuzzer harness: the libav image decoder directly, whatever the sniffed format. */
#include "decode_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    lm_pixels px = {0};
    lm_errbuf err;
    if (lm_decode_libav(data, size, &o, lm_sniff_format(data, size), &px, &err) == LM_OK)
        fuzz_touch(&px);
    lm_pixels_free(&px);
    return 0;
}
