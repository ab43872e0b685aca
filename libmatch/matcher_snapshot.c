/* Matcher snapshots: build from the list, pin for a query, swap on refresh. */
#include "matcher_snapshot.h"
#include "index_file.h"
#include "index_store.h"
#include "video_index.h"

#include "feature_match.h"
#include "matcher_variants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_error(char *errbuf, size_t size, const char *msg)
{
    if (errbuf && size)
        snprintf(errbuf, size, "%s", msg);
}

static void snapshot_free(matcher_snapshot *s)
{
    if (!s->mapped) { /* else they live in the index's map */
        free(s->ids);
        free(s->regions);
    }
    lm_index_free(s->index);
    lm_video_index_free(s->videos);
    lm_feature_index_free(s->features);
    free(s->lists);
    free(s);
}

/* The index, ids and regions loaded from the list and built in memory. */
static lm_status build_in_memory(lm_hashdb *db, int nthreads, matcher_snapshot *s, char *errbuf,
                                 size_t errbuf_size)
{
    lm_db_pdq_set set = {0};
    lm_status st = lm_hashdb_load_pdq(db, &set);
    if (st == LM_OK) /* local features: their own index, entries found by id in the PDQ set */
        st = lm_feature_index_build(db, set.ids, set.hashes, set.count, &s->features);
    if (st == LM_OK) /* crop companions join the index, mapped to their entry */
        st = lm_hashdb_append_companions(db, &set, &s->regions);
    if (st != LM_OK) {
        set_error(errbuf, errbuf_size, lm_hashdb_last_error(db));
        lm_db_pdq_set_free(&set); /* zeroed unless loaded */
        return st;
    }
    st = lm_index_build(set.hashes, set.count, nthreads, &s->index);
    if (st != LM_OK) {
        set_error(errbuf, errbuf_size, "cannot build the search index");
        lm_db_pdq_set_free(&set);
        return st;
    }
    /* The index keeps its own copy of the hashes; keep only the id map. */
    s->ids = set.ids;
    s->count = set.count;
    set.ids = NULL;
    lm_db_pdq_set_free(&set);
    return LM_OK;
}

/*
 * The local-features index over a mapped snapshot: the plain entries (companions
 * come after them) give each feature entry its hash. The maps it reads are
 * verified first (an O(entries) check, only here); LM_E_DB when damaged. A list
 * without features skips all of it: nothing would read the maps, and the
 * check would read the whole file at every open (queries verify what they
 * touch).
 */
static lm_status mapped_features(lm_hashdb *db, matcher_snapshot *s)
{
    size_t nfeatures = 0;
    lm_status st = lm_hashdb_feature_count(db, &nfeatures);
    if (st != LM_OK || nfeatures == 0)
        return st;
    size_t plain = s->count;
    if (s->regions) {
        if (lm_index_check(s->index, s->regions, s->count))
            return LM_E_DB;
        plain = 0;
        while (plain < s->count && s->regions[plain] == 0)
            plain++;
    }
    const lm_pdq_hash *h = NULL;
    if (plain &&
        (lm_index_check(s->index, s->ids, plain * sizeof *s->ids) ||
         lm_index_hash_at(s->index, 0, &h) || lm_index_check(s->index, h, plain * sizeof *h)))
        return LM_E_DB;
    return lm_feature_index_build(db, s->ids, h, plain, &s->features);
}

lm_status snapshot_build(lm_hashdb *db, int nthreads, matcher_snapshot **out, char *errbuf,
                         size_t errbuf_size)
{
    return snapshot_build_with(db, nthreads, lm_hashdb_writable(db) ? SNAPSHOT_SAVE : 0, out,
                               errbuf, errbuf_size);
}

lm_status snapshot_build_with(lm_hashdb *db, int nthreads, unsigned flags, matcher_snapshot **out,
                              char *errbuf, size_t errbuf_size)
{
    *out = NULL;
    matcher_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return LM_E_NOMEM;
    atomic_init(&s->refs, 1);
    /* The index file's stamp (next entry id) first, then the rules, then the
     * hashes: a stamp older than the hashes only makes the next open rebuild. */
    uint64_t gen_now = 0, next_id = 0;
    lm_status st = lm_hashdb_index_stamp(db, &gen_now, &next_id);
    /* Rules next: if the list changes in between, the snapshot carries the older
     * generation and the next refresh rebuilds (never the other way round). */
    if (st == LM_OK)
        st = lm_hashdb_all_list_attrs(db, &s->lists, &s->nlists, &s->generation);
    if (st != LM_OK) {
        set_error(errbuf, errbuf_size, lm_hashdb_last_error(db));
        snapshot_free(s);
        return st;
    }
    int loaded = 0;
    if (!(flags & SNAPSHOT_REBUILD)) {
        char why[160];
        loaded = index_store_load(db, next_id, s, why, sizeof why) == LM_OK;
        if (loaded && mapped_features(db, s) != LM_OK) { /* damaged: build instead */
            lm_feature_index_free(s->features);
            s->features = NULL;
            lm_index_free(s->index);
            s->index = NULL;
            s->ids = NULL;
            s->regions = NULL;
            s->count = 0;
            s->mapped = 0;
            loaded = 0;
        }
    }
    if (!loaded) {
        if ((st = build_in_memory(db, nthreads, s, errbuf, errbuf_size)) != LM_OK) {
            snapshot_free(s);
            return st;
        }
        if (flags & SNAPSHOT_SAVE) /* for the next open; a failure only costs a rebuild */
            (void)index_store_save(db, next_id, s);
    }
    if ((st = lm_video_index_open(db, LM_DEFAULT_MIN_QUALITY, &s->videos)) != LM_OK) {
        set_error(errbuf, errbuf_size, lm_hashdb_last_error(db));
        snapshot_free(s);
        return st;
    }
    s->max_list_distance = -1;
    for (size_t i = 0; i < s->nlists; i++)
        if (s->lists[i].enabled && s->lists[i].distance > s->max_list_distance)
            s->max_list_distance = s->lists[i].distance;
    s->bytes = lm_index_memory_bytes(s->index) + s->nlists * sizeof *s->lists + sizeof *s +
               lm_feature_index_bytes(s->features);
    if (!s->mapped) /* else the maps are part of the mapped file */
        s->bytes += s->count * sizeof *s->ids + (s->regions ? s->count : 0);
    *out = s;
    return LM_OK;
}

void snapshot_release(matcher_snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snapshot_free(s);
}

lm_db_list_attrs snapshot_list(const matcher_snapshot *s, uint32_t list_id)
{
    size_t lo = 0, hi = s->nlists;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->lists[mid].list_id == list_id)
            return s->lists[mid];
        if (s->lists[mid].list_id < list_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lm_db_list_attrs){.list_id = list_id, .distance = -1, .enabled = 1};
}

int snapshot_radius(const matcher_snapshot *s, int max_distance)
{
    return s->max_list_distance > max_distance ? s->max_list_distance : max_distance;
}

matcher_snapshot *snapshot_pin(snapshot_slot *slot)
{
    pthread_mutex_lock(&slot->lock);
    matcher_snapshot *s = slot->cur;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&slot->lock);
    return s;
}

matcher_snapshot *snapshot_swap(snapshot_slot *slot, matcher_snapshot *next)
{
    pthread_mutex_lock(&slot->lock);
    matcher_snapshot *old = slot->cur;
    slot->cur = next;
    pthread_mutex_unlock(&slot->lock);
    return old;
}
