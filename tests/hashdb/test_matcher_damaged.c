/*
 * A matcher opened read-only checks only the meta pages and the table directory at open, then
 * reads through bounds-checked lookups (issues 16, 19). This test:
 *  1. counts the pages checked: a matcher open checks a small fraction of what a full check
 *     (every other open) does, and a query only the pages on its lookup paths;
 *  2. opens matchers on byte-flipped and truncated copies of a small list (PDQ in several
 *     lists, digests, a disabled entry, a disabled list; with and without the persisted index)
 *     and runs lm_check, lm_match_pdq and lm_match_digest, each in a child process: never a
 *     crash, and every answer is the intact list's, an error status, or (damage inside a
 *     record's bytes, which no page check can see) the answer of a matcher on the same file
 *     after a full page check.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hdb_test.h"
#include "libmatch.h"
#include "testdata.h"

uint64_t db_pages_checked(void); /* hashdb/db_pages.c */

#define TRIALS 400
#define NPDQ_QUERIES 24
#define NBLOBS 40
#define NQ (NPDQ_QUERIES + 2 * NBLOBS)
#define SIG 40 /* words of one answer */

static lm_pdq_hash queries[NPDQ_QUERIES];
static char blobs[NBLOBS][32];

/* One answer: status, count, then (id, type, distance) of each match. */
static void sig_matches(uint64_t *s, lm_status st, size_t found, const lm_match *m, size_t cap)
{
    memset(s, 0, SIG * sizeof *s);
    s[0] = (uint64_t)st;
    if (st != LM_OK)
        return;
    s[1] = found;
    for (size_t i = 0; i < found && i < cap && 2 + 3 * i + 2 < SIG; i++) {
        s[2 + 3 * i] = m[i].entry_id;
        s[3 + 3 * i] = (uint64_t)m[i].type;
        s[4 + 3 * i] = (uint64_t)(int64_t)m[i].distance;
    }
}

static void run_queries(const lm_matcher *m, uint64_t (*out)[SIG])
{
    lm_match mt[12];
    size_t found;
    lm_check_options o;
    lm_check_options_init(&o);
    o.max_distance = 40;
    int q = 0;
    for (int i = 0; i < NPDQ_QUERIES; i++, q++) {
        found = 0;
        lm_status st = lm_match_pdq(m, &queries[i], -1, &o, mt, 12, &found);
        sig_matches(out[q], st, found, mt, 12);
    }
    for (int i = 0; i < NBLOBS; i++, q++) {
        lm_digests d;
        CHECK_EQ_INT(lm_digest_bytes(blobs[i], strlen(blobs[i]), &d), LM_OK);
        lm_hash_type type = (lm_hash_type)(LM_HASH_MD5 + i % 3);
        const uint8_t *h = type == LM_HASH_MD5 ? d.md5 : type == LM_HASH_SHA1 ? d.sha1 : d.sha256;
        found = 0;
        lm_status st = lm_match_digest(m, type, h, lm_db_hash_len(type), mt, 12, &found);
        sig_matches(out[q], st, found, mt, 12);
    }
    for (int i = 0; i < NBLOBS; i++, q++) {
        lm_check_result *r = calloc(1, sizeof *r);
        r->struct_size = sizeof *r;
        lm_status st = lm_check(m, blobs[i], strlen(blobs[i]), &o, r);
        sig_matches(out[q], st, r->match_count, r->matches, LM_CHECK_MAX_MATCHES);
        if (st == LM_OK)
            out[q][SIG - 1] = (uint64_t)r->verdict;
        free(r);
    }
}

/* Answers of a matcher on path: checked reads (lm_matcher_open), or after a full page check.
 * 0 when it opened. */
static int answers(const char *path, int full, uint64_t (*out)[SIG])
{
    lm_matcher *m = NULL;
    lm_hashdb *db = NULL;
    if (full) {
        if (lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0) != LM_OK)
            return -1;
        if (lm_matcher_open_db(db, 0, &m) != LM_OK) {
            lm_hashdb_close(db);
            return -1;
        }
    } else if (lm_matcher_open(path, &m, NULL, 0) != LM_OK) {
        return -1;
    }
    run_queries(m, out);
    lm_matcher_close(m);
    lm_hashdb_close(db);
    return 0;
}

static uint64_t intact[NQ][SIG];

/* In a child: 0 all answers intact or errors; 5 some equal the full-check matcher's (record
 * bytes damaged); 6 some differ and the full check refused the file (unverifiable); 4 wrong. */
static int trial(const char *path, int strict)
{
    static uint64_t got[NQ][SIG], oracle[NQ][SIG];
    if (answers(path, 0, got) != 0)
        return 0;
    int differ = 0;
    for (int q = 0; q < NQ; q++)
        if (got[q][0] == LM_OK && memcmp(got[q], intact[q], sizeof got[q]) != 0)
            differ = 1;
    if (!differ)
        return 0;
    if (answers(path, 1, oracle) != 0)
        return strict ? 4 : 6;
    for (int q = 0; q < NQ; q++)
        if (got[q][0] == LM_OK && memcmp(got[q], intact[q], sizeof got[q]) != 0 &&
            memcmp(got[q], oracle[q], sizeof got[q]) != 0) {
            fprintf(stderr, "query %d: answer neither the intact list's nor the checked one's\n",
                    q);
            return 4;
        }
    return 5;
}

/* 1 when the file passes a full page check; then *loaded is lm_hashdb_load_pdq's status and
 * set its PDQ hashes (for "nothing lost"). */
static int full_check(const char *path, lm_db_pdq_set *set, lm_status *loaded)
{
    lm_hashdb *db;
    memset(set, 0, sizeof *set);
    *loaded = LM_E_DB;
    if (lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0) != LM_OK)
        return 0;
    *loaded = lm_hashdb_load_pdq(db, set);
    lm_hashdb_close(db);
    return 1;
}

/*
 * The writable path (pmatch match/scan on a list it may write), in a child. First, before
 * anything can write the damaged file, a full page check and the answers after it (the
 * oracle); then a writable matcher's answers, its hit flush and a write through a writable
 * handle. Codes as trial(), and 7 when a file the full check refuses was written, a refusal did
 * not say the file is damaged, or an accepted write lost hashes the list held; 8 is added when
 * the writes were (rightly) refused.
 */
static int trial_writable(const char *path, const char *file, int strict)
{
    static uint64_t got[NQ][SIG], oracle[NQ][SIG];
    size_t len0, len1;
    uint8_t *before = testdata_read(file, &len0);
    lm_db_pdq_set set0, set1;
    lm_status loaded0, loaded1;
    int full_ok = full_check(path, &set0, &loaded0);
    int have_oracle = full_ok && answers(path, 1, oracle) == 0;
    memset(&set1, 0, sizeof set1);
    lm_matcher *m;
    int code = 0;
    lm_status flush = LM_OK, write = (lm_status)-1; /* -1: no writable handle */
    size_t flushed = 0;
    if (lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0) == LM_OK) {
        run_queries(m, got);
        for (int q = 0; q < NQ && code != 4; q++)
            if (got[q][0] == LM_OK && memcmp(got[q], intact[q], sizeof got[q]) != 0)
                code = !have_oracle ? (strict ? 4 : 6)
                       : memcmp(got[q], oracle[q], sizeof got[q]) == 0 ? 5
                                                                        : 4;
        flush = lm_matcher_flush_hits(m, &flushed);
        lm_matcher_close(m);
    }
    lm_hashdb *db;
    char msg[512] = "";
    if (lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0) == LM_OK) {
        uint64_t id = 2;
        write = lm_hashdb_set_disabled(db, &id, 1, 1, NULL);
        snprintf(msg, sizeof msg, "%s", lm_hashdb_last_error(db));
        lm_hashdb_close(db);
    }
    uint8_t *after = testdata_read(file, &len1);
    if (!full_ok) {
        if ((flush == LM_OK && flushed) || write == LM_OK ||
            (write == LM_E_DB && !strstr(msg, "data.mdb is damaged")) || !before || !after ||
            len0 != len1 || memcmp(before, after, len0) != 0) {
            fprintf(stderr, "a damaged file was written or not refused clearly: flush %d, write "
                            "%d (%s)\n", (int)flush, (int)write, msg);
            code = 7;
        }
    } else if (!full_check(path, &set1, &loaded1) || loaded1 != loaded0 ||
               set1.count != set0.count ||
               (set0.count &&
                memcmp(set1.hashes, set0.hashes, set0.count * sizeof *set0.hashes) != 0)) {
        fprintf(stderr, "a write to a file that passes the page check lost what it held\n");
        code = 7;
    }
    lm_db_pdq_set_free(&set1); /* zeroed unless loaded */
    lm_db_pdq_set_free(&set0);
    free(before);
    free(after);
    return code != 4 && code != 7 && !full_ok ? code + 8 : code; /* + 8: the writes refused */
}

/* In a child: the persisted index, the pages checked, the intact answers into out. */
static int measure(const char *path, const char *index, const char *file, uint64_t (*out)[SIG])
{
    lm_hashdb *db;
    /* A writable matcher writes the persisted index for the next opens. */
    lm_matcher *m;
    CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_OK);
    lm_matcher_close(m);
    struct stat st;
    CHECK_EQ_INT(stat(index, &st), 0);

    /* 1. Pages checked: a full check (LM_DB_CHECK) against a matcher open and its queries. */
    uint64_t p0 = db_pages_checked();
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_READONLY | LM_DB_CHECK, &db, NULL, 0), LM_OK);
    uint64_t full = db_pages_checked() - p0;
    lm_hashdb_close(db);
    p0 = db_pages_checked();
    CHECK_EQ_INT(lm_matcher_open(path, &m, NULL, 0), LM_OK);
    uint64_t at_open = db_pages_checked() - p0;
    p0 = db_pages_checked();
    run_queries(m, out);
    uint64_t queried = db_pages_checked() - p0;
    lm_matcher_close(m);
    CHECK_EQ_INT(stat(file, &st), 0);
    uint64_t npages = (uint64_t)st.st_size / 4096;
    printf("data.mdb %llu pages; pages checked: full check %llu, matcher open %llu, %d queries "
           "%llu\n",
           (unsigned long long)npages, (unsigned long long)full, (unsigned long long)at_open, NQ,
           (unsigned long long)queried);
    CHECK(full > 100);
    CHECK(at_open <= 160);               /* meta table, directory, list records, not the entries */
    CHECK(queried <= (uint64_t)NQ * 12); /* each lookup: a path from a root to a leaf */
    /* A writable matcher opens as cheaply, answers alike, and its first write (the hit flush)
     * checks every page first. */
    static uint64_t wout[NQ][SIG];
    p0 = db_pages_checked();
    CHECK_EQ_INT(lm_matcher_open_with(path, LM_MATCHER_WRITABLE, &m, NULL, 0), LM_OK);
    uint64_t at_wopen = db_pages_checked() - p0;
    run_queries(m, wout);
    CHECK(memcmp(wout, out, sizeof wout) == 0);
    p0 = db_pages_checked();
    size_t flushed = 0;
    CHECK_EQ_INT(lm_matcher_flush_hits(m, &flushed), LM_OK);
    uint64_t at_flush = db_pages_checked() - p0;
    lm_matcher_close(m);
    printf("writable matcher: open %llu pages, first hit flush %llu (%zu hits)\n",
           (unsigned long long)at_wopen, (unsigned long long)at_flush, flushed);
    CHECK(at_wopen <= 160);
    CHECK(flushed > 0 && at_flush >= full);
    /* The intact answers are what they should be: matches, the disabled ones suppressed. */
    CHECK_EQ_INT((int)out[0][0], LM_OK);
    CHECK(out[0][1] >= 1);
    CHECK(out[NPDQ_QUERIES][1] == 1);          /* blob 0: one digest entry */
    CHECK(out[NPDQ_QUERIES + 3][1] == 0);      /* blob 3 is not in the list */
    CHECK(out[NPDQ_QUERIES + NBLOBS][1] >= 1); /* lm_check of blob 0 */
    {
        uint64_t check_full[NQ][SIG];
        CHECK_EQ_INT(answers(path, 1, check_full), 0);
        CHECK(memcmp(check_full, out, sizeof check_full) == 0);
    }

    fflush(stdout);
    return check_failures;
}

int main(int argc, char **argv)
{
    /* "writable": the trials run the writable path (trial_writable), half as many. */
    int writable = argc > 1 && strcmp(argv[1], "writable") == 0;
    int trials = writable ? TRIALS / 2 : TRIALS;
    uint64_t seed = check_test_seed(writable ? 0xda3a9f : 0xda3a9e);
    char *dir = scratch_dir("mdamaged");
    char path[600], file[700], tmpl[700], index[700], index_tmpl[700], lock[700];
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(file, sizeof file, "%s/data.mdb", path);
    snprintf(tmpl, sizeof tmpl, "%s/template.mdb", dir);
    snprintf(index, sizeof index, "%s/pdq.index", path);
    snprintf(index_tmpl, sizeof index_tmpl, "%s/template.index", dir);
    snprintf(lock, sizeof lock, "%s/lock.mdb", path);

    /* Three PDQ lists, digests of blobs in a fourth, a disabled entry and a disabled list. */
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    int nq = 0;
    for (int l = 0; l < 3; l++) {
        char *text = hdb_random_hex(&seed, 1500);
        for (int i = 0; i < 1500 && nq < NPDQ_QUERIES; i += 200, nq++) {
            for (int k = 0; k < 32; k++) {
                unsigned v;
                sscanf(text + i * 65 + 2 * k, "%2x", &v);
                queries[nq].b[k] = (uint8_t)v;
            }
            if (nq % 3 == 1)
                queries[nq].b[nq % 32] ^= 0x5a; /* near, not equal */
            if (nq % 3 == 2)
                for (int k = 0; k < 32; k++)
                    queries[nq].b[k] = (uint8_t)check_rand(&seed); /* no match */
        }
        lm_db_import_opts o;
        lm_db_import_opts_init(&o);
        char name[16];
        snprintf(name, sizeof name, "list-%d", l);
        o.list = name;
        CHECK_EQ_INT(lm_hashdb_import_memory(db, text, strlen(text), &o, NULL), LM_OK);
        free(text);
    }
    CHECK_EQ_INT(nq, NPDQ_QUERIES);
    for (int i = 0; i < NBLOBS; i++) {
        snprintf(blobs[i], sizeof blobs[i], "blob number %d", i);
        if (i % 4 == 3)
            continue; /* not in the list */
        lm_digests d;
        CHECK_EQ_INT(lm_digest_bytes(blobs[i], strlen(blobs[i]), &d), LM_OK);
        lm_hash_type type = (lm_hash_type)(LM_HASH_MD5 + i % 3);
        lm_db_new_entry e = {.type = type,
                             .hash = type == LM_HASH_MD5    ? d.md5
                                     : type == LM_HASH_SHA1 ? d.sha1
                                                            : d.sha256,
                             .quality = -1,
                             .label = "blob",
                             .reference = "REF-1",
                             .list = "digests"};
        CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_OK);
    }
    uint64_t off_id = 1501; /* the first entry of list-1 */
    CHECK_EQ_INT(lm_hashdb_set_disabled(db, &off_id, 1, 1, NULL), LM_OK);
    lm_db_list_attrs a = {.enabled = 0};
    CHECK_EQ_INT(lm_hashdb_set_list_attrs(db, "list-2", &a, LM_DB_ATTR_ENABLED), LM_OK);
    lm_hashdb_close(db);
    /*
     * Matchers start threads, and a child forked from a process with threads may hang in them:
     * everything with matchers in this process runs in a child; the intact answers come back
     * through shared memory.
     */
    uint64_t(*shared)[SIG] =
        mmap(NULL, sizeof intact, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    fflush(NULL);
    pid_t setup = fork();
    if (setup == 0)
        _exit(measure(path, index, file, shared) ? 1 : 0);
    int setup_status;
    waitpid(setup, &setup_status, 0);
    CHECK(WIFEXITED(setup_status) && WEXITSTATUS(setup_status) == 0);
    memcpy(intact, shared, sizeof intact);
    munmap(shared, sizeof intact);
    struct stat st;
    CHECK_EQ_INT(stat(file, &st), 0);
    hdb_copy_file(file, tmpl);
    hdb_copy_file(index, index_tmpl);
    size_t size = (size_t)st.st_size, psize = 4096;
    int crashed = 0, wrong = 0, refused = 0, written = 0, record_damage = 0, unverified = 0,
        same = 0;
    for (int t = 0; t < trials; t++) {
        hdb_copy_file(tmpl, file);
        if (t % 2)
            unlink(index); /* load from the list and build in memory */
        else
            hdb_copy_file(index_tmpl, index);
        int truncated = t % 10 == 9, flips = t % 4 == 0 ? 1 + (int)(check_rand(&seed) % 6) : 1;
        if (truncated) {
            size_t to = check_rand(&seed) % size;
            if (t % 20 == 9)
                to -= to % psize;
            CHECK_EQ_INT(truncate(file, (off_t)to), 0);
        } else {
            int fd = open(file, O_RDWR);
            CHECK(fd >= 0);
            for (int i = 0; i < flips; i++) {
                /* Every page in turn (so every table's), half the hits in the page header and
                 * node offsets, the rest anywhere in the page. */
                size_t page = (size_t)(t / 2 + i * 7) % (size / psize);
                size_t in = check_rand(&seed) % (t % 3 == 0 ? 64 : psize);
                size_t off = page * psize + in;
                uint8_t b = (uint8_t)check_rand(&seed), cur;
                if (b == 0)
                    b = 0x80;
                if (pread(fd, &cur, 1, (off_t)off) == 1) {
                    cur ^= b;
                    CHECK(pwrite(fd, &cur, 1, (off_t)off) == 1);
                }
            }
            close(fd);
        }
        unlink(lock);
        fflush(NULL);
        int strict = truncated || flips == 1;
        if (getenv("LM_TRIAL_INPROC")) {
            printf("trial %d: %d\n", t,
                   writable ? trial_writable(path, file, strict) : trial(path, strict));
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            alarm(getenv("LM_TRIAL_ALARM") ? atoi(getenv("LM_TRIAL_ALARM")) : 60);
            _exit(writable ? trial_writable(path, file, strict) : trial(path, strict));
        }
        int status;
        waitpid(pid, &status, 0);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (code >= 8 && code <= 14) {
            refused++;
            code -= 8;
        }
        if (code == 7) {
            written++;
            fprintf(stderr, "trial %d (%s): a write reached a damaged file\n", t,
                    truncated ? "truncated" : "flipped");
            continue;
        }
        if (code == 0)
            same++;
        else if (code == 5)
            record_damage++;
        else if (code == 6)
            unverified++;
        if (code == 4) {
            wrong++;
            fprintf(stderr, "trial %d (%s): a wrong answer\n", t,
                    truncated ? "truncated" : "flipped");
        } else if (code != 0 && code != 5 && code != 6) {
            crashed++;
            fprintf(stderr, "trial %d (%s, %d flips): child %s %d\n", t,
                    truncated ? "truncated" : "flipped", flips,
                    WIFSIGNALED(status) ? "killed by signal" : "exited with",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        }
    }
    printf("%d %s trials: %d gave the intact answers or errors, %d answers changed by damaged "
           "record bytes (as after a full check), %d unverifiable (several flips, full check "
           "refused), %d wrong, %d crashes",
           trials, writable ? "writable" : "read-only", same, record_damage, unverified, wrong,
           crashed);
    if (writable)
        printf("; writes refused on %d damaged files, %d written", refused, written);
    printf("\n");
    CHECK_EQ_INT(crashed, 0);
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(written, 0);
    CHECK(!writable || refused > trials / 4);
    if (!check_failures)
        scratch_remove(dir);
    free(dir);
    return check_report("test_matcher_damaged");
}
