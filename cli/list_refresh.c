#include "list_refresh.h"

#include <stdio.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void list_refresh_init(list_refresh *r, double every, const char *cmd)
{
    r->every = every;
    r->last = now_s();
    r->cmd = cmd;
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

void list_flush_hits(lm_matcher *m, const char *cmd, unsigned long long hits)
{
    size_t n = 0;
    lm_status st = lm_matcher_flush_hits(m, &n);
    if (st == LM_E_UNSUPPORTED && hits)
        fprintf(stderr, "%s: warning: hit counters not saved: the hash list is read-only\n", cmd);
    else if (st != LM_OK && st != LM_E_UNSUPPORTED)
        fprintf(stderr, "%s: warning: hit counters not saved: %s\n", cmd, lm_strerror(st));
}
