/*
 * Dihedral hashes against hashing the rotated/flipped pixels (scalar PDQ).
 *
 * lm_pdq_hash_luma computes dihedral[k] from the DCT of the original by sign
 * flips and transposes. Hashing the transformed buffer T_k(img) instead gives
 * exactly dihedral[k] only when every stage commutes with T_k bit for bit:
 *
 *  1. Box filter. The window covers [x - (w - half), x + (half - 1)] with
 *     half = (w + 2) / 2: symmetric for odd w, one pixel longer on the right
 *     for even w. w = (n + 127) / 128, so n in 129..256 or 385..512 (512!)
 *     gives an even, asymmetric window: a flipped image is filtered at a
 *     position shifted by one pixel. Even with a symmetric window the running
 *     sums are accumulated from the other end, so the float rounding differs,
 *     except when every sum is exact: window 1 (n <= 128) on integer luma (a
 *     grey buffer), where each pass returns its input unchanged.
 *  2. Decimation samples floor((2i + 1) n / 128). Mirrored, it must sample
 *     n - 1 - that, which holds iff (2i + 1) n / 128 is never an integer, i.e.
 *     iff n is not a multiple of 128 (512 fails again; 64 is skipped anyway).
 *  3. The 64x64 path (no filter) is exact for any luma, RGB included.
 *  4. Quality only sums |differences| of neighbours: exact whenever 1-3 are.
 *  5. The DCT of the transformed block sums the same products in another
 *     order (reversed k for a flip, T D^t vs (D T^t)^t for a transpose), so
 *     coefficients agree only to within rounding. A hash bit can therefore
 *     differ only where a coefficient is within that rounding of the median.
 *     We measure each float DCT's distance e1, e2 to the exact DCT (computed
 *     in double) and require exact hash equality when every coefficient but
 *     the median is further than 2 (e1 + e2) from the median: then neither
 *     the median element nor any bit can change. In practice that is always.
 *
 * So: exact (block, quality, and hash under the margin condition) for grey
 * buffers with both sides <= 127 (any aspect), and for 64x64 RGB; a small
 * Hamming-distance bound elsewhere (512x512, odd windows, RGB, non-square),
 * on smooth images where a one-pixel shift changes few bits.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hash_test_util.h"
#include "pdq.h"
#include "pdq_dct_matrix.h"
#include "pdq_kernels.h"

static int n_exact, n_margin_skipped, n_bounded, worst_bounded;

/* Luma of a tight buffer through the scalar kernels. */
static float *luma_of(const uint8_t *px, int rows, int cols, int ch)
{
    size_t n = (size_t)rows * cols;
    float *l = malloc(n * 2 * sizeof(float));
    if (ch == 3)
        lm_pdq_kernels_scalar.luma_from_rgb(px, rows, cols, (size_t)cols * 3, l);
    else
        lm_pdq_kernels_scalar.luma_from_grey(px, rows, cols, (size_t)cols, l);
    return l;
}

/*
 * How far the float DCT of `block` (as lm_pdq_dct64_to_16 computes it) is
 * from the exact DCT: measured against a double-precision evaluation, whose
 * own error (~1e-13 here) is covered by the slack added.
 */
static double dct_error(const float block[64][64])
{
    const float(*d)[64] = lm_pdq_dct_matrix();
    static double t[16][64];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++) {
            double s = 0;
            for (int k = 0; k < 64; k++)
                s += (double)d[i][k] * block[k][j];
            t[i][j] = s;
        }
    float f[16][16];
    lm_pdq_dct64_to_16(block, f);
    double worst = 0;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            double s = 0;
            for (int k = 0; k < 64; k++)
                s += t[i][k] * d[j][k];
            double e = fabs((double)f[i][j] - s);
            if (e > worst)
                worst = e;
        }
    return worst + 1e-9;
}

/* Smallest |c - median| over the coefficients other than the median itself. */
static double median_margin(const float dct[16][16])
{
    float med = lm_pdq_median256(&dct[0][0]);
    double m = INFINITY;
    int skipped = 0;
    for (int i = 0; i < 256; i++) {
        float c = (&dct[0][0])[i];
        if (c == med && !skipped) {
            skipped = 1;
            continue;
        }
        double gap = fabs((double)c - med);
        if (gap < m)
            m = gap;
    }
    return m;
}

/* The DCT matrix rows are exactly (anti)symmetric, as the exactness argument needs. */
static void test_matrix_symmetry(void)
{
    const float(*d)[64] = lm_pdq_dct_matrix();
    int bad = 0;
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < 64; k++) {
            float mirrored = (i % 2 == 0) ? -d[i][63 - k] : d[i][63 - k]; /* frequency i + 1 */
            if (mirrored != d[i][k])
                bad++;
        }
    if (bad)
        fprintf(stderr, "DCT matrix: %d entries not exactly mirrored\n", bad);
    CHECK_EQ_INT(bad, 0);
}

/* The scalar path's 64x64 block of a picture (from its luma). */
static void block_of(const uint8_t *px, int rows, int cols, int ch, float block[64][64])
{
    float *l = luma_of(px, rows, cols, ch);
    lm_pdq_block64_with(&lm_pdq_kernels_scalar, l, l + (size_t)rows * cols, rows, cols, block);
    free(l);
}

/* The scalar path's hash of a picture (all 8 orientations with dihedral) and its quality. */
static int hashes_of(const uint8_t *px, int rows, int cols, int ch, int dihedral, lm_pdq_hash hs[8])
{
    float *l = luma_of(px, rows, cols, ch);
    int q;
    lm_pdq_hash_luma_with(&lm_pdq_kernels_scalar, l, l + (size_t)rows * cols, rows, cols, dihedral,
                          hs, &q);
    free(l);
    return q;
}

/*
 * An image where the pipeline is exact: assert block, quality and (under the
 * margin condition) the hash of every transformed buffer.
 */
static void check_exact(const uint8_t *px, int rows, int cols, int ch)
{
    size_t n = (size_t)rows * cols;
    float block[64][64];
    block_of(px, rows, cols, ch, block);
    lm_pdq_hash hs[8];
    int q = hashes_of(px, rows, cols, ch, 1, hs);
    double err = dct_error((const float(*)[64])block);

    uint8_t *t = malloc(n * ch);
    for (int k = 0; k < 8; k++) {
        int tr, tc;
        dihedral_apply(k, px, rows, cols, ch, t, &tr, &tc);
        float bt[64][64], expect[64][64];
        block_of(t, tr, tc, ch, bt);
        dihedral_apply_f(k, &block[0][0], 64, 64, &expect[0][0]);
        int same_block = memcmp(bt, expect, sizeof bt) == 0;
        if (!same_block)
            fprintf(stderr, "block of transform %d differs for %dx%d ch %d\n", k, rows, cols, ch);
        CHECK(same_block);

        lm_pdq_hash ht[8];
        CHECK_EQ_INT(hashes_of(t, tr, tc, ch, 0, ht), q);

        float dct[16][16];
        lm_pdq_dct64_to_16((const float(*)[64])bt, dct);
        double margin = median_margin((const float(*)[16])dct);
        /* both float DCTs are within err (+ err_t) of the same exact values, up to sign */
        double e = err + dct_error((const float(*)[64])bt);
        int dist = lm_pdq_distance(&ht[0], &hs[k]);
        if (margin > 2 * e) {
            if (dist)
                fprintf(stderr, "transform %d of %dx%d ch %d: distance %d (margin %g, bound %g)\n",
                        k, rows, cols, ch, dist, margin, e);
            CHECK_EQ_INT(dist, 0);
            n_exact++;
        } else {
            /* a coefficient within rounding of the median: a bit or two may differ */
            CHECK(dist <= 2);
            n_margin_skipped++;
        }
    }
    free(t);
}

/* An image where exactness does not hold: bound the Hamming distance. */
static int check_bounded(const uint8_t *px, int rows, int cols, int ch, int max_dist)
{
    int worst = 0;
    size_t n = (size_t)rows * cols;
    lm_pdq_hash hs[8];
    int q = hashes_of(px, rows, cols, ch, 1, hs);
    uint8_t *t = malloc(n * ch);
    for (int k = 0; k < 8; k++) {
        int tr, tc;
        dihedral_apply(k, px, rows, cols, ch, t, &tr, &tc);
        lm_pdq_hash ht[8];
        int qt = hashes_of(t, tr, tc, ch, 0, ht);
        int dist = lm_pdq_distance(&ht[0], &hs[k]);
        if (dist > max_dist)
            fprintf(stderr, "transform %d of %dx%d ch %d: distance %d > %d\n", k, rows, cols, ch,
                    dist, max_dist);
        CHECK(dist <= max_dist);
        CHECK(abs(qt - q) <= 3);
        if (dist > worst)
            worst = dist;
        n_bounded++;
    }
    free(t);
    return worst;
}

int main(void)
{
    uint64_t st = check_test_seed(424242);
    test_matrix_symmetry();

    /* exact: grey, both sides <= 127 (window 1, symmetric sampling), any aspect */
    static const int exact_grey[][2] = {{5, 5},    {37, 37},  {64, 64}, {100, 100}, {127, 127},
                                        {100, 37}, {64, 127}, {5, 90},  {127, 6},   {65, 65}};
    for (size_t s = 0; s < sizeof exact_grey / sizeof exact_grey[0]; s++) {
        int rows = exact_grey[s][0], cols = exact_grey[s][1];
        uint8_t *px = malloc((size_t)rows * cols);
        for (int rep = 0; rep < 3; rep++) {
            if (rep == 0)
                gen_noise(px, (size_t)rows * cols, &st);
            else
                gen_smooth(px, rows, cols, 1, &st);
            check_exact(px, rows, cols, 1);
        }
        free(px);
    }
    /* exact: 64x64 RGB (no filtering, so float luma is fine) */
    {
        uint8_t px[64 * 64 * 3];
        for (int rep = 0; rep < 4; rep++) {
            if (rep % 2)
                gen_noise(px, sizeof px, &st);
            else
                gen_smooth(px, 64, 64, 3, &st);
            check_exact(px, 64, 64, 3);
        }
    }

    /*
     * Not exact: even windows (129..256, 385..512 incl. 512x512) shift by a
     * pixel; odd windows (257..384) and RGB luma round differently. Smooth
     * images; the bounds hold with room to spare (observed worst is printed).
     */
    /* rows, cols, channels, max distance: the larger the relative shift, the larger */
    static const int bounded[][4] = {{512, 512, 3, 40}, {512, 512, 1, 40},  {300, 300, 3, 4},
                                     {200, 120, 3, 48}, {1000, 700, 3, 40}, {129, 129, 1, 80},
                                     {100, 100, 3, 4},  {640, 480, 3, 40}};
    for (size_t s = 0; s < sizeof bounded / sizeof bounded[0]; s++) {
        int rows = bounded[s][0], cols = bounded[s][1], ch = bounded[s][2];
        uint8_t *px = malloc((size_t)rows * cols * ch);
        int worst = 0;
        for (int rep = 0; rep < 2; rep++) {
            gen_smooth(px, rows, cols, ch, &st);
            int w = check_bounded(px, rows, cols, ch, bounded[s][3]);
            if (w > worst)
                worst = w;
        }
        printf("  %dx%d ch %d: worst distance %d (bound %d)\n", rows, cols, ch, worst,
               bounded[s][3]);
        if (worst > worst_bounded)
            worst_bounded = worst;
        free(px);
    }
    printf("exact transforms: %d (margin too small, <= 2 bits allowed: %d); bounded: %d, worst "
           "distance %d\n",
           n_exact, n_margin_skipped, n_bounded, worst_bounded);
    return check_report("test-pdq-dihedral");
}
