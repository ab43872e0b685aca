/*
 * PNG through libpng. Every colour type and bit depth is normalised by libpng
 * itself (palette -> RGB, grey 1/2/4 -> 8, tRNS -> alpha, 16 -> 8 bits by
 * png_set_strip_16), then alpha is composited onto the background: grey
 * sources give 1 channel, colour sources 3.
 *
 * Hostile input: libpng errors longjmp back here, warnings are dropped,
 * nothing is printed. IHDR is checked against our limits before libpng sees
 * the file (so the error code is exact), and again through png_set_user_limits
 * and after png_read_info. Non-interlaced images stream row by row into the
 * resampling sink; interlaced ones need the whole image, bounded by max_pixels.
 *
 * Most files never reach libpng: png_fast.c (libdeflate + SIMD unfiltering)
 * decodes them to the same pixels and hands back anything unusual.
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

/* Ancillary chunks (text, ICC ...) can be compressed bombs: cap what libpng keeps. */
#define LM_PNG_MAX_CHUNK_BYTES (8u << 20)
#define LM_PNG_MAX_CHUNKS 256

struct png_ctx {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t len, pos;
    const lm_decode_opts *opts;
    lm_errbuf *err;
    lm_status status; /* what a longjmp means */
    lm_rowsink sink;
    uint8_t *row;   /* one decoded row, libpng's layout */
    uint8_t *conv;  /* the same row in sink channels */
    uint8_t *image; /* interlaced only: the whole image */
    lm_pixels *out;
    int rows_done; /* every row read: an error after this is a truncated tail */
};

static void on_error(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    c->status = lm_errbuf_set(c->err, c->status, "png: %s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {}

/* libpng's allocations: a failure is reported as LM_E_NOMEM, not as corrupt data. */
static png_voidp on_malloc(png_structp png, png_alloc_size_t n)
{
    void *p = malloc(n);
    if (!p) {
        struct png_ctx *c = png_get_mem_ptr(png);
        c->status = LM_E_NOMEM;
    }
    return p;
}

static void on_free(png_structp png, png_voidp p)
{
    free(p);
}

static void on_read(png_structp png, png_bytep buf, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (c->len - c->pos < n)
        png_error(png, "file truncated");
    memcpy(buf, c->data + c->pos, n);
    c->pos += n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IHDR must be the first chunk: check its dimensions before libpng allocates anything. */
static lm_status precheck_ihdr(const uint8_t *d, size_t n, const lm_decode_opts *o, lm_errbuf *err)
{
    if (n < 8 + 8 + 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return lm_errbuf_set(err, LM_E_CORRUPT, "png: missing IHDR");
    return lm_check_dimensions(be32(d + 16), be32(d + 20), o, "png", err);
}

/*
 * libpng allocates an ancillary chunk's declared length (up to the chunk
 * limit) before reading it, so a few truncated bytes could cost megabytes of
 * zeroed memory per call. No chunk other than IDAT can be longer than what
 * is left of the input: refuse such a file before libpng sees it.
 */
static lm_status precheck_chunks(const uint8_t *d, size_t n, lm_errbuf *err)
{
    size_t pos = 8;
    while (n - pos >= 8) {
        uint32_t clen = be32(d + pos);
        const uint8_t *type = d + pos + 4;
        if (memcmp(type, "IEND", 4) == 0)
            break;
        if ((size_t)clen > n - pos - 8) {
            if (memcmp(type, "IDAT", 4) == 0)
                break; /* a truncated image: libpng reports it */
            return lm_errbuf_set(err, LM_E_CORRUPT, "png: a chunk declares %u bytes, %zu are left",
                                 clen, n - pos - 8);
        }
        if (n - pos - 8 - clen < 4)
            break;
        pos += 12 + (size_t)clen;
    }
    return LM_OK;
}

static void push_row(struct png_ctx *c, uint32_t y, const uint8_t *row, int in_ch, uint32_t w)
{
    if (!lm_rowsink_wants(&c->sink, y))
        return;
    lm_alpha_row(row, in_ch, c->conv, c->out->channels, w, c->opts->alpha_background);
    lm_rowsink_put(&c->sink, y, c->conv);
}

static lm_status png_run(struct png_ctx *c)
{
    if (setjmp(png_jmpbuf(c->png))) {
        /* Missing IEND, or cut inside the zlib trailer after the last row: hashed, flagged. */
        if (c->rows_done && c->status == LM_E_CORRUPT && lm_rowsink_done(&c->sink)) {
            c->out->truncated = 1;
            return LM_OK;
        }
        return c->status;
    }

    uint32_t lim = c->opts->max_dimension < 0x7fffffffu ? c->opts->max_dimension : 0x7fffffffu;
    png_set_user_limits(c->png, lim, lim);
    png_set_chunk_cache_max(c->png, LM_PNG_MAX_CHUNKS);
    png_set_chunk_malloc_max(c->png, LM_PNG_MAX_CHUNK_BYTES);
    png_set_read_fn(c->png, c, on_read);
    png_read_info(c->png, c->info);

    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(c->png, c->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    lm_status st = lm_check_dimensions(w, h, c->opts, "png", c->err);
    if (st != LM_OK)
        return st;

    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(c->png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(c->png);
    if (png_get_valid(c->png, c->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(c->png);
    if (depth == 16)
        png_set_strip_16(c->png);
    int passes = png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);

    int in_ch = png_get_channels(c->png, c->info);
    size_t rowbytes = png_get_rowbytes(c->png, c->info);
    if (in_ch < 1 || in_ch > 4 || rowbytes != (size_t)w * (size_t)in_ch)
        return lm_errbuf_set(c->err, LM_E_INTERNAL, "png: unexpected row layout");
    int out_ch = in_ch <= 2 ? 1 : 3;

    st = lm_rowsink_init(&c->sink, c->out, w, h, out_ch, c->err);
    if (st != LM_OK)
        return st;
    c->conv = malloc((size_t)w * (size_t)out_ch);
    if (!c->conv)
        return lm_errbuf_set(c->err, LM_E_NOMEM, "png: no memory for a row");

    if (passes == 1) {
        c->row = malloc(rowbytes);
        if (!c->row)
            return lm_errbuf_set(c->err, LM_E_NOMEM, "png: no memory for a row");
        for (uint32_t y = 0; y < h; y++) {
            png_read_row(c->png, c->row, NULL);
            push_row(c, y, c->row, in_ch, w);
        }
    } else {
        /* Adam7 spreads every output row over 7 passes: the whole image is needed. */
        c->image = malloc(rowbytes * h);
        if (!c->image)
            return lm_errbuf_set(c->err, LM_E_NOMEM, "png: no memory for %ux%u interlaced", w, h);
        for (int p = 0; p < passes; p++)
            for (uint32_t y = 0; y < h; y++)
                png_read_row(c->png, c->image + rowbytes * y, NULL);
        for (uint32_t y = 0; y < h; y++)
            push_row(c, y, c->image + rowbytes * y, in_ch, w);
    }
    /* Up to IEND: a file cut after the image data is flagged truncated (see setjmp above). */
    c->rows_done = 1;
    png_read_end(c->png, NULL);
    if (!lm_rowsink_done(&c->sink))
        return lm_errbuf_set(c->err, LM_E_CORRUPT, "png: image ended early");
    return LM_OK;
}

lm_status lm_decode_png(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                        lm_errbuf *err)
{
    lm_status st = precheck_ihdr(data, len, opts, err);
    if (st == LM_OK)
        st = precheck_chunks(data, len, err);
    if (st != LM_OK)
        return st;
    if (!opts->png_no_fast && lm_png_fast(data, len, opts, out, err, &st))
        return st;
    struct png_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory");
    c->data = data;
    c->len = len;
    c->opts = opts;
    c->err = err;
    c->out = out;
    c->status = LM_E_CORRUPT;
    c->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, c, on_error, on_warning, c, on_malloc,
                                      on_free);
    if (c->png)
        c->info = png_create_info_struct(c->png);
    if (!c->png || !c->info)
        st = lm_errbuf_set(err, LM_E_NOMEM, "png: no memory");
    else
        st = png_run(c);
    png_destroy_read_struct(c->png ? &c->png : NULL, c->info ? &c->info : NULL, NULL);
    lm_rowsink_release(&c->sink);
    free(c->row);
    free(c->conv);
    free(c->image);
    free(c);
    if (st != LM_OK)
        lm_pixels_free(out);
    return st;
}
