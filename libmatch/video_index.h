/*
 * The matcher's second index: the unique, quality-filtered frames of every
 * stored video (LM_HASH_VPDQ entries), frame -> video. A query video is scored
 * against every stored video it shares a frame with, as vPDQ does (see
 * video/vpdq_match.h): the share of the query's unique frames with a stored
 * partner within max_distance, and the share of the stored video's unique frames
 * with a query partner. Immutable once built; shared by every thread.
 */
#ifndef LM_VIDEO_INDEX_H
#define LM_VIDEO_INDEX_H

#include "hashdb.h"
#include "libmatch.h"
#include "video.h"

typedef struct lm_video_index lm_video_index;

/* Load the stored videos' frames of quality >= min_quality and index them. */
lm_status lm_video_index_open(lm_hashdb *db, int min_quality, lm_video_index **out);
void lm_video_index_free(lm_video_index *vi);
/* Stored videos / frames indexed. */
size_t lm_video_index_videos(const lm_video_index *vi);
size_t lm_video_index_frames(const lm_video_index *vi);

/* One scored stored video. */
typedef struct lm_video_score {
    uint64_t entry_id;
    double query_percent, stored_percent;
} lm_video_score;

/*
 * Score the query frames (filtered by min_quality, deduplicated) against every
 * stored video; *out (malloc'ed, free()) gets the videos passing both thresholds.
 * Returns LM_OK, LM_E_NOMEM, LM_E_INVALID_ARG.
 */
lm_status lm_video_index_match(const lm_video_index *vi, const lm_video_frame *frames, size_t n,
                               int max_distance, int min_quality, double query_threshold,
                               double stored_threshold, lm_video_score **out, size_t *nout);

#endif
