/*
 * A streaming directory walk: files are handed out one at a time in a stable
 * (sorted per directory) order, never listing a whole tree in memory. Depth,
 * path length and symlink handling are bounded.
 */
#ifndef PMATCH_WALK_H
#define PMATCH_WALK_H

#include <stddef.h>

typedef struct walk walk;

typedef struct walk_options {
    int follow_symlinks;  /* 0 (default): symlinks are reported and skipped */
    int max_depth;        /* directories nested deeper are skipped with a message (default 64) */
} walk_options;

typedef enum walk_kind {
    WALK_FILE = 0,        /* a regular file to scan */
    WALK_SKIPPED = 1,     /* not scanned: reason says why (symlink, special file, too deep, loop) */
    WALK_ERROR = 2,       /* could not be read: reason has the system error */
} walk_kind;

/* Start a walk over the given roots (files or directories). */
walk *walk_open(char **roots, int nroots, const walk_options *opts);

/*
 * Next item: returns 1 and sets *path (valid until the next call), *kind and
 * *reason; returns 0 at the end.
 */
int walk_next(walk *w, const char **path, walk_kind *kind, const char **reason);

void walk_close(walk *w);

#endif
