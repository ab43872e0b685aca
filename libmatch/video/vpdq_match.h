/*
 * Video-to-video matching over vPDQ frame hashes, as Meta's python-threatexchange
 * vPDQ index scores it: drop low-quality frames, keep unique hashes, count the
 * query's unique frames that have a stored frame within max_distance and the
 * stored video's unique frames that have a query frame within it. A video matches
 * when both shares reach their thresholds.
 */
#ifndef LM_VIDEO_VPDQ_MATCH_H
#define LM_VIDEO_VPDQ_MATCH_H

#include <stddef.h>

#include "video.h"

typedef struct lm_vpdq_match_opts {
    int max_distance;        /* frames match at Hamming distance <= this (default 31) */
    int min_quality;         /* frames below this quality are ignored (default 50) */
    int dedup_distance;      /* a frame within this of the previous kept one is a repeat
                                (default 0: only exact repeats, as the reference) */
    double query_threshold;  /* percent of the query's unique frames (default 0) */
    double stored_threshold; /* percent of the stored video's unique frames (default 80) */
} lm_vpdq_match_opts;

void lm_vpdq_match_opts_default(lm_vpdq_match_opts *o);

typedef struct lm_vpdq_match_result {
    size_t query_unique, stored_unique;   /* frames left after filtering and dedup */
    size_t query_matched, stored_matched; /* of those, frames with a partner */
    double query_percent, stored_percent; /* 0..100; 0 when a side has no frames */
    int match;                            /* both thresholds reached (and frames on both sides) */
} lm_vpdq_match_result;

/*
 * Filter and deduplicate frames into unique hashes (sorted; frame order is not
 * needed for scoring). *out is malloc'ed (NULL when nothing is left); free() it.
 * Returns LM_OK, LM_E_INVALID_ARG or LM_E_NOMEM.
 */
lm_status lm_vpdq_unique(const lm_video_frame *frames, size_t n, const lm_vpdq_match_opts *o,
                         lm_pdq_hash **out, size_t *nout);

/* Score two sets of unique hashes (from lm_vpdq_unique). Thread-safe. */
lm_status lm_vpdq_compare_unique(const lm_pdq_hash *query, size_t nq, const lm_pdq_hash *stored,
                                 size_t ns, const lm_vpdq_match_opts *o, lm_vpdq_match_result *res);

/* Both steps on raw frame lists. o may be NULL for the defaults. */
lm_status lm_vpdq_match(const lm_video_frame *query, size_t nq, const lm_video_frame *stored,
                        size_t ns, const lm_vpdq_match_opts *o, lm_vpdq_match_result *res);

#endif
