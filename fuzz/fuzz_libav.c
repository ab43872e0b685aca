/* libFuzzer harness: the libav image decoder directly, whatever the sniffed format. */
#include "decode_internal.h"
#include "fuzz_common.h"

/* lm_decode_libav for the format the input sniffs as. */
static lm_status sniffed(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                         lm_pixels *out, lm_errbuf *err)
{
    return lm_decode_libav(data, len, opts, lm_sniff_format(data, len), out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_decode_opts o;
    fuzz_decode_opts(&o, data, size);
    return fuzz_decode_with(sniffed, data, size, &o);
}
