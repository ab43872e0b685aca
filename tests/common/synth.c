/* Synthetic benign images, in-memory encoders and transforms for tests and tools. */
#include "synth.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unit(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) / 9007199254740992.0;
}

static uint8_t clamp8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

int synth_alloc(synth_image *img, uint32_t w, uint32_t h, int channels)
{
    memset(img, 0, sizeof *img);
    if (w == 0 || h == 0 || channels < 1 || channels > 4 || (uint64_t)w * h > (1ull << 28))
        return -1;
    img->px = calloc((size_t)w * h, (size_t)channels);
    if (!img->px)
        return -1;
    img->w = w;
    img->h = h;
    img->channels = channels;
    return 0;
}

void synth_free(synth_image *img)
{
    if (img) {
        free(img->px);
        memset(img, 0, sizeof *img);
    }
}

/* ---- drawing ------------------------------------------------------------ */

#define NOISE_GRID 9
#define FINE_GRID 33 /* a finer texture octave: gives PDQ enough gradient energy */
#define NSHAPES 9

struct shape {
    int kind; /* 0 ellipse, 1 rectangle */
    double cx, cy, rx, ry;
    double rgb[3];
};

struct scene {
    double bg0[3], bg1[3], bg2[3];
    double noise[NOISE_GRID][NOISE_GRID][3];
    double fine[FINE_GRID][FINE_GRID];
    struct shape s[NSHAPES];
};

static void scene_init(struct scene *sc, uint64_t seed)
{
    uint64_t st = seed ^ 0x5eed5eed12345678ull;
    for (int c = 0; c < 3; c++) {
        sc->bg0[c] = 30 + 200 * unit(&st);
        sc->bg1[c] = 30 + 200 * unit(&st);
        sc->bg2[c] = 30 + 200 * unit(&st);
    }
    for (int i = 0; i < NOISE_GRID; i++)
        for (int j = 0; j < NOISE_GRID; j++)
            for (int c = 0; c < 3; c++)
                sc->noise[i][j][c] = 70 * (unit(&st) - 0.5);
    for (int i = 0; i < FINE_GRID; i++)
        for (int j = 0; j < FINE_GRID; j++)
            sc->fine[i][j] = 60 * (unit(&st) - 0.5);
    for (int k = 0; k < NSHAPES; k++) {
        struct shape *s = &sc->s[k];
        s->kind = (int)(splitmix(&st) & 1);
        s->cx = unit(&st);
        s->cy = unit(&st);
        s->rx = 0.05 + 0.2 * unit(&st);
        s->ry = 0.05 + 0.2 * unit(&st);
        for (int c = 0; c < 3; c++)
            s->rgb[c] = 255 * unit(&st);
    }
}

static double smooth(double t)
{
    return t * t * (3 - 2 * t);
}

/* Bilinear lattice noise over an n x n grid at relative coordinates (u, v); the value of
 * node (i, j) is grid[(i * n + j) * step] (step: values interleaved per node). */
static double lattice(const double *grid, int n, int step, double u, double v)
{
    double gx = u * (n - 1), gy = v * (n - 1);
    int ix = (int)gx, iy = (int)gy;
    if (ix > n - 2)
        ix = n - 2;
    if (iy > n - 2)
        iy = n - 2;
    double fx = smooth(gx - ix), fy = smooth(gy - iy);
    const double *r0 = grid + (size_t)iy * n * step, *r1 = r0 + (size_t)n * step;
    return (1 - fy) * ((1 - fx) * r0[ix * step] + fx * r0[(ix + 1) * step]) +
           fy * ((1 - fx) * r1[ix * step] + fx * r1[(ix + 1) * step]);
}

/* Colour at relative coordinates (u, v) in [0,1): the same picture at every size. */
static void scene_colour(const struct scene *sc, double u, double v, double out[3])
{
    for (int c = 0; c < 3; c++) {
        double n = lattice(&sc->noise[0][0][c], NOISE_GRID, 3, u, v);
        out[c] = sc->bg0[c] * (1 - u) * (1 - v) + sc->bg1[c] * u + sc->bg2[c] * v * (1 - u) + n;
    }
    double grain = lattice(&sc->fine[0][0], FINE_GRID, 1, u, v);
    for (int c = 0; c < 3; c++)
        out[c] += grain;
    for (int k = 0; k < NSHAPES; k++) {
        const struct shape *s = &sc->s[k];
        double dx = (u - s->cx) / s->rx, dy = (v - s->cy) / s->ry;
        int inside = s->kind ? fabs(dx) < 1 && fabs(dy) < 1 : dx * dx + dy * dy < 1;
        if (inside) {
            /* Shaded inside so shapes are not flat: light from the top left. */
            double shade = 0.75 + 0.25 * (1 - (dx + dy) / 2) / 2;
            for (int c = 0; c < 3; c++)
                out[c] = s->rgb[c] * shade + grain / 2;
        }
    }
}

int synth_make(synth_image *img, uint32_t w, uint32_t h, uint64_t seed)
{
    if (synth_alloc(img, w, h, 3) != 0)
        return -1;
    struct scene sc;
    scene_init(&sc, seed);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            double c[3];
            scene_colour(&sc, (x + 0.5) / w, (y + 0.5) / h, c);
            uint8_t *p = img->px + ((size_t)y * w + x) * 3;
            for (int k = 0; k < 3; k++)
                p[k] = clamp8(c[k]);
        }
    }
    return 0;
}

/* ---- transforms ------------------------------------------------------------ */

/* Output sample i of n over m input samples, pixel centres aligned: the two input samples
 * around it (*i0, *i1) and the weight of the second (*f). */
static void resize_taps(uint32_t i, uint32_t n, uint32_t m, uint32_t *i0, uint32_t *i1, double *f)
{
    double s = (i + 0.5) * m / n - 0.5;
    if (s < 0)
        s = 0;
    *i0 = (uint32_t)s;
    *i1 = *i0 + 1 < m ? *i0 + 1 : *i0;
    *f = s - *i0;
}

int synth_resize(const synth_image *in, synth_image *out, uint32_t w, uint32_t h)
{
    if (!in || !in->px || synth_alloc(out, w, h, in->channels) != 0)
        return -1;
    int ch = in->channels;
    for (uint32_t y = 0; y < h; y++) {
        uint32_t y0, y1;
        double fy;
        resize_taps(y, h, in->h, &y0, &y1, &fy);
        for (uint32_t x = 0; x < w; x++) {
            uint32_t x0, x1;
            double fx;
            resize_taps(x, w, in->w, &x0, &x1, &fx);
            for (int c = 0; c < ch; c++) {
                double a = in->px[((size_t)y0 * in->w + x0) * ch + c];
                double b = in->px[((size_t)y0 * in->w + x1) * ch + c];
                double d = in->px[((size_t)y1 * in->w + x0) * ch + c];
                double e = in->px[((size_t)y1 * in->w + x1) * ch + c];
                double v = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * d + fx * e);
                out->px[((size_t)y * w + x) * ch + c] = clamp8(v);
            }
        }
    }
    return 0;
}

int synth_rotate(const synth_image *in, synth_image *out, double deg)
{
    if (!in || !in->px || in->channels != 3)
        return -1;
    uint32_t w = in->w, h = in->h;
    if (synth_alloc(out, w, h, 3))
        return -1;
    double a = deg * M_PI / 180, ca = cos(a), sa = sin(a), cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double sx = ca * (x - cx) + sa * (y - cy) + cx,
                   sy = -sa * (x - cx) + ca * (y - cy) + cy;
            long ix = (long)floor(sx), iy = (long)floor(sy);
            if (ix < 0 || iy < 0 || ix + 1 >= (long)w || iy + 1 >= (long)h)
                continue;
            double fx = sx - ix, fy = sy - iy;
            for (int c = 0; c < 3; c++) {
                const uint8_t *p = in->px + ((size_t)iy * w + (size_t)ix) * 3 + c;
                double v = (1 - fy) * ((1 - fx) * p[0] + fx * p[3]) +
                           fy * ((1 - fx) * p[w * 3] + fx * p[w * 3 + 3]);
                out->px[((size_t)y * w + x) * 3 + c] = clamp8(v);
            }
        }
    return 0;
}

int synth_crop(const synth_image *in, synth_image *out, uint32_t x, uint32_t y, uint32_t w,
               uint32_t h)
{
    if (!in || !in->px || x > in->w || y > in->h || w > in->w - x || h > in->h - y)
        return -1;
    if (synth_alloc(out, w, h, in->channels) != 0)
        return -1;
    size_t ch = (size_t)in->channels;
    for (uint32_t r = 0; r < h; r++)
        memcpy(out->px + (size_t)r * w * ch, in->px + ((size_t)(y + r) * in->w + x) * ch, w * ch);
    return 0;
}

int synth_turn(const synth_image *in, synth_image *out, int quarter, int mirror)
{
    if (!in || !in->px)
        return -1;
    uint32_t ow = quarter ? in->h : in->w, oh = quarter ? in->w : in->h;
    if (synth_alloc(out, ow, oh, in->channels) != 0)
        return -1;
    size_t ch = (size_t)in->channels;
    for (uint32_t y = 0; y < in->h; y++)
        for (uint32_t x = 0; x < in->w; x++) {
            uint32_t ox = quarter ? in->h - 1 - y : x, oy = quarter ? x : y;
            if (mirror)
                ox = ow - 1 - ox;
            memcpy(out->px + ((size_t)oy * ow + ox) * ch, in->px + ((size_t)y * in->w + x) * ch,
                   ch);
        }
    return 0;
}

int synth_frame(const synth_image *in, synth_image *out, uint32_t t, uint32_t b, uint32_t l,
                uint32_t r, const uint8_t rgb[3])
{
    if (!in || !in->px || in->channels != 3 || synth_alloc(out, in->w + l + r, in->h + t + b, 3))
        return -1;
    if (rgb) /* else zeroed: black */
        for (size_t i = 0; i < (size_t)out->w * out->h; i++)
            memcpy(out->px + i * 3, rgb, 3);
    for (uint32_t y = 0; y < in->h; y++)
        memcpy(out->px + ((size_t)(y + t) * out->w + l) * 3, in->px + (size_t)y * in->w * 3,
               (size_t)in->w * 3);
    return 0;
}

int synth_grey(const synth_image *in, synth_image *out)
{
    if (!in || !in->px || in->channels < 3)
        return -1;
    int alpha = in->channels == 4;
    if (synth_alloc(out, in->w, in->h, 1 + alpha) != 0)
        return -1;
    size_t n = (size_t)in->w * in->h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = in->px + i * (size_t)in->channels;
        out->px[i * (1 + alpha)] =
            (uint8_t)((299u * p[0] + 587u * p[1] + 114u * p[2] + 500) / 1000);
        if (alpha)
            out->px[i * 2 + 1] = p[3];
    }
    return 0;
}

void synth_brightness(synth_image *img, int delta)
{
    int colour = img->channels == 2 || img->channels == 4 ? img->channels - 1 : img->channels;
    size_t n = (size_t)img->w * img->h;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < colour; c++) {
            uint8_t *p = img->px + i * (size_t)img->channels + c;
            int v = *p + delta;
            *p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

int synth_add_alpha(const synth_image *in, synth_image *out, uint64_t seed)
{
    if (!in || !in->px || (in->channels != 1 && in->channels != 3))
        return -1;
    int ch = in->channels + 1;
    if (synth_alloc(out, in->w, in->h, ch) != 0)
        return -1;
    uint64_t st = seed;
    uint32_t bands = 2 + (uint32_t)(splitmix(&st) % 6);
    for (uint32_t y = 0; y < in->h; y++)
        for (uint32_t x = 0; x < in->w; x++) {
            const uint8_t *p = in->px + ((size_t)y * in->w + x) * in->channels;
            uint8_t *q = out->px + ((size_t)y * in->w + x) * ch;
            memcpy(q, p, (size_t)in->channels);
            /* Opaque, transparent and partial bands: every compositing case. */
            uint32_t band = (uint32_t)((uint64_t)x * bands / in->w);
            q[ch - 1] = band % 3 == 0 ? 255 : band % 3 == 1 ? 0 : (uint8_t)(y * 255 / in->h);
        }
    return 0;
}

void synth_add_grain(synth_image *img, uint64_t seed, int amplitude)
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

/* ---- JPEG encoder ---------------------------------------------------------- */

struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};

static void jerr_exit(j_common_ptr c)
{
    longjmp(((struct jerr *)c->err)->jb, 1);
}

static void jerr_quiet(j_common_ptr c) {}

struct jenc {
    struct jpeg_compress_struct ci;
    struct jerr err;
    unsigned char *mem;
    unsigned long size;
    jpeg_scan_info *scans;
    synth_image grey; /* the grey copy of an RGB image encoded as SYNTH_JPEG_GREY */
};

/* Scan script: DC, then one scan per AC coefficient and component; with refine, the AC
 * scans drop the lowest bit and a second pass of scans refines it (valid, but many scans). */
static jpeg_scan_info *many_scans(int components, int refine, int *count)
{
    int n = 1 + 63 * components * (refine ? 2 : 1);
    jpeg_scan_info *s = calloc((size_t)n, sizeof *s);
    if (!s)
        return NULL;
    int k = 0;
    s[k].comps_in_scan = components;
    for (int c = 0; c < components; c++)
        s[k].component_index[c] = c;
    k++;
    for (int pass = 0; pass < (refine ? 2 : 1); pass++)
        for (int c = 0; c < components; c++)
            for (int coef = 1; coef < 64; coef++, k++) {
                s[k].comps_in_scan = 1;
                s[k].component_index[0] = c;
                s[k].Ss = s[k].Se = coef;
                s[k].Ah = refine && pass == 1 ? 1 : 0;
                s[k].Al = refine && pass == 0 ? 1 : 0;
            }
    *count = n;
    return s;
}

const char *const synth_jpeg_sub_names[SYNTH_JPEG_NSUB] = {"4:4:4", "4:2:2", "4:2:0",
                                                           "4:4:0", "4:1:1", "grey"};

static int jpeg_run(struct jenc *e, const synth_image *img, const synth_jpeg_params *p)
{
    if (setjmp(e->err.jb))
        return -1;
    const synth_image *src = img;
    if (p->sub == SYNTH_JPEG_GREY && img->channels != 1) {
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
        static const int hv[SYNTH_JPEG_NSUB][2] = {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {4, 1}, {1, 1}};
        e->ci.comp_info[0].h_samp_factor = hv[p->sub][0];
        e->ci.comp_info[0].v_samp_factor = hv[p->sub][1];
        for (int c = 1; c < 3; c++)
            e->ci.comp_info[c].h_samp_factor = e->ci.comp_info[c].v_samp_factor = 1;
    }
    e->ci.restart_in_rows = p->restart_rows;
    e->ci.optimize_coding = p->optimize_coding ? TRUE : FALSE;
    if (p->progressive == 1)
        jpeg_simple_progression(&e->ci);
    if (p->progressive >= 2) {
        int n;
        e->scans = many_scans(src->channels, p->progressive == 3, &n);
        if (!e->scans)
            return -1;
        e->ci.scan_info = e->scans;
        e->ci.num_scans = n;
    }
    jpeg_start_compress(&e->ci, TRUE);
    size_t stride = (size_t)src->w * (size_t)src->channels;
    while (e->ci.next_scanline < e->ci.image_height) {
        JSAMPROW row = src->px + stride * e->ci.next_scanline;
        jpeg_write_scanlines(&e->ci, &row, 1);
    }
    jpeg_finish_compress(&e->ci);
    return 0;
}

int synth_encode_jpeg_with(const synth_image *img, const synth_jpeg_params *p, uint8_t **buf,
                           size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!img || !img->px || (img->channels != 1 && img->channels != 3) ||
        (unsigned)p->sub >= SYNTH_JPEG_NSUB)
        return -1;
    struct jenc *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    e->ci.err = jpeg_std_error(&e->err.pub);
    e->err.pub.error_exit = jerr_exit;
    e->err.pub.output_message = jerr_quiet;
    int r = jpeg_run(e, img, p);
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
    free(e->scans);
    synth_free(&e->grey);
    free(e);
    return r;
}

/* libjpeg's default subsampling for colour, 4:2:0 (grey images stay grey). */
static int encode_jpeg(const synth_image *img, int quality, int progressive, uint8_t **buf,
                       size_t *len)
{
    synth_jpeg_params p = {.quality = quality, .sub = SYNTH_JPEG_420, .progressive = progressive};
    return synth_encode_jpeg_with(img, &p, buf, len);
}

int synth_encode_jpeg(const synth_image *img, int quality, uint8_t **buf, size_t *len)
{
    return encode_jpeg(img, quality, 0, buf, len);
}

int synth_encode_jpeg_progressive(const synth_image *img, int quality, uint8_t **buf, size_t *len)
{
    return encode_jpeg(img, quality, 1, buf, len);
}

int synth_encode_jpeg_many_scans(const synth_image *img, int quality, int refine, uint8_t **buf,
                                 size_t *len)
{
    return encode_jpeg(img, quality, refine ? 3 : 2, buf, len);
}

/* ---- BMP encoder ------------------------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int synth_encode_bmp(const synth_image *img, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!img || !img->px || img->channels != 3)
        return -1;
    uint32_t w = img->w, h = img->h;
    size_t row = ((size_t)w * 3 + 3) & ~(size_t)3, size = 54 + row * h;
    uint8_t *b = calloc(1, size);
    if (!b)
        return -1;
    b[0] = 'B';
    b[1] = 'M';
    put_le32(b + 2, (uint32_t)size);
    put_le32(b + 10, 54); /* the pixels' offset */
    put_le32(b + 14, 40); /* BITMAPINFOHEADER */
    put_le32(b + 18, w);
    put_le32(b + 22, h);
    b[26] = 1;  /* planes */
    b[28] = 24; /* bits per pixel */
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = img->px + ((size_t)y * w + x) * 3;
            uint8_t *q = b + 54 + row * (h - 1 - y) + (size_t)x * 3;
            q[0] = p[2]; /* BGR */
            q[1] = p[1];
            q[2] = p[0];
        }
    *buf = b;
    *len = size;
    return 0;
}

/* ---- PNG encoder ------------------------------------------------------------ */

struct pbuf {
    uint8_t *data;
    size_t len, cap;
    int failed;
};

static void pbuf_write(png_structp png, png_bytep d, size_t n)
{
    struct pbuf *b = png_get_io_ptr(png);
    if (b->failed)
        return;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *nd = realloc(b->data, cap);
        if (!nd) {
            b->failed = 1;
            return;
        }
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
}

static void pbuf_flush(png_structp png) {}

static void png_quiet_error(png_structp png, png_const_charp msg)
{
    png_longjmp(png, 1);
}

static void png_quiet_warning(png_structp png, png_const_charp msg) {}

struct penc {
    png_structp png;
    png_infop info;
    struct pbuf out;
    uint8_t *rows; /* packed rows in the PNG's layout */
    png_bytep *rowp;
};

/* Pack the image into PNG rows; returns -1 when the image does not fit the type. */
static int pack_rows(struct penc *e, const synth_image *img, int ctype, int depth, png_color *pal,
                     png_byte *trans, int *npal, size_t rowbytes)
{
    int ch = img->channels;
    uint32_t maxv = (1u << depth) - 1;
    *npal = 0;
    for (uint32_t y = 0; y < img->h; y++) {
        uint8_t *row = e->rows + rowbytes * y;
        for (uint32_t x = 0; x < img->w; x++) {
            const uint8_t *p = img->px + ((size_t)y * img->w + x) * (size_t)ch;
            if (ctype == PNG_COLOR_TYPE_PALETTE) {
                uint8_t a = ch == 4 ? p[3] : 255;
                int idx = -1;
                for (int i = 0; i < *npal; i++)
                    if (pal[i].red == p[0] && pal[i].green == p[1] && pal[i].blue == p[2] &&
                        trans[i] == a)
                        idx = i;
                if (idx < 0) {
                    if ((uint32_t)*npal > maxv)
                        return -1;
                    idx = (*npal)++;
                    pal[idx].red = p[0];
                    pal[idx].green = p[1];
                    pal[idx].blue = p[2];
                    trans[idx] = a;
                }
                int per = 8 / depth;
                row[x / per] |= (uint8_t)(idx << (8 - depth * (int)(x % per + 1)));
            } else if (depth < 8) { /* grey only */
                uint32_t v = (p[0] * maxv + 127) / 255;
                int per = 8 / depth;
                row[x / per] |= (uint8_t)(v << (8 - depth * (int)(x % per + 1)));
            } else {
                for (int c = 0; c < ch; c++) {
                    if (depth == 8) {
                        row[(size_t)x * ch + c] = p[c];
                    } else {
                        row[((size_t)x * ch + c) * 2] = p[c];
                        row[((size_t)x * ch + c) * 2 + 1] = p[c];
                    }
                }
            }
        }
    }
    return 0;
}

static int png_run(struct penc *e, const synth_image *img, int ctype, int depth, int interlace,
                   int filters)
{
    if (setjmp(png_jmpbuf(e->png)))
        return -1;
    png_set_write_fn(e->png, &e->out, pbuf_write, pbuf_flush);
    png_set_IHDR(e->png, e->info, img->w, img->h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (filters)
        png_set_filter(e->png, PNG_FILTER_TYPE_BASE, filters);
    int samples = ctype == PNG_COLOR_TYPE_PALETTE ? 1 : img->channels;
    size_t rowbytes = ((size_t)img->w * (size_t)samples * (size_t)depth + 7) / 8;
    e->rows = calloc(img->h, rowbytes);
    e->rowp = malloc(sizeof *e->rowp * img->h);
    if (!e->rows || !e->rowp)
        return -1;
    png_color pal[256];
    png_byte trans[256];
    int npal;
    if (pack_rows(e, img, ctype, depth, pal, trans, &npal, rowbytes) != 0)
        return -1;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_set_PLTE(e->png, e->info, pal, npal);
        int ntrans = 0;
        for (int i = 0; i < npal; i++)
            if (trans[i] != 255)
                ntrans = i + 1;
        if (ntrans)
            png_set_tRNS(e->png, e->info, trans, ntrans, NULL);
    }
    for (uint32_t y = 0; y < img->h; y++)
        e->rowp[y] = e->rows + rowbytes * y;
    png_write_info(e->png, e->info);
    png_write_image(e->png, e->rowp);
    png_write_end(e->png, NULL);
    return e->out.failed ? -1 : 0;
}

int synth_encode_png(const synth_image *img, int color_type, int bit_depth, int interlace,
                     uint8_t **buf, size_t *len)
{
    return synth_encode_png_filtered(img, color_type, bit_depth, interlace, 0, buf, len);
}

int synth_encode_png_filtered(const synth_image *img, int color_type, int bit_depth, int interlace,
                              int filters, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!img || !img->px)
        return -1;
    int want = color_type == PNG_COLOR_TYPE_GRAY         ? 1
               : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
               : color_type == PNG_COLOR_TYPE_RGB        ? 3
               : color_type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                                                         : 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE ? img->channels < 3 : img->channels != want)
        return -1;
    int ok_depth = color_type == PNG_COLOR_TYPE_GRAY
                       ? bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth >= 8
                   : color_type == PNG_COLOR_TYPE_PALETTE ? bit_depth <= 8
                                                          : bit_depth >= 8;
    if (!ok_depth || (bit_depth & (bit_depth - 1)) || bit_depth > 16)
        return -1;
    struct penc e;
    memset(&e, 0, sizeof e);
    e.png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet_error, png_quiet_warning);
    if (e.png)
        e.info = png_create_info_struct(e.png);
    int r = e.png && e.info ? png_run(&e, img, color_type, bit_depth, interlace, filters) : -1;
    png_destroy_write_struct(e.png ? &e.png : NULL, e.info ? &e.info : NULL);
    free(e.rows);
    free(e.rowp);
    if (r != 0) {
        free(e.out.data);
        return -1;
    }
    *buf = e.out.data;
    *len = e.out.len;
    return 0;
}
