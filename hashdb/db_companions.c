/*
 * Companion hashes: extra PDQ hashes of a PDQ entry (regions of the image it
 * was added from), so that crops of the image match the entry. A table of
 * their own keeps entry records, exports and other tools unchanged:
 *   companions  u64 entry id (BE) + u8 region -> { hash[32], i8 quality }
 * Keys sort by entry, so one entry's companions are adjacent (cheap removal).
 */
#include <stdlib.h>
#include <string.h>

#include "db_pages.h"
#include "hashdb_internal.h"

static void companion_key(uint8_t key[DB_COMPANION_KEY], uint64_t id, uint8_t region)
{
    db_put_be64(key, id);
    key[8] = region;
}

int db_companions_put(lm_hashdb *db, MDB_txn *txn, uint64_t id, const lm_db_companion *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].region == 0 || c[i].quality < -1 || c[i].quality > 100)
            return db_err(db, LM_E_INVALID_ARG, "companion %zu: bad region or quality", i);
        uint8_t key[DB_COMPANION_KEY], rec[DB_COMPANION_REC];
        companion_key(key, id, c[i].region);
        memcpy(rec, c[i].hash.b, 32);
        rec[32] = (uint8_t)(int8_t)c[i].quality;
        MDB_val k = {sizeof key, key}, v = {sizeof rec, rec};
        int rc = mdb_put(txn, db->companions, &k, &v, 0);
        if (rc)
            return db_mdb_err(db, rc, "writing a companion hash");
    }
    return LM_OK;
}

int db_companions_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->companions, &c);
    if (rc)
        return db_mdb_err(db, rc, "opening the companions");
    /* Seek the entry's first companion again after each delete (at most 255 of them). */
    for (;;) {
        uint8_t key[DB_COMPANION_KEY];
        companion_key(key, id, 0);
        MDB_val k = {sizeof key, key}, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size != DB_COMPANION_KEY || db_get_be64(k.mv_data) != id)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? db_mdb_err(db, rc, "removing companion hashes") : LM_OK;
}

lm_status lm_hashdb_entry_companions(lm_hashdb *db, uint64_t id, lm_db_companion *out, size_t cap,
                                     size_t *count)
{
    if (!db || !count || (cap && !out))
        return LM_E_INVALID_ARG;
    *count = 0;
    MDB_txn *txn;
    int st = db_read_begin(db, &txn);
    if (st)
        return st;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->companions, &c);
    if (rc) {
        st = db_mdb_err(db, rc, "opening the companions");
    } else {
        uint8_t key[DB_COMPANION_KEY];
        companion_key(key, id, 0);
        MDB_val k = {sizeof key, key}, v;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size != DB_COMPANION_KEY || db_get_be64(k.mv_data) != id)
                break;
            if (v.mv_size != DB_COMPANION_REC) {
                st = db_damaged(db, "a companion record is damaged");
                break;
            }
            if (*count < cap) {
                const uint8_t *p = v.mv_data;
                out[*count].region = ((const uint8_t *)k.mv_data)[8];
                memcpy(out[*count].hash.b, p, 32);
                out[*count].quality = (int8_t)p[32];
            }
            ++*count;
        }
        if (st == LM_OK && rc && rc != MDB_NOTFOUND)
            st = db_mdb_err(db, rc, "reading the companions");
        mdb_cursor_close(c);
    }
    db_read_end(db, txn);
    return st;
}

void lm_db_companion_set_free(lm_db_companion_set *s)
{
    if (!s)
        return;
    free(s->hashes);
    free(s->ids);
    free(s->regions);
    memset(s, 0, sizeof *s);
}

static int grow(void *set, size_t cap)
{
    lm_db_companion_set *s = set;
    lm_pdq_hash *h = realloc(s->hashes, cap * sizeof *h);
    if (h)
        s->hashes = h;
    uint64_t *ids = realloc(s->ids, cap * sizeof *ids);
    if (ids)
        s->ids = ids;
    uint8_t *r = realloc(s->regions, cap);
    if (r)
        s->regions = r;
    return h && ids && r ? 0 : -1;
}

static int on_record(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    db_bulk_load *c = vctx;
    if (kl != DB_COMPANION_KEY || vl != DB_COMPANION_REC || k[8] == 0) {
        c->status = LM_E_DB;
        return 1;
    }
    lm_db_companion_set *s = c->set;
    if (s->count == c->cap) {
        c->cap *= 2;
        if (grow(s, c->cap)) {
            c->status = LM_E_NOMEM;
            return 1;
        }
    }
    memcpy(s->hashes[s->count].b, v, 32);
    s->ids[s->count] = db_get_be64(k);
    s->regions[s->count] = k[8];
    s->count++;
    return 0;
}

lm_status lm_hashdb_load_companions(lm_hashdb *db, lm_db_companion_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    st = db_bulk_load_table(db, txn, "companions", "companion", DB_COMPANION_KEY + DB_COMPANION_REC,
                            out, grow, on_record);
    db_read_end(db, txn);
    if (st)
        lm_db_companion_set_free(out);
    return st;
}
