/*
 * The approximate descriptor search of the local-features stage (feature_lsh.c)
 * and the stage on a list of many entries:
 *  - on the descriptors of generated pictures: every stored descriptor finds
 *    itself; every hit's distance is its true distance, within the radius, each
 *    position once, sorted, the closest `cap` of those found; two builds answer
 *    alike (deterministic); most of the exact neighbours within the radius of
 *    an edited copy's descriptors are found; empty and tiny indexes work;
 *  - end to end: a list of 150 image-built entries, where an offset crop and a
 *    rotation of entries match their own entry through features and unrelated
 *    pictures match nothing.
 * Images are generated (tests/common/synth), encoded in memory; fixed seeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "feature_lsh.h"
#include "hashdb.h"
#include "image_list_test.h"
#include "libmatch.h"
#include "list_add_image.h"
#include "local_features.h"
#include "popcount.h"
#include "scratch.h"
#include "synth.h"

#define PICTURES 40
#define RADIUS LM_FEAT_MAX_DESC_DISTANCE

static lm_features *features_of(const synth_image *img)
{
    lm_features *f = malloc(sizeof *f);
    CHECK(f != NULL);
    CHECK_EQ_INT(lm_features_compute(img->px, img->w, img->h, (size_t)img->w * 3, 3, 0, 0, f),
                 LM_OK);
    return f;
}

/* Descriptors of PICTURES generated scenes, concatenated (malloc'd). */
static lm_pdq_hash *scene_descriptors(size_t *n)
{
    lm_pdq_hash *d = malloc((size_t)PICTURES * LM_FEAT_MAX * sizeof *d);
    CHECK(d != NULL);
    *n = 0;
    for (int i = 0; i < PICTURES; i++) {
        synth_image s;
        CHECK_EQ_INT(synth_make(&s, 400, 300, 3100 + (uint64_t)i), 0);
        lm_features *f = features_of(&s);
        for (int k = 0; k < f->count; k++)
            d[(*n)++] = f->f[k].desc;
        free(f);
        synth_free(&s);
    }
    return d;
}

static lm_feat_lsh *build_copy(const lm_pdq_hash *d, size_t n)
{
    lm_pdq_hash *c = malloc((n ? n : 1) * sizeof *c);
    CHECK(c != NULL);
    memcpy(c, d, n * sizeof *c);
    lm_feat_lsh *x = NULL;
    CHECK_EQ_INT(lm_feat_lsh_build(c, n, &x), LM_OK);
    return x;
}

/* The hits are true, within the radius, distinct, sorted; returns how many. */
static size_t check_hits(const lm_pdq_hash *d, size_t n, const lm_pdq_hash *q, const lm_flsh_hit *h,
                         size_t nh)
{
    for (size_t i = 0; i < nh; i++) {
        CHECK(h[i].pos < n);
        CHECK_EQ_INT(h[i].distance, lm_popcount_xor256(q->b, d[h[i].pos].b));
        CHECK(h[i].distance <= RADIUS);
        if (i > 0)
            CHECK(h[i - 1].distance < h[i].distance ||
                  (h[i - 1].distance == h[i].distance && h[i - 1].pos < h[i].pos));
    }
    return nh;
}

/* Field by field: a hit's 2 padding bytes are not written by the search (memcmp failed under ASan). */
static int same_hits(const lm_flsh_hit *a, const lm_flsh_hit *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].pos != b[i].pos || a[i].distance != b[i].distance)
            return 0;
    return 1;
}

static void test_lsh(void)
{
    size_t n;
    lm_pdq_hash *d = scene_descriptors(&n);
    CHECK(n > 4000);
    lm_feat_lsh *x = build_copy(d, n), *y = build_copy(d, n);
    CHECK(lm_feat_lsh_tables(x) >= 2 && lm_feat_lsh_key_bits(x, 0) >= 8);
    CHECK(lm_feat_lsh_bytes(x) > n * sizeof *d);
    lm_flsh_hit hx[64], hy[64], small[4];
    for (size_t i = 0; i < n; i++) {
        size_t nx = check_hits(d, n, &d[i], hx, lm_feat_lsh_query(x, &d[i], RADIUS, hx, 64));
        size_t ny = lm_feat_lsh_query(y, &d[i], RADIUS, hy, 64);
        CHECK(nx >= 1 && hx[0].distance == 0); /* itself, or an equal descriptor before it */
        int self = 0;
        for (size_t k = 0; k < nx; k++)
            self |= hx[k].pos == i;
        CHECK(self || (nx == 64 && hx[63].distance == 0)); /* else 64 equal ones came first */
        CHECK_EQ_INT(nx, ny);
        CHECK(same_hits(hx, hy, nx));
        /* a smaller cap keeps the closest of the same hits */
        size_t ns = lm_feat_lsh_query(x, &d[i], RADIUS, small, 4);
        CHECK_EQ_INT(ns, nx < 4 ? nx : 4);
        CHECK(same_hits(small, hx, ns));
    }
    /* An edited copy of a scene (an offset crop, rotated 4 degrees): of its descriptors whose
     * exact nearest neighbour is within 40 (true pairs, mostly), the search finds that
     * neighbour's distance for most. */
    synth_image s, c, r;
    CHECK_EQ_INT(synth_make(&s, 400, 300, 3100 + 7), 0);
    CHECK_EQ_INT(synth_crop(&s, &c, 30, 12, 330, 270), 0);
    CHECK_EQ_INT(synth_rotate(&c, &r, 4.0), 0);
    lm_features *q = features_of(&r);
    size_t close = 0, found = 0;
    for (int k = 0; k < q->count; k++) {
        size_t nh = check_hits(d, n, &q->f[k].desc, hx,
                               lm_feat_lsh_query(x, &q->f[k].desc, RADIUS, hx, 64));
        int best = 257;
        for (size_t i = 0; i < n; i++) {
            int dist = lm_popcount_xor256(q->f[k].desc.b, d[i].b);
            best = dist < best ? dist : best;
        }
        if (best <= 40) {
            close++;
            found += nh > 0 && hx[0].distance == best;
        }
    }
    fprintf(stderr, "edited copy: %zu of %zu nearest neighbours within 40 found\n", found, close);
    CHECK(close > 100);
    CHECK(found * 10 >= close * 9);
    free(q);
    synth_free(&s), synth_free(&c), synth_free(&r);
    lm_feat_lsh_free(x);
    lm_feat_lsh_free(y);

    /* Empty and one-descriptor indexes; bad arguments. */
    lm_feat_lsh *e = build_copy(d, 0);
    CHECK_EQ_INT(lm_feat_lsh_query(e, &d[0], RADIUS, hx, 64), 0);
    lm_feat_lsh_free(e);
    e = build_copy(d, 1);
    CHECK_EQ_INT(lm_feat_lsh_query(e, &d[0], RADIUS, hx, 64), 1);
    CHECK_EQ_INT(lm_feat_lsh_query(e, &d[0], RADIUS, hx, 0), 0);
    lm_feat_lsh_free(e);
    lm_feat_lsh_free(NULL);
    CHECK_EQ_INT(lm_feat_lsh_build(NULL, 5, &e), LM_E_INVALID_ARG);
    CHECK(e == NULL);
    free(d);
}

static lm_check_result check_jpeg(const lm_matcher *m, encoded e)
{
    lm_check_result r = {.struct_size = sizeof r};
    CHECK_EQ_INT(lm_check(m, e.data, e.len, NULL, &r), LM_OK);
    free(e.data);
    return r;
}

#define ENTRIES 150

static void picture(int i, uint64_t base, synth_image *out)
{
    static const uint32_t sizes[][2] = {{480, 360}, {360, 480}, {500, 300}, {400, 400}};
    CHECK_EQ_INT(synth_make(out, sizes[i % 4][0], sizes[i % 4][1], base + (uint64_t)i), 0);
}

static void test_many_entries(void)
{
    char msg[256];
    char *dir = scratch_dir("feature-lsh");
    CHECK(dir != NULL);
    if (!dir)
        return;
    CHECK_EQ_INT(lm_hashdb_init(dir, NULL, 0), LM_OK);
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(dir, LM_DB_WRITE, &db, msg, sizeof msg), LM_OK);
    lm_list_add_options ao;
    lm_list_add_options_init(&ao);
    uint64_t ids[ENTRIES];
    for (int i = 0; i < ENTRIES; i++) {
        synth_image p;
        picture(i, 5000, &p);
        encoded e = jpeg_of(p, 92);
        CHECK_EQ_INT(lm_list_add_image_db(db, e.data, e.len, &ao, &ids[i], msg, sizeof msg), LM_OK);
        free(e.data);
    }
    lm_hashdb_close(db);
    lm_matcher *m;
    CHECK_EQ_INT(lm_matcher_open(dir, &m, msg, sizeof msg), LM_OK);
    CHECK_EQ_INT(lm_matcher_feature_entries(m), ENTRIES);
    /* Entries spread over the list, each cropped 20% at an offset or rotated by 5 degrees. */
    static const int which[] = {3, 41, 77, 118, 149};
    for (size_t k = 0; k < sizeof which / sizeof which[0]; k++) {
        synth_image p, e;
        picture(which[k], 5000, &p);
        if (k % 2 == 0)
            CHECK_EQ_INT(synth_crop(&p, &e, p.w * 3 / 20, p.h / 20, p.w * 4 / 5, p.h * 4 / 5), 0);
        else
            CHECK_EQ_INT(synth_rotate(&p, &e, k % 4 == 1 ? 5.0 : -5.0), 0);
        synth_free(&p);
        lm_check_result r = check_jpeg(m, jpeg_of(e, 90));
        CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
        CHECK(r.match_count >= 1);
        CHECK_EQ_INT(r.matches[0].entry_id, ids[which[k]]);
        CHECK(r.matches[0].variant & LM_VARIANT_FEATURES);
        CHECK(r.matches[0].score >= LM_FEAT_MIN_INLIERS);
        if (r.match_count >= 1)
            fprintf(stderr, "entry %d edited: score %d\n", which[k], r.matches[0].score);
    }
    /* Unrelated pictures, also edited alike: nothing matches. */
    for (int i = 0; i < 20; i++) {
        synth_image p, e;
        picture(i, 9000, &p);
        if (i % 2)
            CHECK_EQ_INT(synth_rotate(&p, &e, 3.0), 0);
        else
            CHECK_EQ_INT(synth_crop(&p, &e, p.w / 10, p.h / 10, p.w * 4 / 5, p.h * 4 / 5), 0);
        synth_free(&p);
        lm_check_result r = check_jpeg(m, jpeg_of(e, 90));
        if (r.verdict != LM_VERDICT_NO_MATCH)
            fprintf(stderr, "unrelated %d matched (variant %d, score %d)\n", i,
                    r.matches[0].variant, r.matches[0].score);
        CHECK_EQ_INT(r.verdict, LM_VERDICT_NO_MATCH);
    }
    lm_matcher_close(m);
    CHECK_EQ_INT(scratch_remove(dir), 0);
    free(dir);
}

int main(void)
{
    test_lsh();
    test_many_entries();
    return check_report("feature-lsh");
}
