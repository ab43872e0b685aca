/*
 * A damaged database must give errors, never a crash: flip bytes of data.mdb
 * at random offsets (fixed seed) and run every reading call, then writes, in
 * a child process, on handles opened without LM_DB_CHECK (checked reads; the first
 * write checks every page) and with it; the child must exit normally (not by a
 * signal) in time.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hdb_test.h"

#define TRIALS 200

static void sink(void *ctx, const char *p)
{
    (void)ctx;
    (void)p;
}

/* Everything a reader or writer might do; the result codes do not matter, surviving does. */
/* Without the full page check at open, verify and the bulk load must still be safe. */
static int verify_only(const char *path)
{
    lm_hashdb *db;
    if (lm_hashdb_open(path, LM_DB_READONLY, &db, NULL, 0) != LM_OK)
        return 0;
    uint64_t problems = 0;
    lm_hashdb_verify(db, sink, NULL, &problems);
    lm_db_pdq_set set;
    if (lm_hashdb_load_pdq(db, &set) == LM_OK)
        lm_db_pdq_set_free(&set);
    lm_hashdb_close(db);
    return problems ? 1 : 0;
}

/* The point and range reads of an open without LM_DB_CHECK (each checks the pages it reads),
 * before anything checks the whole file. */
static void checked_reads(lm_hashdb *db)
{
    lm_entry_info page[8];
    size_t n;
    uint64_t next;
    lm_hashdb_list_entries(db, NULL, 0, page, 8, &n, &next);
    lm_hashdb_list_entries(db, "list-1", 500, page, 8, &n, &next);
    lm_hashdb_list_entries(db, "digests", 0, page, 8, &n, &next);
    for (uint64_t id = 1; id < 3000; id += 61) {
        lm_db_companion c[4];
        lm_hashdb_entry_companions(db, id, c, 4, &n);
        lm_db_frame *frames = NULL;
        if (lm_hashdb_get_video(db, id, &frames, &n) == LM_OK)
            free(frames);
        int dis;
        lm_hashdb_is_disabled(db, id, &dis);
    }
    lm_db_list_attrs a;
    lm_hashdb_get_list_attrs(db, 2, &a);
    lm_db_hit_row *rows = NULL;
    if (lm_hashdb_hit_report(db, NULL, &rows, &n) == LM_OK)
        free(rows);
}

/* checked: open without LM_DB_CHECK (checked reads; a write checks every page first). */
static int exercise(const char *path, int write, int checked)
{
    lm_hashdb *db;
    char err[256];
    unsigned flags = (write ? LM_DB_WRITE : LM_DB_READONLY) | (checked ? 0 : LM_DB_CHECK);
    if (lm_hashdb_open(path, flags, &db, err, sizeof err) != LM_OK)
        return 0;
    if (checked)
        checked_reads(db);
    uint64_t problems;
    lm_hashdb_verify(db, sink, NULL, &problems);
    FILE *devnull = fopen("/dev/null", "w");
    lm_db_export_opts o;
    lm_db_export_opts_init(&o);
    for (int f = LM_DB_FORMAT_HEX; f <= LM_DB_FORMAT_TSV; f++) {
        o.format = (lm_db_format)f;
        lm_hashdb_export(db, devnull, &o, NULL);
    }
    fclose(devnull);
    lm_db_pdq_set set;
    if (lm_hashdb_load_pdq(db, &set) == LM_OK)
        lm_db_pdq_set_free(&set);
    lm_db_stats s;
    if (lm_hashdb_stats(db, &s) == LM_OK)
        lm_db_stats_free(&s);
    lm_entry_info info;
    for (uint64_t id = 1; id < 3000; id += 97)
        lm_hashdb_get_entry(db, id, &info);
    uint8_t h[32] = {0};
    uint64_t ids[4];
    size_t found;
    lm_hashdb_lookup(db, LM_HASH_PDQ, h, 32, ids, 4, &found);
    size_t nl;
    lm_db_list_info li[4];
    lm_hashdb_lists(db, li, 4, &nl);
    if (write) {
        lm_db_hit_delta hit = {.entry_id = 3, .day = 20000, .count = 2};
        lm_hashdb_add_hits(db, &hit, 1, 90, NULL);
        uint64_t seed = 7;
        char *text = hdb_random_hex(&seed, 50);
        lm_db_import_opts io;
        lm_db_import_opts_init(&io);
        io.list = "list-1";
        lm_hashdb_import_memory(db, text, strlen(text), &io, NULL);
        free(text);
        lm_hashdb_remove(db, 5);
    }
    lm_hashdb_close(db);
    return 0;
}

int main(void)
{
    uint64_t seed = check_test_seed(0xc0ffee);
    char *dir = scratch_dir("corrupt");
    char path[600], tmpl[700], file[700];
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(tmpl, sizeof tmpl, "%s/template.mdb", dir);
    snprintf(file, sizeof file, "%s/data.mdb", path);

    /* A few thousand entries of every type in several lists: many pages of every kind. */
    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    for (int l = 0; l < 3; l++) {
        char *text = hdb_random_hex(&seed, 800);
        lm_db_import_opts o;
        lm_db_import_opts_init(&o);
        char name[16];
        snprintf(name, sizeof name, "list-%d", l);
        o.list = name;
        o.source = "test";
        CHECK_EQ_INT(lm_hashdb_import_memory(db, text, strlen(text), &o, NULL), LM_OK);
        free(text);
    }
    for (int i = 0; i < 300; i++) {
        uint8_t h[32];
        for (int k = 0; k < 32; k++)
            h[k] = (uint8_t)check_rand(&seed);
        lm_db_new_entry e = {.type = (lm_hash_type)(2 + i % 3),
                             .hash = h,
                             .quality = -1,
                             .label = "some label",
                             .reference = "REF-000123",
                             .list = "digests"};
        CHECK_EQ_INT(lm_hashdb_add(db, &e, NULL), LM_OK);
    }
    lm_hashdb_close(db);
    hdb_copy_file(file, tmpl);
    struct stat st;
    CHECK_EQ_INT(stat(tmpl, &st), 0);
    size_t size = (size_t)st.st_size;

    int crashed = 0, opened_bad = 0, detected = 0;
    for (int t = 0; t < TRIALS; t++) {
        hdb_copy_file(tmpl, file);
        int fd = open(file, O_RDWR);
        int flips = 1 + (int)(check_rand(&seed) % 8);
        for (int i = 0; i < flips; i++) {
            /* Bias a third of the hits to the first pages (meta, roots). */
            size_t off = check_rand(&seed) % (t % 3 == 0 ? (size < 16384 ? size : 16384) : size);
            uint8_t b = (uint8_t)check_rand(&seed);
            if (b == 0)
                b = 0xff;
            uint8_t cur;
            if (pread(fd, &cur, 1, (off_t)off) == 1) {
                cur ^= b;
                if (pwrite(fd, &cur, 1, (off_t)off) != 1)
                    CHECK(0);
            }
        }
        close(fd);
        char lock[700];
        snprintf(lock, sizeof lock, "%s/lock.mdb", path);
        unlink(lock);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20);
            int found = verify_only(path);
            exercise(path, 0, 1);
            exercise(path, 1, 1);
            exercise(path, 0, 0);
            exercise(path, 1, 0);
            _exit(found ? 3 : 0);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
            detected++;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            crashed++;
            fprintf(stderr, "trial %d (%d flips): child %s %d\n", t, flips,
                    WIFSIGNALED(status) ? "killed by signal" : "exited with",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            char keep[800];
            snprintf(keep, sizeof keep, "%s/crash-%d.mdb", dir, t);
            hdb_copy_file(tmpl, keep); /* the seed reproduces the flips */
        }
        (void)opened_bad;
    }
    CHECK_EQ_INT(crashed, 0);
    /* Most flips land in live pages; some in slack space that nothing reads. */
    printf("%d trials: %d damaged files reported by verify, %d crashes\n", TRIALS, detected,
           crashed);
    CHECK(detected > TRIALS / 4);
    if (!check_failures)
        scratch_remove(dir);
    free(dir);
    return check_report("test_hashdb_corrupt");
}
