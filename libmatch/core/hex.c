/* Hexadecimal form of PDQ hashes, and the Hamming distance between two. */
#include "libmatch.h"

#include "hex.h"
#include "popcount.h"

lm_status lm_pdq_from_hex(const char *hex, size_t len, lm_pdq_hash *out)
{
    if (!hex || !out)
        return LM_E_INVALID_ARG;
    if (len != LM_PDQ_HEX_CHARS)
        return LM_E_PARSE;
    lm_pdq_hash h;
    for (size_t i = 0; i < LM_PDQ_BYTES; i++) {
        int hi = lm_hex_digit(hex[2 * i]), lo = lm_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return LM_E_PARSE;
        h.b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = h;
    return LM_OK;
}

void lm_pdq_to_hex(const lm_pdq_hash *hash, char out[LM_PDQ_HEX_CHARS + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < LM_PDQ_BYTES; i++) {
        out[2 * i] = digits[hash->b[i] >> 4];
        out[2 * i + 1] = digits[hash->b[i] & 15];
    }
    out[LM_PDQ_HEX_CHARS] = '\0';
}

int lm_pdq_distance(const lm_pdq_hash *a, const lm_pdq_hash *b)
{
    return lm_popcount_xor256(a->b, b->b);
}
