/* The one libavformat I/O layer: see av_io.h. */
#include "av_io.h"

#include <errno.h>
#include <string.h>

#include "av_lazy.h"
#include "decode_internal.h"

#define LM_AV_IO_BUFFER (64 * 1024)

int lm_av_src_read(void *opaque, uint8_t *buf, int want)
{
    lm_av_src *s = opaque;
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

int64_t lm_av_src_seek(void *opaque, int64_t offset, int whence)
{
    lm_av_src *s = opaque;
    if (whence & AVSEEK_SIZE)
        return (int64_t)s->size;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = s->pos > INT64_MAX ? INT64_MAX : (int64_t)s->pos; break;
    case SEEK_END: base = (int64_t)s->size; break;
    default: return AVERROR(EINVAL);
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
        return AVERROR(EINVAL);
    int64_t to = base + offset;
    /* A file keeps its read position where the data is (reads past size give EOF anyway). */
    if (s->fp && (uint64_t)to <= s->size && fseeko(s->fp, (off_t)to, SEEK_SET) != 0)
        return AVERROR(EIO);
    s->pos = (uint64_t)to;
    return to;
}

/* Only the caller's bytes: a demuxer asking for another file or URL is refused. */
static int refuse_io_open(struct AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                          AVDictionary **options)
{
    return AVERROR(EPERM);
}

int lm_av_open_input(lm_av_src *src, AVIOContext **pb, AVFormatContext **fmt)
{
    *pb = NULL;
    *fmt = NULL;
    uint8_t *buf = av_malloc(LM_AV_IO_BUFFER);
    if (!buf)
        return 1;
    *pb = avio_alloc_context(buf, LM_AV_IO_BUFFER, 0, src, lm_av_src_read, NULL, lm_av_src_seek);
    if (!*pb) {
        av_free(buf);
        return 1;
    }
    *fmt = avformat_alloc_context();
    if (!*fmt)
        return 1;
    (*fmt)->pb = *pb;
    (*fmt)->flags |= AVFMT_FLAG_CUSTOM_IO;
    (*fmt)->io_open = refuse_io_open;
    (*fmt)->format_whitelist = av_strdup(LM_AV_FORMAT_ALLOW);
    (*fmt)->codec_whitelist = av_strdup(LM_AV_CODEC_ALLOW);
    if (!(*fmt)->format_whitelist || !(*fmt)->codec_whitelist)
        return 1;
    return avformat_open_input(fmt, NULL, NULL, NULL); /* frees *fmt on failure */
}

void lm_av_close_input(AVIOContext **pb, AVFormatContext **fmt)
{
    if (fmt)
        avformat_close_input(fmt);
    if (pb && *pb) {
        av_freep(&(*pb)->buffer); /* may have been replaced by libavformat */
        avio_context_free(pb);
    }
}
