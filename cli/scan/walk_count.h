/*
 * A counting-only walk in a background thread: the total number of walk items
 * for the progress display's time-left estimate, which a streaming walk cannot
 * know up front. It stats entries but reads no file contents.
 */
#ifndef PMATCH_WALK_COUNT_H
#define PMATCH_WALK_COUNT_H

#include <stdint.h>

#include "walk.h"

typedef struct walk_count walk_count;

/* Start counting (NULL when a thread cannot be started: no estimate then). */
walk_count *walk_count_start(char **roots, int nroots, const walk_options *opts);

/* 1 and *total once the count is finished, else 0. Thread-safe. */
int walk_count_total(walk_count *c, uint64_t *total);

/* Stop (if still running), join and free. NULL is fine. */
void walk_count_stop(walk_count *c);

#endif
