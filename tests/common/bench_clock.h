/* Clocks for benches: wall time, and CPU time robust to preemption on a busy machine. */
#ifndef LM_TEST_BENCH_CLOCK_H
#define LM_TEST_BENCH_CLOCK_H

#include <time.h>

static inline double bench_clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds on the monotonic wall clock. */
static inline double bench_wall_s(void)
{
    return bench_clock_s(CLOCK_MONOTONIC);
}

/* CPU seconds of the calling thread. */
static inline double bench_thread_cpu_s(void)
{
    return bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* CPU seconds of the whole process (every thread). */
static inline double bench_process_cpu_s(void)
{
    return bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

#endif
