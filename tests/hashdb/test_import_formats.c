/*
 * The supplier formats (hma-csv, te-csv, vpdq, ncmec-xml, stopncii-json, tat-json,
 * plain md5/sha1/sha256): good files, bad records with their line numbers,
 * deletions and updates applied in one transaction (incremental sync), video
 * entries with their frames (export, removal, verify), and a billion-laughs XML
 * document refused without expanding anything. Every input is made here.
 */
#include <lmdb.h>
#include <time.h>

#include "hashdb_internal.h"
#include "hex.h"
#include "hdb_test.h"
#include "list_hashes.h"

static void expect_export(lm_hashdb *db, const char *list, const char *want)
{
    lm_status st;
    char *got = hdb_export(db, LM_DB_FORMAT_CSV, list, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_STR(got, want);
    free(got);
}

static void test_names(void)
{
    static const char *names[] = {"hma-csv",  "te-csv", "vpdq", "ncmec-xml", "stopncii-json",
                                  "tat-json", "md5",    "sha1", "sha256"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        lm_db_format f;
        CHECK_EQ_INT(lm_db_format_parse(names[i], &f), LM_OK);
        CHECK_EQ_STR(lm_db_format_name(f), names[i]);
    }
    lm_db_format f;
    CHECK_EQ_INT(lm_db_format_parse("meta-pdq", &f), LM_OK);
    CHECK_EQ_INT(f, LM_DB_FORMAT_PDQ_CSV);
    CHECK_EQ_INT(lm_db_format_parse("threatexchange-csv", &f), LM_OK);
    CHECK_EQ_INT(f, LM_DB_FORMAT_TE_CSV);
    CHECK_EQ_STR(lm_hash_type_name(LM_HASH_VPDQ), "vpdq");
}

static void test_hma_te(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "hma");
    hdb_lines l;
    lm_db_import_result r;
    /* Auto-detected from the header; bad lines 3 and 5 with skip_bad. */
    const char *hma = "hash,indicator_id,timestamp,tags\n" H1 ",ind-1,1700000000,\"tag a,tag b\"\n"
                      "zz,ind-2,1,\n" H2 ",ind-3,1700000001,\n" H3 ",1,2,3,4\n";
    CHECK_EQ_INT(hdb_import(db, hma, LM_DB_FORMAT_AUTO, "hma", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "3,5");
    CHECK_EQ_INT(hdb_import(db, hma, LM_DB_FORMAT_AUTO, "hma", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_HMA_CSV);
    CHECK_EQ_INT(r.added, 2);
    CHECK_EQ_INT(r.bad, 2);
    expect_export(db, "hma",
                  "hash,type,quality,label,reference\n" H1 ",pdq,,\"tag a,tag b\",ind-1\n" H2
                  ",pdq,,,ind-3\n");
    /* HMA export: hash,indicator_id,timestamp,tags. */
    lm_status st;
    char *buf = hdb_export(db, LM_DB_FORMAT_HMA_CSV, "hma", &st);
    CHECK_EQ_INT(st, LM_OK);
    const char *want = "hash,indicator_id,timestamp,tags\n" H1 ",ind-1,";
    CHECK(buf && strncmp(buf, want, strlen(want)) == 0);
    CHECK(buf && strstr(buf, ",\"tag a,tag b\"\n" H2 ",ind-3,") != NULL);
    free(buf);

    /* ThreatExchange: unsupported signal types are skipped, not bad. */
    const char *te = "signal_type,signal_str,collab,category,tags\npdq," H1
                     ",collab-a,cat-1,t1\nvideo_md5," MD5 ",collab-b,,tag-only\nurl,"
                     "http://example.invalid/,c,,\nraw_text,hello,c,,\nmd5,xyz,c,,\n";
    CHECK_EQ_INT(hdb_import(db, te, LM_DB_FORMAT_AUTO, "te", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_TE_CSV);
    CHECK_EQ_INT(r.added, 2);
    CHECK_EQ_INT(r.skipped, 2);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_SKIPPED), "4,5");
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "6");
    expect_export(db, "te",
                  "hash,type,quality,label,reference\n" H1 ",pdq,,cat-1,collab-a\n" MD5
                  ",md5,,tag-only,collab-b\n");

    /* Plain digest lists: the type is the format's. */
    CHECK_EQ_INT(hdb_import(db, SHA256 "\n" H2 "\n", LM_DB_FORMAT_SHA256, "s256", 0, &l, &r),
                 LM_OK);
    CHECK_EQ_INT(r.added, 2);
    expect_export(db, "s256",
                  "hash,type,quality,label,reference\n" SHA256 ",sha256,,,\n" H2 ",sha256,,,\n");
    CHECK_EQ_INT(hdb_import(db, SHA1 "\n" MD5 "\n", LM_DB_FORMAT_SHA1, "s1", 0, &l, &r),
                 LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "2");
    CHECK_EQ_INT(hdb_import(db, MD5 "\n", LM_DB_FORMAT_MD5, "m", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

static void test_ncmec(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "ncmec");
    hdb_lines l;
    lm_db_import_result r;
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<queryResult xmlns=\"https://hashsharing.ncmec.org/hashsharing/v2\">\n"
        "  <images count=\"3\" maxTimestamp=\"2017-10-24T15:10:00Z\">\n"
        "    <image>\n"
        "      <member id=\"42\">Example ESP</member><timestamp>2017-10-24T15:00:00Z</timestamp>\n"
        "      <id>image-1</id><classification>A1</classification>\n"
        "      <fingerprints><md5>" MD5 "</md5><sha1>" SHA1 "</sha1>\n"
        "        <pdq>" H1 "</pdq><pdna>AAAA</pdna></fingerprints>\n"
        "    </image>\n"
        "    <image><id>image-2</id><fingerprints><pdna>BBBB</pdna></fingerprints></image>\n"
        "    <image><id>image-3</id><classification>B2</classification>"
        "<fingerprints><md5>nothex</md5></fingerprints></image>\n"
        "  </images>\n"
        "  <videos><video><id>video-1</id><classification>A2</classification>"
        "<fingerprints><md5>" MD5B "</md5></fingerprints></video></videos>\n"
        "</queryResult>\n";
    CHECK_EQ_INT(hdb_import(db, xml, LM_DB_FORMAT_AUTO, "ncmec", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "11");
    CHECK_EQ_INT(hdb_import(db, xml, LM_DB_FORMAT_AUTO, "ncmec", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_NCMEC_XML);
    CHECK_EQ_INT(r.added, 4);
    CHECK_EQ_INT(r.skipped, 1);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_SKIPPED), "10");
    expect_export(db, "ncmec",
                  "hash,type,quality,label,reference\n" MD5 ",md5,,A1,image-1\n" SHA1
                  ",sha1,,A1,image-1\n" H1 ",pdq,,A1,image-1\n" MD5B ",md5,,A2,video-1\n");
    /* A delta: image-1 deleted by id (no fingerprints), video-1 by fingerprint, a new
     * image, a reclassified one, and a deletion of something never stored. */
    const char *delta =
        "<queryResult><images>\n"
        "<deletedImage><member id=\"42\">x</member><id>image-1</id></deletedImage>\n"
        "<image><id>image-4</id><classification>A1</classification>"
        "<fingerprints><pdq>" H2 "</pdq></fingerprints></image>\n"
        "<deletedImage><id>image-9</id></deletedImage>\n"
        "</images><videos>\n"
        "<deletedVideo><id>video-1</id><fingerprints><md5>" MD5B
        "</md5></fingerprints></deletedVideo>\n"
        "</videos></queryResult>\n";
    CHECK_EQ_INT(hdb_import(db, delta, LM_DB_FORMAT_NCMEC_XML, "ncmec", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    CHECK_EQ_INT(r.removed, 4);
    CHECK_EQ_INT(r.not_found, 1);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_NOT_FOUND), "4");
    expect_export(db, "ncmec", "hash,type,quality,label,reference\n" H2 ",pdq,,A1,image-4\n");
    /* Reclassification: the same hash with a new classification updates the entry. */
    const char *recl = "<queryResult><images><image><id>image-4</id><classification>B1"
                       "</classification><fingerprints><pdq>" H2 "</pdq></fingerprints></image>"
                       "</images></queryResult>";
    CHECK_EQ_INT(hdb_import(db, recl, LM_DB_FORMAT_AUTO, "ncmec", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.updated, 1);
    CHECK_EQ_INT(r.added, 0);
    expect_export(db, "ncmec", "hash,type,quality,label,reference\n" H2 ",pdq,,B1,image-4\n");

    /* Billion laughs: refused at the DOCTYPE, nothing expanded, quickly. */
    char laughs[4096];
    /* Ten levels of ten references each: 10^9 'lol's if anything expanded them. */
    size_t n = (size_t)snprintf(laughs, sizeof laughs,
                                "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                " <!ENTITY lol0 \"lol\">\n");
    for (int i = 1; i < 10; i++) {
        n += (size_t)snprintf(laughs + n, sizeof laughs - n, " <!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++)
            n += (size_t)snprintf(laughs + n, sizeof laughs - n, "&lol%d;", i - 1);
        n += (size_t)snprintf(laughs + n, sizeof laughs - n, "\">\n");
    }
    snprintf(laughs + n, sizeof laughs - n,
             "]>\n<queryResult><images><image><id>&lol9;</id><classification>&lol9;"
             "</classification><fingerprints><md5>" MD5 "</md5></fingerprints></image>"
             "</images></queryResult>\n");
    clock_t t0 = clock();
    CHECK_EQ_INT(hdb_import(db, laughs, LM_DB_FORMAT_AUTO, "ncmec", 1, &l, &r), LM_E_IMPORT);
    CHECK(clock() - t0 < CLOCKS_PER_SEC);
    /* libxml2 itself stops at the entity loop, else we stop at the DOCTYPE. */
    CHECK_EQ_INT(l.n, 1);
    CHECK(strstr(l.reason[0], "DOCTYPE") != NULL || strstr(l.reason[0], "entity") != NULL);
    /* An external entity (would read a local file) is refused the same way. */
    CHECK_EQ_INT(hdb_import(db,
                            "<?xml version=\"1.0\"?>\n<!DOCTYPE q [<!ENTITY x SYSTEM "
                            "\"file:///etc/passwd\">]>\n<q><image><id>&x;</id></image></q>\n",
                            LM_DB_FORMAT_NCMEC_XML, "ncmec", 1, &l, &r),
                 LM_E_IMPORT);
    /* Malformed XML: the line of the error. */
    CHECK_EQ_INT(hdb_import(db, "<q>\n<image>\n<id>x</id>\n</q>\n", LM_DB_FORMAT_NCMEC_XML, "ncmec",
                            1, &l, &r),
                 LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "4");
    expect_export(db, "ncmec", "hash,type,quality,label,reference\n" H2 ",pdq,,B1,image-4\n");
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

static void test_json(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "json");
    hdb_lines l;
    lm_db_import_result r;
    const char *arr =
        "[\n"
        " {\"signalType\": \"PDQ\", \"hashValue\": \"" H1 "\", \"hashStatus\": "
        "\"Active\", \"id\": \"s-1\", \"extra\": {\"nested\": [1, 2, {\"a\": null}]}},\n"
        " {\"signalType\": \"MD5\", \"hashValue\": \"" MD5 "\", \"hashStatus\": "
        "\"Active\", \"category\": \"ncii\"},\n"
        " {\"signalType\": \"PhotoDNA\", \"hashValue\": \"AAAA\"},\n"
        " {\"signalType\": \"PDQ\", \"hashValue\": \"12\"},\n"
        " 7\n"
        "]\n";
    CHECK_EQ_INT(hdb_import(db, arr, LM_DB_FORMAT_AUTO, "ncii", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "5,6");
    CHECK_EQ_INT(hdb_import(db, arr, LM_DB_FORMAT_AUTO, "ncii", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_STOPNCII_JSON);
    CHECK_EQ_INT(r.added, 2);
    CHECK_EQ_INT(r.skipped, 1);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_SKIPPED), "4");
    expect_export(db, "ncii",
                  "hash,type,quality,label,reference\n" H1 ",pdq,,,s-1\n" MD5 ",md5,,ncii,\n");
    /* JSON Lines: withdrawn and deleted remove; a syntax error costs its line only. */
    const char *jl =
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H1 "\",\"hashStatus\":\"Withdrawn\"}\n"
        "{\"signalType\":\"md5\",\"hashValue\":\"" MD5 "\",\"hashStatus\":\"DELETED\"}\n"
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H2 "\"}\n"
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H3 "\",\"hashStatus\":\"Pending\"}\n"
        "{\"signalType\": \"PDQ\" \"hashValue\"}\n";
    CHECK_EQ_INT(hdb_import(db, jl, LM_DB_FORMAT_STOPNCII_JSON, "ncii", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "4,5");
    expect_export(db, "ncii",
                  "hash,type,quality,label,reference\n" H1 ",pdq,,,s-1\n" MD5 ",md5,,ncii,\n");
    CHECK_EQ_INT(hdb_import(db, jl, LM_DB_FORMAT_STOPNCII_JSON, "ncii", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.removed, 2);
    CHECK_EQ_INT(r.added, 1);
    expect_export(db, "ncii", "hash,type,quality,label,reference\n" H2 ",pdq,,,\n");

    /* Tech Against Terrorism. */
    const char *tat = "[{\"hash_digest\":\"" SHA256 "\",\"algorithm\":\"SHA256\",\"deleted\":false,"
                      "\"id\":7},\n{\"hash_digest\":\"" MD5 "\",\"algorithm\":\"MD5\"},\n"
                      "{\"hash_digest\":\"" H2 "\",\"algorithm\":\"PDQ\",\"deleted\":\"maybe\"},\n"
                      "{\"hash_digest\":\"xx\",\"algorithm\":\"TMK\"}]";
    CHECK_EQ_INT(hdb_import(db, tat, LM_DB_FORMAT_AUTO, "tat", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_TAT_JSON);
    CHECK_EQ_INT(r.added, 2);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "3");
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_SKIPPED), "4");
    expect_export(db, "tat",
                  "hash,type,quality,label,reference\n" SHA256 ",sha256,,,7\n" MD5 ",md5,,,\n");
    const char *tat_del = "{\"hash_digest\":\"" MD5 "\",\"algorithm\":\"MD5\",\"deleted\":true}";
    CHECK_EQ_INT(hdb_import(db, tat_del, LM_DB_FORMAT_TAT_JSON, "tat", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.removed, 1);
    expect_export(db, "tat", "hash,type,quality,label,reference\n" SHA256 ",sha256,,,7\n");
    /* Hostile shapes: deep nesting, unterminated strings, huge strings. */
    char deep[400];
    memset(deep, '[', 200);
    deep[200] = '\0';
    CHECK_EQ_INT(hdb_import(db, deep, LM_DB_FORMAT_TAT_JSON, "tat", 1, &l, &r), LM_E_IMPORT);
    CHECK_EQ_INT(hdb_import(db, "[{\"hash_digest\":\"abc", LM_DB_FORMAT_TAT_JSON, "tat", 1, &l, &r),
                 LM_E_IMPORT);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

static void test_sync(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "sync");
    hdb_lines l;
    lm_db_import_result r;
    const char *first =
        "hash,type,label,reference\n" H1 ",pdq,old,r1\n" MD5 ",md5,m,r2\n" SHA1 ",sha1,s,r3\n";
    CHECK_EQ_INT(hdb_import(db, first, LM_DB_FORMAT_CSV, "L", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.added, 3);
    uint64_t ids[4];
    size_t found;
    uint8_t h[32];
    size_t hl;
    lm_hash_type t;
    CHECK_EQ_INT(lm_db_hash_parse(H1, 64, 0, &t, h, &hl, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_lookup(db, t, h, hl, ids, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 1);
    /* One import: an update (label), an unchanged duplicate, deletions (one of them
     * not held), an addition; the entry keeps its id when updated. */
    const char *delta = "[{\"signalType\":\"PDQ\",\"hashValue\":\"" H1 "\",\"category\":\"new\","
                        "\"id\":\"r1\"},\n"
                        "{\"signalType\":\"MD5\",\"hashValue\":\"" MD5 "\",\"hashStatus\":"
                        "\"Deleted\"},\n"
                        "{\"signalType\":\"SHA256\",\"hashValue\":\"" SHA256 "\",\"hashStatus\":"
                        "\"Deleted\"},\n"
                        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H2 "\"}]\n";
    CHECK_EQ_INT(hdb_import(db, delta, LM_DB_FORMAT_AUTO, "L", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.updated, 1);
    CHECK_EQ_INT(r.removed, 1);
    CHECK_EQ_INT(r.not_found, 1);
    CHECK_EQ_INT(r.added, 1);
    expect_export(db, "L",
                  "hash,type,quality,label,reference\n" H1 ",pdq,,new,r1\n" SHA1 ",sha1,,s,r3\n" H2
                  ",pdq,,,\n");
    uint64_t ids2[4];
    CHECK_EQ_INT(lm_hashdb_lookup(db, t, h, hl, ids2, 4, &found), LM_OK);
    CHECK(found == 1 && ids2[0] == ids[0]);
    /* All or nothing: a bad record leaves the deletions unapplied. */
    uint64_t g1, g2;
    CHECK_EQ_INT(lm_hashdb_generation(db, &g1), LM_OK);
    const char *bad =
        "{\"signalType\":\"SHA1\",\"hashValue\":\"" SHA1 "\",\"hashStatus\":\"Deleted\"}\n"
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H3 "x\"}\n";
    CHECK_EQ_INT(hdb_import(db, bad, LM_DB_FORMAT_AUTO, "L", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "2");
    CHECK_EQ_INT(lm_hashdb_generation(db, &g2), LM_OK);
    CHECK_EQ_INT(g1, g2);
    /* Added then deleted by the same file: nothing stored; per hash, file order. */
    const char *both =
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H3 "\"}\n"
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H3 "\",\"hashStatus\":\"Withdrawn\"}\n"
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H2 "\",\"hashStatus\":\"Withdrawn\"}\n"
        "{\"signalType\":\"PDQ\",\"hashValue\":\"" H2 "\",\"category\":\"back\"}\n";
    CHECK_EQ_INT(hdb_import(db, both, LM_DB_FORMAT_AUTO, "L", 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    CHECK_EQ_INT(r.removed, 1);
    expect_export(db, "L",
                  "hash,type,quality,label,reference\n" H1 ",pdq,,new,r1\n" SHA1 ",sha1,,s,r3\n" H2
                  ",pdq,,back,\n");
    /* Replace still empties the list first. */
    CHECK_EQ_INT(hdb_import(db, "hash,type\n" MD5 ",md5\n", LM_DB_FORMAT_CSV, "L", 0, &l, &r),
                 LM_OK);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = "L";
    o.replace = 1;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, MD5 "\n", 33, &o, &r), LM_OK);
    CHECK_EQ_INT(r.removed, 4);
    CHECK_EQ_INT(r.added, 1);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

/* Reported duplicate lines, checked against the expected ones. */
typedef struct dup_lines {
    const uint8_t *expect; /* by line: 1 when that line is a duplicate */
    size_t nlines, reported, wrong;
} dup_lines;

static void on_dup(void *ctx, uint64_t line, lm_db_line_kind kind, const char *reason)
{
    (void)reason;
    dup_lines *d = ctx;
    if (kind != LM_DB_LINE_DUPLICATE)
        return;
    d->reported++;
    if (line == 0 || line > d->nlines || !d->expect[line - 1])
        d->wrong++;
}

/*
 * The hash order (a radix sort of 32-bit key prefixes, then whole keys where prefixes tie)
 * across record chunks: 90,000 hex lines of three types, whose hashes come in groups that
 * share their first 4 to 7 bytes, every other group written a second time further on. The
 * first copy of each hash is added, in file order; every later one is a duplicate.
 */
static void test_order(const char *dir)
{
    enum { LINES = 90000 };
    static const int type_len[3] = {64, 32, 40}; /* pdq, md5, sha1 */
    uint64_t seed = 77;
    char *text = malloc((size_t)LINES * 66 + 1), *want = malloc((size_t)LINES * 66 + 1);
    uint8_t *is_dup = calloc(LINES, 1);
    char(*hex)[65] = malloc((size_t)LINES * sizeof *hex);
    size_t len = 0, wlen = 0, distinct = 0;
    for (size_t i = 0; i < LINES; i++) {
        char *h = hex[i];
        if (i % 4 == 3 && i >= 1000) { /* a line from further back, again */
            size_t j = i - 1 - (size_t)(check_rand(&seed) % 997);
            memcpy(h, hex[j], sizeof hex[j]);
            is_dup[i] = 1;
        } else {
            int t = (int)(i % 3), shared = 4 + (int)(i % 4); /* bytes shared by the group */
            uint64_t group = (i / 8) * 2654435761u;
            for (int k = 0; k < type_len[t]; k++) {
                unsigned v = k < 2 * shared ? (unsigned)(group >> (4 * (k % 8))) & 15
                                            : (unsigned)(check_rand(&seed) & 15);
                h[k] = "0123456789abcdef"[v];
            }
            h[type_len[t]] = '\0';
            wlen += (size_t)snprintf(want + wlen, 66, "%s\n", h);
            distinct++;
        }
        len += (size_t)snprintf(text + len, 66, "%s\n", h);
    }
    /* a random tail is almost surely new; a repeated one must have been seen before */
    for (size_t i = 0; i < LINES; i++)
        for (size_t j = i + 1; j < LINES && j < i + 8 && !is_dup[i]; j++)
            CHECK(is_dup[j] || strcmp(hex[i], hex[j]) != 0);
    lm_hashdb *db = hdb_create(dir, "order");
    dup_lines d = {is_dup, LINES, 0, 0};
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = LM_DB_FORMAT_HEX;
    o.on_line = on_dup;
    o.ctx = &d;
    lm_db_import_result r;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, text, len, &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, distinct);
    CHECK_EQ_INT(r.duplicates, LINES - distinct);
    CHECK_EQ_INT(d.reported, LINES - distinct);
    CHECK_EQ_INT(d.wrong, 0);
    lm_status st;
    char *got = hdb_export(db, LM_DB_FORMAT_HEX, NULL, &st);
    CHECK_EQ_INT(st, LM_OK);
    want[wlen] = '\0';
    CHECK(got && strcmp(got, want) == 0);
    free(got);
    /* a second import of the same file into the same list adds nothing */
    d.reported = 0;
    memset(is_dup, 1, LINES);
    CHECK_EQ_INT(lm_hashdb_import_memory(db, text, len, &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, 0);
    CHECK_EQ_INT(d.reported, LINES);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
    free(hex);
    free(is_dup);
    free(want);
    free(text);
}

/* A vPDQ file of n frames, frame i's hash derived from seed and i. */
static char *vpdq_text(uint64_t seed, int n)
{
    size_t cap = (size_t)n * 100 + 1, len = 0;
    char *s = malloc(cap);
    for (int i = 0; i < n; i++) {
        uint64_t st = seed * 1000003u + (uint64_t)i;
        len += (size_t)snprintf(s + len, cap - len, "%d,%d,", i, i % 7 == 3 ? 40 : 100);
        for (int k = 0; k < 4; k++)
            len += (size_t)snprintf(s + len, cap - len, "%016llx",
                                    (unsigned long long)check_rand(&st));
        len += (size_t)snprintf(s + len, cap - len, ",%d.%03d\n", i / 30, (i % 30) * 33);
    }
    s[len] = '\0';
    return s;
}

static void test_vpdq(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "vpdq");
    hdb_lines l;
    lm_db_import_result r;
    char *v1 = vpdq_text(1, 100);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = "videos";
    o.label = "known video";
    o.name = "clips/one.mp4.txt";
    o.on_line = hdb_on_line;
    o.ctx = &l;
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(lm_hashdb_import_memory(db, v1, strlen(v1), &o, &r), LM_OK);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_VPDQ); /* detected */
    CHECK_EQ_INT(r.added, 1);
    lm_entry_info info;
    CHECK_EQ_INT(lm_hashdb_get_entry(db, 1, &info), LM_OK);
    CHECK_EQ_INT(info.type, LM_HASH_VPDQ);
    CHECK_EQ_STR(info.label, "known video");
    CHECK_EQ_STR(info.reference, "clips/one.mp4.txt");
    /* The same frames again: a duplicate (the entry's hash is the frames' digest). */
    CHECK_EQ_INT(lm_hashdb_import_memory(db, v1, strlen(v1), &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, 0);
    CHECK_EQ_INT(r.duplicates, 1);
    /* Export as vPDQ gives the file back. */
    lm_db_export_opts eo;
    lm_db_export_opts_init(&eo);
    eo.format = LM_DB_FORMAT_VPDQ;
    eo.entry = 1;
    lm_status st;
    char *buf = hdb_export_with(db, &eo, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_STR(buf, v1);
    free(buf);
    /* Line formats leave videos out. */
    expect_export(db, "videos", "hash,type,quality,label,reference\n");
    lm_db_frame *fr;
    size_t nf;
    CHECK_EQ_INT(lm_hashdb_get_video(db, 1, &fr, &nf), LM_OK);
    CHECK_EQ_INT(nf, 100);
    CHECK_EQ_INT(fr[3].quality, 40);
    CHECK_EQ_INT(fr[99].ts_ms, 3 * 1000 + 9 * 33);
    /* The matcher's load: quality-filtered, unique. */
    lm_db_video_set vs;
    CHECK_EQ_INT(lm_hashdb_load_videos(db, 50, &vs), LM_OK);
    CHECK_EQ_INT(vs.videos, 1);
    CHECK_EQ_INT(vs.count, 100 - 14);
    CHECK_EQ_INT(vs.unique[0], 86);
    lm_db_video_set_free(&vs);
    /* Add through the API: the same frames are a duplicate, other frames a new entry. */
    uint64_t id = 0;
    lm_db_new_video nv = {fr, nf, "lbl", "ref", "videos"};
    CHECK_EQ_INT(lm_hashdb_add_video(db, &nv, &id), LM_E_EXISTS);
    CHECK_EQ_INT(id, 1);
    fr[0].quality = 99;
    CHECK_EQ_INT(lm_hashdb_add_video(db, &nv, &id), LM_OK);
    CHECK_EQ_INT(id, 2);
    free(fr);
    CHECK_EQ_INT(hdb_problems(db), 0);

    /* Damaged and oversized files: numbered bad lines, nothing written. */
    const char *damaged = "0,100," H1 ",0.000\n1,101," H1 ",0.033\n2,100," H2 "\n"
                          "3,100,nothex,0.1\n4,100," H3 ",-1\n";
    memset(&l, 0, sizeof l);
    o.format = LM_DB_FORMAT_VPDQ;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, damaged, strlen(damaged), &o, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "2,4,5");
    size_t big_n = LM_DB_MAX_VIDEO_FRAMES + 2;
    size_t cap = big_n * 100 + 1, bl = 0;
    char *big = malloc(cap);
    for (size_t i = 0; i < big_n; i++)
        bl += (size_t)snprintf(big + bl, cap - bl, "%zu,100," H1 ",%zu.000\n", i, i / 30);
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(lm_hashdb_import_memory(db, big, bl, &o, &r), LM_E_IMPORT);
    CHECK_EQ_INT(r.bad, 2);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_INT(l.line[0], LM_DB_MAX_VIDEO_FRAMES + 1);
    free(big);

    /* Removing a video removes its frames. */
    CHECK_EQ_INT(lm_hashdb_remove(db, 2), LM_OK);
    CHECK_EQ_INT(lm_hashdb_get_video(db, 2, &fr, &nf), LM_E_NOT_FOUND);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn), 0);
    MDB_stat ms;
    CHECK_EQ_INT(mdb_stat(txn, db->vframes, &ms), 0);
    CHECK_EQ_INT(ms.ms_entries, 1);
    mdb_txn_abort(txn);
    CHECK_EQ_INT(hdb_problems(db), 0);

    /* Verify checks the frames: a frame changed behind the entry's back is found. */
    CHECK_EQ_INT(mdb_txn_begin(db->env, NULL, 0, &txn), 0);
    uint8_t key[8];
    db_put_be64(key, 1);
    MDB_val k = {8, key}, v;
    CHECK_EQ_INT(mdb_get(txn, db->vframes, &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[DB_VFRAME_HDR] ^= 1;
    MDB_val nv2 = {v.mv_size, copy};
    CHECK_EQ_INT(mdb_put(txn, db->vframes, &k, &nv2, 0), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    free(copy);
    CHECK_EQ_INT(hdb_problems(db), 1);
    free(v1);
    lm_hashdb_close(db);
}

/* Hex hashes (the SWAR decode of import_plain.c): every length and case decodes as the
 * table of core/hex.h says, and any byte that is not a digit, at any column, fails with its
 * column. */
static void test_hex_decode(uint64_t *rng)
{
    static const char digits[] = "0123456789abcdefABCDEF";
    static const size_t lens[] = {32, 40, 64};
    for (size_t l = 0; l < 3; l++) {
        for (int trial = 0; trial < 200; trial++) {
            char hex[65];
            uint8_t want[32], got[32];
            size_t len = lens[l], got_len = 0;
            for (size_t i = 0; i < len; i++)
                hex[i] = digits[check_rand(rng) % 22];
            for (size_t i = 0; i < len / 2; i++)
                want[i] = (uint8_t)(lm_hex_digit(hex[2 * i]) << 4 | lm_hex_digit(hex[2 * i + 1]));
            lm_hash_type t;
            CHECK_EQ_INT(lm_db_hash_parse(hex, len, 0, &t, got, &got_len, NULL, 0), LM_OK);
            CHECK_EQ_INT((int)got_len, (int)len / 2);
            CHECK(memcmp(got, want, len / 2) == 0);
            /* one byte that is not a digit, anywhere */
            size_t col = check_rand(rng) % len;
            int c;
            do
                c = (int)(check_rand(rng) % 256);
            while (lm_hex_digit((char)c) >= 0);
            hex[col] = (char)c;
            char why[160], expect[80];
            CHECK_EQ_INT(lm_db_hash_parse(hex, len, 0, &t, got, &got_len, why, sizeof why),
                         LM_E_PARSE);
            snprintf(expect, sizeof expect, "not a hexadecimal digit at column %zu of the hash",
                     col + 1);
            CHECK_EQ_STR(why, expect);
        }
    }
    /* every byte value at every column of a PDQ hash */
    char hex[64];
    for (int col = 0; col < 64; col++)
        for (int c = 0; c < 256; c++) {
            memset(hex, '7', sizeof hex);
            hex[col] = (char)c;
            lm_hash_type t;
            uint8_t got[32];
            size_t got_len;
            int ok = lm_db_hash_parse(hex, 64, 0, &t, got, &got_len, NULL, 0) == LM_OK;
            CHECK_EQ_INT(ok, lm_hex_digit((char)c) >= 0);
            if (ok)
                CHECK_EQ_INT(got[col / 2] >> (col % 2 ? 0 : 4) & 15, lm_hex_digit((char)c));
        }
}

int main(void)
{
    uint64_t rng = check_test_seed(8);
    char *dir = scratch_dir("imports");
    if (!dir)
        return 1;
    test_names();
    test_hex_decode(&rng);
    test_hma_te(dir);
    test_ncmec(dir);
    test_json(dir);
    test_sync(dir);
    test_order(dir);
    test_vpdq(dir);
    scratch_remove(dir);
    free(dir);
    return check_report("test_import_formats");
}
