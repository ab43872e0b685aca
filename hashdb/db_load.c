/*
 * Bulk loads: every PDQ hash (here), companion (db_companions.c), video frame (db_video.c) and
 * local-feature record (db_features.c). A table is read straight from the file's pages with the
 * bounds-checked walker (db_pages.c), inside an LMDB read transaction that pins the snapshot:
 * one pass, no cursor overhead, and a damaged page is an error instead of a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_pages.h"
#include "hashdb_internal.h"

void *db_resize(void *p, size_t n, size_t size, int *failed)
{
    void *q = n && n <= SIZE_MAX / size ? realloc(p, n * size) : NULL;
    if (!q && n)
        *failed = 1;
    return q ? q : p;
}

void lm_db_pdq_set_free(lm_db_pdq_set *s)
{
    if (!s)
        return;
    free(s->hashes);
    free(s->ids);
    free(s->quality);
    memset(s, 0, sizeof *s);
}

lm_status lm_db_pdq_set_reserve(lm_db_pdq_set *s, size_t cap)
{
    int failed = 0;
    s->hashes = db_resize(s->hashes, cap, sizeof *s->hashes, &failed);
    s->ids = db_resize(s->ids, cap, sizeof *s->ids, &failed);
    s->quality = db_resize(s->quality, cap, sizeof *s->quality, &failed);
    return failed ? LM_E_NOMEM : LM_OK;
}

static int reserve_pdq(void *set, size_t cap)
{
    return lm_db_pdq_set_reserve(set, cap) == LM_OK ? 0 : -1;
}

static int add_pdq(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    db_bulk_load *c = vctx;
    if (kl != 8 || vl != DB_PDQ_REC) {
        c->status = LM_E_DB;
        return 1;
    }
    lm_db_pdq_set *s = c->set;
    memcpy(s->hashes[s->count].b, v, 32);
    s->quality[s->count] = (int8_t)v[32];
    s->ids[s->count] = db_get_be64(k);
    s->count++;
    return 0;
}

/* A bulk load's walk: room for one more record before each one the callback adds. */
typedef struct bulk_walk {
    db_bulk_load c;
    int (*reserve)(void *set, size_t cap);
    db_rec_fn add;
} bulk_walk;

static int bulk_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    bulk_walk *b = vctx;
    if (b->c.count == b->c.cap) {
        if (b->c.cap > SIZE_MAX / 2 || b->reserve(b->c.set, b->c.cap * 2)) {
            b->c.status = LM_E_NOMEM;
            return 1;
        }
        b->c.cap *= 2;
    }
    if (b->add(&b->c, k, kl, v, vl))
        return 1;
    b->c.count++;
    return 0;
}

int db_bulk_load_table(lm_hashdb *db, MDB_txn *txn, const char *name, const char *what,
                       size_t record_bytes, void *set, int (*reserve)(void *set, size_t cap),
                       db_rec_fn add)
{
    db_pagefile pf;
    memset(&pf, 0, sizeof pf);
    db_tree t;
    int st = LM_OK;
    if (db_pages_open(&pf, db, (uint64_t)mdb_txn_id(txn)) || db_pages_find(&pf, name, &t))
        st = db_err(db, db_pages_status(&pf), "%s/data.mdb: %s", db->path, pf.why);
    bulk_walk b = {{set, 0, 0, LM_OK}, reserve, add};
    if (st == LM_OK) {
        /* Size from the tree's count, but never beyond what the file could hold. */
        size_t most = pf.size / record_bytes;
        b.c.cap = t.entries < most ? (size_t)t.entries : most;
        if (b.c.cap < 16)
            b.c.cap = 16;
        if (reserve(set, b.c.cap))
            st = db_err(db, LM_E_NOMEM, "out of memory for %zu %s records", b.c.cap, what);
    }
    if (st == LM_OK && db_pages_walk(&pf, &t, bulk_cb, &b, NULL) && b.c.status == LM_OK)
        st = pf.nomem ? db_err(db, LM_E_NOMEM, "%s/data.mdb: %s", db->path, pf.why)
                      : db_damaged(db, "%s/data.mdb: %s table damaged: %s", db->path, name, pf.why);
    if (st == LM_OK && b.c.status == LM_E_NOMEM)
        st = db_err(db, LM_E_NOMEM, "out of memory loading %s records", what);
    else if (st == LM_OK && b.c.status)
        st = db_damaged(db, "a %s record is damaged", what);
    db_pages_close(&pf);
    return st;
}

static int load_txn(lm_hashdb *db, MDB_txn *txn, void *vout)
{
    lm_db_pdq_set *out = vout;
    int st = db_meta_get_u64(db, txn, "generation", &out->generation, 8);
    return st ? st : db_bulk_load_table(db, txn, "pdq", "PDQ", DB_PDQ_REC, out, reserve_pdq, add_pdq);
}

lm_status lm_hashdb_load_pdq(lm_hashdb *db, lm_db_pdq_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    int st = db_read(db, load_txn, out);
    if (st)
        lm_db_pdq_set_free(out);
    return st;
}
