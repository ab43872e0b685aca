#include "list_refresh.h"

#include <stdio.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void list_refresh_init(list_refresh *r, double every, const char *cmd, const char *db_path)
{
    r->every = every;
    r->last = now_s();
    r->cmd = cmd;
    r->db_path = db_path;
    r->damage_told = 0;
}

void list_report_damage(list_refresh *r)
{
    if (r->damage_told || !r->db_path)
        return;
    r->damage_told = 1;
    lm_db *db = NULL;
    lm_status st = lm_db_open(r->db_path, LM_DB_READONLY | LM_DB_CHECK, &db);
    if (st == LM_E_DB)
        fprintf(stderr, "%s: %s (run 'pmatch db verify')\n", r->cmd, lm_db_last_error(db));
    else
        fprintf(stderr, "%s: the hash list %s has a damaged record (run 'pmatch db verify')\n",
                r->cmd, r->db_path);
    lm_db_close(db);
}

void list_refresh_tick(list_refresh *r, lm_matcher *m)
{
    if (r->every <= 0 || now_s() - r->last < r->every)
        return;
    uint64_t before = lm_matcher_generation(m);
    int changed = 0;
    double t0 = now_s();
    lm_status st = lm_matcher_refresh(m, &changed);
    r->last = now_s();
    if (st != LM_OK)
        fprintf(stderr, "%s: list refresh failed (still matching against generation %llu): %s\n",
                r->cmd, (unsigned long long)before, lm_strerror(st));
    else if (changed)
        fprintf(stderr, "%s: list refreshed: generation %llu -> %llu, %zu PDQ hashes, %.2f s\n",
                r->cmd, (unsigned long long)before, (unsigned long long)lm_matcher_generation(m),
                lm_matcher_size(m), r->last - t0);
}

void list_flush_hits(list_refresh *r, lm_matcher *m, unsigned long long hits)
{
    size_t n = 0;
    lm_status st = lm_matcher_flush_hits(m, &n);
    if (st == LM_E_UNSUPPORTED && hits)
        fprintf(stderr, "%s: warning: hit counters not saved: the hash list is read-only\n",
                r->cmd);
    else if (st != LM_OK && st != LM_E_UNSUPPORTED)
        fprintf(stderr, "%s: warning: hit counters not saved: %s\n", r->cmd, lm_strerror(st));
    if (st == LM_E_DB)
        list_report_damage(r);
}
