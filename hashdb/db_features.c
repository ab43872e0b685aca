/*
 * Local features: the second, crop- and rotation-tolerant signature of a PDQ
 * entry added from an image (libmatch/hash/local_features.h). A table of its
 * own, one record per entry, so entry records, exports and other tools stay
 * unchanged:
 *   features  u64 entry id (BE) -> { u8 rec_version=1, u8 0, u16 count, u16 width,
 *                                     u16 height, count x { u16 x, u16 y, u8 angle,
 *                                     u8 level, desc[32] } }   (integers little-endian)
 * The table is optional in a list made before it existed: created when the
 * list is next opened for writing, read as empty until then.
 */
#include <stdlib.h>
#include <string.h>

#include "db_pages.h"
#include "hashdb_internal.h"

int lm_db_features_check(const uint8_t *rec, size_t len, const char **why)
{
    if (len < DB_FEATURE_HDR) {
        *why = "shorter than its header";
        return -1;
    }
    size_t n = (size_t)rec[2] | (size_t)rec[3] << 8;
    unsigned w = (unsigned)rec[4] | (unsigned)rec[5] << 8,
             h = (unsigned)rec[6] | (unsigned)rec[7] << 8;
    if (rec[0] != 1 || rec[1] != 0) {
        *why = "unknown record version";
        return -1;
    }
    if (n == 0 || n > LM_DB_MAX_FEATURES || len != DB_FEATURE_HDR + n * DB_FEATURE_REC) {
        *why = "keypoint count does not match the record's size";
        return -1;
    }
    if (w == 0 || h == 0 || w > 4096 || h > 4096) {
        *why = "bad working-image size";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rec + DB_FEATURE_HDR + i * DB_FEATURE_REC;
        unsigned x = (unsigned)p[0] | (unsigned)p[1] << 8, y = (unsigned)p[2] | (unsigned)p[3] << 8;
        if (x >= w * 16u || y >= h * 16u || p[5] >= 16) {
            *why = "a keypoint lies outside its image";
            return -1;
        }
    }
    return 0;
}

int db_features_put(lm_hashdb *db, MDB_txn *txn, uint64_t id, const uint8_t *rec, size_t len)
{
    if (!len)
        return LM_OK;
    const char *why;
    if (!db->features_open)
        return db_err(db, LM_E_DB, "the features table is missing (open the list for writing)");
    if (!rec || lm_db_features_check(rec, len, &why))
        return db_err(db, LM_E_INVALID_ARG, "features record: %s", why);
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key}, v = {len, (void *)rec};
    int rc = mdb_put(txn, db->features, &k, &v, 0);
    return rc ? db_mdb_err(db, rc, "writing the local features") : LM_OK;
}

int db_features_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id)
{
    if (!db->features_open)
        return LM_OK;
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key};
    int rc = mdb_del(txn, db->features, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? db_mdb_err(db, rc, "removing the local features") : LM_OK;
}

lm_status lm_hashdb_entry_features(lm_hashdb *db, uint64_t id, uint8_t *out, size_t cap,
                                   size_t *len)
{
    if (!db || !len || (cap && !out))
        return LM_E_INVALID_ARG;
    *len = 0;
    if (!db->features_open)
        return LM_OK;
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    uint8_t key[8];
    db_put_be64(key, id);
    MDB_val k = {8, key}, v;
    int rc = db_get(db, txn, db->features, &k, &v);
    if (rc == 0) {
        *len = v.mv_size;
        if (v.mv_size <= cap)
            memcpy(out, v.mv_data, v.mv_size);
    } else if (rc != MDB_NOTFOUND) {
        st = db_mdb_err(db, rc, "reading the local features");
    }
    db_read_end(db, txn);
    return st;
}

void lm_db_feature_set_free(lm_db_feature_set *s)
{
    if (!s)
        return;
    free(s->ids);
    free(s->offset);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

typedef struct feat_load {
    lm_db_feature_set *set;
    size_t cap_entries, cap_bytes;
} feat_load;

static int reserve(void *ctx, size_t cap)
{
    feat_load *f = ctx;
    lm_db_feature_set *s = f->set;
    /* cap counts records of the smallest size; start smaller, grow as needed. */
    if (cap > 1024)
        cap = 1024;
    s->ids = malloc(cap * sizeof *s->ids);
    s->offset = malloc((cap + 1) * sizeof *s->offset);
    s->bytes = malloc(cap * 512);
    f->cap_entries = cap;
    f->cap_bytes = cap * 512;
    if (s->offset)
        s->offset[0] = 0;
    return s->ids && s->offset && s->bytes ? 0 : -1;
}

static int on_record(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    db_bulk_load *c = vctx;
    feat_load *f = c->set;
    lm_db_feature_set *s = f->set;
    const char *why;
    if (kl != 8 || lm_db_features_check(v, vl, &why)) {
        c->status = LM_E_DB;
        return 1;
    }
    if (s->count == f->cap_entries) {
        size_t nc = f->cap_entries * 2;
        uint64_t *ids = realloc(s->ids, nc * sizeof *ids);
        if (ids)
            s->ids = ids;
        size_t *off = realloc(s->offset, (nc + 1) * sizeof *off);
        if (off)
            s->offset = off;
        if (!ids || !off) {
            c->status = LM_E_NOMEM;
            return 1;
        }
        f->cap_entries = nc;
    }
    size_t used = s->offset[s->count];
    if (used + vl > f->cap_bytes) {
        size_t nb = f->cap_bytes * 2 > used + vl ? f->cap_bytes * 2 : used + vl;
        uint8_t *b = realloc(s->bytes, nb);
        if (!b) {
            c->status = LM_E_NOMEM;
            return 1;
        }
        s->bytes = b;
        f->cap_bytes = nb;
    }
    memcpy(s->bytes + used, v, vl);
    s->ids[s->count] = db_get_be64(k);
    s->offset[s->count + 1] = used + vl;
    s->count++;
    return 0;
}

lm_status lm_hashdb_load_features(lm_hashdb *db, lm_db_feature_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!db->features_open)
        return LM_OK;
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    uint64_t nrec = 0;
    if (db_table_entries(db, txn, db->features, &nrec) == 0 && nrec == 0) {
        db_read_end(db, txn);
        return LM_OK;
    }
    feat_load f = {out, 0, 0};
    st = db_bulk_load_table(db, txn, "features", "local feature", 8 + DB_FEATURE_HDR, &f, reserve,
                            on_record);
    db_read_end(db, txn);
    if (st)
        lm_db_feature_set_free(out);
    return st;
}

lm_status lm_hashdb_feature_count(lm_hashdb *db, size_t *count)
{
    if (!db || !count)
        return LM_E_INVALID_ARG;
    *count = 0;
    if (!db->features_open)
        return LM_OK;
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    uint64_t nrec = 0;
    int rc = db_table_entries(db, txn, db->features, &nrec);
    db_read_end(db, txn);
    if (rc)
        return rc == DB_RC_DAMAGED ? LM_E_DB
               : rc == DB_RC_NOMEM ? LM_E_NOMEM
                                   : db_mdb_err(db, rc, "counting the local features");
    *count = (size_t)nrec;
    return LM_OK;
}
