/*
 * The list formats as one table (like libavformat's demuxers): each format
 * names its parser, of one of two signatures, a line parser (records from one
 * line) or a document parser (the whole input), and what it needs around it.
 * The driver (import.c) looks the format up here and never names a format.
 */
#include "import.h"

/* csv/tsv and the plain formats fill one record of the sink per line. */
static int one_record(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                      char *why, size_t whycap, int table)
{
    db_rec *rec = db_recs_slot(s->recs);
    if (!rec)
        return DB_PARSE_NOMEM;
    rec->line = line_no;
    int pr = table ? db_parse_table(p, line, len, rec, s->recs, why, whycap)
                   : db_parse_plain(p, line, len, rec, s->recs, why, whycap);
    if (pr == DB_PARSE_REC)
        s->recs->n++;
    return pr;
}

static int line_table(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                      char *why, size_t whycap)
{
    return one_record(p, s, line_no, line, len, why, whycap, 1);
}

static int line_plain(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                      char *why, size_t whycap)
{
    return one_record(p, s, line_no, line, len, why, whycap, 0);
}

static int line_vpdq(db_parser *p, db_sink *s, uint64_t line_no, const char *line, size_t len,
                     char *why, size_t whycap)
{
    (void)s; /* frames collect in the parser; the one record comes at the end */
    return db_parse_vpdq_line(p, line_no, line, len, why, whycap);
}

static int doc_ncmec(db_reader *r, db_sink *s, lm_db_format flavor)
{
    (void)flavor;
    return db_parse_ncmec_xml(r, s);
}

static const db_format_def formats[] = {
    {LM_DB_FORMAT_HEX, line_plain, NULL, NULL, 0},
    {LM_DB_FORMAT_PDQ_CSV, line_plain, NULL, NULL, 0},
    {LM_DB_FORMAT_CSV, line_table, NULL, NULL, 1},
    {LM_DB_FORMAT_TSV, line_table, NULL, NULL, 1},
    {LM_DB_FORMAT_HMA_CSV, db_parse_hma, NULL, NULL, 0},
    {LM_DB_FORMAT_TE_CSV, db_parse_te, NULL, NULL, 0},
    {LM_DB_FORMAT_VPDQ, line_vpdq, NULL, db_vpdq_finish, 0},
    {LM_DB_FORMAT_NCMEC_XML, NULL, doc_ncmec, NULL, 0},
    {LM_DB_FORMAT_STOPNCII_JSON, NULL, db_parse_json, NULL, 0},
    {LM_DB_FORMAT_TAT_JSON, NULL, db_parse_json, NULL, 0},
};

const db_format_def *db_format_def_of(lm_db_format f)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].format == f)
            return &formats[i];
    return &formats[0]; /* md5/sha1/sha256 arrive as hex of a forced type */
}
