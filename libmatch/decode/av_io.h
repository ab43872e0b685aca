/*
 * The one libavformat I/O layer (issue 15): bytes in memory or an open file behind our
 * own AVIOContext, and the one way libmatch opens a demuxer on them (decode/libav.c for
 * still images, video/video_hash.c for videos).
 *
 * The source behaves like a regular file of `size` bytes: a seek may go anywhere from 0
 * on, past the end included, and returns the position asked for (libavformat's own
 * position is the requested offset whatever the callback returns); reads at or past the
 * end return AVERROR_EOF. A negative target or an unknown whence is AVERROR(EINVAL).
 */
#ifndef LM_DECODE_AV_IO_H
#define LM_DECODE_AV_IO_H

#include <stdint.h>
#include <stdio.h>

struct AVIOContext;
struct AVFormatContext;

typedef struct lm_av_src {
    const uint8_t *mem; /* memory source, or NULL */
    FILE *fp;           /* file source, or NULL */
    uint64_t size;      /* total bytes available (capped at max_bytes) */
    uint64_t pos;       /* may be past size after a seek there */
    int io_error;       /* a read from fp failed (not EOF) */
} lm_av_src;

/* The AVIOContext callbacks, exposed for tests/decode/test_av_io.c. */
int lm_av_src_read(void *src, uint8_t *buf, int want);
int64_t lm_av_src_seek(void *src, int64_t offset, int whence);

/* Opens a demuxer on src (which must outlive it): our AVIOContext, nested opens refused
 * (playlists, concat lists, image sequences), only the demuxers and decoders of
 * LM_AV_FORMAT_ALLOW/LM_AV_CODEC_ALLOW. Returns 0, a negative AVERROR from
 * avformat_open_input, or 1 when out of memory before it; *pb and *fmt are set as far
 * as they got, and lm_av_close_input frees them either way.
 * FFmpeg must be loaded (lm_av_load). */
int lm_av_open_input(lm_av_src *src, struct AVIOContext **pb, struct AVFormatContext **fmt);
void lm_av_close_input(struct AVIOContext **pb, struct AVFormatContext **fmt);

#endif
