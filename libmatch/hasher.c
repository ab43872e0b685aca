/* The public hasher: bytes -> decode -> PDQ, with per-handle limits and errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_internal.h"
#include "errbuf.h"
#include "file_read.h"
#include "hasher_internal.h"
#include "libmatch.h"
#include "pixel_hash.h"

lm_format lm_detect_format(const void *data, size_t len)
{
    if (!data)
        return LM_FORMAT_UNKNOWN;
    lm_format f = LM_FORMAT_UNKNOWN;
    lm_media_classify(data, len, &f); /* the one sniff-and-probe (decode/media.c) */
    return f;
}

lm_hasher *lm_hasher_create(void)
{
    lm_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    lm_decode_opts_default(&h->decode);
    lm_video_opts_default(&h->video);
    return h;
}

void lm_hasher_destroy(lm_hasher *h)
{
    free(h);
}

lm_status lm_hasher_set_option(lm_hasher *h, lm_option option, int64_t value)
{
    if (!h)
        return LM_E_INVALID_ARG;
    switch (option) {
    case LM_OPT_MAX_BYTES:
        if (value <= 0)
            return LM_E_INVALID_ARG;
        h->decode.max_bytes = (uint64_t)value;
        return LM_OK;
    case LM_OPT_MAX_PIXELS:
        if (value <= 0)
            return LM_E_INVALID_ARG;
        h->decode.max_pixels = (uint64_t)value;
        return LM_OK;
    case LM_OPT_MAX_DIMENSION:
        if (value <= 0 || value > UINT32_MAX)
            return LM_E_INVALID_ARG;
        h->decode.max_dimension = (uint32_t)value;
        return LM_OK;
    case LM_OPT_DIHEDRAL:
        if (value != 0 && value != 1)
            return LM_E_INVALID_ARG;
        h->dihedral = (int)value;
        return LM_OK;
    case LM_OPT_EXIF_ORIENT:
        if (value != 0 && value != 1)
            return LM_E_INVALID_ARG;
        h->decode.exif_orient = (int)value;
        return LM_OK;
    case LM_OPT_ALPHA_BACKGROUND:
        if (value < 0 || value > 255)
            return LM_E_INVALID_ARG;
        h->decode.alpha_background = (uint8_t)value;
        return LM_OK;
    case LM_OPT_FAST:
        if (value != 0 && value != 1)
            return LM_E_INVALID_ARG;
        h->decode.jpeg_dct_scale = (int)value;
        return LM_OK;
    case LM_OPT_VIDEO_SAMPLING:
        if (value < LM_SAMPLE_ALL_FRAMES || value > LM_SAMPLE_INTERVAL)
            return LM_E_INVALID_ARG;
        h->video.sampling = (lm_video_sample_mode)value;
        return LM_OK;
    case LM_OPT_VIDEO_INTERVAL_MS:
        if (value <= 0 || value > 86400000)
            return LM_E_INVALID_ARG;
        h->video.interval_seconds = (double)value / 1000.0;
        return LM_OK;
    case LM_OPT_VIDEO_MAX_FRAMES:
        if (value <= 0 || value > UINT32_MAX)
            return LM_E_INVALID_ARG;
        h->video.max_frames = (uint32_t)value;
        return LM_OK;
    case LM_OPT_VIDEO_MAX_DURATION_S:
        if (value <= 0 || value > 1000000)
            return LM_E_INVALID_ARG;
        h->video.max_duration_seconds = (double)value;
        return LM_OK;
    case LM_OPT_VIDEO_SCALE:
        if (value < 0 || value > 4096)
            return LM_E_INVALID_ARG;
        h->video.scale_width = h->video.scale_height = (int)value;
        return LM_OK;
    }
    return LM_E_UNKNOWN_OPTION;
}

lm_status lm_hasher_get_option(const lm_hasher *h, lm_option option, int64_t *value)
{
    if (!h || !value)
        return LM_E_INVALID_ARG;
    switch (option) {
    case LM_OPT_MAX_BYTES: *value = (int64_t)h->decode.max_bytes; return LM_OK;
    case LM_OPT_MAX_PIXELS: *value = (int64_t)h->decode.max_pixels; return LM_OK;
    case LM_OPT_MAX_DIMENSION: *value = h->decode.max_dimension; return LM_OK;
    case LM_OPT_DIHEDRAL: *value = h->dihedral; return LM_OK;
    case LM_OPT_EXIF_ORIENT: *value = h->decode.exif_orient; return LM_OK;
    case LM_OPT_ALPHA_BACKGROUND: *value = h->decode.alpha_background; return LM_OK;
    case LM_OPT_FAST: *value = h->decode.jpeg_dct_scale; return LM_OK;
    case LM_OPT_VIDEO_SAMPLING: *value = (int64_t)h->video.sampling; return LM_OK;
    case LM_OPT_VIDEO_INTERVAL_MS:
        *value = (int64_t)(h->video.interval_seconds * 1000.0 + 0.5);
        return LM_OK;
    case LM_OPT_VIDEO_MAX_FRAMES: *value = h->video.max_frames; return LM_OK;
    case LM_OPT_VIDEO_MAX_DURATION_S: *value = (int64_t)h->video.max_duration_seconds; return LM_OK;
    case LM_OPT_VIDEO_SCALE: *value = h->video.scale_width; return LM_OK;
    }
    return LM_E_UNKNOWN_OPTION;
}

const char *lm_hasher_last_error(const lm_hasher *h)
{
    return h ? h->err.msg : "";
}

lm_status lm_hash_pixels(lm_hasher *h, const uint8_t *pixels, uint32_t width, uint32_t height,
                         size_t stride, int channels, lm_image_hash *out)
{
    if (!h || !pixels || !out || (channels != 1 && channels != 3) || width == 0 || height == 0 ||
        stride < (size_t)width * (size_t)channels)
        return LM_E_INVALID_ARG;
    lm_errbuf_clear(&h->err);
    if ((uint64_t)width * height > h->decode.max_pixels)
        return lm_errbuf_set(&h->err, LM_E_LIMIT_PIXELS, "%ux%u exceeds %llu pixels", width, height,
                             (unsigned long long)h->decode.max_pixels);
    if (width > INT32_MAX / 2 || height > INT32_MAX / 2)
        return LM_E_LIMIT_DIMENSION;
    memset(out, 0, sizeof *out);
    if (lm_pdq_hash_pixels(pixels, width, height, stride, channels, h->dihedral, NULL, out) !=
        LM_OK)
        return lm_errbuf_set(&h->err, LM_E_NOMEM, "no memory for %ux%u luma", width, height);
    out->width = width;
    out->height = height;
    out->format = LM_FORMAT_UNKNOWN;
    return LM_OK;
}

lm_status lm_hash_memory(lm_hasher *h, const void *data, size_t len, lm_image_hash *out)
{
    if (!h || (!data && len) || !out)
        return LM_E_INVALID_ARG;
    lm_errbuf_clear(&h->err);
    return lm_hash_image_data(&h->decode, h->dihedral, data, len, NULL, out, &h->err);
}

lm_status lm_hash_file(lm_hasher *h, const char *path, lm_image_hash *out)
{
    if (!h || !path || !out)
        return LM_E_INVALID_ARG;
    lm_errbuf_clear(&h->err);
    uint8_t *data;
    size_t len;
    lm_status st = lm_read_file(path, h->decode.max_bytes, &data, &len, &h->err);
    if (st != LM_OK)
        return st;
    st = lm_hash_memory(h, data, len, out);
    free(data);
    return st;
}
