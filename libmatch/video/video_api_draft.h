/*
 * DRAFT: proposed public API for video, for the lead to merge into libmatch.h.
 * Not installed and not compiled into the library; it mirrors the internal API in
 * video.h and vpdq_match.h, which already implement every call below.
 *
 * Design points:
 *  - Video options live on the existing lm_hasher (typed set_option ids), so one
 *    handle carries all limits, as for images. Safe non-zero defaults.
 *  - The result is an opaque handle (frames are variable in number) with typed
 *    getters and one free call; a partial result after a limit or damage is still
 *    returned, with the status saying why it stopped.
 *  - Frame hashes are plain values (lm_video_frame) so lists and callers can keep them.
 *  - No new status codes: LM_E_LIMIT_FRAMES and LM_E_LIMIT_DURATION exist already;
 *    LM_E_FORMAT covers "not a video" (including still images); LM_E_UNSUPPORTED a
 *    codec this build cannot decode.
 */
#ifndef LIBMATCH_VIDEO_API_DRAFT_H
#define LIBMATCH_VIDEO_API_DRAFT_H

#include "libmatch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* New lm_option ids for lm_hasher_set_option (values continue the existing enum). */
enum {
    LM_OPT_VIDEO_SAMPLING = 7,    /* lm_video_sampling (default LM_VIDEO_ALL_FRAMES) */
    LM_OPT_VIDEO_INTERVAL_MS = 8, /* for LM_VIDEO_INTERVAL, > 0 (default 1000) */
    LM_OPT_VIDEO_MAX_FRAMES = 9,  /* frames hashed; LM_E_LIMIT_FRAMES beyond (default 200000) */
    LM_OPT_VIDEO_MAX_DURATION_MS = 10,  /* declared or reached; LM_E_LIMIT_DURATION (default 4 h) */
    LM_OPT_VIDEO_MAX_FRAME_PIXELS = 11, /* per frame; LM_E_LIMIT_PIXELS (default 16 Mi) */
    LM_OPT_VIDEO_MAX_BYTES = 12,        /* input size; LM_E_LIMIT_BYTES (default 2 GiB) */
    LM_OPT_VIDEO_SCALE = 13,            /* 0: native (default); N: frames resized to N x N first
                                           (vPDQ's downsample option, e.g. 128) */
    LM_OPT_VIDEO_ROTATION = 14,         /* 1: apply the display matrix (default 1) */
    LM_OPT_VIDEO_CROP_BORDERS = 15,     /* 1: hash without black bars (default 0, as vPDQ) */
    LM_OPT_VIDEO_THREADS = 16,          /* decoder threads 1..16 (default 1) */
    LM_OPT_VIDEO_SCALER = 17            /* lm_video_scaler (default LM_VIDEO_SCALER_EXACT) */
};

typedef enum lm_video_sampling {
    LM_VIDEO_ALL_FRAMES = 0, /* every frame: what Meta's vPDQ does */
    LM_VIDEO_KEYFRAMES = 1,  /* key frames only, the others never decoded: fastest */
    LM_VIDEO_INTERVAL = 2    /* first frame in each interval, by timestamp (right for VFR) */
} lm_video_sampling;

typedef enum lm_video_scaler {
    LM_VIDEO_SCALER_EXACT = 0, /* bit-exact libswscale (same on every CPU); reproduces
                                  Meta's published vPDQ sample hashes */
    LM_VIDEO_SCALER_AREA = 1   /* SWS_AREA as Meta's current vPDQ code (CPU-dependent) */
} lm_video_scaler;

/* One hashed frame, a vPDQ line. A plain value. */
typedef struct lm_video_frame {
    lm_pdq_hash pdq;
    int quality;          /* 0..100 */
    int64_t frame_number; /* 0-based, in decode output order */
    double timestamp;     /* seconds from the start of the stream */
} lm_video_frame;

typedef struct lm_video_info {
    uint32_t struct_size; /* sizeof(lm_video_info), set by the caller */
    int width, height;    /* coded frame size */
    double fps;           /* average frame rate, 0 when unknown */
    double duration;      /* declared, seconds; 0 when unknown */
    int rotation;         /* clockwise degrees applied (0, 90, 180, 270) */
    int64_t frames_decoded;
    char container[32]; /* e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "gif" */
    char codec[32];     /* e.g. "h264" */
} lm_video_info;

typedef struct lm_video_hash lm_video_hash; /* opaque: frames + info */

/*
 * Decode a video and hash its sampled frames with the hasher's options.
 *  [in]  h          the hasher (one thread at a time, as for images)
 *  [in]  data, len  container bytes, only read during the call
 *  [out] out        set to a new result when LM_OK, and also (a partial result,
 *                   frames up to the point of failure) with LM_E_LIMIT_FRAMES,
 *                   LM_E_LIMIT_DURATION or LM_E_CORRUPT when at least one frame was
 *                   hashed; NULL otherwise. Free with lm_video_hash_free.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_FORMAT (not a video; still
 * images are never videos), LM_E_CORRUPT, LM_E_UNSUPPORTED, LM_E_LIMIT_BYTES,
 * LM_E_LIMIT_PIXELS, LM_E_LIMIT_DURATION, LM_E_LIMIT_FRAMES; detail in
 * lm_hasher_last_error. Never opens URLs or other files the container names.
 */
LM_API lm_status lm_hash_video_memory(lm_hasher *h, const void *data, size_t len,
                                      lm_video_hash **out);
/* As lm_hash_video_memory, streaming the file (also LM_E_IO); never reads it whole. */
LM_API lm_status lm_hash_video_file(lm_hasher *h, const char *path, lm_video_hash **out);

LM_API size_t lm_video_hash_count(const lm_video_hash *v);
/* The frames, valid until lm_video_hash_free. */
LM_API const lm_video_frame *lm_video_hash_frames(const lm_video_hash *v);
/* Returns LM_OK or LM_E_INVALID_ARG (NULL, or struct_size too small). */
LM_API lm_status lm_video_hash_info(const lm_video_hash *v, lm_video_info *info);
LM_API void lm_video_hash_free(lm_video_hash *v);

/* "frame,quality,hash,timestamp\n" as Meta's tools write it; returns the length or -1. */
LM_API int lm_video_frame_to_text(const lm_video_frame *f, char *buf, size_t size);
/* Parses 3- or 4-field lines; LM_OK or LM_E_PARSE. */
LM_API lm_status lm_video_frame_from_text(const char *line, size_t len, lm_video_frame *out);

/* Video-to-video comparison, scored as Meta's vPDQ index does. */
typedef struct lm_vpdq_options {
    uint32_t struct_size;    /* sizeof(lm_vpdq_options) */
    int max_distance;        /* frame match at distance <= this (default 31) */
    int min_quality;         /* frames below are ignored (default 50) */
    int dedup_distance;      /* consecutive frames this close count once (default 0: exact) */
    double query_threshold;  /* % of the query's unique frames matched (default 0) */
    double stored_threshold; /* % of the stored video's unique frames matched (default 80) */
} lm_vpdq_options;

LM_API void lm_vpdq_options_init(lm_vpdq_options *opts);

typedef struct lm_vpdq_result {
    size_t query_unique, stored_unique;
    size_t query_matched, stored_matched;
    double query_percent, stored_percent;
    int match; /* both thresholds reached */
} lm_vpdq_result;

/* Thread-safe; O(nq * ns) for one pair (the matcher's index narrows candidates first). */
LM_API lm_status lm_vpdq_compare(const lm_video_frame *query, size_t nq,
                                 const lm_video_frame *stored, size_t ns,
                                 const lm_vpdq_options *opts, lm_vpdq_result *result);

/*
 * lm_check integration (proposal): lm_check sniffs video containers and animated
 * GIF/WebP and hashes them with the matcher's video options; a new hash type
 * LM_HASH_VPDQ = 5 marks list entries that are whole videos; lm_match gains the
 * two percentages; a video query yields MATCH when a stored video passes both
 * thresholds or when any frame is within max_distance of a known image.
 */

#ifdef __cplusplus
}
#endif

#endif
