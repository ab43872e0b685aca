/*
 * Animated WebP, decoded with libwebp's animation decoder (libwebpdemux).
 *
 * FFmpeg before 7.1 (Debian 12 ships 5.1) has no decoder for animated WebP, so
 * these files take this path instead of libavcodec; frames come out as full
 * RGBA canvases, composited as a viewer shows them, and go through the same
 * sampling, limits and hashing as every other video (video_hash.c).
 */
#ifndef LM_VIDEO_WEBP_ANIM_H
#define LM_VIDEO_WEBP_ANIM_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "libmatch.h"

/* Decoding work bound: canvas pixels composited over the whole animation. A tiny file
 * can declare a large canvas and thousands of small frames, and every frame costs a
 * full-canvas copy: 2^34 is about 8000 frames of 1080p, tens of seconds of CPU at most. */
#define LM_WEBP_MAX_CANVAS_WORK (UINT64_C(1) << 34)

/* lm_webp_is_animated (the VP8X animation flag) is in decode/decode.h. */

/*
 * One composited frame: RGBA, width x height, rows of stride bytes. seconds is the
 * frame's start time; key is 1 when the frame replaces the whole canvas (it depends
 * on no earlier frame). Return LM_OK to go on, anything else to stop with that status.
 */
typedef lm_status (*lm_webp_frame_fn)(void *ctx, const uint8_t *rgba, int width, int height,
                                      size_t stride, double seconds, int key);

/*
 * Decode every frame of an animated WebP held in memory, in order, calling fn for
 * each. The canvas is checked against max_pixels and the frame count against
 * max_frames_decoded before anything large is allocated.
 * Returns LM_OK, LM_E_CORRUPT, LM_E_NOMEM, LM_E_LIMIT_PIXELS, LM_E_LIMIT_FRAMES,
 * LM_E_UNSUPPORTED (built without libwebpdemux) or fn's status; detail in err.
 */
lm_status lm_webp_anim_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                              uint64_t max_frames_decoded, lm_webp_frame_fn fn, void *ctx,
                              lm_errbuf *err);

#endif
