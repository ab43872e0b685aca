/*
 * lm_check_hashes: the matching half of lm_check, from the hashes of an earlier
 * result (a hash cache, a re-scan after a list update) without the bytes. It
 * goes through the public single-hash calls (lm_match_digest, lm_match_pdq) and
 * merges their matches exactly as lm_check does, so verdicts are identical.
 */
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"

typedef struct merged {
    lm_match *items;
    size_t count, cap;
} merged;

/* As lm_check: one match per (entry, type), the closest orientation wins (earlier on ties). */
static lm_status push(merged *l, const lm_match *m)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].entry_id == m->entry_id && l->items[i].type == m->type) {
            if (m->distance < l->items[i].distance)
                l->items[i] = *m;
            return LM_OK;
        }
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        lm_match *n = realloc(l->items, ncap * sizeof *n);
        if (!n)
            return LM_E_NOMEM;
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->count++] = *m;
    return LM_OK;
}

/* Digest matches first, then PDQ by distance, then entry id (lm_check's order). */
static int cmp_match(const void *pa, const void *pb)
{
    const lm_match *a = pa, *b = pb;
    int ad = a->type != LM_HASH_PDQ, bd = b->type != LM_HASH_PDQ;
    if (ad != bd)
        return bd - ad;
    if (a->distance != b->distance)
        return a->distance - b->distance;
    return a->entry_id < b->entry_id ? -1 : a->entry_id > b->entry_id;
}

static lm_status add_digest(const lm_matcher *m, lm_hash_type type, const uint8_t *d, size_t len,
                            merged *l)
{
    lm_match found[LM_CHECK_MAX_MATCHES];
    size_t n = 0;
    lm_status st = lm_match_digest(m, type, d, len, found, LM_CHECK_MAX_MATCHES, &n);
    for (size_t i = 0; st == LM_OK && i < n && i < LM_CHECK_MAX_MATCHES; i++)
        st = push(l, &found[i]);
    return st;
}

static lm_status add_pdq(const lm_matcher *m, const lm_pdq_hash *h, int orientation,
                         const lm_check_options *o, merged *l)
{
    enum { STACK = 64 };
    lm_match stack[STACK], *found = stack;
    size_t n = 0;
    lm_status st = lm_match_pdq(m, h, -1, o, found, STACK, &n);
    if (st == LM_OK && n > STACK) {
        if (!(found = malloc(n * sizeof *found)))
            return LM_E_NOMEM;
        size_t again = 0;
        st = lm_match_pdq(m, h, -1, o, found, n, &again);
        n = again < n ? again : n;
    }
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        found[i].dihedral = orientation;
        found[i].frame = -1;
        st = push(l, &found[i]);
    }
    if (found != stack)
        free(found);
    return st;
}

lm_status lm_check_hashes(const lm_matcher *m, const lm_check_result *hashes,
                          const lm_check_options *opts, lm_check_result *out)
{
    if (!out)
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
        (o.exact != 0 && o.exact != 1))
        return LM_E_INVALID_ARG;
    if (hashes->is_video)
        return LM_E_UNSUPPORTED; /* the frames are not in a check result */
    lm_check_result r;
    memset(&r, 0, sizeof r);
    r.decoded = hashes->decoded ? 1 : 0;
    r.decode_status = r.decoded ? LM_OK : hashes->decode_status;
    if (r.decoded)
        r.image = hashes->image;
    memcpy(r.md5, hashes->md5, sizeof r.md5);
    memcpy(r.sha1, hashes->sha1, sizeof r.sha1);
    memcpy(r.sha256, hashes->sha256, sizeof r.sha256);
    if (!r.decoded)
        memcpy(r.detail, hashes->detail, sizeof r.detail);
    r.detail[sizeof r.detail - 1] = '\0';

    merged l = {0};
    lm_status st = add_digest(m, LM_HASH_MD5, r.md5, sizeof r.md5, &l);
    if (st == LM_OK)
        st = add_digest(m, LM_HASH_SHA1, r.sha1, sizeof r.sha1, &l);
    if (st == LM_OK)
        st = add_digest(m, LM_HASH_SHA256, r.sha256, sizeof r.sha256, &l);
    int low_quality = 0;
    if (st == LM_OK && r.decoded) {
        if (r.image.quality < o.min_quality)
            low_quality = 1;
        else if (o.dihedral)
            for (int d = 0; st == LM_OK && d < 8; d++)
                st = add_pdq(m, &r.image.dihedral[d], d, &o, &l);
        else
            st = add_pdq(m, &r.image.pdq, 0, &o, &l);
    }
    if (st != LM_OK) {
        free(l.items);
        return st;
    }
    if (l.count > 1)
        qsort(l.items, l.count, sizeof *l.items, cmp_match);
    size_t keep = l.count < LM_CHECK_MAX_MATCHES ? l.count : LM_CHECK_MAX_MATCHES;
    if (keep)
        memcpy(r.matches, l.items, keep * sizeof *r.matches);
    r.match_count = l.count;
    free(l.items);
    r.verdict = r.match_count ? LM_VERDICT_MATCH
                : low_quality ? LM_VERDICT_LOW_QUALITY
                : !r.decoded  ? LM_VERDICT_NOT_IMAGE
                              : LM_VERDICT_NO_MATCH;
    *out = r;
    return LM_OK;
}
