/*
 * Helpers of the tests of lists built from images (test_robust_match.c, test_features.c):
 * JPEGs in memory, the problems verify finds, and a record written behind the store's back.
 */
#ifndef LM_IMAGE_LIST_TEST_H
#define LM_IMAGE_LIST_TEST_H

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "hashdb.h"
#include "synth.h"

typedef struct encoded {
    uint8_t *data;
    size_t len;
} encoded;

/* JPEG of img at quality; img is freed (a failure ends the test). */
static inline encoded jpeg_of(synth_image img, int quality)
{
    encoded e;
    if (synth_encode_jpeg(&img, quality, &e.data, &e.len))
        abort();
    synth_free(&img);
    return e;
}

static inline void image_list_problem(void *ctx, const char *msg)
{
    (*(int *)ctx)++;
    fprintf(stderr, "  verify: %s\n", msg);
}

/* The problems lm_hashdb_verify finds in the list at path (each said on stderr). */
static inline int verify_problems(const char *path)
{
    lm_hashdb *db = NULL;
    int seen = 0;
    uint64_t problems = 99;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0), LM_OK);
    if (!db)
        return -1;
    CHECK_EQ_INT(lm_hashdb_verify(db, image_list_problem, &seen, &problems), LM_OK);
    lm_hashdb_close(db);
    return (int)problems;
}

/* key -> val put into the LMDB table of the list at path, as a damaged or foreign writer
 * would: verify must report it. */
static inline void put_behind_back(const char *path, const char *table, void *key, size_t klen,
                                   void *val, size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK_EQ_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    CHECK_EQ_INT(mdb_env_open(env, path, 0, 0600), 0);
    CHECK_EQ_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(mdb_dbi_open(txn, table, 0, &dbi), 0);
    MDB_val k = {klen, key}, v = {vlen, val};
    CHECK_EQ_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

#endif
