/*
 * Still or video, decided once (decode/media.c): the magic bytes, one libavformat probe
 * for the rest; GIF by its image blocks, WebP by the VP8X animation flag. End to end,
 * the hasher and lm_check agree with it (GIF stills hash as images, two-frame GIFs as
 * videos); the decoder told the format decodes the same pixels as one that sniffs.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"

/* A 1x1 GIF: header, screen with a 2-colour table, `frames` image blocks, trailer. */
static size_t make_gif(uint8_t *b, int frames, int cut)
{
    static const uint8_t head[] = {'G',  'I', 'F', '8', '9', 'a', 1,   0,   1,  0,
                                   0x80, 0,   0,   0,   0,   0,   255, 255, 255};
    static const uint8_t img[] = {0x21, 0xF9, 4, 0, 10, 0, 0, 0, /* graphic control, 0.1 s */
                                  0x2C, 0,    0, 0, 0,  1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0};
    size_t n = 0;
    memcpy(b, head, sizeof head);
    n += sizeof head;
    for (int i = 0; i < frames; i++) {
        memcpy(b + n, img, sizeof img);
        n += sizeof img;
    }
    b[n++] = 0x3B;
    return cut ? n - 3 : n; /* cut: the last block's data ends early */
}

int main(void)
{
    uint8_t gif[256];
    lm_format f;

    size_t n = make_gif(gif, 1, 0);
    CHECK(lm_media_classify(gif, n, &f) == LM_MEDIA_STILL && f == LM_FORMAT_GIF);
    n = make_gif(gif, 2, 0);
    CHECK(lm_media_classify(gif, n, &f) == LM_MEDIA_VIDEO && f == LM_FORMAT_GIF);
    n = make_gif(gif, 3, 0);
    CHECK(lm_media_classify(gif, n, &f) == LM_MEDIA_VIDEO);
    /* A second block whose data is cut still counts (the video path then decides how many
     * frames decode); a second descriptor cut short does not; the first cut: a still. */
    n = make_gif(gif, 2, 1);
    CHECK(lm_media_classify(gif, n, &f) == LM_MEDIA_VIDEO);
    CHECK(lm_media_classify(gif, n - 14, &f) == LM_MEDIA_STILL);
    CHECK(lm_media_classify(gif, 20, &f) == LM_MEDIA_STILL);

    /* WebP: the VP8X animation flag. */
    uint8_t webp[32] = {'R', 'I', 'F', 'F', 24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'};
    webp[20] = 0x02;
    CHECK(lm_media_classify(webp, sizeof webp, &f) == LM_MEDIA_VIDEO && f == LM_FORMAT_WEBP);
    webp[20] = 0x10;
    CHECK(lm_media_classify(webp, sizeof webp, &f) == LM_MEDIA_STILL && f == LM_FORMAT_WEBP);

    /* JPEG and PNG: stills, without a probe. */
    synth_image img;
    uint8_t *jpg = NULL, *png = NULL;
    size_t jn = 0, pn = 0;
    CHECK(synth_make(&img, 64, 48, 7) == 0);
    CHECK(synth_encode_jpeg(&img, 90, &jpg, &jn) == 0);
    CHECK(synth_encode_png(&img, 2, 8, 0, &png, &pn) == 0);
    CHECK(lm_media_classify(jpg, jn, &f) == LM_MEDIA_STILL && f == LM_FORMAT_JPEG);
    CHECK(lm_media_classify(png, pn, &f) == LM_MEDIA_STILL && f == LM_FORMAT_PNG);

    /* Nothing recognisable: NONE, and the decoder gives the precise status. */
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    CHECK(lm_media_classify(junk, sizeof junk, &f) == LM_MEDIA_NONE && f == LM_FORMAT_UNKNOWN);
    CHECK(lm_media_classify(junk, 0, &f) == LM_MEDIA_NONE);

    /* Told the format, the decoder gives the same pixels as when it sniffs. */
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    lm_pixels a, b;
    lm_errbuf err = {{0}};
    CHECK(lm_decode_image(jpg, jn, &o, &a, &err) == LM_OK);
    o.known_format = LM_FORMAT_JPEG;
    CHECK(lm_decode_image(jpg, jn, &o, &b, &err) == LM_OK);
    CHECK(a.width == b.width && a.height == b.height && a.channels == b.channels &&
          memcmp(a.data, b.data, (size_t)a.stride * a.height) == 0);
    lm_pixels_free(&a);
    lm_pixels_free(&b);

    /* End to end: a one-image GIF hashes as an image, a two-image GIF as a video. */
    lm_hasher *h = lm_hasher_create();
    lm_image_hash ih;
    lm_video_hash *vh = NULL;
    n = make_gif(gif, 1, 0);
    CHECK(lm_detect_format(gif, n) == LM_FORMAT_GIF);
    CHECK(lm_hash_memory(h, gif, n, &ih) == LM_OK);
    n = make_gif(gif, 2, 0);
    CHECK(lm_hash_video_memory(h, gif, n, &vh) == LM_OK && lm_video_hash_count(vh) == 2);
    lm_video_hash_free(vh);
    /* lm_hash_media_memory: the same decision in one call (pmatch hash uses it). */
    lm_image_hash mh;
    n = make_gif(gif, 1, 0);
    CHECK(lm_hash_media_memory(h, gif, n, &mh, &vh) == LM_OK && vh == NULL);
    CHECK(mh.format == LM_FORMAT_GIF && lm_pdq_distance(&mh.pdq, &ih.pdq) == 0);
    n = make_gif(gif, 2, 0);
    CHECK(lm_hash_media_memory(h, gif, n, &mh, &vh) == LM_OK && vh != NULL &&
          lm_video_hash_count(vh) == 2);
    lm_video_hash_free(vh);
    CHECK(lm_hash_media_memory(h, png, pn, &mh, &vh) == LM_OK && vh == NULL &&
          mh.format == LM_FORMAT_PNG);
    CHECK(lm_hash_media_memory(h, "not media", 9, &mh, &vh) == LM_E_FORMAT && vh == NULL);
    CHECK(lm_hash_media_memory(h, gif, n, NULL, &vh) == LM_E_INVALID_ARG && vh == NULL);
    CHECK(lm_hash_media_memory(NULL, gif, n, &mh, &vh) == LM_E_INVALID_ARG);
    lm_hasher_destroy(h);

    free(jpg);
    free(png);
    synth_free(&img);
    return check_report("decode-media");
}
