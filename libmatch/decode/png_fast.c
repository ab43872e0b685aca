/*
 * The fast PNG path: non-interlaced images of every colour type and depth
 * (grey 1/2/4/8/16, RGB 8/16, palette 1/2/4/8 with or without tRNS, grey+alpha
 * and RGBA 8/16). The concatenated IDAT data is inflated in one call by
 * libdeflate (zlib header and Adler-32 checked) into one buffer, the rows
 * are unfiltered from there by png_filter.c's kernels (several rows per call)
 * into a small ring of row buffers, and only the pixels the output takes (the
 * rows and columns of the 512x512 nearest-neighbour resampling) are converted
 * to 8-bit channels and composited.
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

/* Palette index of pixel x (depth d <= 8). */
static unsigned pal_index(const uint8_t *row, uint32_t x, int d)
{
    if (d == 8)
        return row[x];
    return (row[(size_t)x * d / 8] >> (8 - d - (x * d) % 8)) & ((1u << d) - 1);
}

/* Non-zero when every palette index in the row is inside the palette (else: libpng's business). */
static int row_indices_ok(const struct png_fast *p, const uint8_t *row)
{
    if (p->npal >= (1u << p->depth))
        return 1;
    unsigned bad = 0;
    if (p->depth == 8) {
        for (uint32_t x = 0; x < p->w; x++)
            bad |= row[x] >= p->npal;
    } else {
        for (uint32_t x = 0; x < p->w; x++)
            bad |= pal_index(row, x, p->depth) >= p->npal;
    }
    return !bad;
}

/*
 * The out_w pixels the output takes from an unfiltered row (source columns
 * xmap[0..out_w)), as 8-bit channels (libpng's expand / strip_16 /
 * palette_to_rgb), in_ch channels each. Only these pixels are converted.
 */
static void pick_8bit(const struct png_fast *p, const uint8_t *row, const uint32_t *xmap,
                      uint32_t out_w, uint8_t *out)
{
    int d = p->depth;
    if (p->ctype == 3) {
        int ch = p->trns ? 4 : 3;
        if (ch == 3)
            for (uint32_t x = 0; x < out_w; x++)
                memcpy(out + (size_t)x * 3, p->pal[pal_index(row, xmap[x], d)], 3);
        else
            for (uint32_t x = 0; x < out_w; x++)
                memcpy(out + (size_t)x * 4, p->pal[pal_index(row, xmap[x], d)], 4);
        return;
    }
    size_t spp = (size_t)samples_per_pixel(p->ctype);
    if (d == 16) {
        for (uint32_t x = 0; x < out_w; x++)
            for (size_t j = 0; j < spp; j++)
                out[x * spp + j] = row[2 * (xmap[x] * spp + j)]; /* png_set_strip_16: high byte */
    } else if (d == 8) {
        /* Constant sizes: plain moves, no memcpy calls. */
        switch (spp) {
        case 1:
            for (uint32_t x = 0; x < out_w; x++)
                out[x] = row[xmap[x]];
            break;
        case 2:
            for (uint32_t x = 0; x < out_w; x++)
                memcpy(out + 2 * (size_t)x, row + 2 * (size_t)xmap[x], 2);
            break;
        case 3:
            for (uint32_t x = 0; x < out_w; x++)
                memcpy(out + 3 * (size_t)x, row + 3 * (size_t)xmap[x], 3);
            break;
        default:
            for (uint32_t x = 0; x < out_w; x++)
                memcpy(out + 4 * (size_t)x, row + 4 * (size_t)xmap[x], 4);
            break;
        }
    } else {
        /* Grey 1/2/4 bits: scaled to 0..255 (png_set_expand_gray_1_2_4_to_8). */
        unsigned mul = d == 1 ? 255 : d == 2 ? 85 : 17;
        for (uint32_t x = 0; x < out_w; x++)
            out[x] = (uint8_t)(pal_index(row, xmap[x], d) * mul);
    }
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
    /* The kernels read a little beyond the last row (LM_PNG_ROW_SLACK). */
    uint8_t *raw = bufs[1] = malloc(raw_n + LM_PNG_ROW_SLACK);
    if (!raw)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory for %zu bytes", raw_n);
    memset(raw + raw_n, 0, LM_PNG_ROW_SLACK);
    struct libdeflate_decompressor *z = libdeflate_alloc_decompressor();
    if (!z)
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory");
    size_t got = 0, used = 0;
    enum libdeflate_result zr = libdeflate_zlib_decompress_ex(z, in, in_n, raw, raw_n, &used, &got);
    libdeflate_free_decompressor(z);
    if (zr != LIBDEFLATE_SUCCESS || got != raw_n)
        return LM_OK; /* short, long or damaged data: libpng says what exactly */
    /* Filter types first: one out of range is libpng's error to report. */
    for (uint32_t y = 0; y < p->h; y++)
        if (raw[(size_t)y * (rb + 1)] > 4)
            return LM_OK;

    int in_ch = p->ctype == 3 ? (p->trns ? 4 : 3) : spp;
    int out_ch = in_ch <= 2 ? 1 : 3;
    lm_rowsink sink;
    st = lm_rowsink_init(&sink, out, p->w, p->h, out_ch, err);
    if (st != LM_OK) {
        *handled = 1;
        return st;
    }
    uint32_t out_w = out->width;
    /* Unfiltered rows: a ring of group + 1 (the rows of one kernel call and the one above). */
    lm_png_unfilter_fn unfilter = lm_png_unfilter_best(NULL);
    unsigned group = lm_png_unfilter_group(unfilter, bpp), nring = group + 1;
    size_t stride = (rb + LM_PNG_ROW_SLACK + 63) & ~(size_t)63;
    uint8_t *ring = bufs[2] = malloc(stride * (nring + 1));
    uint8_t *eight = bufs[3] = malloc((size_t)out_w * 4);
    uint8_t *conv = bufs[4] = malloc((size_t)out_w * 3);
    if (!ring || !eight || !conv) {
        lm_rowsink_release(&sink);
        return lm_errbuf_set(err, LM_E_NOMEM, "png: no memory for rows");
    }
    const uint8_t *prev = ring + stride * nring; /* zeros: the row above the first */
    memset(ring + stride * nring, 0, stride);
    unsigned next = 0;
    for (uint32_t y = 0; y < p->h;) {
        const uint8_t *srcs[LM_PNG_UNFILTER_MAX_ROWS];
        uint8_t *dsts[LM_PNG_UNFILTER_MAX_ROWS];
        unsigned nr = p->h - y < group ? p->h - y : group;
        for (unsigned k = 0; k < nr; k++) {
            srcs[k] = raw + (size_t)(y + k) * (rb + 1);
            dsts[k] = ring + stride * ((next + k) % nring);
        }
        unsigned done = unfilter(nr, srcs, dsts, prev, rb, bpp);
        for (unsigned k = 0; k < done; k++, y++) {
            if (!lm_rowsink_wants(&sink, y))
                continue;
            if (p->ctype == 3 && !row_indices_ok(p, dsts[k])) {
                lm_rowsink_release(&sink);
                lm_pixels_free(out);
                return LM_OK;
            }
            pick_8bit(p, dsts[k], sink.xmap, out_w, eight);
            const uint8_t *src = eight;
            if (in_ch != out_ch) {
                lm_alpha_row(eight, in_ch, conv, out_ch, out_w, o->alpha_background);
                src = conv;
            }
            lm_rowsink_put_picked(&sink, y, src);
        }
        prev = dsts[done - 1];
        next = (next + done) % nring;
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
