/* The matcher's variants of a match (plain, trimmed, companion, ...): their order and names. */
#ifndef LM_MATCHER_VARIANTS_H
#define LM_MATCHER_VARIANTS_H

#include "libmatch.h"

/* Preference between two matches of one entry at the same distance: lower is better. */
int lm_match_variant_rank(const lm_match *m);

#endif
