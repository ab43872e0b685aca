/*
 * Companions in the matcher: they join the entries' own hashes in the one
 * search index (position -> entry id, plus a region code per position), so a
 * query costs the same number of index searches with or without them; only
 * the index grows (by the number of companions).
 */
#include "matcher_variants.h"

#include <stdlib.h>
#include <string.h>

lm_status lm_matcher_append_companions(lm_hashdb *db, lm_db_pdq_set *set, uint8_t **regions)
{
    *regions = NULL;
    lm_db_companion_set cs;
    lm_status st = lm_hashdb_load_companions(db, &cs);
    if (st != LM_OK)
        return st;
    if (cs.count == 0) {
        lm_db_companion_set_free(&cs);
        return LM_OK;
    }
    size_t n = set->count + cs.count;
    if (n < set->count) {
        lm_db_companion_set_free(&cs);
        return LM_E_NOMEM;
    }
    uint8_t *r = calloc(n, 1);
    lm_pdq_hash *h = realloc(set->hashes, n * sizeof *h);
    if (h)
        set->hashes = h;
    uint64_t *ids = realloc(set->ids, n * sizeof *ids);
    if (ids)
        set->ids = ids;
    int8_t *q = realloc(set->quality, n);
    if (q)
        set->quality = q;
    if (!r || !h || !ids || !q) {
        free(r);
        lm_db_companion_set_free(&cs);
        return LM_E_NOMEM;
    }
    memcpy(set->hashes + set->count, cs.hashes, cs.count * sizeof *cs.hashes);
    memcpy(set->ids + set->count, cs.ids, cs.count * sizeof *cs.ids);
    memset(set->quality + set->count, -1, cs.count);
    memcpy(r + set->count, cs.regions, cs.count);
    set->count = n;
    lm_db_companion_set_free(&cs);
    *regions = r;
    return LM_OK;
}

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
