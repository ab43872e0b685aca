/* libFuzzer harness: lm_decode_jxl directly (JPEG XL stills, no sniffing), small limits. */
#include "decode_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    o.exif_orient = size > 2 ? data[2] & 1 : 1; /* the orientation field applied or not */
    return fuzz_decode_with(lm_decode_jxl, data, size, &o);
}
