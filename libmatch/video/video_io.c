#include "video_io.h"

#include <errno.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#define LM_VIDEO_IO_BUFFER (64 * 1024)

static int src_read(void *opaque, uint8_t *buf, int want)
{
    lm_video_src *s = opaque;
    if (want <= 0)
        return 0;
    /* Never past size: a file that grows while we read is cut at the limit. */
    uint64_t left = s->pos < s->size ? s->size - s->pos : 0;
    size_t n = (uint64_t)want < left ? (size_t)want : (size_t)left;
    if (n == 0)
        return AVERROR_EOF;
    if (s->mem) {
        memcpy(buf, s->mem + s->pos, n);
    } else {
        n = fread(buf, 1, n, s->fp);
        if (n == 0) {
            if (ferror(s->fp))
                s->io_error = 1;
            return ferror(s->fp) ? AVERROR(EIO) : AVERROR_EOF;
        }
    }
    s->pos += n;
    return (int)n;
}

static int64_t src_seek(void *opaque, int64_t offset, int whence)
{
    lm_video_src *s = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)s->size;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)s->pos; break;
    case SEEK_END: base = (int64_t)s->size; break;
    default: return AVERROR(EINVAL);
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
        return AVERROR(EINVAL);
    int64_t to = base + offset;
    if ((uint64_t)to > s->size)
        to = (int64_t)s->size; /* clamp: reads there return EOF */
    if (s->fp && fseeko(s->fp, (off_t)to, SEEK_SET) != 0)
        return AVERROR(EIO);
    s->pos = (uint64_t)to;
    return to;
}

AVIOContext *lm_video_avio_open(lm_video_src *src)
{
    uint8_t *buf = av_malloc(LM_VIDEO_IO_BUFFER);
    if (!buf)
        return NULL;
    AVIOContext *pb = avio_alloc_context(buf, LM_VIDEO_IO_BUFFER, 0, src, src_read, NULL, src_seek);
    if (!pb)
        av_free(buf);
    return pb;
}

void lm_video_avio_close(AVIOContext **pb)
{
    if (!pb || !*pb)
        return;
    av_freep(&(*pb)->buffer); /* may have been replaced by libavformat: free the current one */
    avio_context_free(pb);
}
