/*
 * lm_check_hashes: matching from the hashes of an earlier lm_check result gives
 * exactly lm_check's result (verdict, every match, its order, orientation), for
 * fast, exact and dihedral checks, low quality, not-an-image and digest
 * matches, including a crowded neighbourhood of more than LM_CHECK_MAX_MATCHES
 * entries; and it re-matches against another list (a list update).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "digest.h"
#include "file_read.h"
#include "hashdb.h"
#include "hashdb_manage.h"
#include "libmatch.h"
#include "scratch.h"
#include "testdata.h"

#define NFILES 6
static const char *files[NFILES] = {
    "pdq/bridge-mods/aaa-orig.jpg",
    "pdq/bridge-mods/blur-a-lot.jpg",
    "pdq/reg-test-input/dih/bridge-2-rotate-90.jpg",
    "pdq/reg-test-input/labelme-subset/q0291.jpg",
    "pdq/reg-test-input/labelme-subset/q0003.jpg", /* low quality */
    "pdq/misc-images/modes/L.png",
};

static int same(const lm_check_result *a, const lm_check_result *b)
{
    if (a->verdict != b->verdict || a->decoded != b->decoded ||
        a->decode_status != b->decode_status || a->match_count != b->match_count ||
        memcmp(a->md5, b->md5, 16) || memcmp(a->sha1, b->sha1, 20) ||
        memcmp(a->sha256, b->sha256, 32) || strcmp(a->detail, b->detail) != 0)
        return 0;
    if (a->decoded && (memcmp(&a->image.pdq, &b->image.pdq, sizeof a->image.pdq) != 0 ||
                       a->image.quality != b->image.quality || a->image.width != b->image.width))
        return 0;
    for (size_t i = 0; i < a->match_count && i < LM_CHECK_MAX_MATCHES; i++)
        if (a->matches[i].entry_id != b->matches[i].entry_id ||
            a->matches[i].distance != b->matches[i].distance ||
            a->matches[i].type != b->matches[i].type ||
            a->matches[i].dihedral != b->matches[i].dihedral ||
            a->matches[i].frame != b->matches[i].frame ||
            a->matches[i].flags != b->matches[i].flags)
            return 0;
    return 1;
}

int main(void)
{
    uint8_t *data[NFILES];
    size_t len[NFILES];
    int missing = testdata_read_all(files, NFILES, data, len);
    if (missing)
        return missing;
    char *dir = scratch_dir("checkhashes");
    if (!dir)
        return 1;
    char db1[300], db2[300];
    snprintf(db1, sizeof db1, "%s/one", dir);
    snprintf(db2, sizeof db2, "%s/two", dir);

    /* List one: the bridge, 40 hashes a few bits from it (crowded), L.png's SHA-256. */
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_init(db1, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_open(db1, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    lm_pdq_hash bridge;
    CHECK_EQ_INT(lm_pdq_from_hex("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22",
                                 64, &bridge),
                 LM_OK);
    uint64_t id;
    for (int k = 0; k < 41; k++) {
        lm_pdq_hash h = bridge;
        for (int b = 0; b < k % 9; b++)
            h.b[(k * 7 + b * 5) % 32] ^= (uint8_t)(1u << (b % 8));
        lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = h.b, .quality = 100, .list = "known"};
        lm_status st = lm_hashdb_add(db, &e, &id);
        CHECK(st == LM_OK || st == LM_E_EXISTS); /* a few of the variations coincide */
    }
    lm_digests dg;
    CHECK_EQ_INT(lm_digest_bytes(data[5], len[5], &dg), LM_OK);
    lm_db_new_entry e2 = {.type = LM_HASH_SHA256, .hash = dg.sha256, .quality = -1, .list = "x"};
    CHECK_EQ_INT(lm_hashdb_add(db, &e2, &id), LM_OK);
    lm_hashdb_close(db);
    /* List two (the "update"): q0291's own hash. */
    CHECK_EQ_INT(lm_hashdb_init(db2, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_open(db2, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    lm_check_result q = {.struct_size = sizeof q};
    lm_matcher *m1, *m2;
    CHECK_EQ_INT(lm_matcher_open(db1, &m1, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_check(m1, data[3], len[3], NULL, &q), LM_OK);
    lm_db_new_entry e3 = {.type = LM_HASH_PDQ, .hash = q.image.pdq.b, .quality = 100, .list = "u"};
    CHECK_EQ_INT(lm_hashdb_add(db, &e3, &id), LM_OK);
    /* List rules lm_check_hashes must apply as lm_check does: the bridge is on a normal list
     * and on a negative one (a known false positive: suppressed); "u" has its own distance. */
    lm_db_new_entry e4 = {.type = LM_HASH_PDQ, .hash = bridge.b, .quality = 100, .list = "known"};
    CHECK_EQ_INT(lm_hashdb_add(db, &e4, &id), LM_OK);
    lm_pdq_hash near = bridge;
    near.b[3] ^= 0x11;
    lm_db_new_entry e5 = {.type = LM_HASH_PDQ, .hash = near.b, .quality = 100, .list = "fp"};
    CHECK_EQ_INT(lm_hashdb_add(db, &e5, &id), LM_OK);
    lm_db_list_attrs neg = {.kind = LM_DB_LIST_NEGATIVE};
    CHECK_EQ_INT(lm_hashdb_set_list_attrs(db, "fp", &neg, LM_DB_ATTR_KIND), LM_OK);
    lm_db_list_attrs dist = {.distance = 10};
    CHECK_EQ_INT(lm_hashdb_set_list_attrs(db, "u", &dist, LM_DB_ATTR_DISTANCE), LM_OK);
    lm_hashdb_close(db);
    CHECK_EQ_INT(lm_matcher_open(db2, &m2, NULL, 0), LM_OK);

    lm_check_options opts[3];
    for (int k = 0; k < 3; k++)
        lm_check_options_init(&opts[k]);
    opts[1].exact = 1;
    opts[2].dihedral = 1;
    opts[2].max_distance = 60;
    int crowded = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < NFILES; i++) {
            lm_check_result a = {.struct_size = sizeof a}, b = {.struct_size = sizeof b},
                            c = {.struct_size = sizeof c}, d = {.struct_size = sizeof d};
            CHECK_EQ_INT(lm_check(m1, data[i], len[i], &opts[k], &a), LM_OK);
            CHECK_EQ_INT(lm_check_hashes(m1, &a, &opts[k], &b), LM_OK);
            if (!same(&a, &b))
                fprintf(stderr, "differs: %s, options %d\n", files[i], k);
            CHECK(same(&a, &b));
            crowded |= a.match_count > LM_CHECK_MAX_MATCHES;
            /* Against another list: as if checked against it from the bytes. */
            CHECK_EQ_INT(lm_check(m2, data[i], len[i], &opts[k], &c), LM_OK);
            CHECK_EQ_INT(lm_check_hashes(m2, &a, &opts[k], &d), LM_OK);
            CHECK(same(&c, &d));
        }
    CHECK(crowded);

    /* Negative-list suppression: the same verdict and flagged matches from the hashes. */
    {
        lm_check_result a0 = {.struct_size = sizeof a0}, c0 = {.struct_size = sizeof c0},
                        d0 = {.struct_size = sizeof d0};
        CHECK_EQ_INT(lm_check(m1, data[0], len[0], NULL, &a0), LM_OK);
        CHECK_EQ_INT(lm_check(m2, data[0], len[0], NULL, &c0), LM_OK);
        CHECK_EQ_INT(lm_check_hashes(m2, &a0, NULL, &d0), LM_OK);
        CHECK_EQ_INT(c0.verdict, LM_VERDICT_SUPPRESSED);
        CHECK_EQ_INT(d0.verdict, LM_VERDICT_SUPPRESSED);
        CHECK(same(&c0, &d0));
        CHECK(d0.match_count >= 2 && d0.matches[0].flags == LM_MATCH_NEGATIVE);
    }

    /* Not an image: the decode status and detail carry over. */
    lm_check_result a = {.struct_size = sizeof a}, b = {.struct_size = sizeof b};
    CHECK_EQ_INT(lm_check(m1, "no image here", 13, NULL, &a), LM_OK);
    CHECK_EQ_INT(lm_check_hashes(m1, &a, NULL, &b), LM_OK);
    CHECK(same(&a, &b) && b.verdict == LM_VERDICT_NOT_IMAGE);

    /* Arguments; videos are not supported (their frames are not in a result). */
    CHECK_EQ_INT(lm_check_hashes(NULL, &a, NULL, &b), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_check_hashes(m1, NULL, NULL, &b), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_check_hashes(m1, &a, NULL, NULL), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_check_hashes(m1, &a, NULL, &a), LM_E_INVALID_ARG);
    lm_check_options bad;
    lm_check_options_init(&bad);
    bad.struct_size = 2;
    CHECK_EQ_INT(lm_check_hashes(m1, &a, &bad, &b), LM_E_INVALID_ARG);
    lm_check_options_init(&bad);
    bad.max_distance = 300;
    a.decoded = 1;
    CHECK_EQ_INT(lm_check_hashes(m1, &a, &bad, &b), LM_E_INVALID_ARG);
    a.is_video = 1;
    CHECK_EQ_INT(lm_check_hashes(m1, &a, NULL, &b), LM_E_UNSUPPORTED);

    lm_matcher_close(m1);
    lm_matcher_close(m2);
    for (int i = 0; i < NFILES; i++)
        free(data[i]);
    scratch_remove(dir);
    free(dir);
    return check_report("test_check_hashes");
}
