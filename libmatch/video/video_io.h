/* Byte sources for libavformat: memory or an open file, behind our own AVIOContext. */
#ifndef LM_VIDEO_IO_H
#define LM_VIDEO_IO_H

#include <stdint.h>
#include <stdio.h>

#include <libavformat/avio.h>

typedef struct lm_video_src {
    const uint8_t *mem; /* memory source, or NULL */
    FILE *fp;           /* file source, or NULL */
    uint64_t size;      /* total bytes available (capped at max_bytes) */
    uint64_t pos;
    int io_error; /* a read from fp failed (not EOF) */
} lm_video_src;

/* An AVIOContext reading from src (which must outlive it); NULL when out of memory. */
AVIOContext *lm_video_avio_open(lm_video_src *src);
void lm_video_avio_close(AVIOContext **pb);

#endif
