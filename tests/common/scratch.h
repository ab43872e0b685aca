/*
 * Scratch directories for tests and benchmarks: a fresh directory under $TMPDIR (or /tmp),
 * removed afterwards with everything in it (nftw, no shell); the size of a file in it.
 */
#ifndef LM_TEST_SCRATCH_H
#define LM_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A new directory $TMPDIR/lm-TAG-XXXXXX, malloc'ed; NULL on failure. */
static inline char *scratch_dir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/lm-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline int scratch_remove_one(const char *path, const struct stat *sb, int flag,
                                     struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Remove dir and everything below it; 0, or -1 (said on stderr). */
static inline int scratch_remove(const char *dir)
{
    if (nftw(dir, scratch_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0)
        return 0;
    fprintf(stderr, "could not remove %s\n", dir);
    return -1;
}

/* The size of the file at path; -1 if there is none. */
static inline long scratch_file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

#endif
