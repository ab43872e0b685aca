/* Bounds-checked walk of LMDB 0.9 pages: integrity check and direct bulk reads (db_pages.c). */
#ifndef LM_HASHDB_PAGES_H
#define LM_HASHDB_PAGES_H

#include <stdint.h>
#include <stdio.h>

#include "hashdb_internal.h"

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
    db_tree free, main;
    uint8_t *seen, *freed; /* page bitmaps */
    int nomem; /* the failure was an allocation, not damage */
    char why[200];
} db_pagefile;

/* A record; for duplicate tables once per (key, value). Nonzero stops the walk. */
typedef int (*db_rec_fn)(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen);

/* Use the handle's map of data.mdb and pick the meta page of txnid (0: the newest). 0 or -1 with
 * pf->why. */
int db_pages_open(db_pagefile *pf, lm_hashdb *db, uint64_t txnid);
/* Drop the handle's mapping (at close). */
void db_pages_unmap(lm_hashdb *db);
void db_pages_close(db_pagefile *pf);
/* Find a named table's tree. */
int db_pages_find(db_pagefile *pf, const char *name, db_tree *out);
/* Walk one tree, checking every page; records counts what was emitted. */
int db_pages_walk(db_pagefile *pf, const db_tree *t, db_rec_fn fn, void *ctx, uint64_t *records);
/* Check only the table directory (the main tree): cheap, done at every open. */
int db_pages_check_main(db_pagefile *pf);
/* Check every tree and the free list. */
int db_pages_check(db_pagefile *pf);
void db_tree_from_bytes(db_tree *t, const uint8_t *p);
/* The status for a failed open/walk/check: LM_E_NOMEM or LM_E_DB. */
int db_pages_status(const db_pagefile *pf);

#endif
