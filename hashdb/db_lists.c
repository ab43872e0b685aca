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

int db_list_find(lm_hashdb *db, MDB_txn *txn, const char *name, uint32_t *id)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->lists, &c);
    if (rc)
        return db_mdb_err(db, rc, "opening the lists");
    size_t len = strlen(name);
    MDB_val k, v;
    int st = LM_E_NOT_FOUND;
    /* Lists are few (one per supplier and version): a scan is cheapest. */
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        db_list l;
        const char *why;
        if (k.mv_size != 4 || db_list_decode(db_get_be32(k.mv_data), &v, &l, &why) != 0) {
            st = db_damaged(db, "a list record is damaged");
            break;
        }
        if (l.name_len == len && memcmp(l.name, name, len) == 0) {
            *id = l.id;
            st = LM_OK;
            break;
        }
    }
    if (rc && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the lists");
    mdb_cursor_close(c);
    return st;
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

lm_status lm_hashdb_lists(lm_hashdb *db, lm_db_list_info *out, size_t cap, size_t *count)
{
    if (!db || !count || (cap && !out))
        return LM_E_INVALID_ARG;
    *count = 0;
    MDB_txn *txn;
    int st = db_read_begin(db, &txn);
    if (st)
        return st;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->lists, &c);
    if (rc) {
        st = db_mdb_err(db, rc, "opening the lists");
    } else {
        MDB_val k, v;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            db_list l;
            const char *why;
            if (k.mv_size != 4 || db_list_decode(db_get_be32(k.mv_data), &v, &l, &why) != 0) {
                st = db_damaged(db, "a list record is damaged");
                break;
            }
            if (*count < cap)
                db_list_to_info(&l, &out[*count]);
            ++*count;
        }
        if (st == LM_OK && rc != MDB_NOTFOUND)
            st = db_mdb_err(db, rc, "reading the lists");
        mdb_cursor_close(c);
    }
    db_read_end(db, txn);
    return st;
}

typedef struct delete_ctx {
    const char *name;
    uint64_t removed;
} delete_ctx;

static int delete_txn(lm_hashdb *db, MDB_txn *txn, void *arg)
{
    delete_ctx *d = arg;
    uint32_t id;
    int st = db_list_find(db, txn, d->name, &id);
    if (st == LM_E_NOT_FOUND)
        return db_err(db, st, "no list named '%s'", d->name);
    if (st || (st = db_list_remove_entries(db, txn, id, &d->removed)) != 0)
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
    delete_ctx d = {.name = name};
    int st = db_write(db, delete_txn, &d);
    if (st == LM_OK && removed)
        *removed = d.removed;
    return st;
}
