/*
 * lm_index_range_near_miss: the same answer as lm_index_range_with, and a
 * near-miss hint that is never closer than the truth. A scan compares every
 * entry, so its hint is exactly the least distance above the radius (brute
 * force); MIH's is at least that, and equal for an entry whose differing bits
 * sit in a few boxes (it passes the table filters, so it is a candidate).
 * Both strategies, random and clustered lists, radii 0-64, an empty index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "index.h"
#include "search_data.h"

#define N 20000
#define QUERIES 150

/* The least distance above r from q to any of hashes[0..n) (257: none). */
static int brute_beyond(const lm_pdq_hash *hashes, size_t n, const lm_pdq_hash *q, int r)
{
    int best = 257;
    for (size_t i = 0; i < n; i++) {
        int d = lm_pdq_distance(&hashes[i], q);
        if (d > r && d < best)
            best = d;
    }
    return best;
}

static void check_query(const lm_index *ix, const lm_pdq_hash *hashes, size_t n,
                        const lm_pdq_hash *q, int r)
{
    static lm_search_hit a[64], b[64];
    int truth = brute_beyond(hashes, n, q, r);
    for (int s = LM_SEARCH_MIH; s <= LM_SEARCH_SCAN; s++) {
        size_t fa = 0, fb = 0;
        int beyond = -1;
        CHECK_EQ_INT(lm_index_range_with(ix, q, r, (lm_search_strategy)s, a, 64, &fa), LM_OK);
        CHECK_EQ_INT(lm_index_range_near_miss(ix, q, r, (lm_search_strategy)s, b, 64, &fb, &beyond),
                     LM_OK);
        CHECK_EQ_INT((int)fa, (int)fb);
        CHECK(memcmp(a, b, (fa < 64 ? fa : 64) * sizeof *a) == 0);
        CHECK(beyond > r);
        CHECK(beyond >= truth);
        if (s == LM_SEARCH_SCAN)
            CHECK_EQ_INT(beyond, truth);
    }
}

int main(void)
{
    uint64_t st = 0x6e6561726d697373ull;
    lm_pdq_hash *hashes = malloc((N + 2) * sizeof *hashes);
    CHECK(hashes != NULL);
    data_random(&st, hashes, N);
    /* Clustered: every 50th entry starts a family of near-duplicates. */
    for (size_t i = 0; i + 1 < N; i += 50)
        for (size_t j = 1; j < 10; j++) {
            hashes[i + j] = hashes[i];
            data_flip_bits(&st, &hashes[i + j], (int)(j * 3));
        }

    /* The planted near miss: 33 bits off, all in boxes 0-2 (words 0, 1, bit 32). */
    lm_pdq_hash q;
    data_random_hash(&st, &q);
    hashes[N] = q;
    for (int bit = 0; bit < 33; bit++)
        hashes[N].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    hashes[N + 1] = q;
    data_flip_bits(&st, &hashes[N + 1], 45);
    lm_index *ix;
    CHECK_EQ_INT(lm_index_build(hashes, N + 2, 1, &ix), LM_OK);
    for (int s = LM_SEARCH_MIH; s <= LM_SEARCH_SCAN; s++) {
        size_t found = 9;
        int beyond = 0;
        CHECK_EQ_INT(
            lm_index_range_near_miss(ix, &q, 31, (lm_search_strategy)s, NULL, 0, &found, &beyond),
            LM_OK);
        CHECK_EQ_INT((int)found, 0);
        CHECK_EQ_INT(beyond, 33); /* both strategies see it */
        CHECK_EQ_INT(
            lm_index_range_near_miss(ix, &q, 33, (lm_search_strategy)s, NULL, 0, &found, &beyond),
            LM_OK);
        CHECK_EQ_INT((int)found, 1);
        CHECK(beyond >= 45);
    }
    CHECK_EQ_INT(lm_index_range_near_miss(ix, &q, 31, LM_SEARCH_AUTO, NULL, 0, NULL, NULL),
                 LM_E_INVALID_ARG);

    /* Random queries near list entries and far from all, radii 0-64. */
    for (int k = 0; k < QUERIES; k++) {
        lm_pdq_hash qq;
        if (k % 3 == 2) {
            data_random_hash(&st, &qq);
        } else {
            qq = hashes[check_rand(&st) % (N + 2)];
            data_flip_bits(&st, &qq, (int)(check_rand(&st) % 50));
        }
        check_query(ix, hashes, N + 2, &qq, (k * 7) % 65);
    }
    lm_index_free(ix);

    /* An empty index compares nothing. */
    CHECK_EQ_INT(lm_index_build(hashes, 0, 1, &ix), LM_OK);
    size_t found = 1;
    int beyond = 0;
    CHECK_EQ_INT(lm_index_range_near_miss(ix, &q, 31, LM_SEARCH_AUTO, NULL, 0, &found, &beyond),
                 LM_OK);
    CHECK_EQ_INT((int)found, 0);
    CHECK_EQ_INT(beyond, 257);
    lm_index_free(ix);
    free(hashes);
    return check_report("search-near-miss");
}
