/*
 * lm_check_hashes: the matching half of lm_check, from the hashes of an earlier
 * result (a hash cache, a re-scan after a list update) without the bytes. The
 * searches and the final verdict step (list rules: per-list distances, disabled
 * lists and entries, negative-list suppression, hit counts) are lm_check's own
 * (matcher_match_hashes in matcher.c), so verdicts are identical.
 */
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "matcher_internal.h"

lm_status lm_check_hashes(const lm_matcher *m, const lm_check_result *hashes,
                          const lm_check_options *opts, lm_check_result *out)
{
    if (!check_result_size_ok(out) || !check_result_size_ok(hashes))
        return LM_E_INVALID_ARG;
    lm_check_options o;
    lm_check_options_init(&o);
    if (opts) {
        if (opts->struct_size < sizeof(uint32_t) + 3 * sizeof(int) || opts->struct_size > sizeof o)
            return LM_E_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size);
        o.struct_size = sizeof o;
    }
    if (!m || !hashes || hashes == out || o.min_quality < 0 || o.max_distance < 0 ||
        o.max_distance > 256 || (o.dihedral != 0 && o.dihedral != 1) ||
        (o.exact != 0 && o.exact != 1) || (o.trim_borders != 0 && o.trim_borders != 1) ||
        (o.regions != 0 && o.regions != 1))
        return LM_E_INVALID_ARG;
    /* Read the earlier result up to its own size (it may come from an older header). */
    lm_check_result in;
    memset(&in, 0, sizeof in);
    memcpy(&in, hashes, hashes->struct_size);
    hashes = &in;
    if (hashes->is_video)
        return LM_E_UNSUPPORTED; /* the frames are not in a check result */
    lm_check_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.decoded = hashes->decoded ? 1 : 0;
    r.decode_status = r.decoded ? LM_OK : hashes->decode_status;
    if (r.decoded) {
        r.image = hashes->image;
        r.has_trimmed = hashes->has_trimmed ? 1 : 0;
        if (r.has_trimmed) {
            r.trimmed = hashes->trimmed;
            r.trimmed_rect = hashes->trimmed_rect;
        }
        r.region_count = hashes->region_count <= LM_CHECK_MAX_REGIONS ? hashes->region_count : 0;
        memcpy(r.regions, hashes->regions, r.region_count * sizeof *r.regions);
    }
    memcpy(r.md5, hashes->md5, sizeof r.md5);
    memcpy(r.sha1, hashes->sha1, sizeof r.sha1);
    memcpy(r.sha256, hashes->sha256, sizeof r.sha256);
    if (!r.decoded)
        memcpy(r.detail, hashes->detail, sizeof r.detail);
    r.detail[sizeof r.detail - 1] = '\0';

    lm_status st = matcher_match_hashes(m, &o, &r);
    if (st != LM_OK)
        return st;
    check_result_deliver(&r, out);
    return LM_OK;
}
