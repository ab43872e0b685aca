/*
 * A write transaction that allocates pages and frees them again before it commits leaves
 * LMDB "loose" pages: never written, yet counted in the meta's last page, so data.mdb can
 * end before that page. The open's meta check (db_env.c, db_precheck) must refuse a file
 * cut short, so hashdb extends the file to the last page after such a commit
 * (cover_last_page). Found splitting a list into shards by deletion imports (issue 16):
 * the shard was refused as "truncated" at its next open. Here: rounds of writes that fill
 * the meta table with scratch records and delete them in the same transaction; after each,
 * the file covers the last page and the list opens (read-only, writable, checked).
 */
#include <sys/stat.h>

#include "hashdb_internal.h"
#include "hdb_test.h"

typedef struct churn_ctx {
    int n, round;
} churn_ctx;

static int churn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    churn_ctx *c = vctx;
    char key[64], val[200];
    memset(val, 'v', sizeof val);
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < c->n; j++) {
            /* deleted last to first: the highest pages are freed first, and the pages the
             * commit needs (its free list) come from the last freed, the lowest */
            int i = pass == 0 ? j : c->n - 1 - j;
            snprintf(key, sizeof key, "zz-scratch-%d-%06d", c->round, i);
            MDB_val k = {strlen(key), key}, v = {sizeof val, val};
            int rc =
                pass == 0 ? mdb_put(txn, db->meta, &k, &v, 0) : mdb_del(txn, db->meta, &k, NULL);
            if (rc)
                return db_mdb_err(db, rc, "scratch record");
        }
    return LM_OK;
}

int main(void)
{
    char *dir = scratch_dir("loose");
    char path[600], file[700], err[256];
    snprintf(path, sizeof path, "%s/list", dir);
    snprintf(file, sizeof file, "%s/data.mdb", path);
    lm_hashdb *db = hdb_create(dir, "list");
    int beyond = 0;
    for (int round = 0; round < 12; round++) {
        churn_ctx c = {100 + 150 * round, round};
        CHECK_EQ_INT(db_write(db, churn, &c), LM_OK);
        MDB_envinfo info;
        MDB_stat st;
        struct stat fs;
        CHECK_EQ_INT(mdb_env_info(db->env, &info), 0);
        CHECK_EQ_INT(mdb_env_stat(db->env, &st), 0);
        CHECK_EQ_INT(stat(file, &fs), 0);
        uint64_t need = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
        if (getenv("LM_VERBOSE"))
            printf("round %d: last page %zu, file %lld pages\n", round, (size_t)info.me_last_pgno,
                   (long long)fs.st_size / st.ms_psize);
        beyond += (uint64_t)fs.st_size < need;
        CHECK((uint64_t)fs.st_size >= need);
        lm_hashdb_close(db);
        const unsigned modes[] = {LM_DB_READONLY, LM_DB_READONLY | LM_DB_CHECK, LM_DB_WRITE};
        for (int i = 0; i < 3; i++) {
            db = NULL;
            err[0] = '\0';
            lm_status s = lm_hashdb_open(path, modes[i], &db, err, sizeof err);
            if (s != LM_OK) {
                fprintf(stderr, "round %d, open %d: %s\n", round, i, err);
                CHECK_EQ_INT(s, LM_OK);
                goto done;
            }
            if (i < 2)
                lm_hashdb_close(db);
        }
    }
    lm_hashdb_close(db);
done:
    CHECK_EQ_INT(beyond, 0);
    scratch_remove(dir);
    free(dir);
    return check_failures ? 1 : 0;
}
