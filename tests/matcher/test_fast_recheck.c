/*
 * Fast mode never loses a match to its few bits: a large JPEG hashed by the
 * DCT-scaled decode (lm_check's default) misses a list entry that the
 * reference's hash matches at the radius; the matcher sees the near miss and
 * decodes again exactly. The entry is the exact hash with 31 bits flipped
 * where the fast and exact hashes agree, so it is at 31 from the exact hash
 * and 31 + k from the fast one (k = their distance, 1..10).
 * Asserted: the fast check matches at distance 31 and reports the exact hash;
 * an entry 45 bits off matches in neither mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hashdb.h"
#include "libmatch.h"
#include "scratch.h"
#include "synth.h"

/* The hash of a JPEG in fast (1) or exact (0) mode. */
static lm_pdq_hash hash_mode(lm_hasher *h, const uint8_t *d, size_t n, int fast)
{
    lm_image_hash out;
    memset(&out, 0, sizeof out);
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_FAST, fast), LM_OK);
    CHECK_EQ_INT(lm_hash_memory(h, d, n, &out), LM_OK);
    return out.pdq;
}

/* e with `flips` of the bits where e and f agree flipped, lowest bits first. */
static lm_pdq_hash flip_agreeing(const lm_pdq_hash *e, const lm_pdq_hash *f, int flips)
{
    lm_pdq_hash h = *e;
    for (int bit = 0; bit < 256 && flips > 0; bit++) {
        uint8_t m = (uint8_t)(1u << (bit % 8));
        if ((e->b[bit / 8] & m) == (f->b[bit / 8] & m)) {
            h.b[bit / 8] ^= m;
            flips--;
        }
    }
    return h;
}

static lm_check_result check(lm_matcher *m, const uint8_t *d, size_t n, int exact)
{
    lm_check_options o;
    lm_check_options_init(&o);
    o.exact = exact;
    lm_check_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    CHECK_EQ_INT(lm_check(m, d, n, &o, &r), LM_OK);
    return r;
}

int main(void)
{
    lm_hasher *h = lm_hasher_create();
    CHECK(h != NULL);
    /* A camera-sized JPEG whose fast hash differs from the exact one by 1..10 bits. */
    uint8_t *jpg = NULL;
    size_t len = 0;
    lm_pdq_hash exact = {{0}}, fast = {{0}};
    int k = 0;
    for (uint64_t seed = 1; seed < 40 && (k < 1 || k > 10); seed++) {
        free(jpg);
        synth_image img;
        CHECK_EQ_INT(synth_make(&img, 1600, 1200, seed), 0);
        synth_add_grain(&img, seed, 12);
        CHECK_EQ_INT(synth_encode_jpeg(&img, 85, &jpg, &len), 0);
        synth_free(&img);
        exact = hash_mode(h, jpg, len, 0);
        fast = hash_mode(h, jpg, len, 1);
        k = lm_pdq_distance(&exact, &fast);
    }
    printf("fast hash %d bits from the exact one\n", k);
    CHECK(k >= 1 && k <= 10);

    char *dir = scratch_dir("fastrecheck");
    CHECK(dir != NULL);
    char db_path[600];
    snprintf(db_path, sizeof db_path, "%s/list", dir);
    CHECK_EQ_INT(lm_hashdb_init(db_path, NULL, 0), LM_OK);
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(db_path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    lm_pdq_hash near = flip_agreeing(&exact, &fast, 31);
    lm_pdq_hash far = flip_agreeing(&exact, &fast, 45);
    CHECK_EQ_INT(lm_pdq_distance(&near, &exact), 31);
    CHECK_EQ_INT(lm_pdq_distance(&near, &fast), 31 + k);
    uint64_t near_id, far_id;
    lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = near.b, .quality = 100, .list = "known"};
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &near_id), LM_OK);
    lm_hashdb_close(db);

    lm_matcher *m;
    CHECK_EQ_INT(lm_matcher_open(db_path, &m, NULL, 0), LM_OK);
    lm_check_result r = check(m, jpg, len, 0); /* fast: misses by k bits, then re-checks */
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT((int)r.match_count, 1);
    CHECK(r.matches[0].entry_id == near_id);
    CHECK_EQ_INT(r.matches[0].distance, 31);
    CHECK(memcmp(&r.image.pdq, &exact, sizeof exact) == 0); /* the record has the exact hash */
    r = check(m, jpg, len, 1);
    CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    CHECK_EQ_INT(r.matches[0].distance, 31);
    lm_matcher_close(m);

    /* An entry well beyond the radius: no match either way (and no false re-check match). */
    CHECK_EQ_INT(lm_hashdb_open(db_path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_remove(db, near_id), LM_OK);
    e.hash = far.b;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &far_id), LM_OK);
    lm_hashdb_close(db);
    CHECK_EQ_INT(lm_matcher_open(db_path, &m, NULL, 0), LM_OK);
    CHECK_EQ_INT(check(m, jpg, len, 0).verdict, LM_VERDICT_NO_MATCH);
    CHECK_EQ_INT(check(m, jpg, len, 1).verdict, LM_VERDICT_NO_MATCH);
    lm_matcher_close(m);

    scratch_remove(dir);
    free(dir);
    free(jpg);
    lm_hasher_destroy(h);
    return check_report("fast-recheck");
}
