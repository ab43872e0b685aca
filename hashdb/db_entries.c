/* Entries: record encoding, the hash index, add / remove / get / exact lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

int db_entry_decode(uint64_t id, const MDB_val *v, db_entry *e, const char **why)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < DB_ENTRY_HDR || v->mv_size > DB_ENTRY_MAX) {
        *why = "entry record has an impossible size";
        return -1;
    }
    if (p[0] != 1) {
        *why = "entry record has an unknown record version";
        return -1;
    }
    e->id = id;
    e->type = (lm_hash_type)p[1];
    e->hash_len = p[2];
    e->quality = (int8_t)p[3];
    e->list_id = (uint32_t)db_get_le(p + 4, 4);
    e->added = (int64_t)db_get_le(p + 8, 8);
    e->label_len = db_get_le(p + 16, 2);
    e->ref_len = db_get_le(p + 18, 2);
    if (lm_db_hash_len(e->type) == 0 || e->hash_len != lm_db_hash_len(e->type)) {
        *why = "entry has a bad hash type or length";
        return -1;
    }
    if (e->quality < -1 || e->quality > 100) {
        *why = "entry has a quality outside -1..100";
        return -1;
    }
    if (e->label_len > LM_DB_MAX_LABEL || e->ref_len > LM_DB_MAX_REFERENCE ||
        v->mv_size != DB_ENTRY_HDR + e->hash_len + e->label_len + e->ref_len) {
        *why = "entry text lengths do not match the record size";
        return -1;
    }
    e->hash = p + DB_ENTRY_HDR;
    e->label = (const char *)e->hash + e->hash_len;
    e->ref = e->label + e->label_len;
    if (!lm_db_text_ok(e->label, e->label_len, LM_DB_MAX_LABEL) ||
        !lm_db_text_ok(e->ref, e->ref_len, LM_DB_MAX_REFERENCE)) {
        *why = "entry text is not printable";
        return -1;
    }
    if (e->list_id == 0) {
        *why = "entry belongs to no list";
        return -1;
    }
    return 0;
}

size_t db_entry_encode(uint8_t *buf, const db_entry *e)
{
    buf[0] = 1;
    buf[1] = (uint8_t)e->type;
    buf[2] = (uint8_t)e->hash_len;
    buf[3] = (uint8_t)(int8_t)e->quality;
    db_put_le(buf + 4, e->list_id, 4);
    db_put_le(buf + 8, (uint64_t)e->added, 8);
    db_put_le(buf + 16, e->label_len, 2);
    db_put_le(buf + 18, e->ref_len, 2);
    memcpy(buf + DB_ENTRY_HDR, e->hash, e->hash_len);
    memcpy(buf + DB_ENTRY_HDR + e->hash_len, e->label, e->label_len);
    memcpy(buf + DB_ENTRY_HDR + e->hash_len + e->label_len, e->ref, e->ref_len);
    return DB_ENTRY_HDR + e->hash_len + e->label_len + e->ref_len;
}

int db_entry_get(lm_hashdb *db, MDB_txn *txn, uint64_t id, db_entry *e)
{
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key}, v;
    int rc = db_get(db, txn, db->entries, &k, &v);
    if (rc == MDB_NOTFOUND)
        return db_err(db, LM_E_NOT_FOUND, "no entry %llu", (unsigned long long)id);
    if (rc)
        return db_mdb_err(db, rc, "reading an entry");
    const char *why;
    if (db_entry_decode(id, &v, e, &why) != 0)
        return db_damaged(db, "entry %llu: %s", (unsigned long long)id, why);
    return LM_OK;
}

int db_put_by_id(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, uint64_t id, const void *val, size_t len,
                 const char *what)
{
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key}, v = {len, (void *)val};
    int rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc ? db_mdb_err(db, rc, what) : LM_OK;
}

int db_del_by_id(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, uint64_t id, const char *what)
{
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key};
    int rc = mdb_del(txn, dbi, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? db_mdb_err(db, rc, what) : LM_OK;
}

void db_hash_key(uint8_t *key, lm_hash_type type, const uint8_t *hash, size_t len)
{
    key[0] = (uint8_t)type;
    memcpy(key + 1, hash, len);
}

MDB_val db_pdq_record(uint8_t pr[DB_PDQ_REC], const db_entry *e)
{
    memcpy(pr, e->hash, 32);
    pr[32] = (uint8_t)(int8_t)e->quality;
    return (MDB_val){DB_PDQ_REC, pr};
}

int db_entry_insert(lm_hashdb *db, MDB_txn *txn, db_entry *e, uint64_t *next_id, int with_index)
{
    uint8_t key[8], rec[DB_ENTRY_MAX], hkey[1 + LM_DB_MAX_HASH_BYTES];
    e->id = (*next_id)++;
    db_put_be64(key, e->id);
    MDB_val k = {8, key}, v = {db_entry_encode(rec, e), rec};
    /* Ids only grow, so appending packs pages fully and skips the tree search. */
    int rc = mdb_put(txn, db->entries, &k, &v, MDB_APPEND);
    if (rc)
        return db_mdb_err(db, rc, "writing an entry");
    if (e->type == LM_HASH_PDQ) {
        uint8_t pr[DB_PDQ_REC];
        MDB_val pv = db_pdq_record(pr, e);
        if ((rc = mdb_put(txn, db->pdq, &k, &pv, MDB_APPEND)) != 0)
            return db_mdb_err(db, rc, "writing a PDQ record");
    }
    if (!with_index)
        return LM_OK;
    db_hash_key(hkey, e->type, e->hash, e->hash_len);
    MDB_val hk = {1 + e->hash_len, hkey}, hv = {8, key};
    if ((rc = mdb_put(txn, db->hashes, &hk, &hv, MDB_NODUPDATA)) != 0)
        return db_mdb_err(db, rc, "writing the hash index");
    return LM_OK;
}

int db_appender_open(lm_hashdb *db, MDB_txn *txn, db_appender *a)
{
    a->entries = a->pdq = NULL;
    int rc = mdb_cursor_open(txn, db->entries, &a->entries);
    if (rc == 0)
        rc = mdb_cursor_open(txn, db->pdq, &a->pdq);
    if (rc) {
        db_appender_close(a);
        return db_mdb_err(db, rc, "opening the entries");
    }
    return LM_OK;
}

void db_appender_close(db_appender *a)
{
    if (a->entries)
        mdb_cursor_close(a->entries);
    if (a->pdq)
        mdb_cursor_close(a->pdq);
    a->entries = a->pdq = NULL;
}

int db_entry_append(lm_hashdb *db, db_appender *a, db_entry *e, uint64_t *next_id)
{
    uint8_t key[8], rec[DB_ENTRY_MAX];
    e->id = (*next_id)++;
    db_put_be64(key, e->id);
    MDB_val k = {8, key}, v = {db_entry_encode(rec, e), rec};
    int rc = mdb_cursor_put(a->entries, &k, &v, MDB_APPEND);
    if (rc)
        return db_mdb_err(db, rc, "writing an entry");
    if (e->type == LM_HASH_PDQ) {
        uint8_t pr[DB_PDQ_REC];
        MDB_val pv = db_pdq_record(pr, e);
        if ((rc = mdb_cursor_put(a->pdq, &k, &pv, MDB_APPEND)) != 0)
            return db_mdb_err(db, rc, "writing a PDQ record");
    }
    return LM_OK;
}

int db_entry_delete(lm_hashdb *db, MDB_txn *txn, const db_entry *e)
{
    uint8_t key[8], hkey[1 + LM_DB_MAX_HASH_BYTES];
    db_put_be64(key, e->id);
    db_hash_key(hkey, e->type, e->hash, e->hash_len);
    /* Index first: e->hash points into the entry's page, which deleting it may free. */
    MDB_val k = {8, key}, hk = {1 + e->hash_len, hkey}, hv = {8, key};
    int rc = mdb_del(txn, db->hashes, &hk, &hv);
    if (rc && rc != MDB_NOTFOUND)
        return db_mdb_err(db, rc, "removing from the hash index");
    if (e->type == LM_HASH_PDQ && (rc = mdb_del(txn, db->pdq, &k, NULL)) != 0 && rc != MDB_NOTFOUND)
        return db_mdb_err(db, rc, "removing a PDQ record");
    if (e->type == LM_HASH_PDQ && (rc = db_companions_delete(db, txn, e->id)) != 0)
        return rc;
    if (e->type == LM_HASH_PDQ && (rc = db_features_delete(db, txn, e->id)) != 0)
        return rc;
    if (e->type == LM_HASH_VPDQ && (rc = db_video_delete(db, txn, e->id)) != 0)
        return rc;
    if ((rc = mdb_del(txn, db->entries, &k, NULL)) != 0)
        return db_mdb_err(db, rc, "removing an entry");
    return db_entry_extras_delete(db, txn, e->id);
}

/* The entry ids holding one hash (the hash index's duplicates), each checked to exist and
 * decode, to fn until it returns nonzero. */
typedef struct ids_ctx {
    lm_hashdb *db;
    MDB_txn *txn;
    int (*fn)(void *ctx, const db_entry *e);
    void *ctx;
    int st;
} ids_ctx;

static int ids_cb(void *vctx, const uint8_t *v, size_t vlen)
{
    ids_ctx *c = vctx;
    db_entry e;
    if (vlen != 8)
        c->st = db_damaged(c->db, "hash index value has a bad size");
    else
        c->st = db_entry_get(c->db, c->txn, db_get_be64(v), &e);
    return c->st != LM_OK || c->fn(c->ctx, &e);
}

static int hash_entries(lm_hashdb *db, MDB_txn *txn, lm_hash_type type, const uint8_t *hash,
                        size_t len, int (*fn)(void *ctx, const db_entry *e), void *ctx)
{
    uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES];
    db_hash_key(hkey, type, hash, len);
    ids_ctx c = {db, txn, fn, ctx, LM_OK};
    int rc = db_get_dups(db, txn, db->hashes, hkey, 1 + len, ids_cb, &c);
    return c.st ? c.st : rc ? db_mdb_err(db, rc, "reading the hash index") : LM_OK;
}

typedef struct in_list_ctx {
    uint32_t list_id;
    uint64_t *id;
} in_list_ctx;

static int in_list_cb(void *vctx, const db_entry *e)
{
    in_list_ctx *c = vctx;
    if (e->list_id != c->list_id)
        return 0;
    *c->id = e->id;
    return 1;
}

int db_find_in_list(lm_hashdb *db, MDB_txn *txn, lm_hash_type type, const uint8_t *hash, size_t len,
                    uint32_t list_id, uint64_t *id)
{
    *id = 0;
    in_list_ctx c = {list_id, id};
    return hash_entries(db, txn, type, hash, len, in_list_cb, &c);
}

/* ---- public entry calls ---- */

typedef struct add_ctx {
    const lm_db_new_entry *in;
    uint64_t id;
} add_ctx;

static int add_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    add_ctx *a = vctx;
    const lm_db_new_entry *in = a->in;
    uint32_t list_id;
    int st = db_list_touch(db, txn, in->list ? in->list : "manual", NULL, NULL, 0, &list_id);
    if (st)
        return st;
    size_t len = lm_db_hash_len(in->type);
    uint64_t existing;
    if ((st = db_find_in_list(db, txn, in->type, in->hash, len, list_id, &existing)) != 0)
        return st;
    if (existing) {
        a->id = existing;
        return db_err(db, LM_E_EXISTS, "the list already holds this hash as entry %llu",
                      (unsigned long long)existing);
    }
    uint64_t next;
    if ((st = db_meta_get_u64(db, txn, "next_entry_id", &next, 8)) != 0)
        return st;
    db_entry e = {.type = in->type,
                  .hash_len = len,
                  .quality = in->quality,
                  .list_id = list_id,
                  .added = db_now(),
                  .hash = in->hash,
                  .label = in->label ? in->label : "",
                  .label_len = in->label ? strlen(in->label) : 0,
                  .ref = in->reference ? in->reference : "",
                  .ref_len = in->reference ? strlen(in->reference) : 0};
    if ((st = db_entry_insert(db, txn, &e, &next, 1)) != 0 ||
        (st = db_meta_put_u64(db, txn, "next_entry_id", next, 8)) != 0 ||
        (st = db_list_count_add(db, txn, list_id, 1)) != 0 ||
        (st = db_companions_put(db, txn, e.id, in->companions, in->ncompanions)) != 0 ||
        (st = db_features_put(db, txn, e.id, in->features, in->features_len)) != 0)
        return st;
    a->id = e.id;
    return LM_OK;
}

lm_status lm_hashdb_add(lm_hashdb *db, const lm_db_new_entry *e, uint64_t *id_out)
{
    if (!db || !e || !e->hash)
        return LM_E_INVALID_ARG;
    if (lm_db_hash_len(e->type) == 0)
        return db_err(db, LM_E_INVALID_ARG, "unknown hash type %d", (int)e->type);
    if (e->type == LM_HASH_VPDQ)
        return db_err(db, LM_E_INVALID_ARG,
                      "video entries need their frames (lm_hashdb_add_video)");
    if (e->quality < -1 || e->quality > 100)
        return db_err(db, LM_E_INVALID_ARG, "quality %d is outside 0..100", e->quality);
    if (e->label && !lm_db_text_ok(e->label, strlen(e->label), LM_DB_MAX_LABEL))
        return db_err(db, LM_E_INVALID_ARG, "label too long or not printable text");
    if (e->reference && !lm_db_text_ok(e->reference, strlen(e->reference), LM_DB_MAX_REFERENCE))
        return db_err(db, LM_E_INVALID_ARG, "reference too long or not printable text");
    if (e->list && (!*e->list || !lm_db_text_ok(e->list, strlen(e->list), LM_DB_MAX_LIST_NAME)))
        return db_err(db, LM_E_INVALID_ARG, "list name empty, too long or not printable text");
    if ((e->ncompanions && (!e->companions || e->type != LM_HASH_PDQ)) || e->ncompanions > 255)
        return db_err(db, LM_E_INVALID_ARG, "companion hashes only go with a PDQ entry");
    if (e->features_len && (!e->features || e->type != LM_HASH_PDQ))
        return db_err(db, LM_E_INVALID_ARG, "local features only go with a PDQ entry");
    add_ctx a = {e, 0};
    int st = db_write(db, add_txn, &a);
    if (id_out && (st == LM_OK || st == LM_E_EXISTS))
        *id_out = a.id;
    return st;
}

typedef struct remove_ctx {
    uint64_t id;
    lm_hash_type type;
    const uint8_t *hash;
    size_t len;
    const char *list;
    size_t removed;
} remove_ctx;

static int remove_one(lm_hashdb *db, MDB_txn *txn, uint64_t id)
{
    db_entry e;
    int st = db_entry_get(db, txn, id, &e);
    if (st)
        return st;
    uint32_t list_id = e.list_id;
    if ((st = db_entry_delete(db, txn, &e)) != 0)
        return st;
    return db_list_count_add(db, txn, list_id, -1);
}

/* Up to 256 ids of the entries holding the hash (in list `only` when nonzero). */
typedef struct collect_ctx {
    uint32_t only;
    uint64_t ids[256];
    size_t n;
} collect_ctx;

static int collect_cb(void *vctx, const db_entry *e)
{
    collect_ctx *c = vctx;
    if (!c->only || e->list_id == c->only)
        c->ids[c->n++] = e->id;
    return c->n == 256;
}

static int remove_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    remove_ctx *r = vctx;
    r->removed = 0;
    if (!r->hash) {
        int st = remove_one(db, txn, r->id);
        r->removed = st == LM_OK;
        return st;
    }
    collect_ctx c = {0};
    if (r->list) {
        int st = db_list_find_named(db, txn, r->list, &c.only);
        if (st)
            return st;
    }
    /* Collect first (deleting while reading the duplicates would move under the read), then
     * remove, 256 at a time. */
    do {
        c.n = 0;
        int st = hash_entries(db, txn, r->type, r->hash, r->len, collect_cb, &c);
        for (size_t i = 0; st == LM_OK && i < c.n; i++)
            st = remove_one(db, txn, c.ids[i]);
        if (st)
            return st;
        r->removed += c.n;
    } while (c.n == 256);
    return r->removed ? LM_OK : db_err(db, LM_E_NOT_FOUND, "no entry holds this hash");
}

lm_status lm_hashdb_remove(lm_hashdb *db, uint64_t id)
{
    if (!db)
        return LM_E_INVALID_ARG;
    remove_ctx r = {.id = id};
    return db_write(db, remove_txn, &r);
}

lm_status lm_hashdb_remove_hash(lm_hashdb *db, lm_hash_type type, const uint8_t *hash, size_t len,
                                const char *list, size_t *removed)
{
    if (!db || !hash)
        return LM_E_INVALID_ARG;
    if (len != lm_db_hash_len(type) || len == 0)
        return db_err(db, LM_E_INVALID_ARG, "a %s hash has %zu bytes, not %zu",
                      lm_hash_type_name(type), lm_db_hash_len(type), len);
    remove_ctx r = {.type = type, .hash = hash, .len = len, .list = list};
    int st = db_write(db, remove_txn, &r);
    if (removed)
        *removed = st == LM_OK ? r.removed : 0;
    return st;
}

static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void entry_info(const db_entry *e, const db_list *l, lm_entry_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = e->id;
    out->type = e->type;
    out->quality = e->quality;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < e->hash_len; i++) {
        out->hash_hex[2 * i] = digits[e->hash[i] >> 4];
        out->hash_hex[2 * i + 1] = digits[e->hash[i] & 15];
    }
    out->hash_hex[2 * e->hash_len] = '\0';
    copy_text(out->list, sizeof out->list, l->name, l->name_len);
    copy_text(out->label, sizeof out->label, e->label, e->label_len);
    copy_text(out->reference, sizeof out->reference, e->ref, e->ref_len);
    out->added = e->added;
}

static int get_txn(lm_hashdb *db, MDB_txn *txn, void *vout)
{
    lm_entry_info *out = vout; /* out->id: the entry to read */
    uint64_t id = out->id;
    db_entry e;
    db_list l;
    int st = db_entry_get(db, txn, id, &e);
    if (st == LM_OK && (st = db_list_get(db, txn, e.list_id, &l)) == LM_E_NOT_FOUND)
        st = db_err(db, LM_E_DB, "entry %llu names a missing list", (unsigned long long)id);
    if (st == LM_OK)
        entry_info(&e, &l, out);
    return st;
}

lm_status lm_hashdb_get_entry(lm_hashdb *db, uint64_t id, lm_entry_info *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    out->id = id;
    return db_read(db, get_txn, out);
}

/* At most this many entries of other lists are stepped over in one call. */
#define LIST_ENTRIES_SCAN 1000000

/* One page of a listing: the entries after `after` (of the named list, or of any). */
typedef struct page_ctx {
    lm_hashdb *db;
    MDB_txn *txn;
    const char *list;
    uint32_t list_id, cached; /* the list record l holds */
    db_list l;
    uint64_t after;
    lm_entry_info *out;
    size_t cap, *n, stepped;
    uint64_t *next;
    int st;
} page_ctx;

/* An entries record as a read (db_range) hands it: key and value decoded into e, or -1. */
static int entry_from(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, db_entry *e)
{
    const char *why;
    MDB_val val = {vl, (void *)v};
    return kl == 8 ? db_entry_decode(db_get_be64(k), &val, e, &why) : -1;
}

static int page_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    page_ctx *c = vctx;
    db_entry e;
    if (entry_from(k, kl, v, vl, &e)) {
        c->st = db_damaged(c->db, "a damaged entry stops the listing");
        return 1;
    }
    if (e.id <= c->after)
        return 0;
    if (c->list_id && e.list_id != c->list_id) {
        if (++c->stepped < LIST_ENTRIES_SCAN)
            return 0;
        *c->next = e.id - 1; /* a page cut short: the next one starts here */
        return 1;
    }
    if (*c->n == c->cap) { /* a full page, and one more entry: there is a next page */
        *c->next = c->out[c->cap - 1].id;
        return 1;
    }
    if (e.list_id != c->cached) {
        if ((c->st = db_list_get(c->db, c->txn, e.list_id, &c->l)) != 0) {
            if (c->st == LM_E_NOT_FOUND)
                c->st =
                    db_damaged(c->db, "entry %llu names a missing list", (unsigned long long)e.id);
            return 1;
        }
        c->cached = e.list_id;
    }
    entry_info(&e, &c->l, &c->out[(*c->n)++]);
    return 0;
}

static int page_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    page_ctx *c = vctx;
    c->txn = txn;
    int st = c->list ? db_list_find_named(db, txn, c->list, &c->list_id) : LM_OK;
    if (st == LM_OK && c->list_id && (st = db_list_get(db, txn, c->list_id, &c->l)) == LM_OK)
        c->cached = c->list_id;
    if (st)
        return st;
    uint8_t key[8];
    db_put_be64(key, c->after == UINT64_MAX ? c->after : c->after + 1); /* the first id above */
    int rc = db_range(db, txn, db->entries, key, sizeof key, page_cb, c);
    return c->st ? c->st : rc ? db_mdb_err(db, rc, "reading the entries") : LM_OK;
}

lm_status lm_hashdb_list_entries(lm_hashdb *db, const char *list, uint64_t after,
                                 lm_entry_info *out, size_t cap, size_t *n, uint64_t *next)
{
    if (!db || !n || !next || !cap || !out)
        return LM_E_INVALID_ARG;
    *n = 0;
    *next = 0;
    page_ctx c = {
        .db = db, .list = list, .after = after, .out = out, .cap = cap, .n = n, .next = next};
    int st = db_read(db, page_txn, &c);
    if (st != LM_OK) {
        *n = 0;
        *next = 0;
    }
    return st;
}

typedef struct lookup_ctx {
    uint64_t *ids;
    size_t cap, *found;
    int bad;
} lookup_ctx;

static int lookup_cb(void *vctx, const uint8_t *v, size_t vlen)
{
    lookup_ctx *c = vctx;
    if (vlen != 8) {
        c->bad = 1;
        return 1;
    }
    if (*c->found < c->cap)
        c->ids[*c->found] = db_get_be64(v);
    ++*c->found;
    return 0;
}

lm_status lm_hashdb_lookup(lm_hashdb *db, lm_hash_type type, const uint8_t *hash, size_t len,
                           uint64_t *ids, size_t cap, size_t *found)
{
    if (!db || !hash || !found || (cap && !ids))
        return LM_E_INVALID_ARG;
    *found = 0;
    if (len != lm_db_hash_len(type) || len == 0)
        return db_err(db, LM_E_INVALID_ARG, "a %s hash has %zu bytes, not %zu",
                      lm_hash_type_name(type), lm_db_hash_len(type), len);
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES];
    db_hash_key(hkey, type, hash, len);
    lookup_ctx c = {ids, cap, found, 0};
    int rc = db_get_dups(db, txn, db->hashes, hkey, 1 + len, lookup_cb, &c);
    if (rc)
        st = db_mdb_err(db, rc, "reading the hash index");
    else if (c.bad)
        st = db_err(db, LM_E_DB, "hash index value has a bad size");
    db_read_end(db, txn);
    return st;
}
