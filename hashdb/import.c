/*
 * Import driver: parse the whole input first (so every bad line is known
 * before anything is written), then write it in one transaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

void lm_db_import_opts_init(lm_db_import_opts *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

typedef struct import_job {
    const lm_db_import_opts *opts;
    const char *list;
    db_recs recs;
    size_t *order; /* record indices sorted by (type, hash, line) */
    lm_db_import_result res;
} import_job;

static void report(const lm_db_import_opts *o, uint64_t line, lm_db_line_kind kind, const char *why)
{
    if (o->on_line)
        o->on_line(o->ctx, line, kind, why);
}

/* Parse everything. LM_OK, LM_E_IMPORT (fatal header or bad lines without skip_bad), LM_E_IO,
 * LM_E_NOMEM. */
static int parse_all(lm_hashdb *db, db_reader *r, import_job *job)
{
    const lm_db_import_opts *o = job->opts;
    db_parser *p = calloc(1, sizeof *p);
    if (!p)
        return LM_E_NOMEM;
    p->format = o->format;
    p->type = o->type;
    const char *line;
    size_t len;
    int flags, rc, st = LM_OK;
    char why[160];
    while ((rc = db_reader_next(r, &line, &len, &flags)) == 1) {
        job->res.lines++;
        if (flags) {
            snprintf(why, sizeof why,
                     flags & DB_LINE_TOO_LONG ? "line longer than %d bytes" : "NUL byte in line",
                     LM_DB_MAX_LINE);
            job->res.bad++;
            report(o, r->line_no, LM_DB_LINE_BAD, why);
            continue;
        }
        if (p->format == LM_DB_FORMAT_AUTO) {
            if (len == 0 || line[0] == '#')
                continue;
            p->format = db_detect_format(line, len);
        }
        if (job->recs.n == job->recs.cap) {
            size_t cap = job->recs.cap ? job->recs.cap * 2 : 4096;
            db_rec *v = realloc(job->recs.v, cap * sizeof *v);
            if (!v) {
                st = db_err(db, LM_E_NOMEM, "out of memory after %llu lines",
                            (unsigned long long)job->res.lines);
                break;
            }
            job->recs.v = v;
            job->recs.cap = cap;
        }
        db_rec *rec = &job->recs.v[job->recs.n];
        memset(rec, 0, sizeof *rec);
        rec->line = r->line_no;
        int pr = p->format == LM_DB_FORMAT_CSV || p->format == LM_DB_FORMAT_TSV
                     ? db_parse_table(p, line, len, rec, &job->recs, why, sizeof why)
                     : db_parse_plain(p, line, len, rec, &job->recs, why, sizeof why);
        if (pr == DB_PARSE_REC) {
            job->recs.n++;
        } else if (pr == DB_PARSE_BAD) {
            job->res.bad++;
            report(o, r->line_no, LM_DB_LINE_BAD, why);
        } else if (pr == DB_PARSE_NOMEM) {
            st = db_err(db, LM_E_NOMEM, "out of memory at line %llu; nothing imported",
                        (unsigned long long)r->line_no);
            break;
        } else if (pr == DB_PARSE_FATAL) {
            job->res.bad++;
            report(o, r->line_no, LM_DB_LINE_BAD, why);
            st = db_err(db, LM_E_IMPORT, "line %llu: %s; nothing imported",
                        (unsigned long long)r->line_no, why);
            break;
        }
    }
    if (st == LM_OK && rc < 0)
        st = db_err(db, LM_E_IO, "reading the list failed at line %llu: %s",
                    (unsigned long long)r->line_no + 1, strerror(errno));
    if (st == LM_OK && (p->format == LM_DB_FORMAT_CSV || p->format == LM_DB_FORMAT_TSV) &&
        !p->have_header && job->recs.n == 0 && job->res.lines > 0)
        st = db_err(db, LM_E_IMPORT, "no header line found; nothing imported");
    job->res.format = p->format;
    free(p);
    if (st == LM_OK && job->res.bad && !o->skip_bad)
        st = db_err(db, LM_E_IMPORT, "%llu bad line(s); nothing imported (--skip-bad skips them)",
                    (unsigned long long)job->res.bad);
    return st;
}

static int rec_key_cmp(const db_rec *a, const db_rec *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return memcmp(a->hash, b->hash, a->hash_len);
}

/* For qsort_r (glibc): the records come in as the context. */
static int order_cmp_r(const void *x, const void *y, void *ctx)
{
    const db_rec *v = ctx;
    const db_rec *a = &v[*(const size_t *)x], *b = &v[*(const size_t *)y];
    int c = rec_key_cmp(a, b);
    if (c)
        return c;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int remove_list_entries(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, uint64_t *removed)
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
            st = db_err(db, LM_E_DB, "a damaged entry stops the replace (run 'pmatch db verify')");
            break;
        }
        if (e.list_id != list_id)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            uint64_t *t = realloc(ids, cap * sizeof *t);
            if (!t) {
                st = db_err(db, LM_E_NOMEM, "out of memory");
                break;
            }
            ids = t;
        }
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

static int import_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    import_job *job = vctx;
    const lm_db_import_opts *o = job->opts;
    /* This may run again after the map grew: start from a clean slate. */
    job->res.added = job->res.duplicates = job->res.removed = 0;
    uint32_t list_id;
    int st = db_list_touch(db, txn, job->list, o->source, o->version, 1, &list_id);
    if (st)
        return st;
    job->res.list_id = list_id;
    if (o->replace && (st = remove_list_entries(db, txn, list_id, &job->res.removed)) != 0)
        return st;
    uint64_t next;
    if ((st = db_meta_get_u64(db, txn, "next_entry_id", &next, 8)) != 0)
        return st;
    /*
     * Pass 1, in hash order: duplicates. Equal hashes are adjacent, and the
     * index is read in key order (warm pages) instead of at random.
     */
    db_rec *v = job->recs.v;
    for (size_t k = 0; k < job->recs.n; k++) {
        db_rec *r = &v[job->order[k]];
        r->dup = 0;
        if (k > 0 && rec_key_cmp(r, &v[job->order[k - 1]]) == 0) {
            r->dup = 1; /* an earlier line of this file has it */
            job->res.duplicates++;
            continue;
        }
        uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES];
        db_hash_key(hkey, r->type, r->hash, r->hash_len);
        MDB_val hk = {1 + (size_t)r->hash_len, hkey}, hv;
        int rc = mdb_get(txn, db->hashes, &hk, &hv);
        if (rc == 0) {
            /* Known hash: a duplicate only if this list already has it. */
            uint64_t existing;
            if ((st = db_find_in_list(db, txn, r->type, r->hash, r->hash_len, list_id,
                                      &existing)) != 0)
                return st;
            if (existing) {
                r->dup = 1;
                job->res.duplicates++;
            }
        } else if (rc != MDB_NOTFOUND) {
            return db_mdb_err(db, rc, "reading the hash index");
        }
    }
    /* Pass 2, in file order: ids follow the lines, so export gives the file back. */
    int64_t now = db_now();
    for (size_t i = 0; i < job->recs.n; i++) {
        db_rec *r = &v[i];
        if (r->dup)
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
        if ((st = db_entry_insert(db, txn, &e, &next, 0)) != 0)
            return st;
        r->id = e.id;
        job->res.added++;
    }
    /* Pass 3, in hash order again: index records, inserted along the tree. */
    for (size_t k = 0; k < job->recs.n; k++) {
        db_rec *r = &v[job->order[k]];
        if (r->dup)
            continue;
        uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES], idb[8];
        db_hash_key(hkey, r->type, r->hash, r->hash_len);
        db_put_be64(idb, r->id);
        MDB_val hk = {1 + (size_t)r->hash_len, hkey}, hv = {8, idb};
        int rc = mdb_put(txn, db->hashes, &hk, &hv, MDB_NODUPDATA);
        if (rc)
            return db_mdb_err(db, rc, "writing the hash index");
    }
    if ((st = db_meta_put_u64(db, txn, "next_entry_id", next, 8)) != 0)
        return st;
    return job->res.added ? db_list_count_add(db, txn, list_id, (int64_t)job->res.added) : LM_OK;
}

static lm_status import_run(lm_hashdb *db, db_reader *r, const lm_db_import_opts *opts,
                            lm_db_import_result *result)
{
    lm_db_import_opts defaults;
    if (!opts) {
        lm_db_import_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->struct_size != sizeof *opts)
        return db_err(db, LM_E_INVALID_ARG, "import options: wrong struct_size");
    const char *list = opts->list ? opts->list : "default";
    if (!*list || !lm_db_text_ok(list, strlen(list), LM_DB_MAX_LIST_NAME))
        return db_err(db, LM_E_INVALID_ARG,
                      "list name empty, longer than %d bytes or not printable",
                      LM_DB_MAX_LIST_NAME);
    if (opts->source && !lm_db_text_ok(opts->source, strlen(opts->source), LM_DB_MAX_SOURCE))
        return db_err(db, LM_E_INVALID_ARG, "source longer than %d bytes or not printable",
                      LM_DB_MAX_SOURCE);
    if (opts->version && !lm_db_text_ok(opts->version, strlen(opts->version), LM_DB_MAX_VERSION))
        return db_err(db, LM_E_INVALID_ARG, "list version longer than %d bytes or not printable",
                      LM_DB_MAX_VERSION);
    if (opts->type && !lm_db_hash_len(opts->type))
        return db_err(db, LM_E_INVALID_ARG, "unknown hash type %d", (int)opts->type);
    if ((unsigned)opts->format > LM_DB_FORMAT_TSV)
        return db_err(db, LM_E_INVALID_ARG, "unknown list format %d", (int)opts->format);
    if (opts->format == LM_DB_FORMAT_PDQ_CSV && opts->type && opts->type != LM_HASH_PDQ)
        return db_err(db, LM_E_INVALID_ARG, "pdq-csv lists hold PDQ hashes only");
    if (!db->writable)
        return db_err(db, LM_E_INVALID_ARG, "database opened read-only");

    import_job job;
    memset(&job, 0, sizeof job);
    job.opts = opts;
    job.list = list;
    int st = parse_all(db, r, &job);
    if (st == LM_OK && job.recs.n) {
        job.order = malloc(job.recs.n * sizeof *job.order);
        if (!job.order) {
            st = db_err(db, LM_E_NOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < job.recs.n; i++)
                job.order[i] = i;
            qsort_r(job.order, job.recs.n, sizeof *job.order, order_cmp_r, job.recs.v);
        }
    }
    if (st == LM_OK)
        st = db_write(db, import_txn, &job);
    if (st == LM_OK)
        for (size_t i = 0; i < job.recs.n; i++)
            if (job.recs.v[i].dup)
                report(opts, job.recs.v[i].line, LM_DB_LINE_DUPLICATE, "already in the list");
    if (st != LM_OK)
        job.res.added = job.res.duplicates = job.res.removed = 0;
    if (result)
        *result = job.res;
    free(job.order);
    free(job.recs.v);
    free(job.recs.text);
    return st;
}

lm_status lm_hashdb_import_file(lm_hashdb *db, FILE *in, const lm_db_import_opts *opts,
                                lm_db_import_result *result)
{
    if (!db || !in)
        return LM_E_INVALID_ARG;
    db_reader *r = calloc(1, sizeof *r);
    if (!r)
        return LM_E_NOMEM;
    r->f = in;
    lm_status st = import_run(db, r, opts, result);
    free(r);
    return st;
}

lm_status lm_hashdb_import_path(lm_hashdb *db, const char *path, const lm_db_import_opts *opts,
                                lm_db_import_result *result)
{
    if (!db || !path)
        return LM_E_INVALID_ARG;
    FILE *f = fopen(path, "rb");
    if (!f)
        return db_err(db, errno == ENOENT ? LM_E_NOT_FOUND : LM_E_IO, "%s: %s", path,
                      strerror(errno));
    lm_status st = lm_hashdb_import_file(db, f, opts, result);
    fclose(f);
    return st;
}

lm_status lm_hashdb_import_memory(lm_hashdb *db, const void *data, size_t len,
                                  const lm_db_import_opts *opts, lm_db_import_result *result)
{
    if (!db || (!data && len))
        return LM_E_INVALID_ARG;
    db_reader *r = calloc(1, sizeof *r);
    if (!r)
        return LM_E_NOMEM;
    r->mem = data ? data : "";
    r->mem_len = len;
    lm_status st = import_run(db, r, opts, result);
    free(r);
    return st;
}
