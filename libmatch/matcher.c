/*
 * The matcher: an in-memory PDQ index built from the LMDB hash list (held in a
 * snapshot, matcher_snapshot.c), plus the list itself for exact digests and
 * entry details. One matcher is shared by every thread; each call pins the
 * snapshot it starts with and keeps its scratch on the stack or in its own
 * allocations.
 *
 * Removals and disables are immediate: the candidates of a query are confirmed
 * against the list in one LMDB snapshot (match_rules.c), so an entry removed or
 * disabled after the matcher was opened never matches again. Additions and
 * list distance/kind changes are seen after lm_matcher_refresh (matcher_refresh.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "feature_match.h"
#include "hashdb.h"
#include "hasher_internal.h"
#include "index.h"
#include "libmatch.h"
#include "index_file.h"
#include "matcher_internal.h"
#include "matcher_variants.h"
#include "robust_hash.h"
#include "video.h"
#include "video_index.h"

void lm_check_options_init(lm_check_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->max_distance = LM_DEFAULT_MAX_DISTANCE;
    opts->min_quality = LM_DEFAULT_MIN_QUALITY;
    opts->video_sampling = LM_SAMPLE_KEYFRAMES;
    opts->video_interval_ms = 1000;
    opts->video_query_threshold = 0.0;
    opts->video_stored_threshold = 80.0;
    opts->dihedral = 1;
    opts->trim_borders = 1;
    opts->regions = 1;
    opts->features = 1;
}

/* Validate caller options (NULL: defaults) into a full local copy. */
static lm_status resolve_options(const lm_check_options *in, lm_check_options *out)
{
    lm_check_options_init(out);
    if (!in)
        return LM_OK;
    if (in->struct_size < offsetof(lm_check_options, dihedral) + sizeof(int) ||
        in->struct_size > sizeof *out)
        return LM_E_INVALID_ARG;
    memcpy(out, in, in->struct_size);
    out->struct_size = sizeof *out;
    if (out->max_distance < 0 || out->max_distance > 256 || out->min_quality < 0 ||
        (out->dihedral != 0 && out->dihedral != 1) || (out->exact != 0 && out->exact != 1) ||
        (out->trim_borders != 0 && out->trim_borders != 1) ||
        (out->regions != 0 && out->regions != 1) || (out->features != 0 && out->features != 1) ||
        out->video_sampling < LM_SAMPLE_ALL_FRAMES || out->video_sampling > LM_SAMPLE_INTERVAL ||
        out->video_interval_ms <= 0 || !(out->video_query_threshold >= 0.0) ||
        !(out->video_query_threshold <= 100.0) || !(out->video_stored_threshold >= 0.0) ||
        !(out->video_stored_threshold <= 100.0))
        return LM_E_INVALID_ARG;
    return LM_OK;
}

static void set_error(char *errbuf, size_t size, const char *msg)
{
    if (errbuf && size) {
        size_t n = strlen(msg);
        if (n >= size)
            n = size - 1;
        memcpy(errbuf, msg, n);
        errbuf[n] = '\0';
    }
}

/* A matcher without its list yet: locks and hit counters. */
static lm_status matcher_alloc(lm_matcher **out)
{
    lm_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return LM_E_NOMEM;
    pthread_mutex_init(&m->slot.lock, NULL);
    pthread_mutex_init(&m->refresh_lock, NULL);
    if (!(m->hits = hit_counter_create())) {
        lm_matcher_close(m);
        return LM_E_NOMEM;
    }
    *out = m;
    return LM_OK;
}

/* Whether this process may write the list at path (else a writer's open fails anyway). */
static int list_writable(const char *path)
{
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    return access(path, W_OK | X_OK) == 0 && (access(file, W_OK) == 0 || errno == ENOENT);
}

/* Open with flags (LM_MATCHER_WRITABLE); see matcher_refresh.c for the rest of the handle's life.
 */
lm_status lm_matcher_open_with(const char *db_path, unsigned flags, lm_matcher **out, char *errbuf,
                               size_t errbuf_size)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if (!db_path || (flags & ~(unsigned)LM_MATCHER_WRITABLE))
        return LM_E_INVALID_ARG;
    set_error(errbuf, errbuf_size, "");
    lm_matcher *m;
    lm_status st = matcher_alloc(&m);
    if (st != LM_OK)
        return st;
    m->owns_db = 1;
    st = LM_E_INVALID_ARG;
    /*
     * Both opens check only a few pages and read through checked reads (hashdb.h); a writable
     * one checks every page at its first write (the first hit flush), so a run that stores
     * nothing never pays for it. A list we may not write (permissions, read-only media), or
     * whose writer open fails (a list made before the features table, found damaged by the
     * full check it then needs), is still matched, read-only.
     */
    if ((flags & LM_MATCHER_WRITABLE) && list_writable(db_path)) {
        st = lm_hashdb_open(db_path, LM_DB_WRITE, &m->db, errbuf, errbuf_size);
        m->writable = st == LM_OK;
    }
    if (st != LM_OK && st != LM_E_NOT_FOUND && st != LM_E_DB_SCHEMA && st != LM_E_NOMEM)
        st = lm_hashdb_open(db_path, LM_DB_READONLY, &m->db, errbuf, errbuf_size);
    if (st == LM_OK)
        st = snapshot_build(m->db, 0, &m->slot.cur, errbuf, errbuf_size);
    if (st != LM_OK) {
        lm_matcher_close(m);
        return st;
    }
    *out = m;
    return LM_OK;
}

lm_status lm_matcher_open_db(lm_db *db, unsigned flags, lm_matcher **out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if (lm_hashdb_failed(db) || (flags & ~(unsigned)LM_MATCHER_WRITABLE))
        return LM_E_INVALID_ARG;
    lm_matcher *m;
    lm_status st = matcher_alloc(&m);
    if (st != LM_OK)
        return lm_hashdb_set_error(db, st, LM_DB_HINT_NONE, "out of memory for a matcher");
    m->db = db; /* borrowed: the caller closes it after the matcher */
    m->writable = (flags & LM_MATCHER_WRITABLE) && lm_hashdb_writable(db);
    char err[256] = "";
    st = snapshot_build(m->db, 0, &m->slot.cur, err, sizeof err);
    if (st != LM_OK) {
        if (*err && strcmp(err, lm_hashdb_last_error(db)) != 0)
            lm_hashdb_set_error(db, st, lm_hashdb_last_hint(db), err);
        lm_matcher_close(m);
        return st;
    }
    *out = m;
    return LM_OK;
}

lm_status lm_matcher_open(const char *db_path, lm_matcher **out, char *errbuf, size_t errbuf_size)
{
    return lm_matcher_open_with(db_path, 0, out, errbuf, errbuf_size);
}

void lm_matcher_close(lm_matcher *m)
{
    if (!m)
        return;
    snapshot_release(m->slot.cur);
    hit_counter_free(m->hits);
    if (m->owns_db)
        lm_hashdb_close(m->db);
    pthread_mutex_destroy(&m->slot.lock);
    pthread_mutex_destroy(&m->refresh_lock);
    free(m);
}

size_t lm_matcher_size(const lm_matcher *m)
{
    if (!m)
        return 0;
    matcher_snapshot *s = snapshot_pin(&((lm_matcher *)m)->slot);
    size_t n = s->count;
    snapshot_release(s);
    return n;
}

/*
 * A query that met a damaged block of the list's index file (LM_E_DB from a
 * mapped index) never answers from it: the snapshot is rebuilt in memory from
 * the list (matcher_recover) and the query runs once more on the new one.
 */
static int retry_after_damage(const lm_matcher *m, const matcher_snapshot *s, lm_status st)
{
    return st == LM_E_DB && lm_index_damaged(s->index) &&
           matcher_recover((lm_matcher *)m, s) == LM_OK;
}

/* The confidence of a PDQ match at distance d (lm_match.score). */
static int pdq_score(int d)
{
    int s = 100 - 100 * d / 64;
    return s < 0 ? 0 : s;
}

/*
 * All PDQ entries within max_distance of any of the nq query orientations.
 * rect: the query's rectangle these hashes are of (NULL: none known).
 * beyond: NULL, or lowered to the least near-miss distance the searches saw
 * (lm_index_range_near_miss).
 */
static lm_status search_pdq(const matcher_snapshot *m, const lm_pdq_hash *queries, int nq,
                            int max_distance, int64_t frame, int variant, const lm_rect *rect,
                            match_list *l, int *beyond)
{
    enum { STACK_HITS = 64 };
    lm_search_hit stack_hits[STACK_HITS];
    for (int d = 0; d < nq; d++) {
        lm_search_hit *hits = stack_hits;
        size_t found = 0;
        int near = 257;
        lm_status st = lm_index_range_near_miss(m->index, &queries[d], max_distance,
                                                LM_SEARCH_AUTO, hits, STACK_HITS, &found, &near);
        if (beyond && near < *beyond)
            *beyond = near;
        if (st == LM_OK && found > STACK_HITS) {
            /* A crowded neighbourhood: fetch all of it. */
            hits = malloc(found * sizeof *hits);
            if (!hits)
                return LM_E_NOMEM;
            size_t again;
            st = lm_index_range(m->index, &queries[d], max_distance, hits, found, &again);
            found = again < found ? again : found;
        }
        for (size_t i = 0; st == LM_OK && i < found; i++) {
            /* a mapped file's maps are checked block by block, as the index */
            if (lm_index_check(m->index, &m->ids[hits[i].pos], sizeof *m->ids) ||
                (m->regions && lm_index_check(m->index, &m->regions[hits[i].pos], 1))) {
                st = LM_E_DB;
                break;
            }
            uint64_t id = m->ids[hits[i].pos]; /* confirmed later: match_list_apply_rules */
            int region = m->regions ? m->regions[hits[i].pos] : 0;
            lm_match mt = {.entry_id = id,
                           .type = LM_HASH_PDQ,
                           .distance = hits[i].distance,
                           .dihedral = d,
                           .frame = frame,
                           .region = region,
                           .variant = variant | (region ? LM_VARIANT_COMPANION : 0),
                           .score = pdq_score(hits[i].distance)};
            if (rect)
                mt.rect = *rect;
            st = match_list_push(l, mt);
        }
        if (hits != stack_hits)
            free(hits);
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

static lm_status search_digest(const lm_matcher *m, lm_hash_type type, const uint8_t *digest,
                               size_t len, match_list *l)
{
    uint64_t ids[LM_CHECK_MAX_MATCHES];
    size_t found = 0;
    lm_status st = lm_hashdb_lookup(m->db, type, digest, len, ids, LM_CHECK_MAX_MATCHES, &found);
    if (found > LM_CHECK_MAX_MATCHES)
        found = LM_CHECK_MAX_MATCHES;
    for (size_t i = 0; st == LM_OK && i < found; i++) {
        lm_match mt = {.entry_id = ids[i],
                       .type = type,
                       .distance = 0,
                       .dihedral = 0,
                       .frame = -1,
                       .score = 100};
        st = match_list_push(l, mt);
    }
    return st;
}

lm_status lm_match_pdq(const lm_matcher *m, const lm_pdq_hash *hash, int quality,
                       const lm_check_options *opts, lm_match *matches, size_t cap, size_t *found)
{
    lm_check_options o;
    if (!m || !hash || !found || (cap && !matches) || resolve_options(opts, &o) != LM_OK)
        return LM_E_INVALID_ARG;
    *found = 0;
    if (quality >= 0 && quality < o.min_quality)
        return LM_OK;
    lm_status st;
    for (int attempt = 0;; attempt++) {
        match_list l = {0};
        matcher_snapshot *s = snapshot_pin(&((lm_matcher *)m)->slot);
        size_t active, negative;
        st = search_pdq(s, hash, 1, snapshot_radius(s, o.max_distance), -1, LM_VARIANT_PLAIN, NULL,
                        &l, NULL);
        if (st == LM_OK)
            st = match_list_apply_rules(m, s, o.max_distance, &l, &active, &negative);
        if (st == LM_OK)
            match_list_emit(&l, matches, cap, found);
        int again = attempt == 0 && retry_after_damage(m, s, st);
        snapshot_release(s);
        free(l.items);
        if (!again)
            return st;
    }
}

lm_status lm_match_digest(const lm_matcher *m, lm_hash_type type, const uint8_t *digest, size_t len,
                          lm_match *matches, size_t cap, size_t *found)
{
    if (!m || !digest || !found || (cap && !matches) || type == LM_HASH_PDQ ||
        lm_db_hash_len(type) != len)
        return LM_E_INVALID_ARG;
    *found = 0;
    match_list l = {0};
    matcher_snapshot *s = snapshot_pin(&((lm_matcher *)m)->slot);
    size_t active, negative;
    lm_status st = search_digest(m, type, digest, len, &l);
    if (st == LM_OK)
        st = match_list_apply_rules(m, s, LM_DEFAULT_MAX_DISTANCE, &l, &active, &negative);
    if (st == LM_OK)
        match_list_emit(&l, matches, cap, found);
    snapshot_release(s);
    free(l.items);
    return st;
}

/* The whole query video against the stored videos (vPDQ scoring, video_index.c). */
static lm_status match_stored_videos(const matcher_snapshot *m, const lm_check_options *o,
                                     const lm_vpdq_frames *frames, match_list *l)
{
    lm_video_score *sc = NULL;
    size_t n = 0;
    lm_status st =
        lm_video_index_match(m->videos, frames->v, frames->n, o->max_distance, o->min_quality,
                             o->video_query_threshold, o->video_stored_threshold, &sc, &n);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        /* Like every candidate, confirmed against the list by the rules (match_rules.c). */
        lm_match mt = {.entry_id = sc[i].entry_id,
                       .type = LM_HASH_VPDQ,
                       .frame = -1,
                       .query_percent = sc[i].query_percent,
                       .stored_percent = sc[i].stored_percent,
                       .score = (int)(sc[i].query_percent < sc[i].stored_percent
                                          ? sc[i].query_percent
                                          : sc[i].stored_percent)};
        st = match_list_push(l, mt);
    }
    free(sc);
    return st;
}

/*
 * A video: hash the sampled frames and match each against the list (known
 * images found inside a new video). LM_E_FORMAT when the input is not a video.
 */
static lm_status check_video(const matcher_snapshot *m, int radius, const lm_check_options *o,
                             const lm_decode_opts *dec, lm_format format, const void *data,
                             size_t len, lm_check_result *out, match_list *l, int *low_quality,
                             lm_errbuf *err)
{
    lm_video_opts vo;
    lm_video_opts_default(&vo);
    vo.sampling = (lm_video_sample_mode)o->video_sampling;
    vo.interval_seconds = o->video_interval_ms / 1000.0;
    if (dec->max_bytes < vo.max_bytes)
        vo.max_bytes = dec->max_bytes;
    lm_vpdq_frames frames = {0};
    lm_video_info info = {0};
    lm_status st = lm_video_hash_memory(data, len, &vo, &frames, &info, err);
    if (frames.n == 0) {
        lm_vpdq_frames_free(&frames);
        return st == LM_OK ? LM_E_FORMAT : st;
    }
    out->is_video = 1;
    out->decoded = 1;
    if (st != LM_OK && info.truncated) {
        out->video_truncated = 1; /* the frames before the cut are matched below */
        snprintf(out->detail, sizeof out->detail, "%s", err->msg);
    }
    out->frames_hashed = frames.n;
    out->image.pdq = frames.v[0].pdq;
    out->image.quality = frames.v[0].quality;
    out->image.format = format;
    int usable = 0;
    lm_status sst = LM_OK;
    for (size_t i = 0; sst == LM_OK && i < frames.n; i++) {
        if (frames.v[i].quality < o->min_quality)
            continue;
        usable = 1;
        /* Frames are matched as decoded (the dihedral option applies to still images). */
        sst = search_pdq(m, &frames.v[i].pdq, 1, radius, frames.v[i].frame_number, LM_VARIANT_PLAIN,
                         NULL, l, NULL);
    }
    *low_quality = !usable;
    if (sst == LM_OK && usable)
        sst = match_stored_videos(m, o, &frames, l);
    lm_vpdq_frames_free(&frames);
    return sst != LM_OK ? sst : st;
}

/*
 * The PDQ searches for a still image, shared by lm_check and lm_check_hashes:
 * the plain hash (its 8 orientations with dihedral), then the content inside
 * its borders when it has any, then the region proposals (regions option).
 * low_quality: none of the hashes was good enough.
 */
static lm_status search_image(const matcher_snapshot *snap, const lm_check_options *o, int radius,
                              const lm_check_result *r, match_list *l, int *low_quality,
                              int *beyond)
{
    int nq = o->dihedral ? 8 : 1;
    lm_status st = LM_OK;
    int searched = 0;
    if (r->image.quality >= o->min_quality) {
        lm_rect whole = {0, 0, r->image.width, r->image.height};
        st = search_pdq(snap, o->dihedral ? r->image.dihedral : &r->image.pdq, nq, radius, -1,
                        LM_VARIANT_PLAIN, &whole, l, beyond);
        searched = 1;
    }
    if (st == LM_OK && o->trim_borders && r->has_trimmed && r->trimmed.quality >= o->min_quality) {
        lm_rect tr = r->trimmed_rect;
        st = search_pdq(snap, o->dihedral ? r->trimmed.dihedral : &r->trimmed.pdq, nq, radius, -1,
                        LM_VARIANT_TRIMMED, &tr, l, beyond);
        searched = 1;
    }
    size_t nr = o->regions && r->region_count <= LM_CHECK_MAX_REGIONS ? r->region_count : 0;
    for (size_t i = 0; st == LM_OK && i < nr; i++) {
        const lm_query_region *q = &r->regions[i];
        if (q->hash.quality < o->min_quality)
            continue;
        st = search_pdq(snap, o->dihedral ? q->hash.dihedral : &q->hash.pdq, nq, radius, -1,
                        LM_VARIANT_REGION, &q->rect, l, beyond);
        searched = 1;
    }
    *low_quality = !searched;
    return st;
}

/* The feature stage (feature_match.c): verified entries become candidates. */
static lm_status search_features(const matcher_snapshot *snap, const lm_features *q,
                                 const lm_pdq_hash *plain, match_list *l)
{
    lm_feature_hit hits[LM_FEAT_MAX_VERIFIED];
    size_t n = 0;
    lm_status st = lm_feature_search(snap->features, q, plain, NULL, hits, &n);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        lm_match mt = {.entry_id = hits[i].entry_id,
                       .type = LM_HASH_PDQ,
                       .distance = hits[i].pdq_distance,
                       .frame = -1,
                       .variant = LM_VARIANT_FEATURES,
                       .score = hits[i].t.inliers < 100 ? hits[i].t.inliers : 100};
        st = match_list_push(l, mt);
    }
    return st;
}

/*
 * The final step of lm_check, shared with lm_check_hashes (matcher_match_hashes)
 * so both give the same verdicts: the list's rules (per-list distances,
 * disabled lists and entries, negative-list suppression, hit counts), the
 * matches and the verdict. st: the searches' status so far; frees l.
 */
static lm_status finish_check(const lm_matcher *m, const matcher_snapshot *snap, int max_distance,
                              lm_status st, match_list *l, int low_quality, lm_check_result *out)
{
    size_t active = 0, negative = 0;
    if (st == LM_OK)
        st = match_list_apply_rules(m, snap, max_distance, l, &active, &negative);
    if (st != LM_OK) {
        free(l->items);
        return st;
    }
    match_list_emit(l, out->matches, LM_CHECK_MAX_MATCHES, &out->match_count);
    free(l->items);
    out->verdict = active          ? LM_VERDICT_MATCH
                   : negative      ? LM_VERDICT_SUPPRESSED
                   : low_quality   ? LM_VERDICT_LOW_QUALITY
                   : !out->decoded ? LM_VERDICT_NOT_IMAGE
                                   : LM_VERDICT_NO_MATCH;
    return LM_OK;
}

/*
 * Fast mode (lm_check_options.exact 0) hashes a large JPEG scaled in the DCT
 * domain, within a few bits of the reference's hash. Those bits must never turn
 * a match into a miss, so an inexact query that found nothing but came within
 * this many bits of the radius (lm_index_range_near_miss) is decoded again
 * exactly and searched once more. Unrelated images rarely come this close
 * (their nearest entries sit near 128 bits), so it costs them nothing.
 */
#define LM_FAST_RECHECK_MARGIN 10

/*
 * The exact re-decode of the fast-mode re-check: on success the exact hashes
 * replace out's (and *px the kept pixels, when px is given); when it fails the
 * fast result stands (only a lack of memory is an error).
 */
static lm_status recheck_exact(const matcher_snapshot *snap, const lm_check_options *o, int radius,
                               const lm_decode_opts *fast, const void *data, size_t len,
                               lm_pixels *px, lm_check_result *out, match_list *l,
                               int *low_quality)
{
    lm_decode_opts dec = *fast;
    dec.jpeg_dct_scale = 0;
    lm_query_hashes *q = malloc(sizeof *q);
    if (!q)
        return LM_E_NOMEM;
    lm_pixels exact_px = {0};
    lm_errbuf err = {{0}};
    lm_status st = lm_query_hashes_compute_ex(&dec, o->dihedral, o->trim_borders, o->regions,
                                              px ? &exact_px : NULL, data, len, q, &err);
    if (st == LM_OK) {
        out->image = q->image;
        out->has_trimmed = q->has_trimmed;
        memset(&out->trimmed, 0, sizeof out->trimmed);
        memset(&out->trimmed_rect, 0, sizeof out->trimmed_rect);
        if (q->has_trimmed) {
            out->trimmed = q->trimmed;
            out->trimmed_rect = q->trimmed_rect;
        }
        out->region_count = q->region_count;
        memcpy(out->regions, q->regions, q->region_count * sizeof *q->regions);
        if (px) {
            lm_pixels_free(px);
            *px = exact_px;
        }
        st = search_image(snap, o, radius, out, l, low_quality, NULL);
    } else if (st != LM_E_NOMEM) {
        st = LM_OK;
    }
    free(q);
    return st;
}

static lm_status check_pinned(const lm_matcher *m, const matcher_snapshot *snap, const void *data,
                              size_t len, const lm_check_options *opts, lm_check_result *out)
{
    lm_check_options o;
    if ((!data && len) || resolve_options(opts, &o) != LM_OK)
        return LM_E_INVALID_ARG;
    int radius = snapshot_radius(snap, o.max_distance);

    lm_decode_opts dec;
    lm_decode_opts_default(&dec);
    if (o.max_bytes)
        dec.max_bytes = o.max_bytes;
    if (o.max_pixels)
        dec.max_pixels = o.max_pixels;
    dec.jpeg_dct_scale = !o.exact;
    if (len > dec.max_bytes) {
        snprintf(out->detail, sizeof out->detail, "%zu bytes exceeds the %llu-byte limit", len,
                 (unsigned long long)dec.max_bytes);
        return LM_E_LIMIT_BYTES;
    }

    /* Exact digests of the bytes: they match even when the file is not an image. */
    lm_digests dg;
    lm_status st = lm_digest_bytes(data, len, &dg);
    if (st != LM_OK)
        return st;
    memcpy(out->md5, dg.md5, sizeof out->md5);
    memcpy(out->sha1, dg.sha1, sizeof out->sha1);
    memcpy(out->sha256, dg.sha256, sizeof out->sha256);
    match_list l = {0};
    st = search_digest(m, LM_HASH_MD5, out->md5, sizeof out->md5, &l);
    if (st == LM_OK)
        st = search_digest(m, LM_HASH_SHA1, out->sha1, sizeof out->sha1, &l);
    if (st == LM_OK)
        st = search_digest(m, LM_HASH_SHA256, out->sha256, sizeof out->sha256, &l);

    lm_errbuf err = {{0}};
    int low_quality = 0;
    lm_status hs = LM_E_FORMAT;
    /* Still or video, decided once (decode/media.c); the still decoder is told the format.
     * The one way back: a "video" that yields no frame at all (a GIF of two image blocks
     * of which one decodes, a container without a decodable video stream) is then read as
     * a still image, as before. */
    lm_format format = LM_FORMAT_UNKNOWN;
    lm_media_kind kind = st == LM_OK ? lm_media_classify(data, len, &format) : LM_MEDIA_NONE;
    dec.known_format = kind == LM_MEDIA_NONE ? LM_FORMAT_UNKNOWN : format;
    if (st == LM_OK && kind == LM_MEDIA_VIDEO) {
        hs = check_video(snap, radius, &o, &dec, format, data, len, out, &l, &low_quality, &err);
        if (hs != LM_OK && hs != LM_E_FORMAT && out->is_video)
            hs = LM_OK; /* a damaged video: the frames before the damage were still checked */
        if (hs == LM_E_NOMEM)
            st = hs;
    }
    lm_query_hashes q = {0};
    /* Local features only when the list has some (lists built from images), and only when
       no hash found anything: the decoded pixels are kept until then. */
    int want_feat = o.features && snap->features;
    lm_pixels px = {0};
    int have_px = 0;
    if (st == LM_OK && hs == LM_E_FORMAT && !out->is_video) { /* not a video: a still image */
        /* The plain hash, plus the content inside borders when there are any (robust_hash.c). */
        hs = lm_query_hashes_compute_ex(&dec, o.dihedral, o.trim_borders, o.regions,
                                        want_feat ? &px : NULL, data, len, &q, &err);
        if (hs == LM_OK) {
            out->image = q.image;
            have_px = want_feat;
        }
    }
    lm_features *feat = NULL;
    if (st == LM_OK && hs == LM_OK && out->is_video) {
        /* verdict from the frames (check_video) */
    } else if (st == LM_OK && hs == LM_OK) {
        out->decoded = 1;
        out->has_trimmed = q.has_trimmed;
        if (q.has_trimmed) {
            out->trimmed = q.trimmed;
            out->trimmed_rect = q.trimmed_rect;
        }
        out->region_count = q.region_count;
        memcpy(out->regions, q.regions, q.region_count * sizeof *q.regions);
        int beyond = 257;
        st = search_image(snap, &o, radius, out, &l, &low_quality, &beyond);
        /* A fast decode that came close: the reference's pixels decide (recheck_exact). */
        if (st == LM_OK && l.count == 0 && q.inexact && beyond <= radius + LM_FAST_RECHECK_MARGIN)
            st = recheck_exact(snap, &o, radius, &dec, data, len, want_feat ? &px : NULL, out, &l,
                               &low_quality);
        /* Second stage: no hash found anything; the features of a list built from images. */
        if (st == LM_OK && have_px && l.count == 0) {
            if (!(feat = malloc(sizeof *feat)))
                st = LM_E_NOMEM;
            else if ((st = lm_query_features(&px, feat, &err)) == LM_OK)
                st = search_features(snap, feat, &out->image.pdq, &l);
        }
    } else if (st == LM_OK) {
        if (hs == LM_E_NOMEM) {
            st = hs; /* resource failure, not a property of the input */
        } else {
            out->decode_status = hs;
            snprintf(out->detail, sizeof out->detail, "%s", err.msg);
        }
    }
    free(feat);
    if (have_px)
        lm_pixels_free(&px);
    return finish_check(m, snap, o.max_distance, st, &l, low_quality, out);
}

/* A pinned lm_check_hashes (matcher_match_hashes): the searches lm_check makes, from out's hashes.
 */
static lm_status match_hashes_pinned(const lm_matcher *m, const matcher_snapshot *snap,
                                     const lm_check_options *o, lm_check_result *out)
{
    match_list l = {0};
    lm_status st = search_digest(m, LM_HASH_MD5, out->md5, sizeof out->md5, &l);
    if (st == LM_OK)
        st = search_digest(m, LM_HASH_SHA1, out->sha1, sizeof out->sha1, &l);
    if (st == LM_OK)
        st = search_digest(m, LM_HASH_SHA256, out->sha256, sizeof out->sha256, &l);
    int low_quality = 0;
    if (st == LM_OK && out->decoded)
        st = search_image(snap, o, snapshot_radius(snap, o->max_distance), out, &l, &low_quality,
                          NULL);
    return finish_check(m, snap, o->max_distance, st, &l, low_quality, out);
}

lm_status matcher_match_hashes(const lm_matcher *m, const lm_check_options *opts,
                               lm_check_result *out)
{
    lm_check_options o;
    if (!m || !out || resolve_options(opts, &o) != LM_OK)
        return LM_E_INVALID_ARG;
    for (int attempt = 0;; attempt++) {
        matcher_snapshot *snap = snapshot_pin(&((lm_matcher *)m)->slot);
        lm_status st = match_hashes_pinned(m, snap, &o, out);
        int again = attempt == 0 && retry_after_damage(m, snap, st);
        snapshot_release(snap);
        if (!again)
            return st;
    }
}

/* lm_check into a whole result of this version's size. */
static lm_status check_whole(const lm_matcher *m, const void *data, size_t len,
                             const lm_check_options *opts, lm_check_result *out)
{
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    if (!m)
        return LM_E_INVALID_ARG;
    for (int attempt = 0;; attempt++) {
        /* Pin the snapshot this query starts with: a refresh may swap in another meanwhile. */
        matcher_snapshot *snap = snapshot_pin(&((lm_matcher *)m)->slot);
        lm_status st = check_pinned(m, snap, data, len, opts, out);
        int again = attempt == 0 && retry_after_damage(m, snap, st);
        snapshot_release(snap);
        if (!again)
            return st;
        memset(out, 0, sizeof *out);
        out->struct_size = sizeof *out;
    }
}

int check_result_size_ok(const lm_check_result *r)
{
    return r && r->struct_size >= LM_CHECK_RESULT_MIN_SIZE && r->struct_size <= sizeof *r;
}

void check_result_deliver(const lm_check_result *whole, lm_check_result *out)
{
    uint32_t size = out->struct_size;
    memcpy(out, whole, size);
    out->struct_size = size;
}

lm_status lm_check(const lm_matcher *m, const void *data, size_t len, const lm_check_options *opts,
                   lm_check_result *out)
{
    if (!check_result_size_ok(out))
        return LM_E_INVALID_ARG;
    if (out->struct_size == sizeof *out)
        return check_whole(m, data, len, opts, out);
    /* A caller built against an older header: fill a whole result, hand over its part. */
    lm_check_result whole;
    lm_status st = check_whole(m, data, len, opts, &whole);
    check_result_deliver(&whole, out);
    return st;
}

size_t lm_matcher_feature_entries(const lm_matcher *m)
{
    if (!m)
        return 0;
    matcher_snapshot *s = snapshot_pin(&((lm_matcher *)m)->slot);
    size_t n = lm_feature_index_entries(s->features);
    snapshot_release(s);
    return n;
}

lm_status lm_matcher_entry(const lm_matcher *m, uint64_t entry_id, lm_entry_info *out)
{
    if (!m || !out)
        return LM_E_INVALID_ARG;
    return lm_hashdb_get_entry(m->db, entry_id, out);
}
