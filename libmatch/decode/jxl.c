/*
 * JPEG XL stills through libjxl (issue 17): the image as 8-bit grey or RGB
 * (alpha composited onto the background like PNG's), resampled like every
 * other format. libjxl hands decoded pixels to a callback a scanline segment
 * at a time; only the pixels of the 512x512 nearest-neighbour output are kept,
 * so memory beyond libjxl's own is the output's.
 *
 * Orientation: the codestream's orientation field (the EXIF values 1..8) is
 * kept unapplied by libjxl and applied by lm_orient_pixels after resampling
 * when the caller asks for orientation (exif_orient), as for JPEG.
 *
 * Hostile input: the declared dimensions (basic info, the first thing in the
 * codestream) are checked against our limits before any pixel is decoded;
 * libjxl's allocations go through a memory manager with a budget derived from
 * max_pixels; decoding is single-threaded; the callback checks every
 * coordinate. Animated JPEG XL is refused (LM_E_UNSUPPORTED). Errors come back
 * as codes: the input is never printed.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

#ifndef LM_HAVE_JXL

lm_status lm_decode_jxl(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                        lm_errbuf *err)
{
    (void)data;
    (void)len;
    (void)opts;
    (void)out;
    return lm_errbuf_set(err, LM_E_UNSUPPORTED, "JPEG XL: this build has no libjxl");
}

#else

#include <threads.h>

#include <jxl/decode.h>
#include <jxl/version.h>

#include "lazy.h"

/* libjxl is opened on first use, like libheif (core/lazy.h): hashing a JPEG never loads it. */
_Static_assert(JPEGXL_MAJOR_VERSION == 0 && JPEGXL_MINOR_VERSION == 7, "libjxl soname");
#define LM_JXL_SYMBOLS(X)                                                                          \
    X(JxlDecoderCreate)                                                                            \
    X(JxlDecoderDestroy)                                                                           \
    X(JxlDecoderSubscribeEvents)                                                                   \
    X(JxlDecoderSetKeepOrientation)                                                                \
    X(JxlDecoderSetInput)                                                                          \
    X(JxlDecoderCloseInput)                                                                        \
    X(JxlDecoderProcessInput)                                                                      \
    X(JxlDecoderGetBasicInfo)                                                                      \
    X(JxlDecoderSetImageOutCallback)
static struct lm_jxl_table {
#define LM_JXL_SLOT(name) __typeof__(name) *name;
    LM_JXL_SYMBOLS(LM_JXL_SLOT)
#undef LM_JXL_SLOT
} jxl_fn;
static once_flag jxl_once = ONCE_FLAG_INIT;
static int jxl_state = -1;
static char jxl_msg[200];

static void jxl_load_once(void)
{
    static const char *const libs[] = {"libjxl.so.0.7"};
    static const lm_lazy_sym syms[] = {
#define LM_JXL_ENTRY(name) {0, #name, offsetof(struct lm_jxl_table, name)},
        LM_JXL_SYMBOLS(LM_JXL_ENTRY)
#undef LM_JXL_ENTRY
    };
    jxl_state = lm_lazy_load(libs, 1, 0, syms, sizeof syms / sizeof syms[0], &jxl_fn, NULL, jxl_msg,
                             sizeof jxl_msg);
}

static lm_status jxl_load(lm_errbuf *err)
{
    call_once(&jxl_once, jxl_load_once);
    if (jxl_state == 0)
        return LM_OK;
    return lm_errbuf_set(err, LM_E_UNSUPPORTED,
                         "JPEG XL images need libjxl, which could not be loaded: %s", jxl_msg);
}

#define JxlDecoderCreate (jxl_fn.JxlDecoderCreate)
#define JxlDecoderDestroy (jxl_fn.JxlDecoderDestroy)
#define JxlDecoderSubscribeEvents (jxl_fn.JxlDecoderSubscribeEvents)
#define JxlDecoderSetKeepOrientation (jxl_fn.JxlDecoderSetKeepOrientation)
#define JxlDecoderSetInput (jxl_fn.JxlDecoderSetInput)
#define JxlDecoderCloseInput (jxl_fn.JxlDecoderCloseInput)
#define JxlDecoderProcessInput (jxl_fn.JxlDecoderProcessInput)
#define JxlDecoderGetBasicInfo (jxl_fn.JxlDecoderGetBasicInfo)
#define JxlDecoderSetImageOutCallback (jxl_fn.JxlDecoderSetImageOutCallback)

/* ---- libjxl's allocations, within a budget ------------------------------- */

struct jxl_mem {
    size_t used, budget;
    int refused;
};

/* Each block carries its size in front (16 bytes keep the alignment malloc gives). */
static void *jxl_alloc(void *opaque, size_t size)
{
    struct jxl_mem *m = opaque;
    if (size > m->budget - m->used || size > SIZE_MAX - 16) {
        m->refused = 1;
        return NULL;
    }
    uint8_t *p = malloc(size + 16);
    if (!p) {
        m->refused = 1;
        return NULL;
    }
    memcpy(p, &size, sizeof size);
    m->used += size;
    return p + 16;
}

static void jxl_free(void *opaque, void *address)
{
    struct jxl_mem *m = opaque;
    if (!address)
        return;
    uint8_t *p = (uint8_t *)address - 16;
    size_t size;
    memcpy(&size, p, sizeof size);
    m->used -= size;
    free(p);
}

/* ---- pixels: only those the output takes ---------------------------------- */

struct jxl_run {
    JxlDecoder *dec;
    struct jxl_mem mem;
    lm_rowsink sink;
    lm_pixels *out;
    uint32_t *ymap;  /* source row of each output row */
    uint8_t *picked; /* one output row's worth of source pixels, in_ch each */
    uint32_t w, h;   /* source size */
    int in_ch, out_ch;
    uint8_t bg;
    uint64_t written; /* output pixels filled */
    int bad;          /* a callback outside the image */
};

/* First index i in v[0..n) with v[i] >= key (v non-decreasing). */
static uint32_t lower_bound(const uint32_t *v, uint32_t n, uint64_t key)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void jxl_pixels(void *opaque, size_t x, size_t y, size_t num_pixels, const void *pixels)
{
    struct jxl_run *r = opaque;
    if (x >= r->w || y >= r->h || num_pixels > r->w - x) {
        r->bad = 1;
        return;
    }
    lm_pixels *o = r->out;
    uint32_t i0 = lower_bound(r->ymap, o->height, y), i1 = lower_bound(r->ymap, o->height, y + 1);
    if (i0 == i1)
        return; /* a row the output does not take */
    uint32_t j0 = lower_bound(r->sink.xmap, o->width, x);
    uint32_t j1 = lower_bound(r->sink.xmap, o->width, (uint64_t)x + num_pixels);
    if (j0 == j1)
        return;
    const uint8_t *px = pixels;
    size_t ch = (size_t)r->in_ch;
    for (uint32_t j = j0; j < j1; j++)
        memcpy(r->picked + (size_t)(j - j0) * ch, px + (r->sink.xmap[j] - x) * ch, ch);
    uint8_t *dst = o->data + (size_t)i0 * o->stride + (size_t)j0 * (size_t)r->out_ch;
    lm_alpha_row(r->picked, r->in_ch, dst, r->out_ch, j1 - j0, r->bg);
    /* An output stretched vertically takes the same source row more than once. */
    for (uint32_t i = i0 + 1; i < i1; i++)
        memcpy(o->data + (size_t)i * o->stride + (size_t)j0 * (size_t)r->out_ch, dst,
               (size_t)(j1 - j0) * (size_t)r->out_ch);
    r->written += (uint64_t)(i1 - i0) * (j1 - j0);
}

static lm_status jxl_fail(const struct jxl_run *r, const char *what, lm_errbuf *err)
{
    if (r->mem.refused)
        return lm_errbuf_set(err, LM_E_LIMIT_PIXELS,
                             "jxl: decoding needs more than the %zu-byte memory budget",
                             r->mem.budget);
    return lm_errbuf_set(err, LM_E_CORRUPT, "jxl: %s", what);
}

static lm_status jxl_run(struct jxl_run *r, const uint8_t *data, size_t len,
                         const lm_decode_opts *opts, lm_pixels *out, lm_errbuf *err)
{
    /* libjxl keeps about 12-16 bytes per pixel (float planes) plus its tables. */
    uint64_t budget = (uint64_t)opts->max_pixels * 24u + (64u << 20);
    r->mem.budget = budget > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)budget;
    JxlMemoryManager mm = {&r->mem, jxl_alloc, jxl_free};
    r->dec = JxlDecoderCreate(&mm);
    if (!r->dec)
        return lm_errbuf_set(err, LM_E_NOMEM, "jxl: no memory");
    if (JxlDecoderSubscribeEvents(r->dec, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) !=
            JXL_DEC_SUCCESS ||
        JxlDecoderSetKeepOrientation(r->dec, JXL_TRUE) != JXL_DEC_SUCCESS ||
        JxlDecoderSetInput(r->dec, data, len) != JXL_DEC_SUCCESS)
        return lm_errbuf_set(err, LM_E_INTERNAL, "jxl: decoder set-up failed");
    JxlDecoderCloseInput(r->dec);
    r->out = out;
    r->bg = opts->alpha_background;
    int orientation = 1;
    for (;;) {
        JxlDecoderStatus s = JxlDecoderProcessInput(r->dec);
        if (s == JXL_DEC_ERROR)
            return jxl_fail(r, "damaged or unsupported data", err);
        if (s == JXL_DEC_NEED_MORE_INPUT)
            return lm_errbuf_set(err, LM_E_CORRUPT, "jxl: data ends before the image");
        if (s == JXL_DEC_SUCCESS)
            return lm_errbuf_set(err, LM_E_CORRUPT, "jxl: no image");
        if (s == JXL_DEC_BASIC_INFO) {
            JxlBasicInfo info;
            if (JxlDecoderGetBasicInfo(r->dec, &info) != JXL_DEC_SUCCESS)
                return jxl_fail(r, "basic info", err);
            /* Declared sizes, before anything is decoded. */
            lm_status st = lm_check_dimensions(info.xsize, info.ysize, opts, "jxl", err);
            if (st != LM_OK)
                return st;
            if (info.have_animation)
                return lm_errbuf_set(err, LM_E_UNSUPPORTED, "jxl: animated JPEG XL");
            if (info.alpha_bits && info.alpha_premultiplied)
                return lm_errbuf_set(err, LM_E_UNSUPPORTED, "jxl: premultiplied alpha");
            r->w = info.xsize;
            r->h = info.ysize;
            int grey = info.num_color_channels == 1;
            r->in_ch = (grey ? 1 : 3) + (info.alpha_bits ? 1 : 0);
            r->out_ch = grey ? 1 : 3;
            if (info.orientation >= 1 && info.orientation <= 8)
                orientation = (int)info.orientation;
            st = lm_rowsink_init(&r->sink, out, r->w, r->h, r->out_ch, err);
            if (st != LM_OK)
                return st;
            r->ymap = malloc(sizeof *r->ymap * out->height);
            r->picked = malloc((size_t)out->width * 4);
            if (!r->ymap || !r->picked)
                return lm_errbuf_set(err, LM_E_NOMEM, "jxl: no memory");
            for (uint32_t i = 0; i < out->height; i++)
                r->ymap[i] = lm_rowsink_source_row(&r->sink, i);
            continue;
        }
        if (s == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
            if (!r->ymap)
                return lm_errbuf_set(err, LM_E_CORRUPT, "jxl: image before its header");
            JxlPixelFormat fmt = {(uint32_t)r->in_ch, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
            if (JxlDecoderSetImageOutCallback(r->dec, &fmt, jxl_pixels, r) != JXL_DEC_SUCCESS)
                return jxl_fail(r, "pixel format", err);
            continue;
        }
        if (s == JXL_DEC_FULL_IMAGE)
            break;
        /* Events not subscribed to do not come; anything else is libjxl's business. */
    }
    if (r->bad || r->written != (uint64_t)out->width * out->height)
        return lm_errbuf_set(err, LM_E_CORRUPT, "jxl: incomplete image");
    if (opts->exif_orient && orientation != 1)
        return lm_orient_pixels(out, orientation, err);
    return LM_OK;
}

lm_status lm_decode_jxl(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                        lm_errbuf *err)
{
    lm_status st = jxl_load(err);
    if (st != LM_OK)
        return st;
    struct jxl_run r;
    memset(&r, 0, sizeof r);
    st = jxl_run(&r, data, len, opts, out, err);
    if (r.dec)
        JxlDecoderDestroy(r.dec);
    lm_rowsink_release(&r.sink);
    free(r.ymap);
    free(r.picked);
    if (st != LM_OK)
        lm_pixels_free(out);
    return st;
}

#endif

/* A naked codestream (FF 0A) or the ISOBMFF container's signature box. */
int lm_sniff_jxl(const uint8_t *d, size_t n)
{
    if (n >= 2 && d[0] == 0xFF && d[1] == 0x0A)
        return 1;
    return n >= 12 && memcmp(d, "\0\0\0\x0CJXL \r\n\x87\n", 12) == 0;
}
