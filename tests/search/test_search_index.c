/*
 * The index against the brute-force oracle: same hits, same distances, same
 * order, for range search (both strategies and the automatic choice, several
 * caps) and k-NN, on random and clustered lists, on every ISA this CPU has,
 * single and batch. Usage: test_search_index [list sizes...]
 * (default 0 1 2 1000 100000; the slow suite passes 1000000).
 */
#include <stdlib.h>

#include "check.h"
#include "index.h"
#include "search_data.h"

static const int radii[] = {0, 1, 16, 31, 32, 64};
static const int ks[] = {1, 10, 100};

static void check_query(const lm_index *ix, const lm_pdq_hash *q, const lm_search_hit *all,
                        size_t n, lm_search_hit *got, const char *what, size_t qi)
{
    size_t found = 0;
    int bad = check_failures;
    for (size_t ri = 0; ri < sizeof radii / sizeof radii[0]; ri++) {
        int r = radii[ri];
        size_t want = data_count_within(all, n, r);
        for (int s = LM_SEARCH_AUTO; s <= LM_SEARCH_SCAN; s++) {
            CHECK(lm_index_range_with(ix, q, r, (lm_search_strategy)s, got, n + 1, &found) ==
                  LM_OK);
            CHECK_EQ_INT(found, want);
            CHECK(found == want && data_same_hits(got, all, want));
            /* a small cap keeps the best hits and still counts all */
            CHECK(lm_index_range_with(ix, q, r, (lm_search_strategy)s, got, 3, &found) == LM_OK);
            CHECK_EQ_INT(found, want);
            CHECK(data_same_hits(got, all, want < 3 ? want : 3));
            CHECK(lm_index_range_with(ix, q, r, (lm_search_strategy)s, NULL, 0, &found) == LM_OK);
            CHECK_EQ_INT(found, want);
        }
    }
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
        size_t want = (size_t)ks[ki] < n ? (size_t)ks[ki] : n;
        CHECK(lm_index_knn(ix, q, ks[ki], got, &found) == LM_OK);
        CHECK_EQ_INT(found, want);
        CHECK(found == want && data_same_hits(got, all, want));
    }
    if (check_failures != bad)
        fprintf(stderr, "  in %s, n=%zu, isa=%s, query %zu\n", what, n,
                lm_isa_name(lm_index_isa(ix)), qi);
}

/* Batch calls (two threads) give the same answers as single calls. */
static void check_batch(const lm_index *ix, const lm_pdq_hash *qs, size_t nq)
{
    const size_t cap = 50;
    lm_search_hit *a = malloc(nq * cap * sizeof *a), *b = malloc(cap * sizeof *b);
    size_t *fa = malloc(nq * sizeof *fa), fb;
    CHECK(a && b && fa);
    if (!a || !b || !fa)
        goto out;
    CHECK(lm_index_range_batch(ix, qs, nq, 31, a, cap, fa, 2) == LM_OK);
    for (size_t j = 0; j < nq; j++) {
        CHECK(lm_index_range(ix, &qs[j], 31, b, cap, &fb) == LM_OK);
        CHECK(fa[j] == fb && data_same_hits(a + j * cap, b, fb < cap ? fb : cap));
    }
    CHECK(lm_index_knn_batch(ix, qs, nq, (int)cap, a, fa, 2) == LM_OK);
    for (size_t j = 0; j < nq; j++) {
        CHECK(lm_index_knn(ix, &qs[j], (int)cap, b, &fb) == LM_OK);
        CHECK(fa[j] == fb && data_same_hits(a + j * cap, b, fb));
    }
out:
    free(a);
    free(b);
    free(fa);
}

static void check_list(const lm_pdq_hash *list, size_t n, const char *what, uint64_t *st)
{
    const size_t nq = n >= 100000 ? 16 : 40;
    lm_pdq_hash *qs = malloc((nq + 2) * sizeof *qs);
    lm_search_hit *all = malloc((n + 1) * sizeof *all);
    lm_search_hit *got = malloc((n + 1) * sizeof *got);
    CHECK(qs && all && got);
    if (!qs || !all || !got)
        goto out;
    data_queries(st, list, n, qs, nq, 40);
    data_random_hash(st, &qs[nq]);
    if (n > 0)
        qs[nq + 1] = list[n - 1]; /* exact member */
    else
        data_random_hash(st, &qs[nq + 1]);

    lm_index *ix[LM_ISA_AVX512 + 1] = {0};
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++) {
        if (!lm_cpu_supports((lm_isa)isa))
            continue;
        CHECK(lm_index_build_isa(list, n, 2, (lm_isa)isa, &ix[isa]) == LM_OK);
        CHECK_EQ_INT(lm_index_count(ix[isa]), n);
        CHECK(lm_index_memory_bytes(ix[isa]) >= n * sizeof(lm_pdq_hash));
    }
    for (size_t j = 0; j < nq + 2; j++) {
        size_t m = 0;
        CHECK(lm_brute_knn(list, n, &qs[j], (int)(n + 1), all, &m) == LM_OK);
        CHECK_EQ_INT(m, n);
        for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++)
            if (ix[isa])
                check_query(ix[isa], &qs[j], all, n, got, what, j);
    }
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++)
        if (ix[isa])
            check_batch(ix[isa], qs, nq + 2);
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++)
        lm_index_free(ix[isa]);
out:
    free(qs);
    free(all);
    free(got);
}

/* The oracle agrees with itself: range is the knn prefix within r. */
static void check_oracle(uint64_t *st)
{
    lm_pdq_hash list[500], q;
    lm_search_hit a[501], b[501];
    size_t fa, fb;
    data_clustered(st, list, 500, 20, 6);
    q = list[17];
    CHECK(lm_brute_knn(list, 500, &q, 501, a, &fa) == LM_OK);
    CHECK(lm_brute_range(list, 500, &q, 31, b, 501, &fb) == LM_OK);
    CHECK(fb == data_count_within(a, fa, 31) && data_same_hits(a, b, fb));
    CHECK(fb >= 1 && b[0].distance == 0);
    for (size_t i = 1; i < fa; i++)
        CHECK(a[i - 1].distance < a[i].distance ||
              (a[i - 1].distance == a[i].distance && a[i - 1].pos < a[i].pos));
}

static void check_args(void)
{
    lm_index *ix = NULL;
    lm_pdq_hash h = {{0}};
    lm_search_hit hit;
    size_t f;
    CHECK(lm_index_build(NULL, 1, 1, &ix) == LM_E_INVALID_ARG && ix == NULL);
    CHECK(lm_index_build(&h, 1, 1, NULL) == LM_E_INVALID_ARG);
    CHECK(lm_index_build(&h, 1, 1, &ix) == LM_OK);
    CHECK(lm_index_range(ix, &h, -1, &hit, 1, &f) == LM_E_INVALID_ARG);
    CHECK(lm_index_range(ix, &h, 257, &hit, 1, &f) == LM_E_INVALID_ARG);
    CHECK(lm_index_range(ix, NULL, 31, &hit, 1, &f) == LM_E_INVALID_ARG);
    CHECK(lm_index_range(ix, &h, 31, NULL, 1, &f) == LM_E_INVALID_ARG);
    CHECK(lm_index_knn(ix, &h, -1, &hit, &f) == LM_E_INVALID_ARG);
    CHECK(lm_index_knn(ix, &h, 0, NULL, &f) == LM_OK && f == 0);
    CHECK(lm_index_range(ix, &h, 0, &hit, 1, &f) == LM_OK && f == 1 && hit.pos == 0);
    CHECK(lm_index_isa(ix) == lm_cpu_isa());
    lm_index_free(ix);
    lm_index_free(NULL);
}

int main(int argc, char **argv)
{
    static const size_t default_sizes[] = {0, 1, 2, 1000, 100000};
    uint64_t seed = check_test_seed(0x1D3C5EA7);
    uint64_t st = seed;
    check_args();
    check_oracle(&st);

    data_check_sizes(argc, argv, default_sizes, sizeof default_sizes / sizeof default_sizes[0],
                     100000, check_list, &st);
    return check_report("test_search_index");
}
