/*
 * Hostile and edge-case input for the video decoder: truncated and corrupted
 * copies of a sample (made in memory), garbage, still images, every limit, and
 * the sampling modes on generated videos (variable frame rate, key frames,
 * rotation metadata, animated GIF). Nothing may crash, hang or leak; each
 * failure must be a clear status.
 */
#include "check.h"
#include "synth_video.h"
#include "vpdq_test_util.h"

static lm_video_opts small_opts(void)
{
    lm_video_opts o;
    lm_video_opts_default(&o);
    o.scale_width = o.scale_height = 64; /* decoding is what is under test; keep hashing cheap */
    return o;
}

static int acceptable_damage_status(lm_status st)
{
    return st == LM_OK || st == LM_E_CORRUPT || st == LM_E_FORMAT || st == LM_E_UNSUPPORTED ||
           st == LM_E_LIMIT_PIXELS || st == LM_E_LIMIT_DURATION || st == LM_E_LIMIT_FRAMES;
}

static void test_damaged(const uint8_t *data, size_t len, size_t full_frames)
{
    lm_video_opts o = small_opts();
    lm_errbuf err = {{0}};
    /* Truncations: inside the header, the index, and the media data. */
    size_t cuts[] = {0,    1,       4,       8,       16,          100,        1000,
                     4096, len / 8, len / 4, len / 2, len * 3 / 4, len - 1000, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        lm_vpdq_frames f = {0};
        lm_status st = lm_video_hash_memory(data, cuts[i], &o, &f, NULL, &err);
        CHECK(acceptable_damage_status(st));
        CHECK(f.n <= full_frames);
        if (cuts[i] < 16)
            CHECK_EQ_INT(st, LM_E_FORMAT);
        if (st != LM_OK)
            CHECK(err.msg[0] != '\0');
        lm_vpdq_frames_free(&f);
    }
    /* Random byte damage, fixed seed: from one byte to many, anywhere in the file. */
    uint64_t rng = check_test_seed(2026);
    uint8_t *copy = malloc(len);
    CHECK(copy != NULL);
    if (!copy)
        return;
    int counts[32] = {0};
    for (int trial = 0; trial < 48; trial++) {
        memcpy(copy, data, len);
        int flips = 1 + (int)(check_rand(&rng) % (trial < 24 ? 4 : 400));
        for (int k = 0; k < flips; k++) {
            /* Half the trials aim at the first 4 KiB, where the container's tables are. */
            size_t span = (trial % 2) ? len : (len < 4096 ? len : 4096);
            copy[check_rand(&rng) % span] = (uint8_t)check_rand(&rng);
        }
        lm_vpdq_frames f = {0};
        lm_status st = lm_video_hash_memory(copy, len, &o, &f, NULL, &err);
        CHECK(acceptable_damage_status(st));
        if (!acceptable_damage_status(st))
            fprintf(stderr, "trial %d: status %d (%s)\n", trial, st, err.msg);
        counts[st < 32 ? st : 31]++;
        lm_vpdq_frames_free(&f);
    }
    printf("byte damage, 48 trials: ok %d, corrupt %d, format %d, other %d\n", counts[LM_OK],
           counts[LM_E_CORRUPT], counts[LM_E_FORMAT],
           48 - counts[LM_OK] - counts[LM_E_CORRUPT] - counts[LM_E_FORMAT]);
    free(copy);
}

static void test_limits(const char *path, const uint8_t *data, size_t len)
{
    lm_errbuf err = {{0}};
    lm_vpdq_frames f = {0};
    lm_video_opts o = small_opts();
    o.max_frames = 10;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &f, NULL, &err), LM_E_LIMIT_FRAMES);
    CHECK_EQ_INT(f.n, 10); /* the partial result is kept */
    lm_vpdq_frames_free(&f);

    o = small_opts();
    o.max_duration_seconds = 1.0;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &f, NULL, &err), LM_E_LIMIT_DURATION);
    lm_vpdq_frames_free(&f);

    o = small_opts();
    o.scale_width = o.scale_height = 0;
    o.max_pixels = 1000;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &f, NULL, &err), LM_E_LIMIT_PIXELS);
    CHECK_EQ_INT(f.n, 0);

    o = small_opts();
    o.max_bytes = len - 1;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &f, NULL, &err), LM_E_LIMIT_BYTES);
    CHECK_EQ_INT(lm_video_hash_file(path, &o, &f, NULL, &err), LM_E_LIMIT_BYTES);
    CHECK_EQ_INT(f.n, 0);

    o = small_opts();
    o.threads = 0;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &f, NULL, &err), LM_E_INVALID_ARG);
    o = small_opts();
    o.sampling = LM_VIDEO_SAMPLE_INTERVAL;
    o.interval_seconds = 0.0;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &f, NULL, &err), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_video_hash_memory(NULL, 10, NULL, &f, NULL, &err), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_video_hash_file("/nonexistent/x.mp4", NULL, &f, NULL, &err), LM_E_IO);
    CHECK_EQ_INT(lm_video_hash_file("/dev/zero", NULL, &f, NULL, &err), LM_E_IO);
    CHECK_EQ_INT(f.n, 0);
}

/* The same file from memory and from disk hashes the same; sampling modes on it. */
static void test_sources_and_modes(const char *path, const uint8_t *data, size_t len)
{
    lm_errbuf err = {{0}};
    lm_vpdq_frames a = {0}, b = {0};
    lm_video_opts o = small_opts();
    lm_video_info info;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &a, &info, &err), LM_OK);
    CHECK_EQ_INT(lm_video_hash_file(path, &o, &b, NULL, &err), LM_OK);
    CHECK_EQ_INT(a.n, b.n);
    CHECK(a.n == b.n && memcmp(a.v, b.v, a.n * sizeof *a.v) == 0);
    CHECK_EQ_INT(info.frames_decoded, (long long)a.n);
    CHECK(info.fps > 29.9 && info.fps < 30.1);

    lm_vpdq_frames k = {0}, iv = {0};
    o.sampling = LM_VIDEO_SAMPLE_KEYFRAMES;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &k, NULL, &err), LM_OK);
    CHECK(k.n >= 1 && k.n < a.n / 4);
    CHECK(k.n >= 1 && k.v[0].frame_number == 0 &&
          memcmp(&k.v[0].pdq, &a.v[0].pdq, sizeof k.v[0].pdq) == 0);
    o.sampling = LM_VIDEO_SAMPLE_INTERVAL;
    o.interval_seconds = 1.0;
    CHECK_EQ_INT(lm_video_hash_memory(data, len, &o, &iv, NULL, &err), LM_OK);
    double dur = a.v[a.n - 1].timestamp;
    CHECK_EQ_INT(iv.n, (long long)dur + 1);
    for (size_t i = 0; i < iv.n; i++) {
        CHECK(iv.v[i].timestamp >= (double)i - 1e-6 && iv.v[i].timestamp < (double)i + 0.05);
        /* Every sampled frame is the frame of that number in the full run. */
        int64_t fn = iv.v[i].frame_number;
        CHECK(fn >= 0 && (size_t)fn < a.n &&
              memcmp(&iv.v[i].pdq, &a.v[fn].pdq, sizeof iv.v[i].pdq) == 0);
    }
    lm_vpdq_frames_free(&a);
    lm_vpdq_frames_free(&b);
    lm_vpdq_frames_free(&k);
    lm_vpdq_frames_free(&iv);
}

static void test_not_video(const char *dir)
{
    lm_errbuf err = {{0}};
    lm_vpdq_frames f = {0};
    uint8_t garbage[20000];
    uint64_t rng = 7;
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)check_rand(&rng);
    CHECK_EQ_INT(lm_video_hash_memory(garbage, sizeof garbage, NULL, &f, NULL, &err), LM_E_FORMAT);
    CHECK_EQ_INT(lm_video_hash_memory("", 0, NULL, &f, NULL, &err), LM_E_FORMAT);
    /* Still images are never videos, even when libavformat could read them. */
    const char *stills[] = {"pdq/misc-images/small.jpg", "pdq/misc-images/c.png",
                            "pdq/misc-images/modes/F.webp"};
    for (size_t i = 0; i < sizeof stills / sizeof stills[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, stills[i]);
        size_t len = 0;
        uint8_t *img = testdata_read(p, &len);
        if (!img)
            continue;
        CHECK_EQ_INT(lm_video_hash_memory(img, len, NULL, &f, NULL, &err), LM_E_FORMAT);
        free(img);
    }
    CHECK_EQ_INT(f.n, 0);
}

/* Playlists name other files or URLs: the decoder must never open them. */
static void test_playlists(const char *dir)
{
    char target[4096], text[8192];
    snprintf(target, sizeof target, "%s/video/test-padded-dimensions.mp4", dir);
    const char *forms[] = {"ffconcat version 1.0\nfile '%s'\n",
                           "ffconcat version 1.0\nfile 'relative.mp4'\n# %s\n",
                           "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://%s\n"
                           "#EXT-X-ENDLIST\n"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int n = snprintf(text, sizeof text, forms[i], target);
        lm_vpdq_frames f = {0};
        lm_errbuf err = {{0}};
        lm_status st = lm_video_hash_memory(text, (size_t)n, NULL, &f, NULL, &err);
        CHECK(st == LM_E_FORMAT || st == LM_E_CORRUPT);
        CHECK_EQ_INT(f.n, 0); /* the referenced video was not read */
        lm_vpdq_frames_free(&f);
    }
}

/* The video s describes, encoded in memory; NULL (and a failed check) if it cannot be made. */
static uint8_t *made(const vt_synth *s, size_t *len)
{
    uint8_t *v = NULL;
    *len = 0;
    CHECK_EQ_INT(vt_synth_make(s, &v, len), 0);
    return v;
}

/* Variable frame rate: interval sampling follows time, not frame counts. */
static void test_vfr(void)
{
    static const int64_t ms[] = {0, 100, 150, 980, 1000, 1010, 1020, 2700, 2750, 4100, 4200, 4300};
    vt_synth s = {"matroska", "mpeg4", 96, 64, 12, ms, 100, 0, 0};
    size_t len;
    uint8_t *v = made(&s, &len);
    if (!v)
        return;
    lm_video_opts o;
    lm_video_opts_default(&o);
    o.sampling = LM_VIDEO_SAMPLE_INTERVAL;
    o.interval_seconds = 1.0;
    lm_vpdq_frames f = {0};
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_video_hash_memory(v, len, &o, &f, NULL, &err), LM_OK);
    /* Seconds 0, 1, 2, 4 have frames (first: 0, 1.000, 2.700, 4.100); second 3 has none. */
    static const double want[] = {0.0, 1.0, 2.7, 4.1};
    static const int64_t want_fn[] = {0, 4, 7, 9};
    CHECK_EQ_INT(f.n, 4);
    for (size_t i = 0; i < f.n && i < 4; i++) {
        CHECK(f.v[i].timestamp > want[i] - 1e-3 && f.v[i].timestamp < want[i] + 1e-3);
        CHECK_EQ_INT(f.v[i].frame_number, want_fn[i]);
    }
    lm_vpdq_frames_free(&f);
    o.sampling = LM_VIDEO_SAMPLE_ALL;
    CHECK_EQ_INT(lm_video_hash_memory(v, len, &o, &f, NULL, &err), LM_OK);
    CHECK_EQ_INT(f.n, 12);
    CHECK(f.n == 12 && f.v[7].timestamp > 2.699 && f.v[7].timestamp < 2.701);
    lm_vpdq_frames_free(&f);
    free(v);
}

/* Key frames: only they are decoded; GOP of 10 in 30 frames gives 3. */
static void test_keyframes(void)
{
    vt_synth s = {"matroska", "mpeg4", 96, 64, 30, NULL, 10, 0, 0};
    size_t len;
    uint8_t *v = made(&s, &len);
    if (!v)
        return;
    lm_video_opts o;
    lm_video_opts_default(&o);
    o.sampling = LM_VIDEO_SAMPLE_KEYFRAMES;
    lm_vpdq_frames f = {0};
    lm_video_info info;
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_video_hash_memory(v, len, &o, &f, &info, &err), LM_OK);
    CHECK_EQ_INT(f.n, 3);
    CHECK_EQ_INT(info.frames_decoded, 3); /* the others never reached the decoder */
    for (size_t i = 0; i < f.n && i < 3; i++)
        CHECK_EQ_INT(f.v[i].frame_number, (long long)(10 * i));
    lm_vpdq_frames_free(&f);
    free(v);
}

/* A display matrix turning the picture 90 degrees clockwise is applied before hashing. */
static void test_rotation(void)
{
    vt_synth rot = {"mp4", "mpeg4", 160, 96, 3, NULL, 10, 90, 0};
    vt_synth upright = {"mp4", "mpeg4", 160, 96, 3, NULL, 10, 0, 1};
    size_t alen, blen;
    uint8_t *a = made(&rot, &alen), *b = made(&upright, &blen);
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    lm_video_opts o;
    lm_video_opts_default(&o);
    lm_vpdq_frames fa = {0}, fb = {0}, fraw = {0};
    lm_video_info ia, ib;
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_video_hash_memory(a, alen, &o, &fa, &ia, &err), LM_OK);
    CHECK_EQ_INT(lm_video_hash_memory(b, blen, &o, &fb, &ib, &err), LM_OK);
    CHECK_EQ_INT(ia.rotation, 90);
    CHECK_EQ_INT(ib.rotation, 0);
    o.apply_rotation = 0;
    CHECK_EQ_INT(lm_video_hash_memory(a, alen, &o, &fraw, NULL, &err), LM_OK);
    CHECK(fa.n == 3 && fb.n == 3 && fraw.n == 3);
    for (size_t i = 0; i < fa.n && i < fb.n && i < fraw.n; i++) {
        /* Two encodes of the same picture: close, not necessarily equal. */
        int d_rot = lm_pdq_distance(&fa.v[i].pdq, &fb.v[i].pdq);
        int d_raw = lm_pdq_distance(&fraw.v[i].pdq, &fb.v[i].pdq);
        printf("rotation frame %zu: turned vs upright %d bits, unturned vs upright %d bits\n", i,
               d_rot, d_raw);
        CHECK(d_rot <= 16 && d_raw > 64);
    }
    lm_vpdq_frames_free(&fa);
    lm_vpdq_frames_free(&fb);
    lm_vpdq_frames_free(&fraw);
    free(a);
    free(b);
}

/* Animated GIF is a video (every frame); a one-frame GIF is a still image, never a video. */
static void test_gif_webp(void)
{
    vt_synth anim = {"gif", "gif", 96, 64, 5, NULL, 1, 0, 0};
    vt_synth still = {"gif", "gif", 96, 64, 1, NULL, 1, 0, 0};
    size_t alen, blen;
    uint8_t *a = made(&anim, &alen), *b = made(&still, &blen);
    lm_vpdq_frames f = {0};
    lm_video_info info;
    lm_errbuf err = {{0}};
    if (a) {
        CHECK_EQ_INT(lm_video_hash_memory(a, alen, NULL, &f, &info, &err), LM_OK);
        CHECK_EQ_INT(f.n, 5);
        CHECK_EQ_STR(info.container, "gif");
        CHECK(f.n == 5 && lm_pdq_distance(&f.v[0].pdq, &f.v[4].pdq) > 0);
        lm_vpdq_frames_free(&f);
    }
    if (b) {
        CHECK_EQ_INT(lm_video_hash_memory(b, blen, NULL, &f, NULL, &err), LM_E_FORMAT);
        CHECK_EQ_INT(f.n, 0);
        lm_vpdq_frames_free(&f); /* always, whatever the status */
    }
    free(a);
    free(b);
    /* An animated WebP header (VP8X with the animation flag). */
    uint8_t webp[64] = "RIFF\x38\0\0\0WEBPVP8X\x0a\0\0\0\x02";
    lm_status st = lm_video_hash_memory(webp, sizeof webp, NULL, &f, NULL, &err);
    CHECK(st == LM_E_UNSUPPORTED || st == LM_E_CORRUPT || st == LM_E_FORMAT);
    CHECK_EQ_INT(f.n, 0);
}

/*
 * Issue 19: a cut file says so (lm_video_info.truncated) with the frames before the cut; the
 * whole file does not. (The sample MP4s of the test data keep their index at the end: cut,
 * they do not open at all; tests/cli/test_hostile.py cuts one with its index in front.)
 */
static void check_cut(const char *what, const uint8_t *data, size_t len, size_t cut_at)
{
    lm_video_opts o = small_opts();
    lm_errbuf err = {{0}};
    lm_video_info info;
    lm_vpdq_frames whole = {0}, part = {0};
    lm_status st = lm_video_hash_memory(data, len, &o, &whole, &info, &err);
    CHECK_EQ_INT(st, LM_OK);
    CHECK_EQ_INT(info.truncated, 0);
    st = lm_video_hash_memory(data, cut_at, &o, &part, &info, &err);
    printf("%s cut at %zu of %zu bytes: status %d, %zu of %zu frames, truncated %d: %s\n", what,
           cut_at, len, st, part.n, whole.n, info.truncated, err.msg);
    CHECK_EQ_INT(st, LM_E_CORRUPT);
    CHECK_EQ_INT(info.truncated, 1);
    CHECK(part.n > 0 && part.n < whole.n);
    CHECK(strstr(err.msg, "truncated") != NULL || strstr(err.msg, "reading packets") != NULL);
    lm_vpdq_frames_free(&whole);
    lm_vpdq_frames_free(&part);
}

static void test_truncated_synth(void)
{
    /* Fragmented MP4 (its fragments' sample tables reach past the cut), Matroska written
     * seekably (a declared duration; the cues at the end are cut off: the packets end early) */
    static const char *const muxers[] = {"mp4", "matroska"};
    for (int i = 0; i < 2; i++) {
        vt_synth s = {muxers[i], "mpeg4", 96, 64, 100, NULL, 10, 0, 0};
        uint8_t *v = NULL;
        size_t len = 0;
        CHECK_EQ_INT(vt_synth_make_ex(&s, i == 1, &v, &len), 0);
        if (!v)
            continue;
        check_cut(muxers[i], v, len, len * 6 / 10);
        free(v);
    }
    /* Whole files of other containers are never called truncated (streamed and seekable; AVI
     * only seekable: its muxer goes back to write the header). */
    static const char *const others[] = {"mpegts", "avi", "nut", "matroska", "mp4"};
    for (int i = 0; i < 10; i++) {
        if (i == 2)
            continue;
        vt_synth s = {others[i / 2], "mpeg4", 96, 64, 60, NULL, 10, 0, 0};
        uint8_t *v = NULL;
        size_t len = 0;
        CHECK_EQ_INT(vt_synth_make_ex(&s, i % 2, &v, &len), 0);
        if (!v)
            continue;
        lm_video_opts o = small_opts();
        lm_errbuf err = {{0}};
        lm_video_info info;
        lm_vpdq_frames f = {0};
        lm_status st = lm_video_hash_memory(v, len, &o, &f, &info, &err);
        if (st != LM_OK || info.truncated || f.n < 55)
            fprintf(stderr, "%s (seekable %d): status %d, truncated %d, %zu frames: %s\n",
                    others[i / 2], i % 2, st, info.truncated, f.n, err.msg);
        CHECK_EQ_INT(st, LM_OK);
        CHECK_EQ_INT(info.truncated, 0);
        CHECK(f.n >= 55); /* an MP4 written seekably may leave the last frame to its edit list */
        lm_vpdq_frames_free(&f);
        free(v);
    }
}

int main(void)
{
    test_truncated_synth();
    test_gif_webp();
    test_vfr();
    test_keyframes();
    test_rotation();
    int code;
    const char *dir = vt_testdata(&code);
    if (!dir) {
        check_report("video-hostile");
        return check_failures ? 1 : code;
    }
    test_not_video(dir);
    test_playlists(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/video/test-padded-dimensions.mp4", dir);
    size_t len = 0;
    uint8_t *data = testdata_read(path, &len);
    CHECK(data != NULL && len > 10000);
    if (data && len > 10000) {
        test_sources_and_modes(path, data, len);
        test_limits(path, data, len);
        test_damaged(data, len, 150);
    }
    free(data);
    return check_report("video-hostile");
}
