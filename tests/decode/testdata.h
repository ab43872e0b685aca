/* Locating Meta's test data: skip (77) when absent, fail when CI=true. */
#ifndef LM_TEST_DECODE_TESTDATA_H
#define LM_TEST_DECODE_TESTDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Returns the testdata dir, or exits 77 (skip) / 1 (CI) when it is missing. */
static inline const char *testdata_dir_or_skip(const char *name)
{
    const char *d = getenv("LM_TESTDATA");
    struct stat st;
    if (d && stat(d, &st) == 0 && S_ISDIR(st.st_mode))
        return d;
    const char *ci = getenv("CI");
    fprintf(stderr, "%s: test data not found (LM_TESTDATA=%s)\n", name, d ? d : "(unset)");
    exit(ci && strcmp(ci, "true") == 0 ? 1 : 77);
}

#endif
