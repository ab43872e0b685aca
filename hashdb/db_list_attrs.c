/*
 * List attributes: match distance, enabled switch and kind, in their own table
 * (list_attrs) so that list records keep their version-1 layout. A list without
 * a record has the defaults: enabled, normal, the caller's distance.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hashdb_internal.h"

const char *lm_db_list_kind_name(lm_db_list_kind k)
{
    return k == LM_DB_LIST_NORMAL ? "normal" : k == LM_DB_LIST_NEGATIVE ? "negative" : NULL;
}

lm_status lm_db_list_kind_parse(const char *name, lm_db_list_kind *out)
{
    if (name && strcasecmp(name, "normal") == 0)
        *out = LM_DB_LIST_NORMAL;
    else if (name && strcasecmp(name, "negative") == 0)
        *out = LM_DB_LIST_NEGATIVE;
    else
        return LM_E_PARSE;
    return LM_OK;
}

static void defaults(uint32_t id, lm_db_list_attrs *a)
{
    *a = (lm_db_list_attrs){.list_id = id, .distance = -1, .enabled = 1, .kind = LM_DB_LIST_NORMAL};
}

int db_list_attrs_decode(const MDB_val *v, lm_db_list_attrs *a, const char **why)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size != DB_LIST_ATTRS_REC || p[0] != 1) {
        *why = "list attributes have a bad size or record version";
        return -1;
    }
    int distance = (int16_t)db_get_le(p + 4, 2);
    if ((p[1] & ~1u) || p[2] > LM_DB_LIST_NEGATIVE || p[3] || distance < -1 || distance > 256) {
        *why = "list attributes hold values out of range";
        return -1;
    }
    a->enabled = !(p[1] & 1);
    a->kind = (lm_db_list_kind)p[2];
    a->distance = distance;
    return 0;
}

int db_list_attrs_get(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, lm_db_list_attrs *a)
{
    defaults(list_id, a);
    uint8_t key[4];
    db_put_be32(key, list_id);
    MDB_val k = {4, key}, v;
    int rc = db_get(db, txn, db->list_attrs, &k, &v);
    if (rc == MDB_NOTFOUND)
        return LM_OK;
    if (rc)
        return db_mdb_err(db, rc, "reading list attributes");
    const char *why;
    if (db_list_attrs_decode(&v, a, &why))
        return db_damaged(db, "list %u: %s", list_id, why);
    return LM_OK;
}

typedef struct set_ctx {
    const lm_db_list_attrs *in;
    unsigned which;
} set_ctx;

static int set_txn(lm_hashdb *db, MDB_txn *txn, uint32_t id, void *vctx)
{
    set_ctx *c = vctx;
    lm_db_list_attrs a;
    int st = db_list_attrs_get(db, txn, id, &a);
    if (st)
        return st;
    if (c->which & LM_DB_ATTR_DISTANCE)
        a.distance = c->in->distance;
    if (c->which & LM_DB_ATTR_ENABLED)
        a.enabled = c->in->enabled;
    if (c->which & LM_DB_ATTR_KIND)
        a.kind = c->in->kind;
    uint8_t rec[DB_LIST_ATTRS_REC] = {1, a.enabled ? 0 : 1, (uint8_t)a.kind, 0};
    db_put_le(rec + 4, (uint16_t)(int16_t)a.distance, 2);
    uint8_t key[4];
    db_put_be32(key, id);
    MDB_val k = {4, key}, v = {sizeof rec, rec};
    int rc = mdb_put(txn, db->list_attrs, &k, &v, 0);
    return rc ? db_mdb_err(db, rc, "writing list attributes") : LM_OK;
}

lm_status lm_hashdb_set_list_attrs(lm_hashdb *db, const char *list, const lm_db_list_attrs *a,
                                   unsigned which)
{
    if (!db || !list || !a || !which || (which & ~7u))
        return LM_E_INVALID_ARG;
    if (((which & LM_DB_ATTR_DISTANCE) && (a->distance < -1 || a->distance > 256)) ||
        ((which & LM_DB_ATTR_ENABLED) && a->enabled != 0 && a->enabled != 1) ||
        ((which & LM_DB_ATTR_KIND) && !lm_db_list_kind_name(a->kind)))
        return db_err(db, LM_E_INVALID_ARG, "list attribute out of range");
    set_ctx c = {a, which};
    return db_write_list(db, list, set_txn, &c);
}

static int get_txn(lm_hashdb *db, MDB_txn *txn, void *vout)
{
    lm_db_list_attrs *out = vout; /* out->list_id: the list to read */
    uint32_t id = out->list_id;
    db_list l;
    int st = db_list_get(db, txn, id, &l);
    return st ? st : db_list_attrs_get(db, txn, id, out);
}

lm_status lm_hashdb_get_list_attrs(lm_hashdb *db, uint32_t list_id, lm_db_list_attrs *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    out->list_id = list_id;
    return db_read(db, get_txn, out);
}

typedef struct all_ctx {
    lm_hashdb *db;
    MDB_txn *txn;
    lm_db_list_attrs **out;
    size_t *n, cap;
    uint64_t generation;
    int st;
} all_ctx;

static int all_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    (void)v;
    (void)vl;
    all_ctx *c = vctx;
    if (kl != 4) {
        c->st = db_damaged(c->db, "a list key is damaged");
        return 1;
    }
    if (*c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        lm_db_list_attrs *t = c->cap <= DB_MAX_LISTS ? realloc(*c->out, c->cap * sizeof *t) : NULL;
        if (!t) {
            c->st = db_err(c->db, LM_E_NOMEM, "out of memory for list attributes");
            return 1;
        }
        *c->out = t;
    }
    if ((c->st = db_list_attrs_get(c->db, c->txn, db_get_be32(k), &(*c->out)[*c->n])) != 0)
        return 1;
    ++*c->n;
    return 0;
}

static int all_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    all_ctx *c = vctx;
    c->txn = txn;
    int st = db_meta_get_u64(db, txn, "generation", &c->generation, 8);
    if (st)
        return st;
    int rc = db_scan(db, txn, db->lists, all_cb, c);
    return c->st ? c->st : rc ? db_mdb_err(db, rc, "reading the lists") : LM_OK;
}

lm_status lm_hashdb_all_list_attrs(lm_hashdb *db, lm_db_list_attrs **out, size_t *n,
                                   uint64_t *generation)
{
    if (!db || !out || !n)
        return LM_E_INVALID_ARG;
    *out = NULL;
    *n = 0;
    all_ctx c = {db, NULL, out, n, 0, 0, LM_OK};
    int st = db_read(db, all_txn, &c);
    if (generation)
        *generation = c.generation;
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}
