/*
 * Shard mode units: the path -> shard function never changes (shards of one
 * scan may be run by different builds), spreads paths evenly, and K/N parsing
 * and the merge-side record parser accept exactly what pmatch scan writes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "shard.h"

static void test_stable(void)
{
    /* Fixed forever: changing these would split old and new shards differently. */
    /* (checked against an independent Python implementation of FNV-1a 64 + fmix64) */
    CHECK(shard_hash("/data/archive/2026/img-0001.jpg") == 0x850393d92f181a79ull);
    CHECK_EQ_INT(shard_of("/data/archive/2026/img-0001.jpg", 3), 2);
    CHECK_EQ_INT(shard_of("tree/a/img-0042.png", 7), 3);
    CHECK_EQ_INT(shard_of("anything", 1), 1);
    for (int i = 0; i < 1000; i++) {
        char p[64];
        snprintf(p, sizeof p, "dir/%d.jpg", i);
        uint32_t k = shard_of(p, 5);
        CHECK(k >= 1 && k <= 5);
        CHECK(k == shard_of(p, 5));
    }
}

/*
 * Sequential names (the usual archive) spread like random draws: every shard
 * within 4 standard deviations (sqrt of the even share) of even, for several N.
 */
static void test_balanced(void)
{
    static const uint32_t ns[] = {2, 3, 4, 7, 8, 16, 100};
    enum { PATHS = 200000 };
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        uint32_t n = ns[t];
        static uint32_t hits[101];
        memset(hits, 0, sizeof hits);
        for (int i = 0; i < PATHS; i++) {
            char p[64];
            snprintf(p, sizeof p, "/srv/archive/%03d/img-%06d.jpg", i / 1000, i);
            hits[shard_of(p, n)]++;
        }
        double even = (double)PATHS / n, limit = 4 * sqrt(even) / even;
        for (uint32_t k = 1; k <= n; k++) {
            double off = (hits[k] - even) / even;
            if (off > limit || off < -limit) {
                fprintf(stderr, "N=%u shard %u: %u paths, %.1f%% off even\n", n, k, hits[k],
                        100 * off);
                CHECK(0);
            }
        }
        CHECK_EQ_INT(hits[0], 0);
    }
}

static void test_parse(void)
{
    shard_spec s;
    CHECK(shard_parse("1/3", &s) == 0 && s.index == 1 && s.count == 3);
    CHECK(shard_parse("3/3", &s) == 0 && s.index == 3);
    CHECK(shard_parse("1/1", &s) == 0);
    static const char *bad[] = {"0/3",  "4/3",  "1/0",       "3",
                                "/3",   "1/",   "-1/3",      "1/3x",
                                " 1/3", "01/3", "1/1000001", "99999999999999999999/3",
                                ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(shard_parse(bad[i], &s), -1);
}

static int parse(const char *line, shard_line *l)
{
    char why[128];
    return shard_parse_line(line, strlen(line), l, why, sizeof why);
}

static void test_lines(void)
{
    shard_line l;
    const char *rec = "{\"seq\":12,\"path\":\"a\\\"b\\\\\",\"verdict\":\"match\",\"size\":3}";
    CHECK(parse(rec, &l) == 0 && l.kind == SHARD_LINE_RECORD && l.seq == 12 &&
          l.category == CAT_MATCH &&
          strcmp(rec + l.body, "\"path\":\"a\\\"b\\\\\",\"verdict\":\"match\",\"size\":3}") == 0);
    CHECK(parse("{\"seq\":0,\"path\":\"x\",\"verdict\":\"skipped\",\"reason\":\"r\"}", &l) == 0 &&
          l.category == CAT_SKIPPED);
    shard_summary s = {.shard = {2, 3},
                       .walk_items = 10,
                       .records = 3,
                       .scan_id = 0xabcdef0123456789ull,
                       .counts = {1, 1, 0, 0, 1, 0}};
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    shard_print_summary_json(f, &s);
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    CHECK(parse(buf, &l) == 0 && l.kind == SHARD_LINE_SUMMARY &&
          memcmp(&l.summary, &s, sizeof s) == 0);
    static const char *bad[] = {
        "",
        "{}",
        "{\"seq\":1}",
        "{\"seq\":-1,\"path\":\"x\",\"verdict\":\"match\"}",
        "{\"seq\":1,\"path\":\"x,\"verdict\":\"match\"}",
        "{\"seq\":1,\"path\":\"x\",\"verdict\":\"maybe\"}",
        "{\"seq\":1,\"path\":\"x\",\"verdict\":\"match\"",
        "{\"seq\":1,\"path\":\"x\\",
        "{\"seq\":1,\"path\":\"x\",\"verdict\":\"match\"}\r",
        "{\"shard_summary\":{\"shard\":\"4/"
        "3\",\"walk_items\":1,\"records\":0,\"scan\":\"0000000000000000\",\"match\":0,\"no_match\":"
        "0,\"low_quality\":0,\"not_image\":0,\"error\":0,\"skipped\":0}}",
        "{\"shard_summary\":{\"shard\":\"1/"
        "3\",\"walk_items\":1,\"records\":1,\"scan\":\"0000000000000000\",\"match\":0,\"no_match\":"
        "0,\"low_quality\":0,\"not_image\":0,\"error\":0,\"skipped\":0}}",
        "{\"shard_summary\":{\"shard\":\"1/"
        "3\",\"walk_items\":1,\"records\":0,\"scan\":\"000000000000000\",\"match\":0,\"no_match\":"
        "0,\"low_quality\":0,\"not_image\":0,\"error\":0,\"skipped\":0}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(bad[i], &l) != -1) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            CHECK(0);
        }
}

int main(void)
{
    test_stable();
    test_balanced();
    test_parse();
    test_lines();
    if (check_failures)
        return 1;
    printf("shard: all checks passed\n");
    return 0;
}
