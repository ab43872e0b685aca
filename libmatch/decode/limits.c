/* The size limits every decoder applies to declared dimensions before allocating. */
#include "decode_internal.h"

lm_status lm_check_dimensions(uint64_t width, uint64_t height, const lm_decode_opts *opts,
                              const char *what, lm_errbuf *err)
{
    if (width == 0 || height == 0)
        return lm_errbuf_set(err, LM_E_CORRUPT, "%s: empty image (%llux%llu)", what,
                             (unsigned long long)width, (unsigned long long)height);
    if (width > opts->max_dimension || height > opts->max_dimension)
        return lm_errbuf_set(err, LM_E_LIMIT_DIMENSION, "%s: %llux%llu exceeds the %u-pixel limit",
                             what, (unsigned long long)width, (unsigned long long)height,
                             opts->max_dimension);
    /* Both are below 2^32 here, so the product cannot overflow. */
    if (width > UINT32_MAX || height > UINT32_MAX || width * height > opts->max_pixels)
        return lm_errbuf_set(err, LM_E_LIMIT_PIXELS, "%s: %llux%llu exceeds %llu pixels", what,
                             (unsigned long long)width, (unsigned long long)height,
                             (unsigned long long)opts->max_pixels);
    return LM_OK;
}
