/* libFuzzer harness: lm_decode_jpeg directly (no sniffing), small limits. */
#include "fuzz_common.h"
#include "decode_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    lm_pixels px = {0};
    lm_errbuf err;
    if (lm_decode_jpeg(data, size, &o, &px, &err) == LM_OK)
        fuzz_touch(&px);
    lm_pixels_free(&px);
    return 0;
}
