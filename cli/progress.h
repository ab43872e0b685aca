/* A one-line progress display on stderr, only when stderr is a terminal. */
#ifndef PMATCH_PROGRESS_H
#define PMATCH_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int enabled;
    double start, last;
    uint64_t total;      /* items in all, once known (0: unknown) */
    uint64_t base;       /* items already done before this run started (resumed scans) */
} progress;

void progress_init(progress *p, int allowed);
/* Redraw at most ~10 times a second. */
void progress_update(progress *p, uint64_t done, uint64_t matched, uint64_t failed);
void progress_finish(progress *p);
/* Once the total is known: the display adds the percentage and the time left. */
void progress_set_total(progress *p, uint64_t total);
double progress_now(void);

#endif
