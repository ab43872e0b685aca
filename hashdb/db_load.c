/* Bulk load of every PDQ hash: one cursor pass over the compact 'pdq' table. */
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

void lm_db_pdq_set_free(lm_db_pdq_set *s)
{
    if (!s)
        return;
    free(s->hashes);
    free(s->ids);
    free(s->quality);
    memset(s, 0, sizeof *s);
}

static int grow(lm_db_pdq_set *s, size_t cap)
{
    lm_pdq_hash *h = realloc(s->hashes, cap * sizeof *h);
    if (h)
        s->hashes = h;
    uint64_t *ids = realloc(s->ids, cap * sizeof *ids);
    if (ids)
        s->ids = ids;
    int8_t *q = realloc(s->quality, cap);
    if (q)
        s->quality = q;
    return h && ids && q ? 0 : -1;
}

lm_status lm_hashdb_load_pdq(lm_hashdb *db, lm_db_pdq_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    int st = db_read_begin(db, &txn);
    if (st)
        return st;
    st = db_meta_get_u64(db, txn, "generation", &out->generation, 8);
    MDB_stat ms;
    MDB_envinfo info;
    int rc;
    if (st == LM_OK && (rc = mdb_stat(txn, db->pdq, &ms)) != 0)
        st = db_mdb_err(db, rc, "reading the PDQ table size");
    mdb_env_info(db->env, &info);
    /* A damaged count must not make us allocate more than the file could hold. */
    size_t file_bytes = (size_t)(info.me_last_pgno + 1) * ms.ms_psize;
    size_t cap = ms.ms_entries;
    if (cap > file_bytes / DB_PDQ_REC + 1)
        cap = file_bytes / DB_PDQ_REC + 1;
    if (cap < 16)
        cap = 16;
    if (st == LM_OK && grow(out, cap))
        st = db_err(db, LM_E_NOMEM, "out of memory for %zu PDQ hashes", cap);
    MDB_cursor *c = NULL;
    if (st == LM_OK && (rc = mdb_cursor_open(txn, db->pdq, &c)) != 0)
        st = db_mdb_err(db, rc, "opening the PDQ table");
    if (st == LM_OK) {
        MDB_val k, v;
        size_t n = 0;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size != 8 || v.mv_size != DB_PDQ_REC) {
                st = db_err(db, LM_E_DB, "a PDQ record is damaged (run 'pmatch db verify')");
                break;
            }
            if (n == cap) {
                if (n > file_bytes / DB_PDQ_REC + 1) {
                    st = db_err(db, LM_E_DB, "the PDQ table holds more records than the file "
                                             "could (damaged)");
                    break;
                }
                cap *= 2;
                if (grow(out, cap)) {
                    st = db_err(db, LM_E_NOMEM, "out of memory for %zu PDQ hashes", cap);
                    break;
                }
            }
            const uint8_t *p = v.mv_data;
            memcpy(out->hashes[n].b, p, 32);
            out->quality[n] = (int8_t)p[32];
            out->ids[n] = db_get_be64(k.mv_data);
            n++;
        }
        if (st == LM_OK && rc != MDB_NOTFOUND)
            st = db_mdb_err(db, rc, "reading the PDQ table");
        out->count = n;
    }
    if (c)
        mdb_cursor_close(c);
    db_read_end(db, txn);
    if (st)
        lm_db_pdq_set_free(out);
    return st;
}
