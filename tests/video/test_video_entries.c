/*
 * Stored videos: Meta's published vPDQ files of the chair-* and pattern-* samples
 * imported as video entries, then each sample video checked with lm_check (every
 * frame, as vPDQ): it matches exactly the expected entries of its own family and
 * never the other family; single frames still match a known image; thresholds in
 * lm_check_options apply; a removed video stops matching at once.
 *
 * Stored entries (ids in import order). The large-logo variants are stored but
 * match nothing here (the logo hides most of the picture from PDQ), and the
 * -bar (pillarboxed) and -no-bar variants do not match each other uncropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hashdb.h"
#include "vpdq_test_util.h"

static const char *stored[] = {
    "chair-19-sd-bar",                /* 1 */
    "chair-22-sd-grey-bar",           /* 2 */
    "chair-orig-22-sd-bar",           /* 3 */
    "chair-22-with-large-logo-bar",   /* 4 */
    "pattern-sd-grey-bar",            /* 5 */
    "pattern-hd-no-bar",              /* 6 */
    "pattern-sd-with-large-logo-bar", /* 7 */
    "pattern-longer-no-bar",          /* 8 */
};
#define NSTORED (sizeof stored / sizeof stored[0])

/* The video entries (type vPDQ) a check matched, as "a,b,c" in entry order; frame
 * matches (PDQ) are counted in *pdq. */
static const char *video_matches(const lm_check_result *r, int *pdq)
{
    static char buf[256];
    size_t n = 0;
    uint64_t ids[LM_CHECK_MAX_MATCHES];
    size_t k = 0;
    *pdq = 0;
    for (size_t i = 0; i < r->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
        if (r->matches[i].type == LM_HASH_VPDQ)
            ids[k++] = r->matches[i].entry_id;
        else if (r->matches[i].type == LM_HASH_PDQ)
            ++*pdq;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: a handful of ids */
        for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint64_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%llu", i ? "," : "",
                              (unsigned long long)ids[i]);
    return buf;
}

static const char *check_video(const lm_matcher *m, const char *dir, const char *name,
                               const lm_check_options *opts, int *pdq, lm_check_result *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/video/%s.mp4", dir, name);
    size_t len = 0;
    unsigned char *data = testdata_read(path, &len);
    CHECK(data != NULL);
    if (!data)
        return "(unreadable)";
    CHECK_EQ_INT(lm_check(m, data, len, opts, r), LM_OK);
    free(data);
    CHECK(r->is_video);
    const char *got = video_matches(r, pdq);
    printf("%-32s video entries matched: %s (%d frame matches)\n", name, got, *pdq);
    return got;
}

int main(void)
{
    int code;
    const char *dir = vt_testdata(&code);
    if (!dir) {
        check_report("video-entries");
        return check_failures ? 1 : code;
    }
    const char *base = getenv("TMPDIR");
    char tmp[512], db_path[600], path[4096], err[256];
    snprintf(tmp, sizeof tmp, "%s/lm-video-entries-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp))
        return 1;
    snprintf(db_path, sizeof db_path, "%s/db", tmp);
    lm_hashdb *db = NULL;
    CHECK_EQ_INT(lm_hashdb_open(db_path, LM_DB_CREATE, &db, err, sizeof err), LM_OK);
    for (size_t i = 0; db && i < NSTORED; i++) {
        snprintf(path, sizeof path, "%s/vpdq-expected/%s.txt", dir, stored[i]);
        lm_db_import_opts o;
        lm_db_import_opts_init(&o);
        o.format = LM_DB_FORMAT_VPDQ;
        o.list = "videos";
        o.label = stored[i];
        lm_db_import_result r;
        CHECK_EQ_INT(lm_hashdb_import_path(db, path, &o, &r), LM_OK);
        CHECK_EQ_INT(r.added, 1);
        CHECK_EQ_INT(r.list_id, 1);
    }
    /* A known image: frame 10 of chair-20 as Meta's tool hashed it (entry 9). */
    lm_vpdq_frames c20 = {0};
    snprintf(path, sizeof path, "%s/vpdq-expected/chair-20-sd-bar.txt", dir);
    CHECK_EQ_INT(vt_read_vpdq(path, &c20), 0);
    if (db && c20.n > 10) {
        lm_db_new_entry e = {
            .type = LM_HASH_PDQ, .hash = c20.v[10].pdq.b, .quality = 100, .list = "images"};
        uint64_t id = 0;
        CHECK_EQ_INT(lm_hashdb_add(db, &e, &id), LM_OK);
        CHECK_EQ_INT(id, 9);
    }
    lm_vpdq_frames_free(&c20);
    uint64_t problems = 9;
    CHECK_EQ_INT(lm_hashdb_verify(db, NULL, NULL, &problems), LM_OK);
    CHECK_EQ_INT(problems, 0);

    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open(db_path, &m, err, sizeof err), LM_OK);
    if (m) {
        lm_check_options o;
        lm_check_options_init(&o);
        CHECK(o.video_stored_threshold == 80.0 && o.video_query_threshold == 0.0);
        o.video_sampling = LM_SAMPLE_ALL_FRAMES;
        lm_check_result r = {.struct_size = sizeof r};
        int pdq;
        CHECK_EQ_STR(check_video(m, dir, "chair-20-sd-bar", &o, &pdq, &r), "1,2,3");
        CHECK(pdq >= 1); /* the known image, found inside the video */
        /* Video matches come before frame matches, with both percentages. */
        CHECK_EQ_INT(r.matches[0].type, LM_HASH_VPDQ);
        for (size_t i = 0; i < r.match_count && i < LM_CHECK_MAX_MATCHES; i++)
            if (r.matches[i].type == LM_HASH_VPDQ) {
                CHECK(r.matches[i].stored_percent >= 80.0 && r.matches[i].query_percent > 0.0);
                CHECK_EQ_INT(r.matches[i].frame, -1);
            } else {
                CHECK_EQ_INT(r.matches[i].entry_id, 9);
            }
        CHECK_EQ_STR(check_video(m, dir, "chair-22-with-small-logo-bar", &o, &pdq, &r), "1,2,3");
        CHECK_EQ_STR(check_video(m, dir, "pattern-sd-with-small-logo-bar", &o, &pdq, &r), "5");
        CHECK_EQ_INT(pdq, 0);
        CHECK_EQ_STR(check_video(m, dir, "pattern-hd-no-bar", &o, &pdq, &r), "6,8");

        /* Thresholds: 99% of the stored frames leaves entry 1 (100%); 95% of the query
         * frames drops it (92.8%) and keeps 2 and 3. */
        lm_check_options strict = o;
        strict.video_stored_threshold = 99.0;
        CHECK_EQ_STR(check_video(m, dir, "chair-20-sd-bar", &strict, &pdq, &r), "1");
        strict.video_stored_threshold = 80.0;
        strict.video_query_threshold = 95.0;
        CHECK_EQ_STR(check_video(m, dir, "chair-20-sd-bar", &strict, &pdq, &r), "2,3");
        strict.video_query_threshold = 101.0;
        snprintf(path, sizeof path, "%s/video/chair-20-sd-bar.mp4", dir);
        CHECK_EQ_INT(lm_check(m, "x", 1, &strict, &r), LM_E_INVALID_ARG);
        /* An older caller's smaller options struct gets the default thresholds. */
        lm_check_options old = o;
        old.struct_size = (uint32_t)offsetof(lm_check_options, video_query_threshold);
        old.video_stored_threshold = 100.0; /* beyond its struct_size: not read */
        CHECK_EQ_STR(check_video(m, dir, "chair-20-sd-bar", &old, &pdq, &r), "1,2,3");

        /* Removal is immediate for a running matcher. */
        CHECK_EQ_INT(lm_hashdb_remove(db, 2), LM_OK);
        CHECK_EQ_STR(check_video(m, dir, "chair-20-sd-bar", &o, &pdq, &r), "1,3");
        lm_matcher_close(m);
    }
    lm_hashdb_close(db);
    snprintf(path, sizeof path, "rm -rf '%s'", tmp);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_report("video-entries");
}
