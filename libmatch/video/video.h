/*
 * Video: container bytes in, one PDQ hash per sampled frame out (vPDQ).
 *
 * Frames are decoded with libavformat/libavcodec from memory or a file (always
 * through our own AVIOContext, so no URL or protocol is ever opened), converted
 * to RGB24 by libswscale (see lm_video_scaler), optionally
 * rotated by the stream's display matrix, and hashed with the exact PDQ core.
 * No decoded frame is kept beyond the one being hashed.
 *
 * Internal API; the public one is lm_hash_video_* and lm_video_frame in libmatch.h.
 */
#ifndef LM_VIDEO_VIDEO_H
#define LM_VIDEO_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "libmatch.h"

typedef enum lm_video_sample_mode {
    LM_VIDEO_SAMPLE_ALL = 0,       /* every decoded frame (what vPDQ's reference does) */
    LM_VIDEO_SAMPLE_KEYFRAMES = 1, /* key frames only; others are skipped before decoding */
    LM_VIDEO_SAMPLE_INTERVAL = 2 /* the first frame at or after each multiple of interval_seconds */
} lm_video_sample_mode;

/*
 * How frames become RGB24. EXACT (default): libswscale's bit-exact C path with
 * Lanczos resampling, the same pixels on every CPU; it reproduces Meta's
 * published vPDQ sample hashes (97-100% of frames identical, the rest 2 bits
 * apart). AREA: SWS_AREA as Meta's current vPDQ code, whose output varies with
 * the CPU's SIMD paths.
 */
typedef enum lm_video_scaler {
    LM_VIDEO_SCALER_EXACT = 0,
    LM_VIDEO_SCALER_AREA = 1
} lm_video_scaler;

typedef struct lm_video_opts {
    lm_video_sample_mode sampling;
    double interval_seconds;     /* for LM_VIDEO_SAMPLE_INTERVAL; > 0 */
    int scale_width;             /* 0: native width; else frames are resized (vPDQ -s option) */
    int scale_height;            /* 0: native height */
    lm_video_scaler scaler;      /* default LM_VIDEO_SCALER_EXACT */
    int apply_rotation;          /* 1: honour the display matrix (default 1) */
    int crop_borders;            /* 1: crop black bars (default 0, as vPDQ; lm_border_video) */
    int threads;                 /* decoder threads, 1..16 (default 1) */
    uint64_t max_bytes;          /* LM_E_LIMIT_BYTES (default 2 GiB) */
    uint64_t max_pixels;         /* LM_E_LIMIT_PIXELS per frame (default 16 Mi) */
    double max_duration_seconds; /* LM_E_LIMIT_DURATION (default 4 h) */
    uint32_t max_frames;         /* LM_E_LIMIT_FRAMES: frames hashed (default 200000) */
} lm_video_opts;

void lm_video_opts_default(lm_video_opts *o);

/* A growable array of hashed frames (the public lm_video_frame: a vPDQ line's
 * frame_number,quality,hash,timestamp_seconds); zero-initialise, release with
 * lm_vpdq_frames_free. */
typedef struct lm_vpdq_frames {
    lm_video_frame *v;
    size_t n, cap;
} lm_vpdq_frames;

void lm_vpdq_frames_free(lm_vpdq_frames *f);
/* Append one frame; LM_E_NOMEM on failure. */
lm_status lm_vpdq_frames_push(lm_vpdq_frames *f, const lm_video_frame *fr);

typedef struct lm_video_info {
    int width, height;      /* coded frame size of the video stream */
    double fps;             /* average frame rate (0 when unknown) */
    double duration;        /* declared duration in seconds (0 when unknown) */
    int rotation;           /* clockwise degrees applied: 0, 90, 180 or 270 */
    int64_t frames_decoded; /* frames that came out of the decoder */
    char container[32];     /* libavformat demuxer name */
    char codec[32];         /* libavcodec decoder name */
    int truncated;          /* 1: the frames end before the stream does, because the file is
                               cut short or damaged: a read error, demuxing stopped on an error,
                               the container's sample index places samples past the end of the
                               file, or the video packets end before 90% of the declared
                               duration (the stream's, or the container's when the video is its
                               only stream) and at least 1 s short. The call then returns
                               LM_E_CORRUPT (LM_E_IO for a read error) with the frames hashed
                               before the cut in out. */
} lm_video_info;

/*
 * Decode and hash a video held in memory.
 *  [in]  data, len  container bytes; only read during the call
 *  [out] out        hashed frames are appended; on an error the frames hashed
 *                   before it stay there (a partial result the caller may use).
 *                   Release it with lm_vpdq_frames_free whatever the status.
 *  [out] info       may be NULL
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_FORMAT (no video stream or
 * not a container), LM_E_CORRUPT, LM_E_UNSUPPORTED (no decoder), LM_E_LIMIT_BYTES,
 * LM_E_LIMIT_PIXELS, LM_E_LIMIT_DURATION, LM_E_LIMIT_FRAMES; detail in err.
 * Thread-safe: no shared state; libav may still write log lines to stderr.
 */
lm_status lm_video_hash_memory(const void *data, size_t len, const lm_video_opts *opts,
                               lm_vpdq_frames *out, lm_video_info *info, lm_errbuf *err);

/* As lm_video_hash_memory, streaming the file at path (also LM_E_IO). */
lm_status lm_video_hash_file(const char *path, const lm_video_opts *opts, lm_vpdq_frames *out,
                             lm_video_info *info, lm_errbuf *err);

#endif
