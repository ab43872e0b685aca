/* Hash types, format names and the printable-text rule for labels and references. */
#include <strings.h>

#include "hashdb_internal.h"

size_t lm_db_hash_len(lm_hash_type type)
{
    switch (type) {
    case LM_HASH_PDQ: return 32;
    case LM_HASH_MD5: return 16;
    case LM_HASH_SHA1: return 20;
    case LM_HASH_SHA256: return 32;
    case LM_HASH_VPDQ: return 32; /* SHA-256 of the frame list */
    default: return 0;
    }
}

lm_status lm_db_hash_type_parse(const char *name, lm_hash_type *out)
{
    static const struct {
        const char *name;
        lm_hash_type type;
    } names[] = {{"pdq", LM_HASH_PDQ},    {"md5", LM_HASH_MD5},       {"sha1", LM_HASH_SHA1},
                 {"sha-1", LM_HASH_SHA1}, {"sha256", LM_HASH_SHA256}, {"sha-256", LM_HASH_SHA256}};
    if (!name || !out)
        return LM_E_INVALID_ARG;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].type;
            return LM_OK;
        }
    return LM_E_PARSE;
}

static const char *const format_names[] = {
    "auto", "hex",       "pdq-csv",       "csv",      "tsv", "hma-csv", "te-csv",
    "vpdq", "ncmec-xml", "stopncii-json", "tat-json", "md5", "sha1",    "sha256"};
_Static_assert(sizeof format_names / sizeof format_names[0] == LM_DB_FORMAT_LAST + 1,
               "a name per format");

const char *lm_db_format_name(lm_db_format f)
{
    return (unsigned)f < sizeof format_names / sizeof format_names[0] ? format_names[f] : "unknown";
}

lm_status lm_db_format_parse(const char *name, lm_db_format *out)
{
    if (!name || !out)
        return LM_E_INVALID_ARG;
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (strcasecmp(name, format_names[i]) == 0) {
            *out = (lm_db_format)i;
            return LM_OK;
        }
    static const struct {
        const char *name;
        lm_db_format f;
    } aliases[] = {{"meta-pdq", LM_DB_FORMAT_PDQ_CSV},
                   {"threatexchange-csv", LM_DB_FORMAT_TE_CSV},
                   {"plain", LM_DB_FORMAT_HEX},
                   {"sha-1", LM_DB_FORMAT_SHA1},
                   {"sha-256", LM_DB_FORMAT_SHA256}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].name) == 0) {
            *out = aliases[i].f;
            return LM_OK;
        }
    return LM_E_PARSE;
}

/*
 * Valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF) without
 * C0/C1 control characters or DEL, so that the text prints safely anywhere.
 */
int lm_db_text_ok(const char *text, size_t len, size_t max)
{
    if (len > max)
        return 0;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (i + n > len)
            return 0;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp <= 0x9f))
            return 0;
        i += n;
    }
    return 1;
}

/*
 * Spreadsheets run a cell starting with = + - @ (or TAB/CR then one) as a formula, so an exported
 * label could be a formula injection. Exports prefix such a text with an apostrophe (shown as
 * text by spreadsheets); so that exports still round-trip, a text already starting with an
 * apostrophe followed by one of these (or another apostrophe) gets one too, and imports drop one
 * leading apostrophe followed by one of them.
 */
static int formula_char(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

int db_text_needs_guard(const char *s, size_t len)
{
    return len > 0 && (formula_char(s[0]) ||
                       (s[0] == '\'' && len > 1 && (formula_char(s[1]) || s[1] == '\'')));
}

void db_text_unguard(const char **s, size_t *len)
{
    if (*len > 1 && (*s)[0] == '\'' && (formula_char((*s)[1]) || (*s)[1] == '\'')) {
        (*s)++;
        (*len)--;
    }
}
