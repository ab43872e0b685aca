/* Plain list formats: one hex hash per line, and 'hash,quality,path' as 'pmatch hash' prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "import.h"

/* Decodes 2 * bytes hex digits; -1 (out undefined) when one is not a hex digit. One pass of
 * table lookups (lm_hex_digit), no branch per digit. */
static int unhex_table(const char *s, size_t bytes, uint8_t *out)
{
    int bad = 0;
    for (size_t i = 0; i < bytes; i++) {
        int hi = lm_hex_digit(s[2 * i]), lo = lm_hex_digit(s[2 * i + 1]);
        bad |= hi | lo; /* negative once any digit is not one */
        out[i] = (uint8_t)((unsigned)hi << 4 | ((unsigned)lo & 15u)); /* unsigned: hi may be -1 */
    }
    return bad < 0 ? -1 : 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BYTES(b) (0x0101010101010101ull * (uint8_t)(b))
/* High bit of each byte of x (all bytes < 0x80) set when that byte is in [lo, hi]: x + 0x80 - lo
 * reaches the high bit from lo on, x + 0x7f - hi from hi + 1 on, and no byte carries into the
 * next. */
static inline uint64_t in_range(uint64_t x, unsigned lo, unsigned hi)
{
    return (x + BYTES(0x80 - lo)) & ~(x + BYTES(0x7f - hi)) & BYTES(0x80);
}

/* The same decode, 8 digits per 64-bit word (SWAR): a fifth of the table loop's instructions,
 * which made most of a hex import's parse. Every byte is checked to be a digit of either case
 * as the table does. */
static int unhex(const char *s, size_t bytes, uint8_t *out)
{
    if (bytes % 4)
        return unhex_table(s, bytes, out);
    uint64_t bad = 0;
    for (size_t i = 0; i < 2 * bytes; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8); /* s[i] in the low byte */
        uint64_t ascii = x & BYTES(0x80);
        uint64_t letter = in_range(x, 'a', 'f') | in_range(x, 'A', 'F');
        bad |= ascii | ((in_range(x, '0', '9') | letter) ^ BYTES(0x80));
        uint64_t v = (x & BYTES(0x0f)) + (letter >> 7) * 9; /* each byte its digit's value */
        /* 16-bit lanes: the first digit of a pair is the high nibble, then 4 lanes to 4 bytes */
        v = (v & 0x000f000f000f000full) << 4 | (v >> 8 & 0x000f000f000f000full);
        v = (v | v >> 8) & 0x0000ffff0000ffffull;
        v = (v | v >> 16) & 0xffffffffull;
        uint32_t w = (uint32_t)v;
        memcpy(out + i / 2, &w, 4);
    }
    return bad ? -1 : 0;
}
#undef BYTES
#else
#define unhex unhex_table
#endif

int db_parse_hash(const char *s, size_t len, lm_hash_type forced, db_rec *rec, char *why,
                  size_t whycap)
{
    lm_hash_type type = forced;
    if (!type)
        type = len == 64 ? LM_HASH_PDQ : len == 32 ? LM_HASH_MD5 : len == 40 ? LM_HASH_SHA1 : 0;
    size_t bytes = type ? lm_db_hash_len(type) : 0;
    if (type && len == 2 * bytes && unhex(s, bytes, rec->hash) == 0) {
        rec->type = (uint8_t)type;
        rec->hash_len = (uint8_t)bytes;
        return 0;
    }
    /* Why not: a digit that is not one comes first, then the length. */
    for (size_t i = 0; i < len; i++)
        if (lm_hex_digit(s[i]) < 0) {
            snprintf(why, whycap, "not a hexadecimal digit at column %zu of the hash", i + 1);
            return -1;
        }
    if (!type)
        snprintf(why, whycap, "%zu hex digits: not a pdq/sha256 (64), md5 (32) or sha1 (40) hash",
                 len);
    else
        snprintf(why, whycap, "%zu hex digits, but a %s hash has %zu", len, lm_hash_type_name(type),
                 2 * bytes);
    return -1;
}

lm_status lm_db_hash_parse(const char *hex, size_t len, lm_hash_type forced, lm_hash_type *type,
                           uint8_t *out, size_t *out_len, char *why, size_t whycap)
{
    char dummy[8];
    if (!why) {
        why = dummy;
        whycap = sizeof dummy;
    }
    if (!hex || !type || !out || !out_len)
        return LM_E_INVALID_ARG;
    if (forced && !lm_db_hash_len(forced)) {
        snprintf(why, whycap, "unknown hash type");
        return LM_E_PARSE;
    }
    db_rec rec;
    if (db_parse_hash(hex, len, forced, &rec, why, whycap))
        return LM_E_PARSE;
    *type = (lm_hash_type)rec.type;
    *out_len = rec.hash_len;
    memcpy(out, rec.hash, rec.hash_len);
    return LM_OK;
}

int db_parse_quality(const char *s, size_t len, int *q)
{
    if (len == 0) {
        *q = -1;
        return 0;
    }
    if (len > 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 100)
        return -1;
    *q = v;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

int db_parse_plain(db_parser *p, const char *line, size_t len, db_rec *rec, db_recs *rs, char *why,
                   size_t whycap)
{
    if (p->format == LM_DB_FORMAT_HEX) {
        /* Surrounding blanks are harmless here (no other field to confuse them with). */
        while (len && is_space(line[len - 1]))
            len--;
        while (len && is_space(*line))
            line++, len--;
        if (len == 0 || line[0] == '#')
            return DB_PARSE_SKIP;
        if (db_parse_hash(line, len, p->type, rec, why, whycap))
            return DB_PARSE_BAD;
        rec->quality = -1;
        rec->label_len = rec->ref_len = 0;
        rec->text_off = 0;
        return DB_PARSE_REC;
    }
    /* pdq-csv: the path is everything after the second comma, commas included. */
    if (len == 0 || line[0] == '#')
        return DB_PARSE_SKIP;
    const char *c1 = memchr(line, ',', len);
    const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line)) : NULL;
    if (!c2) {
        snprintf(why, whycap, "expected 'hash,quality,path'");
        return DB_PARSE_BAD;
    }
    if (db_parse_hash(line, (size_t)(c1 - line), p->type ? p->type : LM_HASH_PDQ, rec, why, whycap))
        return DB_PARSE_BAD;
    int q;
    if (db_parse_quality(c1 + 1, (size_t)(c2 - c1 - 1), &q)) {
        snprintf(why, whycap, "quality is not an integer 0..100");
        return DB_PARSE_BAD;
    }
    rec->quality = (int8_t)q;
    const char *path = c2 + 1;
    size_t plen = len - (size_t)(path - line);
    db_text_unguard(&path, &plen); /* the formula guard of our exports */
    if (!lm_db_text_ok(path, plen, LM_DB_MAX_REFERENCE)) {
        snprintf(why, whycap, "path longer than %d bytes or not printable UTF-8",
                 LM_DB_MAX_REFERENCE);
        return DB_PARSE_BAD;
    }
    if (db_recs_text(rs, rec, "", 0, path, plen)) {
        snprintf(why, whycap, "out of memory");
        return DB_PARSE_NOMEM;
    }
    return DB_PARSE_REC;
}

static int all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (lm_hex_digit(s[i]) < 0)
            return 0;
    return len > 0;
}

static int starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(line, prefix, n) == 0;
}

lm_db_format db_detect_format(const char *line, size_t len)
{
    /* Header lines that name a supplier's format. */
    if (starts_with(line, len, "hash,indicator_id,"))
        return LM_DB_FORMAT_HMA_CSV;
    if (starts_with(line, len, "signal_type,signal_str"))
        return LM_DB_FORMAT_TE_CSV;
    /* A vPDQ frame line, number,number,64 characters[,...] (its first field, a frame
     * number, would pass for hex). */
    const char *c1 = memchr(line, ',', len);
    const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line)) : NULL;
    const char *c3 = c2 ? memchr(c2 + 1, ',', len - (size_t)(c2 + 1 - line)) : NULL;
    size_t l3 = c2 ? (size_t)((c3 ? c3 : line + len) - (c2 + 1)) : 0;
    if (c2 && c1 > line && c1 - line < 20 && c2 > c1 + 1 && c2 - c1 <= 4 && l3 == 64 &&
        strspn(line, "0123456789") == (size_t)(c1 - line) &&
        strspn(c1 + 1, "0123456789") == (size_t)(c2 - c1 - 1))
        return LM_DB_FORMAT_VPDQ;
    const char *tab = memchr(line, '\t', len);
    const char *comma = memchr(line, ',', len);
    const char *end = tab && (!comma || tab < comma) ? tab : comma ? comma : line + len;
    int first_hex = all_hex(line, (size_t)(end - line));
    if (first_hex && end == line + len)
        return LM_DB_FORMAT_HEX;
    if (first_hex && comma && end == comma)
        return LM_DB_FORMAT_PDQ_CSV;
    if (tab)
        return LM_DB_FORMAT_TSV;
    if (comma)
        return LM_DB_FORMAT_CSV;
    return LM_DB_FORMAT_HEX;
}
