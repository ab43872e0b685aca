/*
 * bench-robustness, issue 14 (list side): local features of image-built
 * entries against edits that move the frame. Printed, never asserted.
 */
#include "bench_clock.h"
#include "bench_features.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "decode.h"
#include "feature_match.h"
#include "hashdb.h"
#include "list_add_image.h"
#include "local_features.h"

static uint64_t fr_state;
static double frnd(void)
{
    uint64_t z = (fr_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* p of each axis removed, split between its two ends at random. */
static int offset_crop(const synth_image *in, synth_image *out, double p)
{
    uint32_t cw = (uint32_t)lround(in->w * (1 - p)), ch = (uint32_t)lround(in->h * (1 - p));
    uint32_t x = (uint32_t)lround((in->w - cw) * frnd()),
             y = (uint32_t)lround((in->h - ch) * frnd());
    return synth_crop(in, out, x, y, cw, ch);
}

/* A white box over area a of the picture at a random place. */
static int white_box(const synth_image *in, synth_image *out, double a)
{
    uint32_t w = in->w, h = in->h;
    double f = sqrt(a);
    uint32_t bw = (uint32_t)lround(w * f), bh = (uint32_t)lround(h * f);
    uint32_t x0 = (uint32_t)((w - bw) * frnd()), y0 = (uint32_t)((h - bh) * frnd());
    if (synth_crop(in, out, 0, 0, w, h))
        return -1;
    for (uint32_t y = y0; y < y0 + bh; y++)
        memset(out->px + ((size_t)y * w + x0) * 3, 255, (size_t)bw * 3);
    return 0;
}

/* p of each side removed, the same from every side (a centred crop). */
static int centred_crop(const synth_image *in, synth_image *out, double p)
{
    uint32_t dx = (uint32_t)lround(in->w * p), dy = (uint32_t)lround(in->h * p);
    return synth_crop(in, out, dx, dy, in->w - 2 * dx, in->h - 2 * dy);
}

enum {
    F_CROP5,
    F_CROP10,
    F_CROP20,
    F_CENTRE10,
    F_ROT1P,
    F_ROT1M,
    F_ROT3P,
    F_ROT3M,
    F_ROT5P,
    F_ROT5M,
    F_BOX10,
    F_BOX25,
    F_COMBINED,
    F_COUNT
};
static const char *fnames[F_COUNT] = {
    "crop 5% offset", "crop 10% offset", "crop 20% offset", "centre 10%/side", "rotate +1 deg",
    "rotate -1 deg",  "rotate +3 deg",   "rotate -3 deg",   "rotate +5 deg",   "rotate -5 deg",
    "white box 10%",  "white box 25%",   "crop5+half+q50"};

static int apply_family(int e, const synth_image *in, synth_image *out, int *quality)
{
    *quality = 90;
    switch (e) {
    case F_CROP5: return offset_crop(in, out, 0.05);
    case F_CROP10: return offset_crop(in, out, 0.10);
    case F_CROP20: return offset_crop(in, out, 0.20);
    case F_CENTRE10: return centred_crop(in, out, 0.10);
    case F_ROT1P: return synth_rotate(in, out, 1);
    case F_ROT1M: return synth_rotate(in, out, -1);
    case F_ROT3P: return synth_rotate(in, out, 3);
    case F_ROT3M: return synth_rotate(in, out, -3);
    case F_ROT5P: return synth_rotate(in, out, 5);
    case F_ROT5M: return synth_rotate(in, out, -5);
    case F_BOX10: return white_box(in, out, 0.10);
    case F_BOX25: return white_box(in, out, 0.25);
    case F_COMBINED: {
        synth_image c;
        if (offset_crop(in, &c, 0.05))
            return -1;
        int rc = synth_resize(&c, out, (c.w + 1) / 2, (c.h + 1) / 2);
        synth_free(&c);
        *quality = 50;
        return rc;
    }
    }
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Does r match entry? *via: the matching variant. */
static int matched(const lm_check_result *r, uint64_t entry, int *via)
{
    for (size_t k = 0; k < r->match_count && k < LM_CHECK_MAX_MATCHES; k++)
        if (r->matches[k].entry_id == entry) {
            *via = r->matches[k].variant;
            return 1;
        }
    return 0;
}

/* The plain hash matched and the hash-only list did not: the two hashes and what lm_check found. */
static void below_plain(const char *edit, size_t i, const lm_image_hash *plain,
                        const lm_pdq_hash *orig, const lm_check_result *r)
{
    fprintf(stderr,
            "below plain: %s, original %zu: plain hash d%d q%d; lm_check verdict %d, its hash "
            "d%d q%d (%ux%u), %zu matches:",
            edit, i, lm_pdq_distance(&plain->pdq, orig), plain->quality, (int)r->verdict,
            lm_pdq_distance(&r->image.pdq, orig), r->image.quality, r->image.width, r->image.height,
            r->match_count);
    for (size_t k = 0; k < r->match_count && k < LM_CHECK_MAX_MATCHES; k++)
        fprintf(stderr, " [entry %llu variant %d d%d]", (unsigned long long)r->matches[k].entry_id,
                r->matches[k].variant, r->matches[k].distance);
    fputc('\n', stderr);
}

static long long file_size(const char *db)
{
    char f[700];
    snprintf(f, sizeof f, "%.600s/data.mdb", db);
    struct stat st;
    return stat(f, &st) == 0 ? (long long)st.st_size : -1;
}

/* An unrelated generated scene (seeds far from the originals'), as JPEG q90. */
static int unrelated_jpeg(uint64_t s, uint8_t **buf, size_t *len)
{
    static const uint32_t sizes[][2] = {{640, 480},  {480, 640}, {800, 450}, {500, 500},
                                        {1024, 768}, {360, 640}, {700, 400}, {256, 256}};
    synth_image img;
    if (synth_make(&img, sizes[s % 8][0], sizes[s % 8][1], s))
        return -1;
    int rc = synth_encode_jpeg(&img, 90, buf, len);
    synth_free(&img);
    return rc;
}

/* npairs unrelated entries x npairs unrelated queries: false matches and the closest pairs. */
static void false_pairs(const char *dir, int npairs, uint64_t seed)
{
    char db[600], err[256];
    snprintf(db, sizeof db, "%s/pairs", dir);
    if (lm_hashdb_init(db, err, sizeof err) != LM_OK)
        return;
    lm_hashdb *h;
    if (lm_hashdb_open(db, LM_DB_WRITE, &h, err, sizeof err) != LM_OK)
        return;
    lm_list_add_options ao;
    lm_list_add_options_init(&ao);
    double t0 = bench_wall_s();
    int added = 0;
    for (int i = 0; i < npairs; i++) {
        uint8_t *buf;
        size_t len;
        if (unrelated_jpeg(seed + 3000000 + (uint64_t)i, &buf, &len))
            continue;
        added += lm_list_add_image_db(h, buf, len, &ao, NULL, err, sizeof err) == LM_OK;
        free(buf);
    }
    double t_add = bench_wall_s() - t0;
    lm_db_pdq_set set;
    lm_feature_index *fx = NULL;
    if (lm_hashdb_load_pdq(h, &set) != LM_OK)
        return;
    lm_feature_index_build(h, set.ids, set.hashes, set.count, &fx);
    lm_hashdb_close(h);
    lm_matcher *m;
    if (lm_matcher_open(db, &m, err, sizeof err) != LM_OK)
        return;
    long hist[101] = {0};
    long pdq_hist[257] = {0};
    size_t false_any = 0, false_feat = 0, queries = 0;
    lm_features *q = malloc(sizeof *q);
    lm_decode_opts dec;
    lm_decode_opts_default(&dec);
    t0 = bench_wall_s();
    for (int i = 0; i < npairs; i++) {
        uint8_t *buf;
        size_t len;
        if (unrelated_jpeg(seed + 4000000 + (uint64_t)i, &buf, &len))
            continue;
        lm_check_result r = {.struct_size = sizeof r};
        if (lm_check(m, buf, len, NULL, &r) == LM_OK) {
            queries++;
            false_any += r.verdict == LM_VERDICT_MATCH;
            for (size_t k = 0; k < r.match_count && k < LM_CHECK_MAX_MATCHES; k++)
                false_feat += (r.matches[k].variant & LM_VARIANT_FEATURES) != 0;
            /* The closest entry by PDQ, and the best-verified entry by features (any count). */
            int best = 256;
            for (size_t k = 0; k < set.count; k++) {
                int d = lm_pdq_distance(&r.image.pdq, &set.hashes[k]);
                best = d < best ? d : best;
            }
            pdq_hist[best]++;
            lm_pixels px;
            lm_errbuf eb = {{0}};
            if (lm_decode_image(buf, len, &dec, &px, &eb) == LM_OK) {
                lm_features_compute(px.data, px.width, px.height, px.stride, px.channels,
                                    px.source_width, px.source_height, q);
                lm_pixels_free(&px);
                lm_feature_hit hits[LM_FEAT_MAX_VERIFIED];
                size_t nh = 0;
                lm_feature_search(fx, q, NULL, &(lm_feature_search_opts){2, LM_FEAT_MAX_VERIFIED},
                                  hits, &nh);
                int bi = nh ? hits[0].t.inliers : 0;
                hist[bi > 100 ? 100 : bi]++;
            }
        }
        free(buf);
    }
    double t_q = bench_wall_s() - t0;
    printf("\nfalse matches over %zu x %d = %.3g pairs of distinct generated images (a list of %d "
           "image-built entries with features, queried by %zu other images; %.1f s to add, "
           "%.1f ms per lm_check):\n",
           queries, added, (double)queries * added, added, queries, t_add,
           1000 * t_q / (double)(queries ? queries : 1));
    printf("  queries matching anything: %zu; through features: %zu\n", false_any, false_feat);
    printf("  closest non-matching pair per query, best inlier count among the <= %d entries "
           "verified (match needs >= %d):",
           LM_FEAT_MAX_VERIFIED, LM_FEAT_MIN_INLIERS);
    for (int k = 0; k <= 100; k++)
        if (hist[k])
            printf(" %d:%ld", k, hist[k]);
    printf("\n  closest PDQ distance per query (match needs <= 31):");
    int shown = 0;
    for (int k = 0; k <= 256 && shown < 12; k++)
        if (pdq_hist[k]) {
            printf(" %d:%ld", k, pdq_hist[k]);
            shown++;
        }
    printf(" ...\n");
    printf("  feature index: %zu entries, %zu keypoints, %.0f bytes per entry\n",
           lm_feature_index_entries(fx), lm_feature_index_keypoints(fx),
           (double)lm_feature_index_bytes(fx) /
               (double)(lm_feature_index_entries(fx) ? lm_feature_index_entries(fx) : 1));
    free(q);
    lm_feature_index_free(fx);
    lm_db_pdq_set_free(&set);
    lm_matcher_close(m);
}

void bench_feature_pairs(const char *dir, int npairs, uint64_t seed)
{
    false_pairs(dir, npairs, seed);
}

void bench_features(const char *dir, const char *dbpath, lm_matcher *m, lm_matcher *hm,
                    const bench_item *items, size_t n, int nfalse, int npairs, uint64_t seed)
{
    fr_state = seed * 7919 + 14;
    lm_hasher *h = lm_hasher_create();
    lm_check_options off, on;
    lm_check_options_init(&off);
    lm_check_options_init(&on);
    off.features = 0;
    printf("\nissue 14, list side (%zu originals; lm_check defaults, fast decoding; JPEG q90\n"
           "after each edit unless stated). plain = the standard hash alone (quality >= 50,\n"
           "distance <= 31); hash-only = lm_check against a list of the originals' plain\n"
           "hashes (dihedral, trimming, regions); image-built = lm_check against the list\n"
           "built with lm_list_add_image (companions + features), split by what matched:\n"
           "hash = plain/trimmed/region hash (any orientation), comp = a companion, feat =\n"
           "LM_VARIANT_FEATURES (min = its lowest score, the inlier count)\n",
           n);
    printf("%-16s %7s %9s | %7s %7s %7s %7s %5s\n", "edit", "plain", "hash-only", "image-b", "hash",
           "comp", "feat", "min");
    for (int e = 0; e < F_COUNT; e++) {
        size_t hp = 0, hh = 0, hon = 0, hhash = 0, hcomp = 0, hfeat = 0, tried = 0;
        int min_score = 1000;
        for (size_t i = 0; i < n; i++) {
            synth_image ed;
            int quality;
            if (apply_family(e, items[i].img, &ed, &quality))
                continue;
            uint8_t *buf;
            size_t len;
            int rc = synth_encode_jpeg(&ed, quality, &buf, &len);
            synth_free(&ed);
            if (rc)
                continue;
            tried++;
            lm_image_hash ih;
            int plain_hit = lm_hash_memory(h, buf, len, &ih) == LM_OK &&
                            ih.quality >= LM_DEFAULT_MIN_QUALITY &&
                            lm_pdq_distance(&ih.pdq, &items[i].plain) <= LM_DEFAULT_MAX_DISTANCE;
            hp += plain_hit;
            lm_check_result r = {.struct_size = sizeof r};
            int via = 0;
            if (hm && lm_check(hm, buf, len, &on, &r) == LM_OK) {
                int hit = matched(&r, items[i].hash_entry, &via);
                hh += hit;
                if (plain_hit && !hit) /* an edit below the plain hash (issue 14): say why */
                    below_plain(fnames[e], i, &ih, &items[i].plain, &r);
            }
            r = (lm_check_result){.struct_size = sizeof r};
            if (lm_check(m, buf, len, &on, &r) == LM_OK && matched(&r, items[i].entry, &via)) {
                hon++;
                if (via & LM_VARIANT_FEATURES) {
                    hfeat++;
                    for (size_t k = 0; k < r.match_count && k < LM_CHECK_MAX_MATCHES; k++)
                        if (r.matches[k].entry_id == items[i].entry &&
                            r.matches[k].score < min_score)
                            min_score = r.matches[k].score;
                } else if (via & LM_VARIANT_COMPANION) {
                    hcomp++;
                } else {
                    hhash++;
                }
            }
            free(buf);
        }
        double t = tried ? (double)tried : 1;
        printf("%-16s %6.1f%% %8.1f%% | %6.1f%% %6.1f%% %6.1f%% %6.1f%% %5d  (%zu images)\n",
               fnames[e], 100.0 * (double)hp / t, 100.0 * (double)hh / t, 100.0 * (double)hon / t,
               100.0 * (double)hhash / t, 100.0 * (double)hcomp / t, 100.0 * (double)hfeat / t,
               hfeat ? min_score : 0, tried);
    }
    if (nfalse < 0) { /* --recall-only */
        lm_hasher_destroy(h);
        return;
    }

    /* Unrelated images against the list: nothing may match. */
    size_t fa = 0, ff = 0, q = 0;
    for (int i = 0; i < nfalse; i++) {
        uint8_t *buf;
        size_t len;
        if (unrelated_jpeg(seed + 2000000 + (uint64_t)i, &buf, &len))
            continue;
        lm_check_result r = {.struct_size = sizeof r};
        if (lm_check(m, buf, len, &on, &r) == LM_OK) {
            q++;
            fa += r.verdict == LM_VERDICT_MATCH;
            for (size_t k = 0; k < r.match_count && k < LM_CHECK_MAX_MATCHES; k++)
                ff += (r.matches[k].variant & LM_VARIANT_FEATURES) != 0;
        }
        free(buf);
    }
    printf("\nunrelated generated images against the list: %zu queries (%zu pairs), %zu matched "
           "anything, %zu through features\n",
           q, q * n, fa, ff);

    /* Query cost: unrelated images (the common case: no hash matches, the stage runs) and the
     * originals (their hash matches, only the features are computed); modes interleaved. */
    enum { RUNS = 5, NQ = 50 };
    uint8_t *qb[NQ];
    size_t ql[NQ];
    for (int i = 0; i < NQ; i++)
        if (unrelated_jpeg(seed + 5000000 + (uint64_t)i, &qb[i], &ql[i]))
            ql[i] = 0;
    double tu[2][RUNS], to[2][RUNS];
    for (int run = 0; run < RUNS; run++)
        for (int md = 0; md < 2; md++) {
            const lm_check_options *co = md ? &on : &off;
            double t0 = bench_wall_s();
            for (int i = 0; i < NQ; i++) {
                lm_check_result r = {.struct_size = sizeof r};
                if (ql[i])
                    lm_check(m, qb[i], ql[i], co, &r);
            }
            double t1 = bench_wall_s();
            for (size_t i = 0; i < n; i++) {
                lm_check_result r = {.struct_size = sizeof r};
                lm_check(m, items[i].jpeg, items[i].jpeg_len, co, &r);
            }
            double t2 = bench_wall_s();
            tu[md][run] = (t1 - t0) / NQ;
            to[md][run] = (t2 - t1) / (double)n;
        }
    for (int md = 0; md < 2; md++) {
        qsort(tu[md], RUNS, sizeof(double), cmp_double);
        qsort(to[md], RUNS, sizeof(double), cmp_double);
    }
    printf("query cost per lm_check (median of %d interleaved runs; %d unrelated images, %zu "
           "originals):\n"
           "  unrelated (no match, features searched): %.3f ms features off, %.3f ms on (%+.0f%%)\n"
           "  originals (hash match, features only computed): %.3f ms off, %.3f ms on (%+.0f%%)\n",
           RUNS, NQ, n, 1000 * tu[0][RUNS / 2], 1000 * tu[1][RUNS / 2],
           100 * (tu[1][RUNS / 2] / tu[0][RUNS / 2] - 1), 1000 * to[0][RUNS / 2],
           1000 * to[1][RUNS / 2], 100 * (to[1][RUNS / 2] / to[0][RUNS / 2] - 1));
    for (int i = 0; i < NQ; i++)
        if (ql[i])
            free(qb[i]);

    /* Storage and index memory per entry: the same originals without features. */
    char nof[600], err[256];
    snprintf(nof, sizeof nof, "%s/nofeatures", dir);
    if (lm_hashdb_init(nof, err, sizeof err) == LM_OK) {
        lm_list_add_options ao;
        lm_list_add_options_init(&ao);
        ao.features = 0;
        for (size_t i = 0; i < n; i++)
            lm_list_add_image(nof, items[i].jpeg, items[i].jpeg_len, &ao, NULL, err, sizeof err);
        long long a = file_size(dbpath), b = file_size(nof);
        printf("storage: data.mdb %lld bytes with features, %lld without: %.0f bytes more per "
               "entry\n",
               a, b, (double)(a - b) / (double)n);
    }
    lm_hashdb *db;
    if (lm_hashdb_open(dbpath, LM_DB_READONLY, &db, err, sizeof err) == LM_OK) {
        lm_db_pdq_set set;
        lm_feature_index *fx = NULL;
        if (lm_hashdb_load_pdq(db, &set) == LM_OK) {
            lm_feature_index_build(db, set.ids, set.hashes, set.count, &fx);
            size_t ne = lm_feature_index_entries(fx);
            printf(
                "matcher memory: feature index %zu bytes for %zu entries (%zu keypoints): "
                "%.0f bytes per entry, %.1f per keypoint\n",
                lm_feature_index_bytes(fx), ne, lm_feature_index_keypoints(fx),
                (double)lm_feature_index_bytes(fx) / (double)(ne ? ne : 1),
                (double)lm_feature_index_bytes(fx) /
                    (double)(lm_feature_index_keypoints(fx) ? lm_feature_index_keypoints(fx) : 1));
            lm_feature_index_free(fx);
            lm_db_pdq_set_free(&set);
        }
        lm_hashdb_close(db);
    }
    lm_hasher_destroy(h);
    if (npairs > 0)
        false_pairs(dir, npairs, seed);
}
