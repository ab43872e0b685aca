/*
 * Small videos made in memory by the tests (never written to disk): a moving,
 * asymmetric pattern encoded with libavcodec, frame times chosen by the caller
 * (so variable frame rates can be made), and an optional display-matrix rotation.
 */
#ifndef LM_TEST_SYNTH_VIDEO_H
#define LM_TEST_SYNTH_VIDEO_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>

typedef struct vt_synth {
    const char *muxer;   /* "mp4", "matroska", "gif", ... */
    const char *encoder; /* "mpeg4", "gif", ... */
    int width, height;
    int frames;
    const int64_t *pts_ms; /* frame times in ms; NULL: 40 ms apart (25 fps) */
    int gop;               /* key frame every gop frames */
    int rotate_cw;         /* display matrix: a player turns the picture this far clockwise */
    int turned;            /* draw the picture already turned 90 degrees clockwise */
} vt_synth;

/* A growable, seekable output buffer for the muxer (seekable mode). */
typedef struct vt_membuf {
    uint8_t *p;
    size_t len, cap, pos;
} vt_membuf;

#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define VT_WRITE_BUF const uint8_t *
#else
#define VT_WRITE_BUF uint8_t *
#endif
static inline int vt_membuf_write(void *opaque, VT_WRITE_BUF buf, int n)
{
    vt_membuf *m = opaque;
    if (n < 0 || m->pos + (size_t)n < m->pos)
        return AVERROR(EINVAL);
    if (m->pos + (size_t)n > m->cap) {
        size_t cap = (m->pos + (size_t)n) * 2;
        uint8_t *p = realloc(m->p, cap);
        if (!p)
            return AVERROR(ENOMEM);
        m->p = p;
        m->cap = cap;
    }
    if (m->pos > m->len)
        memset(m->p + m->len, 0, m->pos - m->len);
    memcpy(m->p + m->pos, buf, (size_t)n);
    m->pos += (size_t)n;
    if (m->pos > m->len)
        m->len = m->pos;
    return n;
}

static inline int64_t vt_membuf_seek(void *opaque, int64_t off, int whence)
{
    vt_membuf *m = opaque;
    int64_t base = whence == SEEK_SET   ? 0
                   : whence == SEEK_CUR ? (int64_t)m->pos
                   : whence == SEEK_END ? (int64_t)m->len
                                        : -1;
    if (whence == AVSEEK_SIZE)
        return (int64_t)m->len;
    if (base < 0 || base + off < 0)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

/* The pattern: blocks whose layout depends on the frame index; no symmetry. */
static inline uint8_t vt_synth_luma(int x, int y, int w, int h, int i)
{
    int bx = (x * 8) / w, by = (y * 8) / h;
    unsigned v = (unsigned)(bx * 37 + by * 91 + i * 53 + (bx * by) * 7);
    v = (v * 2654435761u) >> 24;
    return (uint8_t)(x < w / 3 && y < h / 4 ? 235 : 16 + v % 200); /* a bright top-left corner */
}

/* Encode to a malloc'ed buffer; returns 0 on success. seekable: mux into a seekable buffer,
 * so that the muxer goes back to write durations and indexes (Matroska's declared duration
 * and cues; a plain MP4 with its index at the end) instead of streaming. */
static inline int vt_synth_make_ex(const vt_synth *s, int seekable, uint8_t **out, size_t *out_len)
{
    int ok = -1;
    const AVOutputFormat *of = av_guess_format(s->muxer, NULL, NULL);
    const AVCodec *codec = avcodec_find_encoder_by_name(s->encoder);
    if (!of || !codec)
        return -1;
    AVFormatContext *fmt = NULL;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVFrame *fr = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    uint8_t *dyn = NULL;
    vt_membuf mb = {0};
    if (avformat_alloc_output_context2(&fmt, of, NULL, NULL) < 0 || !enc || !fr || !pkt)
        goto done;
    int fw = s->turned ? s->height : s->width, fh = s->turned ? s->width : s->height;
    enc->width = fw;
    enc->height = fh;
    enc->time_base = (AVRational){1, 1000};
    enc->framerate = (AVRational){25, 1};
    enc->gop_size = s->gop > 0 ? s->gop : 12;
    enc->max_b_frames = 0;
    enc->bit_rate = 8000000; /* near-lossless: two encodes of one picture hash alike */
    enc->pix_fmt = strcmp(s->encoder, "gif") == 0 ? AV_PIX_FMT_RGB8 : AV_PIX_FMT_YUV420P;
    if (fmt->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(enc, codec, NULL) < 0)
        goto done;
    AVStream *st = avformat_new_stream(fmt, NULL);
    if (!st || avcodec_parameters_from_context(st->codecpar, enc) < 0)
        goto done;
    st->time_base = enc->time_base;
    if (s->rotate_cw) {
        uint8_t *m = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        if (!m)
            goto done;
        /* The sign convention of _set has varied in libavutil's docs: settle it through _get,
         * which returns counter-clockwise degrees (so a clockwise turn reads negative). */
        av_display_rotation_set((int32_t *)m, (double)s->rotate_cw);
        if (av_display_rotation_get((int32_t *)m) > 0)
            av_display_rotation_set((int32_t *)m, -(double)s->rotate_cw);
    }
    if (seekable) {
        uint8_t *iobuf = av_malloc(4096);
        if (!iobuf || !(fmt->pb = avio_alloc_context(iobuf, 4096, 1, &mb, NULL, vt_membuf_write,
                                                     vt_membuf_seek))) {
            av_free(iobuf);
            goto done;
        }
    } else if (avio_open_dyn_buf(&fmt->pb) < 0)
        goto done;
    AVDictionary *mo = NULL;
    if (strcmp(s->muxer, "mp4") == 0 && !seekable)
        av_dict_set(&mo, "movflags", "frag_keyframe+empty_moov", 0); /* no seeking back */
    int r = avformat_write_header(fmt, &mo);
    av_dict_free(&mo);
    if (r < 0)
        goto done;
    fr->format = enc->pix_fmt;
    fr->width = fw;
    fr->height = fh;
    if (av_frame_get_buffer(fr, 0) < 0)
        goto done;
    for (int i = 0; i <= s->frames; i++) {
        AVFrame *send = NULL;
        if (i < s->frames) {
            if (av_frame_make_writable(fr) < 0)
                goto done;
            for (int y = 0; y < fh; y++)
                for (int x = 0; x < fw; x++)
                    fr->data[0][y * fr->linesize[0] + x] =
                        s->turned ? vt_synth_luma(y, s->height - 1 - x, s->width, s->height, i)
                                  : vt_synth_luma(x, y, s->width, s->height, i);
            if (enc->pix_fmt == AV_PIX_FMT_YUV420P) {
                for (int y = 0; y < fh / 2; y++) {
                    memset(fr->data[1] + y * fr->linesize[1], 128, fw / 2);
                    memset(fr->data[2] + y * fr->linesize[2], 128, fw / 2);
                }
            } /* RGB8 (GIF): the same bytes read as 3-3-2 colours, still a varied picture */
            fr->pts = s->pts_ms ? s->pts_ms[i] : (int64_t)i * 40;
            send = fr;
        }
        if (avcodec_send_frame(enc, send) < 0)
            goto done;
        while (avcodec_receive_packet(enc, pkt) == 0) {
            av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
            pkt->stream_index = st->index;
            if (av_interleaved_write_frame(fmt, pkt) < 0)
                goto done;
        }
    }
    if (av_write_trailer(fmt) < 0)
        goto done;
    if (seekable) {
        avio_flush(fmt->pb);
        av_freep(&fmt->pb->buffer);
        avio_context_free(&fmt->pb);
        *out = mb.p;
        *out_len = mb.len;
        mb.p = NULL;
        ok = mb.len > 0 ? 0 : -1;
        goto done;
    }
    int n = avio_close_dyn_buf(fmt->pb, &dyn);
    fmt->pb = NULL;
    if (n > 0) {
        *out = malloc((size_t)n);
        if (*out) {
            memcpy(*out, dyn, (size_t)n);
            *out_len = (size_t)n;
            ok = 0;
        }
    }
done:
    av_free(dyn);
    if (seekable && fmt && fmt->pb) {
        av_freep(&fmt->pb->buffer);
        avio_context_free(&fmt->pb);
    }
    free(mb.p);
    if (fmt && fmt->pb) {
        uint8_t *junk = NULL;
        avio_close_dyn_buf(fmt->pb, &junk);
        av_free(junk);
    }
    avformat_free_context(fmt);
    avcodec_free_context(&enc);
    av_frame_free(&fr);
    av_packet_free(&pkt);
    return ok;
}

static inline int vt_synth_make(const vt_synth *s, uint8_t **out, size_t *out_len)
{
    return vt_synth_make_ex(s, 0, out, out_len);
}

#endif
