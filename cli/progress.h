/* A one-line progress display on stderr, only when stderr is a terminal. */
#ifndef PMATCH_PROGRESS_H
#define PMATCH_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int enabled;
    double start, last;
} progress;

void progress_init(progress *p, int allowed);
/* Redraw at most ~10 times a second. */
void progress_update(progress *p, uint64_t done, uint64_t matched, uint64_t failed);
void progress_finish(progress *p);
double progress_now(void);

#endif
