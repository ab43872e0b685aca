/*
 * The fast PNG path (png_fast.c: libdeflate + own unfiltering) against libpng
 * (png_no_fast): identical status and pixels for every PNG in the test data,
 * a generated set of every colour type and bit depth (interlaced too, which
 * goes to libpng), each filter type forced, sizes around the SIMD block
 * widths, and byte-flipped / cut copies. The unfiltering kernels are compared
 * with each other on random rows. Truncated files: missing IEND is decoded and
 * flagged, rows missing is LM_E_CORRUPT, on both paths.
 */
#include <dirent.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cpu.h"
#include "decode.h"
#include "decode_internal.h"
#include "libmatch.h"
#include "png_filter.h"
#include "synth.h"
#include "testdata.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/*
 * Unfilter nrows rows of n bytes (src: type byte + data, each LM_PNG_ROW_SLACK
 * readable beyond) with f, calling it as png_fast.c does (groups, rows done).
 */
static void unfilter_all(lm_png_unfilter_fn f, unsigned nrows, uint8_t *const *src,
                         uint8_t *const *dst, const uint8_t *first_prev, size_t n, unsigned bpp)
{
    unsigned group = lm_png_unfilter_group(f, bpp);
    CHECK(group >= 1 && group <= LM_PNG_UNFILTER_MAX_ROWS);
    const uint8_t *prev = first_prev;
    for (unsigned y = 0; y < nrows;) {
        unsigned nr = nrows - y < group ? nrows - y : group;
        unsigned done = f(nr, (const uint8_t *const *)src + y, dst + y, prev, n, bpp);
        CHECK(done >= 1 && done <= nr);
        if (done < 1 || done > nr)
            return;
        y += done;
        prev = dst[y - 1];
    }
}

#define KROWS 40
#define KMAX (300 * 8)

static void kernels_agree_isa(lm_isa isa)
{
    lm_png_unfilter_fn simd = lm_png_unfilter_for(isa);
    CHECK(simd != lm_png_unfilter_scalar);
    static uint8_t srcbuf[KROWS][KMAX + 1 + LM_PNG_ROW_SLACK];
    static uint8_t a[KROWS][KMAX + LM_PNG_ROW_SLACK], b[KROWS][KMAX + LM_PNG_ROW_SLACK];
    static uint8_t prev[KMAX + LM_PNG_ROW_SLACK];
    uint8_t *src[KROWS], *pa[KROWS], *pb[KROWS];
    int cases = 0;
    static const size_t lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 70, 129, 300};
    for (unsigned bpp = 1; bpp <= 8; bpp++) {
        if (bpp == 5 || bpp == 7)
            continue;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
            for (int rep = 0; rep < 12; rep++) {
                size_t n = lens[li] * bpp;
                unsigned nrows = 1 + next_rand() % KROWS;
                /* Mostly Paeth, with Sub and Up between (as encoders write), or any type. */
                int mix = rep % 3;
                for (unsigned y = 0; y < nrows; y++) {
                    src[y] = srcbuf[y];
                    pa[y] = a[y];
                    pb[y] = b[y];
                    unsigned t = next_rand() % 10;
                    srcbuf[y][0] = (uint8_t)(mix == 0   ? 4
                                             : mix == 1 ? (t < 7   ? 4
                                                           : t < 9 ? 2
                                                                   : 1)
                                                        : t % 5);
                    for (size_t i = 0; i < n + LM_PNG_ROW_SLACK; i++)
                        srcbuf[y][1 + i] = (uint8_t)next_rand();
                }
                for (size_t i = 0; i < n + LM_PNG_ROW_SLACK; i++)
                    prev[i] = rep % 4 == 3 ? 0 : (uint8_t)next_rand(); /* the first row */
                memset(a, 0xA5, sizeof a);
                memset(b, 0x5A, sizeof b);
                unfilter_all(lm_png_unfilter_scalar, nrows, src, pa, prev, n, bpp);
                unfilter_all(simd, nrows, src, pb, prev, n, bpp);
                for (unsigned y = 0; y < nrows; y++)
                    if (memcmp(a[y], b[y], n) != 0) {
                        fprintf(stderr, "kernel mismatch (%s): row %u type %d bpp %u n %zu\n",
                                lm_isa_name(isa), y, srcbuf[y][0], bpp, n);
                        check_failures++;
                        break;
                    }
                cases++;
            }
    }
    printf("kernels: %s == scalar on %d sets of rows\n", lm_isa_name(isa), cases);
}

static void kernels_agree(void)
{
    if (!lm_cpu_supports(LM_ISA_AVX2)) {
        printf("kernels: no AVX2 here, scalar only\n");
        return;
    }
    kernels_agree_isa(LM_ISA_AVX2);
    if (lm_cpu_supports(LM_ISA_AVX512) &&
        lm_png_unfilter_for(LM_ISA_AVX512) != lm_png_unfilter_for(LM_ISA_AVX2))
        kernels_agree_isa(LM_ISA_AVX512);
}

static lm_status decode(const uint8_t *d, size_t n, int no_fast, lm_pixels *px, uint8_t bg)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.png_no_fast = no_fast;
    o.alpha_background = bg;
    lm_errbuf err = {{0}};
    return lm_decode_image(d, n, &o, px, &err);
}

/* Both paths: same status, and on success the same pixels and flags. */
static int paths_agree(const uint8_t *d, size_t n, const char *what, int quiet)
{
    lm_pixels f, s;
    uint8_t bg = n > 40 ? d[40] : 255;
    lm_status a = decode(d, n, 0, &f, bg), b = decode(d, n, 1, &s, bg);
    int ok = a == b;
    if (ok && a == LM_OK)
        ok = f.width == s.width && f.height == s.height && f.channels == s.channels &&
             f.stride == s.stride && f.truncated == s.truncated &&
             f.source_width == s.source_width && f.source_height == s.source_height &&
             memcmp(f.data, s.data, f.stride * f.height) == 0;
    if (!ok && !quiet)
        fprintf(stderr, "%s: fast %s, libpng %s%s (truncated %d/%d)\n", what, lm_strerror(a),
                lm_strerror(b), a == b ? " (pixels differ)" : "", f.truncated, s.truncated);
    lm_pixels_free(&f);
    lm_pixels_free(&s);
    return ok;
}

static int testdata_pngs(const char *dir, int *count)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            testdata_pngs(path, count);
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size < 8 || st.st_size > (64 << 20))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = malloc((size_t)st.st_size);
        size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        fclose(f);
        if (n == (size_t)st.st_size && lm_sniff_format(buf, n) == LM_FORMAT_PNG) {
            CHECK(paths_agree(buf, n, path, 0));
            (*count)++;
        }
        free(buf);
    }
    closedir(dh);
    return 1;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Offset of the IEND chunk (its length field), or 0. */
static size_t find_iend(const uint8_t *d, size_t n)
{
    for (size_t i = n >= 12 ? n - 12 : 0; i > 8; i--)
        if (memcmp(d + i + 4, "IEND", 4) == 0)
            return i;
    return 0;
}

static void truncation(const uint8_t *png, size_t n, const char *what)
{
    size_t iend = find_iend(png, n);
    CHECK(iend > 0);
    lm_pixels px;
    for (int nf = 0; nf <= 1; nf++) {
        /* No IEND: decoded, flagged. */
        CHECK_EQ_INT(decode(png, iend, nf, &px, 255), LM_OK);
        CHECK_EQ_INT(px.truncated, 1);
        lm_pixels_free(&px);
        /* Complete: not flagged. */
        CHECK_EQ_INT(decode(png, n, nf, &px, 255), LM_OK);
        CHECK_EQ_INT(px.truncated, 0);
        lm_pixels_free(&px);
        /* Rows missing: refused. */
        CHECK_EQ_INT(decode(png, iend / 2, nf, &px, 255), LM_E_CORRUPT);
        CHECK_EQ_INT(decode(png, iend - 40 > 60 ? iend - 40 : 60, nf, &px, 255), LM_E_CORRUPT);
    }
    CHECK(paths_agree(png, iend, what, 0));
}

static void mutations(const uint8_t *png, size_t n, const char *what, int trials)
{
    uint8_t *m = malloc(n);
    int differ = 0;
    for (int t = 0; t < trials; t++) {
        memcpy(m, png, n);
        int flips = 1 + (int)(next_rand() % 3);
        for (int k = 0; k < flips; k++)
            m[8 + next_rand() % (n - 8)] ^= (uint8_t)(1u << (next_rand() % 8));
        size_t len = next_rand() % 4 == 0 ? 8 + next_rand() % (n - 8) : n;
        if (!paths_agree(m, len, what, differ > 3))
            differ++;
    }
    if (differ)
        fprintf(stderr, "%s: %d of %d damaged copies decode differently\n", what, differ, trials);
    CHECK_EQ_INT(differ, 0);
    free(m);
}

int main(void)
{
    kernels_agree();
    const char *td = testdata_dir_or_skip("decode_png_fast");
    int count = 0;
    testdata_pngs(td, &count);
    printf("testdata: %d PNGs, fast path == libpng\n", count);
    CHECK(count > 0);

    static const struct {
        int ct, depth;
    } types[] = {{0, 1}, {0, 2}, {0, 4}, {0, 8}, {0, 16}, {2, 8}, {2, 16}, {3, 1},
                 {3, 2}, {3, 4}, {3, 8}, {4, 8}, {4, 16}, {6, 8}, {6, 16}};
    static const int filters[] = {
        0, PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG, PNG_FILTER_PAETH};
    static const uint32_t sizes[][2] = {{1, 1}, {5, 3}, {17, 9}, {33, 7}, {300, 41}, {700, 530}};
    int generated = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        synth_image rgb, grey, rgba, ga;
        CHECK(synth_make(&rgb, sizes[s][0], sizes[s][1], 100 + s) == 0);
        CHECK(synth_grey(&rgb, &grey) == 0);
        CHECK(synth_add_alpha(&rgb, &rgba, 200 + s) == 0);
        CHECK(synth_add_alpha(&grey, &ga, 300 + s) == 0);
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            int ct = types[t].ct;
            const synth_image *img = ct == 0 ? &grey : ct == 4 ? &ga : ct == 6 ? &rgba : &rgb;
            if (ct == 3 && (s % 2))
                img = &rgba; /* palette with tRNS */
            for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++)
                for (int il = 0; il <= 1; il++) {
                    if (il && f > 1)
                        continue;
                    uint8_t *png;
                    size_t n;
                    if (synth_encode_png_filtered(img, ct, types[t].depth, il, filters[f], &png,
                                                  &n) != 0)
                        continue; /* e.g. too many colours for a small palette */
                    char what[128];
                    snprintf(what, sizeof what, "%ux%u ct%d/%d filter %d%s", img->w, img->h, ct,
                             types[t].depth, filters[f], il ? " interlaced" : "");
                    CHECK(paths_agree(png, n, what, 0));
                    generated++;
                    if (s == 3 && f == 0 && !il) {
                        truncation(png, n, what);
                        mutations(png, n, what, 150);
                    }
                    free(png);
                }
        }
        synth_free(&rgb);
        synth_free(&grey);
        synth_free(&rgba);
        synth_free(&ga);
    }
    printf("generated: %d PNGs, fast path == libpng\n", generated);
    CHECK(generated > 300);

    /* A CRC error in IDAT: libpng's error, on both paths. */
    synth_image img;
    CHECK(synth_make(&img, 40, 30, 7) == 0);
    uint8_t *png;
    size_t n;
    CHECK(synth_encode_png(&img, 2, 8, 0, &png, &n) == 0);
    size_t iend = find_iend(png, n);
    png[iend - 1] ^= 1; /* the IDAT's CRC */
    CHECK(paths_agree(png, n, "idat crc", 0));
    lm_pixels px;
    CHECK_EQ_INT(decode(png, n, 0, &px, 255), LM_E_CORRUPT);
    png[iend - 1] ^= 1;
    put_be32(png + 16, 70000); /* IHDR width beyond the limit (before the CRC check) */
    CHECK_EQ_INT(decode(png, n, 0, &px, 255), LM_E_LIMIT_DIMENSION);
    free(png);
    synth_free(&img);
    const char *name = NULL;
    lm_png_unfilter_best(&name);
    printf("unfilter kernel in use: %s\n", name);
    return check_report("decode_png_fast");
}
