/* Placeholder until the decoders land. */
#include "decode.h"

#include <string.h>

void lm_decode_opts_default(lm_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_bytes = 256u << 20;
    o->max_pixels = 100000000u;
    o->max_dimension = 65535;
    o->alpha_background = 255;
}

lm_format lm_sniff_format(const uint8_t *data, size_t len)
{
    return LM_FORMAT_UNKNOWN;
}

lm_status lm_decode_image(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                          lm_pixels *out, lm_errbuf *err)
{
    memset(out, 0, sizeof *out);
    return lm_errbuf_set(err, LM_E_FORMAT, "no decoders yet");
}

void lm_pixels_free(lm_pixels *p)
{
}
