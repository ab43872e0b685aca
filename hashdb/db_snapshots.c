/*
 * The meta of every snapshot this handle's read transactions hold.
 *
 * The page walker (db_pages.c) reads a snapshot's roots from its meta page in data.mdb. LMDB
 * keeps a held snapshot's pages from being reused, but not its meta page: there are two, and
 * each commit writes over the one two commits older. A reader that begins at transaction T
 * and walks after the writer committed T+1 and T+2 would find T+2 where T's roots were. So the
 * meta page is copied when the read transaction begins (the writer needs two commits to
 * overwrite it, and the copy is checked afterwards), kept while any transaction of this
 * handle holds T, and the walker reads the copy. A handle holds at most as many snapshots as
 * LMDB gives it readers; the table grows to what is in use.
 */
#include <stdlib.h>

#include "db_pages.h"

struct db_snap {
    uint64_t txnid;
    uint32_t refs; /* read transactions of this handle holding the snapshot; 0: a free slot */
    int have;      /* meta holds the copy; 0 when the file could not give it (damage) */
    uint8_t meta[DB_META_BYTES];
};

static struct db_snap *find(lm_hashdb *db, uint64_t txnid)
{
    for (size_t i = 0; i < db->nsnaps; i++)
        if (db->snaps[i].refs && db->snaps[i].txnid == txnid)
            return &db->snaps[i];
    return NULL;
}

static struct db_snap *free_slot(lm_hashdb *db)
{
    for (size_t i = 0; i < db->nsnaps; i++)
        if (!db->snaps[i].refs)
            return &db->snaps[i];
    size_t old = db->nsnaps, n = old ? 2 * old : 8;
    struct db_snap *s = realloc(db->snaps, n * sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = old; i < n; i++)
        s[i].refs = 0;
    db->snaps = s;
    db->nsnaps = n;
    return &s[old];
}

int db_snap_pin(lm_hashdb *db, uint64_t txnid)
{
    pthread_mutex_lock(&db->snap_lock);
    struct db_snap *s = find(db, txnid);
    if (s)
        s->refs++;
    pthread_mutex_unlock(&db->snap_lock);
    if (s)
        return 0;
    /* Copied outside the lock (it may map the file); another thread may pin T meanwhile. */
    uint8_t meta[DB_META_BYTES] = {0};
    int rc = db_pages_copy_meta(db, txnid, meta);
    if (rc == 1)
        return 1;
    pthread_mutex_lock(&db->snap_lock);
    if ((s = find(db, txnid)) != NULL) {
        s->refs++;
    } else if ((s = free_slot(db)) != NULL) {
        s->txnid = txnid;
        s->refs = 1;
        s->have = rc == 0;
        memcpy(s->meta, meta, sizeof meta);
    }
    pthread_mutex_unlock(&db->snap_lock);
    return s ? 0 : -1;
}

void db_snap_unpin(lm_hashdb *db, uint64_t txnid)
{
    pthread_mutex_lock(&db->snap_lock);
    struct db_snap *s = find(db, txnid);
    if (s)
        s->refs--;
    pthread_mutex_unlock(&db->snap_lock);
}

int db_snap_meta(lm_hashdb *db, uint64_t txnid, uint8_t meta[DB_META_BYTES])
{
    pthread_mutex_lock(&db->snap_lock);
    struct db_snap *s = find(db, txnid);
    int have = s && s->have;
    if (have)
        memcpy(meta, s->meta, DB_META_BYTES);
    pthread_mutex_unlock(&db->snap_lock);
    return have;
}

void db_snaps_free(lm_hashdb *db)
{
    free(db->snaps);
    db->snaps = NULL;
    db->nsnaps = 0;
}
