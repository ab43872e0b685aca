/*
 * Import driver: parse the whole input first (so every bad line is known
 * before anything is written), then write it in one transaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- the sink: records from the document and record-level parsers ---- */

void db_sink_bad(db_sink *s, uint64_t line, const char *why)
{
    s->res->bad++;
    report(s->opts, line, LM_DB_LINE_BAD, why);
}

void db_sink_skipped(db_sink *s, uint64_t line, const char *why)
{
    s->res->skipped++;
    report(s->opts, line, LM_DB_LINE_SKIPPED, why);
}

size_t db_text_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--; /* s[n] continues a character: cut before that character */
    return n;
}

static db_rec *recs_slot(db_recs *rs)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 4096;
        db_rec *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return NULL;
        rs->v = v;
        rs->cap = cap;
    }
    db_rec *rec = &rs->v[rs->n];
    memset(rec, 0, sizeof *rec);
    return rec;
}

int db_sink_hash(db_sink *s, uint64_t line, int op, lm_hash_type type, const char *hex,
                 size_t hex_len, const char *label, size_t label_len, const char *ref,
                 size_t ref_len)
{
    char why[160];
    db_rec *rec = recs_slot(s->recs);
    if (!rec) {
        s->nomem = 1;
        return -1;
    }
    rec->line = line;
    rec->op = (uint8_t)op;
    rec->quality = -1;
    if (db_parse_hash(hex, hex_len, type, rec, why, sizeof why)) {
        db_sink_bad(s, line, why);
        return 0;
    }
    label_len = db_text_cut(label ? label : "", label ? label_len : 0, LM_DB_MAX_LABEL);
    ref_len = db_text_cut(ref ? ref : "", ref ? ref_len : 0, LM_DB_MAX_REFERENCE);
    if (!lm_db_text_ok(label ? label : "", label_len, LM_DB_MAX_LABEL) ||
        !lm_db_text_ok(ref ? ref : "", ref_len, LM_DB_MAX_REFERENCE)) {
        db_sink_bad(s, line, "label or reference is not printable UTF-8");
        return 0;
    }
    if (db_recs_text(s->recs, rec, label ? label : "", label_len, ref ? ref : "", ref_len)) {
        s->nomem = 1;
        return -1;
    }
    s->recs->n++;
    return 1;
}

int db_sink_ref_removal(db_sink *s, uint64_t line, const char *ref, size_t ref_len)
{
    db_rec *rec = recs_slot(s->recs);
    if (!rec) {
        s->nomem = 1;
        return -1;
    }
    rec->line = line;
    rec->op = DB_OP_REMOVE_REF;
    rec->quality = -1;
    ref_len = db_text_cut(ref, ref_len, LM_DB_MAX_REFERENCE);
    if (!lm_db_text_ok(ref, ref_len, LM_DB_MAX_REFERENCE)) {
        db_sink_bad(s, line, "id is not printable UTF-8");
        return 0;
    }
    if (db_recs_text(s->recs, rec, "", 0, ref, ref_len)) {
        s->nomem = 1;
        return -1;
    }
    s->recs->n++;
    return 1;
}

lm_hash_type db_signal_type(const char *name, size_t len)
{
    static const struct {
        const char *name;
        lm_hash_type type;
    } names[] = {
        {"pdq", LM_HASH_PDQ},       {"md5", LM_HASH_MD5},        {"video_md5", LM_HASH_MD5},
        {"videomd5", LM_HASH_MD5},  {"sha1", LM_HASH_SHA1},      {"sha-1", LM_HASH_SHA1},
        {"sha256", LM_HASH_SHA256}, {"sha-256", LM_HASH_SHA256}, {"video_sha256", LM_HASH_SHA256}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (len == strlen(names[i].name) && strncasecmp(name, names[i].name, len) == 0)
            return names[i].type;
    return 0;
}

static int is_doc_format(lm_db_format f)
{
    return f == LM_DB_FORMAT_NCMEC_XML || f == LM_DB_FORMAT_STOPNCII_JSON ||
           f == LM_DB_FORMAT_TAT_JSON;
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
    db_sink sink = {db, &job->recs, o, &job->res, 0, LM_DB_FORMAT_AUTO};
    const char *line;
    size_t len;
    int flags, rc = 0, st = LM_OK;
    char why[160];
    if (p->format == LM_DB_FORMAT_AUTO) {
        /* Documents are told by their first byte; line formats by their first line. */
        int c = db_reader_peek(r);
        if (c == '<')
            p->format = LM_DB_FORMAT_NCMEC_XML;
        else if (c == '[' || c == '{')
            p->format = LM_DB_FORMAT_STOPNCII_JSON; /* records of either JSON kind */
    }
    if (is_doc_format(p->format)) {
        st = p->format == LM_DB_FORMAT_NCMEC_XML
                 ? db_parse_ncmec_xml(r, &sink)
                 : db_parse_json(r, &sink,
                                 o->format == LM_DB_FORMAT_AUTO ? LM_DB_FORMAT_AUTO : p->format);
        job->res.lines = r->line_no;
        if (p->format == LM_DB_FORMAT_STOPNCII_JSON && o->format == LM_DB_FORMAT_AUTO &&
            sink.seen != LM_DB_FORMAT_AUTO)
            p->format = sink.seen;
        if (st == LM_E_IMPORT)
            st = db_err(db, st,
                        "the document is malformed (see the reported line); nothing "
                        "imported");
        else if (st == LM_E_NOMEM)
            st = db_err(db, st, "out of memory; nothing imported");
        else if (st == LM_E_IO)
            st = db_err(db, st, "reading the list failed: %s", strerror(errno));
        goto done;
    }
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
        int pr;
        if (p->format == LM_DB_FORMAT_HMA_CSV || p->format == LM_DB_FORMAT_TE_CSV) {
            pr = p->format == LM_DB_FORMAT_HMA_CSV
                     ? db_parse_hma(p, &sink, r->line_no, line, len, why, sizeof why)
                     : db_parse_te(p, &sink, r->line_no, line, len, why, sizeof why);
            if (pr == DB_PARSE_REC || pr == DB_PARSE_SKIP)
                continue;
        } else if (p->format == LM_DB_FORMAT_VPDQ) {
            pr = db_parse_vpdq_line(p, r->line_no, line, len, why, sizeof why);
        } else {
            db_rec *rec = recs_slot(&job->recs);
            if (!rec) {
                st = db_err(db, LM_E_NOMEM, "out of memory after %llu lines",
                            (unsigned long long)job->res.lines);
                break;
            }
            rec->line = r->line_no;
            pr = p->format == LM_DB_FORMAT_CSV || p->format == LM_DB_FORMAT_TSV
                     ? db_parse_table(p, line, len, rec, &job->recs, why, sizeof why)
                     : db_parse_plain(p, line, len, rec, &job->recs, why, sizeof why);
            if (pr == DB_PARSE_REC)
                job->recs.n++;
        }
        if (pr == DB_PARSE_BAD) {
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
    if (st == LM_OK && p->format == LM_DB_FORMAT_VPDQ && db_vpdq_finish(p, &sink) < 0)
        st = db_err(db, LM_E_NOMEM, "out of memory; nothing imported");
    if (st == LM_OK && sink.nomem)
        st = db_err(db, LM_E_NOMEM, "out of memory; nothing imported");
done:
    job->res.format = p->format;
    free(p->frames);
    free(p);
    if (st == LM_OK && job->res.bad && !o->skip_bad)
        st = db_err_hint(db, LM_E_IMPORT, LM_DB_HINT_SKIP_BAD, "%llu bad line(s); nothing imported",
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
            st = db_damaged(db, "a damaged entry stops the replace");
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
                      size_t k1)
{
    db_rec *v = job->recs.v;
    db_rec *first = &v[job->order[k0]];
    uint64_t existing = 0;
    int st;
    uint8_t hkey[1 + LM_DB_MAX_HASH_BYTES];
    db_hash_key(hkey, first->type, first->hash, first->hash_len);
    MDB_val hk = {1 + (size_t)first->hash_len, hkey}, hv;
    int rc = mdb_get(txn, db->hashes, &hk, &hv);
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
        db_rec *r = &v[job->order[k]];
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
        memcpy(pr, hash, 32);
        pr[32] = (uint8_t)(int8_t)e.quality;
        MDB_val pv = {DB_PDQ_REC, pr};
        if ((rc = mdb_put(txn, db->pdq, &k, &pv, 0)) != 0)
            return db_mdb_err(db, rc, "updating a PDQ record");
    }
    return LM_OK;
}

static int cmp_text(const void *a, const void *b, void *ctx)
{
    const import_job *job = ctx;
    const db_rec *x = &job->recs.v[*(const size_t *)a], *y = &job->recs.v[*(const size_t *)b];
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
        if (job->recs.v[i].op == DB_OP_REMOVE_REF) {
            job->recs.v[i].dup = DB_ACT_MISSING;
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
        if (job->recs.v[i].op == DB_OP_REMOVE_REF)
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
            const db_rec *r = &job->recs.v[refs[mid]];
            size_t m = r->ref_len < e.ref_len ? r->ref_len : e.ref_len;
            int cmp = memcmp(job->recs.text + r->text_off, e.ref, m);
            if (!cmp)
                cmp = (r->ref_len > e.ref_len) - (r->ref_len < e.ref_len);
            if (cmp == 0) {
                job->recs.v[refs[mid]].dup = DB_ACT_NONE;
                if (nids == cap) {
                    cap = cap ? cap * 2 : 64;
                    uint64_t *t = realloc(ids, cap * sizeof *t);
                    if (!t) {
                        st = db_err(db, LM_E_NOMEM, "out of memory");
                        break;
                    }
                    ids = t;
                }
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
            job->recs.v[refs[i]].dup = DB_ACT_MISSING;
    *removed += nids;
    free(refs);
    free(ids);
    return st;
}

static int import_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    import_job *job = vctx;
    const lm_db_import_opts *o = job->opts;
    /* This may run again after the map grew: start from a clean slate. */
    job->res.added = job->res.duplicates = job->res.removed = 0;
    job->res.updated = job->res.not_found = 0;
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
    uint64_t removed = 0;
    if ((st = remove_by_reference(db, txn, job, list_id, &removed)) != 0)
        return st;
    /*
     * Pass 1, in hash order: what each record does. Equal hashes are adjacent,
     * and the index is read in key order (warm pages) instead of at random.
     */
    db_rec *v = job->recs.v;
    for (size_t k0 = 0, k1; k0 < job->recs.n; k0 = k1) {
        for (k1 = k0 + 1;
             k1 < job->recs.n && rec_key_cmp(&v[job->order[k1]], &v[job->order[k0]]) == 0; k1++)
            ;
        if (v[job->order[k0]].op == DB_OP_REMOVE_REF)
            continue; /* done above (type 0: its own group) */
        if ((st = plan_group(db, txn, job, list_id, k0, k1)) != 0)
            return st;
    }
    /* Pass 2, in file order: ids follow the lines, so export gives the file back. */
    int64_t now = db_now();
    for (size_t i = 0; i < job->recs.n; i++) {
        db_rec *r = &v[i];
        if (r->dup == DB_ACT_DUP)
            job->res.duplicates++;
        else if (r->dup == DB_ACT_MISSING)
            job->res.not_found++;
        if (r->dup == DB_ACT_UPDATE) {
            if ((st = update_entry(db, txn, job, r)) != 0)
                return st;
            job->res.updated++;
            continue;
        }
        if (r->dup == DB_ACT_DELETE) {
            db_entry e;
            if ((st = db_entry_get(db, txn, r->id, &e)) != 0 ||
                (st = db_entry_delete(db, txn, &e)) != 0)
                return st;
            removed++;
            continue;
        }
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
        if ((st = db_entry_insert(db, txn, &e, &next, 0)) != 0)
            return st;
        if (r->type == LM_HASH_VPDQ &&
            (st = db_video_put(db, txn, e.id, job->recs.blob + r->blob_off, r->blob_len)) != 0)
            return st;
        r->id = e.id;
        job->res.added++;
    }
    /* Pass 3, in hash order again: index records, inserted along the tree. */
    for (size_t k = 0; k < job->recs.n; k++) {
        db_rec *r = &v[job->order[k]];
        if (r->dup != DB_ACT_INSERT)
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
    job->res.removed += removed;
    int64_t delta = (int64_t)job->res.added - (int64_t)removed;
    return delta ? db_list_count_add(db, txn, list_id, delta) : LM_OK;
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
    if ((unsigned)opts->format > LM_DB_FORMAT_LAST)
        return db_err(db, LM_E_INVALID_ARG, "unknown list format %d", (int)opts->format);
    if (opts->format == LM_DB_FORMAT_PDQ_CSV && opts->type && opts->type != LM_HASH_PDQ)
        return db_err_hint(db, LM_E_INVALID_ARG, LM_DB_HINT_FORMAT,
                           "pdq-csv lists hold PDQ hashes only");
    if (opts->type == LM_HASH_VPDQ)
        return db_err_hint(db, LM_E_INVALID_ARG, LM_DB_HINT_VPDQ,
                           "video entries come from vPDQ files");
    if (opts->label && !lm_db_text_ok(opts->label, strlen(opts->label), LM_DB_MAX_LABEL))
        return db_err(db, LM_E_INVALID_ARG, "label longer than %d bytes or not printable",
                      LM_DB_MAX_LABEL);
    if (opts->reference &&
        !lm_db_text_ok(opts->reference, strlen(opts->reference), LM_DB_MAX_REFERENCE))
        return db_err(db, LM_E_INVALID_ARG, "reference longer than %d bytes or not printable",
                      LM_DB_MAX_REFERENCE);
    /* Plain digest lists are hex lists of one type. */
    lm_db_import_opts plain;
    if (opts->format >= LM_DB_FORMAT_MD5 && opts->format <= LM_DB_FORMAT_SHA256) {
        lm_hash_type t = opts->format == LM_DB_FORMAT_MD5    ? LM_HASH_MD5
                         : opts->format == LM_DB_FORMAT_SHA1 ? LM_HASH_SHA1
                                                             : LM_HASH_SHA256;
        if (opts->type && opts->type != t)
            return db_err_hint(db, LM_E_INVALID_ARG, LM_DB_HINT_FORMAT,
                               "format %s holds %s hashes only", lm_db_format_name(opts->format),
                               lm_hash_type_name(t));
        plain = *opts;
        plain.format = LM_DB_FORMAT_HEX;
        plain.type = t;
        opts = &plain;
    }
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
        for (size_t i = 0; i < job.recs.n; i++) {
            if (job.recs.v[i].dup == DB_ACT_DUP)
                report(opts, job.recs.v[i].line, LM_DB_LINE_DUPLICATE, "already in the list");
            else if (job.recs.v[i].dup == DB_ACT_MISSING)
                report(opts, job.recs.v[i].line, LM_DB_LINE_NOT_FOUND,
                       "deletion of a hash the list does not hold");
        }
    if (st != LM_OK)
        job.res.added = job.res.duplicates = job.res.removed = job.res.updated = job.res.not_found =
            0;
    if (result)
        *result = job.res;
    free(job.order);
    free(job.recs.v);
    free(job.recs.text);
    free(job.recs.blob);
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
    lm_db_import_opts named;
    if (opts && opts->struct_size == sizeof *opts && !opts->name) {
        named = *opts; /* vpdq references default to the file's name */
        named.name = path;
        opts = &named;
    }
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
