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

/* Raw bytes of the input after what db_reader_next consumed (for the XML and JSON
 * parsers): up to cap bytes, 0 at the end; r->error is set on a read error. */
size_t db_reader_read(db_reader *r, void *buf, size_t cap);
/* The first byte of the input that is not white space or a UTF-8 BOM, looking no
 * further than the first chunk; -1 when there is none there. Consumes nothing. */
int db_reader_peek(db_reader *r);

enum { DB_OP_ADD = 0, DB_OP_REMOVE = 1, DB_OP_REMOVE_REF = 2 /* by reference (NCMEC id) */ };
/* What the write transaction does with a record (decided per hash, in line order). */
enum { DB_ACT_INSERT = 0, DB_ACT_DUP, DB_ACT_UPDATE, DB_ACT_DELETE, DB_ACT_NONE, DB_ACT_MISSING };

/* One parsed record waiting to be written: 64 bytes, so that 100M of them fit beside the
 * write transaction. Text lives in db_recs.text; the frame record of a video entry (vpdq
 * files hold exactly one) in db_recs.blob. */
typedef struct db_rec {
    uint8_t hash[LM_DB_MAX_HASH_BYTES];
    uint64_t line;
    uint64_t id; /* assigned when written; for UPDATE/DELETE the entry concerned */
    uint64_t text_off;
    uint8_t label_len, ref_len; /* <= LM_DB_MAX_LABEL (127), LM_DB_MAX_REFERENCE (255) */
    uint8_t type, hash_len;
    int8_t quality;
    uint8_t dup; /* the action (DB_ACT_*) */
    uint8_t op;  /* DB_OP_* */
} db_rec;

_Static_assert(LM_DB_MAX_LABEL <= UINT8_MAX && LM_DB_MAX_REFERENCE <= UINT8_MAX,
               "text lengths fit the record's bytes");
_Static_assert(sizeof(db_rec) == 64, "a record is one cache line");

/*
 * The parsed records (import_recs.c), in chunks of 2 MiB that never move: a 100M-record
 * import holds 6.4 GB of them, which grows without a copy, and (past the first chunk) on
 * transparent huge pages, since the write transaction reads them in hash order, i.e. at
 * random, and with 4 KiB pages nearly every such read also missed the TLB.
 */
#define DB_RECS_CHUNK_BITS 15 /* 32768 records of 64 bytes */
typedef struct db_recs {
    db_rec **chunk;
    size_t nchunks, chunk_cap;
    size_t n; /* records filled */
    char *text;
    size_t text_len, text_cap;
    uint8_t *blob; /* the video entry's frame record (vpdq) */
    size_t blob_len, blob_cap;
} db_recs;

/* Record i (< n). */
static inline db_rec *db_recs_at(const db_recs *rs, size_t i)
{
    return &rs->chunk[i >> DB_RECS_CHUNK_BITS][i & (((size_t)1 << DB_RECS_CHUNK_BITS) - 1)];
}
/* A zeroed record slot after the last one (counted in rs->n by whoever fills it); NULL when
 * out of memory. */
db_rec *db_recs_slot(db_recs *rs);
/* Append label and reference text for rec; -1 when out of memory. */
int db_recs_text(db_recs *rs, db_rec *rec, const char *label, size_t label_len, const char *ref,
                 size_t ref_len);
/* Frees what rs holds (not rs). */
void db_recs_free(db_recs *rs);

/* Where the document parsers (XML, JSON) and the record-level helpers put records. */
typedef struct db_sink {
    lm_hashdb *db;
    db_recs *recs;
    const lm_db_import_opts *opts;
    lm_db_import_result *res;
    int nomem;
    lm_db_format seen; /* JSON: the kind of the first record (AUTO until one is read) */
} db_sink;

/* Report a bad record (counted) / an unsupported one (counted as skipped). */
void db_sink_bad(db_sink *s, uint64_t line, const char *why);
void db_sink_skipped(db_sink *s, uint64_t line, const char *why);
/*
 * Validate and append one record: the hash hex for `type` (0: by length), label and
 * reference (cut to their limits at a character boundary; bad UTF-8 is a bad record).
 * Returns 1 when added, 0 when reported bad, -1 when out of memory (s->nomem set).
 */
int db_sink_hash(db_sink *s, uint64_t line, int op, lm_hash_type type, const char *hex,
                 size_t hex_len, const char *label, size_t label_len, const char *ref,
                 size_t ref_len);
/* Append a removal of every entry of the list stored with this reference (1, or -1 when
 * out of memory). Such removals apply before the file's other records. */
int db_sink_ref_removal(db_sink *s, uint64_t line, const char *ref, size_t ref_len);
/* Map a supplier's signal-type name (pdq, md5, video_md5, sha1, sha256, ...;
 * case-insensitive) to a type; 0 when unsupported. */
lm_hash_type db_signal_type(const char *name, size_t len);
/* Longest prefix of s (at most max bytes) that ends on a UTF-8 character boundary. */
size_t db_text_cut(const char *s, size_t len, size_t max);

/* The document formats: read the whole input from r into s. LM_OK, or LM_E_IMPORT
 * (a document error: the reason went to the reporter), LM_E_NOMEM, LM_E_IO. */
int db_parse_ncmec_xml(db_reader *r, db_sink *s);
int db_parse_json(db_reader *r, db_sink *s, lm_db_format flavor);

#define DB_MAX_COLUMNS 64

typedef struct db_field {
    const char *s;
    size_t len;
} db_field;

typedef struct db_parser {
    lm_db_format format;
    lm_hash_type type; /* forced type, or 0 */
    int have_header;   /* CSV/TSV: the header was read */
    int ncols;
    int col_hash, col_type, col_quality, col_label, col_ref; /* -1 when absent */
    int col_tags, col_collab;                                /* te-csv, hma-csv */
    char field_buf[LM_DB_MAX_LINE + 1];
    /* vpdq: the one video the file describes */
    lm_db_frame *frames;
    size_t nframes, frames_cap;
    uint64_t first_line;
    int too_many; /* the frame limit was reported */
} db_parser;

/* Split a CSV (RFC 4180 on one line) or TSV line into fields; -1 with why. */
int db_split_fields(db_parser *p, const char *line, size_t len, db_field *out, char *why,
                    size_t whycap);

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

/*
 * The fields of a supplier CSV line whose first content line may be a header (hma-csv,
 * te-csv): 1 with the line's n fields in f, or 0 when the line is not a record (blank, a
 * comment, the header as is_header says, or fields that do not split: reported bad to s).
 */
int db_supplier_fields(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                       int (*is_header)(const db_field *f, int n), db_field *f, int *n, char *why,
                       size_t whycap);
/* hma-csv and te-csv lines (import_hma.c, import_te.c). They report bad and skipped
 * records through the sink themselves and return DB_PARSE_REC, DB_PARSE_SKIP,
 * DB_PARSE_NOMEM or DB_PARSE_FATAL (a bad header: why says why). */
int db_parse_hma(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                 char *why, size_t whycap);
int db_parse_te(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len, char *why,
                size_t whycap);
/* vpdq frame lines, then the one video record at the end (import_vpdq.c). */
int db_parse_vpdq_line(db_parser *p, uint64_t line_no, const char *line, size_t len, char *why,
                       size_t whycap);
int db_vpdq_finish(db_parser *p, db_sink *s);

/* One import: its options, the parsed records and what it did (import.c). */
typedef struct import_job {
    const lm_db_import_opts *opts;
    const char *list;
    db_recs recs;
    uint64_t *order; /* the records in hash order (db_import_order) */
    lm_db_import_result res;
    lm_db_import_hook hook; /* lm_db_import_hooked's, or NULL */
    void *hook_ctx;
    int hook_called; /* the write transaction may run again after the map grew: once only */
} import_job;

/*
 * The records in (type, hash, index) order (import_order.c), so that the records of one hash
 * are adjacent and in file order: order[k] holds the k-th record's index in its low 32 bits
 * and the first 32 bits of its key (type, hash) in its high ones, so that two entries whose
 * high halves differ are known to hold different keys without reading the records. A radix
 * sort: linear in the records whatever the input. LM_OK or LM_E_NOMEM (also for more than
 * 2^32 - 1 records).
 */
int db_import_order(import_job *job);
/* The record of order entry o. */
static inline db_rec *db_order_rec(const import_job *job, uint64_t o)
{
    return db_recs_at(&job->recs, (uint32_t)o);
}
/* Do order entries a and b hold the same key (type and hash)? */
int db_order_same_key(const import_job *job, uint64_t a, uint64_t b);

/* Hand what the import inserts to job->hook, once (import_handoff.c): inside the write
 * transaction after pass 1, when the pdq and companions tables were empty at its start;
 * next_entry_id is the transaction's first new id. Out of memory: no hand-over. */
void db_import_handoff(import_job *job, uint64_t next_entry_id);

/* The write transaction of an import for db_write (ctx: the import_job; import_sync.c). */
int db_import_txn(lm_hashdb *db, MDB_txn *txn, void *vctx);

/* Pick a format from the first content line. */
lm_db_format db_detect_format(const char *line, size_t len);

/*
 * The formats (import_formats.c): one entry per lm_db_format, as libavformat's table
 * of demuxers. A line format parses one input line into records through the sink and
 * returns DB_PARSE_* (BAD with why: the driver counts and reports it; hma/te report
 * their own bad records); a document format reads the whole input itself.
 */
typedef int (*db_line_parser)(db_parser *p, db_sink *s, uint64_t line_no, const char *line,
                              size_t len, char *why, size_t whycap);
typedef int (*db_doc_parser)(db_reader *r, db_sink *s, lm_db_format flavor);

typedef struct db_format_def {
    lm_db_format format;
    db_line_parser line;                     /* line formats */
    db_doc_parser document;                  /* document formats: LM_OK, LM_E_IMPORT, ... */
    int (*finish)(db_parser *p, db_sink *s); /* after the last line (vpdq); -1: no memory */
    int needs_header;                        /* a header line must come first (csv, tsv) */
} db_format_def;

/* The entry of format f (never NULL: formats without one read as plain hex lines). */
const db_format_def *db_format_def_of(lm_db_format f);

#endif
