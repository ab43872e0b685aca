/*
 * vPDQ video matching: the scoring rules on made-up hashes, then Meta's sample
 * videos, which must match within their family and never across families.
 */
#include "check.h"
#include "vpdq_match.h"
#include "vpdq_test_util.h"

static lm_pdq_hash random_hash(uint64_t *rng)
{
    lm_pdq_hash h;
    for (int i = 0; i < LM_PDQ_BYTES; i += 8) {
        uint64_t r = check_rand(rng);
        memcpy(h.b + i, &r, 8);
    }
    return h;
}

/* Flip `bits` distinct bits of h. */
static lm_pdq_hash flip(lm_pdq_hash h, int bits)
{
    for (int i = 0; i < bits; i++)
        h.b[(i * 37) % 32] ^= (uint8_t)(1u << (i % 8));
    return h;
}

static void test_rules(void)
{
    uint64_t rng = check_test_seed(5);
    lm_video_frame q[40], s[20];
    for (int i = 0; i < 20; i++) {
        s[i] = (lm_video_frame){random_hash(&rng), 100, i, i / 30.0};
        /* The query shows every stored frame twice (slightly changed), then 0 unrelated ones. */
        q[2 * i] = (lm_video_frame){flip(s[i].pdq, 8), 100, 2 * i, 0};
        q[2 * i + 1] = q[2 * i];
    }
    lm_vpdq_match_result r;
    CHECK_EQ_INT(lm_vpdq_match(q, 40, s, 20, NULL, &r), LM_OK);
    CHECK_EQ_INT(r.query_unique, 20); /* exact repeats count once */
    CHECK_EQ_INT(r.stored_unique, 20);
    CHECK_EQ_INT(r.query_matched, 20);
    CHECK_EQ_INT(r.stored_matched, 20);
    CHECK(r.match);

    /* Half the stored video missing from the query: 50% < 80%, no match; 100% of the query. */
    CHECK_EQ_INT(lm_vpdq_match(q, 20, s, 20, NULL, &r), LM_OK);
    CHECK(r.stored_percent == 50.0 && r.query_percent == 100.0 && !r.match);

    /* The distance rule is <= max_distance. */
    lm_vpdq_match_opts o;
    lm_vpdq_match_opts_default(&o);
    lm_video_frame a = {s[0].pdq, 100, 0, 0}, b = {flip(s[0].pdq, 31), 100, 0, 0};
    CHECK_EQ_INT(lm_vpdq_match(&a, 1, &b, 1, &o, &r), LM_OK);
    CHECK(r.match);
    b.pdq = flip(s[0].pdq, 32);
    CHECK_EQ_INT(lm_vpdq_match(&a, 1, &b, 1, &o, &r), LM_OK);
    CHECK(!r.match);

    /* Low-quality frames are ignored; nothing left means no match. */
    b = a;
    b.quality = 49;
    CHECK_EQ_INT(lm_vpdq_match(&a, 1, &b, 1, &o, &r), LM_OK);
    CHECK(r.stored_unique == 0 && !r.match);

    /* Query threshold: the query must be mostly the stored video when asked. */
    o.query_threshold = 60.0;
    lm_video_frame q2[3] = {a, {random_hash(&rng), 100, 1, 0}, {random_hash(&rng), 100, 2, 0}};
    CHECK_EQ_INT(lm_vpdq_match(q2, 3, &a, 1, &o, &r), LM_OK);
    CHECK(r.stored_percent == 100.0 && !r.match);

    /* Near-repeat collapsing only with dedup_distance. */
    lm_vpdq_match_opts_default(&o);
    lm_video_frame run[3] = {a, {flip(a.pdq, 3), 100, 1, 0}, {flip(a.pdq, 5), 100, 2, 0}};
    lm_pdq_hash *u = NULL;
    size_t nu = 0;
    CHECK_EQ_INT(lm_vpdq_unique(run, 3, &o, &u, &nu), LM_OK);
    CHECK_EQ_INT(nu, 3);
    free(u);
    o.dedup_distance = 4;
    CHECK_EQ_INT(lm_vpdq_unique(run, 3, &o, &u, &nu), LM_OK);
    CHECK_EQ_INT(nu, 2); /* 3 bits from the kept one: dropped; 5 bits: kept */
    free(u);

    CHECK_EQ_INT(lm_vpdq_match(NULL, 1, &a, 1, NULL, &r), LM_E_INVALID_ARG);
    o.stored_threshold = 101.0;
    CHECK_EQ_INT(lm_vpdq_match(&a, 1, &a, 1, &o, &r), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_vpdq_match(NULL, 0, NULL, 0, NULL, &r), LM_OK);
    CHECK(!r.match);
}

/* Sample videos: name, family. Large-logo variants are listed apart (see below). */
static const struct {
    const char *name;
    char family;  /* c(hair), p(attern), d(oorknob), t(est pattern) */
    int big_logo; /* a logo over much of the picture: PDQ does not see through it */
} videos[] = {
    {"chair-19-sd-bar", 'c', 0},
    {"chair-20-sd-bar", 'c', 0},
    {"chair-22-sd-grey-bar", 'c', 0},
    {"chair-22-sd-sepia-bar", 'c', 0},
    {"chair-22-with-large-logo-bar", 'c', 1},
    {"chair-22-with-small-logo-bar", 'c', 0},
    {"chair-orig-22-sd-bar", 'c', 0},
    {"doorknob-hd-no-bar", 'd', 0},
    {"pattern-hd-no-bar", 'p', 0},
    {"pattern-longer-no-bar", 'p', 0},
    {"pattern-sd-grey-bar", 'p', 0},
    {"pattern-sd-with-large-logo-bar", 'p', 1},
    {"pattern-sd-with-small-logo-bar", 'p', 0},
    {"test-padded-dimensions", 't', 0},
};
#define NV (sizeof videos / sizeof videos[0])

static void test_families(const char *dir)
{
    static lm_vpdq_frames f[NV];
    int have[NV] = {0};
    for (size_t i = 0; i < NV; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/video/%s.mp4", dir, videos[i].name);
        lm_video_opts o;
        lm_video_opts_default(&o);
        o.crop_borders = 1; /* the -bar variants are pillarboxed, the hd ones are not */
        lm_errbuf err = {{0}};
        lm_status st = lm_video_hash_file(path, &o, &f[i], NULL, &err);
        have[i] = st == LM_OK;
        if (st == LM_E_IO)
            continue; /* a sample not in this copy of the test data */
        CHECK_EQ_INT(st, LM_OK);
    }
    printf("query \\ stored: query%%/stored%% (* = match, default thresholds)\n");
    int within = 0, within_ok = 0;
    for (size_t i = 0; i < NV; i++) {
        if (!have[i])
            continue;
        printf("%-31s", videos[i].name);
        for (size_t j = 0; j < NV; j++) {
            if (!have[j])
                continue;
            lm_vpdq_match_result r, back;
            CHECK_EQ_INT(lm_vpdq_match(f[i].v, f[i].n, f[j].v, f[j].n, NULL, &r), LM_OK);
            CHECK_EQ_INT(lm_vpdq_match(f[j].v, f[j].n, f[i].v, f[i].n, NULL, &back), LM_OK);
            printf(" %3.0f/%3.0f%c", r.query_percent, r.stored_percent, r.match ? '*' : ' ');
            if (videos[i].family != videos[j].family) {
                CHECK(!r.match); /* never across families */
            } else if (!videos[i].big_logo && !videos[j].big_logo) {
                /* Same family: the pair matches at least with the shorter one stored. */
                within++;
                within_ok += r.match || back.match;
                CHECK(r.match || back.match);
            }
        }
        printf("\n");
    }
    printf("same-family pairs (large-logo variants aside) matching: %d of %d\n", within_ok, within);
    for (size_t i = 0; i < NV; i++)
        lm_vpdq_frames_free(&f[i]);
}

int main(void)
{
    test_rules();
    int code;
    const char *dir = vt_testdata(&code);
    if (!dir) {
        check_report("vpdq-match");
        return check_failures ? 1 : code;
    }
    test_families(dir);
    return check_report("vpdq-match");
}
