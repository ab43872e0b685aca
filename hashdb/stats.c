/* Stats: counts by list and type, PDQ quality histogram, sizes; one snapshot. */
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

void lm_db_stats_free(lm_db_stats *s)
{
    if (!s)
        return;
    free(s->lists);
    memset(s, 0, sizeof *s);
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
            st = db_err(db, LM_E_DB, "a list record is damaged (run 'pmatch db verify')");
            break;
        }
        if (out->list_count == cap) {
            cap = cap ? cap * 2 : 16;
            lm_db_list_stats *t = cap <= DB_MAX_LISTS ? realloc(out->lists, cap * sizeof *t) : NULL;
            if (!t) {
                st = db_err(db, LM_E_NOMEM, "too many lists");
                break;
            }
            out->lists = t;
        }
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
            st = db_err(db, LM_E_DB, "an entry is damaged (run 'pmatch db verify')");
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
        }
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the entries");
    if (c)
        mdb_cursor_close(c);
    db_read_end(db, txn);
    if (st)
        lm_db_stats_free(out);
    return st;
}
