/*
 * bench-formats: in one run, on benign images generated in memory, exact mode:
 *   - images/s and ms/image (decode + PDQ, lm_hash_memory) for a 12 MP JPEG,
 *     a 1024x768 JPEG, a 1080p PNG (RGB), a HEIC and an AVIF still, on one
 *     core and on all cores (one hasher per thread);
 *   - PNG decode time, the fast path (libdeflate + unfilter kernels) against
 *     libpng (png_no_fast), rounds interleaved, wall clock and CPU, and their ratio;
 *   - exec-to-first-hash: `pmatch hash FILE` on a small JPEG, process start to
 *     exit (the file is a generated image in a temporary directory, removed).
 *     and how many shared objects that process initialised (LD_DEBUG=libs);
 * Each figure is the median of 5 rounds. Prints the kernels that ran.
 * --isas runs the whole benchmark once per instruction set this CPU has (AVX2, then
 * AVX-512: LM_FORCE_ISA in a child process each, as on an AVX2-only machine) and ends
 * with their 1-core figures side by side.
 *
 * --png prints only the PNG decode comparison, for RGB, grey, palette, RGBA, RGB 16,
 * grey+alpha and 1-bit grey 1920x1080 images (LM_FORCE_ISA picks the kernels).
 *
 *   bench-formats [--rounds N] [--pmatch PATH] [--isas] [--png]
 */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "cpu.h"
#include "decode.h"
#include "libmatch.h"
#include "png_filter.h"
#include "synth.h"
#include "synth_heif.h"

extern char **environ;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct input {
    const char *name;
    uint8_t *data;
    size_t len;
    int iters; /* per round and thread */
};

struct job {
    const struct input *in;
    int iters, failures;
};

static void *hash_loop(void *arg)
{
    struct job *j = arg;
    lm_hasher *h = lm_hasher_create();
    lm_image_hash out;
    for (int i = 0; i < j->iters; i++)
        if (!h || lm_hash_memory(h, j->in->data, j->in->len, &out) != LM_OK)
            j->failures++;
    lm_hasher_destroy(h);
    return NULL;
}

/* Seconds per image with nthreads hashing at once (wall clock / images). */
static double per_image(const struct input *in, int nthreads, int rounds)
{
    double t[16];
    for (int r = 0; r < rounds; r++) {
        pthread_t th[64];
        struct job jobs[64];
        double t0 = bench_wall_s();
        for (int k = 0; k < nthreads; k++) {
            jobs[k] = (struct job){in, in->iters, 0};
            pthread_create(&th[k], NULL, hash_loop, &jobs[k]);
        }
        int fails = 0;
        for (int k = 0; k < nthreads; k++) {
            pthread_join(th[k], NULL);
            fails += jobs[k].failures;
        }
        if (fails)
            fprintf(stderr, "%s: %d failures\n", in->name, fails);
        t[r] = (bench_wall_s() - t0) / ((double)in->iters * nthreads);
    }
    return median(t, rounds);
}

static double png_decode_time(const struct input *in, int no_fast, int rounds)
{
    double t[16];
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.png_no_fast = no_fast;
    for (int r = 0; r < rounds; r++) {
        double t0 = bench_wall_s();
        for (int i = 0; i < in->iters; i++) {
            lm_pixels px;
            lm_errbuf err = {{0}};
            if (lm_decode_image(in->data, in->len, &o, &px, &err) != LM_OK)
                fprintf(stderr, "png decode failed: %s\n", err.msg);
            lm_pixels_free(&px);
        }
        t[r] = (bench_wall_s() - t0) / in->iters;
    }
    return median(t, rounds);
}

/*
 * Fast path and libpng on one PNG, interleaved round by round (the same load on both):
 * medians of wall clock and of this thread's CPU time per decode, seconds.
 */
static void png_compare(const struct input *in, int rounds, double *wf, double *wl, double *cf,
                        double *cl)
{
    double w[2][16], c[2][16];
    for (int r = 0; r < rounds; r++)
        for (int f = 0; f < 2; f++) {
            double c0 = bench_thread_cpu_s();
            w[f][r] = png_decode_time(in, f, 1);
            c[f][r] = (bench_thread_cpu_s() - c0) / in->iters;
        }
    *wf = median(w[0], rounds);
    *wl = median(w[1], rounds);
    *cf = median(c[0], rounds);
    *cl = median(c[1], rounds);
}

/*
 * PNG decode only, the fast path and libpng interleaved round by round (the same
 * load on both), for several colour types of the same 1920x1080 picture. Wall
 * clock and this thread's CPU time, median of rounds.
 */
static int png_types(const synth_image *rgb, int rounds)
{
    synth_image grey, rgba, pal;
    if (synth_grey(rgb, &grey) || synth_add_alpha(rgb, &rgba, 9) ||
        synth_alloc(&pal, rgb->w, rgb->h, 3))
        return 1;
    /* A screenshot-like palette picture: 6x6x6 levels, at most 216 colours. */
    for (size_t i = 0; i < (size_t)rgb->w * rgb->h * 3; i++)
        pal.px[i] = (uint8_t)((rgb->px[i] * 6 / 256) * 51);
    static const struct {
        const char *name;
        int img, ct, depth;
    } t[] = {{"RGB 8", 0, 2, 8},     {"grey 8", 1, 0, 8},  {"palette 8", 3, 3, 8},
             {"RGBA 8", 2, 6, 8},    {"RGB 16", 0, 2, 16}, {"grey+alpha 8", 4, 4, 8},
             {"grey 1 bit", 1, 0, 1}};
    synth_image ga;
    if (synth_add_alpha(&grey, &ga, 10))
        return 1;
    const synth_image *imgs[] = {rgb, &grey, &rgba, &pal, &ga};
    printf("PNG 1920x1080 decode only (to the 512x512 the hasher takes), fast path vs libpng,\n"
           "interleaved, median of %d rounds:\n%-14s %9s | %9s %9s %7s | %9s %9s %7s\n",
           rounds, "type", "bytes", "fast ms", "libpng ms", "wall", "fast cpu", "libpng cpu",
           "cpu");
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        struct input in = {t[k].name, NULL, 0, 6};
        if (synth_encode_png(imgs[t[k].img], t[k].ct, t[k].depth, 0, &in.data, &in.len))
            continue;
        double wf, wl, cf, cl;
        png_compare(&in, rounds, &wf, &wl, &cf, &cl);
        printf("%-14s %9zu | %9.2f %9.2f %6.2fx | %9.2f %9.2f %6.2fx\n", t[k].name, in.len,
               wf * 1e3, wl * 1e3, wl / wf, cf * 1e3, cl * 1e3, cl / cf);
        free(in.data);
    }
    synth_free(&grey);
    synth_free(&rgba);
    synth_free(&pal);
    synth_free(&ga);
    return 0;
}

static int exec_to_hash_libs = -1;

static int exec_libs(const char *pmatch, const char *path);

static double exec_to_hash(const char *pmatch, const uint8_t *jpg, size_t n, int runs)
{
    char dir[] = "/tmp/bench-formats-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    char path[64];
    snprintf(path, sizeof path, "%s/small.jpg", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(jpg, 1, n, f) != n || fclose(f) != 0) {
        rmdir(dir);
        return -1;
    }
    double t[64];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
    char *argv[] = {(char *)pmatch, "hash", path, NULL};
    int ok = 1;
    for (int r = 0; r < runs && ok; r++) {
        double t0 = bench_wall_s();
        pid_t pid;
        int status = 0;
        if (posix_spawn(&pid, pmatch, &fa, NULL, argv, environ) != 0 ||
            waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            ok = 0;
        t[r] = bench_wall_s() - t0;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (ok)
        exec_to_hash_libs = exec_libs(pmatch, path);
    unlink(path);
    rmdir(dir);
    return ok ? median(t, runs) : -1;
}

/* Shared objects the loader initialises in `pmatch hash path` (LD_DEBUG=libs), -1 if unknown. */
static int exec_libs(const char *pmatch, const char *path)
{
    char cmd[1024];
    if (snprintf(cmd, sizeof cmd, "LD_DEBUG=libs '%s' hash '%s' 2>&1 >/dev/null", pmatch, path) >=
        (int)sizeof cmd)
        return -1;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, p))
        n += strstr(line, "calling init:") != NULL;
    return pclose(p) == 0 ? n : -1;
}

/* --isas: this program again per ISA; the lines "#ms<TAB>name<TAB>ms" are kept for the summary. */
static int run_isas(const char *self, int rounds, const char *pmatch)
{
    const char *isas[] = {"avx2", "avx512"};
    lm_isa ids[] = {LM_ISA_AVX2, LM_ISA_AVX512};
    char names[5][512], done[2] = {0};
    double ms[2][8] = {{0}};
    int nrows = 0;
    for (int k = 0; k < 2; k++) {
        if (!lm_cpu_supports(ids[k])) {
            printf("== %s: not on this CPU\n", isas[k]);
            continue;
        }
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "LM_FORCE_ISA=%s '%s' --rounds %d --pmatch '%s'", isas[k], self,
                 rounds, pmatch);
        printf("== LM_FORCE_ISA=%s\n", isas[k]);
        fflush(stdout);
        FILE *p = popen(cmd, "r");
        if (!p)
            return 1;
        char line[512];
        int row = 0;
        while (fgets(line, sizeof line, p)) {
            if (strncmp(line, "#ms\t", 4) == 0) {
                char *name = line + 4, *tab = strchr(name, '\t');
                if (tab && row < 8) {
                    *tab = '\0';
                    if (row < 5)
                        snprintf(names[row], sizeof names[row], "%s", name);
                    ms[k][row++] = strtod(tab + 1, NULL);
                }
                continue;
            }
            fputs(line, stdout);
        }
        pclose(p);
        done[k] = 1;
        if (row > nrows)
            nrows = row;
        printf("\n");
    }
    printf("side by side, 1 core, ms/img (img/s):\n%-30s %20s %20s\n", "input", "avx2", "avx512");
    for (int r = 0; r < nrows && r < 5; r++) {
        printf("%-30s", names[r]);
        for (int k = 0; k < 2; k++) {
            if (done[k] && ms[k][r] > 0)
                printf(" %9.2f (%7.1f/s)", ms[k][r], 1e3 / ms[k][r]);
            else
                printf(" %20s", "-");
        }
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    int isas = 0, png_only = 0;
    int rounds = 5;
    const char *pmatch = PMATCH_PATH;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--pmatch") && i + 1 < argc)
            pmatch = argv[++i];
        else if (!strcmp(argv[i], "--isas"))
            isas = 1;
        else if (!strcmp(argv[i], "--png"))
            png_only = 1;
    }
    if (rounds < 1 || rounds > 15)
        rounds = 5;
    if (isas)
        return run_isas(argv[0], rounds, pmatch);
    if (png_only) {
        synth_image hd;
        const char *unf = NULL;
        lm_png_unfilter_best(&unf);
        printf("PNG unfilter %s (LM_FORCE_ISA=%s)\n", unf,
               getenv("LM_FORCE_ISA") ? getenv("LM_FORCE_ISA") : "(unset)");
        int r = synth_make(&hd, 1920, 1080, 3) || png_types(&hd, rounds);
        synth_free(&hd);
        return r;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;

    struct input in[5] = {{"12 MP JPEG (4000x3000, q90)", NULL, 0, 3},
                          {"1024x768 JPEG (q90)", NULL, 0, 20},
                          {"1080p PNG (1920x1080 RGB)", NULL, 0, 6},
                          {"HEIC (1920x1440, q80, x265)", NULL, 0, 5},
                          {"AVIF (1920x1440, q80, aom)", NULL, 0, 5}};
    synth_image big, mid, hd, ph, small;
    if (synth_make(&big, 4000, 3000, 1) || synth_make(&mid, 1024, 768, 2) ||
        synth_make(&hd, 1920, 1080, 3) || synth_make(&ph, 1920, 1440, 4) ||
        synth_make(&small, 320, 240, 5))
        return 1;
    if (synth_encode_jpeg(&big, 90, &in[0].data, &in[0].len) ||
        synth_encode_jpeg(&mid, 90, &in[1].data, &in[1].len) ||
        synth_encode_png(&hd, 2, 8, 0, &in[2].data, &in[2].len))
        return 1;
    int nin = 3;
    if (synth_heif_can_encode(0) &&
        synth_encode_heif(&ph, 0, 0, 80, 0, &in[3].data, &in[3].len) == 0)
        nin = 4;
    if (nin == 4 && synth_heif_can_encode(1) &&
        synth_encode_heif(&ph, 1, 0, 80, 0, &in[4].data, &in[4].len) == 0)
        nin = 5;

    const char *unf = NULL;
    lm_png_unfilter_best(&unf);
    printf("kernels: PDQ %s, PNG unfilter %s (cpu: avx2 %s, avx512 %s; LM_FORCE_ISA=%s)\n",
           lm_isa_name(lm_cpu_isa()), unf, lm_cpu_supports(LM_ISA_AVX2) ? "yes" : "no",
           lm_cpu_supports(LM_ISA_AVX512) ? "yes" : "no",
           getenv("LM_FORCE_ISA") ? getenv("LM_FORCE_ISA") : "(unset)");
    printf("median of %d rounds, exact mode, decode + PDQ per image\n\n", rounds);
    printf("%-30s %9s | %10s %9s | %10s %9s (%d threads)\n", "input", "bytes", "img/s 1c", "ms/img",
           "img/s all", "ms/img", nthreads);
    for (int i = 0; i < nin; i++) {
        double one = per_image(&in[i], 1, rounds), all = per_image(&in[i], nthreads, rounds);
        printf("%-30s %9zu | %10.1f %9.2f | %10.1f %9.2f\n", in[i].name, in[i].len, 1 / one,
               one * 1e3, 1 / all, all * 1e3);
        if (getenv("LM_FORCE_ISA")) /* for --isas */
            printf("#ms\t%s\t%.3f\n", in[i].name, one * 1e3);
    }
    double wf, wl, cf, cl;
    png_compare(&in[2], rounds, &wf, &wl, &cf, &cl);
    printf("\nPNG 1080p decode only (interleaved rounds): fast path %.2f ms, libpng %.2f ms: "
           "%.2fx wall; CPU %.2f / %.2f ms: %.2fx\n",
           wf * 1e3, wl * 1e3, wl / wf, cf * 1e3, cl * 1e3, cl / cf);

    uint8_t *sj;
    size_t sn;
    if (synth_encode_jpeg(&small, 90, &sj, &sn) == 0) {
        double e = exec_to_hash(pmatch, sj, sn, 21);
        if (e > 0)
            printf("exec-to-first-hash (pmatch hash, 320x240 JPEG, median of 21): %.1f ms, %d "
                   "shared objects initialised\n",
                   e * 1e3, exec_to_hash_libs);
        else
            printf("exec-to-first-hash: could not run %s\n", pmatch);
        free(sj);
    }
    for (int i = 0; i < 5; i++)
        free(in[i].data);
    synth_free(&big);
    synth_free(&mid);
    synth_free(&hd);
    synth_free(&ph);
    synth_free(&small);
    return 0;
}
