/* Every compiled Hamming kernel gives exactly the scalar (specification) results. */
#include <stdlib.h>

#include "check.h"
#include "hamming.h"
#include "search_data.h"

#define N 300

static void check_isa(const lm_ham_kernels *k, uint64_t *st)
{
    const lm_ham_kernels *ref = &lm_ham_scalar;
    lm_pdq_hash base[N], q;
    uint32_t pos[N];
    data_random(st, base, N);
    data_random_hash(st, &q);
    base[3] = q; /* distance 0 */
    for (int i = 0; i < 32; i++)
        base[4].b[i] = (uint8_t)~q.b[i]; /* distance 256 */
    for (size_t i = 0; i < N; i++)
        pos[i] = (uint32_t)(check_rand(st) % N);

    for (size_t n = 0; n <= N; n += (n < 70 ? 1 : 37)) {
        uint16_t a[N], b[N];
        ref->dist_many(&q, base, n, a);
        k->dist_many(&q, base, n, b);
        CHECK(memcmp(a, b, n * sizeof a[0]) == 0);
        ref->dist_gather(&q, base, pos, n, a);
        k->dist_gather(&q, base, pos, n, b);
        CHECK(memcmp(a, b, n * sizeof a[0]) == 0);
        for (size_t i = 0; i < n; i++)
            CHECK_EQ_INT(a[i], lm_pdq_distance(&q, &base[pos[i]]));
    }

    uint16_t v[N];
    for (size_t i = 0; i < N; i++)
        v[i] = (uint16_t)check_rand(st);
    uint16_t key = (uint16_t)check_rand(st);
    v[7] = key;
    v[8] = (uint16_t)~key;
    /* every band (lo, hi], lo = -1 included, at every length and a varying base */
    for (size_t n = 0; n <= N; n += (n < 70 ? 1 : 41))
        for (int lo = -2; lo <= 17; lo++)
            for (int hi = -1; hi <= 17; hi++) {
                uint32_t oa[N], ob[N], at = (uint32_t)(n * 7919 + (size_t)lo * 31);
                size_t ma = ref->filter16(v, n, key, lo, hi, at, oa);
                size_t mb = k->filter16(v, n, key, lo, hi, at, ob);
                CHECK_EQ_INT(ma, mb);
                CHECK(ma == mb && memcmp(oa, ob, ma * sizeof oa[0]) == 0);
                size_t want = 0; /* the specification, spelled out */
                for (size_t i = 0; i < n; i++) {
                    int d = __builtin_popcount((unsigned)(v[i] ^ key));
                    want += d > lo && d <= hi;
                }
                CHECK_EQ_INT(ma, want);
                for (size_t i = 0; i < ma; i++)
                    CHECK(oa[i] >= at && oa[i] - at < n);
            }
}

int main(void)
{
    uint64_t st = check_test_seed(0x5EA4C401);
    for (int isa = LM_ISA_SCALAR; isa <= LM_ISA_AVX512; isa++) {
        const lm_ham_kernels *k = lm_ham_kernels_for((lm_isa)isa);
        if (!k) {
            printf("hamming: %s not available, skipped\n", lm_isa_name((lm_isa)isa));
            continue;
        }
        CHECK_EQ_INT(k->isa, isa);
        check_isa(k, &st);
        printf("hamming: %s checked\n", lm_isa_name((lm_isa)isa));
    }
    CHECK(lm_ham_kernels_best()->isa == lm_cpu_isa());
    return check_report("test_hamming");
}
