/* Long-running commands: pick up list changes every N seconds, save hit counters at the end. */
#ifndef PMATCH_LIST_REFRESH_H
#define PMATCH_LIST_REFRESH_H

#include "libmatch.h"

typedef struct list_refresh {
    double every; /* seconds; 0: never */
    double last;  /* when it last ran */
    const char *cmd;
} list_refresh;

void list_refresh_init(list_refresh *r, double every, const char *cmd);
/* Refresh the matcher when `every` seconds have passed; reports a new generation on stderr. */
void list_refresh_tick(list_refresh *r, lm_matcher *m);
/* Flush hit counters; warns (once, on stderr) when the list is read-only and hits is non-zero. */
void list_flush_hits(lm_matcher *m, const char *cmd, unsigned long long hits);

#endif
