/* libFuzzer harness: lm_decode_png directly (no sniffing), small limits. */
#include "decode_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    return fuzz_decode_with(lm_decode_png, data, size, &o);
}
