/* The matcher handle and the pieces of a query shared by matcher*.c and match_rules.c. */
#ifndef LM_MATCHER_INTERNAL_H
#define LM_MATCHER_INTERNAL_H

#include <pthread.h>

#include "hashdb.h"
#include "hit_counter.h"
#include "libmatch.h"
#include "matcher_snapshot.h"

struct lm_matcher {
    lm_hashdb *db;
    int owns_db;                  /* opened by lm_matcher_open_with (else borrowed) */
    int writable;                 /* the list was opened for writing (hit flushes) */
    snapshot_slot slot;           /* the current snapshot; queries pin it */
    pthread_mutex_t refresh_lock; /* one refresh at a time */
    hit_counter *hits;
};

/* A growable list of matches; kept sorted and de-duplicated at the end. */
typedef struct match_list {
    lm_match *items;
    size_t count, cap;
} match_list;

/* Add a candidate; the same entry and type keeps its closest distance. */
lm_status match_list_push(match_list *l, lm_match m);

/*
 * Turn candidates into matches, with the list as it is now: drop removed and
 * disabled entries and entries of disabled lists; apply each list's distance
 * (the caller's max_distance when unset); flag negative-list matches and the
 * matches they suppress; count the hits; sort. *active: matches neither
 * negative nor suppressed; *negative: negative-list matches.
 */
lm_status match_list_apply_rules(const lm_matcher *m, const matcher_snapshot *s, int max_distance,
                                 match_list *l, size_t *active, size_t *negative);

/* Copy up to cap matches out and the total into *found. */
void match_list_emit(const match_list *l, lm_match *out, size_t cap, size_t *found);

/*
 * lm_check_hashes' matching: the searches and the final verdict step of
 * lm_check (matcher.c), from the digests, decoded flag and image hashes already
 * in out; sets out's matches, match_count and verdict.
 */
lm_status matcher_match_hashes(const lm_matcher *m, const lm_check_options *opts,
                               lm_check_result *out);

/* lm_check_result's struct_size is one this library accepts (see libmatch.h). */
int check_result_size_ok(const lm_check_result *r);

/* Copy out->struct_size bytes of a whole result into out, keeping out's struct_size. */
void check_result_deliver(const lm_check_result *whole, lm_check_result *out);

/*
 * The snapshot `damaged` met a damaged block of the list's index file: unless
 * a newer snapshot is already in place, build one in memory (ignoring the
 * file; rewriting it when the list is writable) and swap it in. Thread-safe.
 */
lm_status matcher_recover(lm_matcher *m, const matcher_snapshot *damaged);

#endif
