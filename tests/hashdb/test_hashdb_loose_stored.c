/*
 * A list already stored with data.mdb ending before the meta's last page (issue 16): LMDB
 * counts a commit's loose pages (allocated and freed again, never written) in the meta's last
 * page, so a list written by an LMDB tool that does not extend the file (mdb_load, a pmatch
 * before cover_last_page) can end early; the missing tail holds free pages only. Such a list
 * must open and answer, and a truncated one (a page in use cut off) must still be refused at
 * open. Here the list is written with hashdb, then churned with plain LMDB (scratch records
 * added and deleted in one transaction) until the file ends before the last page; then:
 *  1. read-only (with and without LM_DB_CHECK), verify, a read-only matcher: every entry and a
 *     match as written, and the file is left as it was;
 *  2. writable, and a writable matcher: the same answers, a write works, and the file covers
 *     the meta's last page afterwards;
 *  3. cut to the end of the last page in use: still accepted; one page more (a page in use):
 *     refused at open (LM_E_DB, db_precheck's message), the file not written;
 *  4. the meta's last page moved past pages the free list does not name (damage), or far
 *     beyond: refused the same way.
 */
#include <sys/stat.h>

#include "db_pages.h"
#include "hashdb_internal.h"
#include "hdb_test.h"
#include "libmatch.h"

#define NPDQ 2000

static lm_pdq_hash hashes[NPDQ];

static uint64_t le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* LMDB 0.9's meta page i: the last page number (MDB_meta.mm_last_pg) and the transaction. */
#define META_LAST(b, ps, i) ((b) + (size_t)(i) * (ps) + 16 + 120)
#define META_TXN(b, ps, i) ((b) + (size_t)(i) * (ps) + 16 + 128)

/* Scratch records added and deleted in one plain LMDB transaction (no cover_last_page):
 * deleted last to first, so the highest pages are freed first and the commit's own pages come
 * from the lowest (as in test_hashdb_loose_pages.c). */
static int churn(const char *path, int round)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (rc)
        return rc;
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    if ((rc = mdb_env_open(env, path, 0, 0600)) || (rc = mdb_txn_begin(env, NULL, 0, &txn))) {
        mdb_env_close(env);
        return rc;
    }
    rc = mdb_dbi_open(txn, "meta", 0, &dbi);
    int n = 100 + 150 * round;
    char key[64], val[200];
    memset(val, 'v', sizeof val);
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (int j = 0; j < n && !rc; j++) {
            int i = pass == 0 ? j : n - 1 - j;
            snprintf(key, sizeof key, "zz-scratch-%d-%06d", round, i);
            MDB_val k = {strlen(key), key}, v = {sizeof val, val};
            rc = pass == 0 ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL);
        }
    rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    mdb_env_close(env);
    return rc;
}

/* Every entry as imported (ids in line order from 1), a lookup, and a matcher's match. */
static void answers(const char *path, lm_hashdb *db, unsigned matcher_flags, const char *what)
{
    static lm_entry_info page[NPDQ + 1];
    size_t n = 0;
    uint64_t next = 0;
    CHECK_EQ_INT(lm_hashdb_list_entries(db, NULL, 0, page, NPDQ + 1, &n, &next), LM_OK);
    CHECK_EQ_INT(n, NPDQ);
    int same = n == NPDQ;
    for (size_t i = 0; i < n && i < NPDQ; i++) {
        char hex[LM_PDQ_HEX_CHARS + 1], label[32];
        lm_pdq_to_hex(&hashes[i], hex);
        snprintf(label, sizeof label, "label-%zu", i);
        same &= page[i].id == i + 1 && strcmp(page[i].hash_hex, hex) == 0 &&
                strcmp(page[i].label, label) == 0;
    }
    if (!same)
        fprintf(stderr, "%s: the entries differ from the import\n", what);
    CHECK(same);
    uint64_t ids[2];
    size_t found = 0;
    CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_PDQ, hashes[1777].b, 32, ids, 2, &found), LM_OK);
    CHECK(found == 1 && ids[0] == 1778);
    lm_matcher *m = NULL;
    char err[256] = "";
    lm_status s = lm_matcher_open_with(path, matcher_flags, &m, err, sizeof err);
    if (s != LM_OK)
        fprintf(stderr, "%s: matcher: %s\n", what, err);
    CHECK_EQ_INT(s, LM_OK);
    if (!m)
        return;
    lm_pdq_hash q = hashes[42];
    q.b[3] ^= 0x11; /* 2 bits away */
    lm_match mt[4];
    found = 0;
    CHECK_EQ_INT(lm_match_pdq(m, &q, -1, NULL, mt, 4, &found), LM_OK);
    CHECK(found == 1 && mt[0].entry_id == 43 && mt[0].distance == 2);
    size_t flushed = 0;
    CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed),
                 (matcher_flags & LM_MATCHER_WRITABLE) ? LM_OK : LM_E_UNSUPPORTED);
    lm_matcher_close(m);
}

/* The page count the meta page of the newest transaction names (its last page + 1). */
static uint64_t meta_pages(const uint8_t *b, uint64_t ps)
{
    int i = le(META_TXN(b, ps, 1)) > le(META_TXN(b, ps, 0));
    return le(META_LAST(b, ps, i)) + 1;
}

/* One past the highest page in use (every tree and the free list's own pages): the walker's
 * page map after a full check. */
static uint64_t pages_in_use(const char *path)
{
    lm_hashdb *db = NULL;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0), LM_OK);
    if (!db)
        return 0;
    db_pagefile pf;
    uint64_t end = 0;
    CHECK_EQ_INT(db_pages_open(&pf, db, 0), 0);
    CHECK_EQ_INT(db_pages_check(&pf), 0);
    for (uint64_t pg = 2; pf.seen && pg < pf.npages; pg++)
        if (pf.seen[pg / 8] & (1u << (pg % 8)))
            end = pg + 1;
    db_pages_close(&pf);
    lm_hashdb_close(db);
    return end;
}

/* The file as given is refused at every open with db_precheck's message, and not written. */
static void refused(const char *path, const char *file, const uint8_t *b, long len, uint64_t ps,
                    const char *what)
{
    hdb_write_file(file, b, len);
    /* The message names the first meta page whose last page lies past the file's end. */
    int meta = le(META_LAST(b, ps, 0)) >= (uint64_t)len / ps ? 0 : 1;
    char want[900];
    snprintf(want, sizeof want, "%s: meta page %d points beyond the file (damaged or truncated)",
             file, meta);
    const unsigned modes[] = {LM_DB_READONLY, LM_DB_READONLY | LM_DB_CHECK, LM_DB_WRITE};
    for (int i = 0; i < 3; i++) {
        lm_hashdb *db = NULL;
        char err[900] = "";
        CHECK_EQ_INT(lm_hashdb_open(path, modes[i], &db, err, sizeof err), LM_E_DB);
        if (strcmp(err, want) != 0)
            fprintf(stderr, "%s, open %d: '%s'\n", what, i, err);
        CHECK_EQ_STR(err, want);
        lm_hashdb_close(db);
    }
    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_E_DB);
    lm_matcher_close(m);
    long after = 0;
    uint8_t *now = hdb_read_file(file, &after);
    CHECK(now && after == len && memcmp(now, b, (size_t)len) == 0);
    free(now);
}

int main(void)
{
    char *dir = scratch_dir("loosestored");
    char path[600], file[700], lock[700];
    snprintf(path, sizeof path, "%s/list", dir);
    snprintf(file, sizeof file, "%s/data.mdb", path);
    snprintf(lock, sizeof lock, "%s/lock.mdb", path);

    uint64_t seed = 0x10053;
    char *text = hdb_labelled_csv(&seed, hashes, NPDQ);
    lm_hashdb *db = hdb_create(dir, "list");
    hdb_lines lines;
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_CSV, "pdq", 0, &lines, NULL), LM_OK);
    free(text);
    lm_hashdb_close(db);

    /* Plain LMDB churn until data.mdb ends before the meta's last page. */
    long len = 0;
    uint8_t *loose = NULL;
    const uint64_t ps = 4096;
    int round = 0;
    for (; round < 12; round++) {
        CHECK_EQ_INT(churn(path, round), 0);
        free(loose);
        loose = hdb_read_file(file, &len);
        CHECK(loose && len % (long)ps == 0);
        if (!loose || check_failures)
            return 1;
        if (meta_pages(loose, ps) > (uint64_t)len / ps)
            break;
    }
    CHECK(round < 12);
    if (check_failures)
        return 1;
    uint64_t need = meta_pages(loose, ps);
    printf("after %d plain LMDB rounds: the meta names %llu pages, data.mdb holds %ld\n", round + 1,
           (unsigned long long)need, len / (long)ps);

    /* 1. Read-only: answers as written, the file untouched. */
    const unsigned ro[] = {LM_DB_READONLY, LM_DB_READONLY | LM_DB_CHECK};
    for (int i = 0; i < 2; i++) {
        db = NULL;
        char err[900] = "";
        lm_status s = lm_hashdb_open(path, ro[i], &db, err, sizeof err);
        if (s != LM_OK)
            fprintf(stderr, "read-only open %d: %s\n", i, err);
        CHECK_EQ_INT(s, LM_OK);
        if (!db)
            continue;
        answers(path, db, 0, "read-only");
        CHECK_EQ_INT(hdb_problems(db), 0);
        lm_hashdb_close(db);
    }
    CHECK_EQ_INT(scratch_file_size(file), len);

    /* 2. Writable: the same answers, a write, and the file covers the last page. */
    db = NULL;
    char err[900] = "";
    lm_status s = lm_hashdb_open(path, LM_DB_WRITE, &db, err, sizeof err);
    if (s != LM_OK)
        fprintf(stderr, "writable open: %s\n", err);
    CHECK_EQ_INT(s, LM_OK);
    if (db) {
        CHECK(scratch_file_size(file) >= (long)(need * ps));
        answers(path, db, LM_MATCHER_WRITABLE, "writable");
        uint64_t dis = 7;
        CHECK_EQ_INT(lm_hashdb_set_disabled(db, &dis, 1, 1, NULL), LM_OK);
        lm_hashdb_close(db);
        db = NULL;
        CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0), LM_OK);
        int disabled = 0;
        CHECK_EQ_INT(lm_hashdb_is_disabled(db, dis, &disabled), LM_OK);
        CHECK_EQ_INT(disabled, 1);
        CHECK_EQ_INT(hdb_problems(db), 0);
        lm_hashdb_close(db);
    }
    /* A writable matcher on the list as stored covers the last page at its open. */
    hdb_write_file(file, loose, len);
    unlink(lock);
    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_OK);
    CHECK(scratch_file_size(file) >= (long)(need * ps));
    lm_matcher_close(m);

    /* 3. Cut to the end of the pages in use: accepted; a page in use cut off: refused. */
    hdb_write_file(file, loose, len);
    uint64_t used = pages_in_use(path);
    printf("pages in use end at %llu\n", (unsigned long long)used);
    CHECK(used > 2 && used <= (uint64_t)len / ps);
    hdb_write_file(file, loose, (long)(used * ps));
    db = NULL;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, err, sizeof err), LM_OK);
    if (db)
        answers(path, db, 0, "cut to the pages in use");
    lm_hashdb_close(db);
    refused(path, file, loose, (long)((used - 1) * ps), ps, "a page in use cut off");

    /* 4. The newest meta's last page moved on by pages the free list does not name, or by far
     * more than the file could list: damage, refused. */
    uint8_t *bad = malloc((size_t)len);
    int newest = le(META_TXN(loose, ps, 1)) > le(META_TXN(loose, ps, 0));
    const uint64_t moves[] = {40, (uint64_t)1 << 40};
    for (int i = 0; i < 2 && bad; i++) {
        memcpy(bad, loose, (size_t)len);
        uint64_t last = le(META_LAST(bad, ps, newest)) + moves[i];
        for (int k = 0; k < 8; k++)
            META_LAST(bad, ps, newest)[k] = (uint8_t)(last >> (8 * k));
        refused(path, file, bad, len, ps, i ? "last page far beyond" : "last page moved on");
    }
    free(bad);

    free(loose);
    scratch_remove(dir);
    free(dir);
    return check_failures ? 1 : 0;
}
