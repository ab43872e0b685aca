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
    return db_put_by_id(db, txn, db->features, id, rec, len, "writing the local features");
}

int db_features_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id)
{
    return db->features_open ? db_del_by_id(db, txn, db->features, id, "removing the local features")
                             : LM_OK;
}

typedef struct entry_ctx {
    uint64_t id;
    uint8_t *out;
    size_t cap, *len;
} entry_ctx;

static int entry_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    entry_ctx *c = vctx;
    uint8_t key[8];
    db_put_be64(key, c->id);
    MDB_val k = {8, key}, v;
    int rc = db_get(db, txn, db->features, &k, &v);
    if (rc == 0 && (*c->len = v.mv_size) <= c->cap)
        memcpy(c->out, v.mv_data, v.mv_size);
    return rc && rc != MDB_NOTFOUND ? db_mdb_err(db, rc, "reading the local features") : LM_OK;
}

lm_status lm_hashdb_entry_features(lm_hashdb *db, uint64_t id, uint8_t *out, size_t cap,
                                   size_t *len)
{
    if (!db || !len || (cap && !out))
        return LM_E_INVALID_ARG;
    *len = 0;
    entry_ctx c = {id, out, cap, len};
    return db->features_open ? db_read(db, entry_txn, &c) : LM_OK;
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

/* A load of every feature record: the set and the room of its byte array. */
typedef struct feat_load {
    lm_db_feature_set *set;
    size_t cap_bytes;
} feat_load;

/* Room for cap records' ids and offsets; the bytes start at 512 per record (up to 1024 of
 * them: cap counts records of the smallest size) and grow as needed. */
static int reserve(void *ctx, size_t cap)
{
    feat_load *f = ctx;
    lm_db_feature_set *s = f->set;
    int failed = 0, first = !s->offset;
    s->ids = db_resize(s->ids, cap, sizeof *s->ids, &failed);
    s->offset = db_resize(s->offset, cap + 1, sizeof *s->offset, &failed);
    if (first && !failed) {
        s->offset[0] = 0;
        f->cap_bytes = (cap < 1024 ? cap : 1024) * 512;
        s->bytes = db_resize(NULL, f->cap_bytes, 1, &failed);
    }
    return failed ? -1 : 0;
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
    size_t used = s->offset[s->count];
    if (used + vl > f->cap_bytes) {
        size_t nb = f->cap_bytes * 2 > used + vl ? f->cap_bytes * 2 : used + vl;
        int failed = 0;
        s->bytes = db_resize(s->bytes, nb, 1, &failed);
        if (failed) {
            c->status = LM_E_NOMEM;
            return 1;
        }
        f->cap_bytes = nb;
    }
    memcpy(s->bytes + used, v, vl);
    s->ids[s->count] = db_get_be64(k);
    s->offset[s->count + 1] = used + vl;
    s->count++;
    return 0;
}

static int load_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    uint64_t nrec = 0;
    if (db_table_entries(db, txn, db->features, &nrec) == 0 && nrec == 0)
        return LM_OK;
    return db_bulk_load_table(db, txn, "features", "local feature",
                              8 + DB_FEATURE_HDR + DB_FEATURE_REC, vctx, reserve, on_record);
}

lm_status lm_hashdb_load_features(lm_hashdb *db, lm_db_feature_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    feat_load f = {out, 0};
    int st = db->features_open ? db_read(db, load_txn, &f) : LM_OK;
    if (st)
        lm_db_feature_set_free(out);
    return st;
}

static int count_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    uint64_t nrec = 0;
    int rc = db_table_entries(db, txn, db->features, &nrec);
    *(size_t *)vctx = (size_t)nrec;
    return rc ? db_mdb_err(db, rc, "counting the local features") : LM_OK;
}

lm_status lm_hashdb_feature_count(lm_hashdb *db, size_t *count)
{
    if (!db || !count)
        return LM_E_INVALID_ARG;
    *count = 0;
    return db->features_open ? db_read(db, count_txn, count) : LM_OK;
}
