/*
 * JPEG through libjpeg-turbo with the reference's settings (integer slow DCT,
 * fancy upsampling), decoded scanline by scanline into the resampling sink.
 *
 * Hostile input: libjpeg errors longjmp back here and nothing is printed.
 * Corrupt-data warnings (entropy data missing, bad Huffman codes, ...) are
 * failures, not grey padding; a file that only lacks its tail (EOI) after
 * complete entropy data is decoded and flagged truncated. Declared dimensions are checked right after the
 * header, before any pixel memory; libjpeg's own memory is capped; progressive
 * files with absurd numbers of scans (a CPU bomb) are rejected.
 *
 * Colour: greyscale stays 1 channel (the reference takes grey as luma); YCbCr
 * and RGB become RGB. CMYK/YCCK, which the reference rejects, are converted to
 * RGB assuming Adobe's inverted CMYK (what Photoshop and Pillow write):
 * R = C*K/255 on the stored values.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "decode_internal.h"

/* Real progressive files have about 10 scans; thousands are a decoding-time bomb. */
#define LM_JPEG_MAX_SCANS 256
/* libjpeg's working memory (coefficient buffers of progressive files) is capped here... */
#define LM_JPEG_MAX_MEMORY (768u << 20)

struct jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    lm_status status;
    lm_errbuf *err;
    int hit_eof; /* the data ended before EOI (libjpeg inserted one) */
};

struct jpeg_ctx {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err jerr;
    struct jpeg_progress_mgr progress;
    const lm_decode_opts *opts;
    lm_rowsink sink;
    uint8_t *row; /* one converted scanline (CMYK only) */
    int skip;     /* rows the output does not need go through jpeg_skip_scanlines */
    lm_pixels *out;
};

static void fail_with_message(j_common_ptr c, lm_status status)
{
    struct jpeg_err *e = (struct jpeg_err *)c->err;
    char msg[JMSG_LENGTH_MAX];
    (*c->err->format_message)(c, msg);
    e->status = lm_errbuf_set(e->err, status, "jpeg: %s", msg);
    longjmp(e->jb, 1);
}

static void on_error_exit(j_common_ptr c)
{
    lm_status st = LM_E_CORRUPT;
    switch (c->err->msg_code) {
    case JERR_OUT_OF_MEMORY: st = LM_E_NOMEM; break;
    case JERR_NO_BACKING_STORE: st = LM_E_LIMIT_PIXELS; break; /* our memory cap was hit */
    case JERR_IMAGE_TOO_BIG: st = LM_E_LIMIT_DIMENSION; break;
    case JERR_BAD_PRECISION: st = LM_E_UNSUPPORTED; break;      /* 12-bit JPEG */
    case JERR_CONVERSION_NOTIMPL: st = LM_E_UNSUPPORTED; break; /* e.g. 2 components */
    default: break;
    }
    fail_with_message(c, st);
}

static void on_output_message(j_common_ptr c) {}

/*
 * Warnings about the entropy-coded data (premature end, bad Huffman codes,
 * resync, bogus progression ...) mean the pixels are not what the encoder
 * wrote: those are failures. Metadata-only warnings are not, nor are stray
 * bytes between segments (JWRN_EXTRANEOUS_DATA): libjpeg skips them, the
 * pixels are intact and the reference hashes such files, and many cameras
 * write them, so refusing would only lose matches.
 */
static int warning_is_corrupt(int code)
{
    switch (code) {
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
    case JWRN_BOGUS_ICC:
    case JWRN_EXTRANEOUS_DATA: return 0;
    default: return 1;
    }
}

static void on_emit_message(j_common_ptr c, int level)
{
    if (level >= 0)
        return;
    /*
     * Premature end of data: libjpeg inserts an EOI and goes on. That alone
     * is only a missing tail (often just the EOI marker, or bytes the Huffman
     * decoder read ahead); entropy data actually missing shows up as
     * JWRN_HIT_MARKER, which stays corrupt. jpeg_run flags the result truncated.
     */
    if (c->err->msg_code == JWRN_JPEG_EOF) {
        ((struct jpeg_err *)c->err)->hit_eof = 1;
        return;
    }
    if (warning_is_corrupt(c->err->msg_code))
        fail_with_message(c, LM_E_CORRUPT);
}

static void on_progress(j_common_ptr c)
{
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > LM_JPEG_MAX_SCANS) {
        struct jpeg_err *e = (struct jpeg_err *)c->err;
        e->status =
            lm_errbuf_set(e->err, LM_E_CORRUPT, "jpeg: more than %d scans", LM_JPEG_MAX_SCANS);
        longjmp(e->jb, 1);
    }
}

/* Adobe CMYK is stored inverted: the stored C is 255 - cyan, so R = C*K/255. */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++, in += 4, out += 3) {
        unsigned k = in[3];
        out[0] = (uint8_t)((in[0] * k + 127) / 255);
        out[1] = (uint8_t)((in[1] * k + 127) / 255);
        out[2] = (uint8_t)((in[2] * k + 127) / 255);
    }
}

/* Largest 1/2, 1/4, 1/8 DCT scaling that keeps both sides >= min_side. */
static unsigned dct_scale_denom(uint32_t w, uint32_t h, uint32_t min_side)
{
    if (w <= LM_DECODE_TARGET && h <= LM_DECODE_TARGET)
        return 1; /* not resampled: every pixel is hashed as is */
    for (unsigned d = 8; d > 1; d /= 2)
        if ((w + d - 1) / d >= min_side && (h + d - 1) / d >= min_side)
            return d;
    return 1;
}

/*
 * jpeg_skip_scanlines() (libjpeg-turbo >= 1.5) gives the same pixels in the
 * rows read after it as reading every row at full scale: checked by
 * tests/fastmode on every JPEG of the reference set and on every subsampling
 * (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, grey), baseline and progressive, with
 * restart markers. It skips the colour conversion of skipped rows and, when
 * whole iMCU rows fall between two wanted rows, their IDCT and upsampling too;
 * Huffman decoding is never skipped, so corrupt data is still detected.
 * With DCT scaling it is NOT exact in libjpeg-turbo 2.1.5 (a 700x4321 4:2:0
 * file at 1/2 and 1/4 gives different rows), so scaled decodes read every row.
 */
static int skip_rows_is_exact(j_decompress_ptr ci)
{
    return ci->scale_num == ci->scale_denom;
}

/* Everything that can longjmp lives here; the caller cleans up whatever it left. */
static lm_status jpeg_run(struct jpeg_ctx *c, const uint8_t *data, size_t len, lm_errbuf *err)
{
    j_decompress_ptr ci = &c->cinfo;
    if (setjmp(c->jerr.jb))
        return c->jerr.status;

    jpeg_create_decompress(ci);
    /* ...and scaled down with max_pixels (8 bytes a pixel covers 4:4:4 progressive). */
    uint64_t mem = LM_JPEG_MAX_MEMORY;
    if (c->opts->max_pixels < (LM_JPEG_MAX_MEMORY - (16u << 20)) / 8)
        mem = c->opts->max_pixels * 8 + (16u << 20);
    ci->mem->max_memory_to_use = (long)mem;
    c->progress.progress_monitor = on_progress;
    ci->progress = &c->progress;
    jpeg_mem_src(ci, data, (unsigned long)len);
    if (c->opts->exif_orient)
        jpeg_save_markers(ci, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(ci, TRUE);

    /* Saved markers live in libjpeg's image pool, freed by jpeg_finish_decompress: read now. */
    int orientation = 0;
    for (jpeg_saved_marker_ptr m = ci->marker_list; m && c->opts->exif_orient; m = m->next) {
        if (m->marker == JPEG_APP0 + 1)
            orientation = lm_exif_orientation(m->data, m->data_length);
        if (orientation)
            break;
    }

    lm_status st = lm_check_dimensions(ci->image_width, ci->image_height, c->opts, "jpeg", err);
    if (st != LM_OK)
        return st;

    int channels = 3, cmyk = 0;
    switch (ci->jpeg_color_space) {
    case JCS_GRAYSCALE:
        ci->out_color_space = JCS_GRAYSCALE;
        channels = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        ci->out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default: ci->out_color_space = JCS_RGB; break;
    }
    ci->dct_method = JDCT_ISLOW;
    ci->do_fancy_upsampling = TRUE;

    if (c->opts->jpeg_dct_scale) {
        uint32_t min_side = c->opts->jpeg_fast_min_side;
        ci->scale_denom = dct_scale_denom(ci->image_width, ci->image_height,
                                          min_side ? min_side : LM_JPEG_FAST_MIN_SIDE);
    }

    jpeg_start_decompress(ci);
    if (ci->output_width == 0 || ci->output_height == 0 || ci->output_width > ci->image_width ||
        ci->output_height > ci->image_height || ci->output_components != (cmyk ? 4 : channels))
        return lm_errbuf_set(err, LM_E_INTERNAL, "jpeg: unexpected output geometry");

    c->skip = !c->opts->jpeg_no_skip && skip_rows_is_exact(ci);
    st = lm_rowsink_init_scaled(&c->sink, c->out, ci->output_width, ci->output_height,
                                ci->image_width, ci->image_height, channels, err);
    if (st != LM_OK)
        return st;
    c->out->source_width = ci->image_width; /* as declared, even when DCT-scaled */
    c->out->inexact = ci->output_width != ci->image_width || ci->output_height != ci->image_height;
    c->out->source_height = ci->image_height;
    /* The scanline lives in libjpeg's pool (freed by jpeg_destroy, even after a longjmp). */
    JSAMPARRAY line = (*ci->mem->alloc_sarray)((j_common_ptr)ci, JPOOL_IMAGE,
                                               ci->output_width * ci->output_components, 1);
    if (cmyk) {
        c->row = malloc((size_t)ci->output_width * 3);
        if (!c->row)
            return lm_errbuf_set(err, LM_E_NOMEM, "jpeg: no memory for a scanline");
    }
    while (ci->output_scanline < ci->output_height) {
        uint32_t sy = ci->output_scanline;
        /* Rows the output does not need are skipped (see skip_rows_is_exact). */
        uint32_t want = lm_rowsink_next_row(&c->sink);
        if (want > sy && c->skip) {
            JDIMENSION n = want - sy;
            if (jpeg_skip_scanlines(ci, n) != n)
                return lm_errbuf_set(err, LM_E_CORRUPT, "jpeg: decoding stalled at row %u", sy);
            continue;
        }
        if (jpeg_read_scanlines(ci, line, 1) != 1)
            return lm_errbuf_set(err, LM_E_CORRUPT, "jpeg: decoding stalled at row %u", sy);
        if (!lm_rowsink_wants(&c->sink, sy))
            continue;
        if (cmyk) {
            cmyk_to_rgb(line[0], c->row, ci->output_width);
            lm_rowsink_put(&c->sink, sy, c->row);
        } else {
            lm_rowsink_put(&c->sink, sy, line[0]);
        }
    }
    /* Reads up to EOI; a file cut short after the entropy data is flagged truncated. */
    jpeg_finish_decompress(ci);
    if (!lm_rowsink_done(&c->sink))
        return lm_errbuf_set(err, LM_E_CORRUPT, "jpeg: image ended early");
    c->out->truncated = c->jerr.hit_eof;

    if (orientation)
        st = lm_orient_pixels(c->out, orientation, err);
    return st;
}

lm_status lm_decode_jpeg(const uint8_t *data, size_t len, const lm_decode_opts *opts,
                         lm_pixels *out, lm_errbuf *err)
{
    struct jpeg_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return lm_errbuf_set(err, LM_E_NOMEM, "jpeg: no memory");
    c->opts = opts;
    c->out = out;
    c->cinfo.err = jpeg_std_error(&c->jerr.pub);
    c->jerr.pub.error_exit = on_error_exit;
    c->jerr.pub.output_message = on_output_message;
    c->jerr.pub.emit_message = on_emit_message;
    c->jerr.status = LM_E_CORRUPT;
    c->jerr.err = err;

    lm_status st = jpeg_run(c, data, len, err);
    jpeg_destroy_decompress(&c->cinfo);
    lm_rowsink_release(&c->sink);
    free(c->row);
    free(c);
    if (st != LM_OK)
        lm_pixels_free(out);
    return st;
}
