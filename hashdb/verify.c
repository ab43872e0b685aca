/*
 * Verify: structural consistency of one snapshot. Every problem is reported
 * and the check goes on; a table LMDB cannot read is reported and skipped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

#define MAX_REPORTED 1000

typedef struct vlist {
    uint32_t id;
    uint64_t recorded, actual;
    char name[LM_DB_MAX_LIST_NAME + 1];
} vlist;

typedef struct vctx {
    lm_hashdb *db;
    MDB_txn *txn;
    lm_db_problem_fn fn;
    void *ctx;
    uint64_t problems;
    uint64_t max_records; /* more records than this: the tree is damaged */
    vlist *lists;
    size_t nlists;
    uint64_t next_entry_id, next_list_id;
} vctx;

__attribute__((format(printf, 2, 3))) static void problem(vctx *v, const char *fmt, ...)
{
    v->problems++;
    if (!v->fn || v->problems > MAX_REPORTED)
        return;
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    v->fn(v->ctx, msg);
}

static vlist *find_list(vctx *v, uint32_t id)
{
    size_t lo = 0, hi = v->nlists;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->lists[mid].id == id)
            return &v->lists[mid];
        if (v->lists[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void check_meta(vctx *v)
{
    static const struct {
        const char *key;
        int bytes;
    } keys[] = {{"schema_version", 4},
                {"generation", 8},
                {"next_entry_id", 8},
                {"next_list_id", 4},
                {"created", 8}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        uint64_t val;
        if (db_meta_get_u64(v->db, v->txn, keys[i].key, &val, keys[i].bytes) != LM_OK) {
            problem(v, "meta: %s", v->db->err.msg);
            continue;
        }
        if (i == 0 && val != LM_DB_SCHEMA_VERSION)
            problem(v, "meta: schema version %llu, expected %d", (unsigned long long)val,
                    LM_DB_SCHEMA_VERSION);
        if (i == 2)
            v->next_entry_id = val;
        if (i == 3)
            v->next_list_id = val;
    }
}

/* Walk a table; cb returns nonzero to stop. Read errors and runaway trees are problems. */
typedef void (*walk_fn)(vctx *v, const MDB_val *k, const MDB_val *d);

static void walk(vctx *v, MDB_dbi dbi, const char *name, walk_fn cb)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(v->txn, dbi, &c);
    if (rc) {
        problem(v, "%s: cannot be opened: %s", name, mdb_strerror(rc));
        return;
    }
    MDB_val k, d;
    uint64_t n = 0;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (++n > v->max_records) {
            problem(v, "%s: more records than the file can hold (damaged tree)", name);
            break;
        }
        cb(v, &k, &d);
    }
    if (rc && rc != MDB_NOTFOUND)
        problem(v, "%s: unreadable after %llu records: %s", name, (unsigned long long)n,
                mdb_strerror(rc));
    mdb_cursor_close(c);
}

static void on_list(vctx *v, const MDB_val *k, const MDB_val *d)
{
    db_list l;
    const char *why;
    if (k->mv_size != 4) {
        problem(v, "lists: a key has %zu bytes, expected 4", k->mv_size);
        return;
    }
    uint32_t id = db_get_be32(k->mv_data);
    if (db_list_decode(id, d, &l, &why)) {
        problem(v, "list %u: %s", id, why);
        return;
    }
    if (id == 0 || id >= v->next_list_id)
        problem(v, "list %u: id not below next_list_id %llu", id,
                (unsigned long long)v->next_list_id);
    if (v->nlists >= DB_MAX_LISTS) {
        problem(v, "lists: more than %d lists", DB_MAX_LISTS);
        return;
    }
    vlist *t = realloc(v->lists, (v->nlists + 1) * sizeof *t);
    if (!t) {
        problem(v, "lists: out of memory");
        return;
    }
    v->lists = t;
    vlist *nl = &v->lists[v->nlists++];
    *nl = (vlist){.id = id, .recorded = l.entry_count};
    memcpy(nl->name, l.name, l.name_len);
    nl->name[l.name_len] = '\0';
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const vlist *)a)->name, ((const vlist *)b)->name);
}

static int cmp_id(const void *a, const void *b)
{
    uint32_t x = ((const vlist *)a)->id, y = ((const vlist *)b)->id;
    return x < y ? -1 : x > y;
}

/* Names must be unique: sort by name, compare neighbours, restore id order. */
static void check_list_names(vctx *v)
{
    if (v->nlists < 2) /* also: no qsort of a NULL array */
        return;
    qsort(v->lists, v->nlists, sizeof *v->lists, cmp_name);
    for (size_t i = 1; i < v->nlists; i++)
        if (strcmp(v->lists[i].name, v->lists[i - 1].name) == 0)
            problem(v, "lists %u and %u have the same name", v->lists[i - 1].id, v->lists[i].id);
    qsort(v->lists, v->nlists, sizeof *v->lists, cmp_id);
}

static void on_entry(vctx *v, const MDB_val *k, const MDB_val *d)
{
    if (k->mv_size != 8) {
        problem(v, "entries: a key has %zu bytes, expected 8", k->mv_size);
        return;
    }
    uint64_t id = db_get_be64(k->mv_data);
    db_entry e;
    const char *why;
    if (db_entry_decode(id, d, &e, &why)) {
        problem(v, "entry %llu: %s", (unsigned long long)id, why);
        return;
    }
    if (id == 0 || id >= v->next_entry_id)
        problem(v, "entry %llu: id not below next_entry_id %llu", (unsigned long long)id,
                (unsigned long long)v->next_entry_id);
    vlist *l = find_list(v, e.list_id);
    if (!l)
        problem(v, "entry %llu: names list %u, which does not exist", (unsigned long long)id,
                e.list_id);
    else
        l->actual++;
    /* Its index record. */
    MDB_cursor *c;
    uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES];
    db_hash_key(hkey, e.type, e.hash, e.hash_len);
    MDB_val hk = {1 + e.hash_len, hkey}, hv = {8, k->mv_data};
    if (mdb_cursor_open(v->txn, v->db->hashes, &c) == 0) {
        if (mdb_cursor_get(c, &hk, &hv, MDB_GET_BOTH) != 0)
            problem(v, "entry %llu: missing from the hash index", (unsigned long long)id);
        mdb_cursor_close(c);
    }
    /* Its compact PDQ record. */
    MDB_val pv;
    int rc = mdb_get(v->txn, v->db->pdq, (MDB_val *)k, &pv);
    if (e.type == LM_HASH_PDQ) {
        if (rc)
            problem(v, "entry %llu: PDQ record missing", (unsigned long long)id);
        else if (pv.mv_size != DB_PDQ_REC || memcmp(pv.mv_data, e.hash, 32) != 0 ||
                 (int8_t)((const uint8_t *)pv.mv_data)[32] != e.quality)
            problem(v, "entry %llu: PDQ record differs from the entry", (unsigned long long)id);
    } else if (rc == 0) {
        problem(v, "entry %llu: a %s entry has a PDQ record", (unsigned long long)id,
                lm_hash_type_name(e.type));
    }
    if (e.type == LM_HASH_VPDQ && db_video_verify_entry(v->db, v->txn, &e, &why))
        problem(v, "entry %llu: %s", (unsigned long long)id, why);
}

static void on_vframes(vctx *v, const MDB_val *k, const MDB_val *d)
{
    const char *why;
    if (db_video_verify_record(v->db, v->txn, k, d, &why))
        problem(v, "video frames %llu: %s",
                k->mv_size == 8 ? (unsigned long long)db_get_be64(k->mv_data) : 0ull, why);
}

static void on_pdq(vctx *v, const MDB_val *k, const MDB_val *d)
{
    if (k->mv_size != 8 || d->mv_size != DB_PDQ_REC) {
        problem(v, "pdq: a record has the wrong size");
        return;
    }
    uint64_t id = db_get_be64(k->mv_data);
    MDB_val ev;
    db_entry e;
    const char *why;
    if (mdb_get(v->txn, v->db->entries, (MDB_val *)k, &ev) != 0)
        problem(v, "pdq record %llu: no such entry", (unsigned long long)id);
    else if (db_entry_decode(id, &ev, &e, &why) == 0 && e.type != LM_HASH_PDQ)
        problem(v, "pdq record %llu: the entry is not PDQ", (unsigned long long)id);
}

/* A companion or feature record names an entry that must be a present PDQ entry. */
static int pdq_entry_exists(vctx *v, uint64_t id)
{
    uint8_t ek[8];
    db_put_be64(ek, id);
    MDB_val kk = {8, ek}, pv;
    return mdb_get(v->txn, v->db->pdq, &kk, &pv) == 0;
}

/* Each companion decodes, names an existing PDQ entry and a known region. */
static void on_companion(vctx *v, const MDB_val *k, const MDB_val *d)
{
    if (k->mv_size != DB_COMPANION_KEY || d->mv_size != DB_COMPANION_REC) {
        problem(v, "companions: a record has the wrong size");
        return;
    }
    const uint8_t *key = k->mv_data;
    uint64_t id = db_get_be64(key);
    int8_t q = (int8_t)((const uint8_t *)d->mv_data)[32];
    if (key[8] == 0 || q < -1 || q > 100)
        problem(v, "companion %llu/%u: bad region or quality", (unsigned long long)id, key[8]);
    if (!pdq_entry_exists(v, id))
        problem(v, "companion %llu/%u: no such PDQ entry", (unsigned long long)id, key[8]);
}

/* Each local-feature record decodes and names an existing PDQ entry. */
static void on_features(vctx *v, const MDB_val *k, const MDB_val *d)
{
    if (k->mv_size != 8) {
        problem(v, "features: a key has the wrong size");
        return;
    }
    uint64_t id = db_get_be64(k->mv_data);
    const char *why;
    if (lm_db_features_check(d->mv_data, d->mv_size, &why))
        problem(v, "features of entry %llu: %s", (unsigned long long)id, why);
    if (!pdq_entry_exists(v, id))
        problem(v, "features of entry %llu: no such PDQ entry", (unsigned long long)id);
}

static void on_hash(vctx *v, const MDB_val *k, const MDB_val *d)
{
    const uint8_t *key = k->mv_data;
    size_t len = k->mv_size ? lm_db_hash_len((lm_hash_type)key[0]) : 0;
    if (!len || k->mv_size != 1 + len) {
        problem(v, "hash index: a key has a bad type or size");
        return;
    }
    if (d->mv_size != 8) {
        problem(v, "hash index: a value has %zu bytes, expected 8", d->mv_size);
        return;
    }
    uint64_t id = db_get_be64(d->mv_data);
    uint8_t ek[8];
    db_put_be64(ek, id);
    MDB_val kk = {8, ek}, ev;
    db_entry e;
    const char *why;
    if (mdb_get(v->txn, v->db->entries, &kk, &ev) != 0)
        problem(v, "hash index: names entry %llu, which does not exist", (unsigned long long)id);
    else if (db_entry_decode(id, &ev, &e, &why) == 0 &&
             ((uint8_t)e.type != key[0] || memcmp(e.hash, key + 1, len) != 0))
        problem(v, "hash index: entry %llu holds a different hash", (unsigned long long)id);
}

static void on_list_attrs(vctx *v, const MDB_val *k, const MDB_val *d)
{
    lm_db_list_attrs a;
    const char *why;
    if (k->mv_size != 4) {
        problem(v, "list_attrs: a key has %zu bytes, expected 4", k->mv_size);
        return;
    }
    uint32_t id = db_get_be32(k->mv_data);
    if (db_list_attrs_decode(d, &a, &why))
        problem(v, "list %u: %s", id, why);
    if (!find_list(v, id))
        problem(v, "list_attrs: names list %u, which does not exist", id);
}

static int entry_exists(vctx *v, uint64_t id)
{
    uint8_t ek[8];
    db_put_be64(ek, id);
    MDB_val kk = {8, ek}, ev;
    return mdb_get(v->txn, v->db->entries, &kk, &ev) == 0;
}

static void on_disabled(vctx *v, const MDB_val *k, const MDB_val *d)
{
    if (k->mv_size != 8 || d->mv_size != 8) {
        problem(v, "disabled: a record has the wrong size");
        return;
    }
    uint64_t id = db_get_be64(k->mv_data);
    if (!entry_exists(v, id))
        problem(v, "disabled: names entry %llu, which does not exist", (unsigned long long)id);
}

static void on_hits(vctx *v, const MDB_val *k, const MDB_val *d)
{
    if (k->mv_size != 12) {
        problem(v, "hits: a key has %zu bytes, expected 12", k->mv_size);
        return;
    }
    uint64_t id = db_get_be64(k->mv_data);
    uint32_t day = db_get_be32((const uint8_t *)k->mv_data + 8);
    if (d->mv_size != (day == 0 ? DB_HIT_TOTAL_REC : 8))
        problem(v, "hits: entry %llu day %u has a record of %zu bytes", (unsigned long long)id, day,
                d->mv_size);
    if (day == 0 && !entry_exists(v, id))
        problem(v, "hits: names entry %llu, which does not exist", (unsigned long long)id);
}

lm_status lm_hashdb_verify(lm_hashdb *db, lm_db_problem_fn fn, void *ctx, uint64_t *problems)
{
    if (!db)
        return LM_E_INVALID_ARG;
    vctx v = {.db = db, .fn = fn, .ctx = ctx};
    int st = db_read_begin(db, &v.txn);
    if (st)
        return st;
    MDB_envinfo info;
    MDB_stat es;
    mdb_env_info(db->env, &info);
    mdb_env_stat(db->env, &es);
    v.max_records = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize / 8 + 16;

    /* LMDB must not walk damaged pages: if they are, that is the finding. */
    if (db_check_pages(db, v.txn) != LM_OK) {
        problem(&v, "%s", db->err.msg);
        free(v.lists);
        db_read_end(db, v.txn);
        if (problems)
            *problems = v.problems;
        return LM_OK;
    }
    check_meta(&v);
    walk(&v, db->lists, "lists", on_list);
    check_list_names(&v);
    walk(&v, db->entries, "entries", on_entry);
    walk(&v, db->pdq, "pdq", on_pdq);
    walk(&v, db->hashes, "hash index", on_hash);
    walk(&v, db->vframes, "video frames", on_vframes);
    walk(&v, db->list_attrs, "list_attrs", on_list_attrs);
    walk(&v, db->disabled, "disabled", on_disabled);
    walk(&v, db->hits, "hits", on_hits);
    walk(&v, db->companions, "companions", on_companion);
    if (db->features_open)
        walk(&v, db->features, "features", on_features);
    for (size_t i = 0; i < v.nlists; i++)
        if (v.lists[i].recorded != v.lists[i].actual)
            problem(&v, "list %u: records %llu entries but holds %llu", v.lists[i].id,
                    (unsigned long long)v.lists[i].recorded, (unsigned long long)v.lists[i].actual);
    MDB_stat se, sh;
    if (mdb_stat(v.txn, db->entries, &se) == 0 && mdb_stat(v.txn, db->hashes, &sh) == 0 &&
        se.ms_entries != sh.ms_entries)
        problem(&v, "the hash index has %zu records for %zu entries", sh.ms_entries, se.ms_entries);
    if (v.problems > MAX_REPORTED && fn) {
        char msg[80];
        snprintf(msg, sizeof msg, "... %llu more problems not listed",
                 (unsigned long long)(v.problems - MAX_REPORTED));
        fn(ctx, msg);
    }
    free(v.lists);
    db_read_end(db, v.txn);
    if (problems)
        *problems = v.problems;
    return LM_OK;
}
