/*
 * lm-make-images: write deterministic, benign synthetic test images.
 *
 *   lm-make-images OUTDIR COUNT [--variants[=VARDIR]] [--seed=N] [--max-side=N]
 *
 * Writes COUNT images to OUTDIR (created if missing) as img-0000.jpg,
 * img-0001.png, ... : mixed JPEG (quality 75..95) and PNG (RGB, some grey),
 * sizes from 160x120 up to about 1900x1400. The same arguments always give the
 * same bytes (default seed 1). --max-side=N (N >= 16) caps both sides of the
 * originals at N (for trees of thousands of small images).
 *
 * With --variants, also writes to VARDIR (default: OUTDIR-variants):
 *   img-NNNN-variant.jpg  each image resized to 60..85 % (bilinear), slightly
 *                         brightened and re-encoded as JPEG quality 70: should
 *                         match its original (PDQ distance well under 31);
 *   unrelated-NNNN.jpg    max(1, COUNT/2) images from other seeds: should match
 *                         nothing in OUTDIR.
 *
 * Used for the README demo and the CLI tests, e.g.
 *   build/tests/tools/lm-make-images /tmp/known 20 --variants
 *   pmatch hash /tmp/known ... ; pmatch check /tmp/known-variants ...
 * Exit status: 0 on success, 2 on bad usage, 1 on I/O errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>

#include "synth.h"

static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int make_dir(const char *d)
{
    if (mkdir(d, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "lm-make-images: %s: %s\n", d, strerror(errno));
    return -1;
}

static int write_file(const char *dir, const char *name, const uint8_t *d, size_t n)
{
    char path[4096];
    int k = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= sizeof path)
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "lm-make-images: %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

/* Encode img as JPEG or PNG (as grey when grey is set) and write it. */
static int save(const char *dir, const char *name, const synth_image *img, int png, int grey,
                int quality)
{
    synth_image g = {0};
    const synth_image *src = img;
    if (grey) {
        if (synth_grey(img, &g) != 0)
            return -1;
        src = &g;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = png ? synth_encode_png(src, grey ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, 8, 0, &buf,
                                   &len)
                : synth_encode_jpeg(src, quality, &buf, &len);
    if (r == 0)
        r = write_file(dir, name, buf, len);
    free(buf);
    synth_free(&g);
    return r;
}

int main(int argc, char **argv)
{
    const char *outdir = NULL, *count_s = NULL, *vardir = NULL;
    int variants = 0;
    uint64_t seed = 1, count, max_side = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--variants") == 0) {
            variants = 1;
        } else if (strncmp(argv[i], "--variants=", 11) == 0) {
            variants = 1;
            vardir = argv[i] + 11;
        } else if (strncmp(argv[i], "--seed=", 7) == 0) {
            if (parse_u64(argv[i] + 7, UINT64_MAX, &seed) != 0)
                count_s = NULL, outdir = NULL, argc = 0;
        } else if (strncmp(argv[i], "--max-side=", 11) == 0) {
            if (parse_u64(argv[i] + 11, 100000, &max_side) != 0 || max_side < 16)
                count_s = NULL, outdir = NULL, argc = 0;
        } else if (!outdir) {
            outdir = argv[i];
        } else if (!count_s) {
            count_s = argv[i];
        } else {
            outdir = NULL;
            break;
        }
    }
    if (!outdir || parse_u64(count_s, 100000, &count) != 0) {
        fprintf(stderr, "usage: lm-make-images OUTDIR COUNT [--variants[=VARDIR]] [--seed=N] [--max-side=N]\n");
        return 2;
    }
    char vbuf[4096];
    if (variants && !vardir) {
        int k = snprintf(vbuf, sizeof vbuf, "%s-variants", outdir);
        if (k < 0 || (size_t)k >= sizeof vbuf)
            return 2;
        vardir = vbuf;
    }
    if (make_dir(outdir) != 0 || (variants && make_dir(vardir) != 0))
        return 1;

    for (uint64_t i = 0; i < count; i++) {
        uint64_t r = mix(seed * 1000003u + i);
        uint32_t w = 160 + (uint32_t)(r % 1741), h = 120 + (uint32_t)((r >> 16) % 1281);
        if (max_side) { /* same sequence of images, scaled into the cap */
            w = 16 + w % (uint32_t)(max_side - 15);
            h = 16 + h % (uint32_t)(max_side - 15);
        }
        int png = (r >> 32) % 3 == 0, grey = (r >> 36) % 7 == 0;
        int quality = 75 + (int)((r >> 40) % 21);
        synth_image img;
        if (synth_make(&img, w, h, seed * 7919u + i) != 0)
            return 1;
        char name[64];
        snprintf(name, sizeof name, "img-%04llu.%s", (unsigned long long)i, png ? "png" : "jpg");
        int rc = save(outdir, name, &img, png, grey, quality);
        if (rc == 0 && variants) {
            /* Resized, brightened, recompressed: a typical re-upload of the same picture. */
            uint32_t pct = 60 + (uint32_t)((r >> 48) % 26);
            synth_image v;
            rc = synth_resize(&img, &v, w * pct / 100 ? w * pct / 100 : 1,
                              h * pct / 100 ? h * pct / 100 : 1);
            if (rc == 0) {
                synth_brightness(&v, 8);
                snprintf(name, sizeof name, "img-%04llu-variant.jpg", (unsigned long long)i);
                rc = save(vardir, name, &v, 0, grey, 70);
                synth_free(&v);
            }
        }
        synth_free(&img);
        if (rc != 0)
            return 1;
    }
    uint64_t unrelated = variants ? (count / 2 ? count / 2 : 1) : 0;
    for (uint64_t i = 0; i < unrelated; i++) {
        uint64_t r = mix(~seed * 31u + i);
        synth_image img;
        if (synth_make(&img, 200 + (uint32_t)(r % 1200), 150 + (uint32_t)((r >> 20) % 900),
                       (seed + 1) * 0x9E3779B97F4A7C15ull + i) != 0)
            return 1;
        char name[64];
        snprintf(name, sizeof name, "unrelated-%04llu.jpg", (unsigned long long)i);
        int rc = save(vardir, name, &img, 0, 0, 85);
        synth_free(&img);
        if (rc != 0)
            return 1;
    }
    return 0;
}
