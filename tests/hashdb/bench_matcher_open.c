/*
 * Matcher open and digest queries, checked reads (lm_matcher_open: meta pages and table
 * directory at open, bounds-checked lookups after) against plain LMDB reads after a full page
 * check (lm_hashdb_open + lm_matcher_open_db), on one list in one run (issues 16, 19).
 * usage: bench_matcher_open DIR [N PDQ hashes, default 1000000] [Q queries, default 200000]
 * DIR/db is made (N random PDQ hashes and N/10 SHA-256 digests) unless it exists.
 */
#include <time.h>

#include "hdb_test.h"
#include "libmatch.h"

uint64_t db_pages_checked(void);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
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
    for (int checked = 1; checked >= 0; checked--) {
        for (int pass = 0; pass < 2; pass++) {
            uint64_t p0 = db_pages_checked();
            double t0 = now();
            lm_matcher *m = NULL;
            lm_hashdb *db = NULL;
            lm_status s = checked ? lm_matcher_open(path, &m, NULL, 0)
                                  : lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0);
            if (!checked && s == LM_OK)
                s = lm_matcher_open_db(db, 0, &m);
            if (s != LM_OK)
                return 1;
            uint8_t h[32];
            lm_match mt[4];
            size_t found = 0;
            digest_of(7, h);
            s = lm_match_digest(m, LM_HASH_SHA256, h, 32, mt, 4, &found);
            double t1 = now();
            uint64_t pages = db_pages_checked() - p0;
            size_t hits = 0;
            for (size_t i = 0; i < q; i++) {
                digest_of(i * 2654435761u % (2 * nd), h); /* half present */
                if (lm_match_digest(m, LM_HASH_SHA256, h, 32, mt, 4, &found) == LM_OK && found)
                    hits++;
            }
            double t2 = now();
            /* the digest cost alone, to subtract */
            for (size_t i = 0; i < q; i++)
                digest_of(i * 2654435761u % (2 * nd), h);
            double t3 = now();
            printf("%s (pass %d): open-to-first-answer %.1f ms (%llu pages checked); %zu "
                   "lm_match_digest: %.0f/s (%.2f us each without making the digest), %zu "
                   "found\n",
                   checked ? "checked reads" : "full check + LMDB reads", pass, (t1 - t0) * 1e3,
                   (unsigned long long)pages, q, q / (t2 - t1), ((t2 - t1) - (t3 - t2)) / q * 1e6,
                   hits);
            lm_matcher_close(m);
            lm_hashdb_close(db);
        }
    }
    return 0;
}
