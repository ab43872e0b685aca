/* Which decoded frames get hashed. Decisions use timestamps, never frame counts,
 * so a variable-frame-rate video is sampled evenly in time. */
#ifndef LM_VIDEO_SAMPLE_H
#define LM_VIDEO_SAMPLE_H

#include <stdint.h>

#include "video.h"

typedef struct lm_video_sampler {
    lm_video_sample_mode mode;
    double interval;
    int64_t last_slot; /* interval index of the last frame taken; -1 before the first */
} lm_video_sampler;

void lm_video_sampler_init(lm_video_sampler *s, lm_video_sample_mode mode, double interval);

/* 1 when the frame at `seconds` (from the stream start) should be hashed. */
int lm_video_sampler_take(lm_video_sampler *s, double seconds);

#endif
