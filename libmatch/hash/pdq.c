/* Scalar PDQ: the specification every faster kernel is tested against. */
#include "pdq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "pdq_dct_matrix.h"
#include "pdq_kernels.h"

static const float luma_r = 0.299f, luma_g = 0.587f, luma_b = 0.114f;

static void luma_from_rgb_scalar(const uint8_t *rgb, int rows, int cols, size_t stride, float *luma)
{
    for (int i = 0; i < rows; i++) {
        const uint8_t *p = rgb + (size_t)i * stride;
        float *out = luma + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++, p += 3)
            out[j] = luma_r * p[0] + luma_g * p[1] + luma_b * p[2];
    }
}

static void luma_from_grey_scalar(const uint8_t *grey, int rows, int cols, size_t stride,
                                  float *luma)
{
    for (int i = 0; i < rows; i++) {
        const uint8_t *p = grey + (size_t)i * stride;
        float *out = luma + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            out[j] = (float)p[j];
    }
}

int lm_pdq_jarosz_window(int old_dim, int new_dim)
{
    return (old_dim + 2 * new_dim - 1) / (2 * new_dim);
}

/*
 * One box-filter pass over a vector with a window that grows from half size
 * at the start, slides, and shrinks at the end; the running sum and its
 * order of additions and subtractions are the reference's.
 */
void lm_pdq_box1d(const float *in, float *out, int length, int stride, int window)
{
    int half = (window + 2) / 2;
    int phase1 = half - 1;
    int phase2 = window - half + 1;
    int phase3 = length - window;
    int phase4 = half - 1;
    size_t li = 0, ri = 0, oi = 0, step = (size_t)stride;
    float sum = 0.0f;
    int count = 0;

    for (int i = 0; i < phase1; i++, ri += step) {
        sum += in[ri];
        count++;
    }
    for (int i = 0; i < phase2; i++, ri += step, oi += step) {
        sum += in[ri];
        count++;
        out[oi] = sum / count;
    }
    for (int i = 0; i < phase3; i++, li += step, ri += step, oi += step) {
        sum += in[ri];
        sum -= in[li];
        out[oi] = sum / count;
    }
    for (int i = 0; i < phase4; i++, li += step, oi += step) {
        sum -= in[li];
        count--;
        out[oi] = sum / count;
    }
}

static void box_rows_scalar(const float *in, float *out, int rows, int cols, int window)
{
    for (int i = 0; i < rows; i++)
        lm_pdq_box1d(in + (size_t)i * cols, out + (size_t)i * cols, cols, 1, window);
}

static void box_cols_scalar(const float *in, float *out, int rows, int cols, int window)
{
    for (int j = 0; j < cols; j++)
        lm_pdq_box1d(in + j, out + j, rows, cols, window);
}

void lm_pdq_jarosz_filter_with(const lm_pdq_kernels *k, float *buf1, float *buf2, int rows,
                               int cols)
{
    int win_along_rows = lm_pdq_jarosz_window(cols, 64);
    int win_along_cols = lm_pdq_jarosz_window(rows, 64);
    for (int pass = 0; pass < 2; pass++) {
        k->box_rows(buf1, buf2, rows, cols, win_along_rows);
        k->box_cols(buf2, buf1, rows, cols, win_along_cols);
    }
}

void lm_pdq_jarosz_filter(float *buf1, float *buf2, int rows, int cols)
{
    lm_pdq_jarosz_filter_with(&lm_pdq_kernels_scalar, buf1, buf2, rows, cols);
}

void lm_pdq_decimate64(const float *in, int rows, int cols, float out[64][64])
{
    for (int oi = 0; oi < 64; oi++) {
        int ii = (int)(((oi + 0.5) * rows) / 64);
        for (int oj = 0; oj < 64; oj++) {
            int ij = (int)(((oj + 0.5) * cols) / 64);
            out[oi][oj] = in[(size_t)ii * cols + ij];
        }
    }
}

int lm_pdq_quality(const float block[64][64])
{
    int gradient_sum = 0;
    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            int d = (int)(((block[i][j] - block[i + 1][j]) * 100) / 255);
            gradient_sum += abs(d);
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            int d = (int)(((block[i][j] - block[i][j + 1]) * 100) / 255);
            gradient_sum += abs(d);
        }
    int quality = gradient_sum / 90;
    return quality > 100 ? 100 : quality;
}

void lm_pdq_dct64_to_16(const float block[64][64], float out[16][16])
{
    const float(*d)[64] = lm_pdq_dct_matrix();
    float t[16][64];
    /* T = D A, summing k in increasing order */
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++) {
            float sum = 0.0f;
            for (int k = 0; k < 64; k++)
                sum += d[i][k] * block[k][j];
            t[i][j] = sum;
        }
    /* B = T D^t */
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float sum = 0.0f;
            for (int k = 0; k < 64; k++)
                sum += t[i][k] * d[j][k];
            out[i][j] = sum;
        }
}

static void swap_f(float *a, float *b)
{
    float t = *a;
    *a = *b;
    *b = t;
}

float lm_pdq_median256(const float values[256])
{
    /* Quickselect for rank 127 (0-based): the value Torben's algorithm returns for n = 256. */
    float v[256];
    memcpy(v, values, sizeof v);
    int lo = 0, hi = 255, k = 127;
    while (lo < hi) {
        float pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j)
                swap_f(&v[i++], &v[j--]);
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

void lm_pdq_bits_from_dct(const float dct[16][16], lm_pdq_hash *hash)
{
    float median = lm_pdq_median256(&dct[0][0]);
    memset(hash->b, 0, sizeof hash->b);
    /* Bit k = 16 i + j of the reference's 256-bit number; b[0] holds its top byte. */
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            if (dct[i][j] > median) {
                int k = i * 16 + j;
                hash->b[31 - (k >> 3)] |= (uint8_t)(1u << (k & 7));
            }
}

/*
 * Dihedral transforms act on the DCT directly: a transpose swaps i and j, and
 * mirroring negates the odd-numbered (in 1-based frequency) coefficients along
 * that axis. neg_row/neg_col say which parity of i/j is negated (-1: none).
 */
static void dihedral_from_dct(const float a[16][16], int transpose, int neg_row_parity,
                              int neg_col_parity, float b[16][16])
{
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            int negate = 0;
            if (neg_row_parity >= 0 && (i & 1) == neg_row_parity)
                negate ^= 1;
            if (neg_col_parity >= 0 && (j & 1) == neg_col_parity)
                negate ^= 1;
            float v = negate ? -a[i][j] : a[i][j];
            if (transpose)
                b[j][i] = v;
            else
                b[i][j] = v;
        }
}

void lm_pdq_block64_with(const lm_pdq_kernels *k, float *luma, float *tmp, int rows, int cols,
                         float block[64][64])
{
    if (rows == 64 && cols == 64) {
        memcpy(block, luma,
               sizeof(float) * 64 * 64); /* already 64x64: the reference skips filtering */
    } else {
        lm_pdq_jarosz_filter_with(k, luma, tmp, rows, cols);
        k->decimate64(luma, rows, cols, block);
    }
}

void lm_pdq_hash_luma_with(const lm_pdq_kernels *k, float *luma, float *tmp, int rows, int cols,
                           int dihedral, lm_pdq_hash hashes[8], int *quality)
{
    int n = dihedral ? 8 : 1;
    if (rows < LM_PDQ_MIN_DIM || cols < LM_PDQ_MIN_DIM) {
        memset(hashes, 0, sizeof(lm_pdq_hash) * (size_t)n);
        *quality = 0;
        return;
    }
    float block[64][64];
    lm_pdq_block64_with(k, luma, tmp, rows, cols, block);
    *quality = k->quality((const float(*)[64])block);

    float dct[16][16];
    k->dct64_to_16((const float(*)[64])block, dct);
    lm_pdq_bits_from_dct((const float(*)[16])dct, &hashes[0]);
    if (dihedral)
        lm_pdq_dihedral_bits((const float(*)[16])dct, hashes);
}

void lm_pdq_dihedral_bits(const float dct[16][16], lm_pdq_hash hashes[8])
{
    /* In the reference's order: rot90, rot180, rot270, flipx, flipy, flip+1, flip-1.
     * Negating odd i and odd j together negates exactly where i + j is odd. */
    static const struct {
        int transpose, neg_row, neg_col;
    } forms[7] = {
        {1, -1, 0},  /* rotate 90: negate even j, transpose */
        {0, 1, 1},   /* rotate 180: negate where i + j is odd */
        {1, 0, -1},  /* rotate 270: negate even i, transpose */
        {0, 0, -1},  /* flip x: negate even i */
        {0, -1, 0},  /* flip y: negate even j */
        {1, -1, -1}, /* flip +1: transpose */
        {1, 1, 1},   /* flip -1: negate where i + j is odd, transpose */
    };
    float aux[16][16];
    for (int f = 0; f < 7; f++) {
        dihedral_from_dct((const float(*)[16])dct, forms[f].transpose, forms[f].neg_row,
                          forms[f].neg_col, aux);
        lm_pdq_bits_from_dct((const float(*)[16])aux, &hashes[f + 1]);
    }
}

void lm_pdq_hash_luma(float *luma, float *tmp, int rows, int cols, int dihedral,
                      lm_pdq_hash hashes[8], int *quality)
{
    lm_pdq_hash_luma_with(lm_pdq_kernels_best(), luma, tmp, rows, cols, dihedral, hashes, quality);
}

void lm_pdq_luma_from_rgb(const uint8_t *rgb, int rows, int cols, size_t stride, float *luma)
{
    lm_pdq_kernels_best()->luma_from_rgb(rgb, rows, cols, stride, luma);
}

void lm_pdq_luma_from_grey(const uint8_t *grey, int rows, int cols, size_t stride, float *luma)
{
    lm_pdq_kernels_best()->luma_from_grey(grey, rows, cols, stride, luma);
}

/* ---- dispatch ----------------------------------------------------------- */

const lm_pdq_kernels lm_pdq_kernels_scalar = {
    .isa = LM_ISA_SCALAR,
    .luma_from_rgb = luma_from_rgb_scalar,
    .luma_from_grey = luma_from_grey_scalar,
    .box_rows = box_rows_scalar,
    .box_cols = box_cols_scalar,
    .decimate64 = lm_pdq_decimate64,
    .quality = lm_pdq_quality,
    .dct64_to_16 = lm_pdq_dct64_to_16,
};

/* Best first, scalar last. */
static const lm_pdq_kernels *const kernel_table[] = {
#if defined(LM_HAVE_PDQ_AVX512)
    &lm_pdq_kernels_avx512,
#endif
#if defined(LM_HAVE_PDQ_AVX2)
    &lm_pdq_kernels_avx2,
#endif
    &lm_pdq_kernels_scalar,
};

const lm_pdq_kernels *lm_pdq_kernels_for(lm_isa isa)
{
    for (size_t i = 0; i < sizeof kernel_table / sizeof kernel_table[0]; i++)
        if (kernel_table[i]->isa == isa)
            return lm_cpu_supports(isa) ? kernel_table[i] : NULL;
    return NULL;
}

static const lm_pdq_kernels *best_kernels;
static once_flag best_once = ONCE_FLAG_INIT;

static void choose_best(void)
{
    lm_isa isa = lm_cpu_isa();
    for (size_t i = 0; i < sizeof kernel_table / sizeof kernel_table[0]; i++)
        if (kernel_table[i]->isa <= isa && lm_cpu_supports(kernel_table[i]->isa)) {
            best_kernels = kernel_table[i];
            return;
        }
    best_kernels = &lm_pdq_kernels_scalar;
}

const lm_pdq_kernels *lm_pdq_kernels_best(void)
{
    call_once(&best_once, choose_best);
    return best_kernels;
}
