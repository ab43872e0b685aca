/*
 * Synthetic PDQ hash lists for the search tests: uniformly random hashes, and
 * clustered lists made of near-duplicate families (a random centre and
 * members a few bits from it), the shape that stresses hash tables most.
 */
#ifndef LM_TEST_SEARCH_DATA_H
#define LM_TEST_SEARCH_DATA_H

#include "check.h"
#include "index.h"
#include "libmatch.h"

static inline void data_random_hash(uint64_t *st, lm_pdq_hash *h)
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = check_rand(st);
        memcpy(h->b + 8 * i, &v, 8);
    }
}

/* Flips `flips` distinct random bits of h. */
static inline void data_flip_bits(uint64_t *st, lm_pdq_hash *h, int flips)
{
    uint8_t done[256] = {0};
    for (int f = 0; f < flips && f < 256;) {
        unsigned bit = (unsigned)(check_rand(st) % 256);
        if (done[bit])
            continue;
        done[bit] = 1;
        h->b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        f++;
    }
}

static inline void data_random(uint64_t *st, lm_pdq_hash *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        data_random_hash(st, &out[i]);
}

/* Families of 1..max_family members, each 0..max_flips bits from its centre. */
static inline void data_clustered(uint64_t *st, lm_pdq_hash *out, size_t n, int max_family,
                                  int max_flips)
{
    size_t i = 0;
    while (i < n) {
        lm_pdq_hash centre;
        data_random_hash(st, &centre);
        size_t fam = 1 + (size_t)(check_rand(st) % (uint64_t)max_family);
        for (size_t j = 0; j < fam && i < n; j++, i++) {
            out[i] = centre;
            data_flip_bits(st, &out[i], (int)(check_rand(st) % (uint64_t)(max_flips + 1)));
        }
    }
}

/* Queries: even ones 0..max_flips bits from a random list entry, odd ones unrelated. */
static inline void data_queries(uint64_t *st, const lm_pdq_hash *list, size_t n, lm_pdq_hash *q,
                                size_t nq, int max_flips)
{
    for (size_t j = 0; j < nq; j++) {
        if (j % 2 == 0 && n > 0) {
            q[j] = list[check_rand(st) % n];
            data_flip_bits(st, &q[j], (int)(check_rand(st) % (uint64_t)(max_flips + 1)));
        } else {
            data_random_hash(st, &q[j]);
        }
    }
}

/* The same hits in the same order. */
static inline int data_same_hits(const lm_search_hit *a, const lm_search_hit *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].pos != b[i].pos || a[i].distance != b[i].distance)
            return 0;
    return 1;
}

/* Number of oracle hits (all entries, sorted by distance) within r. */
static inline size_t data_count_within(const lm_search_hit *all, size_t n, int r)
{
    size_t m = 0;
    while (m < n && all[m].distance <= r)
        m++;
    return m;
}

/* A test's checks of one list of n hashes, named what. */
typedef void data_list_check(const lm_pdq_hash *list, size_t n, const char *what, uint64_t *st);

/*
 * check on lists of each size (those on the command line, else the ndefaults defaults):
 * uniformly random, then families of up to 64 members within 8 bits, then, when n <=
 * one_family_max (0: never), one family of every entry within 4 bits of one centre (every
 * query near it matches all n: keep it small).
 */
static inline void data_check_sizes(int argc, char **argv, const size_t *defaults, size_t ndefaults,
                                    size_t one_family_max, data_list_check *check, uint64_t *st)
{
    size_t nsizes = argc > 1 ? (size_t)(argc - 1) : ndefaults;
    for (size_t si = 0; si < nsizes; si++) {
        size_t n = argc > 1 ? (size_t)strtoull(argv[si + 1], NULL, 10) : defaults[si];
        lm_pdq_hash *list = malloc((n + 1) * sizeof *list);
        CHECK(list != NULL);
        if (!list)
            break;
        data_random(st, list, n);
        check(list, n, "random", st);
        data_clustered(st, list, n, 64, 8);
        check(list, n, "clustered", st);
        if (one_family_max && n <= one_family_max) {
            data_clustered(st, list, n, (int)(n + 1), 4);
            check(list, n, "one-family", st);
        }
        printf("n=%zu checked\n", n);
        free(list);
    }
}

#endif
