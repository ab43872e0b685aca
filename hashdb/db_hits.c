/*
 * Hit counters: matchers count hits in memory and flush them here (table
 * 'hits': entry id + day -> count; day 0 holds the entry's total and first/last
 * times). Flushing does not bump the generation: counters do not change what
 * matches. The flood report compares each entry's hits on one day with its own
 * history and with its list's typical entry (rule in lm_db_flood_rule).
 */
#include <stdlib.h>
#include <string.h>

#include "db_pages.h"
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

/* A report being read: one row per entry with hits, its window sums and day history. */
typedef struct report_ctx {
    lm_hashdb *db;
    const lm_db_flood_opts *o;
    lm_db_hit_row **rows;
    size_t *n, cap;
    row_extra *extra;
    double *hist; /* o->days daily counts of the entry being read, yesterday first */
    uint64_t entry;
    int st;
} report_ctx;

/* Every hit record, in (entry, day) order: the rows, totals, today's and the window's hits. */
static int row_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    report_ctx *c = vctx;
    if (kl != 12) {
        c->st = db_damaged(c->db, "a hit key is damaged");
        return 1;
    }
    uint64_t id = db_get_be64(k);
    uint32_t day = db_get_be32(k + 8), today = c->o->today;
    if (!*c->n || (*c->rows)[*c->n - 1].entry_id != id) {
        if (*c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            int failed = 0;
            *c->rows = db_resize(*c->rows, c->cap, sizeof **c->rows, &failed);
            c->extra = db_resize(c->extra, c->cap, sizeof *c->extra, &failed);
            if (failed) {
                c->st = db_err(c->db, LM_E_NOMEM, "out of memory for the hit report");
                return 1;
            }
        }
        memset(&(*c->rows)[*c->n], 0, sizeof **c->rows);
        memset(&c->extra[*c->n], 0, sizeof *c->extra);
        (*c->rows)[(*c->n)++].entry_id = id;
    }
    lm_db_hit_row *cur = &(*c->rows)[*c->n - 1];
    row_extra *x = &c->extra[*c->n - 1];
    if (day == 0 && vl == DB_HIT_TOTAL_REC) {
        cur->total = db_get_le(v, 8);
        cur->first = (int64_t)db_get_le(v + 8, 8);
        cur->last = (int64_t)db_get_le(v + 16, 8);
    } else if (day != 0 && vl == 8) {
        uint64_t cnt = db_get_le(v, 8);
        if (day == today)
            cur->today = cnt;
        else if (day < today && day >= today - (uint32_t)c->o->days) {
            x->any_before = 1;
            x->sum += cnt;
        }
    } else {
        c->st = db_damaged(c->db, "a hit record is damaged");
        return 1;
    }
    return 0;
}

/* One entry's days from the window's first on, into hist. */
static int day_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    report_ctx *c = vctx;
    if (kl != 12 || db_get_be64(k) != c->entry || vl != 8)
        return 1;
    uint32_t day = db_get_be32(k + 8);
    if (day >= c->o->today)
        return 1;
    if (c->o->today - 1 - day < (uint32_t)c->o->days)
        c->hist[c->o->today - 1 - day] = (double)db_get_le(v, 8);
    return 0;
}

static int report_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    report_ctx *c = vctx;
    const lm_db_flood_opts *o = c->o;
    int rc = db_scan(db, txn, db->hits, row_cb, c);
    if (c->st || rc)
        return c->st ? c->st : db_mdb_err(db, rc, "reading the hits");
    /* Per entry: its list and the median of its daily hits over the window. */
    for (size_t i = 0; i < *c->n; i++) {
        lm_db_hit_row *r = &(*c->rows)[i];
        db_entry e;
        db_list l;
        int st = db_entry_get(db, txn, r->entry_id, &e);
        if (st || (st = db_list_get(db, txn, e.list_id, &l)) != 0)
            return st;
        r->list_id = e.list_id;
        size_t nl = l.name_len < LM_DB_MAX_LIST_NAME ? l.name_len : LM_DB_MAX_LIST_NAME;
        memcpy(r->list, l.name, nl);
        r->list[nl] = '\0';
        memset(c->hist, 0, (size_t)o->days * sizeof *c->hist);
        uint8_t key[12];
        hit_key(key, r->entry_id, o->today > (uint32_t)o->days ? o->today - (uint32_t)o->days : 1);
        c->entry = r->entry_id;
        if ((rc = db_range(db, txn, db->hits, key, sizeof key, day_cb, c)) != 0)
            return db_mdb_err(db, rc, "reading the hits");
        r->entry_median = lm_db_median(c->hist, (size_t)o->days);
    }
    return LM_OK;
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
    report_ctx c = {.db = db, .o = &o, .rows = rows, .n = n};
    if (!(c.hist = calloc((size_t)o.days, sizeof *c.hist)))
        return LM_E_NOMEM;
    int st = db_read(db, report_txn, &c);
    row_extra *extra = c.extra;
    double *hist = c.hist;
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
