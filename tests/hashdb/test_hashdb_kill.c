/*
 * A killed import leaves the list as it was: a child process imports a large
 * list (replacing the previous one) and is SIGKILLed at several points in
 * time; the database must then open, verify clean, and hold either the old
 * list or the complete new one, and accept the next import.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "hdb_test.h"

#define BIG 200000

static char *export_list(lm_hashdb *db, const char *list)
{
    lm_status st;
    char *s = hdb_export(db, LM_DB_FORMAT_HEX, list, &st);
    CHECK_EQ_INT(st, LM_OK);
    return s;
}

static lm_status import_replace(lm_hashdb *db, const char *text)
{
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = "L";
    o.replace = 1;
    o.format = LM_DB_FORMAT_HEX;
    return lm_hashdb_import_memory(db, text, strlen(text), &o, NULL);
}

int main(void)
{
    uint64_t seed = check_test_seed(0xdead);
    char *dir = scratch_dir("kill");
    char path[600];
    snprintf(path, sizeof path, "%s/db", dir);
    char *small = hdb_random_hex(&seed, 2000);
    char *big[2] = {hdb_random_hex(&seed, BIG), hdb_random_hex(&seed, BIG)};

    lm_hashdb *db;
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_CREATE, &db, NULL, 0), LM_OK);
    CHECK_EQ_INT(import_replace(db, small), LM_OK);
    lm_hashdb_close(db);

    /* How long does a whole import take here? Spread the kills over it. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    CHECK_EQ_INT(import_replace(db, big[1]), LM_OK);
    CHECK_EQ_INT(import_replace(db, small), LM_OK);
    lm_hashdb_close(db);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long full_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    full_us /= 2;
    printf("one import of %d hashes: about %ld ms\n", BIG, full_us / 1000);

    const char *current = small;
    int killed_midway = 0, completed = 0;
    for (int trial = 0; trial < 12; trial++) {
        const char *next = big[trial % 2];
        long delay = trial < 10 ? full_us * trial / 9 : full_us * 2;
        if (trial == 0)
            delay = 500;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            lm_hashdb *c;
            if (lm_hashdb_open(path, LM_DB_WRITE, &c, NULL, 0) != LM_OK)
                _exit(3);
            lm_status st = import_replace(c, next);
            lm_hashdb_close(c);
            _exit(st == LM_OK ? 0 : 4);
        }
        struct timespec d = {delay / 1000000, (delay % 1000000) * 1000};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(!WIFEXITED(status) || WEXITSTATUS(status) == 0);

        char err[256] = "";
        lm_status st = lm_hashdb_open(path, LM_DB_WRITE | LM_DB_CHECK, &db, err, sizeof err);
        CHECK_EQ_INT(st, LM_OK);
        if (st != LM_OK) {
            fprintf(stderr, "trial %d: %s\n", trial, err);
            break;
        }
        CHECK_EQ_INT(hdb_problems(db), 0);
        char *now = export_list(db, "L");
        int old = strcmp(now, current) == 0, new = strcmp(now, next) == 0;
        CHECK(old || new);
        if (!old && !new)
            fprintf(stderr, "trial %d (kill after %ld us): list is neither old nor new\n", trial,
                    delay);
        if (new) {
            completed++;
            current = next;
        } else {
            killed_midway++;
        }
        free(now);
        lm_hashdb_close(db);
    }
    printf("%d imports killed midway (list unchanged), %d completed before the kill\n",
           killed_midway, completed);
    CHECK(killed_midway >= 3);

    /* After all that, the writer lock is free and a normal import works. */
    CHECK_EQ_INT(lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0), LM_OK);
    CHECK_EQ_INT(import_replace(db, small), LM_OK);
    char *now = export_list(db, "L");
    CHECK_EQ_STR(now, small);
    free(now);
    lm_hashdb_close(db);

    free(small);
    free(big[0]);
    free(big[1]);
    if (!check_failures)
        scratch_remove(dir);
    free(dir);
    return check_report("test_hashdb_kill");
}
