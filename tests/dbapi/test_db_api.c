/*
 * List management through the public API only (libmatch.h, linked against the
 * shared library, as a partner's program or `pmatch serve` would): open and
 * its errors, import of every format, export round trips, add and remove,
 * disable, list attributes, stats, verify, a matcher on the open handle, and a
 * kill during an import (the list is unchanged). Every input is made here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "libmatch.h"
#include "list_hashes.h"
#include "scratch.h"
#include "synth.h"

static char *dir; /* the scratch directory of every database here */

static void db_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static lm_db *create(const char *name)
{
    char path[600];
    db_path(path, sizeof path, name);
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_db_open(path, LM_DB_CREATE, &db), LM_OK);
    return db;
}

static lm_status import_text(lm_db *db, const char *text, lm_db_format f, const char *list,
                             lm_db_import_result *r)
{
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = f;
    o.list = list;
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return lm_db_import_memory(db, text, strlen(text), &o, r);
}

/* The export as a malloc'ed string ("" on failure, with *st set). */
static char *export_text(lm_db *db, lm_db_format f, const char *list, uint64_t entry, lm_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lm_db_export_opts o;
    lm_db_export_opts_init(&o);
    o.format = f;
    o.list = list;
    o.entry = entry;
    *st = m ? lm_db_export(db, m, &o, NULL) : LM_E_NOMEM;
    if (m)
        fclose(m);
    return buf ? buf : strdup("");
}

static void expect_csv(lm_db *db, const char *list, const char *want)
{
    lm_status st;
    char *got = export_text(db, LM_DB_FORMAT_CSV, list, 0, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_STR(got, want);
    free(got);
}

static void verify_ok(lm_db *db)
{
    uint64_t problems = 99;
    CHECK_EQ_INT(lm_db_verify(db, NULL, NULL, &problems), LM_OK);
    CHECK_EQ_INT(problems, 0);
}

static void test_open_errors(void)
{
    char path[600];
    db_path(path, sizeof path, "missing");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_db_open(path, LM_DB_READONLY, &db), LM_E_NOT_FOUND);
    CHECK(db != NULL); /* a failed handle: it holds the error */
    CHECK(strstr(lm_db_last_error(db), "no hash-list database") != NULL);
    CHECK(strstr(lm_db_last_error(db), "pmatch") == NULL); /* no front end's words */
    CHECK_EQ_INT(lm_db_last_hint(db), LM_DB_HINT_CREATE);
    uint64_t g;
    CHECK_EQ_INT(lm_db_generation(db, &g), LM_E_INVALID_ARG);
    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open_db(db, 0, &m), LM_E_INVALID_ARG);
    CHECK(m == NULL);
    lm_db_close(db);
    lm_db_close(NULL);
    CHECK(*lm_db_last_error(NULL) != '\0');
    CHECK_EQ_INT(lm_db_open(NULL, 0, &db), LM_E_INVALID_ARG);
    CHECK(db == NULL);
    CHECK_EQ_INT(lm_db_open(path, LM_DB_EXCLUSIVE, &db), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_db_open(path, 64, &db), LM_E_INVALID_ARG);

    CHECK_EQ_INT(lm_db_open(path, LM_DB_CREATE | LM_DB_EXCLUSIVE, &db), LM_OK);
    lm_db_close(db);
    CHECK_EQ_INT(lm_db_open(path, LM_DB_CREATE | LM_DB_EXCLUSIVE, &db), LM_E_EXISTS);
    lm_db_close(db);
    CHECK_EQ_INT(lm_db_open(path, LM_DB_READONLY | LM_DB_CHECK, &db), LM_OK);
    lm_db_import_result r;
    CHECK_EQ_INT(import_text(db, H1 "\n", LM_DB_FORMAT_HEX, "x", &r), LM_E_INVALID_ARG);
    CHECK(strstr(lm_db_last_error(db), "read-only") != NULL);
    lm_db_close(db);
}

/* Every format, each into its own list; the CSV export shows what was stored. */
static void test_import_formats(void)
{
    lm_db *db = create("formats");
    lm_db_import_result r;
    static const struct {
        lm_db_format format;
        const char *list, *text, *csv;
        uint64_t added;
    } cases[] = {
        {LM_DB_FORMAT_HEX, "hex", H1 "\n# comment\n\n" MD5 "\n",
         CSV_HEAD H1 ",pdq,,,\n" MD5 ",md5,,,\n", 2},
        {LM_DB_FORMAT_PDQ_CSV, "pdq-csv", H1 ",100,a.jpg\n" H2 ",49,b.jpg\n",
         CSV_HEAD H1 ",pdq,100,,a.jpg\n" H2 ",pdq,49,,b.jpg\n", 2},
        {LM_DB_FORMAT_CSV, "csv", "reference,hash,label\nr1," H1 ",cat\nr2," SHA1 ",\n",
         CSV_HEAD H1 ",pdq,,cat,r1\n" SHA1 ",sha1,,,r2\n", 2},
        {LM_DB_FORMAT_TSV, "tsv", "hash\ttype\tquality\n" SHA256 "\tsha256\t\n" H3 "\tpdq\t77\n",
         CSV_HEAD SHA256 ",sha256,,,\n" H3 ",pdq,77,,\n", 2},
        {LM_DB_FORMAT_HMA_CSV, "hma",
         "hash,indicator_id,timestamp,tags\n" H1 ",ind-1,1700000000,t\n",
         CSV_HEAD H1 ",pdq,,t,ind-1\n", 1},
        {LM_DB_FORMAT_TE_CSV, "te",
         "signal_type,signal_str,collab,category,tags\npdq," H1 ",collab-a,cat-1,t1\nurl,x,c,,\n",
         CSV_HEAD H1 ",pdq,,cat-1,collab-a\n", 1},
        {LM_DB_FORMAT_NCMEC_XML, "ncmec",
         "<?xml version=\"1.0\"?>\n<queryResult><images><image><id>image-1</id>"
         "<classification>A1</classification><fingerprints><md5>" MD5 "</md5><pdq>" H1
         "</pdq></fingerprints></image></images></queryResult>\n",
         CSV_HEAD MD5 ",md5,,A1,image-1\n" H1 ",pdq,,A1,image-1\n", 2},
        {LM_DB_FORMAT_STOPNCII_JSON, "ncii",
         "[{\"signalType\": \"PDQ\", \"hashValue\": \"" H2 "\", \"hashStatus\": \"Active\", "
         "\"id\": \"s-1\"}]\n",
         CSV_HEAD H2 ",pdq,,,s-1\n", 1},
        {LM_DB_FORMAT_TAT_JSON, "tat",
         "[{\"hash_digest\":\"" SHA256 "\",\"algorithm\":\"SHA256\",\"deleted\":false,\"id\":7}]",
         CSV_HEAD SHA256 ",sha256,,,7\n", 1},
        {LM_DB_FORMAT_MD5, "md5", MD5 "\n" MD5B "\n", CSV_HEAD MD5 ",md5,,,\n" MD5B ",md5,,,\n", 2},
        {LM_DB_FORMAT_SHA1, "sha1", SHA1 "\n", CSV_HEAD SHA1 ",sha1,,,\n", 1},
        {LM_DB_FORMAT_SHA256, "sha256", SHA256 "\n", CSV_HEAD SHA256 ",sha256,,,\n", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(import_text(db, cases[i].text, cases[i].format, cases[i].list, &r), LM_OK);
        CHECK_EQ_INT(r.added, cases[i].added);
        /* Plain digest lists are read as hex lists of their type. */
        CHECK_EQ_INT(r.format,
                     cases[i].format >= LM_DB_FORMAT_MD5 ? LM_DB_FORMAT_HEX : cases[i].format);
        CHECK_EQ_INT(r.bad, 0);
        expect_csv(db, cases[i].list, cases[i].csv);
        /* The same input detected from its content, where the format has a signature. */
        if (cases[i].format != LM_DB_FORMAT_MD5 && cases[i].format != LM_DB_FORMAT_SHA1 &&
            cases[i].format != LM_DB_FORMAT_SHA256) {
            char auto_list[64];
            snprintf(auto_list, sizeof auto_list, "auto-%s", cases[i].list);
            CHECK_EQ_INT(import_text(db, cases[i].text, LM_DB_FORMAT_AUTO, auto_list, &r), LM_OK);
            CHECK_EQ_INT(r.format, cases[i].format);
            CHECK_EQ_INT(r.added, cases[i].added);
        }
    }
    /* vpdq: one file is one video entry, with its frames. */
    const char *vpdq = "0,100," H1 ",0.000\n1,100," H2 ",0.033\n2,90," H3 ",0.067\n";
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = LM_DB_FORMAT_VPDQ;
    o.list = "videos";
    o.label = "v-label";
    o.reference = "v-ref";
    r.struct_size = sizeof r;
    CHECK_EQ_INT(lm_db_import_memory(db, vpdq, strlen(vpdq), &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    lm_db_stats s = {.struct_size = sizeof s};
    CHECK_EQ_INT(lm_db_get_stats(db, &s), LM_OK);
    CHECK_EQ_INT(s.by_type[LM_HASH_VPDQ], 1);
    lm_db_stats_free(&s);
    verify_ok(db);

    /* From a path and from a stream. */
    char file[600];
    db_path(file, sizeof file, "list.txt");
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(H3 "\n", f);
        fclose(f);
    }
    r.struct_size = sizeof r;
    lm_db_import_opts_init(&o);
    o.list = "from-path";
    CHECK_EQ_INT(lm_db_import_path(db, file, &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    f = fopen(file, "r");
    o.list = "from-stream";
    CHECK_EQ_INT(lm_db_import_stream(db, f, &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    if (f)
        fclose(f);
    CHECK_EQ_INT(lm_db_import_path(db, "/nonexistent/list", &o, &r), LM_E_NOT_FOUND);

    /* Errors: bad lines are all or nothing, with a hint; a format/type mismatch. */
    uint64_t g0, g1;
    CHECK_EQ_INT(lm_db_generation(db, &g0), LM_OK);
    CHECK_EQ_INT(import_text(db, H1 "\nzz\n", LM_DB_FORMAT_HEX, "bad", &r), LM_E_IMPORT);
    CHECK_EQ_INT(r.bad, 1);
    CHECK_EQ_INT(r.added, 0);
    CHECK_EQ_INT(lm_db_last_hint(db), LM_DB_HINT_SKIP_BAD);
    CHECK(strstr(lm_db_last_error(db), "skip") == NULL);
    CHECK_EQ_INT(lm_db_generation(db, &g1), LM_OK);
    CHECK_EQ_INT(g1, g0);
    lm_db_import_opts_init(&o);
    o.format = LM_DB_FORMAT_MD5;
    o.type = LM_HASH_SHA1;
    CHECK_EQ_INT(lm_db_import_memory(db, MD5 "\n", 33, &o, &r), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_db_last_hint(db), LM_DB_HINT_FORMAT);
    /* An unset result size is refused before anything is read. */
    lm_db_import_result bad_r = {0};
    CHECK_EQ_INT(lm_db_import_memory(db, H1, 64, NULL, &bad_r), LM_E_INVALID_ARG);
    /* An older, shorter result struct is written no further than its size. */
    unsigned char small[sizeof(lm_db_import_result) + 8];
    memset(small, 0xab, sizeof small);
    lm_db_import_result *sr = (lm_db_import_result *)(void *)small;
    size_t part = offsetof(lm_db_import_result, added) + sizeof(uint64_t);
    sr->struct_size = (uint32_t)part;
    lm_db_import_opts_init(&o);
    o.list = "short-result";
    CHECK_EQ_INT(lm_db_import_memory(db, H2 "\n", 65, &o, sr), LM_OK);
    CHECK_EQ_INT(sr->added, 1);
    CHECK_EQ_INT(small[part], 0xab);
    lm_db_close(db);
}

/* Export, import what was exported into an empty list, export again: the same bytes. */
static void test_round_trips(void)
{
    lm_db *db = create("round");
    lm_db_import_result r;
    const char *csv = CSV_HEAD H1 ",pdq,100,\"a, label\",ref-1\n" H2 ",pdq,,,\n" MD5
                                  ",md5,,m,\n" SHA1 ",sha1,,,s\n" SHA256 ",sha256,,,\n";
    CHECK_EQ_INT(import_text(db, csv, LM_DB_FORMAT_CSV, "src", &r), LM_OK);
    CHECK_EQ_INT(r.added, 5);
    static const lm_db_format formats[] = {
        LM_DB_FORMAT_CSV, LM_DB_FORMAT_TSV,  LM_DB_FORMAT_HEX,    LM_DB_FORMAT_PDQ_CSV,
        LM_DB_FORMAT_MD5, LM_DB_FORMAT_SHA1, LM_DB_FORMAT_SHA256, LM_DB_FORMAT_HMA_CSV};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        lm_status st;
        char *first = export_text(db, formats[i], "src", 0, &st);
        CHECK_EQ_INT(st, LM_OK);
        CHECK(*first != '\0');
        char list[32];
        snprintf(list, sizeof list, "copy-%s", lm_db_format_name(formats[i]));
        CHECK_EQ_INT(import_text(db, first, formats[i], list, &r), LM_OK);
        char *second = export_text(db, formats[i], list, 0, &st);
        CHECK_EQ_INT(st, LM_OK);
        if (formats[i] != LM_DB_FORMAT_HMA_CSV) /* hma-csv carries the time added */
            CHECK_EQ_STR(second, first);
        else
            CHECK_EQ_INT(strlen(second), strlen(first));
        free(first);
        free(second);
    }
    /* vPDQ: one video entry's frames, exported and imported again. */
    const char *vpdq = "0,100," H1 ",0.000\n1,100," H2 ",0.033\n2,90," H3 ",0.067\n";
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = LM_DB_FORMAT_VPDQ;
    o.list = "v1";
    r.struct_size = sizeof r;
    CHECK_EQ_INT(lm_db_import_memory(db, vpdq, strlen(vpdq), &o, &r), LM_OK);
    size_t nl = 0;
    CHECK_EQ_INT(lm_db_lists(db, NULL, 0, &nl), LM_OK);
    lm_db_list_info *lists = calloc(nl, sizeof *lists);
    CHECK_EQ_INT(lm_db_lists(db, lists, nl, &nl), LM_OK);
    CHECK_EQ_STR(lists[nl - 1].name, "v1");
    free(lists);
    /* The video entry's id: the newest entry. */
    lm_db_stats s = {.struct_size = sizeof s};
    CHECK_EQ_INT(lm_db_get_stats(db, &s), LM_OK);
    uint64_t vid = 0;
    for (uint64_t id = 1; id <= s.entries + 64 && !vid; id++) {
        lm_entry_info e;
        if (lm_db_entry(db, id, &e, NULL) == LM_OK && e.type == LM_HASH_VPDQ)
            vid = id;
    }
    lm_db_stats_free(&s);
    CHECK(vid != 0);
    lm_status st;
    char *frames = export_text(db, LM_DB_FORMAT_VPDQ, NULL, vid, &st);
    CHECK_EQ_INT(st, LM_OK);
    o.list = "v2";
    CHECK_EQ_INT(lm_db_import_memory(db, frames, strlen(frames), &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, 1);
    char *again = export_text(db, LM_DB_FORMAT_VPDQ, NULL, vid + 1, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_STR(again, frames);
    free(frames);
    free(again);
    char *none = export_text(db, LM_DB_FORMAT_CSV, "no-such-list", 0, &st);
    CHECK_EQ_INT(st, LM_E_NOT_FOUND);
    free(none);
    verify_ok(db);
    lm_db_close(db);
}

static void test_entries_and_attrs(void)
{
    lm_db *db = create("entries");
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = "mine";
    o.label = "lab";
    o.reference = "ref";
    uint64_t id = 0, id2 = 0, id3 = 0;
    CHECK_EQ_INT(lm_db_add_hash(db, H1, 64, 0, 90, &o, &id), LM_OK);
    CHECK(id > 0);
    CHECK_EQ_INT(lm_db_add_hash(db, H1, 64, LM_HASH_PDQ, 90, &o, &id2), LM_E_EXISTS);
    CHECK_EQ_INT(id2, id);
    CHECK_EQ_INT(lm_db_add_hash(db, MD5, 32, 0, -1, NULL, &id3), LM_OK); /* list "manual" */
    CHECK_EQ_INT(lm_db_add_hash(db, "12zz", 4, 0, -1, &o, &id2), LM_E_PARSE);
    CHECK(*lm_db_last_error(db) != '\0');
    CHECK_EQ_INT(lm_db_add_hash(db, H2, 64, 0, 101, &o, &id2), LM_E_INVALID_ARG);
    lm_entry_info e;
    size_t comp = 9;
    CHECK_EQ_INT(lm_db_entry(db, id, &e, &comp), LM_OK);
    CHECK_EQ_STR(e.hash_hex, H1);
    CHECK_EQ_STR(e.list, "mine");
    CHECK_EQ_STR(e.label, "lab");
    CHECK_EQ_STR(e.reference, "ref");
    CHECK_EQ_INT(e.quality, 90);
    CHECK_EQ_INT(comp, 0);
    CHECK_EQ_INT(lm_db_entry(db, id3, &e, NULL), LM_OK);
    CHECK_EQ_STR(e.list, "manual");

    /* A matcher on the open handle sees the entry; disabling it takes effect at once. */
    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open_db(db, LM_MATCHER_WRITABLE, &m), LM_OK);
    CHECK_EQ_INT(lm_matcher_size(m), 1);
    lm_pdq_hash q;
    CHECK_EQ_INT(lm_pdq_from_hex(H1, 64, &q), LM_OK);
    lm_match found[4];
    size_t nfound = 0;
    CHECK_EQ_INT(lm_match_pdq(m, &q, -1, NULL, found, 4, &nfound), LM_OK);
    CHECK_EQ_INT(nfound, 1);
    size_t changed = 0;
    CHECK_EQ_INT(lm_db_set_disabled(db, &id, 1, 1, &changed), LM_OK);
    CHECK_EQ_INT(changed, 1);
    CHECK_EQ_INT(lm_match_pdq(m, &q, -1, NULL, found, 4, &nfound), LM_OK);
    CHECK_EQ_INT(nfound, 0);
    uint64_t nope = 999999;
    CHECK_EQ_INT(lm_db_set_disabled(db, &nope, 1, 1, &changed), LM_E_NOT_FOUND);
    lm_db_stats s = {.struct_size = sizeof s};
    CHECK_EQ_INT(lm_db_get_stats(db, &s), LM_OK);
    CHECK_EQ_INT(s.entries, 2);
    CHECK_EQ_INT(s.disabled, 1);
    CHECK_EQ_INT(s.by_type[LM_HASH_PDQ], 1);
    CHECK_EQ_INT(s.by_type[LM_HASH_MD5], 1);
    CHECK_EQ_INT(s.list_count, 2);
    CHECK_EQ_INT(s.quality_hist[9], 1);
    lm_db_stats_free(&s);
    CHECK(s.lists == NULL);
    lm_db_stats unsized = {0};
    CHECK_EQ_INT(lm_db_get_stats(db, &unsized), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_db_set_disabled(db, &id, 1, 0, &changed), LM_OK);
    CHECK_EQ_INT(lm_match_pdq(m, &q, -1, NULL, found, 4, &nfound), LM_OK);
    CHECK_EQ_INT(nfound, 1);

    /* List attributes: distance, kind, enabled. */
    lm_db_list_attrs a = {.distance = 0, .enabled = 1, .kind = LM_DB_LIST_NEGATIVE};
    CHECK_EQ_INT(lm_db_set_list_attrs(db, "mine", &a, LM_DB_ATTR_DISTANCE | LM_DB_ATTR_KIND),
                 LM_OK);
    CHECK_EQ_INT(lm_db_set_list_attrs(db, "nosuch", &a, LM_DB_ATTR_KIND), LM_E_NOT_FOUND);
    a.distance = 300;
    CHECK_EQ_INT(lm_db_set_list_attrs(db, "mine", &a, LM_DB_ATTR_DISTANCE), LM_E_INVALID_ARG);
    lm_db_list_attrs got;
    CHECK_EQ_INT(lm_db_get_list_attrs(db, 1 /* "mine" */, &got), LM_OK);
    CHECK_EQ_INT(got.distance, 0);
    CHECK_EQ_INT(got.kind, LM_DB_LIST_NEGATIVE);
    CHECK_EQ_INT(got.enabled, 1);
    a.enabled = 0;
    CHECK_EQ_INT(lm_db_set_list_attrs(db, "mine", &a, LM_DB_ATTR_ENABLED), LM_OK);
    CHECK_EQ_INT(lm_db_get_list_attrs(db, 1, &got), LM_OK);
    CHECK_EQ_INT(got.enabled, 0);
    CHECK_EQ_INT(lm_match_pdq(m, &q, -1, NULL, found, 4, &nfound), LM_OK);
    CHECK_EQ_INT(nfound, 0); /* a disabled list never matches */
    lm_db_list_kind k;
    CHECK_EQ_INT(lm_db_list_kind_parse("negative", &k), LM_OK);
    CHECK_EQ_INT(k, LM_DB_LIST_NEGATIVE);
    CHECK_EQ_STR(lm_db_list_kind_name(LM_DB_LIST_NORMAL), "normal");
    lm_matcher_close(m);

    /* Remove by id and by hash. */
    CHECK_EQ_INT(lm_db_remove(db, id), LM_OK);
    CHECK_EQ_INT(lm_db_remove(db, id), LM_E_NOT_FOUND);
    CHECK_EQ_INT(lm_db_entry(db, id, &e, NULL), LM_E_NOT_FOUND);
    size_t removed = 9;
    CHECK_EQ_INT(lm_db_remove_hash(db, MD5, 32, LM_HASH_MD5, "mine", &removed), LM_E_NOT_FOUND);
    CHECK_EQ_INT(removed, 0);
    CHECK_EQ_INT(lm_db_remove_hash(db, MD5, 32, 0, NULL, &removed), LM_OK);
    CHECK_EQ_INT(removed, 1);
    CHECK_EQ_INT(lm_db_remove_hash(db, "xyz", 3, 0, NULL, &removed), LM_E_PARSE);
    lm_hash_type t;
    CHECK_EQ_INT(lm_hash_type_parse("SHA-256", &t), LM_OK);
    CHECK_EQ_INT(t, LM_HASH_SHA256);
    CHECK_EQ_INT(lm_hash_type_parse("crc", &t), LM_E_PARSE);

    /* Hit counters flushed by a matcher on the handle, read back as a report. */
    CHECK_EQ_INT(lm_db_add_hash(db, H3, 64, 0, 100, NULL, &id), LM_OK);
    CHECK_EQ_INT(lm_matcher_open_db(db, LM_MATCHER_WRITABLE, &m), LM_OK);
    CHECK_EQ_INT(lm_pdq_from_hex(H3, 64, &q), LM_OK);
    CHECK_EQ_INT(lm_match_pdq(m, &q, -1, NULL, found, 4, &nfound), LM_OK);
    CHECK_EQ_INT(nfound, 1);
    size_t flushed = 0;
    CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed), LM_OK);
    CHECK_EQ_INT(flushed, 1);
    lm_matcher_close(m);
    lm_db_flood_opts fo;
    lm_db_flood_opts_init(&fo);
    lm_db_hit_row *rows = NULL;
    size_t nrows = 0;
    CHECK_EQ_INT(lm_db_hit_report(db, &fo, &rows, &nrows), LM_OK);
    CHECK_EQ_INT(nrows, 1);
    if (nrows == 1) {
        CHECK_EQ_INT(rows[0].entry_id, id);
        CHECK_EQ_INT(rows[0].total, 1);
    }
    lm_db_hit_rows_free(rows);
    verify_ok(db);
    lm_db_close(db);
}

/* Paged listing of a list's entries (interleaved with another list's) and deleting a list. */
static void test_list_pages_and_delete(void)
{
    lm_db *db = create("pages");
    lm_db_import_result r;
    char text[8192], other[8192];
    size_t tl = 0, ol = 0;
    for (int i = 0; i < 25; i++) {
        tl += (size_t)snprintf(text + tl, sizeof text - tl, "%032x\n", 0x1000 + i);
        ol += (size_t)snprintf(other + ol, sizeof other - ol, "%032x\n", 0x2000 + i);
    }
    /* a, b, a: ids of list "a" are not contiguous */
    CHECK_EQ_INT(import_text(db, text, LM_DB_FORMAT_MD5, "a", &r), LM_OK);
    CHECK_EQ_INT(import_text(db, other, LM_DB_FORMAT_MD5, "b", &r), LM_OK);
    CHECK_EQ_INT(import_text(db, "00000000000000000000000000009999\n", LM_DB_FORMAT_MD5, "a", &r),
                 LM_OK);
    lm_entry_info page[10];
    size_t n = 0, total = 0;
    uint64_t after = 0, next = 0, last = 0;
    int pages = 0;
    do {
        CHECK_EQ_INT(lm_db_list_entries(db, "a", after, page, 10, &n, &next), LM_OK);
        for (size_t i = 0; i < n; i++) {
            CHECK(strcmp(page[i].list, "a") == 0);
            CHECK(page[i].id > last);
            last = page[i].id;
        }
        total += n;
        after = next;
        pages++;
    } while (next && pages < 10);
    CHECK_EQ_INT(total, 26);
    CHECK_EQ_INT(pages, 3);
    CHECK(strcmp(page[n - 1].hash_hex, "00000000000000000000000000009999") == 0);
    CHECK_EQ_INT(lm_db_list_entries(db, NULL, 0, page, 10, &n, &next), LM_OK);
    CHECK_EQ_INT(n, 10);
    CHECK(next == page[9].id);
    CHECK_EQ_INT(lm_db_list_entries(db, "nope", 0, page, 10, &n, &next), LM_E_NOT_FOUND);
    CHECK_EQ_INT(lm_db_list_entries(db, "a", 0, page, 0, &n, &next), LM_E_INVALID_ARG);
    /* delete "b": its entries and record go, "a" stays whole */
    uint64_t removed = 0;
    CHECK_EQ_INT(lm_db_delete_list(db, "b", &removed), LM_OK);
    CHECK_EQ_INT(removed, 25);
    CHECK_EQ_INT(lm_db_delete_list(db, "b", &removed), LM_E_NOT_FOUND);
    size_t count = 0;
    lm_db_list_info lists[4];
    CHECK_EQ_INT(lm_db_lists(db, lists, 4, &count), LM_OK);
    CHECK_EQ_INT(count, 1);
    CHECK(strcmp(lists[0].name, "a") == 0 && lists[0].entries == 26);
    size_t found = 9;
    CHECK_EQ_INT(
        lm_db_remove_hash(db, "00000000000000000000000000002000", 32, LM_HASH_MD5, NULL, &found),
        LM_E_NOT_FOUND);
    verify_ok(db);
    /* a new list of the same name starts empty */
    CHECK_EQ_INT(import_text(db, "00000000000000000000000000002000\n", LM_DB_FORMAT_MD5, "b", &r),
                 LM_OK);
    CHECK_EQ_INT(lm_db_list_entries(db, "b", 0, page, 10, &n, &next), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK(next == 0);
    lm_db_close(db);
}

static void test_add_image(void)
{
    lm_db *db = create("images");
    synth_image img;
    uint8_t *jpg = NULL;
    size_t len = 0;
    CHECK_EQ_INT(synth_make(&img, 320, 240, 7), 0);
    CHECK_EQ_INT(synth_encode_jpeg(&img, 90, &jpg, &len), 0);
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = "img";
    uint64_t id = 0, id2 = 0;
    CHECK_EQ_INT(lm_db_add_image(db, jpg, len, &o, &id), LM_OK);
    CHECK(id > 0);
    CHECK_EQ_INT(lm_db_add_image(db, jpg, len, &o, &id2), LM_E_EXISTS);
    CHECK_EQ_INT(id2, id);
    lm_entry_info e;
    size_t comp = 0;
    CHECK_EQ_INT(lm_db_entry(db, id, &e, &comp), LM_OK);
    CHECK(comp >= 18);
    /* The stored hash is the image's exact (reference) hash. */
    lm_hasher *h = lm_hasher_create();
    lm_image_hash ih;
    CHECK_EQ_INT(lm_hash_memory(h, jpg, len, &ih), LM_OK);
    char hex[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&ih.pdq, hex);
    CHECK_EQ_STR(e.hash_hex, hex);
    lm_hasher_destroy(h);
    /* From a file, and errors with their detail on the handle. */
    char file[600];
    db_path(file, sizeof file, "img.jpg");
    FILE *f = fopen(file, "wb");
    if (f) {
        fwrite(jpg, 1, len, f);
        fclose(f);
    }
    o.list = "img2";
    CHECK_EQ_INT(lm_db_add_image_file(db, file, &o, &id2), LM_OK);
    CHECK(id2 > id);
    CHECK_EQ_INT(lm_db_add_image_file(db, "/nonexistent.jpg", &o, &id2), LM_E_IO);
    CHECK(strstr(lm_db_last_error(db), "/nonexistent.jpg") != NULL);
    CHECK_EQ_INT(lm_db_add_image(db, "not an image at all", 19, &o, &id2), LM_E_FORMAT);
    CHECK_EQ_INT(lm_db_last_hint(db), LM_DB_HINT_NONE);
    free(jpg);
    synth_free(&img);
    verify_ok(db);
    lm_db_close(db);
}

/* Random PDQ hex lines, from a fixed seed. */
static char *random_hex_list(uint64_t *seed, size_t n)
{
    char *s = malloc(n * 65 + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 64; k += 16) {
            uint64_t v = check_rand(seed);
            for (int j = 0; j < 16; j++)
                s[i * 65 + (size_t)k + (size_t)j] = "0123456789abcdef"[(v >> (4 * j)) & 15];
        }
        s[i * 65 + 64] = '\n';
    }
    s[n * 65] = '\0';
    return s;
}

static char *export_hex(const char *path)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_db_open(path, LM_DB_READONLY | LM_DB_CHECK, &db), LM_OK);
    lm_status st;
    char *s = export_text(db, LM_DB_FORMAT_HEX, "L", 0, &st);
    CHECK_EQ_INT(st, LM_OK);
    verify_ok(db);
    lm_db_close(db);
    return s;
}

typedef struct kill_ctx {
    int fd;
    int told;
} kill_ctx;

/* The child tells the parent when parsing reached the last (bad) line. */
static void tell_parent(void *ctx, uint64_t line, lm_db_line_kind kind, const char *reason)
{
    (void)line, (void)kind, (void)reason;
    kill_ctx *k = ctx;
    if (!k->told++) {
        ssize_t w = write(k->fd, "x", 1);
        (void)w;
    }
}

/*
 * A child replaces the list with a large one and is SIGKILLed once it has
 * parsed the input (while it writes the transaction), after growing delays;
 * the list is then as before, or wholly the new one, and verifies clean.
 */
static void test_kill_during_import(void)
{
    uint64_t seed = check_test_seed(0x15);
    char path[600];
    db_path(path, sizeof path, "kill");
    char *old = random_hex_list(&seed, 500);
    char *big = random_hex_list(&seed, 40000);
    size_t biglen = strlen(big);
    char *input = malloc(biglen + 8);
    memcpy(input, big, biglen);
    memcpy(input + biglen, "zz\n", 4); /* a bad last line: the child's signal */
    lm_db *db = create("kill");
    lm_db_import_result r;
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = "L";
    o.format = LM_DB_FORMAT_HEX;
    r.struct_size = sizeof r;
    CHECK_EQ_INT(lm_db_import_memory(db, old, strlen(old), &o, &r), LM_OK);
    lm_db_close(db); /* the children open their own handle: one per process */
    char *before = export_hex(path);

    static const long delays_us[] = {0, 0, 1000, 5000, 20000, -1 /* no kill: completes */};
    int unchanged = 0, replaced = 0;
    for (size_t t = 0; t < sizeof delays_us / sizeof delays_us[0]; t++) {
        int fds[2];
        CHECK_EQ_INT(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            lm_db *cdb = NULL;
            if (lm_db_open(path, LM_DB_WRITE, &cdb) != LM_OK)
                _exit(3);
            kill_ctx k = {fds[1], 0};
            lm_db_import_opts co = o;
            co.replace = 1;
            co.skip_bad = 1;
            co.on_line = tell_parent;
            co.ctx = &k;
            lm_status st = lm_db_import_memory(cdb, input, biglen + 3, &co, NULL);
            lm_db_close(cdb);
            _exit(st == LM_OK ? 0 : 4);
        }
        close(fds[1]);
        char c;
        ssize_t got = read(fds[0], &c, 1); /* parsing is done */
        CHECK_EQ_INT(got, 1);
        if (delays_us[t] >= 0) {
            struct timespec d = {delays_us[t] / 1000000, (delays_us[t] % 1000000) * 1000};
            nanosleep(&d, NULL);
            kill(pid, SIGKILL);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        close(fds[0]);
        char *now = export_hex(path);
        if (strcmp(now, before) == 0) {
            unchanged++;
        } else if (strlen(now) == biglen) {
            replaced++;
            free(before);
            before = strdup(now); /* the next trial starts from the new list */
        } else {
            fprintf(stderr, "trial %zu (kill after %ld us): the list is neither old nor new\n", t,
                    delays_us[t]);
            CHECK(0);
        }
        free(now);
        /* Alternate inputs so that a completed import changes the list each time. */
        char *next = random_hex_list(&seed, 40000);
        memcpy(input, next, biglen);
        free(next);
    }
    printf("kill during import: %d unchanged, %d replaced\n", unchanged, replaced);
    CHECK(unchanged >= 1); /* the kills right after parsing land inside the import */
    CHECK(replaced >= 1);  /* and the import that ran to its end replaced the list */
    free(before);
    free(old);
    free(big);
    free(input);
}

int main(void)
{
    dir = scratch_dir("dbapi");
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    test_open_errors();
    test_import_formats();
    test_round_trips();
    test_entries_and_attrs();
    test_list_pages_and_delete();
    test_add_image();
    test_kill_during_import();
    scratch_remove(dir);
    free(dir);
    return check_report("test_db_api");
}
