/* The one libavformat I/O layer: see av_io.h. */
#include "av_io.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

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

/* n bytes at off, the read position untouched; the bytes read (short at the end). */
static size_t src_pread(const lm_av_src *s, uint64_t off, uint8_t *buf, size_t n)
{
    if (off >= s->size)
        return 0;
    if (n > s->size - off)
        n = (size_t)(s->size - off);
    if (s->mem) {
        memcpy(buf, s->mem + off, n);
        return n;
    }
    ssize_t got = pread(fileno(s->fp), buf, n, (off_t)off);
    return got > 0 ? (size_t)got : 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Boxes visited at most: the walk reads a few bytes per box, and stays cheap on garbage. */
#define LM_AV_MP4_MAX_BOXES 100000

/*
 * The samples an ISO BMFF (MP4, MOV) file's sample tables declare, summed over its tracks:
 * moov/trak/mdia/minf/stbl/stsz (or stz2) sample counts. 0 for other data. libavformat's
 * mov demuxer allocates and fills an index entry per declared sample while opening, before
 * reading any; with a constant sample size the count costs 4 bytes of file for any number
 * of samples. *boxes counts the boxes visited (bounded). UINT64_MAX for a compressed movie
 * header (QuickTime cmov, whose tables the demuxer inflates and indexes the same way).
 */
static uint64_t mp4_declared_samples(const lm_av_src *s, uint64_t from, uint64_t to, int depth,
                                     unsigned *boxes)
{
    static const char *const path[] = {"moov", "trak", "mdia", "minf", "stbl"};
    uint64_t sum = 0;
    uint64_t at = from;
    while (at + 8 <= to && *boxes < LM_AV_MP4_MAX_BOXES) {
        ++*boxes;
        uint8_t h[16];
        if (src_pread(s, at, h, 8) != 8)
            break;
        uint64_t size = be32(h), head = 8;
        if (size == 1) {
            if (src_pread(s, at + 8, h + 8, 8) != 8)
                break;
            size = (uint64_t)be32(h + 8) << 32 | be32(h + 12);
            head = 16;
        } else if (size == 0) {
            size = to - at; /* to the end */
        }
        if (size < head)
            break; /* not boxes (or damage): the demuxer decides */
        uint64_t end = size > to - at ? to : at + size;
        if (depth == 1 && memcmp(h + 4, "cmov", 4) == 0)
            return UINT64_MAX; /* a zlib-compressed movie header: its tables are not visible */
        if (depth < 5 && memcmp(h + 4, path[depth], 4) == 0) {
            uint64_t add = mp4_declared_samples(s, at + head, end, depth + 1, boxes);
            if (add == UINT64_MAX)
                return UINT64_MAX;
            sum = add > UINT64_MAX - sum ? UINT64_MAX - 1 : sum + add;
        } else if (depth == 5 && (memcmp(h + 4, "stsz", 4) == 0 || memcmp(h + 4, "stz2", 4) == 0)) {
            uint8_t c[4]; /* after version/flags and the sample size (stz2: field size) */
            if (src_pread(s, at + head + 8, c, 4) == 4 && sum < UINT64_MAX - 1 - 0xffffffffu)
                sum += be32(c);
        }
        at = end;
    }
    return sum;
}

int lm_av_open_input(lm_av_src *src, AVIOContext **pb, AVFormatContext **fmt)
{
    *pb = NULL;
    *fmt = NULL;
    unsigned boxes = 0;
    src->declared_samples = mp4_declared_samples(src, 0, src->size, 0, &boxes);
    if (src->declared_samples > LM_AV_MAX_DECLARED_SAMPLES)
        return 2;
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
