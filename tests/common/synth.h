/*
 * Deterministic, benign synthetic test images: smooth gradients, coloured
 * shapes and a fixed-seed low-frequency texture, drawn in coordinates relative
 * to the image size, so the same seed at two sizes is the same picture (and
 * hashes alike). Photo-like enough for PDQ quality >= 50.
 *
 * Also: encoders to memory (JPEG, PNG of every colour type) and a few simple
 * transforms. Everything stays in memory; writing files is the caller's choice.
 */
#ifndef LM_TEST_SYNTH_H
#define LM_TEST_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; rows are w*channels bytes, no padding. */
typedef struct synth_image {
    uint8_t *px;
    uint32_t w, h;
    int channels;
} synth_image;

/* All functions return 0 on success, -1 on bad arguments or no memory. */

/* A w x h RGB picture determined by seed. */
int synth_make(synth_image *img, uint32_t w, uint32_t h, uint64_t seed);
/* An uninitialised (zeroed) image. */
int synth_alloc(synth_image *img, uint32_t w, uint32_t h, int channels);
void synth_free(synth_image *img);

/* Bilinear resize to w x h (pixel centres aligned), any channel count. */
int synth_resize(const synth_image *in, synth_image *out, uint32_t w, uint32_t h);
int synth_crop(const synth_image *in, synth_image *out, uint32_t x, uint32_t y, uint32_t w,
               uint32_t h);
/* Rotation of an RGB image about its centre by deg degrees, same size, black corners
 * (bilinear). */
int synth_rotate(const synth_image *in, synth_image *out, double deg);
/* in turned a quarter clockwise (quarter 1) or not (0), then mirrored left to right when
 * mirror is 1; any channel count. */
int synth_turn(const synth_image *in, synth_image *out, int quarter, int mirror);
/* An RGB image inside bands t, b, l, r pixels wide of colour rgb (NULL: black). */
int synth_frame(const synth_image *in, synth_image *out, uint32_t t, uint32_t b, uint32_t l,
                uint32_t r, const uint8_t rgb[3]);
/* RGB(A) -> grey(+alpha) with integer BT.601 weights. */
int synth_grey(const synth_image *in, synth_image *out);
/* Add delta to every colour channel (not alpha), clamped. */
void synth_brightness(synth_image *img, int delta);
/* Add an alpha channel from a fixed pattern (for compositing tests). */
int synth_add_alpha(const synth_image *in, synth_image *out, uint64_t seed);
/*
 * Add fixed-seed per-pixel grain of +-amplitude to every channel: synthetic
 * pictures are smoother than camera photos and compress far better; grain
 * brings the entropy-coded size (and so Huffman decoding time) to camera-like
 * levels (about 2-4 bits per pixel at quality 85 with amplitude 12).
 */
void synth_add_grain(synth_image *img, uint64_t seed, int amplitude);

/* Chroma subsampling of a colour JPEG (luma sampling factors 1x1 ... 4x1), or grey. */
typedef enum {
    SYNTH_JPEG_444,  /* 1x1 */
    SYNTH_JPEG_422,  /* 2x1 */
    SYNTH_JPEG_420,  /* 2x2, libjpeg's default */
    SYNTH_JPEG_440,  /* 1x2 */
    SYNTH_JPEG_411,  /* 4x1 */
    SYNTH_JPEG_GREY, /* an RGB image is converted with synth_grey */
    SYNTH_JPEG_NSUB
} synth_jpeg_sub;

extern const char *const synth_jpeg_sub_names[SYNTH_JPEG_NSUB]; /* "4:4:4" ... "grey" */

typedef struct synth_jpeg_params {
    int quality;
    synth_jpeg_sub sub;
    /* 0 baseline, 1 libjpeg's simple progression, 2 one scan per AC coefficient and
     * component, 3 the same with a successive-approximation pass (synth_encode_jpeg_many_scans) */
    int progressive;
    int restart_rows;    /* a restart marker every N MCU rows (0: none) */
    int optimize_coding; /* optimised Huffman tables */
} synth_jpeg_params;

/* JPEG of a 1- or 3-channel image with every knob above; *buf is malloc'ed. */
int synth_encode_jpeg_with(const synth_image *img, const synth_jpeg_params *p, uint8_t **buf,
                           size_t *len);
/* Baseline 4:2:0 JPEG of a 1- or 3-channel image; *buf is malloc'ed. */
int synth_encode_jpeg(const synth_image *img, int quality, uint8_t **buf, size_t *len);
/* Progressive variant of the above. */
int synth_encode_jpeg_progressive(const synth_image *img, int quality, uint8_t **buf, size_t *len);
/*
 * A valid progressive JPEG with one scan per AC coefficient and component
 * (1 + 63 * channels scans); refine doubles the AC scans with a successive-
 * approximation pass (1 + 126 * channels). For scan-count limits.
 */
int synth_encode_jpeg_many_scans(const synth_image *img, int quality, int refine, uint8_t **buf,
                                 size_t *len);

/* A 24-bit bottom-up BMP of an RGB image (the simplest file libavcodec decodes losslessly);
 * *buf is malloc'ed. */
int synth_encode_bmp(const synth_image *img, uint8_t **buf, size_t *len);

/*
 * PNG of colour type color_type (libpng's PNG_COLOR_TYPE_*: 0 grey, 2 RGB,
 * 3 palette, 4 grey+alpha, 6 RGBA) and bit depth 1/2/4/8/16 as PNG allows.
 * The image's channels must match the type (palette: 3 or 4 channels with at
 * most 2^depth distinct colours, tRNS written when alpha is not all 255).
 * Sub-8-bit grey stores v * (2^d - 1) / 255 rounded; 16-bit stores v * 257.
 * Lossless whenever the values are representable. *buf is malloc'ed.
 */
int synth_encode_png(const synth_image *img, int color_type, int bit_depth, int interlace,
                     uint8_t **buf, size_t *len);
/* As synth_encode_png with libpng's filter mask (PNG_FILTER_SUB ...; 0: libpng's default). */
int synth_encode_png_filtered(const synth_image *img, int color_type, int bit_depth, int interlace,
                              int filters, uint8_t **buf, size_t *len);

#endif
