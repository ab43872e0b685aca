/*
 * Still image or video, decided once (decode.h: lm_media_classify). Before, lm_check
 * sniffed, probed libavformat, tried the video path on GIF/WebP/anything probed and on
 * LM_E_FORMAT fell back to the still decoder, which sniffed and probed again.
 */
#include <string.h>

#include "decode_internal.h"

int lm_webp_is_animated(const uint8_t *d, size_t n)
{
    return n >= 21 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBPVP8X", 8) == 0 &&
           (d[20] & 0x02);
}

/* Skips GIF data sub-blocks from *p; 0 at the block terminator, -1 if the data ends. */
static int skip_sub_blocks(const uint8_t *d, size_t n, size_t *p)
{
    while (*p < n) {
        uint8_t k = d[(*p)++];
        if (k == 0)
            return 0;
        if (n - *p < k)
            return -1;
        *p += k;
    }
    return -1;
}

/* Image descriptors of a GIF, up to 2 (the walk stops at the first damage). */
static int gif_images(const uint8_t *d, size_t n)
{
    if (n < 13)
        return 0;
    size_t p = 13;
    if (d[10] & 0x80)
        p += 3u << ((d[10] & 7) + 1);
    int images = 0;
    while (p < n && images < 2) {
        uint8_t b = d[p++];
        if (b == 0x21) { /* extension: label, sub-blocks */
            if (p >= n)
                break;
            p++;
            if (skip_sub_blocks(d, n, &p) != 0)
                break;
        } else if (b == 0x2C) { /* image: descriptor, local table, LZW size, sub-blocks */
            if (n - p < 9)
                break;
            uint8_t packed = d[p + 8];
            p += 9;
            if (packed & 0x80)
                p += 3u << ((packed & 7) + 1);
            if (p >= n)
                break;
            p++; /* LZW minimum code size */
            images++;
            if (skip_sub_blocks(d, n, &p) != 0)
                break;
        } else {
            break; /* trailer (0x3B) or damage */
        }
    }
    return images;
}

/* Demuxers of still images (libavformat's image pipes) against containers. */
static int still_demuxer(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "image2") == 0 || (n > 5 && strcmp(name + n - 5, "_pipe") == 0);
}

lm_media_kind lm_media_classify(const uint8_t *data, size_t len, lm_format *format)
{
    lm_format f = data ? lm_sniff_format(data, len) : LM_FORMAT_UNKNOWN;
    *format = f;
    switch (f) {
    case LM_FORMAT_GIF: return gif_images(data, len) >= 2 ? LM_MEDIA_VIDEO : LM_MEDIA_STILL;
    case LM_FORMAT_WEBP: return lm_webp_is_animated(data, len) ? LM_MEDIA_VIDEO : LM_MEDIA_STILL;
    case LM_FORMAT_UNKNOWN: break;
    default: return LM_MEDIA_STILL;
    }
    const char *demuxer = NULL;
    if (!len || lm_libav_probe_demuxer(data, len, &demuxer) != 1 || !demuxer)
        return LM_MEDIA_NONE;
    *format = LM_FORMAT_OTHER;
    return still_demuxer(demuxer) ? LM_MEDIA_STILL : LM_MEDIA_VIDEO;
}
