/*
 * lm_match_nearest: exact k-nearest PDQ entries for triage. The index's k-NN
 * (search/index_knn.c) gives the nearest positions; each is confirmed in one
 * LMDB snapshot (removed, disabled and disabled-list entries dropped, as for
 * matches) and companions fold into their entry. When the confirmation drops
 * some, the index is asked for more (4x) until k active entries are found or
 * the list within max_distance is exhausted, so the answer stays exact.
 */
#include <stdlib.h>
#include <string.h>

#include "index_file.h"
#include "matcher_internal.h"

static lm_status nearest_pinned(const lm_matcher *m, const matcher_snapshot *s,
                                const lm_pdq_hash *hash, int k, int max_distance, lm_match *out,
                                size_t *found)
{
    size_t ask = (size_t)k;
    lm_status st = LM_OK;
    for (;;) {
        if (ask > s->count)
            ask = s->count;
        lm_search_hit *hits = malloc((ask ? ask : 1) * sizeof *hits);
        uint64_t *ids = malloc((ask ? ask : 1) * sizeof *ids);
        int *region = malloc((ask ? ask : 1) * sizeof *region);
        lm_db_entry_state *state = malloc((ask ? ask : 1) * sizeof *state);
        size_t nf = 0, nd = 0;
        if (!hits || !ids || !region || !state)
            st = LM_E_NOMEM;
        if (st == LM_OK)
            st = lm_index_knn_within(s->index, hash, (int)ask, max_distance, hits, &nf);
        for (size_t i = 0; st == LM_OK && i < nf; i++) {
            uint32_t p = hits[i].pos;
            if (lm_index_check(s->index, &s->ids[p], sizeof *s->ids) ||
                (s->regions && lm_index_check(s->index, &s->regions[p], 1))) {
                st = LM_E_DB;
                break;
            }
            size_t j = 0; /* hits are closest first: an entry's first hit is its best */
            while (j < nd && ids[j] != s->ids[p])
                j++;
            if (j == nd) {
                ids[nd] = s->ids[p];
                region[nd] = s->regions ? s->regions[p] : 0;
                hits[nd++].distance = hits[i].distance;
            }
        }
        if (st == LM_OK && nd)
            st = lm_hashdb_entry_states(m->db, ids, nd, state);
        size_t n = 0;
        for (size_t j = 0; st == LM_OK && j < nd && n < (size_t)k; j++) {
            if (!state[j].active)
                continue;
            lm_db_list_attrs la = snapshot_list(s, state[j].list_id);
            out[n++] = (lm_match){.entry_id = ids[j],
                                  .type = LM_HASH_PDQ,
                                  .distance = hits[j].distance,
                                  .frame = -1,
                                  .flags = la.kind == LM_DB_LIST_NEGATIVE ? LM_MATCH_NEGATIVE : 0,
                                  .region = region[j],
                                  .variant = region[j] ? LM_VARIANT_COMPANION : 0};
        }
        free(hits);
        free(ids);
        free(region);
        free(state);
        if (st != LM_OK)
            return st;
        /* done: k found, or the index had no more within max_distance */
        if (n == (size_t)k || nf < ask || ask == s->count) {
            *found = n;
            return LM_OK;
        }
        ask = ask * 4 > ask ? ask * 4 : s->count;
    }
}

lm_status lm_match_nearest(const lm_matcher *m, const lm_pdq_hash *hash, int k, int max_distance,
                           lm_match *matches, size_t *found)
{
    if (!m || !hash || !found || k < 0 || (k > 0 && !matches) || max_distance < 0 ||
        max_distance > 8 * LM_PDQ_BYTES)
        return LM_E_INVALID_ARG;
    *found = 0;
    if (k == 0)
        return LM_OK;
    for (int attempt = 0;; attempt++) {
        matcher_snapshot *s = snapshot_pin(&((lm_matcher *)m)->slot);
        lm_status st = nearest_pinned(m, s, hash, k, max_distance, matches, found);
        int again = attempt == 0 && st == LM_E_DB && lm_index_damaged(s->index) &&
                    matcher_recover((lm_matcher *)m, s) == LM_OK;
        snapshot_release(s);
        if (!again)
            return st;
    }
}
