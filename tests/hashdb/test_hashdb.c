/* hashdb unit tests: schema, entries, lists, every import format, export round-trips, verify. */
#include <lmdb.h>
#include <sys/stat.h>

#include "hashdb_internal.h"
#include "hdb_test.h"

static const char *PDQ1 = "d8f871cce0f4e84d8a3070f7e0f33e1cd8f871cce0f4e84d8a3070f7e0f33e1c";
static const char *PDQ2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *MD5 = "d41d8cd98f00b204e9800998ecf8427e";
static const char *SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
static const char *SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void test_open_and_schema(const char *dir)
{
    char path[600], err[256] = "";
    lm_hashdb *db = NULL;
    snprintf(path, sizeof path, "%s/schema", dir);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_E_NOT_FOUND);
    CHECK(db == NULL);
    /* The store says what is wrong; the CLI adds what to run (lm_db_last_hint). */
    CHECK(strstr(err, "no hash-list database") != NULL);
    CHECK(strstr(err, "pmatch") == NULL);
    CHECK_EQ_INT(lm_hashdb_init(path, err, sizeof err), LM_OK);
    CHECK_EQ_INT(lm_hashdb_init(path, err, sizeof err), LM_E_EXISTS);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_OK);
    uint64_t g1 = 0, g2 = 0;
    CHECK_EQ_INT(lm_hashdb_generation(db, &g1), LM_OK);
    /* Writes on a read-only handle are refused, not attempted. */
    uint8_t h[32] = {1};
    lm_db_new_entry e = {.type = LM_HASH_PDQ, .hash = h, .quality = 90};
    CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_E_INVALID_ARG);
    lm_hashdb_close(db);

    /* An unknown schema version is refused with LM_E_DB_SCHEMA. */
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_WRITE, &db, err, sizeof err), LM_OK);
    CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_OK);
    CHECK_EQ_INT(lm_hashdb_generation(db, &g2), LM_OK);
    CHECK(g2 > g1);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(db->env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(db_meta_put_u64(db, txn, "schema_version", 99, 4), LM_OK);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    lm_hashdb_close(db);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_E_DB_SCHEMA);
    CHECK(strstr(err, "99") != NULL);

    /* A directory holding some other LMDB file is not ours. */
    snprintf(path, sizeof path, "%s/foreign", dir);
    MDB_env *env;
    CHECK_EQ_INT(mkdir(path, 0700), 0);
    CHECK_EQ_INT(mdb_env_create(&env), 0);
    CHECK_EQ_INT(mdb_env_open(env, path, 0, 0600), 0);
    MDB_dbi dbi;
    CHECK_EQ_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    MDB_val k = {1, "x"}, v = {1, "y"};
    CHECK_EQ_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_E_DB_SCHEMA);

    /* A file that is not LMDB at all. */
    snprintf(path, sizeof path, "%s/garbage", dir);
    CHECK_EQ_INT(mkdir(path, 0700), 0);
    char file[700];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    FILE *f = fopen(file, "w");
    for (int i = 0; i < 10000; i++)
        fputc(i * 7, f);
    fclose(f);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_E_DB);

    /* A table record of the wrong size in LMDB's table directory (found by fuzz_db): LMDB
     * would copy 48 bytes of it as the table's root and read pages far beyond the file. */
    lm_hashdb_close(hdb_create(dir, "table-record"));
    snprintf(file, sizeof file, "%s/table-record/data.mdb", dir);
    f = fopen(file, "r+b");
    CHECK(f != NULL);
    static uint8_t bytes[1 << 20];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    /* The "pdq" node: data size 48 (lo, hi), flags F_SUBDATA, key size 3, "pdq". */
    static const uint8_t node[] = {48, 0, 0, 0, 2, 0, 3, 0, 'p', 'd', 'q'};
    int patched = 0;
    for (size_t i = 0; i + sizeof node <= n; i++)
        if (memcmp(bytes + i, node, sizeof node) == 0) {
            bytes[i] = 53;
            patched++;
        }
    CHECK(patched >= 1);
    rewind(f);
    CHECK_EQ_INT(fwrite(bytes, 1, n, f), n);
    fclose(f);
    snprintf(path, sizeof path, "%s/table-record", dir);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_E_DB);
    CHECK(strstr(err, "table directory is damaged") != NULL);

    /* The newest meta page out of place (found by fuzz_db as a hang): LMDB opens at the
     * newest transaction but reads meta page (txnid & 1), here one holding another tree. */
    lm_hashdb_close(hdb_create(dir, "meta-parity"));
    snprintf(file, sizeof file, "%s/meta-parity/data.mdb", dir);
    f = fopen(file, "r+b");
    CHECK(f != NULL);
    uint8_t txnid[8] = {0xe9, 0x03}; /* 1001, odd, written into meta page 0 */
    CHECK_EQ_INT(fseek(f, 16 + 128, SEEK_SET), 0);
    CHECK_EQ_INT(fwrite(txnid, 1, 8, f), 8);
    fclose(f);
    snprintf(path, sizeof path, "%s/meta-parity", dir);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY, &db, err, sizeof err), LM_E_DB);
    CHECK(strstr(err, "does not hold transaction 1001") != NULL);
}

static void test_entries(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "entries");
    uint8_t h[32], d[32];
    size_t len;
    lm_hash_type t;
    CHECK_EQ_INT(lm_db_hash_parse(PDQ1, 64, 0, &t, h, &len, NULL, 0), LM_OK);
    CHECK_EQ_INT(t, LM_HASH_PDQ);
    CHECK_EQ_INT(lm_db_hash_parse(SHA256, 64, LM_HASH_SHA256, &t, d, &len, NULL, 0), LM_OK);
    CHECK_EQ_INT(t, LM_HASH_SHA256);
    CHECK_EQ_INT(lm_db_hash_parse(MD5, 32, LM_HASH_SHA1, &t, d, &len, NULL, 0), LM_E_PARSE);

    lm_db_new_entry e = {.type = LM_HASH_PDQ,
                         .hash = h,
                         .quality = 87,
                         .label = "A1",
                         .reference = "case-17 ü",
                         .list = "iwf"};
    uint64_t id1 = 0, id2 = 0, id3 = 0;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &id1), LM_OK);
    /* The same hash again in the same list is a duplicate; in another list it is not. */
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &id2), LM_E_EXISTS);
    CHECK_EQ_INT(id2, id1);
    e.list = "ncmec";
    CHECK_EQ_INT(lm_hashdb_add(db, &e, &id3), LM_OK);
    CHECK(id3 != id1);
    /* Hostile text is refused. */
    e.label = "bad\x1b[2J";
    CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_E_INVALID_ARG);
    e.label = "\xc0\xaf"; /* overlong UTF-8 */
    CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_E_INVALID_ARG);
    e.label = NULL;
    e.quality = 101;
    CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_E_INVALID_ARG);

    uint64_t ids[4];
    size_t found = 0;
    CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_PDQ, h, 32, ids, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 2);
    CHECK_EQ_INT(ids[0], id1);
    CHECK_EQ_INT(ids[1], id3);
    /* Same bytes as another type: no match (types are separate key spaces). */
    CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_SHA256, h, 32, ids, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 0);

    lm_entry_info info;
    CHECK_EQ_INT(lm_hashdb_get_entry(db, id1, &info), LM_OK);
    CHECK_EQ_STR(info.hash_hex, PDQ1);
    CHECK_EQ_STR(info.list, "iwf");
    CHECK_EQ_STR(info.label, "A1");
    CHECK_EQ_STR(info.reference, "case-17 ü");
    CHECK_EQ_INT(info.quality, 87);
    CHECK(info.added > 0);

    lm_db_pdq_set set;
    CHECK_EQ_INT(lm_hashdb_load_pdq(db, &set), LM_OK);
    CHECK_EQ_INT(set.count, 2);
    CHECK(memcmp(set.hashes[0].b, h, 32) == 0);
    CHECK_EQ_INT(set.ids[1], id3);
    CHECK_EQ_INT(set.quality[0], 87);
    uint64_t gen;
    CHECK_EQ_INT(lm_hashdb_generation(db, &gen), LM_OK);
    CHECK_EQ_INT(set.generation, gen);
    lm_db_pdq_set_free(&set);

    /* Removal is visible to the very next query. */
    CHECK_EQ_INT(lm_hashdb_remove(db, id1), LM_OK);
    CHECK_EQ_INT(lm_hashdb_remove(db, id1), LM_E_NOT_FOUND);
    CHECK_EQ_INT(lm_hashdb_get_entry(db, id1, &info), LM_E_NOT_FOUND);
    CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_PDQ, h, 32, ids, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_INT(lm_hashdb_load_pdq(db, &set), LM_OK);
    CHECK_EQ_INT(set.count, 1);
    lm_db_pdq_set_free(&set);
    size_t removed = 0;
    CHECK_EQ_INT(lm_hashdb_remove_hash(db, LM_HASH_PDQ, h, 32, NULL, &removed), LM_OK);
    CHECK_EQ_INT(removed, 1);
    CHECK_EQ_INT(lm_hashdb_lookup(db, LM_HASH_PDQ, h, 32, ids, 4, &found), LM_OK);
    CHECK_EQ_INT(found, 0);
    CHECK_EQ_INT(lm_hashdb_remove_hash(db, LM_HASH_PDQ, h, 32, NULL, &removed), LM_E_NOT_FOUND);

    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

/* Import canonical text into an empty list, export it: the same bytes. */
static void round_trip(lm_hashdb *db, const char *list, lm_db_format f, const char *text)
{
    hdb_lines l;
    lm_db_import_result r;
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_AUTO, list, 0, &l, &r), LM_OK);
    CHECK_EQ_INT(r.format, f);
    CHECK_EQ_INT(r.bad, 0);
    lm_status st;
    char *out = hdb_export(db, f, list, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_STR(out, text);
    free(out);
}

static void test_round_trips(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "roundtrip");
    char hex[1024], pdqcsv[1024], csv[2048], tsv[2048];
    snprintf(hex, sizeof hex, "%s\n%s\n%s\n%s\n", PDQ1, MD5, SHA1, PDQ2);
    snprintf(pdqcsv, sizeof pdqcsv, "%s,100,/data/a.jpg\n%s,,\n%s,49,dir/with, comma,\"q\".png\n",
             PDQ1, PDQ2, PDQ1);
    /* PDQ1 twice in pdq-csv would be a duplicate: make the third another hash. */
    snprintf(pdqcsv, sizeof pdqcsv,
             "%s,100,/data/"
             "a.jpg\n%s,,\nffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0000,"
             "49,dir/with, comma,\"q\".png\n",
             PDQ1, PDQ2);
    snprintf(csv, sizeof csv,
             "hash,type,quality,label,reference\n"
             "%s,pdq,91,A1,NCMEC-123\n"
             "%s,md5,,\"B, sub \"\"2\"\"\",\n"
             "%s,sha1,,,ref with spaces\n"
             "%s,sha256,,Ω label,\n"
             "%s,pdq,0,,\n",
             PDQ1, MD5, SHA1, SHA256, PDQ2);
    snprintf(tsv, sizeof tsv,
             "hash\ttype\tquality\tlabel\treference\n"
             "%s\tpdq\t91\tA1, \"quoted\"\tNCMEC-123\n"
             "%s\tsha256\t\t\t\n",
             PDQ1, SHA256);
    round_trip(db, "hex", LM_DB_FORMAT_HEX, hex);
    round_trip(db, "pdqcsv", LM_DB_FORMAT_PDQ_CSV, pdqcsv);
    round_trip(db, "csv", LM_DB_FORMAT_CSV, csv);
    round_trip(db, "tsv", LM_DB_FORMAT_TSV, tsv);

    /* A larger random list, each format through the API, from files. */
    uint64_t seed = check_test_seed(0x5eed0001);
    char *big = hdb_random_hex(&seed, 5000);
    round_trip(db, "big", LM_DB_FORMAT_HEX, big);
    free(big);

    /* Uppercase and CRLF are accepted; export is canonical. */
    char up[200], want[200];
    snprintf(up, sizeof up, "%s\r\n",
             "D8F871CCE0F4E84D8A3070F7E0F33E1CD8F871CCE0F4E84D8A3070F7E0F33E1C");
    snprintf(want, sizeof want, "%s\n", PDQ1);
    hdb_lines l;
    CHECK_EQ_INT(hdb_import(db, up, LM_DB_FORMAT_HEX, "upper", 0, &l, NULL), LM_OK);
    char *out = hdb_export(db, LM_DB_FORMAT_HEX, "upper", NULL);
    CHECK_EQ_STR(out, want);
    free(out);

    /* Unknown list on export. */
    lm_status st;
    free(hdb_export(db, LM_DB_FORMAT_HEX, "nope", &st));
    CHECK_EQ_INT(st, LM_E_NOT_FOUND);

    lm_db_stats s;
    CHECK_EQ_INT(lm_hashdb_stats(db, &s), LM_OK);
    CHECK_EQ_INT(s.list_count, 6);
    CHECK_EQ_INT(s.by_type[LM_HASH_MD5], 2);
    CHECK_EQ_INT(s.quality_hist[10], 1);
    CHECK_EQ_INT(s.quality_hist[9], 2);
    CHECK_EQ_INT(s.quality_hist[4], 1);
    lm_db_stats_free(&s);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

static void test_bad_lines(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "badlines");
    hdb_lines l;
    char ok[200];
    snprintf(ok, sizeof ok, "%s\n", PDQ2);
    CHECK_EQ_INT(hdb_import(db, ok, LM_DB_FORMAT_HEX, "L", 0, &l, NULL), LM_OK);
    char *before = hdb_export(db, LM_DB_FORMAT_CSV, NULL, NULL);

    char text[4096];
    snprintf(text, sizeof text,
             "# comment\n" /* 1 */
             "%s\n"        /* 2 ok */
             "xyz\n"       /* 3 bad */
             "\n"          /* 4 blank */
             "%.63s\n"     /* 5 bad: 63 digits */
             "%s\n"        /* 6 ok (md5) */
             "%.63sg\n"    /* 7 bad: non-hex */
             "%s\n",       /* 8 duplicate of line 2 */
             PDQ1, PDQ1, MD5, PDQ1, PDQ1);
    lm_db_import_result r;
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_AUTO, "L", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "3,5,7");
    CHECK_EQ_INT(r.added, 0);
    /* All or nothing: the database is exactly as before. */
    char *after = hdb_export(db, LM_DB_FORMAT_CSV, NULL, NULL);
    CHECK_EQ_STR(after, before);
    free(after);

    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_AUTO, "L", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.added, 2);
    CHECK_EQ_INT(r.bad, 3);
    CHECK_EQ_INT(r.duplicates, 1);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_DUPLICATE), "8");
    /* Importing the same list again: everything is a duplicate. */
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_AUTO, "L", 1, &l, &r), LM_OK);
    CHECK_EQ_INT(r.added, 0);
    CHECK_EQ_INT(r.duplicates, 3);

    /* CSV: bad header fails whatever skip_bad says; bad fields name their line. */
    CHECK_EQ_INT(hdb_import(db, "label,reference\nx,y\n", LM_DB_FORMAT_CSV, "C", 1, &l, &r),
                 LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "1");
    snprintf(text, sizeof text,
             "hash,type,label\n"
             "%s,pdq,ok\n"     /* 2 */
             "%s,pdq\n"        /* 3 bad: 2 fields */
             "%s,md4,x\n"      /* 4 bad type */
             "%s,pdq,\"open\n" /* 5 unterminated quote */
             "%s,pdq,a\x01z\n" /* 6 control char */
             "%s,sha1,x\n"     /* 7 bad: md5 length for sha1 */
             "%s,,\"x\"y\n",   /* 8 text after quote */
             PDQ1, PDQ1, PDQ1, PDQ1, PDQ1, MD5, PDQ2);
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_AUTO, "C", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_INT(r.format, LM_DB_FORMAT_CSV);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "3,4,5,6,7,8");

    /* pdq-csv: quality out of range, path with an escape sequence. */
    snprintf(text, sizeof text, "%s,101,a.jpg\n%s,50,\x1b]0;pwn\x07.jpg\n%s,50\n", PDQ1, PDQ1,
             PDQ1);
    CHECK_EQ_INT(hdb_import(db, text, LM_DB_FORMAT_PDQ_CSV, "P", 0, &l, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "1,2,3");

    /* Over-long lines and NUL bytes are bad lines, not crashes. */
    size_t biglen = 3 * LM_DB_MAX_LINE;
    char *big = malloc(biglen + 200);
    memset(big, 'a', biglen);
    snprintf(big + biglen, 200, "\n%s\n", PDQ1);
    CHECK_EQ_INT(hdb_import(db, big, LM_DB_FORMAT_HEX, "N", 1, &l, &r), LM_OK);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "1");
    CHECK_EQ_INT(r.added, 1);
    free(big);
    char nul[80] = "abc";
    nul[3] = '\0';
    memcpy(nul + 4, "def\n", 4);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    memset(&l, 0, sizeof l);
    o.on_line = hdb_on_line;
    o.ctx = &l;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, nul, 8, &o, &r), LM_E_IMPORT);
    CHECK_EQ_STR(hdb_kinds(&l, LM_DB_LINE_BAD), "1");
    CHECK(strstr(l.reason[0], "NUL") != NULL);
    /* Empty input: fine, nothing added. */
    CHECK_EQ_INT(lm_hashdb_import_memory(db, "", 0, NULL, &r), LM_OK);
    CHECK_EQ_INT(r.added, 0);

    CHECK_EQ_INT(hdb_problems(db), 0);
    free(before);
    lm_hashdb_close(db);
}

static void test_replace_and_provenance(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "replace");
    char v1[300], v2[300];
    snprintf(v1, sizeof v1, "%s\n%s\n", PDQ1, PDQ2);
    snprintf(v2, sizeof v2, "%s\n%s\n", PDQ2, MD5);
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = "iwf";
    o.source = "IWF";
    o.version = "v1";
    CHECK_EQ_INT(lm_hashdb_import_memory(db, v1, strlen(v1), &o, NULL), LM_OK);
    o.version = "v2";
    o.replace = 1;
    lm_db_import_result r;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, v2, strlen(v2), &o, &r), LM_OK);
    CHECK_EQ_INT(r.removed, 2);
    CHECK_EQ_INT(r.added, 2);
    char *out = hdb_export(db, LM_DB_FORMAT_HEX, "iwf", NULL);
    CHECK_EQ_STR(out, v2);
    free(out);
    lm_db_list_info li[4];
    size_t n = 0;
    CHECK_EQ_INT(lm_hashdb_lists(db, li, 4, &n), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(li[0].name, "iwf");
    CHECK_EQ_STR(li[0].source, "IWF");
    CHECK_EQ_STR(li[0].version, "v2");
    CHECK_EQ_INT(li[0].entries, 2);
    CHECK(li[0].imported > 0);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

typedef struct plist {
    int n;
    char msgs[32][300];
} plist;

static void on_problem(void *ctx, const char *p)
{
    plist *pl = ctx;
    if (pl->n < 32)
        snprintf(pl->msgs[pl->n], sizeof pl->msgs[0], "%s", p);
    pl->n++;
}

/* Break the invariants one by one behind the API's back: verify must name each. */
static void test_verify_finds_inconsistency(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "inconsistent");
    char text[400];
    snprintf(text, sizeof text, "%s\n%s\n%s\n", PDQ1, PDQ2, MD5);
    CHECK_EQ_INT(lm_hashdb_import_memory(db, text, strlen(text), NULL, NULL), LM_OK);
    MDB_txn *txn;
    uint8_t k1[8], k3[8];
    db_put_be64(k1, 1);
    db_put_be64(k3, 3);
    MDB_val key1 = {8, k1}, key3 = {8, k3};
    CHECK_EQ_INT(mdb_txn_begin(db->env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(mdb_del(txn, db->pdq, &key1, NULL), 0); /* entry 1 loses its PDQ record */
    uint8_t hk[17];
    uint8_t md5[16];
    size_t len;
    lm_hash_type t;
    lm_db_hash_parse(MD5, 32, 0, &t, md5, &len, NULL, 0);
    db_hash_key(hk, LM_HASH_MD5, md5, 16);
    MDB_val hkey = {17, hk}, hval = {8, k3};
    CHECK_EQ_INT(mdb_del(txn, db->hashes, &hkey, &hval), 0); /* entry 3 loses its index record */
    uint8_t junk[5] = {1, 2, 3, 4, 5};
    MDB_val jv = {5, junk};
    uint8_t k9[8];
    db_put_be64(k9, 9);
    MDB_val key9 = {8, k9};
    CHECK_EQ_INT(mdb_put(txn, db->entries, &key9, &jv, 0), 0); /* a malformed entry */
    uint8_t ck[DB_COMPANION_KEY], ck2[DB_COMPANION_KEY], crec[DB_COMPANION_REC] = {0};
    db_put_be64(ck, 77); /* a companion of an entry that does not exist */
    ck[8] = 3;
    crec[32] = 50;
    db_put_be64(ck2, 2); /* a companion record of the wrong size */
    ck2[8] = 1;
    MDB_val ckey = {sizeof ck, ck}, cval = {sizeof crec, crec}, ckey2 = {sizeof ck2, ck2};
    CHECK_EQ_INT(mdb_put(txn, db->companions, &ckey, &cval, 0), 0);
    CHECK_EQ_INT(mdb_put(txn, db->companions, &ckey2, &jv, 0), 0);
    CHECK_EQ_INT(db_meta_put_u64(db, txn, "schema_version", 1, 4), LM_OK);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    (void)key3;
    plist pl = {0};
    uint64_t problems = 0;
    CHECK_EQ_INT(lm_hashdb_verify(db, on_problem, &pl, &problems), LM_OK);
    CHECK(problems >= 3);
    int saw_pdq = 0, saw_index = 0, saw_bad = 0, saw_orphan = 0, saw_size = 0;
    for (int i = 0; i < pl.n && i < 32; i++) {
        saw_pdq |= strstr(pl.msgs[i], "entry 1: PDQ record missing") != NULL;
        saw_index |= strstr(pl.msgs[i], "entry 3: missing from the hash index") != NULL;
        saw_bad |= strstr(pl.msgs[i], "entry 9:") != NULL;
        saw_orphan |= strcmp(pl.msgs[i], "companion 77/3: no such PDQ entry") == 0;
        saw_size |= strcmp(pl.msgs[i], "companions: a record has the wrong size") == 0;
    }
    CHECK(saw_pdq && saw_index && saw_bad);
    CHECK(saw_orphan && saw_size);
    /* Reads on the damaged DB report, never crash. */
    lm_status st;
    free(hdb_export(db, LM_DB_FORMAT_CSV, NULL, &st));
    CHECK_EQ_INT(st, LM_E_DB);
    lm_entry_info info;
    CHECK_EQ_INT(lm_hashdb_get_entry(db, 9, &info), LM_E_DB);
    lm_hashdb_close(db);
}

/* Mutated inputs of every format (fixed seed): errors or entries, never a crash; DB stays
 * consistent. */
static void test_mutated_imports(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "mutate");
    uint64_t seed = check_test_seed(0x3a7a7e);
    char base[4][600];
    snprintf(base[0], sizeof base[0], "%s\n%s\n%s\n", PDQ1, MD5, SHA1);
    snprintf(base[1], sizeof base[1], "%s,90,a/b.jpg\n%s,,x\n", PDQ1, PDQ2);
    snprintf(base[2], sizeof base[2],
             "hash,type,quality,label,reference\n%s,pdq,7,\"a,\"\"b\",r\n%s,md5,,,\n", PDQ2, MD5);
    snprintf(base[3], sizeof base[3], "hash\ttype\tlabel\n%s\tsha256\tl\n", SHA256);
    static const char alphabet[] = "0123456789abcdefABCDEFxyz,\"\t\r\n #\x00\x1b\xc3\xa9\xff";
    int ok = 0;
    for (int i = 0; i < 1200; i++) {
        char buf[700];
        const char *b = base[i % 4];
        size_t len = strlen(b);
        memcpy(buf, b, len);
        int edits = 1 + (int)(check_rand(&seed) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = check_rand(&seed) % len;
            char c = alphabet[check_rand(&seed) % (sizeof alphabet - 1)];
            switch (check_rand(&seed) % 3) {
            case 0: buf[at] = c; break; /* replace */
            case 1:
                if (len < sizeof buf - 1) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = c;
                    len++;
                }
                break;
            default:
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break; /* delete */
            }
            if (len == 0)
                break;
        }
        lm_db_import_opts o;
        lm_db_import_opts_init(&o);
        o.skip_bad = (int)(i & 1);
        o.list = (i & 2) ? "m1" : "m2";
        lm_status st = lm_hashdb_import_memory(db, buf, len, &o, NULL);
        CHECK(st == LM_OK || st == LM_E_IMPORT);
        ok += st == LM_OK;
    }
    CHECK(ok > 50);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

/* A full map is grown and the transaction run again: the import still succeeds. */
static void test_map_growth(const char *dir)
{
    lm_hashdb *db = hdb_create(dir, "growth");
    /* Shrink the map to what is in use (LMDB rounds a tiny request up to that). */
    CHECK_EQ_INT(mdb_env_set_mapsize(db->env, 1), 0);
    MDB_envinfo before, after;
    mdb_env_info(db->env, &before);
    uint64_t seed = 99;
    char *text = hdb_random_hex(&seed, 20000);
    lm_db_import_result r;
    CHECK_EQ_INT(lm_hashdb_import_memory(db, text, strlen(text), NULL, &r), LM_OK);
    CHECK_EQ_INT(r.added, 20000);
    mdb_env_info(db->env, &after);
    CHECK(after.me_mapsize > before.me_mapsize);
    char *out = hdb_export(db, LM_DB_FORMAT_HEX, NULL, NULL);
    CHECK_EQ_STR(out, text);
    free(out);
    free(text);
    CHECK_EQ_INT(hdb_problems(db), 0);
    lm_hashdb_close(db);
}

static void test_text_rule(void)
{
    CHECK(lm_db_text_ok("plain ascii", 11, 100));
    CHECK(lm_db_text_ok("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 100));
    CHECK(!lm_db_text_ok("tab\there", 8, 100));
    CHECK(!lm_db_text_ok("del\x7f", 4, 100));
    CHECK(!lm_db_text_ok("c1 \xc2\x85", 5, 100));      /* NEL */
    CHECK(!lm_db_text_ok("\xed\xa0\x80", 3, 100));     /* surrogate */
    CHECK(!lm_db_text_ok("\xf4\x90\x80\x80", 4, 100)); /* > U+10FFFF */
    CHECK(!lm_db_text_ok("\xe2\x82", 2, 100));         /* truncated */
    CHECK(!lm_db_text_ok("abcdef", 6, 5));
}

int main(void)
{
    char *dir = scratch_dir("hashdb");
    CHECK(dir != NULL);
    if (!dir)
        return 1;
    test_text_rule();
    test_open_and_schema(dir);
    test_entries(dir);
    test_round_trips(dir);
    test_bad_lines(dir);
    test_replace_and_provenance(dir);
    test_verify_finds_inconsistency(dir);
    test_map_growth(dir);
    test_mutated_imports(dir);
    if (!check_failures)
        scratch_remove(dir);
    else
        fprintf(stderr, "kept %s\n", dir);
    free(dir);
    return check_report("test_hashdb");
}
