#include "webp_anim.h"

#include <stddef.h>
#include <string.h>
#include <threads.h>

#include <webp/demux.h>

#include "lazy.h"

/* libwebpdemux opened on first use (core/lazy.h); the header's inline wrappers
 * (WebPDemux, WebPAnimDecoderNew, ...) are spelled out so that every call goes
 * through the table. */
#define LM_WEBP_SYMBOLS(X) X(WebPDemuxInternal) \
    X(WebPDemuxGetI) \
    X(WebPDemuxDelete) \
    X(WebPAnimDecoderOptionsInitInternal) \
    X(WebPAnimDecoderNewInternal) \
    X(WebPAnimDecoderGetDemuxer) \
    X(WebPAnimDecoderHasMoreFrames) \
    X(WebPAnimDecoderGetNext) \
    X(WebPDemuxGetFrame) \
    X(WebPDemuxReleaseIterator) \
    X(WebPAnimDecoderDelete)
static struct lm_webp_table {
#define LM_WEBP_SLOT(name) __typeof__(name) *name;
    LM_WEBP_SYMBOLS(LM_WEBP_SLOT)
#undef LM_WEBP_SLOT
} webp_fn;
static once_flag webp_once = ONCE_FLAG_INIT;
static int webp_state = -1;
static char webp_msg[200];

static void webp_load_once(void)
{
    static const char *const libs[] = {"libwebpdemux.so.2"};
    static const lm_lazy_sym syms[] = {
#define LM_WEBP_ENTRY(name) {0, #name, offsetof(struct lm_webp_table, name)},
        LM_WEBP_SYMBOLS(LM_WEBP_ENTRY)
#undef LM_WEBP_ENTRY
    };
    webp_state = lm_lazy_load(libs, 1, 0, syms, sizeof syms / sizeof syms[0], &webp_fn, NULL,
                              webp_msg, sizeof webp_msg);
}

#define WebPDemuxInternal (webp_fn.WebPDemuxInternal)
#define WebPDemuxGetI (webp_fn.WebPDemuxGetI)
#define WebPDemuxDelete (webp_fn.WebPDemuxDelete)
#define WebPAnimDecoderOptionsInitInternal (webp_fn.WebPAnimDecoderOptionsInitInternal)
#define WebPAnimDecoderNewInternal (webp_fn.WebPAnimDecoderNewInternal)
#define WebPAnimDecoderGetDemuxer (webp_fn.WebPAnimDecoderGetDemuxer)
#define WebPAnimDecoderHasMoreFrames (webp_fn.WebPAnimDecoderHasMoreFrames)
#define WebPAnimDecoderGetNext (webp_fn.WebPAnimDecoderGetNext)
#define WebPDemuxGetFrame (webp_fn.WebPDemuxGetFrame)
#define WebPDemuxReleaseIterator (webp_fn.WebPDemuxReleaseIterator)
#define WebPAnimDecoderDelete (webp_fn.WebPAnimDecoderDelete)

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
    WebPDemuxer *dmux = WebPDemuxInternal(wd, 0, NULL, WEBP_DEMUX_ABI_VERSION);
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
    call_once(&webp_once, webp_load_once);
    if (webp_state != 0)
        return lm_errbuf_set(err, LM_E_UNSUPPORTED,
                             "animated WebP needs libwebpdemux, which could not be loaded: %s",
                             webp_msg);
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
    if (!WebPAnimDecoderOptionsInitInternal(&o, WEBP_DEMUX_ABI_VERSION))
        return lm_errbuf_set(err, LM_E_INTERNAL, "video: libwebp version mismatch");
    o.color_mode = MODE_RGBA;
    o.use_threads = 0;
    WebPAnimDecoder *dec = WebPAnimDecoderNewInternal(&wd, &o, WEBP_DEMUX_ABI_VERSION);
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
