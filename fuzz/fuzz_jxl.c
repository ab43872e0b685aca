/* libFuzzer harness: lm_decode_jxl directly (JPEG XL stills, no sniffing), small limits. */
#include "decode_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    o.exif_orient = size > 2 ? data[2] & 1 : 1; /* the orientation field applied or not */
    lm_pixels px = {0};
    lm_errbuf err;
    if (lm_decode_jxl(data, size, &o, &px, &err) == LM_OK)
        fuzz_touch(&px);
    lm_pixels_free(&px);
    return 0;
}
