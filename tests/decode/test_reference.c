/*
 * Decoder + PDQ against Meta's reference hashes (pdq/reference-hashes.tsv):
 * JPEG and PNG must be bit-identical in hash and quality. WebP goes through
 * libavcodec while the reference used ImageMagick (libwebp): different chroma
 * upsampling, so small distances are allowed and printed.
 * Images the reference rejects (alpha, CMYK) must hash, close to the original.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "testdata.h"

/* WebP: libavcodec's decoder + swscale vs libwebp's fancy upsampling in ImageMagick. */
#define WEBP_MAX_DISTANCE 16
/* Alpha/CMYK variants of modes/original.jpg made by Pillow. */
#define MODES_MAX_DISTANCE 16

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int hash_path(lm_hasher *h, const char *dir, const char *rel, lm_image_hash *out)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/pdq/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    lm_status st = lm_hash_file(h, path, out);
    if (st != LM_OK)
        fprintf(stderr, "  %s: %s (%s)\n", rel, lm_strerror(st), lm_hasher_last_error(h));
    return st;
}

static void reference_table(lm_hasher *h, const char *dir)
{
    char tsv[4096];
    snprintf(tsv, sizeof tsv, "%s/pdq/reference-hashes.tsv", dir);
    FILE *f = fopen(tsv, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024];
    int identical = 0, rows = 0, jpeg_png = 0, other = 0;
    printf("%-48s %-5s %4s %7s\n", "image", "fmt", "dist", "quality");
    while (fgets(line, sizeof line, f)) {
        char rel[512], hex[128];
        int quality;
        if (sscanf(line, "%511[^\t]\t%127[^\t]\t%d", rel, hex, &quality) != 3 ||
            strcmp(rel, "path") == 0)
            continue;
        rows++;
        lm_pdq_hash want;
        CHECK_EQ_INT(lm_pdq_from_hex(hex, strlen(hex), &want), LM_OK);
        lm_image_hash got;
        int st = hash_path(h, dir, rel, &got);
        CHECK_EQ_INT(st, LM_OK);
        if (st != LM_OK)
            continue;
        int d = lm_pdq_distance(&want, &got.pdq);
        int exact = ends_with(rel, ".jpg") || ends_with(rel, ".png");
        printf("%-48s %-5s %4d %3d/%3d\n", rel, lm_format_name(got.format), d, got.quality,
               quality);
        if (d == 0 && got.quality == quality)
            identical++;
        if (exact) {
            jpeg_png++;
            CHECK_EQ_INT(d, 0);
            CHECK_EQ_INT(got.quality, quality);
        } else {
            other++;
            CHECK(d <= WEBP_MAX_DISTANCE);
            CHECK(got.quality >= quality - 10);
        }
    }
    fclose(f);
    printf("reference rows: %d, identical: %d (JPEG/PNG rows %d, other %d)\n", rows, identical,
           jpeg_png, other);
    CHECK(rows >= 40);
}

/* Files the reference rejects: they must hash, and the modes/ ones land near the original. */
static void rejected_by_reference(lm_hasher *h, const char *dir)
{
    lm_image_hash orig, got;
    CHECK_EQ_INT(hash_path(h, dir, "misc-images/modes/original.jpg", &orig), LM_OK);
    const char *near[] = {"misc-images/modes/RGBA.png", "misc-images/modes/LA.png",
                          "misc-images/modes/CMYK.jpg"};
    for (size_t i = 0; i < sizeof near / sizeof *near; i++) {
        CHECK_EQ_INT(hash_path(h, dir, near[i], &got), LM_OK);
        int d = lm_pdq_distance(&orig.pdq, &got.pdq);
        printf("%-48s %-5s distance to original.jpg %d, quality %d\n", near[i],
               lm_format_name(got.format), d, got.quality);
        CHECK(d <= MODES_MAX_DISTANCE);
        CHECK(got.quality >= 50);
    }
    const char *other[] = {"misc-images/c.png", "reg-test-input/pen-and-coaster.png"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        CHECK_EQ_INT(hash_path(h, dir, other[i], &got), LM_OK);
        char hex[LM_PDQ_HEX_CHARS + 1];
        lm_pdq_to_hex(&got.pdq, hex);
        printf("%-48s %-5s %ux%u %s quality %d\n", other[i], lm_format_name(got.format), got.width,
               got.height, hex, got.quality);
        CHECK(got.width > 0 && got.height > 0);
    }
}

/*
 * EXIF orientation (the exif-rotn files are different photos, each tagged
 * 1, 3, 6 or 8): with the option on, the hash is the matching dihedral
 * variant of the unoriented image's hash (up to resampling noise: 0, 26, 16, 16 bits).
 */
static void exif_orientation(lm_hasher *h, const char *dir)
{
    static const struct {
        const char *rel;
        lm_dihedral expect;
    } cases[] = {
        {"reg-test-input/exif-rotn/exif-rotn-1.jpg", LM_DIH_ORIGINAL},
        {"reg-test-input/exif-rotn/exif-rotn-3.jpg", LM_DIH_ROTATE_180},
        {"reg-test-input/exif-rotn/exif-rotn-6.jpg", LM_DIH_ROTATE_270},
        {"reg-test-input/exif-rotn/exif-rotn-8.jpg", LM_DIH_ROTATE_90},
    };
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_DIHEDRAL, 1), LM_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lm_image_hash plain, oriented;
        CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_EXIF_ORIENT, 0), LM_OK);
        CHECK_EQ_INT(hash_path(h, dir, cases[i].rel, &plain), LM_OK);
        CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_EXIF_ORIENT, 1), LM_OK);
        CHECK_EQ_INT(hash_path(h, dir, cases[i].rel, &oriented), LM_OK);
        printf("%-48s exif-oriented vs dihedral of plain:", cases[i].rel);
        for (int k = 0; k < 8; k++)
            printf(" %d", lm_pdq_distance(&oriented.pdq, &plain.dihedral[k]));
        printf("\n");
        /* Rotating the 512x512 sample is not sampling the rotated image: allow some bits,
         * and require the expected variant to be far closer than every other one. */
        int want = lm_pdq_distance(&oriented.pdq, &plain.dihedral[cases[i].expect]);
        CHECK(want <= 32);
        for (int k = 0; k < 8; k++)
            if (k != (int)cases[i].expect)
                CHECK(lm_pdq_distance(&oriented.pdq, &plain.dihedral[k]) > want + 48);
    }
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_EXIF_ORIENT, 0), LM_OK);
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_DIHEDRAL, 0), LM_OK);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Decode with opts and hash the pixels; returns the decode time in seconds or -1. */
static double decode_hash(lm_hasher *h, const uint8_t *d, size_t n, const lm_decode_opts *o,
                          lm_image_hash *out)
{
    lm_pixels px;
    lm_errbuf err = {{0}};
    double t0 = now();
    if (lm_decode_image(d, n, o, &px, &err) != LM_OK)
        return -1;
    double t = now() - t0;
    lm_status st = lm_hash_pixels(h, px.data, px.width, px.height, px.stride, px.channels, out);
    lm_pixels_free(&px);
    return st == LM_OK ? t : -1;
}

/*
 * The JPEG DCT-scaling fast path (off by default) against the exact path on
 * every reference JPEG: distances and decode times are printed; the bound is
 * loose because the fast path is an approximation by design.
 */
#define FAST_MAX_DISTANCE 40
static void fast_jpeg_path(lm_hasher *h, const char *dir)
{
    char tsv[4096];
    snprintf(tsv, sizeof tsv, "%s/pdq/reference-hashes.tsv", dir);
    FILE *f = fopen(tsv, "r");
    if (!f)
        return;
    lm_decode_opts exact, fast;
    lm_decode_opts_default(&exact);
    fast = exact;
    fast.jpeg_dct_scale = 1;
    char line[1024];
    int n = 0, same = 0, worst = 0;
    double t_exact = 0, t_fast = 0;
    while (fgets(line, sizeof line, f)) {
        char rel[512], path[4096];
        if (sscanf(line, "%511[^\t]", rel) != 1 || !ends_with(rel, ".jpg"))
            continue;
        snprintf(path, sizeof path, "%s/pdq/%s", dir, rel);
        size_t len;
        uint8_t *d = testdata_read(path, &len);
        if (!d)
            continue;
        lm_image_hash a, b;
        double te = decode_hash(h, d, len, &exact, &a), tf = decode_hash(h, d, len, &fast, &b);
        free(d);
        CHECK(te >= 0 && tf >= 0);
        if (te < 0 || tf < 0)
            continue;
        int dist = lm_pdq_distance(&a.pdq, &b.pdq);
        if (dist > 0)
            printf("fast JPEG path %-44s distance %3d (%.1f ms -> %.1f ms)\n", rel, dist, te * 1e3,
                   tf * 1e3);
        n++;
        same += dist == 0;
        worst = dist > worst ? dist : worst;
        t_exact += te;
        t_fast += tf;
        CHECK(dist <= FAST_MAX_DISTANCE);
    }
    fclose(f);
    printf("fast JPEG path: %d JPEGs, %d identical, worst distance %d, decode %.0f ms -> %.0f ms\n",
           n, same, worst, t_exact * 1e3, t_fast * 1e3);
}

int main(void)
{
    const char *dir = testdata_dir_or_skip("test_reference");
    lm_hasher *h = lm_hasher_create();
    CHECK(h != NULL);
    if (!h)
        return 1;
    reference_table(h, dir);
    rejected_by_reference(h, dir);
    exif_orientation(h, dir);
    fast_jpeg_path(h, dir);
    lm_hasher_destroy(h);
    return check_report("test_reference");
}
