/*
 * A matcher snapshot: everything a query reads from memory (the PDQ index, the
 * position -> entry id map, the list rules), built from one list generation and
 * never changed afterwards. A matcher holds its current snapshot; each query
 * pins the snapshot it starts with, so a refresh can swap in a new one while
 * queries continue, and the old one is freed when its last reader leaves.
 */
#ifndef LM_MATCHER_SNAPSHOT_H
#define LM_MATCHER_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hashdb.h"
#include "index.h"

typedef struct matcher_snapshot {
    atomic_size_t refs;  /* the matcher's reference + one per pinned query */
    uint64_t generation; /* the list generation it was built from */
    lm_index *index;     /* over the PDQ entries; position i is entry ids[i] */
    uint64_t *ids;
    uint8_t *regions; /* lm_region of position i (crop companions); NULL when there are none */
    size_t count;
    lm_db_list_attrs *lists; /* by list id */
    size_t nlists;
    int max_list_distance; /* largest distance set on an enabled list; -1 when none */
    size_t bytes;          /* memory held (index + maps) */
    int mapped;            /* index, ids and regions live in the list's index file */
    struct lm_video_index *videos; /* stored videos' frames (video_index.c) */
    struct lm_feature_index *features; /* entries' local features; NULL when none */
} matcher_snapshot;

/* Build a snapshot of db's current generation (one reference held by the caller):
 * the list's index file when fresh (index_store.h), else built in memory and,
 * when db is writable, written for the next open. */
lm_status snapshot_build(lm_hashdb *db, int nthreads, matcher_snapshot **out, char *errbuf,
                         size_t errbuf_size);

enum {
    SNAPSHOT_REBUILD = 1, /* ignore the index file (it was found damaged) */
    SNAPSHOT_SAVE = 2,    /* write the index file after an in-memory build */
};
lm_status snapshot_build_with(lm_hashdb *db, int nthreads, unsigned flags, matcher_snapshot **out,
                              char *errbuf, size_t errbuf_size);
/* Drop one reference; the last one frees the snapshot. NULL is accepted. */
void snapshot_release(matcher_snapshot *s);

/* The list rules of list_id (defaults for a list made after the snapshot). */
lm_db_list_attrs snapshot_list(const matcher_snapshot *s, uint32_t list_id);
/* The search radius for a caller's max_distance: per-list distances may exceed it. */
int snapshot_radius(const matcher_snapshot *s, int max_distance);

/* The current snapshot of a matcher, swapped atomically under a short lock. */
typedef struct snapshot_slot {
    pthread_mutex_t lock; /* held only to read the pointer and take a reference */
    matcher_snapshot *cur;
} snapshot_slot;

/* Pin the current snapshot (a reference the caller releases with snapshot_release). */
matcher_snapshot *snapshot_pin(snapshot_slot *slot);
/* Install next; returns the previous snapshot, whose slot reference the caller releases. */
matcher_snapshot *snapshot_swap(snapshot_slot *slot, matcher_snapshot *next);

#endif
