/*
 * What an import inserts, handed over inside its write transaction (lm_db_import_hooked in
 * hashdb.h): the search index can then be built from the parsed hashes while the entries are
 * written, instead of being read back from data.mdb after the commit.
 */
#include <stdlib.h>
#include <string.h>

#include "import.h"

void db_import_handoff(import_job *job, uint64_t next_entry_id)
{
    if (!job->hook || job->hook_called)
        return;
    job->hook_called = 1;
    /* Ids follow the insertions in file order (the append pass of import_sync.c). */
    size_t n = 0;
    for (size_t i = 0; i < job->recs.n; i++) {
        const db_rec *r = db_recs_at(&job->recs, i);
        n += r->dup == DB_ACT_INSERT && r->type == LM_HASH_PDQ;
    }
    lm_pdq_hash *hashes = malloc((n ? n : 1) * sizeof *hashes);
    uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!hashes || !ids) {
        free(hashes); /* no hand-over: the caller reads the list back after the commit */
        free(ids);
        return;
    }
    uint64_t id = next_entry_id;
    size_t k = 0;
    for (size_t i = 0; i < job->recs.n; i++) {
        const db_rec *r = db_recs_at(&job->recs, i);
        if (r->dup != DB_ACT_INSERT)
            continue;
        if (r->type == LM_HASH_PDQ) {
            memcpy(hashes[k].b, r->hash, sizeof hashes[k].b);
            ids[k++] = id;
        }
        id++;
    }
    job->hook(job->hook_ctx, hashes, ids, n, id);
}
