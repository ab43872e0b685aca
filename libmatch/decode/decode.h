/*
 * Decoding: encoded bytes in, bounded 8-bit pixels out. Knows nothing of hashes.
 *
 * The output is what PDQ's reference hashes: 8-bit RGB, or 8-bit grey when
 * the source is greyscale (the reference takes grey values as luma directly).
 * When either dimension exceeds LM_DECODE_TARGET (512), the image is resampled
 * to exactly 512x512 by nearest neighbour while decoding (output column x takes
 * source column floor(x * width / 512), in double precision; likewise rows), so
 * no full-size pixel buffer is ever held.
 */
#ifndef LM_DECODE_DECODE_H
#define LM_DECODE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "libmatch.h"

#define LM_DECODE_TARGET 512
/*
 * Default jpeg_fast_min_side, chosen by measurement (tests/fastmode,
 * bench-fast-vs-exact): 256 lets a 12 MP photo decode at 1/8 (500x375) and a
 * 1024x768 one at 1/2, 15-25% faster than keeping 512, for a median distance
 * to exact of 0-2 bits and at most 8 on 200+ generated images (6 on Meta's).
 */
#define LM_JPEG_FAST_MIN_SIDE 256

typedef struct lm_decode_opts {
    uint64_t max_bytes;       /* LM_E_LIMIT_BYTES beyond this */
    uint64_t max_pixels;      /* LM_E_LIMIT_PIXELS when the header declares more */
    uint32_t max_dimension;   /* LM_E_LIMIT_DIMENSION when width or height is larger */
    int exif_orient;          /* apply EXIF orientation (JPEG) */
    uint8_t alpha_background; /* alpha is composited onto this grey level */
    /*
     * JPEG fast path (default off): let libjpeg-turbo scale by 1/2, 1/4 or 1/8
     * in the DCT domain when the image is resampled (a side > 512) and both
     * scaled sides stay >= jpeg_fast_min_side, then resample to 512x512 as
     * usual. NOT bit-exact with the reference; tests/fastmode reports and
     * bounds the distances.
     */
    int jpeg_dct_scale;
    /*
     * Fast path only: the smallest side the DCT-scaled image may have. 0 means
     * LM_JPEG_FAST_MIN_SIDE (chosen by measurement, see bench-fast-vs-exact);
     * below 512 the resampling step stretches the scaled image back to 512x512.
     */
    uint32_t jpeg_fast_min_side;
    /* For benchmarks: 1 decodes every JPEG row instead of skipping unneeded ones. */
    int jpeg_no_skip;
    /* For benchmarks and tests: 1 decodes PNG through libpng only (no png_fast.c). */
    int png_no_fast;
    /* The format lm_media_classify found (LM_FORMAT_UNKNOWN: sniff and probe here). Set by
     * the pipeline so that the still decoder does not sniff and probe a second time. */
    lm_format known_format;
} lm_decode_opts;

/* Safe defaults: 256 MiB, 100 MP, 65535, no EXIF, white background. */
void lm_decode_opts_default(lm_decode_opts *o);

typedef struct lm_pixels {
    uint8_t *data;                        /* owned; free with lm_pixels_free */
    uint32_t width, height;               /* of data (at most 512x512 after resampling) */
    size_t stride;                        /* bytes between rows */
    int channels;                         /* 1 (grey) or 3 (RGB) */
    uint32_t source_width, source_height; /* as declared by the file */
    lm_format format;
    /*
     * 1: every row decoded but the file ends early (a JPEG without its EOI
     * marker, a PNG without IEND or cut in the zlib trailer after the last
     * row). Files with rows missing are refused (LM_E_CORRUPT), whatever the share.
     */
    int truncated;
    /* 1: decoded by a fast path that is not the reference's (a JPEG scaled in the DCT
       domain, jpeg_dct_scale): its hash may differ from the reference's by a few bits. */
    int inexact;
} lm_pixels;

/* Sniff the format from magic bytes only. */
lm_format lm_sniff_format(const uint8_t *data, size_t len);

/*
 * Still image or video, decided once for the whole pipeline (decode/media.c, issue 15):
 * the magic bytes, and for anything they do not name one libavformat probe.
 *   LM_MEDIA_STILL   JPEG, PNG, HEIF/AVIF stills, BMP, TIFF, a WebP without the
 *                    animation flag, a GIF with one image, what a still-image demuxer
 *                    (*_pipe) reads: decode with lm_decode_image (known_format = *format)
 *   LM_MEDIA_VIDEO   a container with a video demuxer, an animated WebP or GIF (two or
 *                    more image blocks): the video path
 *   LM_MEDIA_NONE    nothing recognises it (or FFmpeg is missing, or no memory to probe):
 *                    lm_decode_image gives the precise status
 * *format is the format found (LM_FORMAT_OTHER for what only libavformat knows).
 */
typedef enum { LM_MEDIA_NONE = 0, LM_MEDIA_STILL = 1, LM_MEDIA_VIDEO = 2 } lm_media_kind;
lm_media_kind lm_media_classify(const uint8_t *data, size_t len, lm_format *format);

/* 1 when the bytes start a WebP file whose VP8X header has the animation flag. */
int lm_webp_is_animated(const uint8_t *data, size_t len);

/*
 * Decode data[0..len) into out, resampled as described above.
 * Returns LM_OK or LM_E_FORMAT, LM_E_CORRUPT, LM_E_NOMEM, LM_E_LIMIT_* with a
 * message in err. On error out is zeroed and owns nothing.
 */
lm_status lm_decode_image(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                          lm_pixels *out, lm_errbuf *err);

void lm_pixels_free(lm_pixels *p);

#endif
