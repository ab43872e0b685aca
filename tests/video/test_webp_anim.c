/*
 * Animated WebP as video (libwebp's animation decoder: FFmpeg 5.1 has none).
 * The tests encode benign synthetic animations in memory with libwebpmux.
 */
#include <webp/encode.h>
#include <webp/mux.h>

#include <math.h>

#include "check.h"
#include "libmatch.h"
#include "synth.h"

#define W 160
#define H 120
#define NFRAMES 5
/* Start times in ms: uneven, so sampling by time is seen to use them. */
static const int start_ms[NFRAMES] = {0, 100, 250, 400, 600};
#define END_MS 800

/* Lossless animation of NFRAMES synthetic pictures; every frame a key frame when all_key. */
static int encode_animation(synth_image *frames, int all_key, WebPData *out)
{
    WebPAnimEncoderOptions eo;
    WebPConfig cfg;
    if (!WebPAnimEncoderOptionsInit(&eo) || !WebPConfigInit(&cfg))
        return -1;
    eo.allow_mixed = 0;
    if (all_key) {
        eo.kmin = 0;
        eo.kmax = 1;
    }
    cfg.lossless = 1;
    WebPAnimEncoder *enc = WebPAnimEncoderNew(W, H, &eo);
    int ok = enc != NULL;
    for (int i = 0; ok && i < NFRAMES; i++) {
        WebPPicture pic;
        ok = WebPPictureInit(&pic);
        pic.use_argb = 1;
        pic.width = W;
        pic.height = H;
        ok = ok && WebPPictureImportRGB(&pic, frames[i].px, W * 3) &&
             WebPAnimEncoderAdd(enc, &pic, start_ms[i], &cfg);
        WebPPictureFree(&pic);
    }
    WebPDataInit(out);
    ok = ok && WebPAnimEncoderAdd(enc, NULL, END_MS, NULL) && WebPAnimEncoderAssemble(enc, out);
    WebPAnimEncoderDelete(enc);
    return ok ? 0 : -1;
}

static lm_video_hash *hash_video(const WebPData *d, int sampling, int64_t interval_ms,
                                 lm_status *st)
{
    lm_hasher *h = lm_hasher_create();
    CHECK(h != NULL);
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_VIDEO_SAMPLING, sampling), LM_OK);
    if (interval_ms)
        CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_VIDEO_INTERVAL_MS, interval_ms), LM_OK);
    lm_video_hash *v = NULL;
    *st = lm_hash_video_memory(h, d->bytes, d->size, &v);
    lm_hasher_destroy(h);
    return v;
}

int main(void)
{
    synth_image frames[NFRAMES];
    lm_image_hash want[NFRAMES];
    lm_hasher *h = lm_hasher_create();
    for (int i = 0; i < NFRAMES; i++) {
        CHECK_EQ_INT(synth_make(&frames[i], W, H, 100 + (uint64_t)i), 0);
        CHECK_EQ_INT(lm_hash_pixels(h, frames[i].px, W, H, W * 3, 3, &want[i]), LM_OK);
    }
    lm_hasher_destroy(h);

    /* Every frame: the hashes of the pictures themselves, at their start times. */
    WebPData anim;
    CHECK_EQ_INT(encode_animation(frames, 1, &anim), 0);
    lm_status st;
    lm_video_hash *v = hash_video(&anim, LM_SAMPLE_ALL_FRAMES, 0, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_INT(lm_video_hash_count(v), NFRAMES);
    const lm_video_frame *f = lm_video_hash_frames(v);
    for (size_t i = 0; v && i < lm_video_hash_count(v) && i < NFRAMES; i++) {
        CHECK_EQ_INT(f[i].frame_number, (int64_t)i);
        CHECK_EQ_INT(llround(f[i].timestamp * 1000), start_ms[i]);
        CHECK_EQ_INT(lm_pdq_distance(&f[i].pdq, &want[i].pdq), 0);
        CHECK_EQ_INT(f[i].quality, want[i].quality);
    }
    lm_video_hash_free(v);

    /* Every 300 ms by timestamp: the frames starting at 0, 400 and 600 ms. */
    v = hash_video(&anim, LM_SAMPLE_INTERVAL, 300, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_INT(lm_video_hash_count(v), 3);
    f = lm_video_hash_frames(v);
    if (v && lm_video_hash_count(v) == 3) {
        CHECK_EQ_INT(f[0].frame_number, 0);
        CHECK_EQ_INT(f[1].frame_number, 3);
        CHECK_EQ_INT(f[2].frame_number, 4);
    }
    lm_video_hash_free(v);

    /* Key frames only, all frames key: all of them. */
    v = hash_video(&anim, LM_SAMPLE_KEYFRAMES, 0, &st);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_INT(lm_video_hash_count(v), NFRAMES);
    lm_video_hash_free(v);

    /* A canvas declared far beyond the pixel limit (16384 x 16384 in VP8X): refused
     * before decoding. */
    uint8_t *bomb = malloc(anim.size);
    memcpy(bomb, anim.bytes, anim.size);
    CHECK(memcmp(bomb + 12, "VP8X", 4) == 0);
    static const uint8_t dims[6] = {0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00}; /* 24-bit LE 16383, twice */
    memcpy(bomb + 24, dims, sizeof dims); /* canvas width-1, height-1 */
    WebPData bd = {bomb, anim.size};
    v = hash_video(&bd, LM_SAMPLE_ALL_FRAMES, 0, &st);
    CHECK_EQ_INT(st, LM_E_LIMIT_PIXELS);
    CHECK(v == NULL);
    free(bomb);

    /* Truncated at every 97th byte: an error or a shorter prefix of the frames, never a crash. */
    for (size_t cut = 0; cut < anim.size; cut += 97) {
        WebPData td = {anim.bytes, cut};
        v = hash_video(&td, LM_SAMPLE_ALL_FRAMES, 0, &st);
        CHECK(st != LM_OK || lm_video_hash_count(v) <= NFRAMES);
        lm_video_hash_free(v);
    }

    /* A still WebP is an image, not a video. */
    uint8_t *still = NULL;
    size_t still_len = WebPEncodeLosslessRGB(frames[0].px, W, H, W * 3, &still);
    CHECK(still_len > 0);
    WebPData sd = {still, still_len};
    v = hash_video(&sd, LM_SAMPLE_ALL_FRAMES, 0, &st);
    CHECK_EQ_INT(st, LM_E_FORMAT);
    CHECK(v == NULL);
    WebPFree(still);

    WebPDataClear(&anim);
    for (int i = 0; i < NFRAMES; i++)
        synth_free(&frames[i]);
    return check_failures ? 1 : 0;
}
