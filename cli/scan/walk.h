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

/*
 * Stable machine-readable code of the item walk_next just returned as WALK_SKIPPED or
 * WALK_ERROR (JSON "code"): one per limit, so scripts need not parse the reason text.
 */
#define WALK_CODE_SYMLINK "symlink_not_followed"
#define WALK_CODE_SPECIAL "not_regular_file"
#define WALK_CODE_LOOP "directory_loop"
#define WALK_CODE_DEPTH "max_depth_exceeded"
#define WALK_CODE_PATH_LENGTH "path_too_long"
#define WALK_CODE_IO "io_error"
const char *walk_last_code(const walk *w);

/* Index in roots of the root the last item came from (for resuming in walk order). */
int walk_root_index(const walk *w);

void walk_close(walk *w);

#endif
