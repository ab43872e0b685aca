/*
 * Skipping JPEG rows (jpeg_skip_scanlines) must not change a single output
 * pixel: every image is decoded twice, reading every row and skipping the
 * rows the 512x512 output does not need, and the pixels must be identical,
 * in exact mode and in fast mode (at each minimum side).
 *
 * Inputs: every JPEG of Meta's test data, and generated JPEGs of every
 * subsampling (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, grey), baseline and
 * progressive, with and without restart markers, at sizes where no iMCU row
 * can be skipped whole and sizes where most can (tall images).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"
#include "testdata.h"
#include "file_read.h"

static const uint32_t fast_sides[] = {0 /* exact */, 512, 256, 128};
#define NSIDES (sizeof fast_sides / sizeof *fast_sides)

static int compared, skipped_exact;

/* Decode data with and without skipping; 1 when identical (or both fail identically). */
static int same_with_skip(const uint8_t *data, size_t len, uint32_t fast_side, const char *what)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.jpeg_dct_scale = fast_side != 0;
    o.jpeg_fast_min_side = fast_side;
    lm_decode_opts all = o;
    all.jpeg_no_skip = 1;
    lm_pixels a, b;
    lm_errbuf ea = {{0}}, eb = {{0}};
    lm_status sa = lm_decode_image(data, len, &all, &a, &ea);
    lm_status sb = lm_decode_image(data, len, &o, &b, &eb);
    int same = sa == sb;
    if (sa == LM_OK && sb == LM_OK)
        same = a.width == b.width && a.height == b.height && a.channels == b.channels &&
               a.stride == b.stride && memcmp(a.data, b.data, a.stride * a.height) == 0;
    if (!same) {
        fprintf(stderr, "  %s (fast side %u): skipping rows changed the output (%d/%d)\n", what,
                fast_side, sa, sb);
        if (sa == LM_OK && sb == LM_OK && a.width == b.width && a.height == b.height) {
            size_t diff = 0;
            for (size_t i = 0; i < a.stride * a.height; i++)
                diff += a.data[i] != b.data[i];
            fprintf(stderr, "    %zu of %zu bytes differ\n", diff, a.stride * a.height);
        }
    }
    compared++;
    lm_pixels_free(&a);
    lm_pixels_free(&b);
    return same;
}

/* The library's bounded file reader; NULL on any failure. */
static int reference_jpegs;

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 4 ||
        (strcmp(path + n - 4, ".jpg") && strcmp(path + n - 4, ".JPG") &&
         (n < 5 || strcmp(path + n - 5, ".jpeg"))))
        return 0;
    size_t len;
    uint8_t *d = testdata_read(path, &len);
    CHECK(d != NULL);
    if (!d)
        return 0;
    reference_jpegs++;
    for (size_t s = 0; s < NSIDES; s++)
        CHECK(same_with_skip(d, len, fast_sides[s], path));
    free(d);
    return 0;
}

static void generated(void)
{
    /* Both sides > 512 with no whole iMCU row between wanted rows; tall ones where most
     * iMCU rows are skipped whole; odd sizes (partial MCUs); one exactly 513 rows. */
    static const uint32_t sizes[][2] = {{1203, 1709}, {2001, 1101}, {700, 4321},
                                        {600, 9001},  {530, 513},   {3000, 700}};
    static const int restarts[] = {0, 1, 3};
    int n = 0;
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        synth_image img;
        CHECK_EQ_INT(synth_make(&img, sizes[z][0], sizes[z][1], 1000 + z), 0);
        for (int sub = 0; sub < SYNTH_JPEG_NSUB; sub++)
            for (int prog = 0; prog < 2; prog++)
                for (size_t r = 0; r < sizeof restarts / sizeof *restarts; r++) {
                    /* Restart markers are a baseline concern; progressive once without. */
                    if (prog && r > 0)
                        continue;
                    synth_jpeg_params p = {.quality = 60 + (int)(7 * z + 3 * sub) % 36,
                                           .sub = (synth_jpeg_sub)sub,
                                           .progressive = prog,
                                           .restart_rows = restarts[r],
                                           .optimize_coding = (int)(z & 1)};
                    uint8_t *buf;
                    size_t len;
                    CHECK_EQ_INT(synth_encode_jpeg_with(&img, &p, &buf, &len), 0);
                    if (!buf)
                        continue;
                    char what[160];
                    snprintf(what, sizeof what, "%ux%u %s %s restart %d q%d", img.w, img.h,
                             synth_jpeg_sub_names[sub], prog ? "progressive" : "baseline",
                             restarts[r], p.quality);
                    for (size_t s = 0; s < NSIDES; s++)
                        CHECK(same_with_skip(buf, len, fast_sides[s], what));
                    n++;
                    free(buf);
                }
        synth_free(&img);
    }
    printf("generated JPEGs: %d (x %zu modes), all identical with and without skipping\n", n,
           NSIDES);
}

/* Corrupt data in a skipped row is still detected (Huffman decoding is never skipped). */
static void corrupt_in_skipped_rows(void)
{
    synth_image img;
    CHECK_EQ_INT(synth_make(&img, 520, 16000, 7),
                 0); /* wanted rows 31 apart: most iMCU rows skipped whole */
    synth_jpeg_params p = {.quality = 85, .sub = SYNTH_JPEG_420};
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(synth_encode_jpeg_with(&img, &p, &buf, &len), 0);
    synth_free(&img);
    if (!buf)
        return;
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    lm_pixels px;
    lm_errbuf err = {{0}};
    /* Truncation anywhere, including inside iMCU rows that are skipped whole. */
    for (int k = 1; k < 10; k++) {
        size_t cut = len * (size_t)k / 10;
        lm_status st = lm_decode_image(buf, cut, &o, &px, &err);
        CHECK_EQ_INT(st, LM_E_CORRUPT);
        lm_pixels_free(&px);
    }
    free(buf);
}

int main(void)
{
    const char *dir = getenv("LM_TESTDATA");
    if (dir) {
        char pdq[4096];
        snprintf(pdq, sizeof pdq, "%s/pdq", dir);
        nftw(pdq, visit, 16, FTW_PHYS);
        printf("reference JPEGs: %d (x %zu modes)\n", reference_jpegs, NSIDES);
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0)
            CHECK(reference_jpegs >= 36);
    }
    generated();
    corrupt_in_skipped_rows();
    printf("decodes compared: %d\n", compared);
    (void)skipped_exact;
    return check_report("test_skip_exact");
}
