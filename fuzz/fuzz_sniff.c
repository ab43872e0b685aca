/* libFuzzer harness: format sniffing, header dimensions, EXIF orientation, libav probing. */
#include "decode_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    lm_format f = lm_sniff_format(data, size);
    uint64_t w, h;
    for (int k = 0; k <= 8; k++)
        (void)lm_header_dims(data, size, (lm_format)k, &w, &h);
    (void)f;
    (void)lm_exif_orientation(data, size);
    if (size <= 4096)
        (void)lm_libav_probe(data, size);
    return 0;
}
