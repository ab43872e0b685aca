/*
 * From index candidates to a verdict's matches: the list rules. Candidates are
 * confirmed in one LMDB snapshot (so removals, entry disables and list disables
 * take effect at once, even for a matcher opened before them); distance and
 * kind come from the matcher's snapshot (they change at the next refresh).
 *
 * Negative lists hold known false positives: a match on one suppresses the
 * other matches of the same image (for a video: of the same frame; a negative
 * match of the file's digest suppresses everything).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matcher_internal.h"
#include "matcher_variants.h"

lm_status match_list_push(match_list *l, lm_match m)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].entry_id == m.entry_id && l->items[i].type == m.type) {
            if (m.distance < l->items[i].distance ||
                (m.distance == l->items[i].distance &&
                 lm_match_variant_rank(&m) < lm_match_variant_rank(&l->items[i])))
                l->items[i] = m; /* the closest orientation / variant wins */
            return LM_OK;
        }
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        lm_match *n = realloc(l->items, ncap * sizeof *n);
        if (!n)
            return LM_E_NOMEM;
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->count++] = m;
    return LM_OK;
}

static int category(const lm_match *m)
{
    return (m->flags & LM_MATCH_SUPPRESSED) ? 2 : (m->flags & LM_MATCH_NEGATIVE) ? 1 : 0;
}

/* Active matches first, then negative, then suppressed; within each: digests first,
 * then whole stored videos (vPDQ), then PDQ by distance, then by entry id. */
static int type_rank(const lm_match *m)
{
    return m->type == LM_HASH_PDQ ? 2 : m->type == LM_HASH_VPDQ ? 1 : 0;
}

static int cmp_match(const void *pa, const void *pb)
{
    const lm_match *a = pa, *b = pb;
    int ca = category(a), cb = category(b);
    if (ca != cb)
        return ca - cb;
    int ad = type_rank(a), bd = type_rank(b);
    if (ad != bd)
        return ad - bd;
    if (a->distance != b->distance)
        return a->distance - b->distance;
    return a->entry_id < b->entry_id ? -1 : a->entry_id > b->entry_id;
}

lm_status match_list_apply_rules(const lm_matcher *m, const matcher_snapshot *s, int max_distance,
                                 match_list *l, size_t *active, size_t *negative)
{
    *active = *negative = 0;
    if (l->count == 0)
        return LM_OK;
    enum { STACK = 64 };
    uint64_t sid[STACK];
    lm_db_entry_state sst[STACK];
    uint64_t *ids = l->count <= STACK ? sid : malloc(l->count * sizeof *ids);
    lm_db_entry_state *st = l->count <= STACK ? sst : malloc(l->count * sizeof *st);
    lm_status rc = ids && st ? LM_OK : LM_E_NOMEM;
    for (size_t i = 0; rc == LM_OK && i < l->count; i++)
        ids[i] = l->items[i].entry_id;
    if (rc == LM_OK)
        rc = lm_hashdb_entry_states(m->db, ids, l->count, st);
    size_t kept = 0;
    for (size_t i = 0; rc == LM_OK && i < l->count; i++) {
        lm_match mt = l->items[i];
        if (!st[i].active)
            continue;
        lm_db_list_attrs a = snapshot_list(s, st[i].list_id);
        int limit = a.distance >= 0 ? a.distance : max_distance;
        /* A feature match was verified geometrically; its distance is for information. */
        if (mt.type == LM_HASH_PDQ && !(mt.variant & LM_VARIANT_FEATURES) && mt.distance > limit)
            continue;
        mt.flags = a.kind == LM_DB_LIST_NEGATIVE ? LM_MATCH_NEGATIVE : 0;
        l->items[kept++] = mt;
    }
    if (ids != sid)
        free(ids);
    if (st != sst)
        free(st);
    if (rc != LM_OK)
        return rc;
    l->count = kept;
    for (size_t i = 0; i < l->count; i++) {
        const lm_match *n = &l->items[i];
        if (!(n->flags & LM_MATCH_NEGATIVE))
            continue;
        for (size_t j = 0; j < l->count; j++) {
            lm_match *o = &l->items[j];
            if (!(o->flags & LM_MATCH_NEGATIVE) && (n->frame == -1 || o->frame == n->frame))
                o->flags |= LM_MATCH_SUPPRESSED;
        }
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < l->count; i++) {
        const lm_match *x = &l->items[i];
        if (x->flags & LM_MATCH_SUPPRESSED)
            continue;
        if (x->flags & LM_MATCH_NEGATIVE)
            ++*negative;
        else
            ++*active;
        /* Suppressed matches are not counted: the negative list already explains them. */
        hit_counter_add(m->hits, x->entry_id, now);
    }
    if (l->count > 1) /* qsort's base must not be NULL, even for zero items */
        qsort(l->items, l->count, sizeof *l->items, cmp_match);
    return LM_OK;
}

void match_list_emit(const match_list *l, lm_match *out, size_t cap, size_t *found)
{
    size_t n = l->count < cap ? l->count : cap;
    if (n)
        memcpy(out, l->items, n * sizeof *out);
    *found = l->count;
}
