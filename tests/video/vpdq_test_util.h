/* Shared by the video tests: locating test data and reading vPDQ files (testdata.h reads
 * whole files). */
#ifndef LM_TEST_VPDQ_UTIL_H
#define LM_TEST_VPDQ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testdata.h"
#include "video.h"
#include "vpdq_text.h"

/* The test data directory, or NULL (after deciding the exit code: 77 skip, 1 under CI). */
static inline const char *vt_testdata(int *exit_code)
{
    const char *d = getenv("LM_TESTDATA");
    char probe[4096];
    if (d) {
        snprintf(probe, sizeof probe, "%s/video", d);
        FILE *f = fopen(probe, "r");
        if (f) {
            fclose(f);
            return d;
        }
    }
    const char *ci = getenv("CI");
    int under_ci = ci && strcmp(ci, "true") == 0;
    fprintf(stderr, "test data not found (LM_TESTDATA=%s)%s\n", d ? d : "(unset)",
            under_ci ? ": failing under CI=true" : ": skipping");
    *exit_code = under_ci ? 1 : 77;
    return NULL;
}

/* Parse a vPDQ text file; returns 0 on success (out must be zeroed), -1 if missing or bad. */
static inline int vt_read_vpdq(const char *path, lm_vpdq_frames *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lm_video_frame fr;
        if (line[0] == '\n')
            continue;
        if (lm_vpdq_parse_line(line, strlen(line), &fr) != LM_OK ||
            lm_vpdq_frames_push(out, &fr) != LM_OK) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

#endif
