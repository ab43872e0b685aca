/* Long-running commands: pick up list changes every N seconds, save hit counters at the end. */
#ifndef PMATCH_LIST_REFRESH_H
#define PMATCH_LIST_REFRESH_H

#include "libmatch.h"

typedef struct list_refresh {
    double every; /* seconds; 0: never */
    double last;  /* when it last ran */
    const char *cmd;
    const char *db_path;
    int damage_told; /* list_report_damage has run */
} list_refresh;

void list_refresh_init(list_refresh *r, double every, const char *cmd, const char *db_path);
/* Refresh the matcher when `every` seconds have passed; reports a new generation on stderr. */
void list_refresh_tick(list_refresh *r, lm_matcher *m);
/* Flush hit counters; warns (once, on stderr) when the list is read-only and hits is non-zero,
 * and says what is damaged when a damaged list refused the write. */
void list_flush_hits(list_refresh *r, lm_matcher *m, unsigned long long hits);
/*
 * After LM_E_DB from a matcher call: the matcher reads the list page by page, checking each,
 * and met a damaged one. Says once, on stderr, what is damaged and where, from a full check of
 * the list (which runs only then).
 */
void list_report_damage(list_refresh *r);

#endif
