/*
 * bench-fast-vs-exact: images/s and MP/s of decode + PDQ on images generated
 * in memory (nothing is written to disk), for exact and fast JPEG decoding.
 *
 *   bench-fast-vs-exact [--seconds S] [--jobs N] [--grain A] [--only jpeg12|jpeg1024|png1080]
 *
 * --grain A (default 12) adds +-A per-pixel grain before encoding so that the
 * files compress like camera photos (bits/pixel printed); 0 gives the smooth
 * synthetic pictures, which decode much faster than real photos.
 *
 * Sets: 12 MP JPEGs (4000x3000, q85, 4:2:0), 1024x768 JPEGs (q85, 4:2:0),
 * 1080p PNGs (1920x1080 RGB). Modes:
 *   exact-all   exact, every JPEG row decoded (before jpeg_skip_scanlines)
 *   exact       exact, rows the 512x512 output does not need are skipped
 *   fast-512    DCT scaling keeping both sides >= 512
 *   fast-256    ... >= 256 (the resampling step stretches back to 512x512)
 *   fast-128    ... >= 128
 * Per set and mode: one core (decode and hash time split, thread CPU time)
 * and N threads (wall clock: on a shared machine, compare with the load
 * average printed per set), plus the Hamming distance of each fast mode to
 * the exact hash of the same images.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>

#include "bench_clock.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"

typedef struct {
    const char *name;
    uint8_t **data;
    size_t *len;
    int n;
    double mp;  /* source megapixels per image */
    double bpp; /* encoded bits per pixel */
} image_set;

typedef struct {
    const char *name;
    int fast;
    uint32_t min_side;
    int no_skip;
} mode;

static const mode modes[] = {
    {"exact-all", 0, 0, 1},  {"exact", 0, 0, 0},      {"fast-512", 1, 512, 0},
    {"fast-256", 1, 256, 0}, {"fast-128", 1, 128, 0},
};
#define NMODES (int)(sizeof modes / sizeof *modes)

static void opts_for(const mode *m, lm_decode_opts *o)
{
    lm_decode_opts_default(o);
    o->jpeg_dct_scale = m->fast;
    o->jpeg_fast_min_side = m->min_side;
    o->jpeg_no_skip = m->no_skip;
}

static int decode_hash(lm_hasher *h, const lm_decode_opts *o, const uint8_t *d, size_t n,
                       lm_image_hash *out, double *t_dec, double *t_hash)
{
    lm_pixels px;
    lm_errbuf err = {{0}};
    double t0 = bench_thread_cpu_s();
    if (lm_decode_image(d, n, o, &px, &err) != LM_OK)
        return -1;
    double t1 = bench_thread_cpu_s();
    lm_status st = lm_hash_pixels(h, px.data, px.width, px.height, px.stride, px.channels, out);
    double t2 = bench_thread_cpu_s();
    lm_pixels_free(&px);
    *t_dec += t1 - t0;
    *t_hash += t2 - t1;
    return st == LM_OK ? 0 : -1;
}

/* ---- N threads, wall clock ------------------------------------------------ */
typedef struct {
    const image_set *set;
    const mode *m;
    double until;
    size_t done;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    lm_hasher *h = lm_hasher_create();
    lm_decode_opts o;
    opts_for(a->m, &o);
    double td = 0, th = 0;
    for (size_t i = 0; h && bench_wall_s() < a->until; i++) {
        lm_image_hash out;
        int k = (int)(i % (size_t)a->set->n);
        if (decode_hash(h, &o, a->set->data[k], a->set->len[k], &out, &td, &th) == 0)
            a->done++;
    }
    lm_hasher_destroy(h);
    return NULL;
}

static double threaded_rate(const image_set *set, const mode *m, int jobs, double seconds)
{
    pthread_t t[64];
    worker_arg a[64];
    double t0 = bench_wall_s();
    for (int j = 0; j < jobs; j++) {
        a[j] = (worker_arg){set, m, t0 + seconds, 0};
        pthread_create(&t[j], NULL, worker, &a[j]);
    }
    size_t done = 0;
    for (int j = 0; j < jobs; j++) {
        pthread_join(t[j], NULL);
        done += a[j].done;
    }
    return (double)done / (bench_wall_s() - t0);
}

struct quiet_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};

static void quiet_exit(j_common_ptr c)
{
    longjmp(((struct quiet_err *)c->err)->jb, 1);
}

static void quiet_message(j_common_ptr c)
{
    (void)c;
}

/*
 * libjpeg-turbo alone, ms per image (thread CPU, three rounds), -1 on a libjpeg error.
 * scaled 0: the floor for any mode that reads a sequential JPEG, Huffman decoding of every
 * coefficient (jpeg_read_coefficients, no IDCT, no colour).
 * scaled 1: raw decoding at the scale fast-256 picks (largest 1/2, 1/4, 1/8 keeping the
 * smaller side >= 256, in *denom_out): jpeg_start_decompress with the library's defaults
 * (ISLOW, fancy upsampling, RGB out), every scanline read into one row, nothing else.
 */
static double libjpeg_ms(const image_set *set, int scaled, int *denom_out)
{
    struct quiet_err jerr;
    struct jpeg_decompress_struct ci;
    ci.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = quiet_exit;
    jerr.pub.output_message = quiet_message;
    jpeg_create_decompress(&ci);
    JSAMPLE *row = NULL;
    double t = 0;
    int n = 0;
    if (setjmp(jerr.jb)) {
        jpeg_destroy_decompress(&ci);
        free(row);
        return -1;
    }
    for (int rep = 0; rep < 3; rep++)
        for (int k = 0; k < set->n; k++, n++) {
            double t0 = bench_thread_cpu_s();
            jpeg_mem_src(&ci, set->data[k], (unsigned long)set->len[k]);
            jpeg_read_header(&ci, TRUE);
            if (!scaled) {
                jpeg_read_coefficients(&ci);
                jpeg_finish_decompress(&ci);
                t += bench_thread_cpu_s() - t0;
                continue;
            }
            unsigned side = ci.image_width < ci.image_height ? ci.image_width : ci.image_height;
            int denom = 1;
            while (denom < 8 && side / (unsigned)(denom * 2) >= 256)
                denom *= 2;
            *denom_out = denom;
            ci.scale_num = 1;
            ci.scale_denom = (unsigned)denom;
            ci.out_color_space = JCS_RGB;
            jpeg_start_decompress(&ci);
            if (!row)
                row = malloc((size_t)ci.output_width * 3 * 8);
            while (ci.output_scanline < ci.output_height)
                jpeg_read_scanlines(&ci, &row, 1);
            jpeg_finish_decompress(&ci);
            t += bench_thread_cpu_s() - t0;
        }
    jpeg_destroy_decompress(&ci);
    free(row);
    return t / n * 1e3;
}

static void run_set(const image_set *set, int jobs, double seconds)
{
    double load[1] = {0};
    getloadavg(load, 1);
    printf("\n== %s: %d distinct images, %.2f MP, %.2f bits/pixel each (load average %.2f) ==\n",
           set->name, set->n, set->mp, set->bpp, load[0]);
    printf("%-10s %9s %9s %9s %9s %9s %11s %11s | %s\n", "mode", "img/s(1)", "MP/s(1)", "dec ms",
           "hash ms", "dec %",
           "img/s("
           "N)",
           "MP/s(N)", "distance to exact");
    lm_hasher *h = lm_hasher_create();
    lm_image_hash *exact = calloc((size_t)set->n, sizeof *exact);
    if (!h || !exact)
        return;
    for (int mi = 0; mi < NMODES; mi++) {
        const mode *m = &modes[mi];
        lm_decode_opts o;
        opts_for(m, &o);
        /* warm-up and distances */
        int maxd = 0, sumd = 0;
        for (int k = 0; k < set->n; k++) {
            lm_image_hash out;
            double td = 0, th = 0;
            if (decode_hash(h, &o, set->data[k], set->len[k], &out, &td, &th) != 0) {
                printf("%s: decode failed\n", m->name);
                continue;
            }
            if (mi == 0)
                exact[k] = out;
            int d = lm_pdq_distance(&exact[k].pdq, &out.pdq);
            maxd = d > maxd ? d : maxd;
            sumd += d;
        }
        double td = 0, th = 0, t0 = bench_wall_s();
        size_t n = 0;
        while (bench_wall_s() - t0 < seconds || n < (size_t)set->n) {
            lm_image_hash out;
            int k = (int)(n % (size_t)set->n);
            decode_hash(h, &o, set->data[k], set->len[k], &out, &td, &th);
            n++;
        }
        double per = (td + th) / (double)n;
        double rate_n = threaded_rate(set, m, jobs, seconds);
        printf("%-10s %9.1f %9.1f %9.2f %9.3f %8.0f%% %11.1f %11.1f | mean %.1f max %d\n", m->name,
               1 / per, set->mp / per, td / (double)n * 1e3, th / (double)n * 1e3,
               100 * td / (td + th), rate_n, rate_n * set->mp, (double)sumd / set->n, maxd);
    }
    free(exact);
    lm_hasher_destroy(h);
    if (set->data[0][0] == 0xFF)
        printf("Huffman decoding into a whole-image coefficient buffer (jpeg_read_coefficients): "
               "%.2f ms per image;\n  the 1/8-scale decode (DC-only IDCT) above is the "
               "practical floor of a sequential JPEG: every coefficient is Huffman-decoded\n",
               libjpeg_ms(set, 0, NULL));
    if (set->data[0][0] == 0xFF) {
        int denom = 1;
        double raw = libjpeg_ms(set, 1, &denom);
        printf("raw libjpeg-turbo at 1/%d (defaults: ISLOW, fancy upsampling, RGB rows, no "
               "hash): %.2f ms per image; compare fast-256's dec ms\n",
               denom, raw);
    }
}

static int grain = 12;

static int make_set(image_set *s, const char *name, uint32_t w, uint32_t hgt, int n, int png)
{
    s->name = name;
    s->n = n;
    s->mp = (double)w * hgt / 1e6;
    s->data = calloc((size_t)n, sizeof *s->data);
    s->len = calloc((size_t)n, sizeof *s->len);
    if (!s->data || !s->len)
        return -1;
    for (int k = 0; k < n; k++) {
        synth_image img;
        if (synth_make(&img, w, hgt, 4242 + (uint64_t)k) != 0)
            return -1;
        synth_add_grain(&img, (uint64_t)k, grain);
        synth_jpeg_params p = {.quality = 85, .sub = SYNTH_JPEG_420};
        int r = png ? synth_encode_png(&img, 2, 8, 0, &s->data[k], &s->len[k])
                    : synth_encode_jpeg_with(&img, &p, &s->data[k], &s->len[k]);
        synth_free(&img);
        if (r != 0)
            return -1;
    }
    size_t bytes = 0;
    for (int k = 0; k < n; k++)
        bytes += s->len[k];
    s->bpp = 8.0 * (double)bytes / n / (s->mp * 1e6);
    return 0;
}

static void free_set(image_set *s)
{
    for (int k = 0; k < s->n; k++)
        free(s->data[k]);
    free(s->data);
    free(s->len);
}

int main(int argc, char **argv)
{
    double seconds = 2;
    int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
            jobs = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--grain") && i + 1 < argc)
            grain = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(
                stderr,
                "usage: %s [--seconds S] [--jobs N] [--grain A] [--only jpeg12|jpeg1024|png1080]\n",
                argv[0]);
            return 2;
        }
    }
    if (jobs < 1 || jobs > 64)
        jobs = 1;
    printf("bench-fast-vs-exact: %.1f s per measurement, N = %d threads; per-image times are "
           "thread CPU time on one core\n",
           seconds, jobs);
    static const struct {
        const char *key, *name;
        uint32_t w, h;
        int n, png;
    } sets[] = {
        {"jpeg12", "12 MP JPEG 4000x3000 q85 4:2:0", 4000, 3000, 4, 0},
        {"jpeg1024", "1024x768 JPEG q85 4:2:0", 1024, 768, 16, 0},
        {"png1080", "1080p PNG 1920x1080 RGB", 1920, 1080, 4, 1},
    };
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        if (only && strcmp(only, sets[i].key))
            continue;
        image_set s = {0};
        if (make_set(&s, sets[i].name, sets[i].w, sets[i].h, sets[i].n, sets[i].png) != 0) {
            fprintf(stderr, "cannot generate %s\n", sets[i].name);
            return 1;
        }
        run_set(&s, jobs, seconds);
        free_set(&s);
    }
    return 0;
}
