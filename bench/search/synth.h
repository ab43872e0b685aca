/*
 * Synthetic lists and queries shared by bench-search and bench-faiss, so both
 * measure the same data: half the list uniformly random hashes, half
 * near-duplicate families (random centre, members 0..max_flips bits away);
 * queries alternate between 0..40 bits from a random list entry and
 * unrelated random hashes. Deterministic for a given seed.
 */
#ifndef LM_BENCH_SEARCH_SYNTH_H
#define LM_BENCH_SEARCH_SYNTH_H

#include <stdint.h>
#include <string.h>

#include "libmatch.h"

static inline uint64_t synth_rand(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void synth_hash(uint64_t *st, lm_pdq_hash *h)
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = synth_rand(st);
        memcpy(h->b + 8 * i, &v, 8);
    }
}

/* Flips `flips` distinct random bits. */
static inline void synth_flip(uint64_t *st, lm_pdq_hash *h, int flips)
{
    uint64_t done[4] = {0, 0, 0, 0};
    for (int f = 0; f < flips && f < 256;) {
        unsigned bit = (unsigned)(synth_rand(st) & 255);
        if (done[bit / 64] >> (bit % 64) & 1)
            continue;
        done[bit / 64] |= 1ull << (bit % 64);
        h->b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        f++;
    }
}

static inline void synth_list(uint64_t seed, lm_pdq_hash *out, size_t n, int max_family,
                              int max_flips)
{
    uint64_t st = seed;
    size_t half = n / 2, i;
    for (i = 0; i < half; i++)
        synth_hash(&st, &out[i]);
    while (i < n) {
        lm_pdq_hash centre;
        synth_hash(&st, &centre);
        size_t fam = 1 + (size_t)(synth_rand(&st) % (uint64_t)max_family);
        for (size_t j = 0; j < fam && i < n; j++, i++) {
            out[i] = centre;
            synth_flip(&st, &out[i], (int)(synth_rand(&st) % (uint64_t)(max_flips + 1)));
        }
    }
}

static inline void synth_queries(uint64_t seed, const lm_pdq_hash *list, size_t n, lm_pdq_hash *q,
                                 size_t nq)
{
    uint64_t st = seed ^ 0x51ED2700ull;
    for (size_t j = 0; j < nq; j++) {
        if (j % 2 == 0 && n > 0) {
            q[j] = list[synth_rand(&st) % n];
            synth_flip(&st, &q[j], (int)(synth_rand(&st) % 41));
        } else {
            synth_hash(&st, &q[j]);
        }
    }
}

#endif
