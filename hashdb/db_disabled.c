/*
 * Disabled entries (table 'disabled': entry id -> time disabled), the matcher's
 * one-snapshot confirmation of candidates, and the removal of an entry's rows
 * in the tables that hang off it (disabled, hits).
 */
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

typedef struct dis_ctx {
    const uint64_t *ids;
    size_t n;
    int disabled;
    size_t changed;
} dis_ctx;

static int dis_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    dis_ctx *c = vctx;
    c->changed = 0;
    for (size_t i = 0; i < c->n; i++) {
        db_entry e;
        int st = db_entry_get(db, txn, c->ids[i], &e);
        if (st)
            return st;
        uint8_t key[8], val[8];
        db_put_be64(key, c->ids[i]);
        db_put_le(val, (uint64_t)db_now(), 8);
        MDB_val k = {8, key}, v = {8, val};
        int rc = c->disabled ? mdb_put(txn, db->disabled, &k, &v, MDB_NOOVERWRITE)
                             : mdb_del(txn, db->disabled, &k, NULL);
        if (rc == 0)
            c->changed++;
        else if (rc != MDB_KEYEXIST && rc != MDB_NOTFOUND)
            return db_mdb_err(db, rc, "writing the disabled table");
    }
    return LM_OK;
}

lm_status lm_hashdb_set_disabled(lm_hashdb *db, const uint64_t *ids, size_t n, int disabled,
                                 size_t *changed)
{
    if (changed)
        *changed = 0;
    if (!db || (n && !ids) || (disabled != 0 && disabled != 1))
        return LM_E_INVALID_ARG;
    dis_ctx c = {ids, n, disabled, 0};
    int st = db_write(db, dis_txn, &c);
    if (st == LM_OK && changed)
        *changed = c.changed;
    return st;
}

static int is_disabled(lm_hashdb *db, MDB_txn *txn, uint64_t id, int *out)
{
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key}, v;
    int rc = db_get(db, txn, db->disabled, &k, &v);
    *out = rc == 0;
    return rc == 0 || rc == MDB_NOTFOUND ? LM_OK : db_mdb_err(db, rc, "reading the disabled table");
}

lm_status lm_hashdb_is_disabled(lm_hashdb *db, uint64_t id, int *disabled)
{
    if (!db || !disabled)
        return LM_E_INVALID_ARG;
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    st = is_disabled(db, txn, id, disabled);
    db_read_end(db, txn);
    return st;
}

lm_status lm_hashdb_entry_states(lm_hashdb *db, const uint64_t *ids, size_t n,
                                 lm_db_entry_state *out)
{
    if (!db || (n && (!ids || !out)))
        return LM_E_INVALID_ARG;
    if (n == 0)
        return LM_OK;
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    for (size_t i = 0; i < n && st == LM_OK; i++) {
        memset(&out[i], 0, sizeof out[i]);
        db_entry e;
        st = db_entry_get(db, txn, ids[i], &e);
        if (st == LM_E_NOT_FOUND) {
            st = LM_OK; /* removed since the index was built */
            continue;
        }
        int dis = 0;
        lm_db_list_attrs a;
        if (st == LM_OK && (st = is_disabled(db, txn, ids[i], &dis)) == LM_OK &&
            (st = db_list_attrs_get(db, txn, e.list_id, &a)) == LM_OK) {
            out[i].alive = 1;
            out[i].list_id = e.list_id;
            out[i].active = !dis && a.enabled;
        }
    }
    db_read_end(db, txn);
    return st;
}

int db_entry_extras_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id)
{
    uint8_t key[12];
    db_put_be64(key, id);
    MDB_val k = {8, key}, v;
    int rc = mdb_del(txn, db->disabled, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return db_mdb_err(db, rc, "removing a disabled record");
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, db->hits, &c)) != 0)
        return db_mdb_err(db, rc, "opening the hits");
    db_put_be32(key + 8, 0);
    /* Seek to the entry's first record each time: simplest cursor use across deletes. */
    for (;;) {
        k = (MDB_val){12, key};
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size != 12 || db_get_be64(k.mv_data) != id)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? db_mdb_err(db, rc, "removing hit records") : LM_OK;
}
