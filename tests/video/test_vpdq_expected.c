/*
 * Every-frame vPDQ hashes of Meta's sample videos against the reference output
 * (the vpdq-expected text files, native size and 128x128), frame by frame: identical
 * frames are counted and no frame may be further than the reference's own
 * tolerance of 10 bits.
 */
#include <dirent.h>

#include "check.h"
#include "vpdq_test_util.h"

#define TOLERANCE 10

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t all_frames, all_same;

/* Returns the share of identical frames (0..1), or -1 when there is no expected file. */
static double compare(const char *dir, const char *stem, int scale, lm_video_scaler scaler)
{
    char vpath[4096], epath[4096];
    snprintf(vpath, sizeof vpath, "%s/video/%s.mp4", dir, stem);
    snprintf(epath, sizeof epath, "%s/vpdq-expected/%s%s.txt", dir, stem, scale ? "-128x128" : "");
    lm_vpdq_frames want = {0}, got = {0};
    if (vt_read_vpdq(epath, &want) != 0) {
        printf("%-30s %-7s (no expected file)\n", stem, scale ? "128x128" : "native");
        lm_vpdq_frames_free(&want);
        return -1.0;
    }
    lm_video_opts o;
    lm_video_opts_default(&o);
    o.scale_width = o.scale_height = scale;
    o.scaler = scaler;
    lm_errbuf err = {{0}};
    lm_status st = lm_video_hash_file(vpath, &o, &got, NULL, &err);
    CHECK_EQ_INT(st, LM_OK);
    if (st != LM_OK)
        fprintf(stderr, "%s: %s\n", stem, err.msg);
    CHECK_EQ_INT(got.n, want.n);

    size_t n = got.n < want.n ? got.n : want.n, same = 0, ts_same = 0;
    int worst = 0;
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        int d = lm_pdq_distance(&got.v[i].pdq, &want.v[i].pdq);
        CHECK_EQ_INT(got.v[i].frame_number, want.v[i].frame_number);
        same += d == 0;
        total += d;
        if (d > worst)
            worst = d;
        char a[LM_VPDQ_LINE_MAX], b[LM_VPDQ_LINE_MAX];
        lm_vpdq_format_line(&got.v[i], a, sizeof a);
        lm_vpdq_format_line(&want.v[i], b, sizeof b);
        ts_same += strcmp(strrchr(a, ','), strrchr(b, ',')) == 0;
    }
    size_t diff = n - same;
    printf("%-30s %-7s %-5s frames %4zu/%4zu identical %4zu (%5.1f%%) differing %3zu: mean %.2f"
           " max %2d bits; timestamps equal %zu\n",
           stem, scale ? "128x128" : "native", scaler == LM_VIDEO_SCALER_AREA ? "area" : "exact",
           got.n, want.n, same, n ? 100.0 * same / n : 0.0, diff, diff ? (double)total / diff : 0.0,
           worst, ts_same);
    lm_vpdq_frames_free(&want);
    lm_vpdq_frames_free(&got);
    if (scaler == LM_VIDEO_SCALER_AREA)
        return n ? (double)same / n : 0.0; /* informational only */
    CHECK(worst <= TOLERANCE);
    CHECK(n > 0 && same * 2 >= n); /* at least half of every video's frames bit-identical */
    all_frames += n;
    all_same += same;
    return n ? (double)same / n : 0.0;
}

int main(void)
{
    int code;
    const char *dir = vt_testdata(&code);
    if (!dir)
        return code;
    char vdir[4096];
    snprintf(vdir, sizeof vdir, "%s/video", dir);
    DIR *d = opendir(vdir);
    CHECK(d != NULL);
    if (!d)
        return check_report("vpdq-expected");
    char *names[256];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 256) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".mp4") == 0)
            names[nn++] = strndup(e->d_name, len - 4);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str);
    CHECK(nn > 0);
    for (size_t i = 0; i < nn; i++) {
        for (int scale = 0; scale <= 128; scale += 128) {
            /* A file made by the reference's newer SWS_AREA code: show that scaler too. */
            double share = compare(dir, names[i], scale, LM_VIDEO_SCALER_EXACT);
            if (share >= 0.0 && share < 0.9)
                compare(dir, names[i], scale, LM_VIDEO_SCALER_AREA);
        }
        free(names[i]);
    }
    printf("overall (exact scaler): %zu of %zu frames identical (%.1f%%)\n", all_same, all_frames,
           all_frames ? 100.0 * all_same / all_frames : 0.0);
    CHECK(all_same * 10 >= all_frames * 9);
    return check_report("vpdq-expected");
}
