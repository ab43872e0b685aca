/* Format sniffing by magic bytes only: file names and extensions are never trusted. */
#include <string.h>

#include "decode_internal.h"

lm_format lm_sniff_format(const uint8_t *d, size_t n)
{
    if (!d)
        return LM_FORMAT_UNKNOWN;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return LM_FORMAT_JPEG;
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return LM_FORMAT_PNG;
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return LM_FORMAT_GIF;
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return LM_FORMAT_WEBP;
    /* "BM", then a DIB header size we know at offset 14. */
    if (n >= 18 && d[0] == 'B' && d[1] == 'M') {
        uint32_t hs =
            (uint32_t)d[14] | (uint32_t)d[15] << 8 | (uint32_t)d[16] << 16 | (uint32_t)d[17] << 24;
        if (hs == 12 || hs == 40 || hs == 52 || hs == 56 || hs == 64 || hs == 108 || hs == 124)
            return LM_FORMAT_BMP;
    }
    if (n >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0))
        return LM_FORMAT_TIFF;
    if (lm_sniff_jxl(d, n))
        return LM_FORMAT_JXL;
    return lm_sniff_heif(d, n);
}
