/*
 * bench-robustness: recall of the plain PDQ hash and of the full matcher
 * (companions + border trimming + dihedral) under common edits, and false
 * positives among distinct originals. Prints figures; asserts nothing.
 *
 * Originals: the distinct photographs of Meta's test set (decoded, at most
 * 512x512) and synthetic scenes (tests/common/synth) of varied sizes and
 * aspect ratios. Each original is stored as JPEG quality 95 and added to a
 * fresh list with lm_list_add_image; every edit is applied to its pixels and
 * encoded as JPEG quality 90 (quality 30 for the JPEG edit). Everything stays
 * in memory except the temporary LMDB list.
 *
 *   bench-robustness [TESTDATA_DIR] [--synthetic N] [--seed S] [--false N] [--pairs N]
 *                    [--features-only] [--recall-only] [--pairs-only N] [--only EDIT] [-v]
 * (--false: unrelated images queried, default 1000; --pairs N: a list of N unrelated
 * image-built entries queried by N others, N^2 pairs; --features-only: issue 14's families
 * only, bench_features.c; --recall-only: only their recall table, split by mechanism, beside
 * the hash-only list; --only: one edit's row, by its name in the table; -v: each miss, and
 * for a layout's hash-only miss the picture's rectangle, what its own PDQ gives and the region
 * proposals)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "file_read.h"
#include "hashdb.h"
#include "libmatch.h"
#include "robust_hash.h"
#include "bench_photos.h"
#include "scratch.h"
#include "synth.h"
#include "bench_features.h"
#include "synth_layout.h"

#define DIST LM_DEFAULT_MAX_DISTANCE

static uint64_t rng_state;
static int verbose;
static double rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static uint8_t clamp8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

/* ---- edits: in -> out (RGB), 0 on success ---- */

typedef enum edit {
    E_NONE,
    E_RESIZE50,
    E_RESIZE25,
    E_JPEG30,
    E_CROP2,
    E_CROP5,
    E_CROP10,
    E_BORDER10,
    E_LETTERBOX,
    E_ROT90,
    E_MIRROR,
    E_GREY,
    E_BRIGHT30,
    E_CONTRAST50,
    E_BLUR,
    E_BOX10,
    E_BOX25,
    E_ROT5,
    E_STRETCH,
    E_CROP5R,
    E_CROP10R,
    E_SCREENSHOT,
    E_CAPTION,
    E_INSET,
    E_COLLAGE,
    E_COLLAGE_SEAMS,
    E_COUNT
} edit;

static const char *edit_names[E_COUNT] = {
    "re-encode",     "resize 50%",    "resize 25%",   "jpeg q30",     "crop 2%",
    "crop 5%",       "crop 10%",      "border 10%",   "letterbox",    "rotate 90",
    "mirror",        "grey",          "bright +30%",  "contr +50%",   "blur",
    "white box 10%", "white box 25%", "rotate 5 deg", "stretch 1.3x", "crop 5% rnd",
    "crop 10% rnd",  "screenshot",    "caption",      "inset",        "collage 2x2",
    "collage seams"};

/*
 * Crop p of the length: anchored (the usual edits) cycles through centred, the
 * four corners (p from two sides) and the four sides (p from one side only);
 * otherwise p of each axis is split between its two ends at random.
 */
static int crop_mode;
static int crop_frac(const synth_image *in, synth_image *out, double p, int anchored)
{
    double ax, ay, px = p, py = p; /* fraction removed before the kept part */
    if (anchored) {
        int mode = crop_mode++ % 9;
        static const double fx[9] = {0.5, 0, 1, 0, 1, 0, 0, 0, 1};
        static const double fy[9] = {0.5, 0, 0, 1, 1, 0, 1, 0, 0};
        if (mode >= 5) { /* one strip: bottom, top, right, left */
            if (mode <= 6)
                px = 0; /* top or bottom strip removed */
            else
                py = 0; /* left or right strip removed */
        }
        ax = fx[mode];
        ay = fy[mode];
    } else {
        ax = rnd();
        ay = rnd();
    }
    uint32_t cw = (uint32_t)lround(in->w * (1 - px)), ch = (uint32_t)lround(in->h * (1 - py));
    uint32_t x = (uint32_t)lround((in->w - cw) * ax), y = (uint32_t)lround((in->h - ch) * ay);
    return synth_crop(in, out, x, y, cw, ch);
}

static synth_rect layout_where; /* the picture's rectangle in the last layout applied */

static int apply(edit e, const synth_image *in, synth_image *out, int *quality)
{
    *quality = 90;
    uint32_t w = in->w, h = in->h;
    switch (e) {
    case E_NONE: return synth_crop(in, out, 0, 0, w, h);
    case E_RESIZE50: return synth_resize(in, out, (w + 1) / 2, (h + 1) / 2);
    case E_RESIZE25: return synth_resize(in, out, (w + 3) / 4, (h + 3) / 4);
    case E_JPEG30: *quality = 30; return synth_crop(in, out, 0, 0, w, h);
    case E_CROP2: return crop_frac(in, out, 0.02, 1);
    case E_CROP5: return crop_frac(in, out, 0.05, 1);
    case E_CROP10: return crop_frac(in, out, 0.10, 1);
    case E_CROP5R: return crop_frac(in, out, 0.05, 0);
    case E_CROP10R: return crop_frac(in, out, 0.10, 0);
    case E_BORDER10: {
        uint32_t bx = w / 10, by = h / 10;
        return synth_frame(in, out, by, by, bx, bx, NULL);
    }
    case E_LETTERBOX: { /* into a frame a third taller, bars top and bottom */
        uint32_t bar = h / 6;
        return synth_frame(in, out, bar, bar, 0, 0, NULL);
    }
    case E_ROT90: return synth_turn(in, out, 1, 0); /* clockwise */
    case E_MIRROR: return synth_turn(in, out, 0, 1);
    case E_GREY: return synth_grey(in, out);
    case E_BRIGHT30:
    case E_CONTRAST50:
        if (synth_crop(in, out, 0, 0, w, h))
            return -1;
        for (size_t i = 0; i < (size_t)w * h * 3; i++)
            out->px[i] = e == E_BRIGHT30 ? clamp8(out->px[i] * 1.3)
                                         : clamp8((out->px[i] - 128.0) * 1.5 + 128);
        return 0;
    case E_BLUR: { /* 5x5 box, twice */
        synth_image a, b;
        if (synth_crop(in, &a, 0, 0, w, h))
            return -1;
        if (synth_alloc(&b, w, h, 3)) {
            synth_free(&a);
            return -1;
        }
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++) {
                        int s = 0, n = 0;
                        for (int dy = -2; dy <= 2; dy++)
                            for (int dx = -2; dx <= 2; dx++) {
                                long yy = (long)y + dy, xx = (long)x + dx;
                                if (yy < 0 || xx < 0 || yy >= h || xx >= w)
                                    continue;
                                s += a.px[((size_t)yy * w + (size_t)xx) * 3 + c];
                                n++;
                            }
                        b.px[((size_t)y * w + x) * 3 + c] = (uint8_t)((s + n / 2) / n);
                    }
            memcpy(a.px, b.px, (size_t)w * h * 3);
        }
        synth_free(&b);
        *out = a;
        return 0;
    }
    case E_BOX10:
    case E_BOX25: {
        double f = sqrt(e == E_BOX10 ? 0.10 : 0.25);
        uint32_t bw = (uint32_t)lround(w * f), bh = (uint32_t)lround(h * f);
        uint32_t x0 = (uint32_t)((w - bw) * rnd()), y0 = (uint32_t)((h - bh) * rnd());
        if (synth_crop(in, out, 0, 0, w, h))
            return -1;
        for (uint32_t y = y0; y < y0 + bh; y++)
            memset(out->px + ((size_t)y * w + x0) * 3, 255, (size_t)bw * 3);
        return 0;
    }
    case E_ROT5: return synth_rotate(in, out, 5); /* black corners */
    case E_STRETCH: return synth_resize(in, out, (uint32_t)lround(w * 1.3), h);
    /* Re-share layouts (tests/common/synth_layout): the picture inside a larger image. */
    case E_SCREENSHOT:
    case E_CAPTION:
    case E_INSET:
    case E_COLLAGE:
    case E_COLLAGE_SEAMS: {
        synth_rect where = {0, 0, 0, 0};
        uint64_t seed = (uint64_t)(rnd() * 1e9) * 2;
        layout_where = where;
        int rc = e == E_SCREENSHOT ? synth_screenshot(in, out, seed, &where)
                 : e == E_CAPTION  ? synth_caption(in, out, seed, &where)
                 : e == E_INSET    ? synth_inset(in, out, seed, &where)
                                   : synth_collage(in, out, seed + (e == E_COLLAGE_SEAMS), &where);
        layout_where = where;
        return rc;
    }
    case E_COUNT: break;
    }
    return -1;
}

/* ---- originals ---- */

typedef struct original {
    synth_image img;
    uint8_t *jpeg;
    size_t jpeg_len;
    lm_pdq_hash plain;
    uint64_t entry;
    uint64_t hash_entry;                             /* in the hash-only list */
    lm_pdq_hash region_hash[LM_REGION_MAX_CODE + 1]; /* every candidate region, for the table */
    int has_region[LM_REGION_MAX_CODE + 1];
} original;

static int encode(const synth_image *img, int quality, uint8_t **buf, size_t *len)
{
    return synth_encode_jpeg(img, quality, buf, len);
}

/* Issue 14's local-feature tables (bench_features.c) on the n originals. */
static void features_of(const original *o, size_t n, const char *dir, const char *dbpath,
                        lm_matcher *m, lm_matcher *hm, int nfalse, int npairs, uint64_t seed)
{
    bench_item *bi = calloc(n, sizeof *bi);
    for (size_t i = 0; i < n; i++)
        bi[i] = (bench_item){&o[i].img,  o[i].entry, o[i].hash_entry,
                             o[i].plain, o[i].jpeg,  o[i].jpeg_len};
    bench_features(dir, dbpath, m, hm, bi, n, nfalse, npairs, seed);
    free(bi);
}

/* Candidate companion sets, evaluated from the region hashes (the first is the default). */
static const struct {
    const char *name;
    uint8_t codes[20];
    int n;
} sets[] = {
    {"9 anchors x {95%, 90%} (the default)",
     {8, 9, 10, 11, 12, 18, 19, 20, 21, 1, 3, 4, 5, 6, 14, 15, 16, 17},
     18},
    {"c90 c80 4x corner90 (issue's example)", {1, 2, 3, 4, 5, 6}, 6},
    {"c95 c90 4x corner90 4x side90", {8, 1, 3, 4, 5, 6, 14, 15, 16, 17}, 10},
    {"c95 c90 4x corner95 4x corner90", {8, 1, 9, 10, 11, 12, 3, 4, 5, 6}, 10},
    {"9 anchors x 90% + c95 c80", {1, 3, 4, 5, 6, 14, 15, 16, 17, 8, 2}, 11},
    {"9 anchors x {95%, 90%} + c80",
     {8, 9, 10, 11, 12, 18, 19, 20, 21, 1, 3, 4, 5, 6, 14, 15, 16, 17, 2},
     19},
};
#define NSETS (sizeof sets / sizeof sets[0])

int main(int argc, char **argv)
{
    const char *td = "../shared/testdata";
    int nsynth = 100;
    uint64_t seed = 1;
    int nfalse = 1000, npairs = 0, features_only = 0;
    const char *only = NULL; /* --only EDIT: that edit's row alone */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--synthetic") == 0 && i + 1 < argc)
            nsynth = atoi(argv[++i]);
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--false") == 0 && i + 1 < argc)
            nfalse = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
            npairs = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--features-only") == 0)
            features_only = 1;
        else if (strcmp(argv[i], "--recall-only") == 0)
            features_only = 1, nfalse = -1;
        else if (strcmp(argv[i], "--pairs-only") == 0 && i + 1 < argc) {
            char *pdir = scratch_dir("bench-pairs");
            if (!pdir)
                return 1;
            setvbuf(stdout, NULL, _IOLBF, 0);
            bench_feature_pairs(pdir, (int)strtol(argv[++i], NULL, 10), seed);
            int removed = scratch_remove(pdir);
            free(pdir);
            return removed != 0;
        } else
            td = argv[i];
    }
    rng_state = seed;
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows as it comes */
    size_t nphotos = bench_photo_count;
    original *o = calloc(nphotos + (size_t)nsynth, sizeof *o);
    size_t n = 0;
    for (size_t i = 0; i < nphotos; i++)
        if (bench_load_photo(td, bench_photos[i], &o[n].img) == 0)
            n++;
    size_t photos_loaded = n;
    static const uint32_t sizes[][2] = {{640, 480},  {480, 640}, {800, 450}, {500, 500},
                                        {1024, 768}, {360, 640}, {700, 400}};
    /* Scenes a list would hold: PDQ quality >= 50 (flatter ones are skipped). */
    size_t skipped = 0;
    for (uint64_t s = 1000; n < photos_loaded + (size_t)nsynth; s++) {
        int k = (int)(n - photos_loaded) % 7;
        if (synth_make(&o[n].img, sizes[k][0], sizes[k][1], s)) {
            fprintf(stderr, "cannot make a synthetic image\n");
            return 1;
        }
        lm_image_hash ih;
        lm_hasher *qh = lm_hasher_create();
        int ok = qh &&
                 lm_hash_pixels(qh, o[n].img.px, o[n].img.w, o[n].img.h, (size_t)o[n].img.w * 3, 3,
                                &ih) == LM_OK &&
                 ih.quality >= LM_DEFAULT_MIN_QUALITY;
        lm_hasher_destroy(qh);
        if (ok) {
            n++;
        } else {
            synth_free(&o[n].img);
            skipped++;
        }
    }
    printf("originals: %zu (%zu photographs from %s, %d synthetic scenes; %zu scenes of quality "
           "< 50 skipped), seed %llu\n",
           n, photos_loaded, td, nsynth, skipped, (unsigned long long)seed);

    char *dir = scratch_dir("bench-robustness");
    if (!dir)
        return 1;
    char dbpath[600];
    snprintf(dbpath, sizeof dbpath, "%s/db", dir);
    lm_matcher *m = NULL;
    lm_hasher *h = lm_hasher_create();
    char err[256];
    lm_list_add_options ao;
    lm_list_add_options_init(&ao);
    uint8_t all_codes[LM_REGION_MAX_CODE];
    size_t ncodes = 0;
    for (int c = 1; c <= LM_REGION_MAX_CODE; c++)
        all_codes[ncodes++] = (uint8_t)c;

    if (lm_hashdb_init(dbpath, err, sizeof err) != LM_OK) {
        fprintf(stderr, "init: %s\n", err);
        return 1;
    }
    lm_decode_opts dec;
    lm_decode_opts_default(&dec);
    for (size_t i = 0; i < n; i++) {
        if (encode(&o[i].img, 95, &o[i].jpeg, &o[i].jpeg_len))
            return 1;
        lm_image_hash ih;
        if (lm_hash_memory(h, o[i].jpeg, o[i].jpeg_len, &ih) != LM_OK)
            return 1;
        o[i].plain = ih.pdq;
        lm_status st =
            lm_list_add_image(dbpath, o[i].jpeg, o[i].jpeg_len, &ao, &o[i].entry, err, sizeof err);
        if (st != LM_OK) {
            fprintf(stderr, "add %zu: %s (%s)\n", i, lm_strerror(st), err);
            return 1;
        }
        lm_errbuf eb = {{0}};
        lm_companion_hashes c;
        if (lm_companions_compute(&dec, all_codes, ncodes, 1, o[i].jpeg, o[i].jpeg_len, &c, &eb) ==
            LM_OK)
            for (size_t k = 0; k < c.count; k++) {
                o[i].region_hash[c.region[k]] = c.hash[k];
                o[i].has_region[c.region[k]] = 1;
            }
    }
    if (lm_matcher_open(dbpath, &m, err, sizeof err) != LM_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    /* A hash-only list: the originals' plain hashes, as lists shared by others hold them. */
    char dbhash[600];
    snprintf(dbhash, sizeof dbhash, "%s/hashonly", dir);
    lm_matcher *hm = NULL;
    {
        lm_hashdb *hdb;
        if (lm_hashdb_init(dbhash, err, sizeof err) != LM_OK ||
            lm_hashdb_open(dbhash, LM_DB_WRITE, &hdb, err, sizeof err) != LM_OK) {
            fprintf(stderr, "hash-only list: %s\n", err);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            lm_db_new_entry ne = {.type = LM_HASH_PDQ, .hash = o[i].plain.b, .quality = -1};
            if (lm_hashdb_add(hdb, &ne, &o[i].hash_entry) != LM_OK) {
                fprintf(stderr, "hash-only list: add %zu failed\n", i);
                return 1;
            }
        }
        lm_hashdb_close(hdb);
        if (lm_matcher_open(dbhash, &hm, err, sizeof err) != LM_OK) {
            fprintf(stderr, "open: %s\n", err);
            return 1;
        }
    }
    printf("index: %zu hashes for %zu entries (%.2f companions per entry)\n\n", lm_matcher_size(m),
           n, (double)(lm_matcher_size(m) - n) / (double)n);

    if (features_only) {
        features_of(o, n, dir, dbpath, m, hm, nfalse, npairs, seed);
        goto cleanup;
    }
    lm_check_options exact; /* decoded exactly like the plain hash: a like-for-like comparison */
    lm_check_options_init(&exact);
    exact.exact = 1;
    /* False-positive pairs among distinct originals. */
    size_t fp_plain = 0, fp_full = 0;
    uint8_t *pair = calloc(n * n, 1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            fp_plain += lm_pdq_distance(&o[i].plain, &o[j].plain) <= DIST;
    for (size_t i = 0; i < n; i++) {
        lm_check_result r = {.struct_size = sizeof r};
        if (lm_check(m, o[i].jpeg, o[i].jpeg_len, &exact, &r) != LM_OK)
            continue;
        for (size_t k = 0; k < r.match_count && k < LM_CHECK_MAX_MATCHES; k++)
            for (size_t j = 0; j < n; j++)
                if (j != i && o[j].entry == r.matches[k].entry_id) {
                    size_t a = i < j ? i : j, b = i < j ? j : i;
                    if (!pair[a * n + b]++)
                        fp_full++;
                }
    }
    free(pair);

    printf("recall at distance 31: plain = the reference-compatible hash alone (quality >= 50);\n"
           "matcher = lm_check, exact decoding, defaults (companions, trimming, dihedral);\n"
           "fast = the same with lm_check's default fast decoding; synth = matcher on the\n"
           "synthetic scenes only\n");
    printf("hash-only = lm_check, exact decoding, defaults, against a list of the originals'\n"
           "plain hashes only (no companions): what query-side mechanisms give any list\n");
    printf("%-14s %8s %9s %8s %8s %8s\n", "edit", "plain", "hash-only", "matcher", "fast", "synth");
    size_t set_hits[E_COUNT][NSETS] = {{0}};
    size_t set_fp[NSETS] = {0};
    double t_check = 0;
    size_t n_check = 0;
    for (int e = 0; e < E_COUNT; e++) {
        size_t hit_plain = 0, hit_full = 0, hit_fast = 0, tried = 0, synth_hit = 0, synth_tried = 0,
               hit_hash = 0;
        if (only && strcmp(only, edit_names[e]) != 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            synth_image ed;
            int q;
            if (apply((edit)e, &o[i].img, &ed, &q))
                continue;
            uint8_t *buf;
            size_t len;
            int rc = encode(&ed, q, &buf, &len);
            /* -v: what the picture's own rectangle would give (its PDQ, encoded alike), to tell
               a layout's missed region from one that cannot match */
            int oracle = -1;
            synth_rect where = layout_where;
            if (verbose && e >= E_SCREENSHOT && where.w) {
                synth_image cut;
                uint8_t *cb;
                size_t cl;
                lm_image_hash ch;
                if (synth_crop(&ed, &cut, where.x, where.y, where.w, where.h) == 0) {
                    if (encode(&cut, q, &cb, &cl) == 0) {
                        if (lm_hash_memory(h, cb, cl, &ch) == LM_OK)
                            oracle = ch.quality < LM_DEFAULT_MIN_QUALITY
                                         ? 1000 + ch.quality
                                         : lm_pdq_distance(&ch.pdq, &o[i].plain);
                        free(cb);
                    }
                    synth_free(&cut);
                }
            }
            synth_free(&ed);
            if (rc)
                continue;
            tried++;
            synth_tried += i >= photos_loaded;
            lm_image_hash ih;
            if (lm_hash_memory(h, buf, len, &ih) == LM_OK) {
                /* The plain hash as any PDQ matcher uses it: quality >= 50, distance <= 31. */
                hit_plain += ih.quality >= LM_DEFAULT_MIN_QUALITY &&
                             lm_pdq_distance(&ih.pdq, &o[i].plain) <= DIST;
                for (size_t s = 0; s < NSETS; s++) {
                    int best = lm_pdq_distance(&ih.pdq, &o[i].plain);
                    for (int k = 0; k < sets[s].n; k++)
                        if (o[i].has_region[sets[s].codes[k]]) {
                            int d = lm_pdq_distance(&ih.pdq, &o[i].region_hash[sets[s].codes[k]]);
                            best = d < best ? d : best;
                        }
                    set_hits[e][s] += ih.quality >= LM_DEFAULT_MIN_QUALITY && best <= DIST;
                }
            }
            {
                lm_check_result r = {.struct_size = sizeof r};
                int found = 0;
                if (lm_check(hm, buf, len, &exact, &r) == LM_OK)
                    for (size_t k = 0; k < r.match_count && k < LM_CHECK_MAX_MATCHES; k++)
                        if (r.matches[k].entry_id == o[i].hash_entry) {
                            hit_hash++;
                            found = 1;
                            break;
                        }
                if (!found && verbose && e >= E_SCREENSHOT) {
                    /* the truth, what its own rectangle gives (distance; 1000 + quality when
                       under the list's minimum), and the proposals */
                    fprintf(stderr,
                            "hash-only miss: %s, original %zu (%ux%u in %ux%u), picture %u,%u "
                            "%ux%u, its own PDQ %d; proposals:",
                            edit_names[e], i, o[i].img.w, o[i].img.h, r.image.width, r.image.height,
                            where.x, where.y, where.w, where.h, oracle);
                    for (size_t k = 0; k < r.region_count; k++)
                        fprintf(stderr, " %s %u,%u %ux%u (%d)",
                                lm_region_kind_name(r.regions[k].kind), r.regions[k].rect.x,
                                r.regions[k].rect.y, r.regions[k].rect.w, r.regions[k].rect.h,
                                lm_pdq_distance(&r.regions[k].hash.pdq, &o[i].plain));
                    fprintf(stderr, "\n");
                }
            }
            for (int fast = 0; fast < 2; fast++) {
                lm_check_result r = {.struct_size = sizeof r};
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                lm_status st = lm_check(m, buf, len, fast ? NULL : &exact, &r);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if (fast) {
                    t_check +=
                        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
                    n_check++;
                }
                int found = 0;
                if (st == LM_OK)
                    for (size_t k = 0; k < r.match_count && k < LM_CHECK_MAX_MATCHES; k++)
                        if (r.matches[k].entry_id == o[i].entry) {
                            *(fast ? &hit_fast : &hit_full) += 1;
                            if (!fast && i >= photos_loaded)
                                synth_hit++;
                            found = 1;
                            break;
                        }
                if (!found && !fast && verbose)
                    fprintf(stderr, "miss: %s, original %zu (%ux%u), verdict %d quality %d\n",
                            edit_names[e], i, o[i].img.w, o[i].img.h, (int)r.verdict,
                            r.image.quality);
            }
            free(buf);
        }
        double t = tried ? (double)tried : 1;
        printf("%-14s %7.1f%% %8.1f%% %7.1f%% %7.1f%% %7.1f%%   (%zu images)\n", edit_names[e],
               100.0 * (double)hit_plain / t, 100.0 * (double)hit_hash / t,
               100.0 * (double)hit_full / t, 100.0 * (double)hit_fast / t,
               100.0 * (double)synth_hit / (double)(synth_tried ? synth_tried : 1), tried);
    }
    printf(
        "\nfalse-positive pairs among %zu distinct originals (%zu pairs): plain %zu, matcher %zu\n",
        n, n * (n - 1) / 2, fp_plain, fp_full);
    printf("lm_check mean %.2f ms per edited image (defaults: dihedral, trimming, companions)\n\n",
           1000 * t_check / (double)(n_check ? n_check : 1));

    /* Query cost: lm_check of every original (no match work beyond its own entry), per option. */
    static const struct {
        const char *name;
        int dihedral, trim, regions;
    } modes[] = {{"plain only (--no-dihedral --no-trim --no-regions)", 0, 0, 0},
                 {"dihedral, no trimming, no regions", 1, 0, 0},
                 {"dihedral + trimming (before regions)", 1, 1, 0},
                 {"defaults: dihedral + trimming + regions", 1, 1, 1}};
    enum { NMODES = 4, RUNS = 9 };
    printf("query cost, lm_check per image of the originals (plain pictures: fast decoding, %zu "
           "images, modes interleaved, median of %d runs each):\n",
           n, RUNS);
    double runs[NMODES][RUNS];
    size_t with_proposals = 0, proposals = 0;
    for (size_t i = 0; i < n; i++) {
        lm_check_result r = {.struct_size = sizeof r};
        if (lm_check(m, o[i].jpeg, o[i].jpeg_len, NULL, &r) == LM_OK) {
            with_proposals += r.region_count > 0;
            proposals += r.region_count;
        }
    }
    for (int run = 0; run < RUNS; run++)
        for (size_t md = 0; md < NMODES; md++) {
            lm_check_options co;
            lm_check_options_init(&co);
            co.dihedral = modes[md].dihedral;
            co.trim_borders = modes[md].trim;
            co.regions = modes[md].regions;
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (size_t i = 0; i < n; i++) {
                lm_check_result r = {.struct_size = sizeof r};
                lm_check(m, o[i].jpeg, o[i].jpeg_len, &co, &r);
            }
            clock_gettime(CLOCK_MONOTONIC, &t1);
            runs[md][run] =
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        }
    double med[NMODES];
    for (size_t md = 0; md < NMODES; md++) {
        for (int a = 0; a < RUNS; a++) /* insertion sort: RUNS is small */
            for (int b = a; b > 0 && runs[md][b] < runs[md][b - 1]; b--) {
                double t = runs[md][b];
                runs[md][b] = runs[md][b - 1];
                runs[md][b - 1] = t;
            }
        med[md] = runs[md][RUNS / 2];
        printf("  %-50s %.3f ms\n", modes[md].name, 1000 * med[md] / (double)n);
    }
    printf("  region stage on plain pictures: %+.1f%% (%zu of %zu originals had proposals, %zu "
           "proposals)\n",
           100.0 * (med[3] / med[2] - 1), with_proposals, n, proposals);
    /* Storage: the same originals without companions. */
    char dbplain[600], f1[620], f2[620];
    snprintf(dbplain, sizeof dbplain, "%s/plain", dir);
    lm_hashdb_init(dbplain, err, sizeof err);
    lm_list_add_options po;
    lm_list_add_options_init(&po);
    po.companions = 0;
    for (size_t i = 0; i < n; i++)
        lm_list_add_image(dbplain, o[i].jpeg, o[i].jpeg_len, &po, NULL, err, sizeof err);
    snprintf(f1, sizeof f1, "%s/data.mdb", dbpath);
    snprintf(f2, sizeof f2, "%s/data.mdb", dbplain);
    struct stat s1, s2;
    if (stat(f1, &s1) == 0 && stat(f2, &s2) == 0)
        printf("storage: data.mdb %lld bytes with companions, %lld without: %.0f bytes more per "
               "entry (%zu entries)\n\n",
               (long long)s1.st_size, (long long)s2.st_size,
               (double)(s1.st_size - s2.st_size) / (double)n, n);

    /* Companion sets, evaluated offline (plain query hash against the region hashes). */
    for (size_t s = 0; s < NSETS; s++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (i != j)
                    for (int k = 0; k < sets[s].n; k++)
                        if (o[j].has_region[sets[s].codes[k]] &&
                            lm_pdq_distance(&o[i].plain, &o[j].region_hash[sets[s].codes[k]]) <=
                                DIST) {
                            set_fp[s]++;
                            break;
                        }
    printf("companion sets (plain query hash vs the entry and its companions; no "
           "trimming/dihedral):\n");
    printf("%-40s %8s %8s %8s %8s %8s %6s\n", "set", "crop 2%", "crop 5%", "crop 10%", "5% rnd",
           "10% rnd", "fp");
    for (size_t s = 0; s < NSETS; s++)
        printf("%-40s %7.1f%% %7.1f%% %7.1f%% %7.1f%% %7.1f%% %6zu\n", sets[s].name,
               100.0 * (double)set_hits[E_CROP2][s] / (double)n,
               100.0 * (double)set_hits[E_CROP5][s] / (double)n,
               100.0 * (double)set_hits[E_CROP10][s] / (double)n,
               100.0 * (double)set_hits[E_CROP5R][s] / (double)n,
               100.0 * (double)set_hits[E_CROP10R][s] / (double)n, set_fp[s]);

    features_of(o, n, dir, dbpath, m, hm, nfalse, npairs, seed);
cleanup:
    lm_matcher_close(m);
    lm_matcher_close(hm);
    lm_hasher_destroy(h);
    for (size_t i = 0; i < n; i++) {
        synth_free(&o[i].img);
        free(o[i].jpeg);
    }
    free(o);
    scratch_remove(dir);
    free(dir);
    return 0;
}
