/*
 * Minimal test assertions shared by the C tests. A failed CHECK prints the
 * file, line and expression (and the seed, when a test set one) and marks the
 * test failed; the test keeps going so one run shows every failure.
 */
#ifndef LM_TEST_CHECK_H
#define LM_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static uint64_t check_seed;
static int check_seed_set;

/* The exit status of a test whose test data (../shared/testdata) is missing: a failure
 * under CI (CI=true), where the data must be there, else 77 (meson: skipped). */
static inline int check_testdata_missing(const char *path)
{
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0) {
        fprintf(stderr, "test data missing under CI: %s\n", path);
        return 1;
    }
    fprintf(stderr, "test data not found: skipping\n");
    return 77;
}

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);            \
            if (check_seed_set)                                                                 \
                fprintf(stderr, "  (seed %" PRIu64 ", rerun with LM_TEST_SEED=%" PRIu64 ")\n",  \
                        check_seed, check_seed);                                                \
            check_failures++;                                                                   \
        }                                                                                       \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                      \
    do {                                                                                        \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                   \
        if (va_ != vb_) {                                                                       \
            fprintf(stderr, "%s:%d: CHECK_EQ_INT failed: %s == %lld, %s == %lld\n", __FILE__,   \
                    __LINE__, #a, va_, #b, vb_);                                                \
            check_failures++;                                                                   \
        }                                                                                       \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                      \
    do {                                                                                        \
        const char *sa_ = (a), *sb_ = (b);                                                      \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                            \
            fprintf(stderr, "%s:%d: CHECK_EQ_STR failed:\n  %s = \"%s\"\n  %s = \"%s\"\n",      \
                    __FILE__, __LINE__, #a, sa_ ? sa_ : "(null)", #b, sb_ ? sb_ : "(null)");    \
            check_failures++;                                                                   \
        }                                                                                       \
    } while (0)

/* Fixed default seed, overridable with LM_TEST_SEED; printed on failure. */
static inline uint64_t check_test_seed(uint64_t default_seed)
{
    const char *s = getenv("LM_TEST_SEED");
    check_seed = s ? strtoull(s, NULL, 10) : default_seed;
    check_seed_set = 1;
    return check_seed;
}

/* splitmix64: a small, good, reproducible PRNG for test data. */
static inline uint64_t check_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline int check_report(const char *name)
{
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

#endif
