/*
 * Live updates and hit counters of an open matcher.
 *
 * Refresh builds a new snapshot beside the current one when the list's
 * generation changed, then swaps the pointer under a short lock. Queries
 * already running keep the snapshot they pinned; the old snapshot is freed by
 * whichever of them (or the refresh) drops the last reference. No query ever
 * sees a half-built index, and queries never wait for a build.
 */
#include <stdlib.h>

#include "index_file.h"
#include "matcher_internal.h"

lm_status lm_matcher_refresh(lm_matcher *m, int *changed)
{
    if (changed)
        *changed = 0;
    if (!m)
        return LM_E_INVALID_ARG;
    pthread_mutex_lock(&m->refresh_lock);
    uint64_t gen = 0;
    lm_status st = lm_hashdb_generation(m->db, &gen);
    matcher_snapshot *cur = snapshot_pin(&m->slot);
    int same = st == LM_OK && gen == cur->generation && !lm_index_damaged(cur->index);
    snapshot_release(cur);
    if (st == LM_OK && !same) {
        matcher_snapshot *next;
        st = snapshot_build(m->db, 0, &next, NULL, 0);
        if (st == LM_OK) {
            snapshot_release(snapshot_swap(&m->slot, next));
            if (changed)
                *changed = 1;
        }
    }
    pthread_mutex_unlock(&m->refresh_lock);
    return st;
}

lm_status matcher_recover(lm_matcher *m, const matcher_snapshot *damaged)
{
    pthread_mutex_lock(&m->refresh_lock);
    matcher_snapshot *cur = snapshot_pin(&m->slot);
    int replaced = cur != damaged;
    snapshot_release(cur);
    lm_status st = LM_OK;
    if (!replaced) {
        matcher_snapshot *next;
        unsigned flags = SNAPSHOT_REBUILD | (lm_hashdb_writable(m->db) ? SNAPSHOT_SAVE : 0);
        st = snapshot_build_with(m->db, 0, flags, &next, NULL, 0);
        if (st == LM_OK)
            snapshot_release(snapshot_swap(&m->slot, next));
    }
    pthread_mutex_unlock(&m->refresh_lock);
    return st;
}

uint64_t lm_matcher_generation(const lm_matcher *m)
{
    if (!m)
        return 0;
    matcher_snapshot *s = snapshot_pin(&((lm_matcher *)m)->slot);
    uint64_t g = s->generation;
    snapshot_release(s);
    return g;
}

lm_status lm_matcher_flush_hits(lm_matcher *m, size_t *flushed)
{
    if (flushed)
        *flushed = 0;
    if (!m)
        return LM_E_INVALID_ARG;
    if (!m->writable)
        return LM_E_UNSUPPORTED;
    lm_db_hit_delta *d;
    size_t n;
    lm_status st = hit_counter_take(m->hits, &d, &n);
    if (st != LM_OK || n == 0)
        return st;
    st = lm_hashdb_add_hits(m->db, d, n, LM_DB_HIT_KEEP_DAYS, NULL);
    if (st != LM_OK)
        hit_counter_put_back(m->hits, d, n); /* kept for the next flush */
    else if (flushed)
        for (size_t i = 0; i < n; i++)
            *flushed += d[i].count;
    free(d);
    return st;
}
