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
    uint64_t declared_samples; /* set by lm_av_open_input: samples an MP4/MOV's tables declare
                                  (UINT64_MAX: a compressed QuickTime header, cmov) */
} lm_av_src;

/*
 * Memory per item (issue 19). libavformat's mov demuxer allocates and fills one index entry
 * (24 bytes) per sample the file's tables declare, while opening and before reading any,
 * whatever the file's size: a 700-byte MP4 declaring 80 million constant-size samples made
 * pmatch use 1.9 GB. lm_av_open_input sums the declared samples of all tracks first and
 * refuses more than this (96 MiB of index; a 4 h video at 60 frames/s with its audio
 * declares about 1.5 million samples, at 240 frames/s about 4 million). A compressed
 * QuickTime header (cmov: the demuxer inflates it, then indexes the same way) cannot be
 * checked first and is refused too.
 */
#define LM_AV_MAX_DECLARED_SAMPLES (4u << 20)

/* The AVIOContext callbacks, exposed for tests/decode/test_av_io.c. */
int lm_av_src_read(void *src, uint8_t *buf, int want);
int64_t lm_av_src_seek(void *src, int64_t offset, int whence);

/* Opens a demuxer on src (which must outlive it): our AVIOContext, nested opens refused
 * (playlists, concat lists, image sequences), only the demuxers and decoders of
 * LM_AV_FORMAT_ALLOW/LM_AV_CODEC_ALLOW. Returns 0, a negative AVERROR from
 * avformat_open_input, 1 when out of memory before it, or 2 when the file declares more than
 * LM_AV_MAX_DECLARED_SAMPLES samples (src->declared_samples; nothing opened); *pb and *fmt are set
 * as far as they got, and lm_av_close_input frees them either way. FFmpeg must be loaded
 * (lm_av_load). */
int lm_av_open_input(lm_av_src *src, struct AVIOContext **pb, struct AVFormatContext **fmt);
void lm_av_close_input(struct AVIOContext **pb, struct AVFormatContext **fmt);

#endif
