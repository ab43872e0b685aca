/* Helpers shared by the hashdb tests: fresh databases, imports and their reported lines,
 * export to memory, verify, file copies, random hashes and lists (and scratch.h). */
#ifndef HDB_TEST_H
#define HDB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hashdb.h"
#include "scratch.h"

/* A database DIR/NAME, created (a failure is a failed check). */
static inline lm_hashdb *hdb_create(const char *dir, const char *name)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lm_hashdb *db = NULL;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, err, sizeof err), LM_OK);
    return db;
}

/* The lines an import reported through on_line (the first 64). */
typedef struct hdb_lines {
    uint64_t line[64];
    int kind[64];
    char reason[64][160];
    int n;
} hdb_lines;

static inline void hdb_on_line(void *ctx, uint64_t line, lm_db_line_kind kind, const char *reason)
{
    hdb_lines *l = ctx;
    if (l->n < 64) {
        l->line[l->n] = line;
        l->kind[l->n] = kind;
        snprintf(l->reason[l->n], sizeof l->reason[0], "%s", reason);
        l->n++;
    }
}

/* The line numbers reported with this kind, as "a,b,c" (a static buffer). */
static inline const char *hdb_kinds(const hdb_lines *l, int kind)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n; i++)
        if (l->kind[i] == kind)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%llu", n ? "," : "",
                                  (unsigned long long)l->line[i]);
    return buf;
}

/* Import text into list (format f; skip_bad as lm_db_import_opts says): the lines reported
 * in *l, the result in *r (r may be NULL); both are cleared first. */
static inline lm_status hdb_import(lm_hashdb *db, const char *text, lm_db_format f,
                                   const char *list, int skip_bad, hdb_lines *l,
                                   lm_db_import_result *r)
{
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = f;
    o.list = list;
    o.skip_bad = skip_bad;
    o.on_line = hdb_on_line;
    o.ctx = l;
    memset(l, 0, sizeof *l);
    if (r)
        memset(r, 0, sizeof *r);
    return lm_hashdb_import_memory(db, text, strlen(text), &o, r);
}

/* Import text (default options) into the list "list-N", N = number; LM_OK or the status. */
static inline lm_status hdb_import_numbered(lm_hashdb *db, const char *text, int number)
{
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    char name[24];
    snprintf(name, sizeof name, "list-%d", number);
    o.list = name;
    return lm_hashdb_import_memory(db, text, strlen(text), &o, NULL);
}

/* The whole export with options o as a malloc'ed string, its status in *st (st may be NULL). */
static inline char *hdb_export_with(lm_hashdb *db, const lm_db_export_opts *o, lm_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lm_status s = m ? lm_hashdb_export(db, m, o, NULL) : LM_E_NOMEM;
    if (m)
        fclose(m);
    if (st)
        *st = s;
    return buf ? buf : strdup("");
}

/* The export of list (NULL: every list) in format f, as hdb_export_with. */
static inline char *hdb_export(lm_hashdb *db, lm_db_format f, const char *list, lm_status *st)
{
    lm_db_export_opts o;
    lm_db_export_opts_init(&o);
    o.format = f;
    o.list = list;
    return hdb_export_with(db, &o, st);
}

/* The problems lm_hashdb_verify finds in db (its status checked: LM_OK). */
static inline uint64_t hdb_problems(lm_hashdb *db)
{
    uint64_t problems = 99;
    CHECK_EQ_INT(lm_hashdb_verify(db, NULL, NULL, &problems), LM_OK);
    return problems;
}

/* The file from copied to to (both opened and every byte written, or a failed check). */
static inline void hdb_copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    CHECK(a && b);
    char buf[65536];
    size_t n;
    while (a && b && (n = fread(buf, 1, sizeof buf, a)) > 0)
        CHECK(fwrite(buf, 1, n, b) == n);
    if (a)
        fclose(a);
    if (b)
        fclose(b);
}

/* A uniformly random PDQ hash. */
static inline lm_pdq_hash hdb_random_pdq(uint64_t *seed)
{
    lm_pdq_hash h;
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = check_rand(seed);
        memcpy(h.b + i, &r, 8);
    }
    return h;
}

/* n random PDQ hashes as hex lines; caller frees. */
static inline char *hdb_random_hex(uint64_t *seed, size_t n)
{
    char *s = malloc(n * 65 + 1);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 64; j += 16) {
            uint64_t r = check_rand(seed);
            for (int k = 0; k < 16; k++, r >>= 4)
                s[i * 65 + j + k] = digits[r & 15];
        }
        s[i * 65 + 64] = '\n';
    }
    s[n * 65] = '\0';
    return s;
}

/* The whole file at path (*len its size), malloc'ed; NULL when it cannot be read. */
static inline uint8_t *hdb_read_file(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    *len = scratch_file_size(path);
    if (f && *len > 0 && (b = malloc((size_t)*len)) &&
        fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        free(b);
        b = NULL;
    }
    if (f)
        fclose(f);
    return b;
}

/* path's contents become b[0..len) (a CHECK failure when they cannot be written). */
static inline void hdb_write_file(const char *path, const uint8_t *b, long len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(b, 1, (size_t)len, f) == (size_t)len);
    if (f)
        fclose(f);
}

/* n random PDQ hashes (also into hashes[0..n)) as CSV with a label each, "label-I"; caller
 * frees. */
static inline char *hdb_labelled_csv(uint64_t *seed, lm_pdq_hash *hashes, size_t n)
{
    size_t cap = n * 100 + 16;
    char *text = malloc(cap);
    if (!text)
        abort();
    size_t off = (size_t)snprintf(text, cap, "hash,label\n");
    for (size_t i = 0; i < n; i++) {
        hashes[i] = hdb_random_pdq(seed);
        char hex[LM_PDQ_HEX_CHARS + 1];
        lm_pdq_to_hex(&hashes[i], hex);
        off += (size_t)snprintf(text + off, cap - off, "%s,label-%zu\n", hex, i);
    }
    return text;
}

#endif
