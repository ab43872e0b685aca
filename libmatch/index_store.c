/* The persisted PDQ index beside the list (see index_store.h). */
#include "index_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_file.h"

/* stamp[0]: what this file's payloads mean; changes with the snapshot layout. */
#define STAMP_KIND 0x4C4D534E41500001ull /* "LMSNAP" v1 */
/* Positions checked against the list at open (one LMDB lookup each). */
#define SAMPLES 16

char *index_store_path(lm_hashdb *db)
{
    const char *dir = lm_hashdb_path(db);
    if (!dir)
        return NULL;
    size_t len = strlen(dir) + sizeof LM_INDEX_STORE_FILE + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, LM_INDEX_STORE_FILE);
    return p;
}

void index_store_stamp(uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS], uint64_t next_entry_id,
                       uint64_t generation, size_t count)
{
    memset(stamp, 0, LM_INDEX_FILE_STAMP_WORDS * sizeof *stamp);
    stamp[0] = STAMP_KIND;
    stamp[1] = next_entry_id;
    stamp[2] = generation;
    stamp[3] = count;
}

static lm_status refuse(char *why, size_t whycap, lm_status st, const char *msg)
{
    if (why && whycap)
        snprintf(why, whycap, "%s", msg);
    return st;
}

/* Sampled plain positions hold the hash the list has for their entry (when it still exists). */
static int samples_agree(lm_hashdb *db, const matcher_snapshot *s)
{
    for (size_t k = 0; k < SAMPLES && s->count; k++) {
        size_t pos = (size_t)((s->count - 1) * k / (SAMPLES - 1));
        const lm_pdq_hash *h = NULL;
        if (lm_index_check(s->index, &s->ids[pos], sizeof s->ids[pos]) ||
            (s->regions && lm_index_check(s->index, &s->regions[pos], 1)))
            return 0;
        if (s->regions && s->regions[pos] != 0)
            continue; /* a crop companion: its entry's hash is another */
        lm_entry_info info;
        lm_status st = lm_hashdb_get_entry(db, s->ids[pos], &info);
        if (st == LM_E_NOT_FOUND)
            continue; /* removed since: confirmed away at query time */
        lm_pdq_hash want;
        if (st != LM_OK || info.type != LM_HASH_PDQ ||
            lm_pdq_from_hex(info.hash_hex, strlen(info.hash_hex), &want) != LM_OK)
            return 0;
        if (lm_index_hash_at(s->index, pos, &h) || memcmp(h->b, want.b, sizeof want.b) != 0)
            return 0;
    }
    return 1;
}

lm_status index_store_load(lm_hashdb *db, uint64_t next_entry_id, matcher_snapshot *s, char *why,
                           size_t whycap)
{
    char *path = index_store_path(db);
    if (!path)
        return LM_E_NOMEM;
    lm_index *ix = NULL;
    uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS];
    lm_index_payload pl[2];
    lm_status st = lm_index_open(path, &ix, stamp, pl, 2, why, whycap);
    free(path);
    if (st != LM_OK)
        return st;
    size_t n = lm_index_count(ix);
    if (stamp[0] != STAMP_KIND)
        st = refuse(why, whycap, LM_E_DB, "index file of another layout");
    else if (stamp[1] != next_entry_id)
        st = refuse(why, whycap, LM_E_DB, "index file is stale (entries added since)");
    else if (stamp[3] != n || pl[0].bytes != n * sizeof(uint64_t) ||
             (pl[1].bytes != 0 && pl[1].bytes != n))
        st = refuse(why, whycap, LM_E_DB, "index file structure damaged (maps)");
    if (st != LM_OK) {
        lm_index_free(ix);
        return st;
    }
    s->index = ix;
    s->ids = (uint64_t *)(uintptr_t)pl[0].data;
    s->regions = pl[1].bytes ? (uint8_t *)(uintptr_t)pl[1].data : NULL;
    s->count = n;
    s->mapped = 1;
    if (!samples_agree(db, s)) {
        lm_index_free(ix);
        s->index = NULL;
        s->ids = NULL;
        s->regions = NULL;
        s->count = 0;
        s->mapped = 0;
        return refuse(why, whycap, LM_E_DB, "index file does not match the list");
    }
    return LM_OK;
}

lm_status index_store_save(lm_hashdb *db, uint64_t next_entry_id, const matcher_snapshot *s)
{
    if (s->mapped)
        return LM_OK;
    char *path = index_store_path(db);
    if (!path)
        return LM_E_NOMEM;
    uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS];
    index_store_stamp(stamp, next_entry_id, s->generation, s->count);
    lm_index_payload pl[2] = {{s->ids, s->count * sizeof *s->ids},
                              {s->regions, s->regions ? s->count : 0}};
    lm_status st = lm_index_write(s->index, path, stamp, pl, 2);
    free(path);
    return st;
}

/* 1 when the list's index file is fresh (as a matcher's open would find it). */
static int file_fresh(lm_hashdb *db, uint64_t next_entry_id)
{
    matcher_snapshot s;
    memset(&s, 0, sizeof s);
    char why[160];
    if (index_store_load(db, next_entry_id, &s, why, sizeof why) != LM_OK)
        return 0;
    lm_index_free(s.index);
    return 1;
}

/*
 * The file straight from the list (lm_index_build_file): the hashes and ids are loaded, the
 * companions appended, and the tables built and written a few at a time, never the whole
 * index in memory (at 100M entries ~8 GB at the peak instead of ~21 GB).
 */
lm_status lm_list_index_update(lm_hashdb *db, int nthreads)
{
    uint64_t generation = 0, next_id = 0;
    lm_status st = lm_hashdb_index_stamp(db, &generation, &next_id);
    if (st != LM_OK || file_fresh(db, next_id))
        return st;
    lm_db_pdq_set set = {0};
    uint8_t *regions = NULL;
    st = lm_hashdb_load_pdq(db, &set);
    if (st == LM_OK)
        st = lm_hashdb_append_companions(db, &set, &regions);
    lm_hashdb_release_pages(db); /* what the load read of the list, before the build */
    char *path = st == LM_OK ? index_store_path(db) : NULL;
    if (st == LM_OK && !path)
        st = LM_E_NOMEM;
    if (st == LM_OK) {
        free(set.quality); /* not stored: give its memory back before the build */
        set.quality = NULL;
        uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS];
        index_store_stamp(stamp, next_id, generation, set.count);
        lm_index_payload pl[2] = {{set.ids, set.count * sizeof *set.ids},
                                  {regions, regions ? set.count : 0}};
        st = lm_index_build_file(set.hashes, set.count, nthreads, path, stamp, pl, 2);
    }
    free(path);
    free(regions);
    lm_db_pdq_set_free(&set);
    return st;
}

lm_status lm_db_build_index(lm_db *db, int nthreads)
{
    if (!db || lm_hashdb_failed(db))
        return LM_E_INVALID_ARG;
    if (!lm_hashdb_writable(db))
        return lm_hashdb_set_error(db, LM_E_INVALID_ARG, 0,
                                   "the list was opened read-only: cannot write its index");
    return lm_list_index_update(db, nthreads);
}
