/* CSV and TSV lists whose header names the columns: hash, type, quality, label, reference. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import.h"

typedef db_field field;

/*
 * Split a line into fields. CSV follows RFC 4180 on one line (quoted fields,
 * "" for a quote); TSV has no quoting. Unquoted text is copied into buf so
 * fields stay valid after the call. Returns the number of fields or -1.
 */
int db_split_fields(db_parser *p, const char *line, size_t len, field *out, char *why,
                    size_t whycap)
{
    char sep = p->format == LM_DB_FORMAT_TSV ? '\t' : ','; /* every other table is CSV */
    char *buf = p->field_buf;
    size_t bn = 0, i = 0;
    int n = 0;
    for (;;) {
        if (n == DB_MAX_COLUMNS) {
            snprintf(why, whycap, "more than %d fields", DB_MAX_COLUMNS);
            return -1;
        }
        char *start = buf + bn;
        if (sep == ',' && i < len && line[i] == '"') {
            for (i++;; i++) {
                if (i >= len) {
                    snprintf(why, whycap, "unterminated quoted field %d", n + 1);
                    return -1;
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        buf[bn++] = '"';
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[bn++] = line[i];
            }
            if (i < len && line[i] != sep) {
                snprintf(why, whycap, "text after the closing quote of field %d", n + 1);
                return -1;
            }
        } else {
            while (i < len && line[i] != sep) {
                if (sep == ',' && line[i] == '"') {
                    snprintf(why, whycap, "quote inside unquoted field %d", n + 1);
                    return -1;
                }
                buf[bn++] = line[i++];
            }
        }
        out[n].s = start;
        out[n].len = (size_t)(buf + bn - start);
        n++;
        if (i >= len)
            return n;
        i++; /* the separator */
    }
}

int db_supplier_fields(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                       int (*is_header)(const field *f, int n), field *f, int *n, char *why,
                       size_t whycap)
{
    if (len == 0 || line[0] == '#')
        return 0;
    *n = db_split_fields(p, line, len, f, why, whycap);
    if (*n < 0) {
        db_sink_bad(s, line_no, why);
        return 0;
    }
    if (!p->have_header) {
        p->have_header = 1; /* only the first content line may be the header */
        if (is_header(f, *n))
            return 0;
    }
    return 1;
}

static int name_is(const field *f, const char *name)
{
    return f->len == strlen(name) && strncasecmp(f->s, name, f->len) == 0;
}

static int read_header(db_parser *p, const field *f, int n, char *why, size_t whycap)
{
    static const struct {
        const char *name;
        size_t off;
    } names[] = {
        {"hash", offsetof(db_parser, col_hash)},       {"type", offsetof(db_parser, col_type)},
        {"quality", offsetof(db_parser, col_quality)}, {"label", offsetof(db_parser, col_label)},
        {"category", offsetof(db_parser, col_label)},  {"reference", offsetof(db_parser, col_ref)},
        {"ref", offsetof(db_parser, col_ref)},
    };
    p->col_hash = p->col_type = p->col_quality = p->col_label = p->col_ref = -1;
    for (int c = 0; c < n; c++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            if (!name_is(&f[c], names[k].name))
                continue;
            int *col = (int *)((char *)p + names[k].off);
            if (*col >= 0) {
                snprintf(why, whycap, "header names column '%s' twice", names[k].name);
                return -1;
            }
            *col = c; /* other columns are allowed and ignored */
        }
    if (p->col_hash < 0) {
        snprintf(why, whycap,
                 "the header line must name a 'hash' column (and may name type, "
                 "quality, label, reference)");
        return -1;
    }
    p->ncols = n;
    p->have_header = 1;
    return 0;
}

int db_parse_table(db_parser *p, const char *line, size_t len, db_rec *rec, db_recs *rs, char *why,
                   size_t whycap)
{
    if (len == 0 || line[0] == '#')
        return DB_PARSE_SKIP;
    field f[DB_MAX_COLUMNS];
    int n = db_split_fields(p, line, len, f, why, whycap);
    if (!p->have_header) {
        if (n < 0 || read_header(p, f, n, why, whycap))
            return DB_PARSE_FATAL;
        return DB_PARSE_SKIP;
    }
    if (n < 0)
        return DB_PARSE_BAD;
    if (n != p->ncols) {
        snprintf(why, whycap, "%d fields, but the header names %d", n, p->ncols);
        return DB_PARSE_BAD;
    }
    lm_hash_type type = p->type;
    if (p->col_type >= 0 && f[p->col_type].len) {
        char name[16];
        lm_hash_type t;
        size_t tl = f[p->col_type].len;
        if (tl >= sizeof name) {
            snprintf(why, whycap, "unknown hash type");
            return DB_PARSE_BAD;
        }
        memcpy(name, f[p->col_type].s, tl);
        name[tl] = '\0';
        if (lm_db_hash_type_parse(name, &t) != LM_OK) {
            snprintf(why, whycap, "unknown hash type (use pdq, md5, sha1 or sha256)");
            return DB_PARSE_BAD;
        }
        if (type && t != type) {
            snprintf(why, whycap, "type %s, but the import is for %s", lm_hash_type_name(t),
                     lm_hash_type_name(type));
            return DB_PARSE_BAD;
        }
        type = t;
    }
    const field *h = &f[p->col_hash];
    if (db_parse_hash(h->s, h->len, type, rec, why, whycap))
        return DB_PARSE_BAD;
    int q = -1;
    if (p->col_quality >= 0 && db_parse_quality(f[p->col_quality].s, f[p->col_quality].len, &q)) {
        snprintf(why, whycap, "quality is not an integer 0..100");
        return DB_PARSE_BAD;
    }
    rec->quality = (int8_t)q;
    field none = {"", 0};
    field lf = p->col_label >= 0 ? f[p->col_label] : none;
    field rf = p->col_ref >= 0 ? f[p->col_ref] : none;
    db_text_unguard(&lf.s, &lf.len); /* the formula guard of our exports */
    db_text_unguard(&rf.s, &rf.len);
    const field *label = &lf, *ref = &rf;
    if (!lm_db_text_ok(label->s, label->len, LM_DB_MAX_LABEL)) {
        snprintf(why, whycap, "label longer than %d bytes or not printable UTF-8", LM_DB_MAX_LABEL);
        return DB_PARSE_BAD;
    }
    if (!lm_db_text_ok(ref->s, ref->len, LM_DB_MAX_REFERENCE)) {
        snprintf(why, whycap, "reference longer than %d bytes or not printable UTF-8",
                 LM_DB_MAX_REFERENCE);
        return DB_PARSE_BAD;
    }
    if (db_recs_text(rs, rec, label->s, label->len, ref->s, ref->len)) {
        snprintf(why, whycap, "out of memory");
        return DB_PARSE_NOMEM;
    }
    return DB_PARSE_REC;
}
