#include "webp_anim.h"

#include <string.h>

#include <webp/demux.h>

int lm_webp_is_animated(const uint8_t *d, size_t n)
{
    return n >= 21 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBPVP8X", 8) == 0 &&
           (d[20] & 0x02);
}

/* A frame is key when it covers the canvas and nothing of the previous canvas shows
 * through it: no blending, or no alpha to blend with. */
static int frame_is_key(const WebPIterator *it, uint32_t cw, uint32_t ch)
{
    return it->x_offset == 0 && it->y_offset == 0 && (uint32_t)it->width == cw &&
           (uint32_t)it->height == ch && (it->blend_method == WEBP_MUX_NO_BLEND || !it->has_alpha);
}

/* Canvas size and frame count from the container alone (no pixel is decoded). */
static lm_status read_layout(const WebPData *wd, uint32_t *cw, uint32_t *ch, uint32_t *frames,
                             lm_errbuf *err)
{
    WebPDemuxer *dmux = WebPDemux(wd);
    if (!dmux)
        return lm_errbuf_set(err, LM_E_CORRUPT, "video: malformed animated WebP");
    *cw = WebPDemuxGetI(dmux, WEBP_FF_CANVAS_WIDTH);
    *ch = WebPDemuxGetI(dmux, WEBP_FF_CANVAS_HEIGHT);
    *frames = WebPDemuxGetI(dmux, WEBP_FF_FRAME_COUNT);
    WebPDemuxDelete(dmux);
    if (*cw == 0 || *ch == 0 || *frames == 0)
        return lm_errbuf_set(err, LM_E_CORRUPT, "video: animated WebP without frames");
    return LM_OK;
}

lm_status lm_webp_anim_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                              uint64_t max_frames_decoded, lm_webp_frame_fn fn, void *ctx,
                              lm_errbuf *err)
{
    WebPData wd = {data, len};
    uint32_t cw = 0, ch = 0, frames = 0;
    lm_status st = read_layout(&wd, &cw, &ch, &frames, err);
    if (st != LM_OK)
        return st;
    uint64_t canvas = (uint64_t)cw * ch;
    if (canvas > max_pixels)
        return lm_errbuf_set(err, LM_E_LIMIT_PIXELS, "video: %ux%u canvas exceeds %llu pixels",
                             cw, ch, (unsigned long long)max_pixels);
    if (frames > max_frames_decoded || canvas * frames > LM_WEBP_MAX_CANVAS_WORK)
        return lm_errbuf_set(err, LM_E_LIMIT_FRAMES,
                             "video: animated WebP of %u frames on a %ux%u canvas is too much work",
                             frames, cw, ch);

    WebPAnimDecoderOptions o;
    if (!WebPAnimDecoderOptionsInit(&o))
        return lm_errbuf_set(err, LM_E_INTERNAL, "video: libwebp version mismatch");
    o.color_mode = MODE_RGBA;
    o.use_threads = 0;
    WebPAnimDecoder *dec = WebPAnimDecoderNew(&wd, &o);
    if (!dec)
        return lm_errbuf_set(err, LM_E_CORRUPT, "video: animated WebP cannot be decoded");
    const WebPDemuxer *dmux = WebPAnimDecoderGetDemuxer(dec);
    int prev_end_ms = 0;
    for (uint32_t i = 1; st == LM_OK && WebPAnimDecoderHasMoreFrames(dec); i++) {
        uint8_t *buf = NULL;
        int end_ms = 0; /* libwebp gives the time at which this frame ends */
        if (!WebPAnimDecoderGetNext(dec, &buf, &end_ms)) {
            st = lm_errbuf_set(err, LM_E_CORRUPT, "video: animated WebP frame %u is damaged", i);
            break;
        }
        WebPIterator it;
        int key = i == 1;
        if (WebPDemuxGetFrame(dmux, (int)i, &it)) {
            key = key || frame_is_key(&it, cw, ch);
            WebPDemuxReleaseIterator(&it);
        }
        st = fn(ctx, buf, (int)cw, (int)ch, (size_t)cw * 4, prev_end_ms / 1000.0, key);
        prev_end_ms = end_ms;
    }
    WebPAnimDecoderDelete(dec);
    return st;
}
