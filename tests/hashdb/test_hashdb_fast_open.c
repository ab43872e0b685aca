/*
 * The open without LM_DB_CHECK, writable too (issues 16, 19): it checks the meta pages, the
 * table directory and the meta table only; each read checks the pages it visits; the first
 * write checks every page before it writes. On one list of several pages per table:
 *  1. intact: a writable open checks a few pages; reads answer; the first write checks every
 *     page once, the next ones none; what was written is there after a full check;
 *  2. one leaf page of the entries table with a bit of its page number flipped: the open
 *     succeeds; a read of an entry on that page (point read, range read, a matcher's answer)
 *     is LM_E_DB with hint verify and the damage named, a read elsewhere answers as on the
 *     intact list; the first write (hits, an add, a disable, a matcher's hit flush), though it
 *     touches no damaged page itself, is LM_E_DB, and data.mdb keeps every byte; a second write
 *     is refused without another walk; LM_DB_CHECK refuses the open;
 *  3. data.mdb cut short (one page, half): the writable open is LM_E_DB and the file unchanged.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "hdb_test.h"
#include "libmatch.h"

uint64_t db_pages_checked(void); /* hashdb/db_pages.c */

#define NPDQ 3000
#define PS 4096 /* LMDB's page size here (asserted from the meta page) */

static lm_pdq_hash hashes[NPDQ];

/* Size and FNV-1a of a file's bytes: equal before and after means nothing was written. */
typedef struct file_sum {
    long size;
    uint64_t fnv;
} file_sum;

static file_sum sum_file(const char *path)
{
    file_sum s = {-1, 1469598103934665603ull};
    FILE *f = fopen(path, "rb");
    if (!f)
        return s;
    s.size = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        s.fnv = (s.fnv ^ (uint8_t)c) * 1099511628211ull;
        s.size++;
    }
    fclose(f);
    return s;
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* 1 when page pg of an LMDB 0.9 file is a leaf of the entries table: every node an 8-byte id
 * and a PDQ entry record {1, LM_HASH_PDQ, 32, ...} (vframes records have 0 there). */
static int entries_leaf(const uint8_t *b, uint64_t pg)
{
    const uint8_t *p = b + pg * PS;
    unsigned flags = (unsigned)le(p + 10, 2), lower = (unsigned)le(p + 12, 2);
    if (le(p, 8) != pg || flags != 0x02 || lower <= 16 || lower > PS)
        return 0;
    for (unsigned i = 0; i < (lower - 16) / 2; i++) {
        unsigned off = (unsigned)le(p + 16 + 2 * i, 2);
        if (off + 8 + 8 + 3 > PS)
            return 0;
        const uint8_t *node = p + off, *d = node + 8 + 8;
        if (le(node + 6, 2) != 8 || le(node + 4, 2) != 0 || d[0] != 1 || d[1] != LM_HASH_PDQ ||
            d[2] != 32)
            return 0;
    }
    return 1;
}

/* The entry id of node 0 of a leaf (big-endian key). */
static uint64_t first_id(const uint8_t *b, uint64_t pg)
{
    const uint8_t *node = b + pg * PS + le(b + pg * PS + 16, 2);
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | node[8 + i];
    return id;
}

/* The id of the list entry whose hash is h (the import gives ids in line order from 1). */
static uint64_t id_of(size_t i)
{
    return (uint64_t)i + 1;
}

static void check_damage_error(lm_hashdb *db, lm_status st, const char *what)
{
    CHECK_EQ_INT(st, LM_E_DB);
    CHECK_EQ_INT(lm_hashdb_last_hint(db), LM_DB_HINT_VERIFY);
    if (!strstr(lm_hashdb_last_error(db), "data.mdb is damaged"))
        fprintf(stderr, "%s: %s\n", what, lm_hashdb_last_error(db));
    CHECK(strstr(lm_hashdb_last_error(db), "data.mdb is damaged") != NULL);
}

/* 1. The intact list, writable without LM_DB_CHECK. */
static void intact(const char *path, const char *file)
{
    lm_hashdb *db;
    uint64_t p0 = db_pages_checked();
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0), LM_OK);
    uint64_t full = db_pages_checked() - p0;
    lm_hashdb_close(db);
    p0 = db_pages_checked();
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    uint64_t at_open = db_pages_checked() - p0;
    printf("intact: full check %llu pages, writable open %llu\n", (unsigned long long)full,
           (unsigned long long)at_open);
    CHECK(full > 100);
    CHECK(at_open * 10 < full);
    lm_entry_info e;
    CHECK_EQ_INT(lm_hashdb_get_entry(db, id_of(1234), &e), LM_OK);
    char hex[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&hashes[1234], hex);
    CHECK_EQ_STR(e.hash_hex, hex);
    uint64_t ids[2];
    size_t found = 0;
    CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_PDQ, hashes[77].b, 32, ids, 2, &found), LM_OK);
    CHECK(found == 1 && ids[0] == id_of(77));
    /* The first write checks every page, the second none. */
    lm_db_hit_delta hit = {.entry_id = id_of(5), .day = 20000, .count = 3};
    p0 = db_pages_checked();
    CHECK_EQ_INT(lm_hashdb_add_hits(db, &hit, 1, LM_DB_HIT_KEEP_DAYS, NULL), LM_OK);
    uint64_t first = db_pages_checked() - p0;
    uint64_t dis = id_of(9);
    p0 = db_pages_checked();
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &dis, 1, 1, NULL), LM_OK);
    uint64_t second = db_pages_checked() - p0;
    printf("intact: first write %llu pages checked, second %llu\n", (unsigned long long)first,
           (unsigned long long)second);
    CHECK(first >= full);
    CHECK_EQ_INT(second, 0);
    int disabled = 0;
    CHECK_EQ_INT(lm_hashdb_is_disabled(db, dis, &disabled), LM_OK);
    CHECK_EQ_INT(disabled, 1);
    lm_hashdb_close(db);
    /* What was written passes a full check and is there. */
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0), LM_OK);
    CHECK_EQ_INT(hdb_problems(db), 0);
    disabled = 0;
    CHECK_EQ_INT(lm_hashdb_is_disabled(db, dis, &disabled), LM_OK);
    CHECK_EQ_INT(disabled, 1);
    lm_db_hit_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(lm_hashdb_hit_report(db, NULL, &rows, &n), LM_OK);
    CHECK(n >= 1);
    free(rows);
    lm_hashdb_close(db);
    (void)file;
}

/* 2. One entries leaf damaged: the reads on it and every write refused, the file unchanged. */
static void damaged_page(const char *path, const char *file, uint64_t on_page, uint64_t elsewhere)
{
    file_sum before = sum_file(file);
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0), LM_E_DB);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    if (!db)
        return;
    lm_entry_info e;
    /* Reads: the damaged page's entries are LM_E_DB, the others answer. */
    check_damage_error(db, lm_hashdb_get_entry(db, on_page, &e), "get_entry");
    CHECK(strstr(lm_hashdb_last_error(db), "table 'entries'") != NULL);
    CHECK_EQ_INT(lm_hashdb_get_entry(db, elsewhere, &e), LM_OK);
    char hex[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&hashes[elsewhere - 1], hex);
    CHECK_EQ_STR(e.hash_hex, hex);
    lm_entry_info page[NPDQ];
    size_t n = 0;
    uint64_t next = 0;
    check_damage_error(db, lm_hashdb_list_entries(db, NULL, 0, page, NPDQ, &n, &next),
                       "list_entries");
    lm_db_stats stats;
    check_damage_error(db, lm_hashdb_stats(db, &stats), "stats");
    /* Writes: refused before anything is written, though these touch no damaged page. */
    uint64_t p0 = db_pages_checked();
    lm_db_hit_delta hit = {.entry_id = elsewhere, .day = 20000, .count = 1};
    check_damage_error(db, lm_hashdb_add_hits(db, &hit, 1, LM_DB_HIT_KEEP_DAYS, NULL), "hits");
    uint64_t first = db_pages_checked() - p0;
    p0 = db_pages_checked();
    uint64_t dis = elsewhere;
    check_damage_error(db, lm_hashdb_set_disabled(db, &dis, 1, 1, NULL), "disable");
    lm_pdq_hash h = hashes[0];
    h.b[0] ^= 0xff;
    lm_db_new_entry ne = {.type = LM_HASH_PDQ, .hash = h.b, .quality = -1, .list = "other"};
    check_damage_error(db, lm_hashdb_add(db, &ne, NULL), "add");
    uint64_t later = db_pages_checked() - p0;
    printf("damaged: first write %llu pages checked, the next two %llu\n",
           (unsigned long long)first, (unsigned long long)later);
    CHECK(first > 0);
    CHECK_EQ_INT(later, 0); /* the damaged snapshot is remembered */
    lm_hashdb_close(db);

    /* A writable matcher: the damaged entry's answer is LM_E_DB, the others answer; its hit
     * flush is refused. */
    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_OK);
    if (m) {
        lm_match mt[4];
        size_t found = 0;
        CHECK_EQ_INT(lm_match_pdq(m, &hashes[on_page - 1], -1, NULL, mt, 4, &found), LM_E_DB);
        found = 0;
        CHECK_EQ_INT(lm_match_pdq(m, &hashes[elsewhere - 1], -1, NULL, mt, 4, &found), LM_OK);
        CHECK(found == 1 && mt[0].entry_id == elsewhere);
        size_t flushed = 0;
        CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed), LM_E_DB);
        lm_matcher_close(m);
    }
    file_sum after = sum_file(file);
    CHECK_EQ_INT(after.size, before.size);
    CHECK(after.fnv == before.fnv);
}

/* 3. data.mdb cut short: refused at open, not written. */
static void truncated(const char *path, const char *file, const uint8_t *good, long len)
{
    long cuts[] = {len - PS, len / 2};
    for (int i = 0; i < 2; i++) {
        hdb_write_file(file, good, cuts[i]);
        file_sum before = sum_file(file);
        lm_hashdb *db = NULL;
        char err[256] = "";
        CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_WRITE, &db, err, sizeof err), LM_E_DB);
        CHECK(strstr(err, "truncated") != NULL);
        lm_matcher *m = NULL;
        CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_E_DB);
        file_sum after = sum_file(file);
        CHECK_EQ_INT(after.size, before.size);
        CHECK(after.fnv == before.fnv);
    }
}

int main(void)
{
    char *dir = scratch_dir("fastopen");
    char path[600], file[700];
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(file, sizeof file, "%s/data.mdb", path);

    /* NPDQ PDQ entries with labels (entries over ~50 leaf pages), some digests. */
    uint64_t seed = 0xfa570;
    char *text = hdb_labelled_csv(&seed, hashes, NPDQ);
    lm_hashdb *db = hdb_create(dir, "db");
    hdb_lines lines;
    lm_db_import_result r;
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_CSV, "pdq", 0, &lines, &r), LM_OK);
    free(text);
    lm_hashdb_close(db);

    long len = 0;
    uint8_t *good = hdb_read_file(file, &len);
    CHECK(good && len % PS == 0);
    CHECK_EQ_INT(good ? le(good + 16 + 24, 4) : 0, PS);
    if (!good || check_failures)
        return 1;

    /* Check that the entry ids are the line order, then find two entries leaves. */
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0), LM_OK);
    lm_entry_info e;
    char hex[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&hashes[NPDQ - 1], hex);
    CHECK_EQ_INT(lm_hashdb_get_entry(db, id_of(NPDQ - 1), &e), LM_OK);
    CHECK_EQ_STR(e.hash_hex, hex);
    lm_hashdb_close(db);
    uint64_t leaf = 0, other = 0;
    for (uint64_t pg = 2; pg < (uint64_t)len / PS; pg++)
        if (entries_leaf(good, pg) && first_id(good, pg) > 1) {
            if (!leaf)
                leaf = pg;
            else if (!other)
                other = pg;
        }
    CHECK(leaf && other);
    if (check_failures)
        return 1;
    uint64_t on_page = first_id(good, leaf), elsewhere = first_id(good, other);
    printf("entries leaves %llu (entry %llu) and %llu (entry %llu) of %ld pages\n",
           (unsigned long long)leaf, (unsigned long long)on_page, (unsigned long long)other,
           (unsigned long long)elsewhere, len / PS);

    intact(path, file);

    /* A bit of the leaf's page number flipped (the page says it is another page). */
    uint8_t *bad = malloc((size_t)len);
    memcpy(bad, good, (size_t)len);
    bad[leaf * PS + 1] ^= 0x10;
    hdb_write_file(file, bad, len);
    damaged_page(path, file, on_page, elsewhere);
    /* The same damage in the node table: its first node's offset points outside the page. */
    memcpy(bad, good, (size_t)len);
    bad[leaf * PS + 16 + 1] ^= 0x80;
    hdb_write_file(file, bad, len);
    damaged_page(path, file, on_page, elsewhere);
    free(bad);

    truncated(path, file, good, len);
    free(good);
    scratch_remove(dir);
    free(dir);
    return check_failures ? 1 : 0;
}
