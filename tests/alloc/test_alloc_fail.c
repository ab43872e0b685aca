/*
 * Every public call survives allocation failure: for N = 1, 2, ... the Nth
 * allocation fails during (a) opening a matcher and checking an image,
 * (b) importing a hash list and (c) adding an image with its crop companions
 * (all or nothing), and (d) checking against a list built from images (companions and
 * local features). The call that hit the failure must return LM_E_NOMEM
 * (never crash, never report success with a wrong result), and every block
 * allocated meanwhile must be freed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_fail.h"
#include "check.h"
#include "file_read.h"
#include "hashdb.h"
#include "libmatch.h"

static char db_dir[] = "/tmp/lm-alloc-XXXXXX";

static const char list_text[] =
    "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,100,bridge\n"
    "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940,100,q0122\n"
    "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7,100,q0291\n";

/* (a) open + check + close with the Nth allocation failing. Returns 1 while failures still hit. */
static int check_with_failure(long nth, const uint8_t *image, size_t len, const char *db)
{
    long before = alloc_live();
    alloc_fail_at(nth);
    lm_matcher *m = NULL;
    lm_status st = lm_matcher_open(db, &m, NULL, 0);
    lm_status st2 = LM_OK;
    lm_check_result r = {.struct_size = sizeof r};
    if (st == LM_OK) {
        st2 = lm_check(m, image, len, NULL, &r);
        lm_matcher_close(m);
    }
    int hit = alloc_failed();
    alloc_fail_at(0);
    if (hit) {
        if (st != LM_E_NOMEM && st2 != LM_E_NOMEM) {
            /* A failure absorbed without error is fine only if the result is still right. */
            CHECK(st == LM_OK && st2 == LM_OK && r.verdict == LM_VERDICT_MATCH);
            if (!(st == LM_OK && st2 == LM_OK && r.verdict == LM_VERDICT_MATCH))
                fprintf(stderr, "  allocation %ld: open %d, check %d, verdict %d\n", nth, st, st2,
                        r.verdict);
        }
    } else {
        CHECK_EQ_INT(st, LM_OK);
        CHECK_EQ_INT(st2, LM_OK);
        CHECK_EQ_INT(r.verdict, LM_VERDICT_MATCH);
    }
    if (alloc_live() != before) {
        fprintf(stderr, "  allocation %ld failing (check): %ld blocks leaked\n", nth,
                alloc_live() - before);
        CHECK(alloc_live() == before);
    }
    return hit;
}

/* (b) import into a fresh database with the Nth allocation failing. */
static int import_with_failure(long nth, int round)
{
    char path[256];
    snprintf(path, sizeof path, "%s/import-%ld-%d", db_dir, nth, round);
    CHECK_EQ_INT(lm_hashdb_init(path, NULL, 0), LM_OK);
    long before = alloc_live();
    alloc_fail_at(nth);
    lm_hashdb *db = NULL;
    lm_status st = lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0);
    lm_status st2 = LM_OK;
    if (st == LM_OK) {
        lm_db_import_opts o;
        lm_db_import_opts_init(&o);
        o.list = "alloc";
        st2 = lm_hashdb_import_memory(db, list_text, sizeof list_text - 1, &o, NULL);
        lm_hashdb_close(db);
    }
    int hit = alloc_failed();
    alloc_fail_at(0);
    if (hit && !(st == LM_E_NOMEM || st2 == LM_E_NOMEM || (st == LM_OK && st2 == LM_OK))) {
        fprintf(stderr, "  allocation %ld failing (import): open %d, import %d\n", nth, st, st2);
        CHECK(0);
    } else if (!hit) {
        CHECK(st == LM_OK && st2 == LM_OK);
    }
    if (alloc_live() != before) {
        fprintf(stderr, "  allocation %ld failing (import): %ld blocks leaked\n", nth,
                alloc_live() - before);
        CHECK(alloc_live() == before);
    }
    /* Whatever happened, the database opens and holds all three entries or none. */
    lm_db_stats s;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0), LM_OK);
    if (db && lm_hashdb_stats(db, &s) == LM_OK) {
        CHECK(s.entries == 0 || s.entries == 3);
        lm_db_stats_free(&s);
    }
    lm_hashdb_close(db);
    return hit;
}

/* (c) lm_list_add_image (entry + crop companions) with the Nth allocation failing. */
static int add_image_with_failure(long nth, const uint8_t *image, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/image-%ld", db_dir, nth);
    CHECK_EQ_INT(lm_hashdb_init(path, NULL, 0), LM_OK);
    long before = alloc_live();
    alloc_fail_at(nth);
    uint64_t id = 0;
    lm_status st = lm_list_add_image(path, image, len, NULL, &id, NULL, 0);
    int hit = alloc_failed();
    alloc_fail_at(0);
    if (hit && st != LM_E_NOMEM && st != LM_OK) {
        fprintf(stderr, "  allocation %ld failing (add image): %d\n", nth, st);
        CHECK(0);
    } else if (!hit) {
        CHECK_EQ_INT(st, LM_OK);
    }
    if (alloc_live() != before) {
        fprintf(stderr, "  allocation %ld failing (add image): %ld blocks leaked\n", nth,
                alloc_live() - before);
        CHECK(alloc_live() == before);
    }
    /* All or nothing: the entry with its 18 companions, or no entry. */
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0), LM_OK);
    lm_db_stats s;
    if (db && lm_hashdb_stats(db, &s) == LM_OK) {
        size_t nc = 99;
        CHECK_EQ_INT(lm_hashdb_entry_companions(db, 1, NULL, 0, &nc), LM_OK);
        CHECK((s.entries == 1 && nc == 18 && st == LM_OK) || (s.entries == 0 && nc == 0));
        lm_db_stats_free(&s);
    }
    lm_hashdb_close(db);
    return hit;
}

int main(void)
{
    const char *testdata = getenv("LM_TESTDATA");
    char image_path[1024];
    snprintf(image_path, sizeof image_path, "%s/pdq/bridge-mods/aaa-orig.jpg",
             testdata ? testdata : "");
    uint8_t *image = NULL;
    size_t len = 0;
    lm_errbuf err = {{0}};
    if (!testdata || lm_read_file(image_path, 1 << 26, &image, &len, &err) != LM_OK)
        return check_testdata_missing(image_path);
    if (!mkdtemp(db_dir)) {
        perror("mkdtemp");
        return 1;
    }
    char db[300];
    snprintf(db, sizeof db, "%s/list", db_dir);
    lm_hashdb *h;
    CHECK_EQ_INT(lm_hashdb_init(db, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_hashdb_open(db, LM_DB_WRITE, &h, NULL, 0), LM_OK);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    CHECK_EQ_INT(lm_hashdb_import_memory(h, list_text, sizeof list_text - 1, &o, NULL), LM_OK);
    lm_hashdb_close(h);

    long n;
    for (n = 1; n < 100000 && check_with_failure(n, image, len, db); n++)
        ;
    printf("check: allocations 1..%ld each failed in turn\n", n - 1);
    CHECK(n > 3);
    long m;
    for (m = 1; m < 100000 && import_with_failure(m, 0); m++)
        ;
    printf("import: allocations 1..%ld each failed in turn\n", m - 1);
    CHECK(m > 3);
    long k;
    for (k = 1; k < 100000 && add_image_with_failure(k, image, len); k++)
        ;
    printf("add image: allocations 1..%ld each failed in turn\n", k - 1);
    CHECK(k > 3);
    /* (d) a list built from the image (companions and local features): open + check. */
    char idb[300];
    snprintf(idb, sizeof idb, "%s/image-list", db_dir);
    CHECK_EQ_INT(lm_hashdb_init(idb, NULL, 0), LM_OK);
    CHECK_EQ_INT(lm_list_add_image(idb, image, len, NULL, NULL, NULL, 0), LM_OK);
    long f;
    for (f = 1; f < 100000 && check_with_failure(f, image, len, idb); f++)
        ;
    printf("check against an image-built list: allocations 1..%ld each failed in turn\n", f - 1);
    CHECK(f > n);
    free(image);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", db_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", db_dir);
    return check_report("test_alloc_fail");
}
