/*
 * bench-regions: the region stage (libmatch/region) and the lazy feature stage
 * on their own, quickly. Prints figures; asserts nothing.
 *
 * Originals: Meta's distinct photographs (as bench-robustness) and synthetic
 * scenes of PDQ quality >= 50, stored as JPEG q95. Two lists: their plain
 * hashes only (a hash-only list, as shared lists are) and the same images
 * added with lm_list_add_image (companions and local features).
 *  1. Recall on the hash-only list (lm_check defaults, fast decoding) of the
 *     re-share layouts (tests/common/synth_layout), JPEG q90, and how many
 *     proposals of each kind were made.
 *  2. Plain pictures (the originals re-encoded at q90, and as many unrelated
 *     generated pictures): how many got any proposal.
 *  3. Query cost per lm_check, modes interleaved, median of R runs: the plain
 *     hash (no regions, no features), + regions, + features (image-built list);
 *     for the re-encoded originals (the hash matches: features are not needed)
 *     and for unrelated pictures (nothing matches: the feature stage runs).
 *
 *   bench-regions [TESTDATA_DIR] [--synthetic N] [--runs R] [-v]
 *   (defaults: N 100, R 7; R = 0: recall and proposals only, no timing)
 *
 * -v: on stderr, each layout the list missed with its rectangle, the plain hash's distance
 * to the original and quality, and every proposal's kind, rectangle, distance and quality
 * (hashes and rectangles only); and the proposals made on plain pictures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "decode.h"
#include "file_read.h"
#include "hashdb.h"
#include "libmatch.h"
#include "bench_photos.h"
#include "scratch.h"
#include "synth.h"
#include "synth_layout.h"

static int good_scene(synth_image *img, uint32_t w, uint32_t h, uint64_t seed)
{
    if (synth_make(img, w, h, seed))
        return -1;
    lm_hasher *qh = lm_hasher_create();
    lm_image_hash ih;
    int ok = qh && lm_hash_pixels(qh, img->px, img->w, img->h, (size_t)img->w * 3, 3, &ih) == LM_OK &&
             ih.quality >= LM_DEFAULT_MIN_QUALITY;
    lm_hasher_destroy(qh);
    if (!ok) {
        synth_free(img);
        return 1;
    }
    return 0;
}

/* The least distance of any orientation of a query hash to h. */
static int dihedral_distance(const lm_image_hash *q, const lm_pdq_hash *h)
{
    int best = 256;
    for (int d = 0; d < 8; d++) {
        int x = lm_pdq_distance(&q->dihedral[d], h);
        best = x < best ? x : best;
    }
    return best;
}

typedef struct blob {
    uint8_t *d;
    size_t n;
} blob;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *td = "../shared/testdata";
    int nsynth = 100, runs = 7, verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--synthetic") == 0 && i + 1 < argc)
            nsynth = atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            td = argv[i];
    }
    if (runs < 0 || runs > 99)
        runs = 7; /* 0: recall and proposals only, no timing */
    setvbuf(stdout, NULL, _IOLBF, 0);
    size_t cap = bench_photo_count + (size_t)nsynth;
    synth_image *o = calloc(cap, sizeof *o);
    size_t n = 0, nphotos = 0;
    for (size_t i = 0; i < bench_photo_count; i++)
        if (bench_load_photo(td, bench_photos[i], &o[n]) == 0)
            n++;
    nphotos = n;
    static const uint32_t sizes[][2] = {{640, 480},  {480, 640}, {800, 450}, {500, 500},
                                        {1024, 768}, {360, 640}, {700, 400}};
    for (uint64_t s = 1000; n < nphotos + (size_t)nsynth; s++) {
        int k = (int)(n - nphotos) % 7;
        int rc = good_scene(&o[n], sizes[k][0], sizes[k][1], s);
        if (rc < 0)
            return 1;
        if (rc == 0)
            n++;
    }
    /* unrelated plain pictures (other seeds) */
    size_t nu = n;
    synth_image *u = calloc(nu, sizeof *u);
    for (size_t i = 0, s = 700000; i < nu; s++) {
        int rc = good_scene(&u[i], sizes[i % 7][0], sizes[i % 7][1], s);
        if (rc < 0)
            return 1;
        if (rc == 0)
            i++;
    }

    char *dir = scratch_dir("bench-regions");
    if (!dir)
        return 1;
    char hpath[600], ipath[600], err[256];
    snprintf(hpath, sizeof hpath, "%s/hash", dir);
    snprintf(ipath, sizeof ipath, "%s/img", dir);
    lm_hashdb *db;
    if (lm_hashdb_init(hpath, err, sizeof err) != LM_OK ||
        lm_hashdb_open(hpath, LM_DB_WRITE, &db, err, sizeof err) != LM_OK ||
        lm_hashdb_init(ipath, err, sizeof err) != LM_OK) {
        fprintf(stderr, "lists: %s\n", err);
        return 1;
    }
    lm_hasher *h = lm_hasher_create();
    uint64_t *hid = calloc(n, sizeof *hid);
    lm_pdq_hash *ohash = calloc(n, sizeof *ohash); /* -v: distances of a miss's proposals */
    blob *plain = calloc(n, sizeof *plain), *unrel = calloc(nu, sizeof *unrel);
    lm_list_add_options ao;
    lm_list_add_options_init(&ao);
    for (size_t i = 0; i < n; i++) {
        uint8_t *buf;
        size_t len;
        lm_image_hash ih;
        if (synth_encode_jpeg(&o[i], 95, &buf, &len) || lm_hash_memory(h, buf, len, &ih) != LM_OK)
            return 1;
        lm_db_new_entry ne = {.type = LM_HASH_PDQ, .hash = ih.pdq.b, .quality = ih.quality};
        ohash[i] = ih.pdq;
        lm_status st = lm_hashdb_add(db, &ne, &hid[i]);
        if (st != LM_OK && st != LM_E_EXISTS)
            return 1;
        if (lm_list_add_image(ipath, buf, len, &ao, NULL, err, sizeof err) != LM_OK)
            fprintf(stderr, "add image %zu: %s\n", i, err);
        free(buf);
        if (synth_encode_jpeg(&o[i], 90, &plain[i].d, &plain[i].n) ||
            synth_encode_jpeg(&u[i], 90, &unrel[i].d, &unrel[i].n))
            return 1;
    }
    lm_hashdb_close(db);
    lm_matcher *hm, *im;
    if (lm_matcher_open(hpath, &hm, err, sizeof err) != LM_OK ||
        lm_matcher_open(ipath, &im, err, sizeof err) != LM_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    printf("originals: %zu (%zu photographs from %s, %d synthetic scenes); %zu unrelated\n", n,
           nphotos, td, nsynth, nu);

    /* 1. layouts against the hash-only list */
    static const struct {
        const char *name;
        int (*fn)(const synth_image *, synth_image *, uint64_t, synth_rect *);
        int seam;
    } lay[] = {{"screenshot", synth_screenshot, 0}, {"caption", synth_caption, 0},
               {"inset", synth_inset, 0},           {"collage 2x2", synth_collage, 0},
               {"collage seams", synth_collage, 1}};
    printf("1. hash-only list, lm_check defaults (fast decoding), JPEG q90:\n");
    printf("   %-14s %7s %8s   proposals per image: bands split inset\n", "layout", "recall",
           "exact");
    for (size_t k = 0; k < sizeof lay / sizeof lay[0]; k++) {
        size_t hit = 0, exact = 0, kinds[4] = {0};
        for (size_t i = 0; i < n; i++) {
            synth_image out;
            synth_rect where;
            uint64_t seed = (uint64_t)i * 2 * 7 + k * 2 + (uint64_t)lay[k].seam;
            if (lay[k].seam == 0 && lay[k].fn == synth_collage)
                seed &= ~1ull;
            if (lay[k].fn(&o[i], &out, seed, &where))
                return 1;
            uint8_t *buf;
            size_t len;
            if (synth_encode_jpeg(&out, 90, &buf, &len))
                return 1;
            uint32_t ow = out.w, oh = out.h;
            synth_free(&out);
            lm_check_result r = {.struct_size = sizeof r};
            int found = 0;
            if (lm_check(hm, buf, len, NULL, &r) == LM_OK) {
                for (size_t q = 0; q < r.region_count; q++)
                    if (r.regions[q].kind >= 1 && r.regions[q].kind <= 3)
                        kinds[r.regions[q].kind]++;
                for (size_t q = 0; q < r.match_count && q < LM_CHECK_MAX_MATCHES; q++)
                    if (r.matches[q].entry_id == hid[i]) {
                        found = 1;
                        const lm_rect *mr = &r.matches[q].rect;
                        exact += mr->x == where.x && mr->y == where.y && mr->w == where.w &&
                                 mr->h == where.h;
                    }
            }
            hit += found;
            if (!found && verbose) {
                /* each proposal: kind, rectangle, distance to the original (least over the
                   orientations) and quality; the plain hash's first */
                fprintf(stderr, "miss %s #%zu %ux%u at %u,%u %ux%u: plain d%d q%d", lay[k].name, i,
                        ow, oh, where.x, where.y, where.w, where.h,
                        dihedral_distance(&r.image, &ohash[i]), r.image.quality);
                for (size_t q = 0; q < r.region_count; q++)
                    fprintf(stderr, " [%d %u,%u %ux%u d%d q%d]", r.regions[q].kind,
                            r.regions[q].rect.x, r.regions[q].rect.y, r.regions[q].rect.w,
                            r.regions[q].rect.h, dihedral_distance(&r.regions[q].hash, &ohash[i]),
                            r.regions[q].hash.quality);
                fputc('\n', stderr);
            }
            free(buf);
        }
        printf("   %-14s %6.1f%% %7.1f%%   %.2f %.2f %.2f\n", lay[k].name,
               100.0 * (double)hit / (double)n, 100.0 * (double)exact / (double)n,
               (double)kinds[1] / (double)n, (double)kinds[2] / (double)n,
               (double)kinds[3] / (double)n);
    }

    /* 2. plain pictures */
    for (int set = 0; set < 2; set++) {
        blob *b = set ? unrel : plain;
        size_t with = 0, total = 0, hit = 0, kinds[4] = {0};
        for (size_t i = 0; i < n; i++) {
            lm_check_result r = {.struct_size = sizeof r};
            if (lm_check(hm, b[i].d, b[i].n, NULL, &r) != LM_OK)
                continue;
            with += r.region_count > 0;
            total += r.region_count;
            hit += r.verdict == LM_VERDICT_MATCH;
            for (size_t q = 0; q < r.region_count; q++)
                if (r.regions[q].kind >= 1 && r.regions[q].kind <= 3)
                    kinds[r.regions[q].kind]++;
            if (verbose && r.region_count) {
                fprintf(stderr, "%s #%zu proposals:", set ? "unrelated" : "original", i);
                for (size_t q = 0; q < r.region_count; q++)
                    fprintf(stderr, " [%d %u,%u %ux%u]", r.regions[q].kind, r.regions[q].rect.x,
                            r.regions[q].rect.y, r.regions[q].rect.w, r.regions[q].rect.h);
                fputc('\n', stderr);
            }
        }
        printf("2. plain %s (q90): %zu of %zu with proposals (%zu: bands %zu, split %zu, inset "
               "%zu); MATCH verdicts %zu\n",
               set ? "unrelated pictures" : "originals", with, n, total, kinds[1], kinds[2],
               kinds[3], hit);
    }

    /* 3. cost, interleaved */
    if (runs == 0)
        goto out;
    static const struct {
        const char *name;
        int list; /* 0 hash-only, 1 image-built */
        int regions, features;
    } modes[] = {{"hash-only list: plain hash (--no-regions)", 0, 0, 0},
                 {"hash-only list: + regions (defaults)", 0, 1, 0},
                 {"image-built list: --no-regions --no-features", 1, 0, 0},
                 {"image-built list: + regions, --no-features", 1, 1, 0},
                 {"image-built list: + regions + features (defaults)", 1, 1, 1}};
    enum { NM = sizeof modes / sizeof modes[0] };
    double *t = calloc((size_t)runs * NM * 2, sizeof *t);
    for (int rn = 0; rn < runs; rn++)
        for (int set = 0; set < 2; set++)
            for (size_t md = 0; md < NM; md++) {
                lm_check_options co;
                lm_check_options_init(&co);
                co.regions = modes[md].regions;
                co.features = modes[md].features;
                blob *b = set ? unrel : plain;
                double t0 = bench_wall_s();
                for (size_t i = 0; i < n; i++) {
                    lm_check_result r = {.struct_size = sizeof r};
                    lm_check(modes[md].list ? im : hm, b[i].d, b[i].n, &co, &r);
                }
                t[((size_t)set * NM + md) * (size_t)runs + (size_t)rn] = bench_wall_s() - t0;
            }
    printf("3. query cost per lm_check (fast decoding, modes interleaved, median of %d runs):\n",
           runs);
    for (int set = 0; set < 2; set++) {
        printf("   %s:\n", set ? "unrelated pictures (no match)" : "originals re-encoded (match)");
        double med[NM];
        for (size_t md = 0; md < NM; md++) {
            double *v = t + ((size_t)set * NM + md) * (size_t)runs;
            qsort(v, (size_t)runs, sizeof *v, cmp_d);
            med[md] = v[runs / 2] / (double)n;
            printf("     %-52s %8.3f ms\n", modes[md].name, 1000 * med[md]);
        }
        printf("     regions: %+.1f%% (hash-only), %+.1f%% (image-built); features: %+.1f%%\n",
               100 * (med[1] / med[0] - 1), 100 * (med[3] / med[2] - 1),
               100 * (med[4] / med[3] - 1));
    }
out:
    lm_matcher_close(hm);
    lm_matcher_close(im);
    lm_hasher_destroy(h);
    free(ohash);
    scratch_remove(dir);
    free(dir);
    return 0;
}
