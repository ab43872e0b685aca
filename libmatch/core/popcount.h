/* Portable popcount of the XOR of two 256-bit values (the scalar Hamming kernel). */
#ifndef LM_CORE_POPCOUNT_H
#define LM_CORE_POPCOUNT_H

#include <stdint.h>
#include <string.h>

static inline int lm_popcount_xor256(const uint8_t *a, const uint8_t *b)
{
    int d = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x, y;
        memcpy(&x, a + 8 * i, 8);
        memcpy(&y, b + 8 * i, 8);
        d += __builtin_popcountll(x ^ y);
    }
    return d;
}

#endif
