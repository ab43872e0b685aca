/* The matcher's hooks for companion hashes (matcher.c keeps only the calls). */
#ifndef LM_MATCHER_VARIANTS_H
#define LM_MATCHER_VARIANTS_H

#include <stdint.h>

#include "hashdb.h"
#include "libmatch.h"

/*
 * Append every companion hash of the list to set (loaded by lm_hashdb_load_pdq),
 * mapped to its entry, so that one index holds both. *regions receives
 * set->count region codes after the call (0 for the entries' own hashes), or
 * NULL when the list has no companions. On failure set is unchanged.
 */
lm_status lm_matcher_append_companions(lm_hashdb *db, lm_db_pdq_set *set, uint8_t **regions);

/* Preference between two matches of one entry at the same distance: lower is better. */
int lm_match_variant_rank(const lm_match *m);

#endif
