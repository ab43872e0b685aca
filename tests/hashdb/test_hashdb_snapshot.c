/*
 * A read transaction's snapshot stays readable however many commits come after it begins.
 * LMDB keeps the snapshot's pages while the reader holds it, but writes each commit's meta
 * page over the one two commits older, so a walker that picked the snapshot's meta page out
 * of data.mdb after two commits found another transaction there and failed the read with
 * "meta page ... does not hold transaction" (LM_E_DB). CI met it in hashdb-threads: a reader
 * thread preempted between beginning its transaction and its bulk load while the importer
 * committed twice. Here the race is forced: hold a read transaction, commit imports from
 * another thread, then walk the held snapshot, bulk-load and look up through it.
 */
#include <pthread.h>

#include "db_pages.h"
#include "hdb_test.h"

#define PER_LIST 300

static lm_hashdb *db;
static char *texts[4];

static void *importer(void *arg)
{
    int first = (int)(intptr_t)arg;
    for (int i = first; i < first + 2; i++)
        CHECK_EQ_INT(hdb_import_numbered(db, texts[i], i), LM_OK);
    return NULL;
}

static void commit_twice_elsewhere(int first)
{
    pthread_t th;
    pthread_create(&th, NULL, importer, (void *)(intptr_t)first);
    pthread_join(th, NULL);
}

/* The pdq table's entry count in the held snapshot, read by the page walker. */
static uint64_t held_pdq_entries(MDB_txn *txn)
{
    db_pagefile pf;
    db_tree t = {0};
    int rc = db_pages_open(&pf, db, (uint64_t)mdb_txn_id(txn));
    if (rc == 0)
        rc = db_pages_find(&pf, "pdq", &t);
    if (rc)
        fprintf(stderr, "walk of the held snapshot: %s\n", pf.why);
    CHECK_EQ_INT(rc, 0);
    uint64_t records = 0;
    if (rc == 0)
        CHECK_EQ_INT(db_pages_walk(&pf, &t, NULL, NULL, &records), 0);
    db_pages_close(&pf);
    return records;
}

int main(void)
{
    uint64_t seed = check_test_seed(0x5a4e5407);
    char *dir = scratch_dir("snapshot");
    db = hdb_create(dir, "db");
    for (int i = 0; i < 4; i++)
        texts[i] = hdb_random_hex(&seed, PER_LIST);
    commit_twice_elsewhere(0);

    /* Hold a snapshot of the first two lists while two more are committed. */
    MDB_txn *txn;
    CHECK_EQ_INT(db_read_begin_checked(db, &txn), LM_OK);
    commit_twice_elsewhere(2);
    CHECK_EQ_INT(held_pdq_entries(txn), 2 * PER_LIST);
    db_read_end(db, txn);

    /* The public reads after it see all four lists. */
    lm_db_pdq_set s;
    CHECK_EQ_INT(lm_hashdb_load_pdq(db, &s), LM_OK);
    CHECK_EQ_INT(s.count, 4 * PER_LIST);
    lm_db_pdq_set_free(&s);

    lm_hashdb_close(db);
    for (int i = 0; i < 4; i++)
        free(texts[i]);
    scratch_remove(dir);
    free(dir);
    return check_report("test_hashdb_snapshot");
}
