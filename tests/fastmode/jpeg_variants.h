/*
 * In-memory JPEG encoder with the knobs synth_encode_jpeg does not have:
 * chroma subsampling, restart interval, progressive, optimised Huffman
 * tables. Used by tests/fastmode and bench/hash/bench_fast_vs_exact.c.
 * Everything stays in memory.
 */
#ifndef LM_TEST_JPEG_VARIANTS_H
#define LM_TEST_JPEG_VARIANTS_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "synth.h"

typedef enum {
    JV_444, /* 1x1 */
    JV_422, /* 2x1 */
    JV_420, /* 2x2 */
    JV_440, /* 1x2 */
    JV_411, /* 4x1 */
    JV_GREY,
    JV_NSUB
} jv_subsampling;

static const char *const jv_sub_names[JV_NSUB] = {"4:4:4", "4:2:2", "4:2:0",
                                                  "4:4:0", "4:1:1", "grey"};

typedef struct jv_params {
    int quality;
    jv_subsampling sub;
    int progressive;     /* libjpeg's simple progression */
    int restart_rows;    /* restart marker every N MCU rows (0: none) */
    int optimize_coding; /* optimised Huffman tables */
} jv_params;

struct jv_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};

static void jv_error_exit(j_common_ptr c)
{
    longjmp(((struct jv_err *)c->err)->jb, 1);
}

static void jv_quiet(j_common_ptr c)
{
    (void)c;
}

struct jv_enc {
    struct jpeg_compress_struct ci;
    struct jv_err err;
    unsigned char *mem;
    unsigned long size;
    synth_image grey;
};

static int jv_run(struct jv_enc *e, const synth_image *img, const jv_params *p)
{
    if (setjmp(e->err.jb))
        return -1;
    const synth_image *src = img;
    if (p->sub == JV_GREY && img->channels != 1) {
        if (synth_grey(img, &e->grey) != 0)
            return -1;
        src = &e->grey;
    }
    jpeg_create_compress(&e->ci);
    jpeg_mem_dest(&e->ci, &e->mem, &e->size);
    e->ci.image_width = src->w;
    e->ci.image_height = src->h;
    e->ci.input_components = src->channels;
    e->ci.in_color_space = src->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&e->ci);
    jpeg_set_quality(&e->ci, p->quality, TRUE);
    if (src->channels == 3) {
        static const int hv[JV_NSUB][2] = {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {4, 1}, {1, 1}};
        e->ci.comp_info[0].h_samp_factor = hv[p->sub][0];
        e->ci.comp_info[0].v_samp_factor = hv[p->sub][1];
        for (int c = 1; c < 3; c++)
            e->ci.comp_info[c].h_samp_factor = e->ci.comp_info[c].v_samp_factor = 1;
    }
    e->ci.restart_in_rows = p->restart_rows;
    e->ci.optimize_coding = p->optimize_coding ? TRUE : FALSE;
    if (p->progressive)
        jpeg_simple_progression(&e->ci);
    jpeg_start_compress(&e->ci, TRUE);
    size_t stride = (size_t)src->w * (size_t)src->channels;
    while (e->ci.next_scanline < e->ci.image_height) {
        JSAMPROW row = src->px + stride * e->ci.next_scanline;
        jpeg_write_scanlines(&e->ci, &row, 1);
    }
    jpeg_finish_compress(&e->ci);
    return 0;
}

/* RGB (or grey) image -> JPEG bytes in *buf (malloc'ed). 0 on success. */
static inline int jv_encode(const synth_image *img, const jv_params *p, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!img || !img->px || (img->channels != 1 && img->channels != 3))
        return -1;
    struct jv_enc *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    e->ci.err = jpeg_std_error(&e->err.pub);
    e->err.pub.error_exit = jv_error_exit;
    e->err.pub.output_message = jv_quiet;
    int r = jv_run(e, img, p);
    jpeg_destroy_compress(&e->ci);
    if (r == 0) {
        *buf = malloc(e->size ? e->size : 1);
        if (*buf) {
            memcpy(*buf, e->mem, e->size);
            *len = e->size;
        } else {
            r = -1;
        }
    }
    free(e->mem);
    synth_free(&e->grey);
    free(e);
    return r;
}

/*
 * Add fixed-seed per-pixel grain of +-amplitude to every channel: synthetic
 * pictures are smoother than camera photos and compress far better; grain
 * brings the entropy-coded size (and so Huffman decoding time) to camera-like
 * levels (about 2-4 bits per pixel at quality 85 with amplitude 12).
 */
static inline void jv_add_grain(synth_image *img, uint64_t seed, int amplitude)
{
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
    size_t n = (size_t)img->w * img->h * (size_t)img->channels;
    for (size_t i = 0; i < n; i++) {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        int v = img->px[i] + (int)(st % (uint64_t)(2 * amplitude + 1)) - amplitude;
        img->px[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

#endif
