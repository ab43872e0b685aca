/*
 * The video pipeline: demux -> decode -> sample -> RGB24 (SWS_AREA) -> orient -> PDQ.
 *
 * Matches Meta's vPDQ reference (vpdq/cpp/vpdq/cpp/hashing) where it matters for
 * the hashes: the (best) video stream, every decoded frame numbered in
 * output order, RGB24 through libswscale's area filter at the native size (or the
 * requested one), PDQ on that buffer. The default scaler is libswscale's bit-exact
 * Lanczos path (see lm_video_scaler). Unlike the reference it never changes
 * libav's global log level, never opens URLs and bounds every resource.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "border.h"
#include "pixel_hash.h"
#include "video.h"
#include "video_sample.h"
#include "webp_anim.h"
#include "decode_internal.h"
#include "av_io.h"
#include "av_lazy.h"
#include "orient.h"

/* Decoder messages are pushed below every log level a caller would normally set. */
#define LM_VIDEO_LOG_OFFSET 64
/* Frames decoded per second of allowed duration before we call the stream hostile:
 * bounds the work when timestamps are missing or never advance (240 fps is the
 * fastest real camera rate in common use). */
#define LM_VIDEO_MAX_DECODE_RATE 240.0
/* A stream with this many failed packets and nothing decoded is not worth reading on. */
#define LM_VIDEO_MAX_DECODE_ERRORS 1000

typedef struct vctx {
    const lm_video_opts *o;
    lm_errbuf *err;
    lm_video_info *info;
    lm_vpdq_frames *out;
    size_t hashed;

    lm_av_src src;
    AVIOContext *pb;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *st;
    int si;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;

    uint8_t *rgb, *rot; /* RGB24 frame and its oriented copy */
    size_t rgb_cap, rot_cap;
    lm_pdq_scratch pdq; /* luma and scratch, kept from frame to frame */

    lm_xform xf;
    double fps;
    int64_t start_pts;
    int64_t decoded;
    int decode_errors;
    lm_video_sampler sampler;
    uint8_t head[32];
    size_t head_len;
    int animated_webp;
    uint8_t *flat; /* an animated WebP canvas composited onto white, RGB24 */
    size_t flat_cap;
    int64_t last_end; /* end (pts or dts + duration) of the last video packet read, or NOPTS */
} vctx;

/* The frames stop before the stream does (lm_video_info.truncated). */
static void mark_truncated(vctx *c)
{
    if (c->info)
        c->info->truncated = 1;
}

/* Where the video packets read so far end, in the stream's time base. */
static void note_packet_end(vctx *c, const AVPacket *pkt)
{
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (ts == AV_NOPTS_VALUE)
        return;
    int64_t end = pkt->duration > 0 && ts <= INT64_MAX - pkt->duration ? ts + pkt->duration : ts;
    if (c->last_end == AV_NOPTS_VALUE || end > c->last_end)
        c->last_end = end;
}

/*
 * A file cut where its container keeps no sample index (or keeps it in the part that was
 * cut: Matroska's cues) ends in a clean EOF; the declared duration then tells: the video
 * stream's own, or the container's when the video is its only stream (with other streams
 * the container's may be an audio track's, longer than the video); never one libavformat
 * estimated from the bit rate. Only a large gap counts (under 90% of the declared duration
 * and at least 1 s short): declared durations and packet timestamps differ by a frame or two
 * in ordinary files (a last packet without a duration).
 */
static int ends_before_declared(const vctx *c, double *got, double *declared)
{
    const AVStream *vs = c->fmt->streams[c->si];
    if (c->last_end == AV_NOPTS_VALUE || vs->time_base.num <= 0 || vs->time_base.den <= 0)
        return 0;
    /* A duration guessed from the bit rate and the file size is no declaration (MPEG-PS/TS
     * without timestamps to go by): a variable bit rate makes it wrong either way. */
    if (c->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return 0;
    double tb = av_q2d(vs->time_base);
    if (vs->duration > 0 && vs->duration != AV_NOPTS_VALUE)
        *declared = (double)vs->duration * tb;
    else if (c->fmt->nb_streams == 1 && c->fmt->duration > 0 && c->fmt->duration != AV_NOPTS_VALUE)
        *declared = (double)c->fmt->duration / AV_TIME_BASE;
    else
        return 0;
    int64_t start = vs->start_time != AV_NOPTS_VALUE ? vs->start_time : 0;
    *got = ((double)c->last_end - (double)start) * tb;
    return *got < 0.9 * *declared && *got + 1.0 < *declared;
}

void lm_video_opts_default(lm_video_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sampling = LM_VIDEO_SAMPLE_ALL;
    o->interval_seconds = 1.0;
    o->apply_rotation = 1;
    o->threads = 1;
    o->max_bytes = (uint64_t)2 << 30;
    o->max_pixels = (uint64_t)16 << 20;
    o->max_duration_seconds = 4.0 * 3600.0;
    o->max_frames = 200000;
}

void lm_vpdq_frames_free(lm_vpdq_frames *f)
{
    if (!f)
        return;
    free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}

lm_status lm_vpdq_frames_push(lm_vpdq_frames *f, const lm_video_frame *fr)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        if (cap > SIZE_MAX / sizeof *f->v)
            return LM_E_NOMEM;
        lm_video_frame *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return LM_E_NOMEM;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = *fr;
    return LM_OK;
}

static lm_status av_status(vctx *c, int averr, lm_status fallback, const char *what)
{
    char msg[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(averr, msg, sizeof msg);
    lm_status st = averr == AVERROR(ENOMEM) ? LM_E_NOMEM : fallback;
    return lm_errbuf_set(c->err, st, "video: %s: %s", what, msg);
}

/* The demuxer's memory use follows the sizes a file declares; a refused allocation there
 * means an implausible size (av_malloc caps single blocks), i.e. a corrupt file. */
static lm_status demux_status(vctx *c, int averr, lm_status fallback, const char *what)
{
    if (averr == AVERROR(ENOMEM))
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "video: %s: implausible sizes in the file",
                             what);
    return av_status(c, averr, fallback, what);
}

static int is_still_image_demuxer(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "image2") == 0 || (n > 5 && strcmp(name + n - 5, "_pipe") == 0);
}

/* Image formats that may be animated: a video only when more than one frame decodes. */
static int is_animated_image_demuxer(const char *name)
{
    return strcmp(name, "gif") == 0 || strcmp(name, "apng") == 0 || strcmp(name, "webp_pipe") == 0;
}

static lm_status open_input(vctx *c)
{
    /* Only the containers and codecs the project supports (decode/av_io.h). */
    int r = lm_av_open_input(&c->src, &c->pb, &c->fmt);
    if (r == 1)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    if (r == 2 && c->src.declared_samples == UINT64_MAX)
        return lm_errbuf_set(c->err, LM_E_LIMIT_FRAMES,
                             "video: a compressed movie header (cmov): its sample tables cannot "
                             "be checked before the demuxer indexes them");
    if (r == 2)
        return lm_errbuf_set(c->err, LM_E_LIMIT_FRAMES,
                             "video: the container declares %llu samples, more than %u (their "
                             "index alone would take %llu MiB)",
                             (unsigned long long)c->src.declared_samples,
                             LM_AV_MAX_DECLARED_SAMPLES,
                             (unsigned long long)(c->src.declared_samples * 24 >> 20));
    if (r < 0)
        return demux_status(c, r, LM_E_FORMAT, "not a readable container");
    if (is_still_image_demuxer(c->fmt->iformat->name) && !c->animated_webp)
        return lm_errbuf_set(c->err, LM_E_FORMAT, "video: %s is a still image, not a video",
                             c->fmt->iformat->name);

    /* Stream probing decodes a few frames: bound it like the real decoder. */
    unsigned ns = c->fmt->nb_streams;
    AVDictionary **po = ns ? av_calloc(ns, sizeof *po) : NULL;
    if (ns && !po)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    for (unsigned i = 0; i < ns; i++) {
        av_dict_set_int(&po[i], "max_pixels", (int64_t)c->o->max_pixels, 0);
        av_dict_set_int(&po[i], "threads", 1, 0);
        av_dict_set_int(&po[i], "log_level_offset", LM_VIDEO_LOG_OFFSET, 0);
    }
    r = avformat_find_stream_info(c->fmt, po);
    for (unsigned i = 0; i < ns; i++)
        av_dict_free(&po[i]);
    av_free(po);
    if (r < 0)
        return demux_status(c, r, LM_E_CORRUPT, "stream info");
    return LM_OK;
}

static void read_orientation(vctx *c)
{
    const int32_t *m = NULL;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData *sd =
        av_packet_side_data_get(c->st->codecpar->coded_side_data,
                                c->st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    if (sd && sd->size >= 9 * sizeof(int32_t))
        m = (const int32_t *)sd->data;
#else
    size_t size = 0;
    const uint8_t *sd = av_stream_get_side_data(c->st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (sd && size >= 9 * sizeof(int32_t))
        m = (const int32_t *)sd;
#endif
    c->xf = (m && c->o->apply_rotation) ? lm_xform_from_matrix(m) : LM_XF_NONE;
}

static lm_status open_stream(vctx *c)
{
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(c->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si == AVERROR_DECODER_NOT_FOUND)
        return lm_errbuf_set(c->err, LM_E_UNSUPPORTED, "video: no decoder for the video stream");
    if (si < 0)
        return lm_errbuf_set(c->err, LM_E_FORMAT, "video: no video stream");
    c->si = si;
    c->st = c->fmt->streams[si];
    for (unsigned i = 0; i < c->fmt->nb_streams; i++)
        if ((int)i != si)
            c->fmt->streams[i]->discard = AVDISCARD_ALL;

    const AVCodecParameters *par = c->st->codecpar;
    if (par->width > 0 && par->height > 0 &&
        (uint64_t)par->width * (uint64_t)par->height > c->o->max_pixels)
        return lm_errbuf_set(c->err, LM_E_LIMIT_PIXELS, "video: %dx%d frames exceed %llu pixels",
                             par->width, par->height, (unsigned long long)c->o->max_pixels);

    double duration = 0.0;
    if (c->fmt->duration > 0)
        duration = (double)c->fmt->duration / AV_TIME_BASE;
    else if (c->st->duration > 0)
        duration = (double)c->st->duration * av_q2d(c->st->time_base);
    if (duration > c->o->max_duration_seconds)
        return lm_errbuf_set(c->err, LM_E_LIMIT_DURATION, "video: %.1f s exceeds %.1f s", duration,
                             c->o->max_duration_seconds);

    AVRational fr = c->st->avg_frame_rate;
    if (fr.num <= 0 || fr.den <= 0)
        fr = c->st->r_frame_rate;
    c->fps = (fr.num > 0 && fr.den > 0) ? av_q2d(fr) : 0.0;
    c->start_pts = c->st->start_time;
    read_orientation(c);

    if (!lm_av_codec_allowed(codec->name))
        return lm_errbuf_set(c->err, LM_E_UNSUPPORTED, "video: decoder %s not supported",
                             codec->name);
    c->dec = avcodec_alloc_context3(codec);
    if (!c->dec)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    int r = avcodec_parameters_to_context(c->dec, par);
    if (r < 0)
        return av_status(c, r, LM_E_CORRUPT, "codec parameters");
    c->dec->max_pixels = (int64_t)c->o->max_pixels;
    c->dec->thread_count = c->o->threads;
    c->dec->thread_type = FF_THREAD_SLICE | FF_THREAD_FRAME;
    c->dec->log_level_offset = LM_VIDEO_LOG_OFFSET;
    if (c->o->sampling == LM_VIDEO_SAMPLE_KEYFRAMES)
        c->dec->skip_frame = AVDISCARD_NONKEY;
    r = avcodec_open2(c->dec, codec, NULL);
    if (r < 0)
        return av_status(c, r, LM_E_UNSUPPORTED, "opening the decoder");

    if (c->info) {
        c->info->width = par->width;
        c->info->height = par->height;
        c->info->fps = c->fps;
        c->info->duration = duration;
        c->info->rotation = lm_xform_degrees(c->xf);
        snprintf(c->info->container, sizeof c->info->container, "%s", c->fmt->iformat->name);
        snprintf(c->info->codec, sizeof c->info->codec, "%s", codec->name);
    }
    return LM_OK;
}

/* Grow *buf to at least n bytes (libav-aligned, so swscale's SIMD may write whole vectors). */
static int reserve(uint8_t **buf, size_t *cap, size_t n)
{
    if (*cap >= n)
        return 0;
    av_freep(buf);
    *cap = 0;
    *buf = av_malloc(n + 64);
    if (!*buf)
        return -1;
    *cap = n;
    return 0;
}

static double frame_seconds(vctx *c, const AVFrame *f, int64_t index)
{
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        return (double)index / (c->fps > 0.0 ? c->fps : 30.0);
    if (c->start_pts == AV_NOPTS_VALUE)
        c->start_pts = pts; /* no declared start: the first frame is time zero */
    return (double)(pts - c->start_pts) * av_q2d(c->st->time_base);
}

/* RGB24 of the frame at (w, h), oriented; returns the buffer to hash and its shape. */
static lm_status to_rgb(vctx *c, const AVFrame *f, int w, int h, const uint8_t **pix, int *pw,
                        int *ph, size_t *pstride)
{
    /* The bit-exact C paths give the same pixels on every CPU; Lanczos is what reproduces
     * Meta's published sample hashes (see the agreement test), area what its current code asks. */
    int flags = c->o->scaler == LM_VIDEO_SCALER_AREA
                    ? SWS_AREA
                    : SWS_LANCZOS | SWS_ACCURATE_RND | SWS_BITEXACT;
    c->sws = sws_getCachedContext(c->sws, f->width, f->height, f->format, w, h, AV_PIX_FMT_RGB24,
                                  flags, NULL, NULL, NULL);
    if (!c->sws)
        return lm_errbuf_set(c->err, LM_E_UNSUPPORTED, "video: cannot convert pixel format %d",
                             f->format);
    size_t stride = ((size_t)w * 3 + 63) & ~(size_t)63;
    if (reserve(&c->rgb, &c->rgb_cap, stride * (size_t)h))
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    uint8_t *dst[4] = {c->rgb, NULL, NULL, NULL};
    int dst_stride[4] = {(int)stride, 0, 0, 0};
    if (sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
                  dst_stride) != h)
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "video: frame conversion failed");

    if (c->xf == LM_XF_NONE) {
        *pix = c->rgb, *pw = w, *ph = h, *pstride = stride;
        return LM_OK;
    }
    int ow = lm_xform_swaps(c->xf) ? h : w, oh = lm_xform_swaps(c->xf) ? w : h;
    size_t ostride = (size_t)ow * 3;
    if (reserve(&c->rot, &c->rot_cap, ostride * (size_t)oh))
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    lm_xform_pixels(c->xf, c->rgb, (uint32_t)w, (uint32_t)h, stride, 3, c->rot, ostride);
    *pix = c->rot, *pw = ow, *ph = oh, *pstride = ostride;
    return LM_OK;
}

static lm_status hash_rgb(vctx *c, const uint8_t *pix, int w, int h, size_t stride,
                          lm_video_frame *fr)
{
    lm_image_hash ih;
    if (lm_pdq_hash_pixels(pix, (uint32_t)w, (uint32_t)h, stride, 3, 0, &c->pdq, &ih) != LM_OK)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    fr->pdq = ih.pdq;
    fr->quality = ih.quality;
    return LM_OK;
}

/* Frame number index of the stream, starting t seconds in: limits, sampling, hashing. */
static lm_status on_frame_at(vctx *c, const AVFrame *f, int64_t index, double t)
{
    c->decoded = index + 1;
    if (c->info)
        c->info->frames_decoded = c->decoded;
    if (t > c->o->max_duration_seconds)
        return lm_errbuf_set(c->err, LM_E_LIMIT_DURATION, "video: frame at %.1f s beyond %.1f s", t,
                             c->o->max_duration_seconds);
    if ((double)c->decoded > c->o->max_duration_seconds * LM_VIDEO_MAX_DECODE_RATE + 1000.0)
        return lm_errbuf_set(c->err, LM_E_LIMIT_FRAMES,
                             "video: %lld frames decoded without passing the duration limit",
                             (long long)c->decoded);
    if (f->width < 1 || f->height < 1)
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "video: empty frame");
    if ((uint64_t)f->width * (uint64_t)f->height > c->o->max_pixels)
        return lm_errbuf_set(c->err, LM_E_LIMIT_PIXELS, "video: %dx%d frame exceeds %llu pixels",
                             f->width, f->height, (unsigned long long)c->o->max_pixels);
    if (!lm_video_sampler_take(&c->sampler, t))
        return LM_OK;
    if (c->hashed >= c->o->max_frames)
        return lm_errbuf_set(c->err, LM_E_LIMIT_FRAMES, "video: more than %u frames to hash",
                             (unsigned)c->o->max_frames);

    int w = c->o->scale_width > 0 ? c->o->scale_width : f->width;
    int h = c->o->scale_height > 0 ? c->o->scale_height : f->height;
    const uint8_t *pix = NULL;
    int pw = 0, ph = 0;
    size_t stride = 0;
    lm_video_frame fr = {0};
    lm_status st = to_rgb(c, f, w, h, &pix, &pw, &ph, &stride);
    if (st == LM_OK && c->o->crop_borders) {
        /* Letterbox and pillarbox bars: PDQ sees them as picture (a barred copy is ~100 bits
         * from the original). Off by default: Meta's vPDQ does not crop, and the hashes in a
         * shared list must be made the same way as the queries. */
        lm_border_bands b;
        lm_border_detect(&lm_border_video, pix, (uint32_t)pw, (uint32_t)ph, stride, 3, &b);
        pix += (size_t)b.top * stride + (size_t)b.left * 3;
        pw -= (int)(b.left + b.right);
        ph -= (int)(b.top + b.bottom);
    }
    if (st == LM_OK)
        st = hash_rgb(c, pix, pw, ph, stride, &fr);
    if (st != LM_OK)
        return st;
    /* Key frames are numbered by their place in the full stream, not among key frames. */
    fr.frame_number = (c->o->sampling == LM_VIDEO_SAMPLE_KEYFRAMES && c->fps > 0.0)
                          ? (int64_t)llround(t * c->fps)
                          : index;
    fr.timestamp = t > 0.0 ? t : 0.0; /* edit lists can start a stream slightly negative */
    if (lm_vpdq_frames_push(c->out, &fr) != LM_OK)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    c->hashed++;
    return LM_OK;
}

static lm_status on_frame(vctx *c, const AVFrame *f)
{
    return on_frame_at(c, f, c->decoded, frame_seconds(c, f, c->decoded));
}

/* Feed one packet (NULL: flush) and hash what comes out. */
static lm_status decode(vctx *c, const AVPacket *pkt)
{
    int r = avcodec_send_packet(c->dec, pkt);
    if (r < 0 && r != AVERROR(EAGAIN) && r != AVERROR_EOF) {
        if (r == AVERROR(ENOMEM))
            return av_status(c, r, LM_E_NOMEM, "decoding");
        /* A damaged packet: skip it, as players do, but not forever. */
        if (++c->decode_errors > LM_VIDEO_MAX_DECODE_ERRORS && c->decoded == 0)
            return av_status(c, r, LM_E_CORRUPT, "decoding");
        return LM_OK;
    }
    for (;;) {
        r = avcodec_receive_frame(c->dec, c->frame);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return LM_OK;
        if (r < 0) {
            if (r == AVERROR(ENOMEM))
                return av_status(c, r, LM_E_NOMEM, "decoding");
            if (++c->decode_errors > LM_VIDEO_MAX_DECODE_ERRORS && c->decoded == 0)
                return av_status(c, r, LM_E_CORRUPT, "decoding");
            return LM_OK;
        }
        lm_status st = on_frame(c, c->frame);
        av_frame_unref(c->frame);
        if (st != LM_OK)
            return st;
    }
}

static lm_status run(vctx *c)
{
    lm_status st = open_input(c);
    if (st == LM_OK)
        st = open_stream(c);
    if (st != LM_OK)
        return st;
    c->pkt = av_packet_alloc();
    c->frame = av_frame_alloc();
    if (!c->pkt || !c->frame)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    lm_video_sampler_init(&c->sampler, c->o->sampling, c->o->interval_seconds);

    int r;
    c->last_end = AV_NOPTS_VALUE;
    while ((r = av_read_frame(c->fmt, c->pkt)) >= 0) {
        if (c->pkt->stream_index == c->si)
            note_packet_end(c, c->pkt);
        int wanted =
            c->pkt->stream_index == c->si &&
            (c->o->sampling != LM_VIDEO_SAMPLE_KEYFRAMES || (c->pkt->flags & AV_PKT_FLAG_KEY));
        st = wanted ? decode(c, c->pkt) : LM_OK;
        av_packet_unref(c->pkt);
        if (st != LM_OK)
            return st;
    }
    /* Drain the decoder even after a read error: frames already sent are good. */
    st = decode(c, NULL);
    if (st != LM_OK)
        return st;
    if (c->src.io_error) {
        mark_truncated(c);
        return lm_errbuf_set(c->err, LM_E_IO, "video: read error");
    }
    if (r != AVERROR_EOF) {
        mark_truncated(c); /* the packets after the damage were never read */
        return demux_status(c, r, LM_E_CORRUPT, "reading packets");
    }
    /* A cut-off file ends in EOF as if complete; the container's own sample index (MP4, MOV,
     * Matroska cues) tells: samples it places beyond the end of the file were never read. */
    AVStream *vs = c->fmt->streams[c->si];
    int nidx = avformat_index_get_entries_count(vs);
    const AVIndexEntry *last = nidx > 0 ? avformat_index_get_entry(vs, nidx - 1) : NULL;
    if (last && last->pos >= 0 && (uint64_t)last->pos + (uint64_t)last->size > c->src.size) {
        mark_truncated(c);
        return lm_errbuf_set(c->err, LM_E_CORRUPT,
                             "video: truncated: the container places frames up to byte %llu of "
                             "a %llu-byte file",
                             (unsigned long long)last->pos + (unsigned long long)last->size,
                             (unsigned long long)c->src.size);
    }
    if (c->decoded == 0)
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "video: no frame could be decoded");
    if (c->decoded == 1 && is_animated_image_demuxer(c->fmt->iformat->name)) {
        c->out->n -= c->hashed; /* a still image is never a video */
        c->hashed = 0;
        return lm_errbuf_set(c->err, LM_E_FORMAT, "video: a still %s image, not a video",
                             c->fmt->iformat->name);
    }
    double got, declared;
    if (ends_before_declared(c, &got, &declared)) {
        mark_truncated(c);
        return lm_errbuf_set(c->err, LM_E_CORRUPT,
                             "video: truncated: the video packets end at %.2f s of a declared "
                             "%.2f s",
                             got, declared);
    }
    return LM_OK;
}

/* Frames of an animated WebP (libwebp) go through on_frame_at like decoded video frames. */
static lm_status on_webp_frame(void *ctx, const uint8_t *rgba, int width, int height, size_t stride,
                               double seconds, int key)
{
    vctx *c = ctx;
    if (c->o->sampling == LM_VIDEO_SAMPLE_KEYFRAMES && !key) {
        c->decoded++; /* decoded (compositing needs it) but not sampled */
        return LM_OK;
    }
    /* Transparency is composited onto white, as for still images (decode/alpha.c); the
     * canvas itself belongs to libwebp and is the base of the next frame: copy it. */
    size_t row = (size_t)width * 3;
    if (reserve(&c->flat, &c->flat_cap, row * (size_t)height))
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    for (int y = 0; y < height; y++)
        lm_alpha_row(rgba + (size_t)y * stride, 4, c->flat + (size_t)y * row, 3, (size_t)width,
                     255);
    AVFrame *f = c->frame;
    f->format = AV_PIX_FMT_RGB24;
    f->width = width;
    f->height = height;
    f->data[0] = c->flat;
    f->linesize[0] = (int)row;
    return on_frame_at(c, f, c->decoded, seconds);
}

static lm_status run_webp(vctx *c, const uint8_t *data, size_t len)
{
    c->frame = av_frame_alloc();
    if (!c->frame)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    lm_video_sampler_init(&c->sampler, c->o->sampling, c->o->interval_seconds);
    if (c->info) {
        snprintf(c->info->container, sizeof c->info->container, "webp");
        snprintf(c->info->codec, sizeof c->info->codec, "libwebp");
    }
    uint64_t max_decoded = (uint64_t)(c->o->max_duration_seconds * LM_VIDEO_MAX_DECODE_RATE) + 1000;
    lm_status st =
        lm_webp_anim_decode(data, len, c->o->max_pixels, max_decoded, on_webp_frame, c, c->err);
    if (c->info && c->frame->width > 0) {
        c->info->width = c->frame->width;
        c->info->height = c->frame->height;
    }
    av_frame_unref(c->frame); /* the pixels belonged to libwebp: forget them, free nothing */
    memset(c->frame->data, 0, sizeof c->frame->data);
    if (st == LM_OK && c->hashed == 0 && c->decoded == 0)
        st = lm_errbuf_set(c->err, LM_E_CORRUPT, "video: no frame could be decoded");
    return st;
}

/* An animated WebP from a file: its bytes in memory (the size was checked against max_bytes). */
static lm_status run_webp_source(vctx *c)
{
    if (c->src.mem)
        return run_webp(c, c->src.mem, (size_t)c->src.size);
    uint8_t *buf = malloc(c->src.size ? (size_t)c->src.size : 1);
    if (!buf)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "video: out of memory");
    size_t got = fread(buf, 1, (size_t)c->src.size, c->src.fp);
    lm_status st;
    if (got == (size_t)c->src.size)
        st = run_webp(c, buf, got);
    else
        st = lm_errbuf_set(c->err, LM_E_IO, "video: read error");
    free(buf);
    return st;
}

static void cleanup(vctx *c)
{
    sws_freeContext(c->sws);
    av_frame_free(&c->frame);
    av_packet_free(&c->pkt);
    avcodec_free_context(&c->dec);
    lm_av_close_input(&c->pb, &c->fmt);
    av_freep(&c->rgb);
    av_freep(&c->rot);
    av_freep(&c->flat);
    lm_pdq_scratch_free(&c->pdq);
}

static lm_status check_opts(const lm_video_opts *o, lm_errbuf *err)
{
    if (o->sampling < LM_VIDEO_SAMPLE_ALL || o->sampling > LM_VIDEO_SAMPLE_INTERVAL)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: unknown sampling mode");
    if (o->sampling == LM_VIDEO_SAMPLE_INTERVAL &&
        !(o->interval_seconds > 0.0 && o->interval_seconds <= 1e6))
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: interval must be in (0, 1e6] s");
    if (o->scale_width < 0 || o->scale_height < 0 || o->scale_width > 8192 ||
        o->scale_height > 8192)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: scale size out of range");
    if (o->scaler != LM_VIDEO_SCALER_EXACT && o->scaler != LM_VIDEO_SCALER_AREA)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: unknown scaler");
    if (o->threads < 1 || o->threads > 16)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: threads must be 1..16");
    if (o->max_bytes == 0 || o->max_pixels == 0 || o->max_frames == 0 ||
        !(o->max_duration_seconds > 0.0))
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: limits must be non-zero");
    if ((uint64_t)(o->scale_width ? o->scale_width : 1) *
            (uint64_t)(o->scale_height ? o->scale_height : 1) >
        o->max_pixels)
        return lm_errbuf_set(err, LM_E_LIMIT_PIXELS, "video: scale size exceeds the pixel limit");
    return LM_OK;
}

static lm_status hash_source(vctx *c)
{
    lm_status lst = lm_av_load(c->err); /* videos need FFmpeg (libwebp alone is not enough) */
    if (lst != LM_OK)
        return lst;
    /* The first bytes, for the format checks libavformat's demuxer names cannot make. */
    if (c->src.mem) {
        c->head_len = c->src.size < sizeof c->head ? (size_t)c->src.size : sizeof c->head;
        memcpy(c->head, c->src.mem, c->head_len);
    } else {
        c->head_len = fread(c->head, 1, sizeof c->head, c->src.fp);
        if (fseeko(c->src.fp, 0, SEEK_SET) != 0)
            return lm_errbuf_set(c->err, LM_E_IO, "video: cannot seek");
    }
    c->animated_webp = lm_webp_is_animated(c->head, c->head_len);
    if (!c->animated_webp && c->head_len >= 12 && memcmp(c->head, "RIFF", 4) == 0 &&
        memcmp(c->head + 8, "WEBP", 4) == 0)
        return lm_errbuf_set(c->err, LM_E_FORMAT, "video: a still WebP image, not a video");
    /* libavcodec decodes animated WebP from 61.19 (FFmpeg 7.1); before that, libwebp does. */
    int use_libwebp = c->animated_webp && LIBAVCODEC_VERSION_INT < AV_VERSION_INT(61, 19, 100);
    lm_status st = use_libwebp ? run_webp_source(c) : run(c);
    cleanup(c);
    return st;
}

lm_status lm_video_hash_memory(const void *data, size_t len, const lm_video_opts *opts,
                               lm_vpdq_frames *out, lm_video_info *info, lm_errbuf *err)
{
    lm_video_opts def;
    if (!opts) {
        lm_video_opts_default(&def);
        opts = &def;
    }
    lm_errbuf_clear(err);
    if ((!data && len) || !out)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: NULL argument");
    lm_status st = check_opts(opts, err);
    if (st != LM_OK)
        return st;
    if ((uint64_t)len > opts->max_bytes)
        return lm_errbuf_set(err, LM_E_LIMIT_BYTES, "video: %zu bytes exceed %llu", len,
                             (unsigned long long)opts->max_bytes);

    if (info)
        memset(info, 0, sizeof *info);
    vctx c = {.o = opts, .err = err, .info = info, .out = out, .si = -1};
    c.src.mem = data ? data : (const uint8_t *)"";
    c.src.size = len;
    return hash_source(&c);
}

lm_status lm_video_hash_file(const char *path, const lm_video_opts *opts, lm_vpdq_frames *out,
                             lm_video_info *info, lm_errbuf *err)
{
    lm_video_opts def;
    if (!opts) {
        lm_video_opts_default(&def);
        opts = &def;
    }
    lm_errbuf_clear(err);
    if (!path || !out)
        return lm_errbuf_set(err, LM_E_INVALID_ARG, "video: NULL argument");
    lm_status st = check_opts(opts, err);
    if (st != LM_OK)
        return st;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return lm_errbuf_set(err, LM_E_IO, "video: cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(fp);
        return lm_errbuf_set(err, LM_E_IO, "video: %s is not a regular file", path);
    }
    if ((uint64_t)sb.st_size > opts->max_bytes) {
        fclose(fp);
        return lm_errbuf_set(err, LM_E_LIMIT_BYTES, "video: %llu bytes exceed %llu",
                             (unsigned long long)sb.st_size, (unsigned long long)opts->max_bytes);
    }
    if (info)
        memset(info, 0, sizeof *info);
    vctx c = {.o = opts, .err = err, .info = info, .out = out, .si = -1};
    c.src.fp = fp;
    c.src.size = (uint64_t)sb.st_size;
    st = hash_source(&c);
    fclose(fp);
    return st;
}
