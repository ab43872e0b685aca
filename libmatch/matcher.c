/* Placeholder matcher until the hash list and the index land; keeps the tree building. */
#include <string.h>

#include "libmatch.h"

void lm_check_options_init(lm_check_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->max_distance = LM_DEFAULT_MAX_DISTANCE;
    opts->min_quality = LM_DEFAULT_MIN_QUALITY;
}

lm_status lm_matcher_open(const char *db_path, lm_matcher **out, char *errbuf, size_t errbuf_size)
{
    *out = NULL;
    return LM_E_UNSUPPORTED;
}

void lm_matcher_close(lm_matcher *m) {}
size_t lm_matcher_size(const lm_matcher *m) { return 0; }

lm_status lm_check(const lm_matcher *m, const void *data, size_t len, const lm_check_options *opts,
                   lm_check_result *out)
{
    return LM_E_UNSUPPORTED;
}

lm_status lm_match_pdq(const lm_matcher *m, const lm_pdq_hash *hash, int quality,
                       const lm_check_options *opts, lm_match *matches, size_t cap, size_t *found)
{
    return LM_E_UNSUPPORTED;
}

lm_status lm_match_digest(const lm_matcher *m, lm_hash_type type, const uint8_t *digest, size_t len,
                          lm_match *matches, size_t cap, size_t *found)
{
    return LM_E_UNSUPPORTED;
}

lm_status lm_matcher_entry(const lm_matcher *m, uint64_t entry_id, lm_entry_info *out)
{
    return LM_E_UNSUPPORTED;
}
