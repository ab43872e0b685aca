/*
 * The persisted PDQ index of a list: the file "pdq.index" beside data.mdb
 * (format: search/index_file.h) holding the matcher snapshot's index, its
 * position -> entry id map and its region codes.
 *
 * Freshness: the file is stamped with the list's next entry id, read before
 * the hashes it was built from. Entry ids are never reused, so an equal next
 * id means no entry or companion was added since; removals and disables need
 * no new file, since every candidate is confirmed in LMDB at query time
 * (match_rules.c, lm_match_nearest). A different next id (stale), a damaged
 * or foreign file, or sampled positions whose stored hash differs from the
 * list's are refused: the caller builds in memory and rewrites the file.
 */
#ifndef LM_INDEX_STORE_H
#define LM_INDEX_STORE_H

#include "hashdb.h"
#include "index_file.h"
#include "matcher_snapshot.h"

#define LM_INDEX_STORE_FILE "pdq.index"

/* The index file's path beside the list (free it), NULL when out of memory. */
char *index_store_path(lm_hashdb *db);
/* The stamp of a file built from count positions of the list at next_entry_id, generation. */
void index_store_stamp(uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS], uint64_t next_entry_id,
                       uint64_t generation, size_t count);

/* Maps the list's index file into s (index, ids, regions, count, mapped) when fresh
 * against next_entry_id. LM_OK, or a status with a reason in why (the caller then builds). */
lm_status index_store_load(lm_hashdb *db, uint64_t next_entry_id, matcher_snapshot *s, char *why,
                           size_t whycap);

/* Writes s (built in memory from the list at next_entry_id) beside the list. */
lm_status index_store_save(lm_hashdb *db, uint64_t next_entry_id, const matcher_snapshot *s);

/* Writes the list's index file unless it is fresh (after an import), built straight from the
 * list a few tables at a time, never whole in memory: LM_OK or a status. */
lm_status lm_list_index_update(lm_hashdb *db, int nthreads);

#endif
