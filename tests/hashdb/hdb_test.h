/* Helpers shared by the hashdb tests: scratch directories, export to memory, random lists. */
#ifndef HDB_TEST_H
#define HDB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hashdb.h"

/* A fresh directory under $TMPDIR (or /tmp); the database goes in DIR/db. */
static inline char *hdb_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/lm-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline int hdb_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void hdb_rmrf(const char *dir)
{
    if (nftw(dir, hdb_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* The whole export as a malloc'ed string ("" on failure, with *st set). */
static inline char *hdb_export(lm_hashdb *db, lm_db_format f, const char *list, lm_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lm_db_export_opts o;
    lm_db_export_opts_init(&o);
    o.format = f;
    o.list = list;
    lm_status s = lm_hashdb_export(db, m, &o, NULL);
    fclose(m);
    if (st)
        *st = s;
    return buf;
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

#endif
