/* Stats: counts by list and type, PDQ quality histogram, sizes; one snapshot. */
#include <stdlib.h>
#include <string.h>

#include "db_grow.h"
#include "hashdb_internal.h"

void lm_db_stats_free(lm_db_stats *s)
{
    if (!s)
        return;
    free(s->lists); /* only fields every struct_size has: the caller's struct may be older */
    s->lists = NULL;
    s->list_count = 0;
}

static lm_db_list_stats *find_list(lm_db_stats *s, uint32_t id)
{
    size_t lo = 0, hi = s->list_count; /* lists come sorted by id */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->lists[mid].info.id == id)
            return &s->lists[mid];
        if (s->lists[mid].info.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static lm_db_list_stats *list_of_entry(lm_hashdb *db, MDB_txn *txn, lm_db_stats *s, uint64_t id,
                                       int *st)
{
    db_entry e;
    *st = db_entry_get(db, txn, id, &e);
    return *st == LM_OK ? find_list(s, e.list_id) : NULL;
}

/* Disabled entries, per list. */
static int stats_disabled(lm_hashdb *db, MDB_txn *txn, lm_db_stats *s)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->disabled, &c), st = LM_OK;
    if (rc)
        return db_mdb_err(db, rc, "opening the disabled table");
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && st == LM_OK;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            st = db_damaged(db, "a disabled record is damaged");
            break;
        }
        lm_db_list_stats *ls = list_of_entry(db, txn, s, db_get_be64(k.mv_data), &st);
        s->disabled += st == LM_OK;
        if (ls)
            ls->disabled++;
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the disabled table");
    mdb_cursor_close(c);
    return st;
}

/* Hashes held by more than one list: only keys with several entries are read further. */
static int stats_shared(lm_hashdb *db, MDB_txn *txn, lm_db_stats *s)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->hashes, &c), st = LM_OK;
    if (rc)
        return db_mdb_err(db, rc, "opening the hash index");
    enum { MAXDUP = 256 };
    lm_db_list_stats *owners[MAXDUP];
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && st == LM_OK;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP)) {
        size_t dups = 0;
        if ((rc = mdb_cursor_count(c, &dups)) != 0)
            break;
        if (dups < 2)
            continue;
        size_t n = 0;
        int several = 0;
        for (int r2 = 0; r2 == 0 && st == LM_OK; r2 = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
            if (v.mv_size != 8) {
                st = db_err(db, LM_E_DB, "hash index value has a bad size");
                break;
            }
            lm_db_list_stats *ls = list_of_entry(db, txn, s, db_get_be64(v.mv_data), &st);
            if (st == LM_OK && n < MAXDUP) {
                if (n && ls != owners[0])
                    several = 1;
                owners[n++] = ls;
            }
        }
        if (st == LM_OK && several) {
            s->shared_hashes++;
            for (size_t i = 0; i < n; i++)
                if (owners[i])
                    owners[i]->duplicates++;
        }
        /* The cursor is on the key's last duplicate: MDB_NEXT_NODUP moves to the next key. */
    }
    if (st == LM_OK && rc && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the hash index");
    mdb_cursor_close(c);
    return st;
}

lm_status lm_hashdb_stats(lm_hashdb *db, lm_db_stats *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    int st = db_read_begin(db, &txn);
    if (st)
        return st;
    uint64_t v64 = 0;
    if ((st = db_meta_get_u64(db, txn, "schema_version", &v64, 4)) == LM_OK) {
        out->schema_version = (uint32_t)v64;
        st = db_meta_get_u64(db, txn, "generation", &out->generation, 8);
    }
    MDB_envinfo info;
    MDB_stat es;
    mdb_env_info(db->env, &info);
    mdb_env_stat(db->env, &es);
    out->file_bytes = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize;

    MDB_cursor *c = NULL;
    MDB_val k, v;
    int rc;
    size_t cap = 0;
    if (st == LM_OK && (rc = mdb_cursor_open(txn, db->lists, &c)) != 0)
        st = db_mdb_err(db, rc, "opening the lists");
    for (rc = st ? MDB_NOTFOUND : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        db_list l;
        const char *why;
        if (k.mv_size != 4 || db_list_decode(db_get_be32(k.mv_data), &v, &l, &why)) {
            st = db_damaged(db, "a list record is damaged");
            break;
        }
        lm_db_list_stats *t =
            db_grow(out->lists, &cap, out->list_count, sizeof *t, 16, DB_MAX_LISTS);
        if (!t) {
            st = db_err(db, LM_E_NOMEM, "too many lists");
            break;
        }
        out->lists = t;
        lm_db_list_stats *ls = &out->lists[out->list_count++];
        memset(ls, 0, sizeof *ls);
        db_list_to_info(&l, &ls->info);
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the lists");
    if (c)
        mdb_cursor_close(c);
    c = NULL;

    if (st == LM_OK && (rc = mdb_cursor_open(txn, db->entries, &c)) != 0)
        st = db_mdb_err(db, rc, "opening the entries");
    for (rc = st ? MDB_NOTFOUND : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        db_entry e;
        const char *why;
        if (k.mv_size != 8 || db_entry_decode(db_get_be64(k.mv_data), &v, &e, &why)) {
            st = db_damaged(db, "an entry is damaged");
            break;
        }
        out->entries++;
        out->by_type[e.type]++;
        lm_db_list_stats *ls = find_list(out, e.list_id);
        if (ls)
            ls->by_type[e.type]++;
        if (e.type == LM_HASH_PDQ) {
            if (e.quality < 0)
                out->quality_unknown++;
            else
                out->quality_hist[e.quality / 10]++;
            if (ls && e.quality < 0)
                ls->quality_unknown++;
            else if (ls)
                ls->quality_hist[e.quality / 10]++;
        }
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the entries");
    if (c)
        mdb_cursor_close(c);
    if (st == LM_OK)
        st = stats_disabled(db, txn, out);
    if (st == LM_OK)
        st = stats_shared(db, txn, out);
    db_read_end(db, txn);
    if (st)
        lm_db_stats_free(out);
    return st;
}
