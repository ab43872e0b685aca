/* What the persisted search index (libmatch/index_store.c) is stamped with. */
#include "hashdb_internal.h"

lm_status lm_hashdb_index_stamp(lm_hashdb *db, uint64_t *generation, uint64_t *next_entry_id)
{
    if (!db || !generation || !next_entry_id)
        return LM_E_INVALID_ARG;
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    st = db_meta_get_u64(db, txn, "generation", generation, 8);
    if (st == LM_OK)
        st = db_meta_get_u64(db, txn, "next_entry_id", next_entry_id, 8);
    db_read_end(db, txn);
    return st;
}

const char *lm_hashdb_path(const lm_hashdb *db)
{
    return db ? db->path : NULL;
}
