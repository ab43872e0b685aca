/*
 * Fast mode (JPEG DCT-domain scaling) against exact mode: the distribution
 * of PDQ Hamming distances between the two hashes of the same file.
 *
 *   test_fastmode_distance reference      every image of Meta's test data (unit)
 *   test_fastmode_distance corpus [N]     N >= 200 generated JPEGs (slow): sizes
 *       0.3 to 12 MP, portrait/landscape/panorama, JPEG quality 50-98, every
 *       subsampling, baseline/progressive, with and without camera-like grain;
 *       made in memory, never written to disk; two worker threads.
 *
 * Modes: the default fast mode (public LM_OPT_FAST) and each minimum side
 * (512, 256, 128) of the DCT-scaled image. Printed per mode: median, 99th
 * percentile and max distance, and how many exceed 10 bits at JPEG quality
 * >= 80 (and among images whose exact PDQ quality is >= 80). Asserted for
 * the default mode: median <= 2 and none above 10 bits at JPEG quality >= 80.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"
#include "testdata.h"
#include "file_read.h"

#define MAX_BITS 10

static const uint32_t sides[] = {0 /* default (public LM_OPT_FAST) */, 512, 256, 128};
#define NMODES (sizeof sides / sizeof *sides)

typedef struct {
    int dist[NMODES];
    int jpeg_quality; /* 0 when unknown (reference files) */
    int pdq_quality;  /* of the exact hash */
    int ok;
    char what[128];
} sample;

static int hash_with(lm_hasher *h, const uint8_t *d, size_t n, int fast, uint32_t side,
                     lm_image_hash *out)
{
    if (side == 0) { /* the public path */
        lm_hasher_set_option(h, LM_OPT_FAST, fast);
        return lm_hash_memory(h, d, n, out) == LM_OK ? 0 : -1;
    }
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.jpeg_dct_scale = 1;
    o.jpeg_fast_min_side = side;
    lm_pixels px;
    lm_errbuf err = {{0}};
    if (lm_decode_image(d, n, &o, &px, &err) != LM_OK)
        return -1;
    lm_status st = lm_hash_pixels(h, px.data, px.width, px.height, px.stride, px.channels, out);
    lm_pixels_free(&px);
    return st == LM_OK ? 0 : -1;
}

static void measure(lm_hasher *h, const uint8_t *d, size_t n, sample *s)
{
    lm_image_hash exact, fast;
    s->ok = hash_with(h, d, n, 0, 0, &exact) == 0;
    if (!s->ok)
        return;
    s->pdq_quality = exact.quality;
    for (size_t m = 0; m < NMODES; m++) {
        if (hash_with(h, d, n, 1, sides[m], &fast) != 0) {
            s->ok = 0;
            return;
        }
        s->dist[m] = lm_pdq_distance(&exact.pdq, &fast.pdq);
    }
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Prints the distribution per mode; asserts on the default mode. */
static void report(const char *name, sample *s, int n)
{
    int *v = malloc(sizeof *v * (size_t)(n ? n : 1));
    if (!v)
        return;
    printf("\n%s: %d images\n", name, n);
    printf("%-14s %6s %6s %6s %6s %18s %22s\n", "mode", "median", "p99", "max", "mean",
           ">10 @ JPEG q>=80", ">10 @ PDQ quality>=80");
    for (size_t m = 0; m < NMODES; m++) {
        int k = 0, over_q = 0, over_pdq = 0, n_q = 0, n_pdq = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (!s[i].ok)
                continue;
            v[k++] = s[i].dist[m];
            sum += s[i].dist[m];
            int hi_q = s[i].jpeg_quality == 0 || s[i].jpeg_quality >= 80;
            n_q += hi_q;
            n_pdq += s[i].pdq_quality >= 80;
            over_q += hi_q && s[i].dist[m] > MAX_BITS;
            over_pdq += s[i].pdq_quality >= 80 && s[i].dist[m] > MAX_BITS;
            if (m == 0 && s[i].dist[m] > MAX_BITS)
                printf("  default mode, %d bits: %s (PDQ quality %d)\n", s[i].dist[m], s[i].what,
                       s[i].pdq_quality);
        }
        if (!k)
            continue;
        qsort(v, (size_t)k, sizeof *v, cmp_int);
        int median = v[k / 2], p99 = v[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1], max = v[k - 1];
        char label[32];
        if (sides[m])
            snprintf(label, sizeof label, "min side %u", sides[m]);
        else
            snprintf(label, sizeof label, "default (%u)", (unsigned)LM_JPEG_FAST_MIN_SIDE);
        printf("%-14s %6d %6d %6d %6.2f %11d of %-5d %13d of %-5d\n", label, median, p99, max,
               sum / k, over_q, n_q, over_pdq, n_pdq);
        if (m == 0) {
            CHECK(median <= 2);
            CHECK_EQ_INT(over_q, 0);
        }
    }
    free(v);
}

/* ---- reference images -------------------------------------------------------- */
static sample *ref;
static int nref, capref;
static lm_hasher *ref_hasher;

/* The library's bounded file reader; NULL on any failure. */
static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    size_t n = strlen(path);
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".webp"};
    int image = 0;
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        image |= n > strlen(ext[i]) && strcmp(path + n - strlen(ext[i]), ext[i]) == 0;
    if (type != FTW_F || !image)
        return 0;
    if (nref == capref) {
        capref = capref ? 2 * capref : 64;
        sample *nr = realloc(ref, sizeof *ref * (size_t)capref);
        if (!nr)
            return 1;
        ref = nr;
    }
    sample *s = &ref[nref++];
    memset(s, 0, sizeof *s);
    snprintf(s->what, sizeof s->what, "%s", path);
    size_t len;
    uint8_t *d = testdata_read(path, &len);
    if (d)
        measure(ref_hasher, d, len, s);
    free(d);
    if (!s->ok) /* files the hasher refuses in both modes are not fast-mode failures */
        nref--;
    return 0;
}

static int reference(void)
{
    const char *dir = getenv("LM_TESTDATA");
    if (!dir) {
        fprintf(stderr, "LM_TESTDATA unset: skipped\n");
        return 77;
    }
    char pdq[4096];
    snprintf(pdq, sizeof pdq, "%s/pdq", dir);
    ref_hasher = lm_hasher_create();
    CHECK(ref_hasher != NULL);
    nftw(pdq, visit, 16, FTW_PHYS);
    CHECK(nref >= 44);
    report("Meta's test images (all formats; only JPEGs can differ)", ref, nref);
    lm_hasher_destroy(ref_hasher);
    free(ref);
    return check_report("test_fastmode_distance reference");
}

/* ---- generated corpus ---------------------------------------------------------- */
static const uint32_t corpus_sizes[][2] = {
    {4000, 3000}, {3000, 4000}, {4032, 3024}, {3264, 2448}, {2048, 1536}, {1920, 1080},
    {1080, 1920}, {1600, 1200}, {1280, 720},  {1024, 768},  {800, 600},   {640, 480},
    {5000, 1200}, {1000, 3500}, {2560, 1440}, {600, 2000},
};
#define NSIZES (sizeof corpus_sizes / sizeof *corpus_sizes)
static const int qualities[] = {50, 60, 70, 75, 80, 85, 90, 95, 98};
#define NQ (sizeof qualities / sizeof *qualities)

static sample *corpus;
static int ncorpus;
static uint64_t corpus_seed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int next_item;

static void *corpus_worker(void *arg)
{
    (void)arg;
    lm_hasher *h = lm_hasher_create();
    for (;;) {
        pthread_mutex_lock(&lock);
        int i = next_item++;
        pthread_mutex_unlock(&lock);
        if (i >= ncorpus || !h)
            break;
        uint64_t st = corpus_seed + (uint64_t)i * 7919;
        uint64_t r = check_rand(&st);
        const uint32_t *wh = corpus_sizes[(size_t)i % NSIZES];
        synth_jpeg_params p = {.quality = qualities[r % NQ],
                               .sub = (synth_jpeg_sub)((r >> 8) % SYNTH_JPEG_NSUB),
                               .progressive = ((r >> 16) & 3) == 0,
                               .restart_rows = ((r >> 20) & 7) == 0 ? 2 : 0,
                               .optimize_coding = (int)((r >> 24) & 1)};
        int grain = (r >> 28) & 1 ? (int)(4 + (r >> 32) % 16) : 0;
        sample *s = &corpus[i];
        memset(s, 0, sizeof *s);
        s->jpeg_quality = p.quality;
        snprintf(s->what, sizeof s->what, "#%d %ux%u q%d %s %s grain %d", i, wh[0], wh[1],
                 p.quality, synth_jpeg_sub_names[p.sub], p.progressive ? "progressive" : "baseline",
                 grain);
        synth_image img;
        if (synth_make(&img, wh[0], wh[1], r) != 0)
            continue;
        if (grain)
            synth_add_grain(&img, r, grain);
        uint8_t *buf;
        size_t len;
        int e = synth_encode_jpeg_with(&img, &p, &buf, &len);
        synth_free(&img);
        if (e != 0)
            continue;
        measure(h, buf, len, s);
        free(buf);
    }
    lm_hasher_destroy(h);
    return NULL;
}

static int corpus_test(int n)
{
    corpus_seed = check_test_seed(20261124);
    ncorpus = n;
    corpus = calloc((size_t)n, sizeof *corpus);
    if (!corpus)
        return 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, corpus_worker, NULL);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        ok += corpus[i].ok;
        if (!corpus[i].ok)
            fprintf(stderr, "  failed: %s\n", corpus[i].what);
    }
    CHECK_EQ_INT(ok, n);
    char title[160];
    snprintf(title, sizeof title, "generated corpus (seed %llu, %.0f s)",
             (unsigned long long)corpus_seed,
             (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    report(title, corpus, n);
    free(corpus);
    return check_report("test_fastmode_distance corpus");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "reference") == 0)
        return reference();
    if (argc >= 2 && strcmp(argv[1], "corpus") == 0) {
        int n = argc >= 3 ? (int)strtol(argv[2], NULL, 10) : 200;
        return corpus_test(n < 1 ? 200 : n);
    }
    fprintf(stderr, "usage: %s reference | corpus [N]\n", argv[0]);
    return 2;
}
