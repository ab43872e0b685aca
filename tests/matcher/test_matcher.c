/*
 * The public matching API: lm_matcher_open, lm_check, lm_match_pdq,
 * lm_match_digest, lm_matcher_entry. One matcher shared by several threads
 * gives exactly the serial results; removals are immediate for an open matcher.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "digest.h"
#include "file_read.h"
#include "hashdb.h"
#include "libmatch.h"
#include "scratch.h"
#include "testdata.h"

#define NFILES 8
static const char *files[NFILES] = {
    "pdq/bridge-mods/aaa-orig.jpg",          "pdq/bridge-mods/blur-a-lot.jpg",
    "pdq/bridge-mods/sharpen-a-lot.jpg",     "pdq/bridge-mods/shrink-a-lot.jpg",
    "pdq/reg-test-input/dih/bridge-2-rotate-90.jpg",
    "pdq/reg-test-input/labelme-subset/q0291.jpg",
    "pdq/reg-test-input/labelme-subset/q0003.jpg", "pdq/misc-images/modes/L.png",
};
static uint8_t *data[NFILES];
static size_t len[NFILES];
static lm_check_result serial[NFILES];
static lm_matcher *shared;
static lm_check_options exact_opts; /* decode exactly as the reference: distances are exact */

/* Field by field: struct padding is not part of the result. */
static int same_result(const lm_check_result *a, const lm_check_result *b)
{
    if (a->verdict != b->verdict || a->decoded != b->decoded ||
        a->decode_status != b->decode_status || a->match_count != b->match_count ||
        memcmp(a->sha256, b->sha256, 32) != 0 || strcmp(a->detail, b->detail) != 0)
        return 0;
    if (a->decoded && (memcmp(&a->image.pdq, &b->image.pdq, sizeof a->image.pdq) != 0 ||
                       a->image.quality != b->image.quality))
        return 0;
    for (size_t i = 0; i < a->match_count && i < LM_CHECK_MAX_MATCHES; i++)
        if (a->matches[i].entry_id != b->matches[i].entry_id ||
            a->matches[i].distance != b->matches[i].distance ||
            a->matches[i].type != b->matches[i].type)
            return 0;
    return 1;
}

static void *worker(void *arg)
{
    long failures = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < NFILES; i++) {
            int k = (i + (int)(long)arg + round) % NFILES;
            lm_check_result r = {.struct_size = sizeof r};
            if (lm_check(shared, data[k], len[k], &exact_opts, &r) != LM_OK ||
                !same_result(&r, &serial[k])) {
                fprintf(stderr, "thread result differs for %s\n", files[k]);
                failures++;
            }
        }
    return (void *)failures;
}

int main(void)
{
    int missing = testdata_read_all(files, NFILES, data, len);
    if (missing)
        return missing;

    char *dir = scratch_dir("matcher");
    if (!dir)
        return 1;
    char db_path[256];
    snprintf(db_path, sizeof db_path, "%s/list", dir);

    /* Opening a missing list is NOT_FOUND, with a message. */
    char msg[256];
    lm_matcher *m = (lm_matcher *)1;
    CHECK_EQ_INT(lm_matcher_open(db_path, &m, msg, sizeof msg), LM_E_NOT_FOUND);
    CHECK(m == NULL && msg[0] != '\0');

    /* The list: the bridge's PDQ hash, and the SHA-256 of L.png's bytes. */
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_init(db_path, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_open(db_path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    lm_pdq_hash bridge;
    const char *bridge_hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    CHECK_EQ_INT(lm_pdq_from_hex(bridge_hex, 64, &bridge), LM_OK);
    lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = bridge.b, .quality = 100,
                         .label = "bridge", .reference = "ref-1", .list = "known"};
    uint64_t bridge_id = 0, png_id = 0;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &bridge_id), LM_OK);
    lm_digests dg;
    CHECK_EQ_INT(lm_digest_bytes(data[7], len[7], &dg), LM_OK);
    lm_db_new_entry e2 = {.type = LM_HASH_SHA256, .hash = dg.sha256, .quality = -1,
                          .label = "png-bytes", .list = "exact"};
    CHECK_EQ_INT(lm_hashdb_add(db, &e2, &png_id), LM_OK);

    CHECK_EQ_INT(lm_matcher_open(db_path, &shared, msg, sizeof msg), LM_OK);
    CHECK_EQ_INT(lm_matcher_size(shared), 1);

    /* Serial verdicts. */
    static const lm_verdict expect[NFILES] = {
        LM_VERDICT_MATCH,    LM_VERDICT_MATCH,    LM_VERDICT_MATCH, LM_VERDICT_MATCH,
        LM_VERDICT_MATCH, /* rotated 90: dihedral matching is on by default */
        LM_VERDICT_NO_MATCH, LM_VERDICT_LOW_QUALITY,
        LM_VERDICT_MATCH, /* by digest, and by PDQ: L.png is the bridge in grey */
    };
    lm_check_options_init(&exact_opts);
    exact_opts.exact = 1;
    for (int i = 0; i < NFILES; i++) {
        serial[i].struct_size = sizeof serial[i];
        CHECK_EQ_INT(lm_check(shared, data[i], len[i], &exact_opts, &serial[i]), LM_OK);
        CHECK_EQ_INT(serial[i].verdict, expect[i]);
        CHECK_EQ_INT(serial[i].decoded, 1);
    }
    CHECK_EQ_INT(serial[0].match_count, 1);
    CHECK_EQ_INT(serial[0].matches[0].entry_id, bridge_id);
    CHECK_EQ_INT(serial[0].matches[0].distance, 0);
    CHECK_EQ_INT(serial[7].match_count, 2);
    CHECK_EQ_INT(serial[7].matches[0].type, LM_HASH_SHA256); /* digests first */
    CHECK_EQ_INT(serial[7].matches[0].entry_id, png_id);
    CHECK_EQ_INT(serial[7].matches[1].type, LM_HASH_PDQ);

    /* The default (fast JPEG decoding) still finds the bridge, within a few bits. */
    lm_check_result fast = {.struct_size = sizeof fast};
    CHECK_EQ_INT(lm_check(shared, data[0], len[0], NULL, &fast), LM_OK);
    CHECK_EQ_INT(fast.verdict, LM_VERDICT_MATCH);
    CHECK(fast.matches[0].distance <= 10);

    /* Entry details for the verdict. */
    lm_entry_info info;
    CHECK_EQ_INT(lm_matcher_entry(shared, bridge_id, &info), LM_OK);
    CHECK_EQ_STR(info.label, "bridge");
    CHECK_EQ_STR(info.list, "known");
    CHECK_EQ_STR(info.reference, "ref-1");
    CHECK_EQ_STR(info.hash_hex, bridge_hex);

    /* Options: dihedral (the default) finds the rotated file, not without it; a tight
     * distance or a quality filter does not. */
    lm_check_options o;
    lm_check_options_init(&o);
    CHECK_EQ_INT(o.dihedral, 1);
    lm_check_result r = {.struct_size = sizeof r};
    CHECK_EQ_INT(lm_check(shared, data[4], len[4], &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT(r.matches[0].dihedral, LM_DIH_ROTATE_270); /* undoes the file's rotation */
    CHECK_EQ_INT(r.matches[0].variant, LM_VARIANT_PLAIN);
    o.dihedral = 0;
    CHECK_EQ_INT(lm_check(shared, data[4], len[4], &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_NO_MATCH);
    lm_check_options_init(&o);
    lm_check_options_init(&o);
    o.min_quality = 101;
    CHECK_EQ_INT(lm_check(shared, data[0], len[0], &o, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_LOW_QUALITY);
    lm_check_options_init(&o);
    o.max_distance = 257;
    CHECK_EQ_INT(lm_check(shared, data[0], len[0], &o, &r), LM_E_INVALID_ARG);
    o.max_distance = 31;
    o.struct_size = 3;
    CHECK_EQ_INT(lm_check(shared, data[0], len[0], &o, &r), LM_E_INVALID_ARG);
    lm_check_options_init(&o);
    o.max_bytes = 100;
    CHECK_EQ_INT(lm_check(shared, data[0], len[0], &o, &r), LM_E_LIMIT_BYTES);
    CHECK_EQ_INT(lm_check(shared, "not an image", 12, NULL, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_NOT_IMAGE);
    CHECK_EQ_INT(r.decode_status, LM_E_FORMAT);

    /* Hash and digest queries. */
    lm_match mt[4];
    size_t found = 99;
    CHECK_EQ_INT(lm_match_pdq(shared, &bridge, 100, NULL, mt, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_INT(lm_match_pdq(shared, &bridge, 10, NULL, mt, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 0); /* quality below 50 */
    CHECK_EQ_INT(lm_match_digest(shared, LM_HASH_SHA256, dg.sha256, 32, mt, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_INT(lm_match_digest(shared, LM_HASH_SHA256, dg.sha256, 31, mt, 4, &found),
                 LM_E_INVALID_ARG);

    /* Threads: one shared matcher, identical results. */
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *failures;
        pthread_join(t[i], &failures);
        CHECK_EQ_INT((long)failures, 0);
    }

    /* Removal is immediate, even for a matcher opened before it. */
    CHECK_EQ_INT(lm_hashdb_remove(db, bridge_id), LM_OK);
    CHECK_EQ_INT(lm_check(shared, data[0], len[0], NULL, &r), LM_OK);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_NO_MATCH);
    CHECK_EQ_INT(lm_matcher_entry(shared, bridge_id, &info), LM_E_NOT_FOUND);

    lm_matcher_close(shared);
    lm_hashdb_close(db);
    for (int i = 0; i < NFILES; i++)
        free(data[i]);
    scratch_remove(dir);
    free(dir);
    return check_report("test_matcher");
}
