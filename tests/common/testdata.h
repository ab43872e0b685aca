/* Locating and reading Meta's test data: skip (77) when absent, fail when CI=true. */
#ifndef LM_TEST_TESTDATA_H
#define LM_TEST_TESTDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "file_read.h"

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

/* The file at path read whole (at most 2 GiB) into a malloc'ed buffer; NULL when it cannot
 * be read. */
static inline uint8_t *testdata_read(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    lm_errbuf err = {{0}};
    *len = 0;
    return lm_read_file(path, UINT64_C(1) << 31, &data, len, &err) == LM_OK ? data : NULL;
}

/* Each of the n files (paths under $LM_TESTDATA) read whole, at most 64 MiB, into data[i]
 * and len[i]: 0, or the exit status of a test whose data is missing (check_testdata_missing). */
static inline int testdata_read_all(const char **files, int n, uint8_t **data, size_t *len)
{
    const char *td = getenv("LM_TESTDATA");
    char path[1024];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", td ? td : "", files[i]);
        lm_errbuf err = {{0}};
        if (!td || lm_read_file(path, 1 << 26, &data[i], &len[i], &err) != LM_OK)
            return check_testdata_missing(path);
    }
    return 0;
}

#endif
