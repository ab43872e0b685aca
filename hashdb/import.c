/*
 * Import driver: parse the whole input first (so every bad line is known
 * before anything is written; the parsers are the table of import_formats.c),
 * then write it in one transaction (the sync planner, import_sync.c).
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

int db_sink_hash(db_sink *s, uint64_t line, int op, lm_hash_type type, const char *hex,
                 size_t hex_len, const char *label, size_t label_len, const char *ref,
                 size_t ref_len)
{
    char why[160];
    db_rec *rec = db_recs_slot(s->recs);
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
    db_rec *rec = db_recs_slot(s->recs);
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
    const db_format_def *fd = db_format_def_of(p->format);
    if (p->format != LM_DB_FORMAT_AUTO && fd->document) {
        st = fd->document(r, &sink, o->format == LM_DB_FORMAT_AUTO ? LM_DB_FORMAT_AUTO : p->format);
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
            fd = db_format_def_of(p->format);
        }
        int pr = fd->line(p, &sink, r->line_no, line, len, why, sizeof why);
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
    if (st == LM_OK && fd->needs_header && !p->have_header && job->recs.n == 0 &&
        job->res.lines > 0)
        st = db_err(db, LM_E_IMPORT, "no header line found; nothing imported");
    if (st == LM_OK && fd->finish && fd->finish(p, &sink) < 0)
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

static lm_status import_run(lm_hashdb *db, db_reader *r, const lm_db_import_opts *opts,
                            lm_db_import_result *result, lm_db_import_hook hook, void *hook_ctx)
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
    job.hook = hook;
    job.hook_ctx = hook_ctx;
    int st = parse_all(db, r, &job);
    if (st == LM_OK && job.recs.n && db_import_order(&job) != LM_OK)
        st = db_err(db, LM_E_NOMEM, "out of memory");
    if (st == LM_OK)
        st = db_write(db, db_import_txn, &job);
    if (st == LM_OK)
        for (size_t i = 0; i < job.recs.n; i++) {
            const db_rec *rec = db_recs_at(&job.recs, i);
            if (rec->dup == DB_ACT_DUP)
                report(opts, rec->line, LM_DB_LINE_DUPLICATE, "already in the list");
            else if (rec->dup == DB_ACT_MISSING)
                report(opts, rec->line, LM_DB_LINE_NOT_FOUND,
                       "deletion of a hash the list does not hold");
        }
    if (st != LM_OK)
        job.res.added = job.res.duplicates = job.res.removed = job.res.updated = job.res.not_found =
            0;
    if (result)
        *result = job.res;
    free(job.order);
    db_recs_free(&job.recs);
    return st;
}

lm_status db_import_file_hooked(lm_hashdb *db, FILE *in, const lm_db_import_opts *opts,
                                lm_db_import_result *result, lm_db_import_hook hook, void *ctx)
{
    if (!db || !in)
        return LM_E_INVALID_ARG;
    db_reader *r = calloc(1, sizeof *r);
    if (!r)
        return LM_E_NOMEM;
    r->f = in;
    lm_status st = import_run(db, r, opts, result, hook, ctx);
    free(r);
    return st;
}

lm_status lm_hashdb_import_file(lm_hashdb *db, FILE *in, const lm_db_import_opts *opts,
                                lm_db_import_result *result)
{
    return db_import_file_hooked(db, in, opts, result, NULL, NULL);
}

lm_status lm_hashdb_import_path(lm_hashdb *db, const char *path, const lm_db_import_opts *opts,
                                lm_db_import_result *result)
{
    return db_import_path_hooked(db, path, opts, result, NULL, NULL);
}

lm_status db_import_path_hooked(lm_hashdb *db, const char *path, const lm_db_import_opts *opts,
                                lm_db_import_result *result, lm_db_import_hook hook, void *ctx)
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
    lm_status st = db_import_file_hooked(db, f, opts, result, hook, ctx);
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
    lm_status st = import_run(db, r, opts, result, NULL, NULL);
    free(r);
    return st;
}
