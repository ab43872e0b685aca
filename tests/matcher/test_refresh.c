/*
 * lm_matcher_refresh under concurrent queries: threads match a fixed set of
 * hashes in a loop while the main thread imports into the list and refreshes.
 * No query may fail, and every result must equal exactly the answer of the list
 * before the import or after it (never a mix, never a half-built index). The
 * answers are fingerprinted; after each round the fingerprints are compared
 * with the serial answers of the old and new lists.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hashdb.h"
#include "hdb_test.h"
#include "libmatch.h"

#define BASE 3000
#define ADD 600 /* per round */
#define ROUNDS 4
#define NQ 300
#define NT 3

static uint64_t seed;
static lm_matcher *matcher;
static lm_pdq_hash queries[NQ];
static atomic_int refreshed, stop;

typedef struct rec {
    uint32_t q;
    uint64_t fp;
} rec;

typedef struct worker {
    rec *r;
    size_t n, cap;
    long failures, passes_after;
} worker;

static lm_pdq_hash near(lm_pdq_hash h, int bits)
{
    for (int i = 0; i < bits; i++) {
        int bit = (int)(check_rand(&seed) % 256);
        h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    return h;
}

/* FNV-1a over the whole answer: count, ids, distances, flags. */
static uint64_t answer(const lm_pdq_hash *q, int *ok)
{
    lm_match mt[LM_CHECK_MAX_MATCHES];
    size_t found = 0;
    *ok = lm_match_pdq(matcher, q, -1, NULL, mt, LM_CHECK_MAX_MATCHES, &found) == LM_OK;
    uint64_t h = 1469598103934665603ull;
#define MIX(x)                                                                                     \
    do {                                                                                           \
        h ^= (uint64_t)(x);                                                                        \
        h *= 1099511628211ull;                                                                     \
    } while (0)
    MIX(found);
    for (size_t i = 0; i < found && i < LM_CHECK_MAX_MATCHES; i++) {
        MIX(mt[i].entry_id);
        MIX(mt[i].distance);
        MIX(mt[i].flags);
    }
    return h;
}

static void *run(void *arg)
{
    worker *w = arg;
    while (!atomic_load(&stop)) {
        int after = atomic_load(&refreshed);
        for (uint32_t q = 0; q < NQ; q++) {
            int ok;
            uint64_t fp = answer(&queries[q], &ok);
            if (!ok)
                w->failures++;
            if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 4096;
                w->r = realloc(w->r, w->cap * sizeof *w->r);
                if (!w->r)
                    abort();
            }
            w->r[w->n++] = (rec){q, fp};
        }
        if (after)
            __atomic_add_fetch(&w->passes_after, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static char *hex_lines(const lm_pdq_hash *h, size_t n)
{
    char *s = malloc(n * 65 + 1);
    for (size_t i = 0; i < n; i++) {
        lm_pdq_to_hex(&h[i], s + i * 65);
        s[i * 65 + 64] = '\n';
    }
    s[n * 65] = '\0';
    return s;
}

static void import(lm_hashdb *db, const lm_pdq_hash *h, size_t n)
{
    char *text = hex_lines(h, n);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = "live";
    lm_db_import_result r;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, text, strlen(text), &o, &r), LM_OK);
    CHECK_EQ_INT(r.added, n);
    free(text);
}

int main(void)
{
    seed = check_test_seed(4242);
    char *dir = scratch_dir("refresh");
    char path[600];
    snprintf(path, sizeof path, "%s/db", dir);
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    static lm_pdq_hash base[BASE], added[ROUNDS][ADD];
    for (int i = 0; i < BASE; i++)
        base[i] = hdb_random_pdq(&seed);
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < ADD; i++)
            added[r][i] = hdb_random_pdq(&seed);
    /* Queries: near base entries, near entries each round will add, and far from all. */
    for (int q = 0; q < NQ; q++) {
        int kind = q % 3;
        if (kind == 0)
            queries[q] = near(base[check_rand(&seed) % BASE], 5 + q % 25);
        else if (kind == 1)
            queries[q] = near(added[q % ROUNDS][check_rand(&seed) % ADD], 5 + q % 25);
        else
            queries[q] = hdb_random_pdq(&seed);
    }
    import(db, base, BASE);
    CHECK_EQ_INT(lm_matcher_open(path, &matcher, NULL, 0), LM_OK);

    static uint64_t expect[ROUNDS + 1][NQ];
    long total_checked = 0, saw_old = 0, saw_new = 0;
    for (int q = 0; q < NQ; q++) {
        int ok;
        expect[0][q] = answer(&queries[q], &ok);
        CHECK(ok);
    }
    for (int r = 0; r < ROUNDS; r++) {
        worker w[NT];
        pthread_t t[NT];
        memset(w, 0, sizeof w);
        atomic_store(&refreshed, 0);
        atomic_store(&stop, 0);
        for (int i = 0; i < NT; i++)
            pthread_create(&t[i], NULL, run, &w[i]);
        usleep(20000);
        uint64_t gen_before = lm_matcher_generation(matcher);
        import(db, added[r], ADD); /* committed while queries run; the index is unchanged */
        usleep(20000);
        int changed = 0;
        CHECK_EQ_INT(lm_matcher_refresh(matcher, &changed), LM_OK);
        CHECK_EQ_INT(changed, 1);
        CHECK(lm_matcher_generation(matcher) > gen_before);
        CHECK_EQ_INT(lm_matcher_size(matcher), BASE + (size_t)(r + 1) * ADD);
        atomic_store(&refreshed, 1);
        /* Let every thread finish two full passes on the new snapshot. */
        for (int spins = 0; spins < 20000; spins++) {
            int all = 1;
            for (int i = 0; i < NT; i++)
                all &= __atomic_load_n(&w[i].passes_after, __ATOMIC_RELAXED) >= 2;
            if (all)
                break;
            usleep(1000);
        }
        atomic_store(&stop, 1);
        for (int i = 0; i < NT; i++)
            pthread_join(t[i], NULL);
        for (int q = 0; q < NQ; q++) {
            int ok;
            expect[r + 1][q] = answer(&queries[q], &ok);
            CHECK(ok);
        }
        int differ = 0;
        for (int q = 0; q < NQ; q++)
            differ += expect[r][q] != expect[r + 1][q];
        CHECK(differ > 0); /* the round changed some answers */
        for (int i = 0; i < NT; i++) {
            CHECK_EQ_INT(w[i].failures, 0);
            long bad = 0;
            for (size_t k = 0; k < w[i].n; k++) {
                uint64_t fp = w[i].r[k].fp;
                uint32_t q = w[i].r[k].q;
                if (fp == expect[r + 1][q])
                    saw_new += expect[r][q] != expect[r + 1][q];
                else if (fp == expect[r][q])
                    saw_old += expect[r][q] != expect[r + 1][q];
                else
                    bad++;
            }
            CHECK_EQ_INT(bad, 0);
            total_checked += (long)w[i].n;
            free(w[i].r);
        }
    }
    CHECK(saw_new > 0);
    printf("refresh under queries: %ld results checked over %d rounds (%ld old, %ld new answers "
           "of changed queries), none mixed\n",
           total_checked, ROUNDS, saw_old, saw_new);
    lm_matcher_close(matcher);
    lm_hashdb_close(db);
    scratch_remove(dir);
    free(dir);
    return check_report("test_refresh");
}
