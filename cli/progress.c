#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_init(progress *p, int allowed)
{
    p->enabled = allowed && isatty(STDERR_FILENO);
    p->start = p->last = progress_now();
    p->total = p->base = 0;
}

void progress_set_total(progress *p, uint64_t total)
{
    p->total = total;
}

void progress_update(progress *p, uint64_t done, uint64_t matched, uint64_t failed)
{
    if (!p->enabled)
        return;
    double now = progress_now();
    if (now - p->last < 0.1)
        return;
    p->last = now;
    uint64_t this_run = done > p->base ? done - p->base : 0;
    double rate = now > p->start ? (double)this_run / (now - p->start) : 0.0;
    fprintf(stderr, "\r\033[K%llu files, %llu matched, %llu errors, %.1f files/s",
            (unsigned long long)done, (unsigned long long)matched, (unsigned long long)failed, rate);
    if (p->total && rate > 0) {
        uint64_t left = p->total > done ? p->total - done : 0;
        double secs = (double)left / rate;
        fprintf(stderr, ", %.0f%% of %llu, %d:%02d:%02d left",
                100.0 * (double)(done < p->total ? done : p->total) / (double)p->total,
                (unsigned long long)p->total, (int)(secs / 3600), (int)secs / 60 % 60,
                (int)secs % 60);
    }
    fflush(stderr);
}

void progress_finish(progress *p)
{
    if (p->enabled)
        fputs("\r\033[K", stderr);
}
