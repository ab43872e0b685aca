/*
 * Bulk load of every PDQ hash. The compact 'pdq' table is read straight from
 * the file's pages with the bounds-checked walker (db_pages.c), inside an
 * LMDB read transaction that pins the snapshot: one pass, no cursor overhead,
 * and a damaged page is an error instead of a crash.
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

typedef struct load_ctx {
    lm_db_pdq_set *out;
    size_t cap;
    int status;
} load_ctx;

static int on_record(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    load_ctx *c = vctx;
    if (kl != 8 || vl != DB_PDQ_REC) {
        c->status = LM_E_DB;
        return 1;
    }
    lm_db_pdq_set *s = c->out;
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
    db_pagefile pf;
    memset(&pf, 0, sizeof pf);
    db_tree t;
    if (st == LM_OK &&
        (db_pages_open(&pf, db, (uint64_t)mdb_txn_id(txn)) || db_pages_find(&pf, "pdq", &t)))
        st = db_err(db, db_pages_status(&pf), "%s/data.mdb: %s", db->path, pf.why);
    load_ctx c = {out, 0, LM_OK};
    if (st == LM_OK) {
        /* Size from the tree's count, but never beyond what the file could hold. */
        c.cap = t.entries < pf.size / DB_PDQ_REC ? (size_t)t.entries : pf.size / DB_PDQ_REC;
        if (c.cap < 16)
            c.cap = 16;
        if (grow(out, c.cap))
            st = db_err(db, LM_E_NOMEM, "out of memory for %zu PDQ hashes", c.cap);
    }
    if (st == LM_OK && db_pages_walk(&pf, &t, on_record, &c, NULL) && c.status == LM_OK)
        st = pf.nomem ? db_err(db, LM_E_NOMEM, "%s/data.mdb: %s", db->path, pf.why)
                      : db_err(db, LM_E_DB,
                               "%s/data.mdb: PDQ table damaged: %s (run 'pmatch db verify')",
                               db->path, pf.why);
    if (st == LM_OK && c.status)
        st = db_err(db, c.status,
                    c.status == LM_E_NOMEM ? "out of memory loading PDQ hashes"
                                           : "a PDQ record is damaged");
    db_pages_close(&pf);
    db_read_end(db, txn);
    if (st)
        lm_db_pdq_set_free(out);
    return st;
}
