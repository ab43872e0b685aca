/*
 * In-memory hit counters of a matcher: (entry, day) -> hits, first and last
 * time. Counting is lock-free on the common path (atomic slots in an
 * open-addressing table; a shared lock only keeps the table from being resized
 * or swapped underneath); no LMDB write happens while querying. A flush takes
 * the counts out atomically and hands them to the store.
 */
#ifndef LM_HIT_COUNTER_H
#define LM_HIT_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "hashdb.h"

typedef struct hit_counter hit_counter;

hit_counter *hit_counter_create(void);
void hit_counter_free(hit_counter *h);

/* Count one hit of entry_id at Unix time now. Returns LM_OK or LM_E_NOMEM (a hit
 * that could not be counted; the query itself is unaffected). Thread-safe. */
lm_status hit_counter_add(hit_counter *h, uint64_t entry_id, int64_t now);

/* Take every count out (the counter restarts from zero) as deltas for
 * lm_hashdb_add_hits; *out is malloc'ed (NULL when n == 0). Thread-safe. */
lm_status hit_counter_take(hit_counter *h, lm_db_hit_delta **out, size_t *n);
/* Put deltas back (a flush that failed): nothing is lost. */
void hit_counter_put_back(hit_counter *h, const lm_db_hit_delta *d, size_t n);

#endif
