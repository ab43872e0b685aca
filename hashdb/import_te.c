/*
 * ThreatExchange dataset CSV (python-threatexchange): signal_type,signal_str,collab,
 * category,tags, with or without that header line. Signal types we store (pdq,
 * md5, video_md5, sha1, sha256) are imported with category as the label (tags when
 * there is no category) and collab as the reference; other types (url, raw_text,
 * trend_query, ...) are reported as skipped, not bad: real datasets mix them in.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import.h"

/* The header line names its first column signal_type. */
static int is_header(const db_field *f, int n)
{
    (void)n;
    return f[0].len == 11 && strncasecmp(f[0].s, "signal_type", 11) == 0;
}

int db_parse_te(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len, char *why,
                size_t whycap)
{
    db_field f[DB_MAX_COLUMNS];
    int n;
    if (!db_supplier_fields(p, s, line_no, line, len, is_header, f, &n, why, whycap))
        return DB_PARSE_SKIP;
    if (n < 2 || n > 5) {
        snprintf(why, whycap, "%d fields; expected signal_type,signal_str,collab,category,tags", n);
        db_sink_bad(s, line_no, why);
        return DB_PARSE_SKIP;
    }
    lm_hash_type t = db_signal_type(f[0].s, f[0].len);
    if (!t) {
        char name[40];
        size_t nl = db_text_cut(f[0].s, f[0].len, sizeof name - 1);
        memcpy(name, f[0].s, nl);
        name[nl] = '\0';
        if (!lm_db_text_ok(name, nl, sizeof name))
            snprintf(name, sizeof name, "?");
        snprintf(why, whycap, "signal type '%s' is not stored here: skipped", name);
        db_sink_skipped(s, line_no, why);
        return DB_PARSE_SKIP;
    }
    if (p->type && p->type != t) {
        snprintf(why, whycap, "a %s signal, but the import is for %s", lm_hash_type_name(t),
                 lm_hash_type_name(p->type));
        db_sink_bad(s, line_no, why);
        return DB_PARSE_SKIP;
    }
    db_field none = {"", 0};
    const db_field *collab = n > 2 ? &f[2] : &none, *cat = n > 3 ? &f[3] : &none,
                   *tags = n > 4 ? &f[4] : &none;
    const db_field *label = cat->len ? cat : tags;
    int rc = db_sink_hash(s, line_no, DB_OP_ADD, t, f[1].s, f[1].len, label->s, label->len,
                          collab->s, collab->len);
    return rc < 0 ? DB_PARSE_NOMEM : rc ? DB_PARSE_REC : DB_PARSE_SKIP;
}
