/* Export: entries in id order from one snapshot, in the import formats (canonical form). */
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

void lm_db_export_opts_init(lm_db_export_opts *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

static void put_hex(FILE *out, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char hex[2 * LM_DB_MAX_HASH_BYTES];
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[b[i] >> 4];
        hex[2 * i + 1] = digits[b[i] & 15];
    }
    fwrite(hex, 1, 2 * n, out);
}

/* RFC 4180: quote only fields that need it, so canonical input round-trips. */
static void put_csv_field(FILE *out, const char *s, size_t len)
{
    if (!memchr(s, ',', len) && !memchr(s, '"', len)) {
        fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

static void put_entry(FILE *out, lm_db_format f, const db_entry *e)
{
    switch (f) {
    case LM_DB_FORMAT_HMA_CSV:
        put_hex(out, e->hash, e->hash_len);
        fputc(',', out);
        put_csv_field(out, e->ref, e->ref_len);
        fprintf(out, ",%lld,", (long long)e->added);
        put_csv_field(out, e->label, e->label_len);
        fputc('\n', out);
        break;
    case LM_DB_FORMAT_HEX:
        put_hex(out, e->hash, e->hash_len);
        fputc('\n', out);
        break;
    case LM_DB_FORMAT_PDQ_CSV:
        put_hex(out, e->hash, e->hash_len);
        if (e->quality >= 0)
            fprintf(out, ",%d,", e->quality);
        else
            fputs(",,", out);
        fwrite(e->ref, 1, e->ref_len, out);
        fputc('\n', out);
        break;
    default: {
        /* Labels and references never hold tabs or newlines (checked on the way in). */
        char sep = f == LM_DB_FORMAT_TSV ? '\t' : ',';
        put_hex(out, e->hash, e->hash_len);
        fprintf(out, "%c%s%c", sep, lm_hash_type_name(e->type), sep);
        if (e->quality >= 0)
            fprintf(out, "%d", e->quality);
        fputc(sep, out);
        if (sep == ',') {
            put_csv_field(out, e->label, e->label_len);
            fputc(sep, out);
            put_csv_field(out, e->ref, e->ref_len);
        } else {
            fwrite(e->label, 1, e->label_len, out);
            fputc(sep, out);
            fwrite(e->ref, 1, e->ref_len, out);
        }
        fputc('\n', out);
    }
    }
}

/* One video entry's frames as vPDQ text, as Meta's tool writes it. */
static lm_status db_export_vpdq(lm_hashdb *db, FILE *out, uint64_t id, uint64_t *written)
{
    lm_db_frame *fr;
    size_t n;
    if (written)
        *written = 0;
    if (id == 0)
        return db_err(db, LM_E_INVALID_ARG, "vpdq export writes one video entry: give its id");
    lm_status st = lm_hashdb_get_video(db, id, &fr, &n);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        char hex[LM_PDQ_HEX_CHARS + 1];
        lm_pdq_to_hex(&fr[i].hash, hex);
        fprintf(out, "%u,%d,%s,%u.%03u\n", fr[i].frame, fr[i].quality, hex, fr[i].ts_ms / 1000,
                fr[i].ts_ms % 1000);
    }
    free(fr);
    if (fflush(out) != 0 || ferror(out))
        return db_err(db, LM_E_IO, "writing the export failed");
    if (written)
        *written = 1;
    return LM_OK;
}

lm_status lm_hashdb_export(lm_hashdb *db, FILE *out, const lm_db_export_opts *opts,
                           uint64_t *written)
{
    lm_db_export_opts defaults;
    if (!opts) {
        lm_db_export_opts_init(&defaults);
        opts = &defaults;
    }
    if (!db || !out || opts->struct_size != sizeof *opts)
        return LM_E_INVALID_ARG;
    if (opts->format == LM_DB_FORMAT_VPDQ)
        return db_export_vpdq(db, out, opts->entry, written);
    lm_db_format f = opts->format == LM_DB_FORMAT_AUTO ? LM_DB_FORMAT_CSV : opts->format;
    lm_hash_type type = f == LM_DB_FORMAT_PDQ_CSV ? LM_HASH_PDQ : opts->type;
    if (f >= LM_DB_FORMAT_MD5 && f <= LM_DB_FORMAT_SHA256) {
        lm_hash_type t = f == LM_DB_FORMAT_MD5    ? LM_HASH_MD5
                         : f == LM_DB_FORMAT_SHA1 ? LM_HASH_SHA1
                                                  : LM_HASH_SHA256;
        if (type && type != t)
            return db_err_hint(db, LM_E_INVALID_ARG, LM_DB_HINT_FORMAT,
                               "format %s holds %s hashes only", lm_db_format_name(f),
                               lm_hash_type_name(t));
        type = t;
        f = LM_DB_FORMAT_HEX;
    }
    if ((f > LM_DB_FORMAT_HMA_CSV) || (type && !lm_db_hash_len(type)))
        return db_err(db, LM_E_INVALID_ARG, "%s lists cannot be exported (or an unknown type)",
                      lm_db_format_name(opts->format));
    if (f == LM_DB_FORMAT_PDQ_CSV && opts->type && opts->type != LM_HASH_PDQ)
        return db_err_hint(db, LM_E_INVALID_ARG, LM_DB_HINT_FORMAT,
                           "pdq-csv lists hold PDQ hashes only");
    uint64_t n = 0;
    MDB_txn *txn;
    int st = db_read_begin(db, &txn);
    if (st)
        return st;
    uint32_t list_id = 0;
    if (opts->list && (st = db_list_find(db, txn, opts->list, &list_id)) == LM_E_NOT_FOUND)
        st = db_err(db, st, "no list named '%s'", opts->list);
    MDB_cursor *c = NULL;
    int rc;
    if (st == LM_OK && (rc = mdb_cursor_open(txn, db->entries, &c)) != 0)
        st = db_mdb_err(db, rc, "opening the entries");
    if (st == LM_OK) {
        if (f == LM_DB_FORMAT_CSV)
            fputs("hash,type,quality,label,reference\n", out);
        else if (f == LM_DB_FORMAT_TSV)
            fputs("hash\ttype\tquality\tlabel\treference\n", out);
        else if (f == LM_DB_FORMAT_HMA_CSV)
            fputs("hash,indicator_id,timestamp,tags\n", out);
        MDB_val k, v;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            db_entry e;
            const char *why;
            if (k.mv_size != 8 || db_entry_decode(db_get_be64(k.mv_data), &v, &e, &why)) {
                st = db_damaged(db, "a damaged entry stops the export");
                break;
            }
            if ((list_id && e.list_id != list_id) || (type && e.type != type) ||
                e.type == LM_HASH_VPDQ) /* videos: --format vpdq, one entry at a time */
                continue;
            put_entry(out, f, &e);
            n++;
        }
        if (st == LM_OK && rc != MDB_NOTFOUND)
            st = db_mdb_err(db, rc, "reading the entries");
    }
    if (c)
        mdb_cursor_close(c);
    db_read_end(db, txn);
    if (fflush(out) != 0 || ferror(out))
        st = st ? st : db_err(db, LM_E_IO, "writing the export failed");
    if (written)
        *written = n;
    return st;
}
