/* Bounds-checked walk of LMDB 0.9 pages: integrity check and direct bulk reads (db_pages.c). */
#ifndef LM_HASHDB_PAGES_H
#define LM_HASHDB_PAGES_H

#include <stdint.h>
#include <stdio.h>

#include "hashdb_internal.h"

/* 0 when the LMDB this process runs has the page layout the walker was built for
 * (0.9.x), else -1 with why. */
int db_pages_lmdb_check(char *why, size_t cap);

typedef struct db_tree {
    uint64_t root, entries;
    uint32_t pad; /* key size of fixed-size duplicate pages */
    uint16_t flags, depth;
} db_tree;

typedef struct db_pagefile {
    const uint8_t *map; /* the handle's mapping, or own_map */
    int own_map;
    size_t size;
    uint64_t psize, npages, txnid;
    /* Pages inside the file: every page read lies below (npages, or fewer when the file ends
     * before the meta's last page: LMDB's loose pages, never written; see open_pages). */
    uint64_t fpages;
    db_tree free, main;
    uint8_t *seen, *freed; /* page bitmaps */
    uint64_t visited;      /* pages checked; a lookup (no seen map) stops past npages */
    int nomem;             /* the failure was an allocation, not damage */
    int beyond;            /* the failure: a page in use (or not free) past the file's end */
    char why[200];
} db_pagefile;

/*
 * Copy the meta of transaction txnid out of data.mdb (DB_META_BYTES after the page header):
 * 0, 1 when a later commit has already written over it, -1 when the file cannot give it.
 */
int db_pages_copy_meta(lm_hashdb *db, uint64_t txnid, uint8_t meta[DB_META_BYTES]);
/*
 * The snapshots this handle's read transactions hold (db_snapshots.c), so that the walker
 * reads a held snapshot's meta from a copy after LMDB has written over its page.
 * db_snap_pin: when a read transaction at txnid begins; 0, 1 when its meta page was already
 * written over (begin again), -1 out of memory. db_snap_unpin: when it ends.
 * db_snap_meta: 1 with the copy, 0 when none is held.
 */
int db_snap_pin(lm_hashdb *db, uint64_t txnid);
void db_snap_unpin(lm_hashdb *db, uint64_t txnid);
int db_snap_meta(lm_hashdb *db, uint64_t txnid, uint8_t meta[DB_META_BYTES]);
void db_snaps_free(lm_hashdb *db);

/* Use the handle's map of data.mdb and pick the meta page of txnid (0: the newest; a held
 * snapshot's copy, db_snap_meta). 0 or -1 with pf->why. */
int db_pages_open(db_pagefile *pf, lm_hashdb *db, uint64_t txnid);
/* The same for bounded lookups (db_pages_get): no page map; the file size may be the last one
 * seen, rechecked when the meta page names more pages. */
int db_pages_open_lookup(db_pagefile *pf, lm_hashdb *db, uint64_t txnid);
/*
 * Bounded lookups: descend tree t to key, checking each page visited as the full walk does
 * (page number, header, level, node bounds, overflow pages; a sub-page or sub-tree of
 * duplicates is walked and checked). 1 found, 0 absent, -1 damaged (pf->why).
 * db_pages_get: the record's value (inside the map; valid while the snapshot is held).
 * db_pages_get_dups: fn once per duplicate of key (or its one value), until fn returns nonzero.
 * db_pages_range: fn once per record (each duplicate of a key) from the first key >= from on,
 * in key order, until fn returns nonzero; 0 or -1.
 * db_pages_table: a named table's tree from the table directory.
 */
int db_pages_get(db_pagefile *pf, const db_tree *t, const void *key, size_t klen, const uint8_t **v,
                 size_t *vlen);
int db_pages_get_dups(db_pagefile *pf, const db_tree *t, const void *key, size_t klen, db_rec_fn fn,
                      void *ctx);
int db_pages_range(db_pagefile *pf, const db_tree *t, const void *from, size_t fromlen,
                   db_rec_fn fn, void *ctx);
int db_pages_table(db_pagefile *pf, const char *name, db_tree *out);
/* Pages checked by the walker and lookups in this process so far (for tests). */
uint64_t db_pages_checked(void);
/* Drop the handle's mapping (at close). */
void db_pages_unmap(lm_hashdb *db);
void db_pages_close(db_pagefile *pf);
/* Find a named table's tree. */
int db_pages_find(db_pagefile *pf, const char *name, db_tree *out);
/* Walk one tree, checking every page; records counts what was emitted. */
int db_pages_walk(db_pagefile *pf, const db_tree *t, db_rec_fn fn, void *ctx, uint64_t *records);
/* Check only the table directory (the main tree): cheap, done at every open. */
int db_pages_check_main(db_pagefile *pf);
/* Check every tree and the free list; pages past the file's end must all be free. */
int db_pages_check(db_pagefile *pf);
void db_tree_from_bytes(db_tree *t, const uint8_t *p);
/* The status for a failed open/walk/check: LM_E_NOMEM or LM_E_DB. */
int db_pages_status(const db_pagefile *pf);

/* A bulk load in progress (db_bulk_load_table): what its record callback sees as its ctx. */
typedef struct db_bulk_load {
    void *set;         /* the caller's set of arrays */
    size_t count, cap; /* records added so far; room the set has for them (reserve) */
    int status;        /* set by the callback: LM_E_DB for a bad record, LM_E_NOMEM */
} db_bulk_load;

/*
 * Load every record of table `name` in txn's snapshot with the bounds-checked walker:
 * reserve(set, n) first for the tree's count (at least 16), capped by what the file could hold
 * at record_bytes each, and again with twice the room whenever it is full; then
 * add(db_bulk_load *, ...) per record, which adds it at index count (or sets status and returns
 * nonzero). `what` names the records in messages ("PDQ", "companion"). LM_OK, LM_E_NOMEM or
 * LM_E_DB (db->err set).
 */
int db_bulk_load_table(lm_hashdb *db, MDB_txn *txn, const char *name, const char *what,
                       size_t record_bytes, void *set, int (*reserve)(void *set, size_t cap),
                       db_rec_fn add);
/* realloc(p, n * size), checked for overflow: the new block, or p (still valid) with *failed
 * set when it cannot grow. For the sets' parallel arrays: resize each, then test failed once. */
void *db_resize(void *p, size_t n, size_t size, int *failed);

#endif
