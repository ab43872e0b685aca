/*
 * bench-hash-folder: hash every file under a folder and print images/s and
 * megapixels/s (source pixels, as declared by the files).
 *
 *   bench-hash-folder DIR [--jobs N] [--dihedral] [--repeat R]
 *
 * 1. Public API: lm_hash_file per file, N threads each with its own hasher.
 * 2. Split timing with the internals (decode.h + pdq.h) on the same files:
 *    read, decode (incl. resampling to <= 512x512) and hash (luma + PDQ core)
 *    are timed separately; the hash step runs once per kernel set the CPU
 *    supports, so the hash time per ISA and its share of the total are shown.
 * Files are read once before timing (warm page cache). Throughput in 1. is
 * wall-clock; the per-stage times in 2. are thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID) summed over threads, so preemption on a busy
 * machine does not inflate them.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "cpu.h"
#include "decode.h"
#include "libmatch.h"
#include "pdq.h"
#include "pdq_kernels.h"
#include "file_read.h"

static char **paths;
static size_t npaths, cap_paths;

static int add_path(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
    if (type != FTW_F)
        return 0;
    if (npaths == cap_paths) {
        size_t nc = cap_paths ? cap_paths * 2 : 256;
        char **np = realloc(paths, nc * sizeof *np);
        if (!np)
            return 1;
        paths = np;
        cap_paths = nc;
    }
    paths[npaths] = strdup(p);
    return paths[npaths++] ? 0 : 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The library's bounded file reader; NULL on any failure. */
static uint8_t *read_all(const char *path, size_t *len)
{
    uint8_t *buf = NULL;
    lm_errbuf err = {{0}};
    return lm_read_file(path, UINT64_C(1) << 31, &buf, len, &err) == LM_OK ? buf : NULL;
}

static atomic_size_t next_index;
static int dihedral;

/* ---- 1. public API ------------------------------------------------------ */
typedef struct {
    size_t ok, failed;
    double source_mp;
} api_result;

static void *api_worker(void *arg)
{
    api_result *r = arg;
    lm_hasher *h = lm_hasher_create();
    if (!h)
        return NULL;
    lm_hasher_set_option(h, LM_OPT_DIHEDRAL, dihedral);
    size_t i;
    while ((i = atomic_fetch_add(&next_index, 1)) < npaths) {
        lm_image_hash out;
        if (lm_hash_file(h, paths[i], &out) == LM_OK) {
            r->ok++;
            r->source_mp += (double)out.width * out.height / 1e6;
        } else {
            r->failed++;
        }
    }
    lm_hasher_destroy(h);
    return NULL;
}

/* ---- 2. split timing ---------------------------------------------------- */
typedef struct {
    size_t ok, failed;
    double source_mp, decoded_mp;
    double t_read, t_decode, t_hash[3]; /* hash time per ISA index */
} split_result;

static const lm_pdq_kernels *kernels[3];
static int nkernels;

static void *split_worker(void *arg)
{
    split_result *r = arg;
    lm_decode_opts opts;
    lm_decode_opts_default(&opts);
    size_t i;
    float *luma = NULL; /* reused: page faults of a fresh buffer are not the kernels' cost */
    size_t luma_cap = 0;
    while ((i = atomic_fetch_add(&next_index, 1)) < npaths) {
        double t0 = bench_thread_cpu_s();
        size_t len;
        uint8_t *data = read_all(paths[i], &len);
        double t1 = bench_thread_cpu_s();
        r->t_read += t1 - t0;
        if (!data) {
            r->failed++;
            continue;
        }
        lm_pixels px;
        lm_errbuf err;
        lm_status st = lm_decode_image(data, len, &opts, &px, &err);
        double t2 = bench_thread_cpu_s();
        r->t_decode += t2 - t1;
        free(data);
        if (st != LM_OK) {
            r->failed++;
            continue;
        }
        size_t n = (size_t)px.width * px.height;
        if (n * 2 > luma_cap) {
            free(luma);
            luma_cap = n * 2;
            luma = malloc(luma_cap * sizeof(float));
            if (luma)
                memset(luma, 0, luma_cap * sizeof(float));
        }
        if (!luma) {
            luma_cap = 0;
            r->failed++;
            lm_pixels_free(&px);
            continue;
        }
        for (int k = 0; k < nkernels; k++) {
            const lm_pdq_kernels *K = kernels[k];
            double t3 = bench_thread_cpu_s();
            if (px.channels == 3)
                K->luma_from_rgb(px.data, (int)px.height, (int)px.width, px.stride, luma);
            else
                K->luma_from_grey(px.data, (int)px.height, (int)px.width, px.stride, luma);
            lm_pdq_hash hs[8];
            int q;
            lm_pdq_hash_luma_with(K, luma, luma + n, (int)px.height, (int)px.width, dihedral, hs,
                                  &q);
            r->t_hash[k] += bench_thread_cpu_s() - t3;
        }
        r->ok++;
        r->source_mp += (double)px.source_width * px.source_height / 1e6;
        r->decoded_mp += (double)n / 1e6;
        lm_pixels_free(&px);
    }
    free(luma);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int jobs = 1, repeat = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
            jobs = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dihedral"))
            dihedral = 1;
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            dir = NULL, i = argc;
    }
    if (!dir || jobs < 1 || jobs > 256 || repeat < 1) {
        fprintf(stderr, "usage: %s DIR [--jobs N] [--dihedral] [--repeat R]\n", argv[0]);
        return 2;
    }
    if (nftw(dir, add_path, 32, FTW_PHYS) != 0 || npaths == 0) {
        fprintf(stderr, "%s: no files found (or cannot walk)\n", dir);
        return 1;
    }
    qsort(paths, npaths, sizeof *paths, cmp_str);
    size_t bytes = 0;
    for (size_t i = 0; i < npaths; i++) { /* warm the page cache */
        size_t len;
        uint8_t *d = read_all(paths[i], &len);
        bytes += d ? len : 0;
        free(d);
    }
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++)
        if ((kernels[nkernels] = lm_pdq_kernels_for((lm_isa)isa)))
            nkernels++;
    printf("%s: %zu files, %.1f MB; %d thread(s); dihedral %s; dispatch picks %s\n", dir, npaths,
           (double)bytes / 1e6, jobs, dihedral ? "on" : "off", lm_isa_name(lm_cpu_isa()));

    pthread_t th[256];
    for (int rep = 0; rep < repeat; rep++) {
        /* 1. public API */
        api_result ar[256];
        memset(ar, 0, sizeof ar);
        atomic_store(&next_index, 0);
        double t0 = bench_wall_s(), c0 = bench_process_cpu_s();
        for (int j = 0; j < jobs; j++)
            pthread_create(&th[j], NULL, api_worker, &ar[j]);
        for (int j = 0; j < jobs; j++)
            pthread_join(th[j], NULL);
        double wall = bench_wall_s() - t0, cpu = bench_process_cpu_s() - c0;
        api_result tot = {0};
        for (int j = 0; j < jobs; j++) {
            tot.ok += ar[j].ok;
            tot.failed += ar[j].failed;
            tot.source_mp += ar[j].source_mp;
        }
        printf("public API (lm_hash_file, %s kernels): %zu ok, %zu failed in %.3f s wall: %.1f "
               "images/s, %.1f source MP/s; per CPU-second: %.1f images, %.1f source MP\n",
               lm_isa_name(lm_cpu_isa()), tot.ok, tot.failed, wall, (double)tot.ok / wall,
               tot.source_mp / wall, (double)tot.ok / cpu, tot.source_mp / cpu);

        /* 2. split */
        split_result sr[256];
        memset(sr, 0, sizeof sr);
        atomic_store(&next_index, 0);
        t0 = bench_wall_s();
        for (int j = 0; j < jobs; j++)
            pthread_create(&th[j], NULL, split_worker, &sr[j]);
        for (int j = 0; j < jobs; j++)
            pthread_join(th[j], NULL);
        wall = bench_wall_s() - t0;
        split_result s = {0};
        for (int j = 0; j < jobs; j++) {
            s.ok += sr[j].ok;
            s.failed += sr[j].failed;
            s.source_mp += sr[j].source_mp;
            s.decoded_mp += sr[j].decoded_mp;
            s.t_read += sr[j].t_read;
            s.t_decode += sr[j].t_decode;
            for (int k = 0; k < nkernels; k++)
                s.t_hash[k] += sr[j].t_hash[k];
        }
        double per = s.ok ? 1e3 / (double)s.ok : 0;
        printf("split (%zu ok, %zu failed; %.1f source MP decoded to %.1f MP):\n", s.ok, s.failed,
               s.source_mp, s.decoded_mp);
        printf("  read    %8.3f ms/image\n", s.t_read * per);
        printf("  decode  %8.3f ms/image  (%.1f source MP/s per thread)\n", s.t_decode * per,
               s.source_mp / s.t_decode);
        int best = nkernels - 1;
        for (int k = 0; k < nkernels; k++) {
            double one = s.t_read + s.t_decode + s.t_hash[k];
            printf(
                "  hash    %8.3f ms/image with %-6s (luma + PDQ core; %4.1f%% of read+decode+hash"
                "; %.2fx scalar)\n",
                s.t_hash[k] * per, lm_isa_name(kernels[k]->isa), 100 * s.t_hash[k] / one,
                s.t_hash[0] / s.t_hash[k]);
        }
        /* images/s for one pass with the best kernels, from the thread-seconds split */
        double thread_s = s.t_read + s.t_decode + s.t_hash[best];
        printf("  => with %s: %.1f images/s, %.1f source MP/s (%d thread(s), from per-stage "
               "CPU times)\n",
               lm_isa_name(kernels[best]->isa), (double)s.ok / thread_s * jobs,
               s.source_mp / thread_s * jobs, jobs);
    }
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    return 0;
}
