/*
 * The records of 'pmatch match --json' (with or without --nearest K), read back
 * for 'pmatch merge --lists': a bounded line reader and a strict parser that
 * accepts exactly what cmd_match.c prints, checks that a record agrees with
 * itself (counts, order, verdict and negative-list flags), and keeps the
 * texts it does not interpret (hash, list, label) as spans of the line so
 * the merge can copy them byte for byte.
 */
#ifndef PMATCH_MATCH_RECORD_H
#define PMATCH_MATCH_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MATCH_RECORD_MAX_LINE (1u << 20) /* --nearest 1000 with long labels stays below */
#define MATCH_RECORD_MAX_ITEMS 1000      /* --nearest K's largest K (cmd_match.c) */
#define MATCH_RECORD_MAX_SHOWN 16        /* matches printed per record (LM_CHECK_MAX_MATCHES) */

typedef enum match_record_kind {
    MATCH_RECORD_MATCH = 0, /* {"hash":..,"line":..,"verdict":..,"matches":[..],"match_count":..} */
    MATCH_RECORD_NEAREST = 1, /* {"hash":..,"line":..,"nearest":[..],"count":..,"k":..} */
} match_record_kind;

typedef enum match_record_verdict {
    MATCH_VERDICT_NO_MATCH = 0,
    MATCH_VERDICT_MATCH = 1,
    MATCH_VERDICT_SUPPRESSED = 2,
} match_record_verdict;

/* One match (or nearest entry). Offsets are into the parsed line. */
typedef struct match_item {
    uint64_t entry_id;
    int type; /* lm_hash_type; LM_HASH_PDQ in nearest records */
    int distance;
    int negative;    /* ,"negative":true: the entry is on a negative list */
    int suppressed;  /* ,"suppressed":true (match records only) */
    size_t tail;     /* the text after the flags up to the closing '}' (,"list":..,"label":.. */
    size_t tail_len; /* or nothing when the entry was gone): copied as it is */
} match_item;

typedef struct match_record {
    match_record_kind kind;
    size_t hash, hash_len;        /* the hash's JSON string, quotes included */
    uint64_t line;                /* the query's line in the matched file (from 1) */
    match_record_verdict verdict; /* match records */
    uint64_t count;               /* match_count (all matches, also those not shown) / count */
    int k;                        /* nearest records: the K asked for */
    size_t n;                     /* items[0..n) */
    match_item items[MATCH_RECORD_MAX_ITEMS];
} match_record;

/* The order of match records (libmatch/match_rules.c): active, negative, then suppressed
 * matches; digests, then stored videos, then PDQ; by distance; by entry id. <0, 0, >0. */
int match_item_cmp(const match_item *a, const match_item *b);

/* Parse one line (without its newline; need not be NUL-terminated). 0, or -1 with the
 * reason in why. */
int match_record_parse(const char *s, size_t len, match_record *r, char *why, size_t whylen);

/* Lines of a file, at most MATCH_RECORD_MAX_LINE bytes each, read in large blocks. */
typedef struct match_reader {
    FILE *f;
    char *buf;
    size_t cap, start, end;
    int eof;
    uint64_t lineno; /* lines returned so far */
} match_reader;

void match_reader_init(match_reader *r, FILE *f);
void match_reader_free(match_reader *r);
/* Rewind to the first line (the file must be seekable). 0 or -1 (errno set). */
int match_reader_rewind(match_reader *r);

typedef enum match_read_status {
    MATCH_READ_LINE = 1,
    MATCH_READ_END = 0,
    MATCH_READ_ERROR = -1,      /* I/O error: errno */
    MATCH_READ_TOO_LONG = -2,   /* a line longer than MATCH_RECORD_MAX_LINE */
    MATCH_READ_NO_NEWLINE = -3, /* the file ends inside a line: an unfinished output */
    MATCH_READ_NOMEM = -4,
} match_read_status;

/* The next line in *line (valid until the next call) and its length without the newline. */
match_read_status match_reader_next(match_reader *r, const char **line, size_t *len);

#endif
