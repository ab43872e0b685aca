/*
 * An import and its search index (lm_db_import_indexed): when the list held no PDQ entry
 * before, the import hands over what it inserts from inside its write transaction
 * (lm_db_import_hooked), and pdq.index is built from those hashes on another thread while the
 * entries are written and committed, instead of after the commit from the hashes read back
 * from data.mdb. The file is stamped only once the commit is known: its temporary file is
 * renamed into place after it, and only when the list's next entry id is the one the hand-over
 * promised (otherwise another writer came between, and the index is built from the list as
 * before). A kill at any point leaves at most a temporary file that the next writer removes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index_store.h"
#include "libmatch.h"

typedef struct early_index {
    lm_hashdb *db;
    int nthreads;
    int started; /* the thread runs */
    pthread_t thread;
    lm_pdq_hash *hashes;
    uint64_t *ids;
    size_t n;
    uint64_t next_entry_id; /* what the commit will leave */
    char *path;
    lm_index_file_build *build;
    lm_status st; /* of the build */
} early_index;

static void *build_main(void *arg)
{
    early_index *e = arg;
    lm_index_payload pl[2] = {{e->ids, e->n * sizeof *e->ids}, {NULL, 0}};
    e->st = lm_index_build_file_begin(e->hashes, e->n, e->nthreads, e->path, pl, 2, &e->build);
    /* The file holds them now: give their memory back before the commit's last writes. */
    free(e->hashes);
    free(e->ids);
    e->hashes = NULL;
    e->ids = NULL;
    return NULL;
}

static void on_inserted(void *ctx, lm_pdq_hash *hashes, uint64_t *ids, size_t n,
                        uint64_t next_entry_id)
{
    early_index *e = ctx;
    e->hashes = hashes;
    e->ids = ids;
    e->n = n;
    e->next_entry_id = next_entry_id;
    e->path = index_store_path(e->db);
    if (e->path && pthread_create(&e->thread, NULL, build_main, e) == 0)
        e->started = 1;
}

lm_status lm_db_import_indexed(lm_db *db, const char *path, FILE *in, const lm_db_import_opts *opts,
                               lm_db_import_result *result, int nthreads, lm_status *index_status)
{
    early_index e;
    memset(&e, 0, sizeof e);
    e.db = db;
    e.nthreads = nthreads;
    lm_status st = lm_db_import_hooked(db, path, in, opts, result, on_inserted, &e);
    int kept = 0;
    lm_status ist = LM_OK;
    if (e.started) {
        pthread_join(e.thread, NULL);
        uint64_t generation = 0, next_id = 0;
        int fresh = st == LM_OK && e.st == LM_OK &&
                    lm_hashdb_index_stamp(db, &generation, &next_id) == LM_OK &&
                    next_id == e.next_entry_id;
        if (e.build) {
            uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS];
            index_store_stamp(stamp, next_id, generation, e.n);
            ist = lm_index_build_file_end(e.build, stamp, fresh);
            kept = fresh && ist == LM_OK;
        }
    }
    free(e.hashes);
    free(e.ids);
    free(e.path);
    /* Not built beside the import (a list that held PDQ entries, another writer between,
     * a failed build): from the list, as lm_db_build_index. */
    if (st == LM_OK && !kept)
        ist = lm_db_build_index(db, nthreads);
    if (index_status)
        *index_status = st == LM_OK ? ist : LM_OK;
    return st;
}
