/* libFuzzer harness: video decode and vPDQ hashing (libmatch/video) with small limits. */
#include "fuzz_common.h"
#include "libmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    static lm_hasher *h;
    if (!h) {
        h = lm_hasher_create();
        if (!h)
            return 0;
        lm_hasher_set_option(h, LM_OPT_MAX_BYTES, 1 << 20);
        lm_hasher_set_option(h, LM_OPT_MAX_PIXELS, 1 << 18);
        lm_hasher_set_option(h, LM_OPT_MAX_DIMENSION, 1024);
        lm_hasher_set_option(h, LM_OPT_VIDEO_MAX_FRAMES, 32);
        lm_hasher_set_option(h, LM_OPT_VIDEO_MAX_DURATION_S, 60);
    }
    lm_video_hash *v = NULL;
    if (lm_hash_video_memory(h, data, size, &v) == LM_OK)
        (void)lm_video_hash_count(v);
    lm_video_hash_free(v);
    return 0;
}
