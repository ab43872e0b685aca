/* libFuzzer harness: lm_decode_heif directly (HEIC/AVIF stills, no sniffing), small limits. */
#include "decode_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    o.exif_orient = size > 1 ? data[1] & 1 : 1; /* irot/imir applied or not */
    return fuzz_decode_with(lm_decode_heif, data, size, &o);
}
