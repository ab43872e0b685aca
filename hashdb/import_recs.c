/* The parsed records of an import and their text (see db_recs in import.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "import.h"

#define CHUNK_RECS ((size_t)1 << DB_RECS_CHUNK_BITS)
#define CHUNK_BYTES (CHUNK_RECS * sizeof(db_rec))

_Static_assert(CHUNK_BYTES == (size_t)2 << 20, "a chunk is one huge page");

/* A new chunk. The first stays on ordinary pages (most imports are small and touch only a
 * few of them); the others ask for a huge page before any of it is touched. */
static db_rec *new_chunk(size_t k)
{
    db_rec *c = k == 0 ? malloc(CHUNK_BYTES) : aligned_alloc(CHUNK_BYTES, CHUNK_BYTES);
#ifdef MADV_HUGEPAGE
    if (c && k > 0)
        (void)madvise(c, CHUNK_BYTES, MADV_HUGEPAGE); /* advice only */
#endif
    return c;
}

db_rec *db_recs_slot(db_recs *rs)
{
    if (rs->n == UINT32_MAX)
        return NULL; /* the hash order (db_import_order) numbers records in 32 bits */
    size_t k = rs->n >> DB_RECS_CHUNK_BITS;
    if (k == rs->nchunks) {
        if (rs->nchunks == rs->chunk_cap) {
            size_t cap = rs->chunk_cap ? 2 * rs->chunk_cap : 16;
            db_rec **t = realloc(rs->chunk, cap * sizeof *t);
            if (!t)
                return NULL;
            rs->chunk = t;
            rs->chunk_cap = cap;
        }
        if (!(rs->chunk[k] = new_chunk(k)))
            return NULL;
        rs->nchunks++;
    }
    db_rec *rec = db_recs_at(rs, rs->n);
    memset(rec, 0, sizeof *rec);
    return rec;
}

int db_recs_text(db_recs *rs, db_rec *rec, const char *label, size_t label_len, const char *ref,
                 size_t ref_len)
{
    if (label_len > LM_DB_MAX_LABEL || ref_len > LM_DB_MAX_REFERENCE)
        return -1; /* the callers cut or refuse longer texts first */
    size_t need = label_len + ref_len;
    if (rs->text_len + need > rs->text_cap) {
        size_t cap = rs->text_cap ? rs->text_cap : 65536;
        while (cap < rs->text_len + need)
            cap *= 2;
        char *t = realloc(rs->text, cap);
        if (!t)
            return -1;
        rs->text = t;
        rs->text_cap = cap;
    }
    rec->text_off = rs->text_len;
    /* rs->text is still NULL when every record so far had no text: no memcpy from/to NULL. */
    if (label_len)
        memcpy(rs->text + rs->text_len, label, label_len);
    if (ref_len)
        memcpy(rs->text + rs->text_len + label_len, ref, ref_len);
    rs->text_len += need;
    rec->label_len = (uint8_t)label_len;
    rec->ref_len = (uint8_t)ref_len;
    return 0;
}

void db_recs_free(db_recs *rs)
{
    for (size_t k = 0; k < rs->nchunks; k++)
        free(rs->chunk[k]);
    free(rs->chunk);
    free(rs->text);
    free(rs->blob);
    memset(rs, 0, sizeof *rs);
}
