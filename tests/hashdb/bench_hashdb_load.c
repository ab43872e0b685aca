/*
 * Bulk-load benchmark: how fast the matcher gets every PDQ hash out of the
 * store. Builds a database of N random PDQ entries (imported in batches of 1M,
 * fixed seed) unless it exists, then times lm_hashdb_load_pdq (direct page
 * walk) against an LMDB cursor pass over the same table (the baseline), and
 * a full page check (LM_DB_CHECK). Prints best and median of 5 runs.
 *
 * usage: bench_hashdb_load [N] [DBPATH] [cursor-first]
 *        (default 1000000, $TMPDIR/lm-bench-N). "first" is the first call in the
 *        process (cold mappings and fresh memory); run with cursor-first to see
 *        the baseline pay that cost instead.
 */
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"
#include "hashdb_internal.h"
#include "hdb_test.h"

#define RUNS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t cursor_load(lm_hashdb *db, lm_db_pdq_set *s)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_stat ms;
    if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn))
        return 0;
    mdb_stat(txn, db->pdq, &ms);
    s->hashes = malloc(ms.ms_entries * sizeof *s->hashes);
    s->ids = malloc(ms.ms_entries * sizeof *s->ids);
    s->quality = malloc(ms.ms_entries);
    size_t n = 0;
    MDB_val k, v;
    mdb_cursor_open(txn, db->pdq, &c);
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && n < ms.ms_entries;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size != DB_PDQ_REC)
            break;
        memcpy(s->hashes[n].b, v.mv_data, 32);
        s->quality[n] = ((const int8_t *)v.mv_data)[32];
        s->ids[n++] = db_get_be64(k.mv_data);
    }
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    s->count = n;
    return n;
}

static void report(const char *what, double *t, size_t n)
{
    double first = t[0];
    qsort(t, RUNS, sizeof *t, cmp_double);
    printf("%-28s first %7.3f s  best %7.3f s  median %7.3f s  (best: %.1f M entries/s)\n", what,
           first, t[0], t[RUNS / 2], (double)n / t[0] / 1e6);
}

static void run_cursor(lm_hashdb *db, size_t count)
{
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        lm_db_pdq_set set = {0};
        double t0 = bench_wall_s();
        cursor_load(db, &set);
        t[r] = bench_wall_s() - t0;
        lm_db_pdq_set_free(&set);
    }
    report("baseline: LMDB cursor pass", t, count);
}

int main(int argc, char **argv)
{
    char *end;
    size_t n = argc > 1 ? strtoull(argv[1], &end, 10) : 1000000;
    char path[600];
    const char *tmp = getenv("TMPDIR");
    if (argc > 2)
        snprintf(path, sizeof path, "%s", argv[2]);
    else
        snprintf(path, sizeof path, "%s/lm-bench-%zu", tmp && *tmp ? tmp : "/tmp", n);

    lm_hashdb *db;
    char err[256];
    if (lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err) != LM_OK) {
        if (lm_hashdb_open(path, LM_DB_CREATE, &db, err, sizeof err) != LM_OK) {
            fprintf(stderr, "%s: %s\n", path, err);
            return 2;
        }
        uint64_t seed = 0xbe4c4;
        double t0 = bench_wall_s(), c0 = bench_process_cpu_s();
        for (size_t done = 0; done < n;) {
            size_t batch = n - done < 1000000 ? n - done : 1000000;
            char *text = hdb_random_hex(&seed, batch);
            lm_db_import_opts o;
            lm_db_import_opts_init(&o);
            char name[32];
            snprintf(name, sizeof name, "batch-%zu", done / 1000000);
            o.list = name;
            o.format = LM_DB_FORMAT_HEX;
            lm_status st = lm_hashdb_import_memory(db, text, strlen(text), &o, NULL);
            free(text);
            if (st) {
                fprintf(stderr, "import: %s\n", lm_hashdb_last_error(db));
                return 2;
            }
            done += batch;
        }
        printf("built %zu entries in %.1f s, %.1f s CPU (%.0f entries/s)\n", n, bench_wall_s() - t0,
               bench_process_cpu_s() - c0, (double)n / (bench_wall_s() - t0));
        lm_hashdb_close(db);
        if (lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err) != LM_OK)
            return 2;
    }
    lm_db_stats s = {0};
    if (lm_hashdb_stats(db, &s) == LM_OK) {
        printf("database: %llu entries, data.mdb %.0f MiB (%.0f bytes/entry)\n",
               (unsigned long long)s.entries, (double)s.file_bytes / (1 << 20),
               (double)s.file_bytes / (double)(s.entries ? s.entries : 1));
    }
    double t[RUNS];
    size_t count = (size_t)(s.entries);
    int cursor_first = argc > 3;
    if (cursor_first)
        run_cursor(db, count);
    double c1 = bench_process_cpu_s();
    for (int r = 0; r < RUNS; r++) {
        lm_db_pdq_set set;
        double t0 = bench_wall_s();
        if (lm_hashdb_load_pdq(db, &set) != LM_OK) {
            fprintf(stderr, "load: %s\n", lm_hashdb_last_error(db));
            return 2;
        }
        t[r] = bench_wall_s() - t0;
        count = set.count;
        lm_db_pdq_set_free(&set);
    }
    report("lm_hashdb_load_pdq", t, count);
    printf("%-28s CPU per load %.3f s\n", "", (bench_process_cpu_s() - c1) / RUNS);
    if (!cursor_first)
        run_cursor(db, count);
    lm_hashdb_close(db);
    double c0 = bench_process_cpu_s();
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_wall_s();
        if (lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, err, sizeof err) != LM_OK) {
            fprintf(stderr, "check: %s\n", err);
            return 2;
        }
        t[r] = bench_wall_s() - t0;
        lm_hashdb_close(db);
    }
    report("open with LM_DB_CHECK", t, count);
    printf("%-28s CPU per open %.3f s\n", "", (bench_process_cpu_s() - c0) / RUNS);
    lm_db_stats_free(&s);
    return 0;
}
