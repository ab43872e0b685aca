/*
 * hasher-matcher-actioner CSV: hash,indicator_id,timestamp,tags, with or without
 * that header line. The hash's type is --type or its length (64 hex digits: PDQ);
 * indicator_id becomes the reference, tags the label; the timestamp is not kept.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import.h"

static int is_header(const db_field *f, int n)
{
    static const char *const names[] = {"hash", "indicator_id", "timestamp", "tags"};
    if (n < 1 || n > 4)
        return 0;
    for (int i = 0; i < n; i++)
        if (f[i].len != strlen(names[i]) || strncasecmp(f[i].s, names[i], f[i].len) != 0)
            return 0;
    return 1;
}

int db_parse_hma(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                 char *why, size_t whycap)
{
    db_field f[DB_MAX_COLUMNS];
    int n;
    if (!db_supplier_fields(p, s, line_no, line, len, is_header, f, &n, why, whycap))
        return DB_PARSE_SKIP;
    if (n > 4) {
        snprintf(why, whycap, "%d fields; expected hash,indicator_id,timestamp,tags", n);
        db_sink_bad(s, line_no, why);
        return DB_PARSE_SKIP;
    }
    db_field none = {"", 0};
    db_field idf = n > 1 ? f[1] : none, tagf = n > 3 ? f[3] : none;
    db_text_unguard(&idf.s, &idf.len); /* the formula guard of our exports */
    db_text_unguard(&tagf.s, &tagf.len);
    const db_field *id = &idf, *tags = &tagf;
    int rc = db_sink_hash(s, line_no, DB_OP_ADD, p->type, f[0].s, f[0].len, tags->s, tags->len,
                          id->s, id->len);
    return rc < 0 ? DB_PARSE_NOMEM : rc ? DB_PARSE_REC : DB_PARSE_SKIP;
}
