/*
 * List management seen through the matcher: per-list distance, negative-list
 * suppression (LM_VERDICT_SUPPRESSED), disabled lists and entries (immediate
 * for an open matcher), hit counters (exact after flush), the flood report on
 * a synthetic history, per-list stats, and lm_matcher_refresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hashdb.h"
#include "hdb_test.h"
#include "libmatch.h"
#include "synth.h"

static uint64_t seed;

/* h with n distinct bits flipped, starting at bit `from` with a stride of 7 (mod 256). */
static lm_pdq_hash flip(lm_pdq_hash h, int n, int from)
{
    for (int i = 0; i < n; i++) {
        int bit = (from + 7 * i) % 256;
        h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    return h;
}

static uint64_t add(lm_hashdb *db, const char *list, lm_hash_type type, const void *hash)
{
    lm_db_new_entry e = {.type = type, .hash = hash, .quality = -1, .list = list};
    uint64_t id = 0;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &id), LM_OK);
    return id;
}

static void set_attr(lm_hashdb *db, const char *list, unsigned which, int distance, int enabled,
                     lm_db_list_kind kind)
{
    lm_db_list_attrs a = {.distance = distance, .enabled = enabled, .kind = kind};
    CHECK_EQ_INT(lm_hashdb_set_list_attrs(db, list, &a, which), LM_OK);
}

static size_t match(lm_matcher *m, const lm_pdq_hash *q, int max_distance, lm_match *out)
{
    lm_check_options o;
    lm_check_options_init(&o);
    o.max_distance = max_distance;
    size_t found = 99;
    CHECK_EQ_INT(lm_match_pdq(m, q, -1, &o, out, LM_CHECK_MAX_MATCHES, &found), LM_OK);
    return found;
}

static void test_distance_and_switches(const char *path)
{
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    lm_pdq_hash q = hdb_random_pdq(&seed);
    lm_pdq_hash e31 = flip(q, 20, 0), e10 = flip(q, 20, 3), eplain = flip(q, 20, 5);
    CHECK_EQ_INT(lm_pdq_distance(&q, &e31), 20);
    CHECK_EQ_INT(lm_pdq_distance(&q, &e10), 20);
    uint64_t id31 = add(db, "wide", LM_HASH_PDQ, e31.b);
    uint64_t id10 = add(db, "narrow", LM_HASH_PDQ, e10.b);
    uint64_t idp = add(db, "plain", LM_HASH_PDQ, eplain.b);
    set_attr(db, "wide", LM_DB_ATTR_DISTANCE, 31, 1, 0);
    set_attr(db, "narrow", LM_DB_ATTR_DISTANCE, 10, 1, 0);
    CHECK_EQ_INT(lm_hashdb_set_list_attrs(db, "nosuch", &(lm_db_list_attrs){.distance = 3},
                                          LM_DB_ATTR_DISTANCE),
                 LM_E_NOT_FOUND);
    CHECK_EQ_INT(lm_hashdb_set_list_attrs(db, "wide", &(lm_db_list_attrs){.distance = 257},
                                          LM_DB_ATTR_DISTANCE),
                 LM_E_INVALID_ARG);

    lm_matcher *m;
    CHECK_EQ_INT(lm_matcher_open(path, &m, NULL, 0), LM_OK);
    lm_match mt[LM_CHECK_MAX_MATCHES];
    /* Caller 5: only the list with distance 31 reaches 20 bits. */
    CHECK_EQ_INT(match(m, &q, 5, mt), 1);
    CHECK_EQ_INT(mt[0].entry_id, id31);
    CHECK_EQ_INT(mt[0].distance, 20);
    CHECK_EQ_INT(mt[0].flags, 0);
    /* Caller 31: also the list without a distance; never the list with 10. */
    CHECK_EQ_INT(match(m, &q, 31, mt), 2);
    CHECK_EQ_INT(mt[0].entry_id, id31);
    CHECK_EQ_INT(mt[1].entry_id, idp);
    /* Disabling a list is immediate for the open matcher, and so is enabling it. */
    set_attr(db, "wide", LM_DB_ATTR_ENABLED, 0, 0, 0);
    CHECK_EQ_INT(match(m, &q, 31, mt), 1);
    CHECK_EQ_INT(mt[0].entry_id, idp);
    set_attr(db, "wide", LM_DB_ATTR_ENABLED, 0, 1, 0);
    CHECK_EQ_INT(match(m, &q, 31, mt), 2);
    /* Disabling an entry: immediate too. */
    size_t changed = 0;
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &idp, 1, 1, &changed), LM_OK);
    CHECK_EQ_INT(changed, 1);
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &idp, 1, 1, &changed), LM_OK);
    CHECK_EQ_INT(changed, 0);
    uint64_t bad = 999;
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &bad, 1, 1, &changed), LM_E_NOT_FOUND);
    CHECK_EQ_INT(match(m, &q, 31, mt), 1);
    CHECK_EQ_INT(mt[0].entry_id, id31);
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &idp, 1, 0, &changed), LM_OK);
    CHECK_EQ_INT(match(m, &q, 31, mt), 2);
    /* A distance change is seen at the next refresh. */
    set_attr(db, "narrow", LM_DB_ATTR_DISTANCE, 25, 1, 0);
    CHECK_EQ_INT(match(m, &q, 5, mt), 1);
    int changed_flag = -1;
    CHECK_EQ_INT(lm_matcher_refresh(m, &changed_flag), LM_OK);
    CHECK_EQ_INT(changed_flag, 1);
    CHECK_EQ_INT(lm_matcher_refresh(m, &changed_flag), LM_OK);
    CHECK_EQ_INT(changed_flag, 0);
    CHECK_EQ_INT(match(m, &q, 5, mt), 2);
    CHECK_EQ_INT(mt[1].entry_id, id10);
    /* Removing a disabled entry removes its disabled row (verify stays clean). */
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &id10, 1, 1, NULL), LM_OK);
    CHECK_EQ_INT(lm_hashdb_remove(db, id10), LM_OK);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_matcher_close(m);
    lm_hashdb_close(db);
}

static void test_negative(const char *path)
{
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    /* A generated (benign) picture, as an upload. */
    synth_image img;
    uint8_t *png;
    size_t png_len;
    CHECK_EQ_INT(synth_make(&img, 320, 240, 77), 0);
    CHECK_EQ_INT(synth_encode_png(&img, 2, 8, 0, &png, &png_len), 0);
    synth_free(&img);
    lm_hasher *h = lm_hasher_create();
    lm_image_hash ih;
    CHECK_EQ_INT(lm_hash_memory(h, png, png_len, &ih), LM_OK);
    lm_hasher_destroy(h);
    CHECK(ih.quality >= 50);
    lm_pdq_hash near = flip(ih.pdq, 3, 1), other = hdb_random_pdq(&seed);
    uint64_t hot = add(db, "hot", LM_HASH_PDQ, ih.pdq.b);
    uint64_t hot2 = add(db, "hot2", LM_HASH_PDQ, near.b);
    uint64_t fp = add(db, "fp", LM_HASH_PDQ, flip(ih.pdq, 2, 9).b);
    uint64_t unrelated = add(db, "hot", LM_HASH_PDQ, other.b);
    uint64_t unrelated_fp = add(db, "fp", LM_HASH_PDQ, flip(other, 40, 0).b);
    (void)unrelated_fp;

    lm_matcher *m;
    CHECK_EQ_INT(lm_matcher_open(path, &m, NULL, 0), LM_OK);
    lm_check_options o;
    lm_check_options_init(&o);
    o.exact = 1;
    lm_check_result r = {.struct_size = sizeof r};
    CHECK_EQ_INT(lm_check(m, png, png_len, &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH); /* fp is still a normal list */
    CHECK_EQ_INT(r.match_count, 3);

    set_attr(db, "fp", LM_DB_ATTR_KIND, 0, 1, LM_DB_LIST_NEGATIVE);
    CHECK_EQ_INT(lm_matcher_refresh(m, NULL), LM_OK);
    CHECK_EQ_INT(lm_check(m, png, png_len, &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_SUPPRESSED);
    CHECK_EQ_INT(r.match_count, 3);
    CHECK_EQ_INT(r.matches[0].entry_id, fp); /* the negative entry is named first */
    CHECK_EQ_INT(r.matches[0].flags, LM_MATCH_NEGATIVE);
    CHECK_EQ_INT(r.matches[1].entry_id, hot);
    CHECK_EQ_INT(r.matches[1].flags, LM_MATCH_SUPPRESSED);
    CHECK_EQ_INT(r.matches[2].entry_id, hot2);
    CHECK_EQ_INT(r.matches[2].flags, LM_MATCH_SUPPRESSED);
    /* A different image is not affected by the negative entry of this one. */
    lm_match mt[LM_CHECK_MAX_MATCHES];
    CHECK_EQ_INT(match(m, &other, 31, mt), 1);
    CHECK_EQ_INT(mt[0].entry_id, unrelated);
    CHECK_EQ_INT(mt[0].flags, 0);
    /* Hash-level matching applies the same rule. */
    CHECK_EQ_INT(match(m, &ih.pdq, 31, mt), 3);
    CHECK_EQ_INT(mt[0].flags, LM_MATCH_NEGATIVE);
    /* Disable the negative entry: the image matches again. */
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &fp, 1, 1, NULL), LM_OK);
    CHECK_EQ_INT(lm_check(m, png, png_len, &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT(r.match_count, 2);
    CHECK_EQ_INT(r.matches[0].entry_id, hot);
    /* A negative digest match suppresses the PDQ matches too. */
    uint64_t fp_sha = add(db, "fp", LM_HASH_SHA256, r.sha256);
    CHECK_EQ_INT(lm_check(m, png, png_len, &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_SUPPRESSED);
    CHECK_EQ_INT(r.matches[0].entry_id, fp_sha);
    CHECK_EQ_INT(r.matches[0].type, LM_HASH_SHA256);
    free(png);
    lm_matcher_close(m);
    lm_hashdb_close(db);
}

static void test_hits(const char *path)
{
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    lm_pdq_hash a = hdb_random_pdq(&seed), b = hdb_random_pdq(&seed);
    uint64_t ida = add(db, "l", LM_HASH_PDQ, a.b), idb = add(db, "l", LM_HASH_PDQ, b.b);
    uint64_t gen0;
    CHECK_EQ_INT(lm_hashdb_generation(db, &gen0), LM_OK);

    lm_matcher *ro, *m;
    CHECK_EQ_INT(lm_matcher_open(path, &ro, NULL, 0), LM_OK);
    lm_match mt[LM_CHECK_MAX_MATCHES];
    CHECK_EQ_INT(match(ro, &a, 31, mt), 1);
    size_t flushed = 99;
    CHECK_EQ_INT(lm_matcher_flush_hits(ro, &flushed), LM_E_UNSUPPORTED);
    CHECK_EQ_INT(flushed, 0);
    lm_matcher_close(ro);

    CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_OK);
    for (int i = 0; i < 37; i++)
        CHECK_EQ_INT(match(m, &a, 31, mt), 1);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(match(m, &b, 31, mt), 1);
    CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed), LM_OK);
    CHECK_EQ_INT(flushed, 42);
    CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed), LM_OK); /* nothing new */
    CHECK_EQ_INT(flushed, 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(match(m, &a, 31, mt), 1);
    CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed), LM_OK);
    CHECK_EQ_INT(flushed, 3);
    /* Flushing hits does not change the generation: no refresh is triggered. */
    uint64_t gen1;
    CHECK_EQ_INT(lm_hashdb_generation(db, &gen1), LM_OK);
    CHECK_EQ_INT(gen1, gen0);

    lm_db_hit_row *rows;
    size_t n;
    CHECK_EQ_INT(lm_hashdb_hit_report(db, NULL, &rows, &n), LM_OK);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(rows[0].entry_id, ida);
        CHECK_EQ_INT(rows[0].total, 40);
        CHECK_EQ_INT(rows[0].today, 40);
        CHECK(rows[0].first > 0 && rows[0].first <= rows[0].last);
        CHECK_EQ_INT(rows[1].entry_id, idb);
        CHECK_EQ_INT(rows[1].total, 5);
        CHECK_EQ_STR(rows[1].list, "l");
    }
    free(rows);
    /* Removing an entry removes its hit rows. */
    CHECK_EQ_INT(lm_hashdb_remove(db, idb), LM_OK);
    CHECK_EQ_INT(lm_hashdb_hit_report(db, NULL, &rows, &n), LM_OK);
    CHECK_EQ_INT(n, 1);
    free(rows);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_matcher_close(m);
    lm_hashdb_close(db);
}

/* A synthetic history: which entries suddenly match far more than usual. */
static void test_flood(const char *path)
{
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    uint64_t id[5];
    for (int i = 0; i < 5; i++) {
        lm_pdq_hash h = hdb_random_pdq(&seed);
        id[i] = add(db, i < 4 ? "main" : "other", LM_HASH_PDQ, h.b);
    }
    const uint32_t today = 20000; /* 2024-10-04 */
    /* Daily hits over the 14 days before today, then today's. */
    static const uint64_t daily[5] = {2, 50, 3, 4, 0}, now_hits[5] = {100, 60, 25, 200, 100};
    lm_db_hit_delta d[5 * 15];
    size_t nd = 0;
    for (int i = 0; i < 5; i++) {
        for (uint32_t day = today - 14; day < today; day++)
            if (daily[i])
                d[nd++] = (lm_db_hit_delta){id[i], day, daily[i], (int64_t)day * 86400,
                                            (int64_t)day * 86400 + 60};
        d[nd++] = (lm_db_hit_delta){id[i], today, now_hits[i], (int64_t)today * 86400,
                                    (int64_t)today * 86400 + 60};
    }
    size_t dropped = 99;
    CHECK_EQ_INT(lm_hashdb_add_hits(db, d, nd, LM_DB_HIT_KEEP_DAYS, &dropped), LM_OK);
    CHECK_EQ_INT(dropped, 0);
    lm_db_flood_opts o;
    lm_db_flood_opts_init(&o);
    o.today = today;
    lm_db_hit_row *rows;
    size_t n;
    CHECK_EQ_INT(lm_hashdb_hit_report(db, &o, &rows, &n), LM_OK);
    CHECK_EQ_INT(n, 5);
    if (n == 5) {
        /* main: entry means 2, 50, 3, 4 -> typical (3 + 4) / 2 = 3.5; threshold 35. */
        CHECK(rows[0].entry_median == 2.0 && rows[0].list_typical == 3.5);
        CHECK_EQ_INT(rows[0].today, 100);
        CHECK_EQ_INT(rows[0].flood, 1); /* 100 >= 10 x 3.5 and >= 10 x 2 */
        CHECK_EQ_INT(rows[1].flood, 0); /* 60 < 10 x its own 50 */
        CHECK_EQ_INT(rows[2].flood, 0); /* 25 < 35 (the list's typical entry) */
        CHECK_EQ_INT(rows[3].flood, 1); /* 200 >= 40 and >= 35 */
        CHECK_EQ_INT(rows[3].total, 4 * 14 + 200);
        /* other: no history at all; 100 >= 20 hits and 10 x max(1, 0) */
        CHECK(rows[4].entry_median == 0.0 && rows[4].list_typical == 0.0);
        CHECK_EQ_INT(rows[4].flood, 1);
    }
    free(rows);
    o.min_hits = 150; /* only the 200 remains */
    CHECK_EQ_INT(lm_hashdb_hit_report(db, &o, &rows, &n), LM_OK);
    size_t flagged = 0;
    for (size_t i = 0; i < n; i++)
        flagged += rows[i].flood;
    CHECK_EQ_INT(flagged, 1);
    free(rows);
    /* Buckets beyond the window are pruned at the next flush of the entry. */
    lm_db_hit_delta late = {id[0], today + 100, 1, (int64_t)(today + 100) * 86400,
                            (int64_t)(today + 100) * 86400};
    CHECK_EQ_INT(lm_hashdb_add_hits(db, &late, 1, 90, NULL), LM_OK);
    o.today = today + 100;
    o.days = 120;
    CHECK_EQ_INT(lm_hashdb_hit_report(db, &o, &rows, &n), LM_OK);
    CHECK(n >= 1 && rows[0].total == 2 * 14 + 100 + 1 && rows[0].entry_median == 0.0);
    free(rows);
    lm_hashdb_close(db);
}

static void test_stats(const char *path)
{
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    lm_pdq_hash s1 = hdb_random_pdq(&seed), s2 = hdb_random_pdq(&seed), u = hdb_random_pdq(&seed);
    uint8_t md5[16] = {1, 2, 3};
    lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = s1.b, .quality = 95, .list = "a"};
    uint64_t a1, a2, a3, b1;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &a1), LM_OK);
    e.hash = s2.b;
    e.quality = 42;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &a2), LM_OK);
    a3 = add(db, "a", LM_HASH_MD5, md5);
    e.list = "b";
    e.hash = s1.b;
    e.quality = 100;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &b1), LM_OK);
    add(db, "b", LM_HASH_MD5, md5);
    add(db, "b", LM_HASH_PDQ, u.b);
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &a2, 1, 1, NULL), LM_OK);
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &b1, 1, 1, NULL), LM_OK);
    (void)a1;
    (void)a3;
    lm_db_stats s;
    CHECK_EQ_INT(lm_hashdb_stats(db, &s), LM_OK);
    CHECK_EQ_INT(s.list_count, 2);
    CHECK_EQ_INT(s.disabled, 2);
    CHECK_EQ_INT(s.shared_hashes, 2); /* s1 and the MD5 */
    if (s.list_count == 2) {
        const lm_db_list_stats *la = &s.lists[0], *lb = &s.lists[1];
        CHECK_EQ_STR(la->info.name, "a");
        CHECK_EQ_INT(la->by_type[LM_HASH_PDQ], 2);
        CHECK_EQ_INT(la->by_type[LM_HASH_MD5], 1);
        CHECK_EQ_INT(la->disabled, 1);
        CHECK_EQ_INT(la->duplicates, 2);
        CHECK_EQ_INT(la->quality_hist[9], 1);
        CHECK_EQ_INT(la->quality_hist[4], 1);
        CHECK_EQ_INT(lb->by_type[LM_HASH_PDQ], 2);
        CHECK_EQ_INT(lb->disabled, 1);
        CHECK_EQ_INT(lb->duplicates, 2);
        CHECK_EQ_INT(lb->quality_hist[10], 1);
        CHECK_EQ_INT(lb->quality_unknown, 1);
    }
    lm_db_stats_free(&s);
    lm_hashdb_close(db);
}

int main(void)
{
    seed = check_test_seed(8088);
    char *dir = scratch_dir("lists");
    CHECK(dir != NULL);
    if (!dir)
        return 1;
    const char *names[] = {"dist", "neg", "hits", "flood", "stats"};
    void (*tests[])(const char *) = {test_distance_and_switches, test_negative, test_hits,
                                     test_flood, test_stats};
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        tests[i](path);
    }
    scratch_remove(dir);
    free(dir);
    return check_report("test_lists");
}
