/*
 * The incremental-sync planner: inside the import's one write transaction,
 * decide per hash (records in input order) whether each record inserts,
 * duplicates, updates or deletes an entry, apply deletions by reference and
 * `replace`, then write. The parsed records come from import.c.
 */
#include <stdlib.h>
#include <string.h>

#include "db_grow.h"
#include "import.h"

/* Records are read in hash order, i.e. at random: ask for one this far ahead. */
#define AHEAD 16

/* Both cache lines record k may span (the first chunk is malloc'd, 16-byte aligned). A macro:
 * GCC 12 drops the prefetches of a helper function, finding it free of side effects. */
#define PREFETCH_REC(job, k)                                                                       \
    do {                                                                                           \
        if ((k) < (job)->recs.n) {                                                                 \
            const char *pf_ = (const char *)db_order_rec((job), (job)->order[(k)]);                \
            __builtin_prefetch(pf_);                                                               \
            __builtin_prefetch(pf_ + sizeof(db_rec) - 1);                                          \
        }                                                                                          \
    } while (0)

int db_list_remove_entries(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, uint64_t *removed)
{
    /* Collect the ids, then delete: simpler than deleting under a moving cursor. */
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->entries, &c);
    if (rc)
        return db_mdb_err(db, rc, "opening the entries");
    MDB_val k, v;
    int st = LM_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        db_entry e;
        const char *why;
        if (k.mv_size != 8 || db_entry_decode(db_get_be64(k.mv_data), &v, &e, &why)) {
            st = db_damaged(db, "a damaged entry stops the replace");
            break;
        }
        if (e.list_id != list_id)
            continue;
        uint64_t *t = db_grow(ids, &cap, n, sizeof *t, 1024, SIZE_MAX);
        if (!t) {
            st = db_err(db, LM_E_NOMEM, "out of memory");
            break;
        }
        ids = t;
        ids[n++] = e.id;
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the entries");
    mdb_cursor_close(c);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        db_entry e;
        if ((st = db_entry_get(db, txn, ids[i], &e)) == LM_OK)
            st = db_entry_delete(db, txn, &e);
    }
    free(ids);
    *removed = n;
    return st == LM_OK && n ? db_list_count_add(db, txn, list_id, -(int64_t)n) : st;
}

/* Does record r carry text or a quality that differs from stored entry e? (A record
 * without any text, like a hex line, says nothing about the entry's text.) */
static int rec_changes(const import_job *job, const db_rec *r, const db_entry *e)
{
    const char *text = job->recs.text ? job->recs.text + r->text_off : "";
    if (r->label_len + r->ref_len == 0 && r->quality < 0)
        return 0;
    if (r->label_len != e->label_len || memcmp(text, e->label, r->label_len) != 0)
        return 1;
    if (r->ref_len != e->ref_len || memcmp(text + r->label_len, e->ref, r->ref_len) != 0)
        return 1;
    return r->quality >= 0 && r->quality != e->quality;
}

/*
 * Decide what each record of one hash (the group order[k0..k1), in line order)
 * does, replaying them in order against the list: an addition inserts (or is a
 * duplicate, or updates the stored entry when its text differs), a deletion
 * removes the stored entry or cancels an earlier addition of the file.
 */
static int plan_group(lm_hashdb *db, MDB_txn *txn, import_job *job, uint32_t list_id, size_t k0,
                      size_t k1, int index_empty)
{
    db_rec *first = db_order_rec(job, job->order[k0]);
    uint64_t existing = 0;
    int st;
    uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES];
    db_hash_key(hkey, first->type, first->hash, first->hash_len);
    MDB_val hk = {1 + (size_t)first->hash_len, hkey}, hv;
    /* An empty hash index (a new list) holds none: no lookup per hash. */
    int rc = index_empty ? MDB_NOTFOUND : mdb_get(txn, db->hashes, &hk, &hv);
    if (rc == 0) {
        /* Known hash: does this list hold it? */
        if ((st = db_find_in_list(db, txn, first->type, first->hash, first->hash_len, list_id,
                                  &existing)) != 0)
            return st;
    } else if (rc != MDB_NOTFOUND) {
        return db_mdb_err(db, rc, "reading the hash index");
    }
    db_rec *pending = NULL; /* an addition of this file not yet cancelled */
    db_rec *updater = NULL; /* the record that updates the stored entry */
    for (size_t k = k0; k < k1; k++) {
        db_rec *r = db_order_rec(job, job->order[k]);
        r->id = 0;
        if (r->op == DB_OP_ADD) {
            if (pending) {
                r->dup = DB_ACT_DUP; /* an earlier line of this file has it */
            } else if (existing) {
                db_entry e;
                if ((st = db_entry_get(db, txn, existing, &e)) != 0)
                    return st;
                r->dup = !updater && rec_changes(job, r, &e) ? DB_ACT_UPDATE : DB_ACT_DUP;
                if (r->dup == DB_ACT_UPDATE) {
                    r->id = existing;
                    updater = r;
                }
            } else {
                r->dup = DB_ACT_INSERT;
                pending = r;
            }
        } else if (pending) {
            pending->dup = DB_ACT_NONE; /* added and deleted by the same file */
            pending = NULL;
            r->dup = DB_ACT_NONE;
        } else if (existing) {
            if (updater)
                updater->dup = DB_ACT_NONE; /* no point updating what goes */
            updater = NULL;
            r->dup = DB_ACT_DELETE;
            r->id = existing;
            existing = 0;
        } else {
            r->dup = DB_ACT_MISSING;
        }
    }
    return LM_OK;
}

static int update_entry(lm_hashdb *db, MDB_txn *txn, import_job *job, const db_rec *r)
{
    db_entry e;
    int st = db_entry_get(db, txn, r->id, &e);
    if (st)
        return st;
    const char *text = job->recs.text ? job->recs.text + r->text_off : "";
    /* Copy the record out: e points into the page the put may rewrite. */
    uint8_t hash[LM_DB_MAX_HASH_BYTES], key[8], buf[DB_ENTRY_MAX];
    memcpy(hash, e.hash, e.hash_len);
    e.hash = hash;
    e.label = text;
    e.label_len = r->label_len;
    e.ref = text + r->label_len;
    e.ref_len = r->ref_len;
    if (r->quality >= 0)
        e.quality = r->quality;
    db_put_be64(key, e.id);
    MDB_val k = {8, key}, val = {db_entry_encode(buf, &e), buf};
    int rc = mdb_put(txn, db->entries, &k, &val, 0);
    if (rc)
        return db_mdb_err(db, rc, "updating an entry");
    if (e.type == LM_HASH_PDQ) {
        uint8_t pr[DB_PDQ_REC];
        MDB_val pv = db_pdq_record(pr, &e);
        if ((rc = mdb_put(txn, db->pdq, &k, &pv, 0)) != 0)
            return db_mdb_err(db, rc, "updating a PDQ record");
    }
    return LM_OK;
}

static int cmp_text(const void *a, const void *b, void *ctx)
{
    const import_job *job = ctx;
    const db_rec *x = db_recs_at(&job->recs, *(const size_t *)a),
                 *y = db_recs_at(&job->recs, *(const size_t *)b);
    size_t n = x->ref_len < y->ref_len ? x->ref_len : y->ref_len;
    int c = memcmp(job->recs.text + x->text_off, job->recs.text + y->text_off, n);
    return c ? c : (x->ref_len > y->ref_len) - (x->ref_len < y->ref_len);
}

/* Removals by reference (NCMEC deleted entries without fingerprints): one pass over the
 * list's entries, each reference looked up among the sorted removals. */
static int remove_by_reference(lm_hashdb *db, MDB_txn *txn, import_job *job, uint32_t list_id,
                               uint64_t *removed)
{
    size_t n = 0;
    for (size_t i = 0; i < job->recs.n; i++)
        if (db_recs_at(&job->recs, i)->op == DB_OP_REMOVE_REF) {
            db_recs_at(&job->recs, i)->dup = DB_ACT_MISSING;
            n++;
        }
    if (n == 0)
        return LM_OK;
    size_t *refs = malloc(n * sizeof *refs), k = 0;
    uint64_t *ids = NULL;
    size_t nids = 0, cap = 0;
    if (!refs)
        return db_err(db, LM_E_NOMEM, "out of memory");
    for (size_t i = 0; i < job->recs.n; i++)
        if (db_recs_at(&job->recs, i)->op == DB_OP_REMOVE_REF)
            refs[k++] = i;
    qsort_r(refs, n, sizeof *refs, cmp_text, job);
    MDB_cursor *c;
    int st = LM_OK, rc = mdb_cursor_open(txn, db->entries, &c);
    if (rc) {
        free(refs);
        return db_mdb_err(db, rc, "opening the entries");
    }
    MDB_val kk, vv;
    for (rc = mdb_cursor_get(c, &kk, &vv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &kk, &vv, MDB_NEXT)) {
        db_entry e;
        const char *why;
        if (kk.mv_size != 8 || db_entry_decode(db_get_be64(kk.mv_data), &vv, &e, &why)) {
            st = db_damaged(db, "a damaged entry stops the import");
            break;
        }
        if (e.list_id != list_id || e.ref_len == 0)
            continue;
        size_t lo = 0, hi = n;
        while (lo < hi) { /* binary search of e.ref among the removals */
            size_t mid = (lo + hi) / 2;
            const db_rec *r = db_recs_at(&job->recs, refs[mid]);
            size_t m = r->ref_len < e.ref_len ? r->ref_len : e.ref_len;
            int cmp = memcmp(job->recs.text + r->text_off, e.ref, m);
            if (!cmp)
                cmp = (r->ref_len > e.ref_len) - (r->ref_len < e.ref_len);
            if (cmp == 0) {
                db_recs_at(&job->recs, refs[mid])->dup = DB_ACT_NONE;
                uint64_t *t = db_grow(ids, &cap, nids, sizeof *t, 64, SIZE_MAX);
                if (!t) {
                    st = db_err(db, LM_E_NOMEM, "out of memory");
                    break;
                }
                ids = t;
                ids[nids++] = e.id;
                break;
            }
            if (cmp < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (st)
            break;
    }
    if (st == LM_OK && rc != MDB_NOTFOUND)
        st = db_mdb_err(db, rc, "reading the entries");
    mdb_cursor_close(c);
    for (size_t i = 0; st == LM_OK && i < nids; i++) {
        db_entry e;
        if ((st = db_entry_get(db, txn, ids[i], &e)) == LM_OK)
            st = db_entry_delete(db, txn, &e);
    }
    /* Removals of the same id given twice: the later ones found nothing. */
    for (size_t i = 1; i < n; i++)
        if (cmp_text(&refs[i - 1], &refs[i], job) == 0)
            db_recs_at(&job->recs, refs[i])->dup = DB_ACT_MISSING;
    *removed += nids;
    free(refs);
    free(ids);
    return st;
}

/*
 * Pass 3, in hash order again: the hash index records of the inserted entries. Keys past the
 * table's last one (every key of a new list's first import) are appended: no tree search,
 * and full pages where sorted inserts would split them in half. The others go in along the
 * tree.
 */
static int put_index(lm_hashdb *db, MDB_txn *txn, import_job *job)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->hashes, &c);
    if (rc)
        return db_mdb_err(db, rc, "opening the hash index");
    uint8_t last[1 + LM_DB_MAX_HASH_BYTES];
    MDB_val lk, lv;
    rc = mdb_cursor_get(c, &lk, &lv, MDB_LAST);
    int append = rc == MDB_NOTFOUND, st = LM_OK;
    if (rc == 0 && lk.mv_size <= sizeof last) {
        memcpy(last, lk.mv_data, lk.mv_size); /* the page may change under the puts */
        lk.mv_data = last;
    } else if (rc == 0) {
        st = db_damaged(db, "a hash index key is too long");
    } else if (!append) {
        st = db_mdb_err(db, rc, "reading the hash index");
    }
    for (size_t k = 0; st == LM_OK && k < job->recs.n; k++) {
        PREFETCH_REC(job, k + AHEAD);
        const db_rec *r = db_order_rec(job, job->order[k]);
        if (r->dup != DB_ACT_INSERT)
            continue;
        uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES], idb[8];
        db_hash_key(hkey, r->type, r->hash, r->hash_len);
        db_put_be64(idb, r->id);
        MDB_val hk = {1 + (size_t)r->hash_len, hkey}, hv = {8, idb};
        if (!append)
            append = mdb_cmp(txn, db->hashes, &hk, &lk) > 0; /* keys grow from here on */
        if ((rc = mdb_cursor_put(c, &hk, &hv, append ? MDB_APPEND : MDB_NODUPDATA)) != 0)
            st = db_mdb_err(db, rc, "writing the hash index");
    }
    mdb_cursor_close(c);
    return st;
}

int db_import_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    import_job *job = vctx;
    const lm_db_import_opts *o = job->opts;
    /* This may run again after the map grew: start from a clean slate. */
    job->res.added = job->res.duplicates = job->res.removed = 0;
    job->res.updated = job->res.not_found = 0;
    /* With nothing in the pdq and companions tables, the list's PDQ set after the commit is
     * what this import inserts (db_import_handoff). */
    uint64_t npdq = 1, ncompanions = 1;
    int handoff = job->hook && !job->hook_called &&
                  db_table_entries(db, txn, db->pdq, &npdq) == 0 &&
                  db_table_entries(db, txn, db->companions, &ncompanions) == 0 && npdq == 0 &&
                  ncompanions == 0;
    uint32_t list_id;
    int st = db_list_touch(db, txn, job->list, o->source, o->version, 1, &list_id);
    if (st)
        return st;
    job->res.list_id = list_id;
    if (o->replace && (st = db_list_remove_entries(db, txn, list_id, &job->res.removed)) != 0)
        return st;
    uint64_t next;
    if ((st = db_meta_get_u64(db, txn, "next_entry_id", &next, 8)) != 0)
        return st;
    uint64_t removed = 0;
    if ((st = remove_by_reference(db, txn, job, list_id, &removed)) != 0)
        return st;
    /* Nothing inserts into the hash index before pass 3. */
    uint64_t nindex = 1;
    if ((st = db_table_entries(db, txn, db->hashes, &nindex)) != 0)
        return db_mdb_err(db, st, "reading the hash index");
    /*
     * Pass 1, in hash order: what each record does. Equal hashes are adjacent,
     * and the index is read in key order (warm pages) instead of at random.
     */
    for (size_t k0 = 0, k1; k0 < job->recs.n; k0 = k1) {
        PREFETCH_REC(job, k0 + AHEAD);
        for (k1 = k0 + 1;
             k1 < job->recs.n && db_order_same_key(job, job->order[k1], job->order[k0]); k1++)
            ;
        if (db_order_rec(job, job->order[k0])->op == DB_OP_REMOVE_REF)
            continue; /* done above (type 0: its own group) */
        if ((st = plan_group(db, txn, job, list_id, k0, k1, nindex == 0)) != 0)
            return st;
    }
    if (handoff)
        db_import_handoff(job, next);
    /* Pass 2, in file order: updates and deletions of stored entries first, so that the
     * insertions after them are appends only (db_appender). */
    for (size_t i = 0; i < job->recs.n; i++) {
        db_rec *r = db_recs_at(&job->recs, i);
        if (r->dup == DB_ACT_DUP)
            job->res.duplicates++;
        else if (r->dup == DB_ACT_MISSING)
            job->res.not_found++;
        if (r->dup == DB_ACT_UPDATE) {
            if ((st = update_entry(db, txn, job, r)) != 0)
                return st;
            job->res.updated++;
        } else if (r->dup == DB_ACT_DELETE) {
            db_entry e;
            if ((st = db_entry_get(db, txn, r->id, &e)) != 0 ||
                (st = db_entry_delete(db, txn, &e)) != 0)
                return st;
            removed++;
        }
    }
    /* Then the insertions, in file order: ids follow the lines, so export gives the file
     * back. */
    db_appender app;
    if ((st = db_appender_open(db, txn, &app)) != 0)
        return st;
    int64_t now = db_now();
    for (size_t i = 0; st == LM_OK && i < job->recs.n; i++) {
        db_rec *r = db_recs_at(&job->recs, i);
        if (r->dup != DB_ACT_INSERT)
            continue;
        const char *text = job->recs.text ? job->recs.text + r->text_off : "";
        db_entry e = {.type = r->type,
                      .hash_len = r->hash_len,
                      .quality = r->quality,
                      .list_id = list_id,
                      .added = now,
                      .hash = r->hash,
                      .label = text,
                      .label_len = r->label_len,
                      .ref = text + r->label_len,
                      .ref_len = r->ref_len};
        if ((st = db_entry_append(db, &app, &e, &next)) != 0)
            break;
        if (r->type == LM_HASH_VPDQ &&
            (st = db_video_put(db, txn, e.id, job->recs.blob, job->recs.blob_len)) != 0)
            break;
        r->id = e.id;
        job->res.added++;
    }
    db_appender_close(&app);
    if (st != LM_OK)
        return st;
    if ((st = put_index(db, txn, job)) != 0)
        return st;
    if ((st = db_meta_put_u64(db, txn, "next_entry_id", next, 8)) != 0)
        return st;
    job->res.removed += removed;
    int64_t delta = (int64_t)job->res.added - (int64_t)removed;
    return delta ? db_list_count_add(db, txn, list_id, delta) : LM_OK;
}
