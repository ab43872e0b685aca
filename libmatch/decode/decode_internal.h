/*
 * Internal pieces of the decoder, one per file: sniffing, the bounded row
 * sink that resamples while decoding, alpha compositing, EXIF orientation and
 * one decoder per library. Nothing here is exported.
 */
#ifndef LM_DECODE_INTERNAL_H
#define LM_DECODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "errbuf.h"
#include "libmatch.h"

/* ---- limits.c ---------------------------------------------------------- */

/* LM_E_CORRUPT for an empty image, LM_E_LIMIT_DIMENSION / LM_E_LIMIT_PIXELS past the limits. */
lm_status lm_check_dimensions(uint64_t width, uint64_t height, const lm_decode_opts *opts,
                              const char *what, lm_errbuf *err);

/* ---- resample.c: rows in, bounded pixels out ---------------------------- */

/*
 * Receives decoded source rows top to bottom and keeps only those the output
 * needs. The output is the source size when both dimensions are at most
 * LM_DECODE_TARGET, else exactly TARGET x TARGET by nearest neighbour
 * (output row y takes source row floor(y * h / TARGET); same for columns).
 */
typedef struct lm_rowsink {
    lm_pixels *out;        /* data allocated by lm_rowsink_init */
    uint32_t *xmap;        /* source column of each output column */
    uint32_t next_y;       /* next output row to fill */
    uint32_t src_w, src_h; /* of the rows pushed (the decoder may have scaled them) */
} lm_rowsink;

lm_status lm_rowsink_init(lm_rowsink *s, lm_pixels *out, uint32_t src_w, uint32_t src_h,
                          int channels, lm_errbuf *err);
/*
 * As above for rows a decoder has already scaled down from full_w x full_h
 * (JPEG DCT scaling): whether to resample to TARGET x TARGET is decided on the
 * full size, so an image scaled below TARGET is stretched back up to it.
 */
lm_status lm_rowsink_init_scaled(lm_rowsink *s, lm_pixels *out, uint32_t src_w, uint32_t src_h,
                                 uint32_t full_w, uint32_t full_h, int channels, lm_errbuf *err);
/* The next source row the output needs (src_h once the output is complete). */
uint32_t lm_rowsink_next_row(const lm_rowsink *s);
/* Non-zero when source row sy feeds at least one output row (decoders may skip work if not). */
int lm_rowsink_wants(const lm_rowsink *s, uint32_t sy);
/* row holds src_w pixels of out->channels bytes. Rows must arrive in increasing sy. */
void lm_rowsink_put(lm_rowsink *s, uint32_t sy, const uint8_t *row);
/*
 * As lm_rowsink_put for a row the caller has already resampled horizontally:
 * out->width pixels, pixel x taken from source column xmap[x].
 */
void lm_rowsink_put_picked(lm_rowsink *s, uint32_t sy, const uint8_t *row);
/* The source row output row out_y takes (decoders that fill rows out of order). */
uint32_t lm_rowsink_source_row(const lm_rowsink *s, uint32_t out_y);
/* Non-zero once every output row has been filled. */
int lm_rowsink_done(const lm_rowsink *s);
/* Frees the sink's own scratch (not out->data). */
void lm_rowsink_release(lm_rowsink *s);

/* ---- alpha.c ------------------------------------------------------------ */

/*
 * Convert n pixels with in_ch channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
 * to out_ch channels (1 or 3), compositing alpha onto the grey level bg.
 * in_ch 1/2 may go to out_ch 3 (grey replicated); in_ch 3/4 needs out_ch 3.
 */
void lm_alpha_row(const uint8_t *in, int in_ch, uint8_t *out, int out_ch, size_t n, uint8_t bg);

/* ---- exif.c ------------------------------------------------------------- */

/* EXIF orientation 1..8 from an APP1 payload ("Exif\0\0" + TIFF), or 0 when absent/invalid. */
int lm_exif_orientation(const uint8_t *app1, size_t len);
/* Apply orientation 2..8 to p in place (may swap width and height). */
lm_status lm_orient_pixels(lm_pixels *p, int orientation, lm_errbuf *err);

/* ---- one decoder per library -------------------------------------------- */

lm_status lm_decode_jpeg(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                         lm_pixels *out, lm_errbuf *err);
lm_status lm_decode_png(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                        lm_errbuf *err);
/* png_fast.c: 1 when it decoded the file (result in *status), 0 to leave it to libpng. */
int lm_png_fast(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                lm_errbuf *err, lm_status *status);
/* JPEG XL stills (jxl.c; LM_E_UNSUPPORTED when libjxl is absent or animated). */
lm_status lm_decode_jxl(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                        lm_errbuf *err);
/* 1 for a JPEG XL codestream (FF 0A) or container signature box. */
int lm_sniff_jxl(const uint8_t *d, size_t n);
/* HEIF/HEIC and AVIF stills (heif.c). */
lm_status lm_decode_heif(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                         lm_pixels *out, lm_errbuf *err);
/* LM_FORMAT_HEIF / LM_FORMAT_AVIF for a still image's ftyp brands, else LM_FORMAT_UNKNOWN
 * (image sequences and animated AVIF are left to libavformat: videos). */
lm_format lm_sniff_heif(const uint8_t *d, size_t n);
/* Everything else. format is the sniffed one (LM_FORMAT_OTHER when only libavformat knew it). */
lm_status lm_decode_libav(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                          lm_format format, lm_pixels *out, lm_errbuf *err);
/*
 * The demuxers and decoders libmatch opens through libavformat/libavcodec
 * (issue 19, item 7): the containers and codecs of images and videos the
 * project supports. Everything else FFmpeg knows (game-music emulators that
 * inflate a whole gzip stream, playlists, exotic image pipes ...) is refused
 * before its read_header runs. Comma-separated, as format_whitelist wants.
 */
#define LM_AV_FORMAT_ALLOW                                                                         \
    "mov,mp4,matroska,webm,avi,flv,mpegts,mpeg,asf,ogg,nut,yuv4mpegpipe,"                          \
    "gif,apng,webp_pipe,bmp_pipe,tiff_pipe,png_pipe,jpeg_pipe,gif_pipe,jpegxl_pipe"
#define LM_AV_CODEC_ALLOW                                                                          \
    "h264,hevc,vp8,vp9,av1,libdav1d,libaom-av1,mpeg4,mpeg1video,mpeg2video,mjpeg,h263,"            \
    "msmpeg4v2,msmpeg4v3,wmv1,wmv2,wmv3,vc1,theora,flv,prores,rawvideo,gif,apng,png,webp,"         \
    "bmp,tiff,jpegxl,libjxl,"                                                                      \
    "aac,mp3,mp3float,opus,libopus,vorbis,flac,ac3,pcm_s16le,pcm_s16be"
/* 1 when a demuxer (its libavformat name, "a,b,c" forms included) / a decoder is allowed. */
int lm_av_format_allowed(const char *name);
int lm_av_codec_allowed(const char *name);
/* 1 when libavformat recognises data with good confidence, 0 if not, -1 out of memory,
 * -2 when FFmpeg cannot be loaded (av_lazy.h). */
int lm_libav_probe(const uint8_t *data, size_t len);
/* As lm_libav_probe; on 1, *demuxer (may be NULL) is the demuxer's name (static). */
int lm_libav_probe_demuxer(const uint8_t *data, size_t len, const char **demuxer);
/* Loads FFmpeg on first use (av_lazy.c): LM_OK, or LM_E_UNSUPPORTED naming what is missing. */
int lm_av_load(lm_errbuf *err);

/* ---- header_dims.c -------------------------------------------------------- */

/*
 * Dimensions declared in the header of GIF, WebP and BMP files, read before
 * handing them to libavcodec, so limits give their own error code instead of
 * a generic decoder failure. Returns 0 when unknown.
 */
int lm_header_dims(const uint8_t *data, size_t len, lm_format format, uint64_t *width,
                   uint64_t *height);

#endif
