/*
 * Bulk loads: every PDQ hash (here) and every companion (db_companions.c). A
 * table is read straight from the file's pages with the bounds-checked walker
 * (db_pages.c), inside an LMDB read transaction that pins the snapshot: one
 * pass, no cursor overhead, and a damaged page is an error instead of a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "db_pages.h"
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

static int grow(void *set, size_t cap)
{
    lm_db_pdq_set *s = set;
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

static int on_record(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    db_bulk_load *c = vctx;
    if (kl != 8 || vl != DB_PDQ_REC) {
        c->status = LM_E_DB;
        return 1;
    }
    lm_db_pdq_set *s = c->set;
    if (s->count == c->cap) {
        c->cap *= 2;
        if (grow(s, c->cap)) {
            c->status = LM_E_NOMEM;
            return 1;
        }
    }
    memcpy(s->hashes[s->count].b, v, 32);
    s->quality[s->count] = (int8_t)v[32];
    s->ids[s->count] = db_get_be64(k);
    s->count++;
    return 0;
}

int db_bulk_load_table(lm_hashdb *db, MDB_txn *txn, const char *name, const char *what,
                       size_t record_bytes, void *set, int (*reserve)(void *set, size_t cap),
                       db_rec_fn fn)
{
    db_pagefile pf;
    memset(&pf, 0, sizeof pf);
    db_tree t;
    int st = LM_OK;
    if (db_pages_open(&pf, db, (uint64_t)mdb_txn_id(txn)) || db_pages_find(&pf, name, &t))
        st = db_err(db, db_pages_status(&pf), "%s/data.mdb: %s", db->path, pf.why);
    db_bulk_load c = {set, 0, LM_OK};
    if (st == LM_OK) {
        /* Size from the tree's count, but never beyond what the file could hold. */
        size_t most = pf.size / record_bytes;
        c.cap = t.entries < most ? (size_t)t.entries : most;
        if (c.cap < 16)
            c.cap = 16;
        if (reserve(set, c.cap))
            st = db_err(db, LM_E_NOMEM, "out of memory for %zu %s hashes", c.cap, what);
    }
    if (st == LM_OK && db_pages_walk(&pf, &t, fn, &c, NULL) && c.status == LM_OK)
        st = pf.nomem ? db_err(db, LM_E_NOMEM, "%s/data.mdb: %s", db->path, pf.why)
                      : db_damaged(db, "%s/data.mdb: %s table damaged: %s", db->path, name, pf.why);
    if (st == LM_OK && c.status)
        st = c.status == LM_E_NOMEM
                 ? db_err(db, LM_E_NOMEM, "out of memory loading %s hashes", what)
                 : db_err(db, c.status, "a %s record is damaged", what);
    db_pages_close(&pf);
    return st;
}

lm_status lm_hashdb_load_pdq(lm_hashdb *db, lm_db_pdq_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    st = db_meta_get_u64(db, txn, "generation", &out->generation, 8);
    if (st == LM_OK)
        st = db_bulk_load_table(db, txn, "pdq", "PDQ", DB_PDQ_REC, out, grow, on_record);
    db_read_end(db, txn);
    if (st)
        lm_db_pdq_set_free(out);
    return st;
}
