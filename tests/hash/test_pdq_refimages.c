/*
 * Meta's PDQ test images ($LM_TESTDATA/pdq): every kernel set the CPU has
 * must reproduce the scalar kernels stage by stage (luma, both filter
 * buffers, block, quality, DCT, all 8 hashes) on the decoded pixels; and the
 * scalar hashes are compared with reference-hashes.tsv. Also: the bridge-N
 * dihedral files against the dihedral hashes of bridge-1-original.
 * Skips (77) when the data is absent, fails under CI=true.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "testdata.h"
#include "decode.h"
#include "pdq.h"
#include "pdq_kernels.h"
#include "simd_compare.h"

/* Decode a file and hash it with the scalar kernels; compare every other ISA on it. */
static int hash_file(const char *dir, const char *rel, lm_pdq_hash hashes[8], int *quality,
                     int compare_isas)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pdq/%s", dir, rel);
    size_t len;
    uint8_t *data = testdata_read(path, &len);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    lm_decode_opts opts;
    lm_decode_opts_default(&opts);
    lm_pixels px;
    lm_errbuf err;
    lm_errbuf_clear(&err);
    lm_status st = lm_decode_image(data, len, &opts, &px, &err);
    free(data);
    if (st != LM_OK) {
        fprintf(stderr, "%s: decode: %s (%s)\n", rel, lm_strerror(st), err.msg);
        return -1;
    }
    int rows = (int)px.height, cols = (int)px.width;
    size_t n = (size_t)rows * cols;
    float *l = malloc(n * 2 * sizeof(float));
    if (px.channels == 3)
        lm_pdq_kernels_scalar.luma_from_rgb(px.data, rows, cols, px.stride, l);
    else
        lm_pdq_kernels_scalar.luma_from_grey(px.data, rows, cols, px.stride, l);
    lm_pdq_hash_luma_with(&lm_pdq_kernels_scalar, l, l + n, rows, cols, 1, hashes, quality);
    free(l);
    if (compare_isas)
        for (int isa = LM_ISA_AVX2; isa <= LM_ISA_AVX512; isa++) {
            const lm_pdq_kernels *k = lm_pdq_kernels_for((lm_isa)isa);
            if (k)
                compare_image(k, px.data, rows, cols, px.stride, px.channels);
        }
    lm_pixels_free(&px);
    return 0;
}

int main(void)
{
    const char *dir = getenv("LM_TESTDATA");
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        const char *ci = getenv("CI");
        fprintf(stderr, "test data not found (LM_TESTDATA=%s)\n", dir ? dir : "(unset)");
        return ci && strcmp(ci, "true") == 0 ? 1 : 77;
    }
    char tsv[4096];
    snprintf(tsv, sizeof tsv, "%s/pdq/reference-hashes.tsv", dir);
    FILE *f = fopen(tsv, "r");
    CHECK(f != NULL);
    if (!f)
        return check_report("test-pdq-refimages");

    char line[1024];
    int rows = 0, identical = 0, jpeg_png = 0, jpeg_png_identical = 0;
    while (fgets(line, sizeof line, f)) {
        char rel[512], hex[128];
        int q;
        if (sscanf(line, "%511[^\t]\t%127[^\t]\t%d", rel, hex, &q) != 3 || strcmp(rel, "path") == 0)
            continue;
        lm_pdq_hash want, got[8];
        int quality;
        CHECK_EQ_INT(lm_pdq_from_hex(hex, strlen(hex), &want), LM_OK);
        if (hash_file(dir, rel, got, &quality, 1) != 0) {
            CHECK(!"hash failed");
            continue;
        }
        rows++;
        int d = lm_pdq_distance(&want, &got[0]);
        const char *ext = strrchr(rel, '.');
        int native = ext && (!strcmp(ext, ".jpg") || !strcmp(ext, ".png"));
        if (d == 0 && quality == q)
            identical++;
        if (native) {
            jpeg_png++;
            jpeg_png_identical += d == 0 && quality == q;
        } else {
            printf("  %-48s distance %d, quality %d vs %d (not JPEG/PNG: other decoder)\n", rel, d,
                   quality, q);
        }
        if (native && (d != 0 || quality != q))
            printf("  %-48s distance %d, quality %d vs %d\n", rel, d, quality, q);
    }
    fclose(f);
    printf("reference rows %d: identical %d; JPEG/PNG %d, identical %d; every ISA == scalar on "
           "%d decoded images\n",
           rows, identical, jpeg_png, jpeg_png_identical, n_images);
    CHECK(rows >= 36);

    /* The dihedral files: bridge-k-<name>.jpg is transform k-1 of bridge-1-original.jpg. */
    static const char *dih[8] = {
        "reg-test-input/dih/bridge-1-original.jpg",
        "reg-test-input/dih/bridge-2-rotate-90.jpg",
        "reg-test-input/dih/bridge-3-rotate-180.jpg",
        "reg-test-input/dih/bridge-4-rotate-270.jpg",
        "reg-test-input/dih/bridge-5-flipx.jpg",
        "reg-test-input/dih/bridge-6-flipy.jpg",
        "reg-test-input/dih/bridge-7-flip-plus-1.jpg",
        "reg-test-input/dih/bridge-8-flip-minus-1.jpg",
    };
    lm_pdq_hash orig[8];
    int q0;
    if (hash_file(dir, dih[0], orig, &q0, 0) == 0) {
        for (int k = 1; k < 8; k++) {
            lm_pdq_hash t[8];
            int qt;
            if (hash_file(dir, dih[k], t, &qt, 0) != 0) {
                CHECK(!"hash failed");
                continue;
            }
            int best = 0;
            printf("  %-44s vs dihedral[0..7] of original:", dih[k] + 19);
            for (int j = 0; j < 8; j++) {
                printf(" %3d", lm_pdq_distance(&t[0], &orig[j]));
                if (lm_pdq_distance(&t[0], &orig[j]) < lm_pdq_distance(&t[0], &orig[best]))
                    best = j;
            }
            printf("\n");
            /* the matching variant is close (the file is a re-encoded JPEG) and the nearest */
            CHECK(lm_pdq_distance(&t[0], &orig[k]) <= 32);
            CHECK_EQ_INT(best, k);
        }
    }
    return check_report("test-pdq-refimages");
}
