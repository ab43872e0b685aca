/* Lists: provenance records (name, source, version, times) and their entry counts. */
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

int db_list_decode(uint32_t id, const MDB_val *v, db_list *l, const char **why)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < DB_LIST_HDR || v->mv_size > DB_LIST_MAX || p[0] != 1) {
        *why = "list record has a bad size or record version";
        return -1;
    }
    l->id = id;
    l->name_len = db_get_le(p + 2, 2);
    l->source_len = db_get_le(p + 4, 2);
    l->version_len = db_get_le(p + 6, 2);
    l->created = (int64_t)db_get_le(p + 8, 8);
    l->imported = (int64_t)db_get_le(p + 16, 8);
    l->entry_count = db_get_le(p + 24, 8);
    if (l->name_len == 0 || l->name_len > LM_DB_MAX_LIST_NAME || l->source_len > LM_DB_MAX_SOURCE ||
        l->version_len > LM_DB_MAX_VERSION ||
        v->mv_size != DB_LIST_HDR + l->name_len + l->source_len + l->version_len) {
        *why = "list text lengths do not match the record size";
        return -1;
    }
    l->name = (const char *)p + DB_LIST_HDR;
    l->source = l->name + l->name_len;
    l->version = l->source + l->source_len;
    if (!lm_db_text_ok(l->name, l->name_len, LM_DB_MAX_LIST_NAME) ||
        !lm_db_text_ok(l->source, l->source_len, LM_DB_MAX_SOURCE) ||
        !lm_db_text_ok(l->version, l->version_len, LM_DB_MAX_VERSION)) {
        *why = "list text is not printable";
        return -1;
    }
    return 0;
}

static int list_put(lm_hashdb *db, MDB_txn *txn, const db_list *l)
{
    uint8_t rec[DB_LIST_MAX], key[4];
    rec[0] = 1;
    rec[1] = 0;
    db_put_le(rec + 2, l->name_len, 2);
    db_put_le(rec + 4, l->source_len, 2);
    db_put_le(rec + 6, l->version_len, 2);
    db_put_le(rec + 8, (uint64_t)l->created, 8);
    db_put_le(rec + 16, (uint64_t)l->imported, 8);
    db_put_le(rec + 24, l->entry_count, 8);
    /* The source strings may live in the page being replaced: copy before the put. */
    memmove(rec + DB_LIST_HDR, l->name, l->name_len);
    memmove(rec + DB_LIST_HDR + l->name_len, l->source, l->source_len);
    memmove(rec + DB_LIST_HDR + l->name_len + l->source_len, l->version, l->version_len);
    db_put_be32(key, l->id);
    MDB_val k = {4, key}, v = {DB_LIST_HDR + l->name_len + l->source_len + l->version_len, rec};
    int rc = mdb_put(txn, db->lists, &k, &v, 0);
    return rc ? db_mdb_err(db, rc, "writing a list record") : LM_OK;
}

int db_list_get(lm_hashdb *db, MDB_txn *txn, uint32_t id, db_list *l)
{
    uint8_t key[4];
    db_put_be32(key, id);
    MDB_val k = {4, key}, v;
    int rc = db_get(db, txn, db->lists, &k, &v);
    if (rc == MDB_NOTFOUND)
        return db_err(db, LM_E_NOT_FOUND, "no list %u", id);
    if (rc)
        return db_mdb_err(db, rc, "reading a list");
    const char *why;
    if (db_list_decode(id, &v, l, &why) != 0)
        return db_damaged(db, "list %u: %s", id, why);
    return LM_OK;
}

/* Every list record of txn, decoded, to fn until it returns nonzero; a record that does not
 * decode is damage. Lists are few (one per supplier and version): a scan is cheapest. */
typedef struct lists_ctx {
    int (*fn)(void *ctx, const db_list *l);
    void *ctx;
    int bad;
} lists_ctx;

static int lists_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    lists_ctx *c = vctx;
    db_list l;
    const char *why;
    MDB_val val = {vl, (void *)v};
    if (kl != 4 || db_list_decode(db_get_be32(k), &val, &l, &why) != 0) {
        c->bad = 1;
        return 1;
    }
    return c->fn(c->ctx, &l);
}

static int lists_scan(lm_hashdb *db, MDB_txn *txn, int (*fn)(void *ctx, const db_list *l),
                      void *ctx)
{
    lists_ctx c = {fn, ctx, 0};
    int rc = db_scan(db, txn, db->lists, lists_cb, &c);
    if (rc)
        return db_mdb_err(db, rc, "reading the lists");
    return c.bad ? db_damaged(db, "a list record is damaged") : LM_OK;
}

typedef struct find_ctx {
    const char *name;
    size_t len;
    uint32_t *id;
    int found;
} find_ctx;

static int find_cb(void *vctx, const db_list *l)
{
    find_ctx *f = vctx;
    if (l->name_len != f->len || memcmp(l->name, f->name, f->len) != 0)
        return 0;
    *f->id = l->id;
    f->found = 1;
    return 1;
}

int db_list_find(lm_hashdb *db, MDB_txn *txn, const char *name, uint32_t *id)
{
    find_ctx f = {name, strlen(name), id, 0};
    int st = lists_scan(db, txn, find_cb, &f);
    return st ? st : f.found ? LM_OK : LM_E_NOT_FOUND;
}

int db_list_find_named(lm_hashdb *db, MDB_txn *txn, const char *name, uint32_t *id)
{
    int st = db_list_find(db, txn, name, id);
    return st == LM_E_NOT_FOUND ? db_err(db, st, "no list named '%s'", name) : st;
}

int db_list_touch(lm_hashdb *db, MDB_txn *txn, const char *name, const char *source,
                  const char *version, int imported, uint32_t *id)
{
    db_list l;
    int st = db_list_find(db, txn, name, id);
    if (st == LM_E_NOT_FOUND) {
        uint64_t next;
        if ((st = db_meta_get_u64(db, txn, "next_list_id", &next, 4)) != 0)
            return st;
        if (next == 0 || next >= DB_MAX_LISTS)
            return db_err(db, LM_E_DB, "too many lists");
        memset(&l, 0, sizeof l);
        l.id = (uint32_t)next;
        l.name = name;
        l.name_len = strlen(name);
        l.source = l.version = "";
        l.created = db_now();
        if ((st = db_meta_put_u64(db, txn, "next_list_id", next + 1, 4)) != 0)
            return st;
        *id = l.id;
    } else if (st == LM_OK) {
        if ((st = db_list_get(db, txn, *id, &l)) != 0)
            return st;
        if (!source && !version && !imported)
            return LM_OK;
    } else {
        return st;
    }
    if (source) {
        l.source = source;
        l.source_len = strlen(source);
    }
    if (version) {
        l.version = version;
        l.version_len = strlen(version);
    }
    if (imported)
        l.imported = db_now();
    return list_put(db, txn, &l);
}

int db_list_count_add(lm_hashdb *db, MDB_txn *txn, uint32_t id, int64_t delta)
{
    db_list l;
    int st = db_list_get(db, txn, id, &l);
    if (st)
        return st == LM_E_NOT_FOUND ? db_err(db, LM_E_DB, "an entry names missing list %u", id)
                                    : st;
    if (delta < 0 && l.entry_count < (uint64_t)-delta)
        return db_damaged(db, "list %u entry count would go negative", id);
    l.entry_count += (uint64_t)delta;
    return list_put(db, txn, &l);
}

static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void db_list_to_info(const db_list *l, lm_db_list_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = l->id;
    copy_text(out->name, sizeof out->name, l->name, l->name_len);
    copy_text(out->source, sizeof out->source, l->source, l->source_len);
    copy_text(out->version, sizeof out->version, l->version, l->version_len);
    out->created = l->created;
    out->imported = l->imported;
    out->entries = l->entry_count;
}

typedef struct infos_ctx {
    lm_db_list_info *out;
    size_t cap, *count;
} infos_ctx;

static int info_cb(void *vctx, const db_list *l)
{
    infos_ctx *c = vctx;
    if (*c->count < c->cap)
        db_list_to_info(l, &c->out[*c->count]);
    ++*c->count;
    return 0;
}

static int infos_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    return lists_scan(db, txn, info_cb, vctx);
}

lm_status lm_hashdb_lists(lm_hashdb *db, lm_db_list_info *out, size_t cap, size_t *count)
{
    if (!db || !count || (cap && !out))
        return LM_E_INVALID_ARG;
    *count = 0;
    infos_ctx c = {out, cap, count};
    return db_read(db, infos_txn, &c);
}

typedef struct named_ctx {
    const char *name;
    int (*fn)(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, void *ctx);
    void *ctx;
} named_ctx;

static int named_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    named_ctx *c = vctx;
    uint32_t id;
    int st = db_list_find_named(db, txn, c->name, &id);
    return st ? st : c->fn(db, txn, id, c->ctx);
}

int db_write_list(lm_hashdb *db, const char *name,
                  int (*fn)(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, void *ctx), void *ctx)
{
    named_ctx c = {name, fn, ctx};
    return db_write(db, named_txn, &c);
}

static int delete_txn(lm_hashdb *db, MDB_txn *txn, uint32_t id, void *removed)
{
    int st = db_list_remove_entries(db, txn, id, removed);
    if (st)
        return st;
    uint8_t key[4];
    db_put_be32(key, id);
    MDB_val k = {4, key};
    int rc = mdb_del(txn, db->list_attrs, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return db_mdb_err(db, rc, "removing the list's attributes");
    /* Ids are never reused (next_list_id), so nothing can inherit this list's records. */
    if ((rc = mdb_del(txn, db->lists, &k, NULL)) != 0)
        return db_mdb_err(db, rc, "removing the list record");
    return LM_OK;
}

lm_status lm_hashdb_delete_list(lm_hashdb *db, const char *name, uint64_t *removed)
{
    if (removed)
        *removed = 0;
    if (!db || !name)
        return LM_E_INVALID_ARG;
    uint64_t n = 0;
    int st = db_write_list(db, name, delete_txn, &n);
    if (st == LM_OK && removed)
        *removed = n;
    return st;
}
