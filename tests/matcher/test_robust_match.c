/*
 * Matching beyond the plain PDQ hash, end to end through lm_check:
 *  - a bordered / letterboxed copy matches its original's plain hash through
 *    the trimmed hash (verdict: LM_VARIANT_TRIMMED), and not with trimming off;
 *  - rotated and mirrored copies match by default, not with dihedral off;
 *  - a 5% (and 10%) crop matches an entry added from the original image with
 *    lm_list_add_image through its companions (verdict names the region), and
 *    not an entry holding the plain hash only;
 *  - companions are removed with their entry; verify is clean, and reports a
 *    companion whose entry is missing.
 * Images are generated (tests/common/synth), encoded in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hashdb.h"
#include "image_list_test.h"
#include "libmatch.h"
#include "scratch.h"
#include "synth.h"
#include "synth_video.h"

static lm_check_result check(const lm_matcher *m, encoded e, int dihedral, int trim)
{
    lm_check_options o;
    lm_check_options_init(&o);
    o.exact = 1; /* distances as the reference decodes */
    o.dihedral = dihedral;
    o.trim_borders = trim;
    o.regions = trim; /* the region stage finds borders too */
    lm_check_result r = {.struct_size = sizeof r};
    CHECK_EQ_INT(lm_check(m, e.data, e.len, &o, &r), LM_OK);
    return r;
}

static size_t companions_of(const char *path, uint64_t id, lm_db_companion *out, size_t cap)
{
    lm_hashdb *db;
    size_t n = 999;
    if (lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0) != LM_OK)
        return 999;
    CHECK_EQ_INT(lm_hashdb_entry_companions(db, id, out, cap, &n), LM_OK);
    lm_hashdb_close(db);
    return n;
}

int main(void)
{
    char *dir = scratch_dir("robust");
    if (!dir)
        return 1;
    char plain_db[256], image_db[256], msg[256];
    snprintf(plain_db, sizeof plain_db, "%s/plain", dir);
    snprintf(image_db, sizeof image_db, "%s/images", dir);

    synth_image scene;
    CHECK_EQ_INT(synth_make(&scene, 480, 360, 11), 0);
    synth_image copy;
    CHECK_EQ_INT(synth_crop(&scene, &copy, 0, 0, scene.w, scene.h), 0);
    encoded orig = jpeg_of(copy, 90);
    lm_hasher *h = lm_hasher_create();
    lm_image_hash oh;
    CHECK_EQ_INT(lm_hash_memory(h, orig.data, orig.len, &oh), LM_OK);
    CHECK(oh.quality >= 50);

    /* A list holding the original's plain hash only (as lists shared by others do). */
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_init(plain_db, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_open(plain_db, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = oh.pdq.b, .quality = oh.quality};
    uint64_t plain_id = 0;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &plain_id), LM_OK);
    /* Companions go with PDQ entries only. */
    lm_db_companion c1 = {.region = LM_REGION_CENTER_90, .hash = oh.pdq, .quality = 50};
    uint8_t sha[32] = {1};
    lm_db_new_entry bad = {
        .type = LM_HASH_SHA256, .hash = sha, .quality = -1, .companions = &c1, .ncompanions = 1};
    CHECK_EQ_INT(lm_hashdb_add(db, &bad, NULL), LM_E_INVALID_ARG);
    lm_hashdb_close(db);
    lm_matcher *pm;
    CHECK_EQ_INT(lm_matcher_open(plain_db, &pm, msg, sizeof msg), LM_OK);
    CHECK_EQ_INT(lm_matcher_size(pm), 1);

    /* 1. Borders and letterbox: matched through the trimmed hash, and only with it. */
    struct {
        uint32_t t, b, l, r;
    } frames[] = {{36, 36, 48, 48}, {60, 60, 0, 0}, {0, 0, 80, 80}};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        synth_image fr;
        CHECK_EQ_INT(
            synth_frame(&scene, &fr, frames[i].t, frames[i].b, frames[i].l, frames[i].r, NULL), 0);
        encoded f = jpeg_of(fr, 90);
        lm_check_result r = check(pm, f, 1, 1);
        CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
        CHECK_EQ_INT(r.matches[0].entry_id, plain_id);
        CHECK_EQ_INT(r.matches[0].variant, LM_VARIANT_TRIMMED);
        CHECK_EQ_INT(r.matches[0].region, LM_REGION_WHOLE);
        CHECK_EQ_INT(r.matches[0].dihedral, LM_DIH_ORIGINAL);
        CHECK(r.matches[0].distance <= 16);
        CHECK(lm_pdq_distance(&r.image.pdq, &oh.pdq) > 31); /* the plain hash alone misses */
        /* From the hashes alone (a hash cache's re-scan): the same match, the same way. */
        CHECK_EQ_INT(r.has_trimmed, 1);
        lm_check_options ho;
        lm_check_options_init(&ho);
        ho.exact = 1;
        lm_check_result rh = {.struct_size = sizeof rh};
        CHECK_EQ_INT(lm_check_hashes(pm, &r, &ho, &rh), LM_OK);
        CHECK_EQ_INT(rh.verdict, LM_VERDICT_MATCH);
        CHECK_EQ_INT(rh.matches[0].variant, LM_VARIANT_TRIMMED);
        CHECK_EQ_INT(rh.matches[0].distance, r.matches[0].distance);
        ho.trim_borders = 0;
        ho.regions = 0;
        CHECK_EQ_INT(lm_check_hashes(pm, &r, &ho, &rh), LM_OK);
        CHECK_EQ_INT(rh.verdict, LM_VERDICT_NO_MATCH);
        r = check(pm, f, 1, 0);
        CHECK_EQ_INT(r.verdict, LM_VERDICT_NO_MATCH);
        free(f.data);
    }

    /* 2. Rotated and mirrored: matched by default (dihedral), not with dihedral off. */
    synth_image turned, flipped;
    CHECK_EQ_INT(synth_turn(&scene, &turned, 1, 0), 0); /* a quarter clockwise */
    CHECK_EQ_INT(synth_turn(&scene, &flipped, 0, 1), 0);
    encoded rot = jpeg_of(turned, 90), mir = jpeg_of(flipped, 90);
    lm_check_result r = check(pm, rot, 1, 1);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT(r.matches[0].dihedral, LM_DIH_ROTATE_90); /* turning it back */
    CHECK_EQ_INT(r.matches[0].variant, LM_VARIANT_PLAIN);
    r = check(pm, mir, 1, 1);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT(r.matches[0].dihedral, LM_DIH_FLIP_Y);
    CHECK_EQ_INT(check(pm, rot, 0, 1).verdict, LM_VERDICT_NO_MATCH);
    CHECK_EQ_INT(check(pm, mir, 0, 1).verdict, LM_VERDICT_NO_MATCH);
    lm_check_options defaults;
    lm_check_options_init(&defaults);
    CHECK_EQ_INT(defaults.dihedral, 1);
    CHECK_EQ_INT(defaults.trim_borders, 1);
    free(rot.data);
    free(mir.data);

    /* 3. A list built from the image: the entry and its 18 crop companions. */
    CHECK_EQ_INT(lm_hashdb_init(image_db, NULL, 0), LM_OK);
    lm_list_add_options ao;
    lm_list_add_options_init(&ao);
    ao.list = "images";
    ao.label = "scene-11";
    uint64_t id = 0;
    CHECK_EQ_INT(lm_list_add_image(image_db, orig.data, orig.len, &ao, &id, msg, sizeof msg),
                 LM_OK);
    uint64_t again = 0;
    CHECK_EQ_INT(lm_list_add_image(image_db, orig.data, orig.len, &ao, &again, msg, sizeof msg),
                 LM_E_EXISTS);
    CHECK_EQ_INT(again, id);
    CHECK_EQ_INT(lm_list_add_image(image_db, "not an image", 12, &ao, &again, msg, sizeof msg),
                 LM_E_FORMAT);
    CHECK(msg[0] != '\0');
    /* Videos and animations are refused (their vPDQ belongs in a video entry). */
    static const char *const kinds[][2] = {{"gif", "gif"}, {"matroska", "mpeg4"}};
    for (int k = 0; k < 2; k++) {
        vt_synth vs = {kinds[k][0], kinds[k][1], 96, 64, 6, NULL, 3, 0, 0};
        uint8_t *video = NULL;
        size_t vlen = 0;
        CHECK_EQ_INT(vt_synth_make(&vs, &video, &vlen), 0);
        CHECK_EQ_INT(lm_list_add_image(image_db, video, vlen, &ao, &again, msg, sizeof msg),
                     LM_E_FORMAT);
        CHECK(strstr(msg, "only still images") != NULL);
        free(video);
    }
    lm_db_companion comp[32];
    CHECK_EQ_INT(companions_of(image_db, id, comp, 32), 18);
    CHECK_EQ_INT(comp[0].region, LM_REGION_CENTER_90); /* in region-code order */
    /* The stored hash is the standard one (exports and other tools see only it). */
    lm_matcher *im;
    CHECK_EQ_INT(lm_matcher_open(image_db, &im, msg, sizeof msg), LM_OK);
    CHECK_EQ_INT(lm_matcher_size(im), 19);
    lm_entry_info info;
    CHECK_EQ_INT(lm_matcher_entry(im, id, &info), LM_OK);
    char hex[65];
    lm_pdq_to_hex(&oh.pdq, hex);
    CHECK_EQ_STR(info.hash_hex, hex);
    CHECK_EQ_STR(info.label, "scene-11");
    /* The plain hash matches as plain. */
    r = check(im, orig, 1, 1);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT(r.matches[0].distance, 0);
    CHECK_EQ_INT(r.matches[0].variant, LM_VARIANT_PLAIN);
    CHECK_EQ_INT(r.match_count, 1); /* one match per entry, however many companions are near */

    /* 4. Crops: 5% off the right and bottom, 10% centred, 5% off the top strip. */
    struct {
        uint32_t x, y, w, hgt;
        int region;
    } crops[] = {{0, 0, 456, 342, LM_REGION_TOP_LEFT_95},
                 {24, 18, 432, 324, LM_REGION_CENTER_90},
                 {0, 18, 480, 342, LM_REGION_BOTTOM_95}};
    for (size_t i = 0; i < sizeof crops / sizeof crops[0]; i++) {
        synth_image cr;
        CHECK_EQ_INT(synth_crop(&scene, &cr, crops[i].x, crops[i].y, crops[i].w, crops[i].hgt), 0);
        encoded ce = jpeg_of(cr, 90);
        r = check(im, ce, 1, 1);
        CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
        CHECK_EQ_INT(r.matches[0].entry_id, id);
        CHECK_EQ_INT(r.matches[0].variant, LM_VARIANT_COMPANION);
        CHECK_EQ_INT(r.matches[0].region, crops[i].region);
        CHECK_EQ_STR(lm_region_name(r.matches[0].region),
                     crops[i].region == LM_REGION_TOP_LEFT_95 ? "top-left95"
                     : crops[i].region == LM_REGION_CENTER_90 ? "center90"
                                                              : "bottom95");
        CHECK(r.matches[0].distance <= 31);
        CHECK(lm_pdq_distance(&r.image.pdq, &oh.pdq) > 31); /* the plain hash alone misses */
        /* The list of plain hashes does not know the crop. */
        CHECK_EQ_INT(check(pm, ce, 1, 1).verdict, LM_VERDICT_NO_MATCH);
        free(ce.data);
    }
    lm_matcher_close(im);

    /* 5. Without companions: the plain hash only. */
    ao.companions = 0;
    ao.list = "plain-only";
    uint64_t id2 = 0;
    CHECK_EQ_INT(lm_list_add_image(image_db, orig.data, orig.len, &ao, &id2, msg, sizeof msg),
                 LM_OK);
    CHECK_EQ_INT(companions_of(image_db, id2, comp, 32), 0);
    CHECK_EQ_INT(verify_problems(image_db), 0);

    /* 6. Removing the entry removes its companions; verify stays clean. */
    CHECK_EQ_INT(lm_hashdb_open(image_db, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_remove(db, id), LM_OK);
    lm_hashdb_close(db);
    CHECK_EQ_INT(companions_of(image_db, id, comp, 32), 0);
    CHECK_EQ_INT(verify_problems(image_db), 0);
    CHECK_EQ_INT(lm_matcher_open(image_db, &im, msg, sizeof msg), LM_OK);
    CHECK_EQ_INT(lm_matcher_size(im), 1);
    lm_matcher_close(im);

    /* 7. Verify reports a companion whose entry does not exist (written behind its back). */
    uint8_t key[9] = {0, 0, 0, 0, 0, 0, 0, 99, LM_REGION_CENTER_90}, val[33] = {0};
    put_behind_back(image_db, "companions", key, sizeof key, val, sizeof val);
    CHECK_EQ_INT(verify_problems(image_db), 1);

    lm_matcher_close(pm);
    lm_hasher_destroy(h);
    free(orig.data);
    synth_free(&scene);
    scratch_remove(dir);
    free(dir);
    return check_report("test_robust_match");
}
