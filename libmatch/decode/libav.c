/*
 * Every other format (WebP, GIF, BMP, TIFF, video ...) through libavformat and
 * libavcodec, reading from memory: the first video frame, converted by
 * libswscale to RGB (or grey for grey pixel formats, or with alpha when the
 * source has it, composited onto the background), then resampled like JPEG.
 *
 * Hostile input: the AVIOContext only sees the caller's bytes and every
 * nested open (playlists, concat lists, image sequences) is refused; sizes
 * are checked from the header, the codec parameters and again on every frame
 * buffer the decoder asks for; the decoder is single-threaded and gives up
 * after a bounded number of packets. Decoders' messages are pushed below
 * av_log's level (av_lazy.c: the level itself is set only when libmatch is
 * the one loading FFmpeg). FFmpeg is loaded on first use (av_lazy.h).
 */
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>

#include "av_io.h"
#include "av_lazy.h"
#include "decode_internal.h"

/* Packets read before giving up on getting a first frame. */
#define LM_AV_MAX_PACKETS 1024
/* Decoder messages are pushed below every log level a caller would normally set, per
 * context (av_log_set_level is process-global and belongs to the program). */
#define LM_AV_LOG_OFFSET 64
/* A probe score this high means the demuxer matched real structure, not chance. */
#define LM_AV_MIN_PROBE_SCORE 50

struct av_ctx {
    lm_av_src src;
    AVIOContext *avio;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    uint8_t *conv; /* converted frame */
    uint8_t *row;  /* one row in sink channels */
    lm_rowsink sink;
    const lm_decode_opts *opts;
    lm_format format;       /* sniffed; LM_FORMAT_OTHER when only libavformat knew it */
    lm_status limit_status; /* set by get_buffer when a frame is too large */
    lm_errbuf *err;
};

int lm_av_format_allowed(const char *name)
{
    return name && av_match_list(name, LM_AV_FORMAT_ALLOW, ',') > 0;
}

int lm_av_codec_allowed(const char *name)
{
    return name && av_match_list(name, LM_AV_CODEC_ALLOW, ',') > 0;
}

int lm_libav_probe(const uint8_t *data, size_t len)
{
    return lm_libav_probe_demuxer(data, len, NULL);
}

int lm_libav_probe_demuxer(const uint8_t *data, size_t len, const char **demuxer)
{
    if (lm_av_load(NULL) != LM_OK)
        return -2;
    /* The probe reads up to AVPROBE_PADDING_SIZE past the end: give it a zeroed copy. */
    size_t n = len < (1u << 20) ? len : (1u << 20);
    uint8_t *buf = calloc(1, n + AVPROBE_PADDING_SIZE);
    if (!buf)
        return -1;
    memcpy(buf, data, n);
    AVProbeData pd = {.filename = "", .buf = buf, .buf_size = (int)n, .mime_type = NULL};
    int score = LM_AV_MIN_PROBE_SCORE - 1;
    const AVInputFormat *f = av_probe_input_format2(&pd, 1, &score);
    free(buf);
    if (!f || !lm_av_format_allowed(f->name)) /* others would be refused at open */
        return 0;
    if (demuxer)
        *demuxer = f->name;
    return 1;
}

/* Every frame buffer a decoder allocates passes here: the last line of defence on size. */
static int checked_get_buffer(AVCodecContext *dec, AVFrame *frame, int flags)
{
    struct av_ctx *c = dec->opaque;
    lm_errbuf scratch;
    lm_status st = lm_check_dimensions(frame->width > 0 ? (uint64_t)frame->width : 0,
                                       frame->height > 0 ? (uint64_t)frame->height : 0, c->opts,
                                       "frame", &scratch);
    if (st != LM_OK) {
        c->limit_status = lm_errbuf_set(c->err, st, "%s", scratch.msg);
        return AVERROR(EINVAL);
    }
    /* Each plane is one FFmpeg block, which may not exceed LM_AV_MAX_ALLOC (av_lazy.h). */
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(frame->format);
    uint64_t worst = 0;
    for (int i = 0; d && i < d->nb_components; i++) {
        int sub = d->comp[i].plane == 1 || d->comp[i].plane == 2; /* chroma planes */
        uint64_t w = (uint64_t)AV_CEIL_RSHIFT(frame->width, sub ? d->log2_chroma_w : 0);
        uint64_t h = (uint64_t)AV_CEIL_RSHIFT(frame->height, sub ? d->log2_chroma_h : 0);
        uint64_t b = (uint64_t)(d->comp[i].step > 0 ? d->comp[i].step : 1) * w * h;
        worst = b > worst ? b : worst;
    }
    if (worst > LM_AV_MAX_ALLOC - (1u << 20)) { /* room for alignment and padding */
        c->limit_status =
            lm_errbuf_set(c->err, LM_E_LIMIT_PIXELS,
                          "frame: %dx%d %s needs %llu MiB in one block (limit %zu MiB)",
                          frame->width, frame->height, d ? d->name : "?",
                          (unsigned long long)(worst >> 20), LM_AV_MAX_ALLOC >> 20);
        return AVERROR(EINVAL);
    }
    return avcodec_default_get_buffer2(dec, frame, flags);
}

static lm_status av_fail(struct av_ctx *c, int averr, const char *what)
{
    if (c->limit_status != LM_OK)
        return c->limit_status;
    if (averr == AVERROR(ENOMEM))
        return lm_errbuf_set(c->err, LM_E_NOMEM, "%s: out of memory", what);
    char msg[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(averr, msg, sizeof msg);
    return lm_errbuf_set(c->err, LM_E_CORRUPT, "%s: %s", what, msg);
}

static lm_status open_input(struct av_ctx *c)
{
    int r = lm_av_open_input(&c->src, &c->avio, &c->fmt);
    if (r == 1)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "libav: no memory");
    if (r == 2 && c->src.declared_samples == UINT64_MAX)
        return lm_errbuf_set(c->err, LM_E_LIMIT_FRAMES,
                             "libav: a compressed movie header (cmov), not checked");
    if (r == 2)
        return lm_errbuf_set(
            c->err, LM_E_LIMIT_FRAMES, "libav: the container declares %llu samples, more than %u",
            (unsigned long long)c->src.declared_samples, LM_AV_MAX_DECLARED_SAMPLES);
    if (r < 0) {
        /* Magic bytes said GIF/WebP/BMP/TIFF: a header libavformat refuses is corrupt. */
        if (r == AVERROR_INVALIDDATA)
            return lm_errbuf_set(c->err, c->format == LM_FORMAT_OTHER ? LM_E_FORMAT : LM_E_CORRUPT,
                                 "libav: the demuxer refused the data");
        return av_fail(c, r, "libav: open");
    }
    return LM_OK;
}

static lm_status open_decoder(struct av_ctx *c, int *stream_index)
{
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(c->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si < 0) {
        /* Some containers only name their codecs after probing packets. Decoders opened
         * for that probe obey the same limits through per-stream options. */
        unsigned ns = c->fmt->nb_streams;
        AVDictionary **o = ns ? av_calloc(ns, sizeof *o) : NULL;
        for (unsigned i = 0; o && i < ns; i++) {
            av_dict_set_int(&o[i], "max_pixels", (int64_t)c->opts->max_pixels, 0);
            av_dict_set(&o[i], "threads", "1", 0);
            av_dict_set_int(&o[i], "log_level_offset", LM_AV_LOG_OFFSET, 0);
        }
        int r = avformat_find_stream_info(c->fmt, o);
        for (unsigned i = 0; o && i < ns; i++)
            av_dict_free(&o[i]);
        av_free(o);
        if (r < 0)
            return av_fail(c, r, "libav: stream info");
        si = av_find_best_stream(c->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
        if (si < 0)
            return lm_errbuf_set(c->err, LM_E_FORMAT, "libav: no decodable video stream");
    }
    if (!lm_av_codec_allowed(codec->name))
        return lm_errbuf_set(c->err, LM_E_UNSUPPORTED, "libav: decoder %s not supported",
                             codec->name);
    const AVCodecParameters *par = c->fmt->streams[si]->codecpar;
    if (par->width > 0 && par->height > 0) {
        lm_status st = lm_check_dimensions((uint64_t)par->width, (uint64_t)par->height, c->opts,
                                           codec->name, c->err);
        if (st != LM_OK)
            return st;
    }
    c->dec = avcodec_alloc_context3(codec);
    if (!c->dec)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "libav: no memory");
    int r = avcodec_parameters_to_context(c->dec, par);
    if (r < 0)
        return av_fail(c, r, "libav: codec parameters");
    c->dec->thread_count = 1;
    c->dec->log_level_offset = LM_AV_LOG_OFFSET;
    c->dec->thread_type = FF_THREAD_SLICE; /* frame threading would call get_buffer2 off-thread */
    c->dec->max_pixels =
        (int64_t)(c->opts->max_pixels < INT64_MAX ? c->opts->max_pixels : INT64_MAX);
    c->dec->opaque = c;
    c->dec->get_buffer2 = checked_get_buffer;
    r = avcodec_open2(c->dec, codec, NULL);
    if (r < 0)
        return av_fail(c, r, "libav: open decoder");
    *stream_index = si;
    return LM_OK;
}

/* Feed packets of the chosen stream until the decoder returns its first frame. */
static lm_status first_frame(struct av_ctx *c, int si)
{
    c->pkt = av_packet_alloc();
    c->frame = av_frame_alloc();
    if (!c->pkt || !c->frame)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "libav: no memory");
    for (int n = 0; n < LM_AV_MAX_PACKETS; n++) {
        int r = av_read_frame(c->fmt, c->pkt);
        if (r == AVERROR_EOF) {
            r = avcodec_send_packet(c->dec, NULL); /* drain */
            if (r < 0 && r != AVERROR_EOF)
                return av_fail(c, r, "libav: decode");
            r = avcodec_receive_frame(c->dec, c->frame);
            if (r == AVERROR_EOF)
                return lm_errbuf_set(c->err, LM_E_CORRUPT, "libav: no frame");
            if (r < 0)
                return av_fail(c, r, "libav: decode");
            return LM_OK;
        }
        if (r < 0)
            return av_fail(c, r, "libav: read");
        if (c->pkt->stream_index != si) {
            av_packet_unref(c->pkt);
            continue;
        }
        r = avcodec_send_packet(c->dec, c->pkt);
        av_packet_unref(c->pkt);
        if (r < 0 && r != AVERROR(EAGAIN))
            return av_fail(c, r, "libav: decode");
        r = avcodec_receive_frame(c->dec, c->frame);
        if (r == 0)
            return LM_OK;
        if (r != AVERROR(EAGAIN))
            return av_fail(c, r, "libav: decode");
    }
    return lm_errbuf_set(c->err, LM_E_CORRUPT, "libav: no frame in %d packets", LM_AV_MAX_PACKETS);
}

/* Convert the frame to 8-bit grey or RGB (with alpha when present) and feed the sink. */
static lm_status emit_frame(struct av_ctx *c, lm_pixels *out)
{
    AVFrame *f = c->frame;
    lm_status st =
        lm_check_dimensions(f->width > 0 ? (uint64_t)f->width : 0,
                            f->height > 0 ? (uint64_t)f->height : 0, c->opts, "frame", c->err);
    if (st != LM_OK)
        return st;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
    if (!desc)
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "libav: frame without a pixel format");
    int grey =
        desc->nb_components <= 2 && !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));
    int alpha = (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
    enum AVPixelFormat dst_fmt = grey ? (alpha ? AV_PIX_FMT_YA8 : AV_PIX_FMT_GRAY8)
                                      : (alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24);
    int in_ch = (grey ? 1 : 3) + alpha, out_ch = grey ? 1 : 3;
    uint32_t w = (uint32_t)f->width, h = (uint32_t)f->height;

    /* Bilinear chroma upsampling with exact rounding: closest to libwebp's "fancy" upsampler. */
    c->sws =
        sws_getContext(f->width, f->height, f->format, f->width, f->height, dst_fmt,
                       SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP,
                       NULL, NULL, NULL);
    if (!c->sws)
        return lm_errbuf_set(c->err, LM_E_UNSUPPORTED, "libav: cannot convert %s", desc->name);
    size_t stride = (size_t)w * (size_t)in_ch;
    c->conv = malloc(stride * h);
    c->row = malloc((size_t)w * (size_t)out_ch);
    if (!c->conv || !c->row)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "libav: no memory for %ux%u", w, h);
    uint8_t *dst[4] = {c->conv, NULL, NULL, NULL};
    int dst_stride[4] = {(int)stride, 0, 0, 0};
    if (sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
                  dst_stride) != f->height)
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "libav: pixel conversion failed");

    st = lm_rowsink_init(&c->sink, out, w, h, out_ch, c->err);
    if (st != LM_OK)
        return st;
    for (uint32_t y = 0; y < h; y++) {
        if (!lm_rowsink_wants(&c->sink, y))
            continue;
        lm_alpha_row(c->conv + stride * y, in_ch, c->row, out_ch, w, c->opts->alpha_background);
        lm_rowsink_put(&c->sink, y, c->row);
    }
    return LM_OK;
}

static lm_status run(struct av_ctx *c, const uint8_t *data, size_t len, lm_format format,
                     lm_pixels *out)
{
    uint64_t hw, hh;
    if (lm_header_dims(data, len, format, &hw, &hh) && hw > 0 && hh > 0) {
        lm_status st = lm_check_dimensions(hw, hh, c->opts, lm_format_name(format), c->err);
        if (st != LM_OK)
            return st;
    }
    lm_status st = open_input(c);
    int si = -1;
    if (st == LM_OK)
        st = open_decoder(c, &si);
    if (st == LM_OK)
        st = first_frame(c, si);
    if (st == LM_OK)
        st = emit_frame(c, out);
    return st;
}

lm_status lm_decode_libav(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                          lm_format format, lm_pixels *out, lm_errbuf *err)
{
    lm_status st = lm_av_load(err);
    if (st != LM_OK)
        return st;
    struct av_ctx c;
    memset(&c, 0, sizeof c);
    c.src.mem = data ? data : (const uint8_t *)"";
    c.src.size = len;
    c.opts = opts;
    c.format = format;
    c.err = err;
    c.limit_status = LM_OK;

    st = run(&c, data, len, format, out);

    sws_freeContext(c.sws);
    av_frame_free(&c.frame);
    av_packet_free(&c.pkt);
    avcodec_free_context(&c.dec);
    lm_av_close_input(&c.avio, &c.fmt);
    free(c.conv);
    free(c.row);
    lm_rowsink_release(&c.sink);
    if (st != LM_OK)
        lm_pixels_free(out);
    return st;
}
