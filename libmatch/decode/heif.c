/*
 * HEIF/HEIC (HEVC through libde265) and AVIF (AV1 through dav1d/libaom) still
 * images through libheif: the primary image as 8-bit RGB (a monochrome
 * source too, as R=G=B: libheif 1.15 cannot tell it before decoding), RGBA
 * composited onto the background when the image has an alpha plane, resampled
 * like every other format. Deeper sources are reduced to 8 bits by libheif.
 *
 * Orientation: HEIF stores it as transformative properties (irot, imir, and
 * the clap crop), which libheif applies. They are applied when the caller asks
 * for orientation (exif_orient, the same option as JPEG's EXIF) and ignored
 * otherwise, so stored pixels are hashed as for JPEG. The EXIF orientation tag
 * inside a HEIF file is never applied: ISO/IEC 23008-12 (and MIAF) make irot/
 * imir the orientation and the EXIF copy informative only (iPhones write both:
 * applying both would rotate twice).
 *
 * Hostile input: the declared (ispe) dimensions of the primary image are
 * checked against our limits after parsing the boxes and before any pixel is
 * decoded; libheif's own size limit is set to max_dimension; decoding is
 * single-threaded; the decoded image is checked again before it is read.
 * Errors come back as codes: the input is never printed.
 */
#include <stdlib.h>
#include <string.h>

#include <threads.h>

#include <libheif/heif.h>

#include "decode_internal.h"
#include "lazy.h"

/* libheif (and through it libde265, libx265, libaom, libdav1d, libstdc++) is opened on
 * first use, like FFmpeg (core/lazy.h): hashing a JPEG never loads it. */
_Static_assert(LIBHEIF_NUMERIC_VERSION >> 24 == 1, "libheif soname");
#define LM_HEIF_SYMBOLS(X) \
    X(heif_context_alloc) \
    X(heif_context_free) \
    X(heif_context_get_primary_image_handle) \
    X(heif_context_read_from_memory_without_copy) \
    X(heif_context_set_max_decoding_threads) \
    X(heif_context_set_maximum_image_size_limit) \
    X(heif_decode_image) \
    X(heif_decoding_options_alloc) \
    X(heif_decoding_options_free) \
    X(heif_image_get_bits_per_pixel_range) \
    X(heif_image_get_height) \
    X(heif_image_get_plane_readonly) \
    X(heif_image_get_width) \
    X(heif_image_handle_get_height) \
    X(heif_image_handle_get_ispe_height) \
    X(heif_image_handle_get_ispe_width) \
    X(heif_image_handle_get_width) \
    X(heif_image_handle_has_alpha_channel) \
    X(heif_image_handle_release) \
    X(heif_image_release)
static struct lm_heif_table {
#define LM_HEIF_SLOT(name) __typeof__(name) *name;
    LM_HEIF_SYMBOLS(LM_HEIF_SLOT)
#undef LM_HEIF_SLOT
} heif_fn;
static once_flag heif_once = ONCE_FLAG_INIT;
static int heif_state = -1;
static char heif_msg[200];

static void heif_load_once(void)
{
    static const char *const libs[] = {"libheif.so.1"};
    static const lm_lazy_sym syms[] = {
#define LM_HEIF_ENTRY(name) {0, #name, offsetof(struct lm_heif_table, name)},
        LM_HEIF_SYMBOLS(LM_HEIF_ENTRY)
#undef LM_HEIF_ENTRY
    };
    heif_state = lm_lazy_load(libs, 1, 0, syms, sizeof syms / sizeof syms[0], &heif_fn, NULL,
                              heif_msg, sizeof heif_msg);
}

static lm_status heif_load(lm_errbuf *err)
{
    call_once(&heif_once, heif_load_once);
    if (heif_state == 0)
        return LM_OK;
    return lm_errbuf_set(err, LM_E_UNSUPPORTED,
                         "HEIF/AVIF images need libheif, which could not be loaded: %s", heif_msg);
}

#define heif_context_alloc (heif_fn.heif_context_alloc)
#define heif_context_free (heif_fn.heif_context_free)
#define heif_context_get_primary_image_handle (heif_fn.heif_context_get_primary_image_handle)
#define heif_context_read_from_memory_without_copy (heif_fn.heif_context_read_from_memory_without_copy)
#define heif_context_set_max_decoding_threads (heif_fn.heif_context_set_max_decoding_threads)
#define heif_context_set_maximum_image_size_limit (heif_fn.heif_context_set_maximum_image_size_limit)
#define heif_decode_image (heif_fn.heif_decode_image)
#define heif_decoding_options_alloc (heif_fn.heif_decoding_options_alloc)
#define heif_decoding_options_free (heif_fn.heif_decoding_options_free)
#define heif_image_get_bits_per_pixel_range (heif_fn.heif_image_get_bits_per_pixel_range)
#define heif_image_get_height (heif_fn.heif_image_get_height)
#define heif_image_get_plane_readonly (heif_fn.heif_image_get_plane_readonly)
#define heif_image_get_width (heif_fn.heif_image_get_width)
#define heif_image_handle_get_height (heif_fn.heif_image_handle_get_height)
#define heif_image_handle_get_ispe_height (heif_fn.heif_image_handle_get_ispe_height)
#define heif_image_handle_get_ispe_width (heif_fn.heif_image_handle_get_ispe_width)
#define heif_image_handle_get_width (heif_fn.heif_image_handle_get_width)
#define heif_image_handle_has_alpha_channel (heif_fn.heif_image_handle_has_alpha_channel)
#define heif_image_handle_release (heif_fn.heif_image_handle_release)
#define heif_image_release (heif_fn.heif_image_release)

static lm_status heif_status(const struct heif_error *e)
{
    /* libheif's only limit is the side length we set to max_dimension. */
    if (e->subcode == heif_suberror_Security_limit_exceeded)
        return LM_E_LIMIT_DIMENSION;
    switch (e->code) {
    case heif_error_Ok: return LM_OK;
    case heif_error_Memory_allocation_error: return LM_E_NOMEM;
    case heif_error_Unsupported_filetype: return LM_E_FORMAT;
    case heif_error_Unsupported_feature: return LM_E_UNSUPPORTED;
    default: return LM_E_CORRUPT;
    }
}

static lm_status heif_fail(const struct heif_error *e, const char *what, lm_errbuf *err)
{
    return lm_errbuf_set(err, heif_status(e), "heif: %s: %s", what,
                         e->message ? e->message : "error");
}

/* 16-bit little-endian samples of `bits` bits to 8 bits, rounded. */
static void samples_to_8bit(const uint8_t *in, int bits, uint8_t *out, size_t n)
{
    unsigned maxv = (1u << bits) - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)in[2 * i] | (unsigned)in[2 * i + 1] << 8;
        if (v > maxv)
            v = maxv;
        out[i] = (uint8_t)((v * 255u + maxv / 2) / maxv);
    }
}

struct heif_run {
    struct heif_context *ctx;
    struct heif_image_handle *handle;
    struct heif_image *img;
    struct heif_decoding_options *dopts;
    uint8_t *row, *conv;
    lm_rowsink sink;
};

static lm_status heif_decode_primary(struct heif_run *r, const uint8_t *data, size_t len,
                                     const lm_decode_opts *opts, lm_pixels *out, lm_errbuf *err)
{
    r->ctx = heif_context_alloc();
    if (!r->ctx)
        return lm_errbuf_set(err, LM_E_NOMEM, "heif: no memory");
    uint32_t lim = opts->max_dimension < 0x7fffffffu ? opts->max_dimension : 0x7fffffffu;
    heif_context_set_maximum_image_size_limit(r->ctx, (int)lim);
    heif_context_set_max_decoding_threads(r->ctx, 0);
    struct heif_error e = heif_context_read_from_memory_without_copy(r->ctx, data, len, NULL);
    if (e.code != heif_error_Ok) {
        lm_status st = heif_status(&e);
        /* The brand said HEIF/AVIF: a file libheif cannot parse is damaged, not another format. */
        return lm_errbuf_set(err, st == LM_E_FORMAT ? LM_E_CORRUPT : st, "heif: %s",
                             e.message ? e.message : "unreadable");
    }
    e = heif_context_get_primary_image_handle(r->ctx, &r->handle);
    if (e.code != heif_error_Ok)
        return heif_fail(&e, "primary image", err);

    /* Declared sizes, before anything is decoded: coded (ispe) and displayed. */
    int iw = heif_image_handle_get_ispe_width(r->handle);
    int ih = heif_image_handle_get_ispe_height(r->handle);
    lm_status st = lm_check_dimensions(iw > 0 ? (uint64_t)iw : 0, ih > 0 ? (uint64_t)ih : 0, opts,
                                       "heif", err);
    if (st != LM_OK)
        return st;
    int dw = heif_image_handle_get_width(r->handle), dh = heif_image_handle_get_height(r->handle);
    st = lm_check_dimensions(dw > 0 ? (uint64_t)dw : 0, dh > 0 ? (uint64_t)dh : 0, opts, "heif",
                             err);
    if (st != LM_OK)
        return st;

    int alpha = heif_image_handle_has_alpha_channel(r->handle);
    /* libheif 1.15 cannot tell a monochrome source before decoding: always RGB (grey R=G=B). */
    int grey = 0;

    r->dopts = heif_decoding_options_alloc();
    if (!r->dopts)
        return lm_errbuf_set(err, LM_E_NOMEM, "heif: no memory");
    r->dopts->ignore_transformations = opts->exif_orient ? 0 : 1;
    r->dopts->convert_hdr_to_8bit = 1;
    e = heif_decode_image(r->handle, &r->img, grey ? heif_colorspace_monochrome : heif_colorspace_RGB,
                          grey ? heif_chroma_monochrome
                               : (alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB),
                          r->dopts);
    if (e.code != heif_error_Ok)
        return heif_fail(&e, "decode", err);

    enum heif_channel ch = grey ? heif_channel_Y : heif_channel_interleaved;
    int w = heif_image_get_width(r->img, ch), h = heif_image_get_height(r->img, ch);
    st = lm_check_dimensions(w > 0 ? (uint64_t)w : 0, h > 0 ? (uint64_t)h : 0, opts, "heif", err);
    if (st != LM_OK)
        return st;
    int bits = heif_image_get_bits_per_pixel_range(r->img, ch);
    int stride = 0;
    const uint8_t *plane = heif_image_get_plane_readonly(r->img, ch, &stride);
    int in_ch = grey ? 1 : (alpha ? 4 : 3), out_ch = grey ? 1 : 3;
    int wide = grey && bits > 8; /* interleaved RGB(A) is always 8-bit; Y keeps its depth */
    if (!plane || bits < 1 || bits > 16 || (!grey && bits != 8) || stride <= 0 ||
        (size_t)stride < (size_t)w * (size_t)in_ch * (wide ? 2 : 1))
        return lm_errbuf_set(err, LM_E_UNSUPPORTED, "heif: unexpected decoded layout (%d bits)",
                             bits);

    st = lm_rowsink_init(&r->sink, out, (uint32_t)w, (uint32_t)h, out_ch, err);
    if (st != LM_OK)
        return st;
    r->row = malloc((size_t)w * (size_t)out_ch);
    r->conv = wide ? malloc((size_t)w) : NULL;
    if (!r->row || (wide && !r->conv))
        return lm_errbuf_set(err, LM_E_NOMEM, "heif: no memory for a row");
    for (uint32_t y = 0; y < (uint32_t)h; y++) {
        if (!lm_rowsink_wants(&r->sink, y))
            continue;
        const uint8_t *src = plane + (size_t)stride * y;
        if (wide) {
            samples_to_8bit(src, bits, r->conv, (size_t)w);
            src = r->conv;
        }
        if (in_ch == out_ch) {
            lm_rowsink_put(&r->sink, y, src);
        } else {
            lm_alpha_row(src, in_ch, r->row, out_ch, (size_t)w, opts->alpha_background);
            lm_rowsink_put(&r->sink, y, r->row);
        }
    }
    return LM_OK;
}

lm_status lm_decode_heif(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                         lm_pixels *out, lm_errbuf *err)
{
    lm_status st = heif_load(err);
    if (st != LM_OK)
        return st;
    struct heif_run r;
    memset(&r, 0, sizeof r);
    st = heif_decode_primary(&r, data, len, opts, out, err);
    lm_rowsink_release(&r.sink);
    free(r.row);
    free(r.conv);
    heif_image_release(r.img);
    heif_decoding_options_free(r.dopts);
    heif_image_handle_release(r.handle);
    heif_context_free(r.ctx);
    if (st != LM_OK)
        lm_pixels_free(out);
    return st;
}

/* ftyp box brands: a still HEIF/AVIF image, an image sequence (a video), or neither. */
lm_format lm_sniff_heif(const uint8_t *d, size_t n)
{
    if (n < 16 || memcmp(d + 4, "ftyp", 4) != 0)
        return LM_FORMAT_UNKNOWN;
    uint32_t size = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    if (size < 16 || size > n || size > 4096)
        return LM_FORMAT_UNKNOWN;
    int avif = 0, heic = 0, mif1 = 0;
    for (uint32_t off = 8; off + 4 <= size; off += 4) {
        if (off == 12)
            continue; /* minor version */
        const uint8_t *b = d + off;
        if (!memcmp(b, "avis", 4) || !memcmp(b, "msf1", 4) || !memcmp(b, "hevc", 4) ||
            !memcmp(b, "hevx", 4) || !memcmp(b, "hevm", 4) || !memcmp(b, "hevs", 4))
            return LM_FORMAT_UNKNOWN; /* an image sequence: a video, for libavformat */
        if (!memcmp(b, "avif", 4))
            avif = 1;
        else if (!memcmp(b, "heic", 4) || !memcmp(b, "heix", 4) || !memcmp(b, "heim", 4) ||
                 !memcmp(b, "heis", 4))
            heic = 1;
        else if (!memcmp(b, "mif1", 4))
            mif1 = 1;
    }
    if (avif)
        return LM_FORMAT_AVIF;
    if (heic || mif1)
        return LM_FORMAT_HEIF;
    return LM_FORMAT_UNKNOWN;
}
