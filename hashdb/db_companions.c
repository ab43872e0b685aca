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

typedef struct entry_ctx {
    uint64_t id;
    lm_db_companion *out;
    size_t cap, *count;
    int bad;
} entry_ctx;

static int entry_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    entry_ctx *c = vctx;
    if (kl != DB_COMPANION_KEY || db_get_be64(k) != c->id)
        return 1; /* past the entry's companions */
    if (vl != DB_COMPANION_REC) {
        c->bad = 1;
        return 1;
    }
    if (*c->count < c->cap) {
        lm_db_companion *o = &c->out[*c->count];
        o->region = k[8];
        memcpy(o->hash.b, v, 32);
        o->quality = (int8_t)v[32];
    }
    ++*c->count;
    return 0;
}

static int entry_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    entry_ctx *c = vctx;
    uint8_t key[DB_COMPANION_KEY];
    companion_key(key, c->id, 0);
    int rc = db_range(db, txn, db->companions, key, sizeof key, entry_cb, c);
    if (rc)
        return db_mdb_err(db, rc, "reading the companions");
    return c->bad ? db_damaged(db, "a companion record is damaged") : LM_OK;
}

lm_status lm_hashdb_entry_companions(lm_hashdb *db, uint64_t id, lm_db_companion *out, size_t cap,
                                     size_t *count)
{
    if (!db || !count || (cap && !out))
        return LM_E_INVALID_ARG;
    *count = 0;
    entry_ctx c = {id, out, cap, count, 0};
    return db_read(db, entry_txn, &c);
}

/* Companions appended to a PDQ set: its arrays and their regions grow from base on. */
typedef struct append_load {
    lm_db_pdq_set *set;
    size_t base;
    uint8_t *regions; /* base + room codes; 0 for the first base (the entries' own hashes) */
} append_load;

static int reserve(void *vset, size_t cap)
{
    append_load *a = vset;
    size_t n = a->base + cap;
    if (n < cap || lm_db_pdq_set_reserve(a->set, n) != LM_OK)
        return -1;
    int failed = 0;
    int fresh = !a->regions;
    a->regions = db_resize(a->regions, n, 1, &failed);
    if (!failed && fresh)
        memset(a->regions, 0, a->base);
    return failed ? -1 : 0;
}

static int add(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    db_bulk_load *c = vctx;
    if (kl != DB_COMPANION_KEY || vl != DB_COMPANION_REC || k[8] == 0) {
        c->status = LM_E_DB;
        return 1;
    }
    append_load *a = c->set;
    lm_db_pdq_set *s = a->set;
    memcpy(s->hashes[s->count].b, v, 32);
    s->ids[s->count] = db_get_be64(k);
    s->quality[s->count] = -1;
    a->regions[s->count] = k[8];
    s->count++;
    return 0;
}

static int append_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    append_load *a = vctx;
    uint64_t n = 0;
    int rc = db_table_entries(db, txn, db->companions, &n);
    if (rc)
        return db_mdb_err(db, rc, "counting the companions");
    if (n == 0) /* no walk, and the PDQ arrays are not grown */
        return LM_OK;
    return db_bulk_load_table(db, txn, "companions", "companion",
                              DB_COMPANION_KEY + DB_COMPANION_REC, a, reserve, add);
}

lm_status lm_hashdb_append_companions(lm_hashdb *db, lm_db_pdq_set *set, uint8_t **regions)
{
    if (!db || !set || !regions)
        return LM_E_INVALID_ARG;
    *regions = NULL;
    append_load a = {set, set->count, NULL};
    int st = db_read(db, append_txn, &a);
    if (st) {
        set->count = a.base;
        free(a.regions);
        return st;
    }
    *regions = a.regions;
    return LM_OK;
}
