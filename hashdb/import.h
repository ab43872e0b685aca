/* Import internals: the bounded line reader, parsed records and the per-format parsers. */
#ifndef LM_HASHDB_IMPORT_H
#define LM_HASHDB_IMPORT_H

#include <stdio.h>

#include "hashdb_internal.h"

/* Lines are read into a fixed buffer: a hostile file cannot make us allocate per line. */
typedef struct db_reader {
    FILE *f;
    const char *mem;
    size_t mem_len, mem_pos;
    char chunk[65536];
    size_t pos, len;
    int eof, error;
    uint64_t line_no;
    char line[LM_DB_MAX_LINE + 1];
} db_reader;

enum { DB_LINE_TOO_LONG = 1, DB_LINE_HAS_NUL = 2 };

/* 1 with a line (without its end-of-line), 0 at the end, -1 on a read error. */
int db_reader_next(db_reader *r, const char **line, size_t *len, int *flags);

/* One parsed line waiting to be written. Text lives in db_recs.text. */
typedef struct db_rec {
    uint64_t line;
    uint64_t id; /* assigned when written */
    size_t text_off;
    uint16_t label_len, ref_len;
    uint8_t type, hash_len;
    int8_t quality;
    uint8_t dup;
    uint8_t hash[LM_DB_MAX_HASH_BYTES];
} db_rec;

typedef struct db_recs {
    db_rec *v;
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
} db_recs;

/* Append label and reference text for rec; -1 when out of memory. */
int db_recs_text(db_recs *rs, db_rec *rec, const char *label, size_t label_len, const char *ref,
                 size_t ref_len);

#define DB_MAX_COLUMNS 64

typedef struct db_parser {
    lm_db_format format;
    lm_hash_type type; /* forced type, or 0 */
    int have_header;   /* CSV/TSV: the header was read */
    int ncols;
    int col_hash, col_type, col_quality, col_label, col_ref; /* -1 when absent */
    char field_buf[LM_DB_MAX_LINE + 1];
} db_parser;

/* Results of parsing one line. */
enum {
    DB_PARSE_SKIP = 0,
    DB_PARSE_REC = 1,
    DB_PARSE_BAD = -1,
    DB_PARSE_FATAL = -2,
    DB_PARSE_NOMEM = -3 /* an allocation failed: the import stops with LM_E_NOMEM */
};

/* A whole hex hash: the type from `forced` or from the length. Returns 0 or -1 with why. */
int db_parse_hash(const char *s, size_t len, lm_hash_type forced, db_rec *rec, char *why,
                  size_t whycap);
/* Quality: "" is unknown (-1), else an integer 0..100. Returns 0 or -1. */
int db_parse_quality(const char *s, size_t len, int *q);

int db_parse_plain(db_parser *p, const char *line, size_t len, db_rec *rec, db_recs *rs, char *why,
                   size_t whycap);
int db_parse_table(db_parser *p, const char *line, size_t len, db_rec *rec, db_recs *rs, char *why,
                   size_t whycap);

/* Pick a format from the first content line. */
lm_db_format db_detect_format(const char *line, size_t len);

#endif
