/* libFuzzer harness: hash text parsing (lm_pdq_from_hex, lm_db_hash_parse, lm_db_text_ok). */
#include <string.h>

#include "fuzz_common.h"
#include "hashdb.h"
#include "libmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    lm_pdq_hash h;
    if (lm_pdq_from_hex((const char *)data, size, &h) == LM_OK) {
        char hex[LM_PDQ_HEX_CHARS + 1];
        lm_pdq_to_hex(&h, hex);
    }
    uint8_t out[LM_DB_MAX_HASH_BYTES];
    char why[160];
    for (int forced = 0; forced <= 4; forced++) {
        lm_hash_type t;
        size_t n = 0;
        (void)lm_db_hash_parse((const char *)data, size, (lm_hash_type)forced, &t, out, &n, why,
                               sizeof why);
    }
    (void)lm_db_text_ok((const char *)data, size, LM_DB_MAX_REFERENCE);
    return 0;
}
