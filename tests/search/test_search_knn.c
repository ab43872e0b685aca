/*
 * k-nearest (index_knn.c) against the brute-force oracle: same hits, same order,
 * for k in {1, 10, 100} and every max_distance 0..256, on random lists and on
 * lists of near-copy clusters (10-20 copies 5-30 bits from a centre, like
 * real lists of re-encodes), with queries that are new copies of a centre,
 * list members, and unrelated hashes.
 * Usage: test_search_knn [list sizes...] (default 1000 20000 100000).
 */
#include <stdlib.h>

#include "check.h"
#include "index.h"
#include "search_data.h"

static const int ks[] = {1, 10, 100};

/* Clusters of 10-20 copies, each 5-30 bits from its centre; centres[0..*nc). */
static void make_clusters(uint64_t *st, lm_pdq_hash *list, size_t n, lm_pdq_hash *centres,
                          size_t max_centres, size_t *nc)
{
    size_t i = 0;
    *nc = 0;
    while (i < n) {
        lm_pdq_hash c;
        data_random_hash(st, &c);
        if (*nc < max_centres)
            centres[(*nc)++] = c;
        size_t fam = 10 + (size_t)(check_rand(st) % 11);
        for (size_t j = 0; j < fam && i < n; j++, i++) {
            list[i] = c;
            data_flip_bits(st, &list[i], 5 + (int)(check_rand(st) % 26));
        }
    }
}

static void check_list(const lm_index *ix, const lm_pdq_hash *list, size_t n, const lm_pdq_hash *qs,
                       size_t nq, const char *what)
{
    lm_search_hit *all = malloc((n + 1) * sizeof *all), got[100];
    CHECK(all != NULL);
    for (size_t j = 0; all && j < nq; j++) {
        size_t m = 0, found = 0;
        int bad = check_failures;
        CHECK(lm_brute_knn(list, n, &qs[j], (int)(n + 1), all, &m) == LM_OK);
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            size_t want = (size_t)ks[ki] < n ? (size_t)ks[ki] : n;
            CHECK(lm_index_knn(ix, &qs[j], ks[ki], got, &found) == LM_OK);
            CHECK(found == want && data_same_hits(got, all, want));
            size_t within = 0;
            for (int d = 0; d <= 256; d++) {
                while (within < m && all[within].distance <= d)
                    within++;
                size_t w = want < within ? want : within;
                for (int sg = LM_SEARCH_AUTO; sg <= LM_SEARCH_SCAN; sg++) {
                    CHECK(lm_index_knn_with(ix, &qs[j], ks[ki], d, (lm_search_strategy)sg, got,
                                            &found) == LM_OK);
                    CHECK_EQ_INT(found, w);
                    CHECK(found == w && data_same_hits(got, all, w));
                }
                if (check_failures != bad) {
                    fprintf(stderr, "  k=%d d=%d\n", ks[ki], d);
                    break;
                }
            }
        }
        if (check_failures != bad)
            fprintf(stderr, "  in %s, n=%zu, isa=%s, query %zu\n", what, n,
                    lm_isa_name(lm_index_isa(ix)), j);
    }
    free(all);
}

static void run(const lm_pdq_hash *list, size_t n, const lm_pdq_hash *qs, size_t nq,
                const char *what)
{
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++) {
        /* every kernel on the small list; the best one on the large */
        if (!lm_cpu_supports((lm_isa)isa) || (n > 10000 && (lm_isa)isa != lm_cpu_isa()))
            continue;
        lm_index *ix = NULL;
        CHECK(lm_index_build_isa(list, n, 2, (lm_isa)isa, &ix) == LM_OK);
        if (ix)
            check_list(ix, list, n, qs, nq, what);
        lm_index_free(ix);
    }
}

int main(int argc, char **argv)
{
    static const size_t default_sizes[] = {1000, 20000, 100000};
    uint64_t seed = check_test_seed(0x6B4E3A21);
    uint64_t st = seed;
    size_t nsizes = argc > 1 ? (size_t)(argc - 1) : sizeof default_sizes / sizeof default_sizes[0];
    enum { NQ = 12 };
    for (size_t si = 0; si < nsizes; si++) {
        size_t n = argc > 1 ? (size_t)strtoull(argv[si + 1], NULL, 10) : default_sizes[si];
        lm_pdq_hash *list = malloc((n + 1) * sizeof *list), centres[NQ], qs[NQ];
        size_t nc = 0;
        CHECK(list != NULL);
        if (!list)
            break;
        data_random(&st, list, n);
        data_queries(&st, list, n, qs, NQ, 40);
        run(list, n, qs, NQ, "random");

        make_clusters(&st, list, n, centres, NQ, &nc);
        for (size_t j = 0; j < NQ; j++) {
            if (j % 3 == 0 && nc > 0) { /* a new copy of a centre */
                qs[j] = centres[j % nc];
                data_flip_bits(&st, &qs[j], 5 + (int)(check_rand(&st) % 26));
            } else if (j % 3 == 1 && n > 0) { /* a member */
                qs[j] = list[check_rand(&st) % n];
            } else {
                data_random_hash(&st, &qs[j]);
            }
        }
        run(list, n, qs, NQ, "clusters");
        printf("n=%zu checked\n", n);
        free(list);
    }
    return check_report("test_search_knn");
}
