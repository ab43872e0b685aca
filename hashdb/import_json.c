/*
 * StopNCII and Tech Against Terrorism hash records in JSON: a JSON array of
 * objects, or JSON Lines (one object per line, or objects one after another).
 *
 *   StopNCII: signalType (PDQ, MD5, ...), hashValue, hashStatus (Active; Withdrawn
 *             or Deleted remove the hash)
 *   TAT:      algorithm, hash_digest, deleted (true removes the hash)
 *   both:     label from classification / category / label, reference from id /
 *             hashId / hash_id when present
 *
 * Our own streaming parser rather than a DOM library: memory stays bounded by
 * the records kept (strings we keep are cut at 512 bytes, nesting at 32 levels,
 * nothing else is stored), and every record knows the line it starts on.
 * Unsupported hash kinds are reported as skipped; a record without the fields is
 * bad. A syntax error ends an array document (LM_E_IMPORT); in JSON Lines the
 * reader reports the line and goes on at the next line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "import.h"

#define JSON_MAX_DEPTH 32
#define JSON_MAX_STR 512

typedef struct jin {
    db_reader *r;
    char buf[16384];
    size_t pos, len;
    int eof;
    uint64_t line;
    int err; /* a syntax error at line err_line */
    char why[160];
} jin;

static int jpeek(jin *j)
{
    if (j->pos == j->len) {
        if (j->eof)
            return -1;
        j->len = db_reader_read(j->r, j->buf, sizeof j->buf);
        j->pos = 0;
        if (j->len == 0) {
            j->eof = 1;
            return -1;
        }
    }
    return (unsigned char)j->buf[j->pos];
}

static int jget(jin *j)
{
    int c = jpeek(j);
    if (c >= 0) {
        j->pos++;
        if (c == '\n')
            j->line++;
    }
    return c;
}

static int fail(jin *j, const char *why)
{
    if (!j->err) {
        j->err = 1;
        snprintf(j->why, sizeof j->why, "JSON: %s", why);
    }
    return -1;
}

static void skip_ws(jin *j)
{
    for (int c; (c = jpeek(j)) == ' ' || c == '\t' || c == '\n' || c == '\r';)
        jget(j);
}

/* A string after its opening quote; the first JSON_MAX_STR bytes go to out (NUL-ended),
 * *cut is set when it was longer. \u escapes become UTF-8 (lone surrogates: U+FFFD). */
static int read_string(jin *j, char *out, size_t *olen, int *cut)
{
    size_t n = 0;
    *cut = 0;
    for (;;) {
        int c = jget(j);
        if (c < 0)
            return fail(j, "unterminated string");
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(j, "control character in a string");
        char tmp[4];
        size_t tn = 1;
        tmp[0] = (char)c;
        if (c == '\\') {
            int e = jget(j);
            switch (e) {
            case '"':
            case '\\':
            case '/': tmp[0] = (char)e; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 0; i < 4; i++) {
                    int h = jget(j);
                    int v = h < 0 ? -1 : lm_hex_digit((char)h);
                    if (v < 0)
                        return fail(j, "bad \\u escape");
                    cp = cp << 4 | (unsigned)v;
                }
                if (cp >= 0xd800 && cp <= 0xdfff)
                    cp = 0xfffd; /* pairs are not worth joining for hashes and ids */
                if (cp < 0x80) {
                    tmp[0] = (char)cp;
                } else if (cp < 0x800) {
                    tmp[0] = (char)(0xc0 | cp >> 6);
                    tmp[1] = (char)(0x80 | (cp & 0x3f));
                    tn = 2;
                } else {
                    tmp[0] = (char)(0xe0 | cp >> 12);
                    tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    tmp[2] = (char)(0x80 | (cp & 0x3f));
                    tn = 3;
                }
                break;
            }
            default: return fail(j, "bad escape in a string");
            }
        }
        if (out) {
            if (n + tn <= JSON_MAX_STR) {
                memcpy(out + n, tmp, tn);
                n += tn;
            } else {
                *cut = 1;
            }
        }
    }
    if (out) {
        out[n] = '\0';
        *olen = n;
    }
    return 0;
}

/* A literal or number: its text (bounded) into out. */
static int read_scalar(jin *j, char *out, size_t *olen)
{
    size_t n = 0;
    for (int c; (c = jpeek(j)) >= 0;) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
              c == '.' || c == 'E'))
            break;
        jget(j);
        if (n < 63)
            out[n++] = (char)c;
        else
            return fail(j, "a number or literal is too long");
    }
    out[n] = '\0';
    *olen = n;
    if (n == 0)
        return fail(j, "expected a value");
    if (strcmp(out, "true") && strcmp(out, "false") && strcmp(out, "null") &&
        !(out[0] == '-' || (out[0] >= '0' && out[0] <= '9')))
        return fail(j, "expected a value");
    return 0;
}

/* Skip any value (nested up to JSON_MAX_DEPTH). */
static int skip_value(jin *j, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(j, "nested too deeply");
    skip_ws(j);
    int c = jpeek(j);
    if (c == '"') {
        jget(j);
        int cut;
        return read_string(j, NULL, NULL, &cut);
    }
    if (c == '{' || c == '[') {
        int close = c == '{' ? '}' : ']';
        jget(j);
        skip_ws(j);
        if (jpeek(j) == close) {
            jget(j);
            return 0;
        }
        for (;;) {
            if (c == '{') {
                skip_ws(j);
                if (jget(j) != '"')
                    return fail(j, "expected a member name");
                int cut;
                if (read_string(j, NULL, NULL, &cut))
                    return -1;
                skip_ws(j);
                if (jget(j) != ':')
                    return fail(j, "expected ':'");
            }
            if (skip_value(j, depth + 1))
                return -1;
            skip_ws(j);
            int d = jget(j);
            if (d == close)
                return 0;
            if (d != ',')
                return fail(j, "expected ',' or the end of a list or object");
        }
    }
    char tmp[64];
    size_t n;
    return read_scalar(j, tmp, &n);
}

/* The members of one record we look at. */
enum {
    K_SIGNAL_TYPE,
    K_HASH_VALUE,
    K_HASH_STATUS,
    K_ALGORITHM,
    K_HASH_DIGEST,
    K_DELETED,
    K_LABEL,
    K_REF,
    K_COUNT
};

typedef struct jrec {
    char v[K_COUNT][JSON_MAX_STR + 1];
    size_t len[K_COUNT];
    int have[K_COUNT], cut[K_COUNT], is_string[K_COUNT];
} jrec;

static int key_index(const char *k)
{
    static const struct {
        const char *name;
        int idx;
    } keys[] = {{"signalType", K_SIGNAL_TYPE},
                {"hashValue", K_HASH_VALUE},
                {"hashStatus", K_HASH_STATUS},
                {"algorithm", K_ALGORITHM},
                {"hash_digest", K_HASH_DIGEST},
                {"deleted", K_DELETED},
                {"classification", K_LABEL},
                {"category", K_LABEL},
                {"label", K_LABEL},
                {"id", K_REF},
                {"hashId", K_REF},
                {"hash_id", K_REF}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(k, keys[i].name) == 0)
            return keys[i].idx;
    return -1;
}

/* One object (after its '{'): the members we know into rec, the rest skipped. */
static int read_object(jin *j, jrec *rec)
{
    memset(rec->have, 0, sizeof rec->have);
    skip_ws(j);
    if (jpeek(j) == '}') {
        jget(j);
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (jget(j) != '"')
            return fail(j, "expected a member name");
        char key[JSON_MAX_STR + 1];
        size_t kl;
        int cut;
        if (read_string(j, key, &kl, &cut))
            return -1;
        skip_ws(j);
        if (jget(j) != ':')
            return fail(j, "expected ':'");
        skip_ws(j);
        int k = cut ? -1 : key_index(key);
        int c = jpeek(j);
        if (k >= 0 && c == '"') {
            jget(j);
            if (read_string(j, rec->v[k], &rec->len[k], &rec->cut[k]))
                return -1;
            rec->have[k] = 1;
            rec->is_string[k] = 1;
        } else if (k >= 0 && c != '{' && c != '[') {
            if (read_scalar(j, rec->v[k], &rec->len[k]))
                return -1;
            rec->have[k] = strcmp(rec->v[k], "null") != 0;
            rec->cut[k] = rec->is_string[k] = 0;
        } else if (skip_value(j, 2)) {
            return -1;
        }
        skip_ws(j);
        int d = jget(j);
        if (d == '}')
            return 0;
        if (d != ',')
            return fail(j, "expected ',' or '}' in an object");
    }
}

static int is_true(const jrec *r, int k)
{
    return r->have[k] && (strcmp(r->v[k], "true") == 0 || strcasecmp(r->v[k], "true") == 0 ||
                          strcmp(r->v[k], "1") == 0);
}

/* Turn one record into an addition or removal (or a bad / skipped report). */
static int emit(db_sink *s, uint64_t line, const jrec *r, lm_db_format flavor)
{
    int stopncii = r->have[K_HASH_VALUE] || r->have[K_SIGNAL_TYPE];
    int tat = r->have[K_HASH_DIGEST] || r->have[K_ALGORITHM];
    if (flavor == LM_DB_FORMAT_STOPNCII_JSON)
        tat = 0;
    else if (flavor == LM_DB_FORMAT_TAT_JSON)
        stopncii = 0;
    if (stopncii == tat) {
        db_sink_bad(s, line,
                    stopncii                          ? "record has both StopNCII and TAT fields"
                    : flavor == LM_DB_FORMAT_TAT_JSON ? "record has no hash_digest and algorithm"
                    : flavor == LM_DB_FORMAT_STOPNCII_JSON
                        ? "record has no signalType and hashValue"
                        : "record has neither signalType/hashValue nor algorithm/hash_digest");
        return 0;
    }
    if (s->seen == LM_DB_FORMAT_AUTO)
        s->seen = stopncii ? LM_DB_FORMAT_STOPNCII_JSON : LM_DB_FORMAT_TAT_JSON;
    int kt = stopncii ? K_SIGNAL_TYPE : K_ALGORITHM, kh = stopncii ? K_HASH_VALUE : K_HASH_DIGEST;
    char why[160];
    if (!r->have[kt] || !r->have[kh] || !r->is_string[kt] || !r->is_string[kh]) {
        snprintf(why, sizeof why, "record needs string members %s and %s",
                 stopncii ? "signalType" : "algorithm", stopncii ? "hashValue" : "hash_digest");
        db_sink_bad(s, line, why);
        return 0;
    }
    int op = DB_OP_ADD;
    if (stopncii && r->have[K_HASH_STATUS]) {
        const char *st = r->v[K_HASH_STATUS];
        if (strcasecmp(st, "withdrawn") == 0 || strcasecmp(st, "deleted") == 0)
            op = DB_OP_REMOVE;
        else if (strcasecmp(st, "active") != 0) {
            db_sink_bad(s, line, "hashStatus is not Active, Withdrawn or Deleted");
            return 0;
        }
    }
    if (tat && is_true(r, K_DELETED))
        op = DB_OP_REMOVE;
    else if (tat && r->have[K_DELETED] && strcasecmp(r->v[K_DELETED], "false") != 0 &&
             strcmp(r->v[K_DELETED], "0") != 0) {
        db_sink_bad(s, line, "deleted is not true or false");
        return 0;
    }
    lm_hash_type t = r->cut[kt] ? 0 : db_signal_type(r->v[kt], r->len[kt]);
    if (!t) {
        char name[40];
        size_t nl = db_text_cut(r->v[kt], r->len[kt], sizeof name - 1);
        memcpy(name, r->v[kt], nl);
        name[nl] = '\0';
        snprintf(why, sizeof why, "hash kind '%s' is not stored here: skipped",
                 lm_db_text_ok(name, nl, sizeof name) ? name : "?");
        db_sink_skipped(s, line, why);
        return 0;
    }
    if (s->opts->type && s->opts->type != t) {
        snprintf(why, sizeof why, "a %s hash, but the import is for %s", lm_hash_type_name(t),
                 lm_hash_type_name(s->opts->type));
        db_sink_bad(s, line, why);
        return 0;
    }
    if (r->cut[kh]) {
        db_sink_bad(s, line, "hash value is far too long");
        return 0;
    }
    return db_sink_hash(s, line, op, t, r->v[kh], r->len[kh], r->have[K_LABEL] ? r->v[K_LABEL] : "",
                        r->have[K_LABEL] ? r->len[K_LABEL] : 0, r->have[K_REF] ? r->v[K_REF] : "",
                        r->have[K_REF] ? r->len[K_REF] : 0);
}

/* One top-level element: an object is a record, anything else a bad one. */
static int element(jin *j, db_sink *s, jrec *rec, lm_db_format flavor)
{
    uint64_t line = j->line;
    if (jpeek(j) != '{') {
        if (skip_value(j, 1))
            return -1;
        db_sink_bad(s, line, "not a JSON object");
        return 0;
    }
    jget(j);
    if (read_object(j, rec))
        return -1;
    return emit(s, line, rec, flavor) < 0 ? -2 : 0;
}

int db_parse_json(db_reader *r, db_sink *s, lm_db_format flavor)
{
    jin *j = calloc(1, sizeof *j);
    jrec *rec = calloc(1, sizeof *rec);
    int st = LM_OK;
    if (!j || !rec) {
        free(j);
        free(rec);
        return LM_E_NOMEM;
    }
    j->r = r;
    j->line = 1;
    skip_ws(j);
    if (jpeek(j) == 0xef) { /* UTF-8 byte order mark */
        jget(j);
        if (jget(j) != 0xbb || jget(j) != 0xbf)
            fail(j, "bad byte order mark");
        skip_ws(j);
    }
    if (!j->err && jpeek(j) == '[') {
        /* One array of records: a syntax error ends the document. */
        jget(j);
        skip_ws(j);
        if (jpeek(j) == ']') {
            jget(j);
        } else {
            for (;;) {
                skip_ws(j);
                int rc = element(j, s, rec, flavor);
                if (rc == -2) {
                    st = LM_E_NOMEM;
                    break;
                }
                if (rc)
                    break;
                skip_ws(j);
                int d = jget(j);
                if (d == ']')
                    break;
                if (d != ',') {
                    fail(j, "expected ',' or ']' after a record");
                    break;
                }
            }
        }
        skip_ws(j);
        if (!j->err && st == LM_OK && jpeek(j) >= 0)
            fail(j, "text after the end of the array");
        if (j->err) {
            db_sink_bad(s, j->line, j->why);
            st = LM_E_IMPORT;
        }
    } else {
        /* JSON Lines: a syntax error costs the rest of its line. */
        while (st == LM_OK) {
            skip_ws(j);
            if (j->err || jpeek(j) < 0)
                break;
            int rc = element(j, s, rec, flavor);
            if (rc == -2)
                st = LM_E_NOMEM;
            else if (rc) {
                db_sink_bad(s, j->line, j->why);
                j->err = 0;
                for (int c; (c = jpeek(j)) >= 0 && c != '\n';)
                    jget(j);
            }
        }
    }
    if (st == LM_OK && r->error)
        st = LM_E_IO;
    if (s->nomem)
        st = LM_E_NOMEM;
    r->line_no = j->line;
    free(j);
    free(rec);
    return st;
}
