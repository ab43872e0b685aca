#include "video_sample.h"

#include <math.h>

void lm_video_sampler_init(lm_video_sampler *s, lm_video_sample_mode mode, double interval)
{
    s->mode = mode;
    s->interval = interval;
    s->last_slot = -1;
}

int lm_video_sampler_take(lm_video_sampler *s, double seconds)
{
    if (s->mode != LM_VIDEO_SAMPLE_INTERVAL)
        return 1; /* key frames were already selected before decoding */
    if (!(seconds >= 0.0))
        seconds = 0.0; /* negative (edit lists, B-frame delay) or NaN: the first slot */
    /* Slot k covers [k*interval, (k+1)*interval); the tiny bias keeps a frame stamped
     * 0.9999999 s (a rounded 1 s) in slot 1. A gap spanning several slots takes one
     * frame; timestamps that go backwards take none. */
    double k = floor(seconds / s->interval + 1e-6);
    int64_t slot = k > 9.0e15 ? (int64_t)9.0e15 : (int64_t)k;
    if (slot <= s->last_slot)
        return 0;
    s->last_slot = slot;
    return 1;
}
