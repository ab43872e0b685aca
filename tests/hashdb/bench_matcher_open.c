/*
 * Matcher open, queries and the first write: checked reads (an open without LM_DB_CHECK: meta
 * pages and table directory at open, bounds-checked reads after, every page checked before the
 * first write) against plain LMDB reads after a full page check at open (LM_DB_CHECK),
 * read-only and writable, interleaved on one list in one run (issues 16, 19).
 * usage: bench_matcher_open DIR [N PDQ hashes, default 1000000] [Q queries, default 200000]
 * DIR/db is made (N random PDQ hashes and N/10 SHA-256 digests) unless it exists. Times are
 * wall clock and process CPU (threads included), medians of 3 rounds.
 */
#include <time.h>

#include "hdb_test.h"
#include "libmatch.h"

uint64_t db_pages_checked(void);

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}
static double cpu(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static double median3(const double *v)
{
    double a = v[0], b = v[1], c = v[2];
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

static void digest_of(uint64_t i, uint8_t out[32])
{
    char b[32];
    snprintf(b, sizeof b, "blob %llu", (unsigned long long)i);
    lm_digests d;
    lm_digest_bytes(b, strlen(b), &d);
    memcpy(out, d.sha256, 32);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    size_t q = argc > 3 ? strtoull(argv[3], NULL, 10) : 200000;
    char path[600];
    snprintf(path, sizeof path, "%s/db", argv[1]);
    struct stat st;
    char file[700];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    size_t nd = n / 10;
    if (stat(file, &st) != 0) {
        lm_hashdb *db;
        if (lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0) != LM_OK)
            return 1;
        uint64_t seed = 42;
        char *text = hdb_random_hex(&seed, n);
        lm_db_import_opts o;
        lm_db_import_opts_init(&o);
        o.list = "pdq";
        if (lm_hashdb_import_memory(db, text, strlen(text), &o, NULL) != LM_OK)
            return 1;
        free(text);
        /* digests as SHA-256 hex lines */
        char *dt = malloc(nd * 65 + 1), *p = dt;
        for (size_t i = 0; i < nd; i++) {
            uint8_t h[32];
            digest_of(i, h);
            for (int k = 0; k < 32; k++)
                p += sprintf(p, "%02x", h[k]);
            *p++ = '\n';
        }
        *p = '\0';
        lm_db_import_opts_init(&o);
        o.list = "digests";
        o.type = LM_HASH_SHA256;
        lm_status ist = lm_hashdb_import_memory(db, dt, strlen(dt), &o, NULL);
        free(dt);
        lm_hashdb_close(db);
        if (ist != LM_OK) {
            fprintf(stderr, "digest import: %s\n", lm_strerror(ist));
            return 1;
        }
        lm_matcher *m; /* the persisted index */
        if (lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0) != LM_OK)
            return 1;
        lm_matcher_close(m);
        stat(file, &st);
    }
    printf("list: %zu PDQ + %zu SHA-256 entries, data.mdb %.0f MB\n", n, nd,
           st.st_size / 1048576.0);
    /*
     * The opens, interleaved round by round: checked reads (the default open) against a full
     * page check at open (LM_DB_CHECK, then LMDB reads), read-only and writable. A writable
     * matcher's first write is its hit flush, here of the first answer's hit (as pmatch match
     * HASH does): the checked open pays its full page check there.
     */
    static const struct {
        const char *name;
        unsigned flags; /* lm_hashdb_open */
    } modes[] = {
        {"read-only, checked reads", LM_DB_READONLY},
        {"read-only, full check at open", LM_DB_READONLY | LM_DB_CHECK},
        {"writable, checked reads (full check at the first write)", LM_DB_WRITE},
        {"writable, full check at open", LM_DB_WRITE | LM_DB_CHECK},
    };
    enum { NMODES = sizeof modes / sizeof modes[0], ROUNDS = 3 };
    double open_ms[NMODES][ROUNDS], open_cpu[NMODES][ROUNDS], flush_ms[NMODES][ROUNDS];
    double digest_us[NMODES][ROUNDS], pdq_us[NMODES][ROUNDS];
    uint64_t pages[NMODES][ROUNDS];
    lm_pdq_hash *probes = malloc(q * sizeof *probes);
    {
        lm_hashdb *db;
        lm_db_pdq_set set;
        if (!probes || lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0) != LM_OK ||
            lm_hashdb_load_pdq(db, &set) != LM_OK || set.count == 0)
            return 1;
        for (size_t i = 0; i < q; i++) /* stored hashes, two bits off: each a match */
            (probes[i] = set.hashes[(i * 2654435761u) % set.count]).b[i % 32] ^= 0x11;
        lm_db_pdq_set_free(&set);
        lm_hashdb_close(db);
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < NMODES; k++) {
            uint64_t p0 = db_pages_checked();
            double t0 = now(), c0 = cpu();
            lm_hashdb *db = NULL;
            lm_matcher *m = NULL;
            int writable = (modes[k].flags & LM_DB_WRITE) != 0;
            lm_status s = lm_hashdb_open(path, modes[k].flags, &db, NULL, 0);
            if (s == LM_OK)
                s = lm_matcher_open_db(db, writable ? LM_MATCHER_WRITABLE : 0, &m);
            uint8_t h[32];
            lm_match mt[4];
            size_t found = 0;
            digest_of(7, h);
            if (s == LM_OK)
                s = lm_match_digest(m, LM_HASH_SHA256, h, 32, mt, 4, &found);
            if (s != LM_OK) {
                fprintf(stderr, "%s: %s\n", modes[k].name, lm_strerror(s));
                return 1;
            }
            open_ms[k][r] = (now() - t0) * 1e3;
            open_cpu[k][r] = (cpu() - c0) * 1e3;
            pages[k][r] = db_pages_checked() - p0;
            /* the first write: that answer's hit (pmatch match HASH; the checked open's full
             * page check runs here) */
            double t5 = now();
            size_t flushed = 0;
            if (writable && lm_matcher_flush_hits(m, &flushed) != LM_OK)
                return 1;
            flush_ms[k][r] = (now() - t5) * 1e3;
            /* per-query cost: digests (half present), then PDQ queries that all match */
            double t1 = now();
            for (size_t i = 0; i < q; i++) {
                digest_of(i * 2654435761u % (2 * nd), h);
                lm_match_digest(m, LM_HASH_SHA256, h, 32, mt, 4, &found);
            }
            double t2 = now();
            for (size_t i = 0; i < q; i++)
                digest_of(i * 2654435761u % (2 * nd), h); /* the digest cost alone */
            double t3 = now();
            for (size_t i = 0; i < q; i++)
                lm_match_pdq(m, &probes[i], -1, NULL, mt, 4, &found);
            double t4 = now();
            digest_us[k][r] = ((t2 - t1) - (t3 - t2)) / q * 1e6;
            pdq_us[k][r] = (t4 - t3) / q * 1e6;
            printf("round %d, %s: open-to-first-answer %.1f ms (%.1f ms CPU, %llu pages "
                   "checked); first hit flush %.1f ms (%zu hit); lm_match_digest %.2f us, "
                   "lm_match_pdq %.2f us\n",
                   r, modes[k].name, open_ms[k][r], open_cpu[k][r],
                   (unsigned long long)pages[k][r], flush_ms[k][r], flushed, digest_us[k][r],
                   pdq_us[k][r]);
            lm_matcher_close(m);
            lm_hashdb_close(db);
        }
    printf("medians of %d rounds:\n", ROUNDS);
    for (int k = 0; k < NMODES; k++)
        printf("  %-56s open-to-first-answer %7.1f ms (%7.1f ms CPU); its hit flush %7.1f ms; "
               "digest %.2f us, pdq %.2f us per query\n",
               modes[k].name, median3(open_ms[k]), median3(open_cpu[k]), median3(flush_ms[k]),
               median3(digest_us[k]), median3(pdq_us[k]));
    free(probes);
    return 0;
}
