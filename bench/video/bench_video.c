/*
 * Video hashing throughput per sampling mode on Meta's sample videos:
 * frames decoded and hashed per second, and seconds of work per minute of video.
 * Every-frame sampling (what vPDQ's reference does) is the baseline of the run; the
 * last column is each mode's CPU-time speed-up over it.
 *
 *   bench-video [DIR_OR_FILES...]   (default: $LM_TESTDATA/video)
 *   LM_BENCH_THREADS=N              decoder threads (default 1)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "video.h"

typedef struct mode {
    const char *name;
    lm_video_sample_mode sampling;
    double interval;
    int scale;
} mode;

static const mode modes[] = {
    {"all (baseline)", LM_VIDEO_SAMPLE_ALL, 0, 0},
    {"all 128x128", LM_VIDEO_SAMPLE_ALL, 0, 128},
    {"interval 1s", LM_VIDEO_SAMPLE_INTERVAL, 1.0, 0},
    {"interval 0.25s", LM_VIDEO_SAMPLE_INTERVAL, 0.25, 0},
    {"keyframes", LM_VIDEO_SAMPLE_KEYFRAMES, 0, 0},
};
#define NMODES (sizeof modes / sizeof modes[0])

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_videos(const char *dir, char **paths, size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".mp4") == 0) {
            size_t need = strlen(dir) + len + 2;
            paths[n] = malloc(need);
            if (paths[n])
                snprintf(paths[n++], need, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    qsort(paths, n, sizeof *paths, cmp_str);
    return n;
}

int main(int argc, char **argv)
{
    char *paths[256];
    size_t n = 0;
    char dir[4096];
    if (argc > 1) {
        for (int i = 1; i < argc && n < 256; i++)
            paths[n++] = strdup(argv[i]);
    } else {
        const char *td = getenv("LM_TESTDATA");
        snprintf(dir, sizeof dir, "%s/video", td ? td : "../shared/testdata");
        n = list_videos(dir, paths, 256);
    }
    if (n == 0) {
        fprintf(stderr, "bench-video: no videos (set LM_TESTDATA or pass files)\n");
        return 1;
    }
    const char *th = getenv("LM_BENCH_THREADS");
    int threads = th ? (int)strtol(th, NULL, 10) : 1;
    if (threads < 1 || threads > 16)
        threads = 1;

    printf("%zu videos, decoder threads %d\n", n, threads);
    /* CPU time is reported beside wall time: on a shared machine it is the stable figure. */
    printf("%-16s %8s %8s %7s %7s %7s %10s %9s %10s %10s\n", "mode", "video_s", "decoded", "hashed",
           "wall_s", "cpu_s", "decoded/s", "hashed/s", "wall_s/min", "cpu_s/min");
    double base_cpu = 0.0;
    for (size_t m = 0; m < NMODES; m++) {
        double video_s = 0.0, wall = 0.0, cpu = 0.0;
        long long decoded = 0, hashed = 0;
        int failures = 0;
        for (size_t i = 0; i < n; i++) {
            lm_video_opts o;
            lm_video_opts_default(&o);
            o.sampling = modes[m].sampling;
            o.interval_seconds = modes[m].interval > 0 ? modes[m].interval : 1.0;
            o.scale_width = o.scale_height = modes[m].scale;
            o.threads = threads;
            lm_vpdq_frames f = {0};
            lm_video_info info;
            lm_errbuf err = {{0}};
            double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            lm_status st = lm_video_hash_file(paths[i], &o, &f, &info, &err);
            wall += clock_s(CLOCK_MONOTONIC) - t0;
            cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (st != LM_OK) {
                failures++;
                fprintf(stderr, "%s: %s\n", paths[i], err.msg);
            }
            video_s += info.duration;
            decoded += info.frames_decoded;
            hashed += (long long)f.n;
            lm_vpdq_frames_free(&f);
        }
        if (m == 0)
            base_cpu = cpu;
        /* Rates per CPU second: what one core sustains. */
        printf("%-16s %8.1f %8lld %7lld %7.2f %7.2f %10.1f %9.1f %10.2f %10.2f  x%.1f%s\n",
               modes[m].name, video_s, decoded, hashed, wall, cpu, decoded / cpu, hashed / cpu,
               60.0 * wall / video_s, 60.0 * cpu / video_s, base_cpu / cpu,
               failures ? "  FAILURES" : "");
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    return 0;
}
