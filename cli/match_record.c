#include "match_record.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "libmatch.h"

#define READ_BLOCK (64u * 1024)

typedef struct cursor {
    const char *s;
    size_t len, i;
    char *why;
    size_t whylen;
} cursor;

static int bad(cursor *c, const char *fmt, ...)
{
    if (c->why[0]) /* keep the first, innermost reason */
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The literal text lit next, or nothing consumed. */
static int peek(const cursor *c, const char *lit)
{
    size_t n = strlen(lit);
    return c->len - c->i >= n && memcmp(c->s + c->i, lit, n) == 0;
}

static int expect(cursor *c, const char *lit)
{
    if (!peek(c, lit))
        return bad(c, "expected '%s' at byte %zu", lit, c->i + 1);
    c->i += strlen(lit);
    return 0;
}

/* A decimal number as printf prints it: no sign, no leading zero, at most max. */
static int number(cursor *c, uint64_t max, uint64_t *out)
{
    size_t i0 = c->i;
    uint64_t v = 0;
    while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        unsigned d = (unsigned)(c->s[c->i] - '0');
        if (v > (max - d) / 10)
            return bad(c, "number too large at byte %zu", i0 + 1);
        v = v * 10 + d;
        c->i++;
    }
    if (c->i == i0 || (c->s[i0] == '0' && c->i - i0 > 1))
        return bad(c, "expected a number at byte %zu", i0 + 1);
    *out = v;
    return 0;
}

static int hexdigit(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* A JSON string (valid UTF-8, control characters escaped); its span, quotes included. */
static int string(cursor *c, size_t *off, size_t *len)
{
    size_t i0 = c->i;
    if (expect(c, "\""))
        return -1;
    while (c->i < c->len) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') {
            c->i++;
            *off = i0;
            *len = c->i - i0;
            return 0;
        }
        if (ch < 0x20 || ch == 0x7f)
            return bad(c, "control character in a string at byte %zu", c->i + 1);
        if (ch == '\\') {
            if (c->i + 1 >= c->len)
                break;
            char e = c->s[c->i + 1];
            if (e == 'u') {
                if (c->len - c->i < 6 || !hexdigit(c->s[c->i + 2]) || !hexdigit(c->s[c->i + 3]) ||
                    !hexdigit(c->s[c->i + 4]) || !hexdigit(c->s[c->i + 5]))
                    return bad(c, "bad \\u escape at byte %zu", c->i + 1);
                c->i += 6;
            } else if (strchr("\"\\/bfnrt", e) && e) {
                c->i += 2;
            } else {
                return bad(c, "bad escape at byte %zu", c->i + 1);
            }
            continue;
        }
        if (ch < 0x80) {
            c->i++;
            continue;
        }
        /* utf8_sequence reads up to 4 bytes: check on a NUL-padded copy near the end */
        unsigned char tmp[5] = {0};
        size_t left = c->len - c->i;
        memcpy(tmp, c->s + c->i, left < 4 ? left : 4);
        size_t n = utf8_sequence(tmp);
        if (n == 0 || n > left)
            return bad(c, "invalid UTF-8 in a string at byte %zu", c->i + 1);
        c->i += n;
    }
    return bad(c, "unterminated string at byte %zu", i0 + 1);
}

static int hash_type(cursor *c, int *type)
{
    static const lm_hash_type all[] = {LM_HASH_PDQ, LM_HASH_MD5, LM_HASH_SHA1, LM_HASH_SHA256,
                                       LM_HASH_VPDQ};
    size_t off, len;
    if (string(c, &off, &len))
        return -1;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        const char *name = lm_hash_type_name(all[i]);
        if (strlen(name) == len - 2 && memcmp(c->s + off + 1, name, len - 2) == 0) {
            *type = (int)all[i];
            return 0;
        }
    }
    return bad(c, "unknown hash type at byte %zu", off + 1);
}

/* ...,"list":S,"label":S} or } : the tail copied as it is. */
static int item_tail(cursor *c, match_item *it)
{
    size_t off, len;
    it->tail = c->i;
    if (peek(c, ",\"list\":")) {
        c->i += 8;
        if (string(c, &off, &len) || expect(c, ",\"label\":") || string(c, &off, &len))
            return -1;
    }
    it->tail_len = c->i - it->tail;
    return expect(c, "}");
}

/* {"entry_id":N,"type":"T","distance":D[,"negative":true][,"suppressed":true][,list,label]} */
static int match_item_parse(cursor *c, match_item *it)
{
    uint64_t id, d;
    if (expect(c, "{\"entry_id\":") || number(c, UINT64_MAX, &id) || expect(c, ",\"type\":") ||
        hash_type(c, &it->type) || expect(c, ",\"distance\":") || number(c, 256, &d))
        return -1;
    it->entry_id = id;
    it->distance = (int)d;
    it->negative = it->suppressed = 0;
    if (peek(c, ",\"negative\":true")) {
        c->i += 16;
        it->negative = 1;
    } else if (peek(c, ",\"suppressed\":true")) {
        c->i += 18;
        it->suppressed = 1;
    }
    return item_tail(c, it);
}

/* {"entry_id":N,"distance":D[,"negative":true][,list,label]} */
static int nearest_item_parse(cursor *c, match_item *it)
{
    uint64_t id, d;
    if (expect(c, "{\"entry_id\":") || number(c, UINT64_MAX, &id) || expect(c, ",\"distance\":") ||
        number(c, 256, &d))
        return -1;
    it->entry_id = id;
    it->type = LM_HASH_PDQ;
    it->distance = (int)d;
    it->suppressed = 0;
    it->negative = 0;
    if (peek(c, ",\"negative\":true")) {
        c->i += 16;
        it->negative = 1;
    }
    return item_tail(c, it);
}

static int items(cursor *c, match_record *r)
{
    r->n = 0;
    if (expect(c, "["))
        return -1;
    if (peek(c, "]")) {
        c->i++;
        return 0;
    }
    for (;;) {
        if (r->n == MATCH_RECORD_MAX_ITEMS)
            return bad(c, "more than %d entries in a record", MATCH_RECORD_MAX_ITEMS);
        match_item *it = &r->items[r->n];
        if (r->kind == MATCH_RECORD_MATCH ? match_item_parse(c, it) : nearest_item_parse(c, it))
            return -1;
        r->n++;
        if (peek(c, "]")) {
            c->i++;
            return 0;
        }
        if (expect(c, ","))
            return -1;
    }
}

/* The order pmatch match prints its matches in: libmatch/match_rules.c's cmp_match on the
 * printed fields (the merge re-sorts the shards' records by it, so the two must agree). */
static int category(const match_item *a)
{
    return a->suppressed ? 2 : a->negative ? 1 : 0;
}

static int type_rank(const match_item *a)
{
    return a->type == LM_HASH_PDQ ? 2 : a->type == LM_HASH_VPDQ ? 1 : 0;
}

int match_item_cmp(const match_item *a, const match_item *b)
{
    int ca = category(a), cb = category(b);
    if (ca != cb)
        return ca - cb;
    int ta = type_rank(a), tb = type_rank(b);
    if (ta != tb)
        return ta - tb;
    if (a->distance != b->distance)
        return a->distance - b->distance;
    return a->entry_id < b->entry_id ? -1 : a->entry_id > b->entry_id;
}

/* What one list's matcher could have printed: counts, order, verdict, suppression. */
static int check_match(cursor *c, const match_record *r)
{
    size_t shown = r->count < MATCH_RECORD_MAX_SHOWN ? (size_t)r->count : MATCH_RECORD_MAX_SHOWN;
    if (r->n != shown)
        return bad(c, "%zu matches shown for a match_count of %llu", r->n,
                   (unsigned long long)r->count);
    for (size_t i = 1; i < r->n; i++)
        if (match_item_cmp(&r->items[i - 1], &r->items[i]) >= 0)
            return bad(c, "matches out of order (match %zu)", i + 1);
    /* a negative match suppresses every other match (they sort after it) */
    int negative = 0;
    for (size_t i = 0; i < r->n; i++)
        negative |= r->items[i].negative;
    for (size_t i = 0; i < r->n; i++)
        if (!r->items[i].negative && r->items[i].suppressed != negative)
            return bad(c, "match %zu is %ssuppressed %s a negative-list match", i + 1,
                       negative ? "not " : "", negative ? "beside" : "without");
    match_record_verdict want = r->n == 0  ? MATCH_VERDICT_NO_MATCH
                                : negative ? MATCH_VERDICT_SUPPRESSED
                                           : MATCH_VERDICT_MATCH;
    if (r->verdict != want)
        return bad(c, "the verdict does not agree with the matches");
    return 0;
}

static int check_nearest(cursor *c, const match_record *r)
{
    if (r->k < 1 || r->k > MATCH_RECORD_MAX_ITEMS)
        return bad(c, "k %d out of range 1..%d", r->k, MATCH_RECORD_MAX_ITEMS);
    if (r->count != r->n || r->n > (size_t)r->k)
        return bad(c, "%zu nearest entries for a count of %llu and k %d", r->n,
                   (unsigned long long)r->count, r->k);
    for (size_t i = 1; i < r->n; i++)
        if (r->items[i].distance < r->items[i - 1].distance)
            return bad(c, "nearest entries out of order (entry %zu)", i + 1);
    return 0;
}

int match_record_parse(const char *s, size_t len, match_record *r, char *why, size_t whylen)
{
    cursor c = {s, len, 0, why, whylen};
    uint64_t v;
    why[0] = '\0';
    if (expect(&c, "{\"hash\":") || string(&c, &r->hash, &r->hash_len) ||
        expect(&c, ",\"line\":") || number(&c, UINT64_MAX, &r->line))
        return -1;
    if (r->line == 0)
        return bad(&c, "query line 0");
    if (peek(&c, ",\"nearest\":")) {
        c.i += 11;
        r->kind = MATCH_RECORD_NEAREST;
        r->verdict = MATCH_VERDICT_NO_MATCH;
        if (items(&c, r) || expect(&c, ",\"count\":") || number(&c, UINT64_MAX, &r->count) ||
            expect(&c, ",\"k\":") || number(&c, MATCH_RECORD_MAX_ITEMS, &v))
            return -1;
        r->k = (int)v;
    } else {
        r->kind = MATCH_RECORD_MATCH;
        r->k = 0;
        if (expect(&c, ",\"verdict\":\""))
            return -1;
        if (peek(&c, "match\""))
            r->verdict = MATCH_VERDICT_MATCH, c.i += 6;
        else if (peek(&c, "suppressed\""))
            r->verdict = MATCH_VERDICT_SUPPRESSED, c.i += 11;
        else if (peek(&c, "no_match\""))
            r->verdict = MATCH_VERDICT_NO_MATCH, c.i += 9;
        else
            return bad(&c, "unknown verdict at byte %zu", c.i + 1);
        if (expect(&c, ",\"matches\":") || items(&c, r) || expect(&c, ",\"match_count\":") ||
            number(&c, UINT64_MAX, &r->count))
            return -1;
    }
    if (expect(&c, "}"))
        return -1;
    if (c.i != c.len)
        return bad(&c, "text after the record at byte %zu", c.i + 1);
    return r->kind == MATCH_RECORD_MATCH ? check_match(&c, r) : check_nearest(&c, r);
}

void match_reader_init(match_reader *r, FILE *f)
{
    memset(r, 0, sizeof *r);
    r->f = f;
}

void match_reader_free(match_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

int match_reader_rewind(match_reader *r)
{
    r->start = r->end = 0;
    r->eof = 0;
    r->lineno = 0;
    if (fseek(r->f, 0, SEEK_SET) != 0)
        return -1;
    clearerr(r->f);
    return 0;
}

match_read_status match_reader_next(match_reader *r, const char **line, size_t *len)
{
    size_t scanned = 0; /* bytes of the current line known to hold no newline */
    for (;;) {
        size_t have = r->end - r->start;
        const char *nl =
            have > scanned ? memchr(r->buf + r->start + scanned, '\n', have - scanned) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - (r->buf + r->start));
            if (n > MATCH_RECORD_MAX_LINE)
                return MATCH_READ_TOO_LONG;
            *line = r->buf + r->start;
            *len = n;
            r->start += n + 1;
            r->lineno++;
            return MATCH_READ_LINE;
        }
        scanned = have;
        if (have > MATCH_RECORD_MAX_LINE)
            return MATCH_READ_TOO_LONG;
        if (r->eof)
            return have ? MATCH_READ_NO_NEWLINE : MATCH_READ_END;
        /* keep the partial line at the front, then fill a block after it */
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, have);
            r->start = 0;
            r->end = have;
        }
        if (r->cap - r->end < READ_BLOCK) {
            size_t ncap = r->end + READ_BLOCK;
            char *nb = realloc(r->buf, ncap);
            if (!nb)
                return MATCH_READ_NOMEM;
            r->buf = nb;
            r->cap = ncap;
        }
        size_t got = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
        r->end += got;
        if (got == 0) {
            if (ferror(r->f))
                return MATCH_READ_ERROR;
            r->eof = 1;
        }
    }
}
