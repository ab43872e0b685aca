/* Entry point: check the byte limit, sniff, dispatch to one decoder, orient. */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

void lm_decode_opts_default(lm_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_bytes = 256u << 20;
    o->max_pixels = 100000000u;
    o->max_dimension = 65535;
    o->alpha_background = 255;
}

lm_status lm_decode_image(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                          lm_pixels *out, lm_errbuf *err)
{
    if (!out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if ((!data && len) || !opts)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "decode: NULL argument");
    if (len > opts->max_bytes)
        return lm_errbuf_set(err, LM_E_LIMIT_BYTES, "%zu bytes exceeds the %llu-byte limit", len,
                             (unsigned long long)opts->max_bytes);

    /* lm_media_classify may have named the format already: no second sniff or probe. */
    lm_format format = opts->known_format ? opts->known_format : lm_sniff_format(data, len);
    lm_status st;
    switch (format) {
    case LM_FORMAT_JPEG: st = lm_decode_jpeg(data, len, opts, out, err); break;
    case LM_FORMAT_PNG: st = lm_decode_png(data, len, opts, out, err); break;
    case LM_FORMAT_HEIF:
    case LM_FORMAT_AVIF: st = lm_decode_heif(data, len, opts, out, err); break;
    case LM_FORMAT_JXL: st = lm_decode_jxl(data, len, opts, out, err); break;
    case LM_FORMAT_UNKNOWN: {
        int known = len ? lm_libav_probe(data, len) : 0;
        if (known == -2)
            return lm_av_load(err); /* LM_E_UNSUPPORTED: FFmpeg missing */
        if (known < 0)
            return lm_errbuf_set(err, LM_E_NOMEM, "no memory to probe the format");
        if (!known)
            return lm_errbuf_set(err, LM_E_FORMAT, "unrecognised image format");
        format = LM_FORMAT_OTHER;
        st = lm_decode_libav(data, len, opts, format, out, err);
        break;
    }
    default: st = lm_decode_libav(data, len, opts, format, out, err); break;
    }
    if (st != LM_OK) {
        lm_pixels_free(out);
        return st;
    }
    out->format = format;
    return LM_OK;
}

void lm_pixels_free(lm_pixels *p)
{
    if (!p)
        return;
    free(p->data);
    memset(p, 0, sizeof *p);
}
