/*
 * Hit counters: matchers count hits in memory and flush them here (table
 * 'hits': entry id + day -> count; day 0 holds the entry's total and first/last
 * times). Flushing does not bump the generation: counters do not change what
 * matches. The flood report compares each entry's hits on one day with its own
 * history and with its list's typical entry (rule in lm_db_flood_rule).
 */
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

static void hit_key(uint8_t *key, uint64_t id, uint32_t day)
{
    db_put_be64(key, id);
    db_put_be32(key + 8, day);
}

typedef struct add_ctx {
    const lm_db_hit_delta *d;
    size_t n;
    uint32_t keep_days;
    size_t dropped;
} add_ctx;

static int add_one(lm_hashdb *db, MDB_txn *txn, const lm_db_hit_delta *d, uint32_t keep_days,
                   size_t *dropped)
{
    uint8_t ek[8], key[12], rec[DB_HIT_TOTAL_REC];
    db_put_be64(ek, d->entry_id);
    MDB_val k = {8, ek}, v;
    int rc = mdb_get(txn, db->entries, &k, &v);
    if (rc == MDB_NOTFOUND) {
        ++*dropped; /* removed since it matched */
        return LM_OK;
    }
    if (rc)
        return db_mdb_err(db, rc, "reading an entry");
    /* The total. */
    uint64_t total = 0;
    int64_t first = d->first, last = d->last;
    hit_key(key, d->entry_id, 0);
    k = (MDB_val){12, key};
    rc = mdb_get(txn, db->hits, &k, &v);
    if (rc == 0 && v.mv_size == DB_HIT_TOTAL_REC) {
        const uint8_t *p = v.mv_data;
        total = db_get_le(p, 8);
        int64_t f = (int64_t)db_get_le(p + 8, 8), l = (int64_t)db_get_le(p + 16, 8);
        if (f && (!first || f < first))
            first = f;
        if (l > last)
            last = l;
    } else if (rc == 0) {
        return db_damaged(db, "hit record of entry %llu is damaged",
                          (unsigned long long)d->entry_id);
    } else if (rc != MDB_NOTFOUND) {
        return db_mdb_err(db, rc, "reading hits");
    }
    db_put_le(rec, total + d->count, 8);
    db_put_le(rec + 8, (uint64_t)first, 8);
    db_put_le(rec + 16, (uint64_t)last, 8);
    v = (MDB_val){sizeof rec, rec};
    if ((rc = mdb_put(txn, db->hits, &k, &v, 0)) != 0)
        return db_mdb_err(db, rc, "writing hits");
    if (d->day == 0)
        return LM_OK;
    /* The day's bucket. */
    hit_key(key, d->entry_id, d->day);
    uint64_t day_count = 0;
    rc = mdb_get(txn, db->hits, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        day_count = db_get_le(v.mv_data, 8);
    else if (rc == 0)
        return db_err(db, LM_E_DB, "hit record of entry %llu is damaged",
                      (unsigned long long)d->entry_id);
    else if (rc != MDB_NOTFOUND)
        return db_mdb_err(db, rc, "reading hits");
    uint8_t cnt[8];
    db_put_le(cnt, day_count + d->count, 8);
    v = (MDB_val){8, cnt};
    if ((rc = mdb_put(txn, db->hits, &k, &v, 0)) != 0)
        return db_mdb_err(db, rc, "writing hits");
    /* Prune buckets older than the window. */
    if (d->day <= keep_days)
        return LM_OK;
    uint32_t cutoff = d->day - keep_days;
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, db->hits, &c)) != 0)
        return db_mdb_err(db, rc, "opening the hits");
    for (;;) {
        hit_key(key, d->entry_id, 1);
        k = (MDB_val){12, key};
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size != 12 || db_get_be64(k.mv_data) != d->entry_id ||
            db_get_be32((const uint8_t *)k.mv_data + 8) >= cutoff)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? db_mdb_err(db, rc, "pruning hits") : LM_OK;
}

static int add_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    add_ctx *c = vctx;
    c->dropped = 0;
    for (size_t i = 0; i < c->n; i++) {
        int st = add_one(db, txn, &c->d[i], c->keep_days, &c->dropped);
        if (st)
            return st;
    }
    return LM_OK;
}

lm_status lm_hashdb_add_hits(lm_hashdb *db, const lm_db_hit_delta *d, size_t n, uint32_t keep_days,
                             size_t *dropped)
{
    if (dropped)
        *dropped = 0;
    if (!db || (n && !d))
        return LM_E_INVALID_ARG;
    if (n == 0)
        return LM_OK;
    add_ctx c = {d, n, keep_days, 0};
    int st = db_write_keep_generation(db, add_txn, &c);
    if (st == LM_OK && dropped)
        *dropped = c.dropped;
    return st;
}

/* ---- the report ---- */

void lm_db_flood_opts_init(lm_db_flood_opts *o)
{
    *o = (lm_db_flood_opts){.today = 0, .days = 14, .factor = 10.0, .min_hits = 20};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double lm_db_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int lm_db_flood_rule(const lm_db_flood_opts *o, uint64_t today, double entry_median,
                     double list_typical)
{
    double e = entry_median > 1 ? entry_median : 1, l = list_typical > 1 ? list_typical : 1;
    return today >= o->min_hits && (double)today >= o->factor * e && (double)today >= o->factor * l;
}

typedef struct row_extra {
    uint64_t sum;   /* hits over the window before today (summed exactly, divided once) */
    int any_before; /* hits in the window before today */
} row_extra;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

lm_status lm_hashdb_hit_report(lm_hashdb *db, const lm_db_flood_opts *opts, lm_db_hit_row **rows,
                               size_t *n)
{
    if (!db || !rows || !n)
        return LM_E_INVALID_ARG;
    *rows = NULL;
    *n = 0;
    lm_db_flood_opts o;
    lm_db_flood_opts_init(&o);
    if (opts)
        o = *opts;
    if (o.days < 1 || o.days > 3650 || !(o.factor > 0))
        return db_err(db, LM_E_INVALID_ARG, "bad flood options");
    if (o.today == 0)
        o.today = (uint32_t)(db_now() / 86400);
    double *hist = calloc((size_t)o.days, sizeof *hist);
    if (!hist)
        return LM_E_NOMEM;
    MDB_txn *txn;
    int st = db_read_begin(db, &txn);
    if (st) {
        free(hist);
        return st;
    }
    MDB_cursor *c = NULL;
    int rc = mdb_cursor_open(txn, db->hits, &c);
    if (rc)
        st = db_mdb_err(db, rc, "opening the hits");
    size_t cap = 0;
    row_extra *extra = NULL;
    lm_db_hit_row *cur = NULL;
    MDB_val k, v;
    for (rc = st ? MDB_NOTFOUND : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 12) {
            st = db_damaged(db, "a hit key is damaged");
            break;
        }
        uint64_t id = db_get_be64(k.mv_data);
        uint32_t day = db_get_be32((const uint8_t *)k.mv_data + 8);
        if (!cur || cur->entry_id != id) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                lm_db_hit_row *t = realloc(*rows, cap * sizeof *t);
                row_extra *x = t ? realloc(extra, cap * sizeof *x) : NULL;
                if (t)
                    *rows = t;
                if (x)
                    extra = x;
                if (!t || !x) {
                    st = db_err(db, LM_E_NOMEM, "out of memory for the hit report");
                    break;
                }
            }
            cur = &(*rows)[(*n)++];
            memset(cur, 0, sizeof *cur);
            memset(&extra[*n - 1], 0, sizeof extra[0]);
            cur->entry_id = id;
        }
        if (day == 0 && v.mv_size == DB_HIT_TOTAL_REC) {
            const uint8_t *p = v.mv_data;
            cur->total = db_get_le(p, 8);
            cur->first = (int64_t)db_get_le(p + 8, 8);
            cur->last = (int64_t)db_get_le(p + 16, 8);
        } else if (day != 0 && v.mv_size == 8) {
            uint64_t cnt = db_get_le(v.mv_data, 8);
            if (day == o.today)
                cur->today = cnt;
            else if (day < o.today && day >= o.today - (uint32_t)o.days) {
                extra[*n - 1].any_before = 1;
                extra[*n - 1].sum += cnt;
            }
        } else {
            st = db_damaged(db, "a hit record is damaged");
            break;
        }
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the hits");
    if (c)
        mdb_cursor_close(c);
    /* Per entry: its list and the median of its daily hits over the window. */
    for (size_t i = 0; st == LM_OK && i < *n; i++) {
        lm_db_hit_row *r = &(*rows)[i];
        db_entry e;
        db_list l;
        if ((st = db_entry_get(db, txn, r->entry_id, &e)) != 0 ||
            (st = db_list_get(db, txn, e.list_id, &l)) != 0)
            break;
        r->list_id = e.list_id;
        size_t nl = l.name_len < LM_DB_MAX_LIST_NAME ? l.name_len : LM_DB_MAX_LIST_NAME;
        memcpy(r->list, l.name, nl);
        r->list[nl] = '\0';
        memset(hist, 0, (size_t)o.days * sizeof *hist);
        uint8_t key[12];
        db_put_be64(key, r->entry_id);
        db_put_be32(key + 8, o.today > (uint32_t)o.days ? o.today - (uint32_t)o.days : 1);
        MDB_cursor *dc;
        if ((rc = mdb_cursor_open(txn, db->hits, &dc)) != 0) {
            st = db_mdb_err(db, rc, "opening the hits");
            break;
        }
        k = (MDB_val){12, key};
        for (rc = mdb_cursor_get(dc, &k, &v, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(dc, &k, &v, MDB_NEXT)) {
            if (k.mv_size != 12 || db_get_be64(k.mv_data) != r->entry_id || v.mv_size != 8)
                break;
            uint32_t day = db_get_be32((const uint8_t *)k.mv_data + 8);
            if (day >= o.today)
                break;
            hist[o.today - 1 - day] = (double)db_get_le(v.mv_data, 8);
        }
        mdb_cursor_close(dc);
        r->entry_median = lm_db_median(hist, (size_t)o.days);
    }
    db_read_end(db, txn);
    /* Per list: the median of the means of its entries that had hits before today. */
    uint32_t *lists = st == LM_OK && *n ? malloc(*n * sizeof *lists) : NULL;
    double *means = lists ? malloc(*n * sizeof *means) : NULL;
    if (st == LM_OK && *n && (!lists || !means))
        st = LM_E_NOMEM;
    if (st == LM_OK && *n) {
        for (size_t i = 0; i < *n; i++)
            lists[i] = (*rows)[i].list_id;
        qsort(lists, *n, sizeof *lists, cmp_u32);
        for (size_t i = 0; i < *n; i++) {
            if (i && lists[i] == lists[i - 1])
                continue;
            size_t m = 0;
            for (size_t j = 0; j < *n; j++)
                if ((*rows)[j].list_id == lists[i] && extra[j].any_before)
                    means[m++] = (double)extra[j].sum / o.days;
            double typical = lm_db_median(means, m);
            for (size_t j = 0; j < *n; j++)
                if ((*rows)[j].list_id == lists[i]) {
                    (*rows)[j].list_typical = typical;
                    (*rows)[j].flood =
                        lm_db_flood_rule(&o, (*rows)[j].today, (*rows)[j].entry_median, typical);
                }
        }
    }
    free(lists);
    free(means);
    free(extra);
    free(hist);
    if (st) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return st;
}
