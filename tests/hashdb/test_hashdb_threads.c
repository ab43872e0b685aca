/*
 * Concurrent readers see consistent snapshots while a writer imports: every
 * bulk load holds exactly the entries of some committed state (a whole number
 * of imported lists), ids ascending; every loaded id resolves; generations
 * never go backwards.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "hdb_test.h"

#define LISTS 6
#define PER_LIST 20000
#define READERS 4

static lm_hashdb *db;
static atomic_int writer_done;
static atomic_int reader_checks;

static void *reader(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    uint64_t last_gen = 0;
    int n = 0;
    while (!atomic_load(&writer_done) || n < 3) {
        lm_db_pdq_set s;
        lm_status st = lm_hashdb_load_pdq(db, &s);
        CHECK_EQ_INT(st, LM_OK);
        if (st != LM_OK) {
            fprintf(stderr, "load: %s\n", lm_hashdb_last_error(db));
            break;
        }
        CHECK(s.count % PER_LIST == 0);
        CHECK(s.generation >= last_gen);
        last_gen = s.generation;
        for (size_t i = 1; i < s.count; i++)
            if (s.ids[i] <= s.ids[i - 1]) {
                CHECK(s.ids[i] > s.ids[i - 1]);
                break;
            }
        for (int k = 0; k < 20 && s.count; k++) {
            size_t i = check_rand(&seed) % s.count;
            lm_entry_info e;
            CHECK_EQ_INT(lm_hashdb_get_entry(db, s.ids[i], &e), LM_OK);
            uint64_t ids[4];
            size_t found = 0;
            CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_PDQ, s.hashes[i].b, 32, ids, 4, &found),
                         LM_OK);
            CHECK(found >= 1);
        }
        lm_db_pdq_set_free(&s);
        n++;
        atomic_fetch_add(&reader_checks, 1);
    }
    return NULL;
}

int main(void)
{
    uint64_t seed = check_test_seed(0x7417ead5);
    char *dir = scratch_dir("threads");
    db = hdb_create(dir, "db");
    char *texts[LISTS];
    for (int i = 0; i < LISTS; i++)
        texts[i] = hdb_random_hex(&seed, PER_LIST);

    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < LISTS; i++)
        CHECK_EQ_INT(hdb_import_numbered(db, texts[i], i), LM_OK);
    atomic_store(&writer_done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    printf("%d consistent snapshots read during %d imports\n", atomic_load(&reader_checks), LISTS);

    lm_db_pdq_set s;
    CHECK_EQ_INT(lm_hashdb_load_pdq(db, &s), LM_OK);
    CHECK_EQ_INT(s.count, LISTS * PER_LIST);
    lm_db_pdq_set_free(&s);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
    for (int i = 0; i < LISTS; i++)
        free(texts[i]);
    if (!check_failures)
        scratch_remove(dir);
    free(dir);
    return check_report("test_hashdb_threads");
}
