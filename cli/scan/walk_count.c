/* A counting-only walk in a background thread (see walk_count.h). */
#include "walk_count.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct walk_count {
    pthread_t thread;
    char **roots;
    int nroots;
    walk_options opts;
    atomic_int stop, done;
    atomic_uint_fast64_t total;
};

static void *count_main(void *arg)
{
    walk_count *c = arg;
    walk *w = walk_open(c->roots, c->nroots, &c->opts);
    uint64_t n = 0;
    const char *path, *reason;
    walk_kind kind;
    int finished = 1;
    while (w && walk_next(w, &path, &kind, &reason)) {
        n++;
        if (atomic_load(&c->stop)) {
            finished = 0;
            break;
        }
    }
    walk_close(w);
    atomic_store(&c->total, n);
    atomic_store(&c->done, w != NULL && finished);
    return NULL;
}

walk_count *walk_count_start(char **roots, int nroots, const walk_options *opts)
{
    walk_count *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->roots = roots;
    c->nroots = nroots;
    if (opts)
        c->opts = *opts;
    if (pthread_create(&c->thread, NULL, count_main, c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

int walk_count_total(walk_count *c, uint64_t *total)
{
    if (!c || !atomic_load(&c->done))
        return 0;
    *total = atomic_load(&c->total);
    return 1;
}

void walk_count_stop(walk_count *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    pthread_join(c->thread, NULL);
    free(c);
}
