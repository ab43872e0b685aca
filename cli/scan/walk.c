#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One open directory level: its entries, read and sorted once (one directory, not the tree). */
typedef struct level {
    char **names;
    size_t count, next;
    size_t path_len;   /* length of this directory's path in w->path */
    dev_t dev;
    ino_t ino;
} level;

struct walk {
    walk_options opts;
    char **roots;
    int nroots, next_root;
    level *stack;
    int depth, cap;
    char path[PATH_MAX];
    char reason[256];
    const char *code; /* stable code of the last skip or error (walk_last_code) */
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

walk *walk_open(char **roots, int nroots, const walk_options *opts)
{
    walk *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (opts)
        w->opts = *opts;
    if (w->opts.max_depth <= 0)
        w->opts.max_depth = 64;
    w->roots = roots;
    w->nroots = nroots;
    return w;
}

static void free_level(level *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names);
}

/* Read and sort a directory's entry names. Returns 0, or an errno. */
static int push_dir(walk *w, size_t path_len, const struct stat *st)
{
    if (w->depth == w->cap) {
        int ncap = w->cap ? w->cap * 2 : 8;
        level *ns = realloc(w->stack, sizeof *ns * (size_t)ncap);
        if (!ns)
            return ENOMEM;
        w->stack = ns;
        w->cap = ncap;
    }
    DIR *d = opendir(w->path);
    if (!d)
        return errno;
    level l = {.path_len = path_len, .dev = st->st_dev, .ino = st->st_ino};
    size_t cap = 0;
    struct dirent *e;
    int err = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (l.count == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(l.names, sizeof *nn * ncap);
            if (!nn) {
                err = ENOMEM;
                break;
            }
            l.names = nn;
            cap = ncap;
        }
        if (!(l.names[l.count] = strdup(e->d_name))) {
            err = ENOMEM;
            break;
        }
        l.count++;
    }
    closedir(d);
    if (err) {
        free_level(&l);
        return err;
    }
    qsort(l.names, l.count, sizeof *l.names, cmp_names);
    w->stack[w->depth++] = l;
    return 0;
}

/* Is (dev, ino) a directory already on the current path? (a symlink loop) */
static int on_stack(const walk *w, const struct stat *st)
{
    for (int i = 0; i < w->depth; i++)
        if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino)
            return 1;
    return 0;
}

/* Classify w->path: returns 1 if it produced an item for the caller, 0 if it descended. */
static int visit(walk *w, size_t path_len, walk_kind *kind, const char **reason, int is_root)
{
    struct stat st;
    if (lstat(w->path, &st) != 0) {
        snprintf(w->reason, sizeof w->reason, "%s", strerror(errno));
        *kind = WALK_ERROR;
        w->code = WALK_CODE_IO;
        *reason = w->reason;
        return 1;
    }
    if (S_ISLNK(st.st_mode)) {
        /* Roots named on the command line are followed, like find -H. */
        if (!w->opts.follow_symlinks && !is_root) {
            *kind = WALK_SKIPPED;
            *reason = "symbolic link (not followed; see --follow-symlinks)";
            w->code = WALK_CODE_SYMLINK;
            return 1;
        }
        if (stat(w->path, &st) != 0) {
            snprintf(w->reason, sizeof w->reason, "broken symbolic link: %s", strerror(errno));
            *kind = WALK_ERROR;
            w->code = WALK_CODE_IO;
            *reason = w->reason;
            return 1;
        }
    }
    if (S_ISREG(st.st_mode)) {
        *kind = WALK_FILE;
        *reason = "";
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        /* Named on the command line, a FIFO or device is an input that was not checked: an error
         * (exit status 2), not a skip. Met inside a tree, it is skipped. */
        *kind = is_root ? WALK_ERROR : WALK_SKIPPED;
        *reason = "not a regular file";
        w->code = WALK_CODE_SPECIAL;
        return 1;
    }
    if (on_stack(w, &st)) {
        *kind = WALK_SKIPPED;
        *reason = "directory loop";
        w->code = WALK_CODE_LOOP;
        return 1;
    }
    if (w->depth >= w->opts.max_depth) {
        *kind = WALK_SKIPPED;
        *reason = "directory nesting exceeds --max-depth";
        w->code = WALK_CODE_DEPTH;
        return 1;
    }
    int err = push_dir(w, path_len, &st);
    if (err) {
        snprintf(w->reason, sizeof w->reason, "%s", strerror(err));
        *kind = WALK_ERROR;
        w->code = WALK_CODE_IO;
        *reason = w->reason;
        return 1;
    }
    return 0;
}

int walk_next(walk *w, const char **path, walk_kind *kind, const char **reason)
{
    for (;;) {
        while (w->depth > 0) {
            level *top = &w->stack[w->depth - 1];
            if (top->next == top->count) {
                free_level(top);
                w->depth--;
                continue;
            }
            const char *name = top->names[top->next++];
            size_t base = top->path_len;
            int sep = base > 0 && w->path[base - 1] != '/';
            size_t len = base + (size_t)sep + strlen(name);
            if (len >= sizeof w->path) {
                w->path[base] = '\0';
                snprintf(w->reason, sizeof w->reason, "path longer than %d bytes under this directory",
                         PATH_MAX);
                *path = w->path;
                *kind = WALK_SKIPPED;
                *reason = w->reason;
                w->code = WALK_CODE_PATH_LENGTH;
                return 1;
            }
            if (sep)
                w->path[base] = '/';
            memcpy(w->path + base + sep, name, strlen(name) + 1);
            if (visit(w, len, kind, reason, 0)) {
                *path = w->path;
                return 1;
            }
        }
        if (w->next_root == w->nroots)
            return 0;
        const char *root = w->roots[w->next_root++];
        size_t len = strlen(root);
        if (len >= sizeof w->path) {
            *path = root;
            *kind = WALK_SKIPPED;
            *reason = "path too long";
            w->code = WALK_CODE_PATH_LENGTH;
            return 1;
        }
        memcpy(w->path, root, len + 1);
        if (visit(w, len, kind, reason, 1)) {
            *path = w->path;
            return 1;
        }
    }
}

const char *walk_last_code(const walk *w)
{
    return w->code ? w->code : "";
}

int walk_root_index(const walk *w)
{
    return w->next_root - 1;
}

void walk_close(walk *w)
{
    if (!w)
        return;
    while (w->depth > 0)
        free_level(&w->stack[--w->depth]);
    free(w->stack);
    free(w);
}
