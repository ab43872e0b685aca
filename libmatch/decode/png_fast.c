/*
 * The fast PNG path: non-interlaced images of every colour type and depth
 * (grey 1/2/4/8/16, RGB 8/16, palette 1/2/4/8 with or without tRNS, grey+alpha
 * and RGBA 8/16). The concatenated IDAT data is inflated in one call by
 * libdeflate (zlib header and Adler-32 checked), the rows are unfiltered by
 * png_filter.c's kernels, and only the rows the output needs are converted.
 * Pixels are identical to libpng with png.c's transformations
 * (tests/decode/test_png_fast.c compares every PNG in the test data and a
 * generated set of every type and depth).
 *
 * Anything unusual goes to libpng instead, which then reports the exact error
 * or copes as it always did: interlacing, a colour-key tRNS (grey/RGB), CRC
 * errors in critical chunks, unknown critical chunks, chunk-order problems,
 * image data that is short, long or badly filtered, palette indices beyond
 * the palette, raw data beyond LM_PNG_FAST_MAX_RAW bytes (libpng streams it).
 * Ancillary chunks are skipped unread, as libpng does with the settings png.c
 * uses (their CRC errors are benign there too).
 *
 * A file that ends after complete image data without IEND (or with a damaged
 * IEND) is decoded and marked truncated (lm_pixels.truncated), as png.c does
 * when libpng fails after the last row.
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "png_filter.h"

/* Raw (inflated) bytes above which libpng's row-by-row streaming is used instead. */
#define LM_PNG_FAST_MAX_RAW (128u << 20)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct chunk {
    uint32_t len;
    const uint8_t *type, *data;
};

/* 1: a chunk; 0: the data ends here (fewer than 12 bytes left); -1: a chunk cut short or absurd. */
static int next_chunk(const uint8_t *d, size_t n, size_t *pos, struct chunk *c)
{
    if (n - *pos < 12)
        return 0;
    c->len = be32(d + *pos);
    c->type = d + *pos + 4;
    c->data = d + *pos + 8;
    if (c->len > 0x7fffffffu || (size_t)c->len > n - *pos - 12)
        return -1;
    *pos += 12 + (size_t)c->len;
    return 1;
}

static int crc_ok(const struct chunk *c)
{
    uint32_t crc = (uint32_t)libdeflate_crc32(0, c->type, 4 + (size_t)c->len);
    return crc == be32(c->data + c->len);
}

static int is_type(const struct chunk *c, const char *t)
{
    return memcmp(c->type, t, 4) == 0;
}

static int critical(const struct chunk *c)
{
    return !(c->type[0] & 0x20);
}

struct png_fast {
    uint32_t w, h;
    int depth, ctype;
    uint8_t pal[256][4];
    unsigned npal;
    int trns;
    const uint8_t **idat;
    uint32_t *idat_len;
    size_t nidat, idat_total;
    int truncated;
};

static int depth_ok(int ct, int d)
{
    switch (ct) {
    case 0: return d == 1 || d == 2 || d == 4 || d == 8 || d == 16;
    case 3: return d == 1 || d == 2 || d == 4 || d == 8;
    case 2:
    case 4:
    case 6: return d == 8 || d == 16;
    default: return 0;
    }
}

static int samples_per_pixel(int ct)
{
    static const int s[7] = {1, 0, 3, 1, 2, 0, 4};
    return s[ct];
}

/* Walk the chunks. 1: usable by the fast path; 0: leave the file to libpng; -1: no memory. */
static int scan_chunks(const uint8_t *d, size_t n, struct png_fast *p)
{
    size_t pos = 8;
    struct chunk c;
    if (next_chunk(d, n, &pos, &c) != 1 || !is_type(&c, "IHDR") || c.len != 13 || !crc_ok(&c))
        return 0;
    p->w = be32(c.data);
    p->h = be32(c.data + 4);
    p->depth = c.data[8];
    p->ctype = c.data[9];
    if (!depth_ok(p->ctype, p->depth) || c.data[10] != 0 || c.data[11] != 0 || c.data[12] != 0)
        return 0; /* bad IHDR fields or interlaced: libpng */
    if (p->w == 0 || p->h == 0 || p->w > 0x7fffffffu || p->h > 0x7fffffffu)
        return 0;
    int plte = 0, r;
    /* Up to the first IDAT. */
    for (;;) {
        r = next_chunk(d, n, &pos, &c);
        if (r != 1)
            return 0;
        if (is_type(&c, "IDAT"))
            break;
        if (is_type(&c, "PLTE")) {
            if (plte || !crc_ok(&c) || c.len % 3 || c.len == 0 || c.len > 768 || p->ctype == 0 ||
                p->ctype == 4)
                return 0;
            plte = 1;
            p->npal = c.len / 3;
            if (p->ctype == 3 && p->npal > (1u << p->depth))
                return 0;
            for (unsigned i = 0; i < p->npal; i++) {
                memcpy(p->pal[i], c.data + 3 * i, 3);
                p->pal[i][3] = 255;
            }
            continue;
        }
        if (is_type(&c, "tRNS")) {
            /* Palette alpha only; a grey/RGB colour key goes to libpng. */
            if (p->ctype != 3 || !plte || p->trns || c.len == 0 || c.len > p->npal || !crc_ok(&c))
                return 0;
            for (unsigned i = 0; i < c.len; i++)
                p->pal[i][3] = c.data[i];
            p->trns = 1;
            continue;
        }
        if (critical(&c))
            return 0; /* IHDR again, IEND before data, unknown critical chunks */
    }
    if (p->ctype == 3 && !plte)
        return 0;
    /* The IDAT run. */
    size_t cap = 16;
    p->idat = malloc(cap * sizeof *p->idat);
    p->idat_len = malloc(cap * sizeof *p->idat_len);
    if (!p->idat || !p->idat_len)
        return -1;
    for (;;) {
        if (!crc_ok(&c))
            return 0;
        if (p->nidat == cap) {
            cap *= 2;
            const uint8_t **ni = realloc(p->idat, cap * sizeof *ni);
            if (!ni)
                return -1;
            p->idat = ni;
            uint32_t *nl = realloc(p->idat_len, cap * sizeof *nl);
            if (!nl)
                return -1;
            p->idat_len = nl;
        }
        p->idat[p->nidat] = c.data;
        p->idat_len[p->nidat++] = c.len;
        p->idat_total += c.len;
        size_t save = pos;
        r = next_chunk(d, n, &pos, &c);
        if (r == 1 && is_type(&c, "IDAT"))
            continue;
        pos = save;
        break;
    }
    /* After the image data: up to IEND. */
    for (;;) {
        r = next_chunk(d, n, &pos, &c);
        if (r != 1) {
            p->truncated = 1; /* ends (or is cut) before IEND */
            return 1;
        }
        if (is_type(&c, "IEND")) {
            /* libpng fails on a damaged IEND after the rows, which png.c flags the same way. */
            if (c.len != 0 || !crc_ok(&c))
                p->truncated = 1;
            return 1;
        }
        if (critical(&c))
            return 0; /* a second IDAT run, PLTE after IDAT, unknown critical chunks */
    }
}

/* Row of the image's samples as 8-bit channels (libpng's expand / strip_16 / palette_to_rgb). */
static int row_to_8bit(const struct png_fast *p, const uint8_t *row, uint8_t *out)
{
    uint32_t w = p->w;
    int d = p->depth;
    if (p->ctype == 3) {
        int ch = p->trns ? 4 : 3;
        for (uint32_t x = 0; x < w; x++) {
            unsigned idx;
            if (d == 8)
                idx = row[x];
            else
                idx = (row[(size_t)x * d / 8] >> (8 - d - (x * d) % 8)) & ((1u << d) - 1);
            if (idx >= p->npal)
                return 0; /* libpng's business */
            memcpy(out + (size_t)x * ch, p->pal[idx], (size_t)ch);
        }
        return 1;
    }
    size_t ns = (size_t)w * samples_per_pixel(p->ctype);
    if (d == 16) {
        for (size_t i = 0; i < ns; i++)
            out[i] = row[2 * i]; /* png_set_strip_16: the high byte */
    } else if (d == 8) {
        memcpy(out, row, ns);
    } else {
        /* Grey 1/2/4 bits: scaled to 0..255 (png_set_expand_gray_1_2_4_to_8). */
        unsigned mul = d == 1 ? 255 : d == 2 ? 85 : 17;
        for (size_t x = 0; x < ns; x++)
            out[x] = (uint8_t)(((row[x * d / 8] >> (8 - d - (x * d) % 8)) & ((1u << d) - 1)) * mul);
    }
    return 1;
}

static lm_status run_fast(const uint8_t *d, size_t n, const lm_decode_opts *o, lm_pixels *out,
                          lm_errbuf *err, struct png_fast *p, uint8_t **bufs, int *handled)
{
    *handled = 0;
    int r = scan_chunks(d, n, p);
    if (r < 0)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory");
    if (r == 0)
        return LM_OK;
    lm_status st = lm_check_dimensions(p->w, p->h, o, "png", err);
    if (st != LM_OK) {
        *handled = 1;
        return st;
    }
    int spp = samples_per_pixel(p->ctype);
    size_t bits = (size_t)p->w * (size_t)spp * (size_t)p->depth;
    size_t rb = (bits + 7) / 8;
    unsigned bpp = (unsigned)((spp * p->depth + 7) / 8);
    if ((uint64_t)(rb + 1) * p->h > LM_PNG_FAST_MAX_RAW)
        return LM_OK;
    size_t raw_n = (rb + 1) * (size_t)p->h;

    const uint8_t *in = p->idat[0];
    size_t in_n = p->idat_total;
    if (p->nidat > 1) {
        uint8_t *cat = bufs[0] = malloc(in_n ? in_n : 1);
        if (!cat)
            return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory for %zu bytes", in_n);
        size_t off = 0;
        for (size_t i = 0; i < p->nidat; i++) {
            memcpy(cat + off, p->idat[i], p->idat_len[i]);
            off += p->idat_len[i];
        }
        in = cat;
    }
    uint8_t *raw = bufs[1] = malloc(raw_n);
    if (!raw)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory for %zu bytes", raw_n);
    struct libdeflate_decompressor *z = libdeflate_alloc_decompressor();
    if (!z)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory");
    size_t got = 0, used = 0;
    enum libdeflate_result zr = libdeflate_zlib_decompress_ex(z, in, in_n, raw, raw_n, &used, &got);
    libdeflate_free_decompressor(z);
    if (zr != LIBDEFLATE_SUCCESS || got != raw_n)
        return LM_OK; /* short, long or damaged data: libpng says what exactly */

    int in_ch = p->ctype == 3 ? (p->trns ? 4 : 3) : spp;
    int out_ch = in_ch <= 2 ? 1 : 3;
    uint8_t *zero = bufs[2] = calloc(1, rb);
    uint8_t *eight = bufs[3] = malloc((size_t)p->w * 4);
    uint8_t *conv = bufs[4] = malloc((size_t)p->w * 3);
    if (!zero || !eight || !conv)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory for a row");
    /* Filter types first: one out of range is libpng's error to report. */
    for (uint32_t y = 0; y < p->h; y++)
        if (raw[(size_t)y * (rb + 1)] > 4)
            return LM_OK;
    lm_rowsink sink;
    st = lm_rowsink_init(&sink, out, p->w, p->h, out_ch, err);
    if (st != LM_OK) {
        *handled = 1;
        return st;
    }
    lm_png_unfilter_fn unfilter = lm_png_unfilter_best(NULL);
    const uint8_t *prev = zero;
    for (uint32_t y = 0; y < p->h; y++) {
        uint8_t *line = raw + (size_t)y * (rb + 1);
        unfilter(line[0], line + 1, prev, rb, bpp);
        prev = line + 1;
        if (!lm_rowsink_wants(&sink, y))
            continue;
        if (!row_to_8bit(p, line + 1, eight)) {
            lm_rowsink_release(&sink);
            lm_pixels_free(out);
            return LM_OK;
        }
        const uint8_t *src = eight;
        if (in_ch != out_ch) {
            lm_alpha_row(eight, in_ch, conv, out_ch, p->w, o->alpha_background);
            src = conv;
        }
        lm_rowsink_put(&sink, y, src);
    }
    int done = lm_rowsink_done(&sink);
    lm_rowsink_release(&sink);
    *handled = 1;
    if (!done)
        return lm_errbuf_set(err, LM_E_INTERNAL, "png: rows missing");
    out->truncated = p->truncated;
    return LM_OK;
}

int lm_png_fast(const uint8_t *data, size_t len, const lm_decode_opts *opts, lm_pixels *out,
                lm_errbuf *err, lm_status *status)
{
    struct png_fast *p = calloc(1, sizeof *p);
    if (!p) {
        *status = lm_errbuf_set(err, LM_E_NOMEM, "png: no memory");
        return 1;
    }
    uint8_t *bufs[5] = {NULL, NULL, NULL, NULL, NULL};
    int handled = 0;
    lm_status st = run_fast(data, len, opts, out, err, p, bufs, &handled);
    for (int i = 0; i < 5; i++)
        free(bufs[i]);
    free(p->idat);
    free(p->idat_len);
    free(p);
    if (st != LM_OK) {
        lm_pixels_free(out);
        *status = st;
        return 1;
    }
    if (!handled) {
        lm_pixels_free(out);
        return 0;
    }
    *status = LM_OK;
    return 1;
}
