/*
 * Variants in the matcher: which of an entry's matches to report, and their names. Companions
 * join the entries' own hashes in the one search index (lm_hashdb_append_companions: position
 * -> entry id, plus a region code per position), so a query costs the same number of index
 * searches with or without them; only the index grows (by the number of companions).
 */
#include "matcher_variants.h"

int lm_match_variant_rank(const lm_match *m)
{
    /* Plain before trimmed before companion; the upright orientation first. */
    return m->variant * 8 + (m->dihedral & 7);
}

const char *lm_variant_name(int variant_flag)
{
    switch (variant_flag) {
    case LM_VARIANT_PLAIN: return "plain";
    case LM_VARIANT_TRIMMED: return "trimmed";
    case LM_VARIANT_COMPANION: return "companion";
    case LM_VARIANT_REGION: return "region";
    case LM_VARIANT_FEATURES: return "features";
    default: return "unknown";
    }
}
