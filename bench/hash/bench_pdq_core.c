/*
 * bench-pdq-core: time of the PDQ core per 512x512 image for every kernel set
 * the CPU supports, with the speed-up over scalar measured in the same run.
 *
 *   bench-pdq-core [--runs N] [--size ROWSxCOLS]
 *
 * "Core" = float luma in, hashes and quality out (Jarosz filter, decimation,
 * quality, DCT, median and bits), dihedral off and on; the RGB -> luma
 * conversion and each stage are timed separately as well. Every figure is the
 * median of N runs (default 301) on the same generated photo-like image; the
 * luma is restored before each run (not timed). The hashes of all ISAs are
 * checked to be identical. Times are thread CPU time (CLOCK_THREAD_CPUTIME_ID),
 * so preemption on a shared machine does not land in the figures.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "pdq.h"
#include "pdq_kernels.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A benign photo-like RGB image: low-frequency waves plus a little noise. */
static void make_image(uint8_t *px, int rows, int cols)
{
    uint64_t s = 12345;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            for (int c = 0; c < 3; c++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                double x = (double)j / cols, y = (double)i / rows;
                double v = 128 + 50 * sin(6.28 * (1.3 + c) * x + 2.1 * y) +
                           35 * cos(6.28 * (2.7 * y - 0.8 * x) + c) + 20 * sin(6.28 * 4.1 * x * y) +
                           (double)(s >> 61);
                px[((size_t)i * cols + j) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
}

enum {
    T_LUMA,
    T_CORE,
    T_CORE_DIH,
    T_FILTER,
    T_ROWS,
    T_COLS,
    T_DECIMATE,
    T_QUALITY,
    T_DCT,
    T_COUNT
};
static const char *tnames[T_COUNT] = {
    "luma (RGB->float)", "core, dihedral off", "core, dihedral on",
    "  Jarosz filter",   "    one row pass",   "    one column pass",
    "  decimate 64x64",  "  quality",          "  DCT 64->16"};

int main(int argc, char **argv)
{
    int runs = 301, rows = 512, cols = 512;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &rows, &cols) != 2)
                rows = cols = 0;
        } else {
            fprintf(stderr, "usage: %s [--runs N] [--size ROWSxCOLS]\n", argv[0]);
            return 2;
        }
    }
    if (runs < 1 || rows < 5 || cols < 5) {
        fprintf(stderr, "bad --runs or --size\n");
        return 2;
    }
    size_t n = (size_t)rows * cols;
    uint8_t *px = malloc(n * 3);
    float *luma0 = malloc(n * sizeof(float)), *work = malloc(n * 2 * sizeof(float));
    double *t = malloc(sizeof(double) * (size_t)runs);
    if (!px || !luma0 || !work || !t)
        return 1;
    make_image(px, rows, cols);
    lm_pdq_kernels_scalar.luma_from_rgb(px, rows, cols, (size_t)cols * 3, luma0);

    printf("PDQ core, %dx%d RGB, median of %d runs (ms of thread CPU time per image); dispatch "
           "picks %s\n",
           rows, cols, runs, lm_isa_name(lm_cpu_isa()));
    const lm_pdq_kernels *ks[3];
    int nk = 0;
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++)
        if ((ks[nk] = lm_pdq_kernels_for((lm_isa)isa)))
            nk++;
    double res[3][T_COUNT];
    lm_pdq_hash ref[8];
    int ref_q = -1, mismatch = 0;
    for (int k = 0; k < nk; k++) {
        const lm_pdq_kernels *K = ks[k];
        for (int which = 0; which < T_COUNT; which++) {
            for (int r = 0; r < runs; r++) {
                memcpy(work, luma0, n * sizeof(float));
                lm_pdq_hash hs[8];
                int q = 0;
                float block[64][64], dct[16][16];
                double t0 = now_ms();
                switch (which) {
                case T_LUMA: K->luma_from_rgb(px, rows, cols, (size_t)cols * 3, work); break;
                case T_CORE: lm_pdq_hash_luma_with(K, work, work + n, rows, cols, 0, hs, &q); break;
                case T_CORE_DIH:
                    lm_pdq_hash_luma_with(K, work, work + n, rows, cols, 1, hs, &q);
                    break;
                case T_FILTER: lm_pdq_jarosz_filter_with(K, work, work + n, rows, cols); break;
                case T_ROWS:
                    K->box_rows(work, work + n, rows, cols, lm_pdq_jarosz_window(cols, 64));
                    break;
                case T_COLS:
                    K->box_cols(work, work + n, rows, cols, lm_pdq_jarosz_window(rows, 64));
                    break;
                case T_DECIMATE: K->decimate64(work, rows, cols, block); break;
                case T_QUALITY: q = K->quality((const float(*)[64])work); break;
                case T_DCT: K->dct64_to_16((const float(*)[64])work, dct); break;
                }
                t[r] = now_ms() - t0;
                if (which == T_CORE_DIH && r == 0) {
                    if (k == 0) {
                        memcpy(ref, hs, sizeof ref);
                        ref_q = q;
                    } else if (memcmp(ref, hs, sizeof ref) != 0 || q != ref_q) {
                        mismatch = 1;
                    }
                }
                /* keep the results alive */
                if (which == T_DCT && dct[0][0] == 12345.0f)
                    putchar(' ');
                if (which == T_DECIMATE && block[0][0] == 12345.0f)
                    putchar(' ');
            }
            res[k][which] = median(t, runs);
        }
    }
    printf("%-22s", "");
    for (int k = 0; k < nk; k++)
        printf(" %10s", lm_isa_name(ks[k]->isa));
    for (int k = 1; k < nk; k++)
        printf(" %6s/scl", lm_isa_name(ks[k]->isa));
    printf("\n");
    for (int which = 0; which < T_COUNT; which++) {
        printf("%-22s", tnames[which]);
        for (int k = 0; k < nk; k++)
            printf(" %10.4f", res[k][which]);
        for (int k = 1; k < nk; k++)
            printf(" %10.2fx", res[0][which] / res[k][which]);
        printf("\n");
    }
    printf("hashes and quality identical across ISAs: %s\n", mismatch ? "NO (bug!)" : "yes");

    /* The public call on the same pixels (dispatch's ISA; LM_FORCE_ISA caps it): the
     * difference to "luma + core" is the per-call allocation and copying around it. */
    lm_hasher *h = lm_hasher_create();
    if (h) {
        for (int dih = 0; dih < 2; dih++) {
            lm_hasher_set_option(h, LM_OPT_DIHEDRAL, dih);
            for (int r = 0; r < runs; r++) {
                lm_image_hash out;
                double t0 = now_ms();
                lm_hash_pixels(h, px, (uint32_t)cols, (uint32_t)rows, (size_t)cols * 3, 3, &out);
                t[r] = now_ms() - t0;
            }
            printf("lm_hash_pixels (public, %s, dihedral %s): %.4f ms\n", lm_isa_name(lm_cpu_isa()),
                   dih ? "on" : "off", median(t, runs));
        }
        lm_hasher_destroy(h);
    }
    free(px);
    free(luma0);
    free(work);
    free(t);
    return mismatch ? 1 : 0;
}
