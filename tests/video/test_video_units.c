/*
 * The small pieces of libmatch/video on their own: orientation transforms and
 * display matrices, interval sampling, vPDQ text lines, border cropping.
 */
#include <libavutil/display.h>

#include "check.h"
#include "decode_internal.h"
#include "border.h"
#include "orient.h"
#include "video_sample.h"
#include "vpdq_text.h"

/* A 3x2 image whose pixel (x, y) holds the value 10*y + x in every channel. */
static void test_xforms(void)
{
    uint8_t src[2 * 9], dst[2 * 9];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            memset(src + y * 9 + x * 3, 10 * y + x, 3);
    /* Expected source (x, y) of each destination pixel, row by row, per transform. */
    static const struct {
        lm_xform xf;
        int dw;
        uint8_t want[6];
    } cases[] = {
        {LM_XF_NONE, 3, {0, 1, 2, 10, 11, 12}},
        {LM_XF_ROT90, 2, {10, 0, 11, 1, 12, 2}},
        {LM_XF_ROT180, 3, {12, 11, 10, 2, 1, 0}},
        {LM_XF_ROT270, 2, {2, 12, 1, 11, 0, 10}},
        {LM_XF_HFLIP, 3, {2, 1, 0, 12, 11, 10}},
        {LM_XF_VFLIP, 3, {10, 11, 12, 0, 1, 2}},
        {LM_XF_TRANSPOSE, 2, {0, 10, 1, 11, 2, 12}},
        {LM_XF_ANTITRANSPOSE, 2, {12, 2, 11, 1, 10, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int dw = cases[i].dw;
        CHECK_EQ_INT(lm_xform_swaps(cases[i].xf), dw == 2);
        lm_xform_pixels(cases[i].xf, src, 3, 2, 9, 3, dst, (size_t)dw * 3);
        for (int k = 0; k < 6; k++)
            CHECK_EQ_INT(dst[k * 3 + 1], cases[i].want[k]);
    }
}

static void test_matrices(void)
{
    int32_t m[9];
    /* libavutil's _get returns counter-clockwise degrees; a player turns by its negative. */
    static const struct {
        double ccw;
        lm_xform xf;
        int deg;
    } cases[] = {{0, LM_XF_NONE, 0},       {-90, LM_XF_ROT90, 90},    {90, LM_XF_ROT270, 270},
                 {180, LM_XF_ROT180, 180}, {-180, LM_XF_ROT180, 180}, {45, LM_XF_NONE, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        av_display_rotation_set(m, cases[i].ccw);
        if (av_display_rotation_get(m) * cases[i].ccw < 0) /* _set's sign has varied */
            av_display_rotation_set(m, -cases[i].ccw);
        lm_xform xf = lm_xform_from_matrix(m);
        CHECK_EQ_INT(xf, cases[i].xf);
        CHECK_EQ_INT(lm_xform_degrees(xf), cases[i].deg);
    }
    memset(m, 0, sizeof m); /* singular: no rotation */
    CHECK_EQ_INT(lm_xform_from_matrix(m), LM_XF_NONE);
    av_display_rotation_set(m, 0);
    av_display_matrix_flip(m, 0, 1); /* upside-down mirror */
    CHECK_EQ_INT(lm_xform_from_matrix(m), LM_XF_VFLIP);
}

static void test_sampler(void)
{
    lm_video_sampler s;
    lm_video_sampler_init(&s, LM_VIDEO_SAMPLE_INTERVAL, 0.5);
    static const double t[] = {-0.02, 0.1, 0.4999999, 0.5, 0.9, 2.2, 2.0, 2.6, 2.61};
    static const int want[] = {1, 0, 1, 0, 0, 1, 0, 1, 0};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        CHECK_EQ_INT(lm_video_sampler_take(&s, t[i]), want[i]);
    lm_video_sampler_init(&s, LM_VIDEO_SAMPLE_ALL, 0);
    CHECK(lm_video_sampler_take(&s, 5.0) && lm_video_sampler_take(&s, 5.0));
}

static void test_text(void)
{
    const char *line =
        "12,100,d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e,0.400\n";
    lm_video_frame f;
    CHECK_EQ_INT(lm_vpdq_parse_line(line, strlen(line), &f), LM_OK);
    CHECK_EQ_INT(f.frame_number, 12);
    CHECK_EQ_INT(f.quality, 100);
    char out[LM_VPDQ_LINE_MAX];
    CHECK(lm_vpdq_format_line(&f, out, sizeof out) > 0);
    CHECK_EQ_STR(out, line);
    CHECK_EQ_INT(lm_vpdq_format_line(&f, out, 20), -1);
    const char *three = "3,50,d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e";
    CHECK_EQ_INT(lm_vpdq_parse_line(three, strlen(three), &f), LM_OK);
    const char *bad[] = {
        "",
        "1,2",
        "x,100,00,0.1",
        "-1,100,d3d8,0.1",
        "1,101,d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e,0",
        "1,100,d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e,x",
        "1,100,d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e,1,2",
        "1,100,d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c42,0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(lm_vpdq_parse_line(bad[i], strlen(bad[i]), &f), LM_E_PARSE);
}

static void test_crop(void)
{
    enum { W = 64, H = 48 };
    static uint8_t img[H][W][3];
    /* Pillarbox: 8 black columns each side, a noisy bright picture between. */
    uint64_t rng = 3;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            memset(img[y][x],
                   x < 8 || x >= W - 8 ? (int)(check_rand(&rng) % 20)
                                       : 60 + (int)(check_rand(&rng) % 150),
                   3);
    lm_border_bands b;
    CHECK_EQ_INT(lm_border_detect(&lm_border_video, &img[0][0][0], W, H, W * 3, 3, &b), 1);
    CHECK(b.left == 8 && b.top == 0 && b.right == 8 && b.bottom == 0);
    /* A dark scene is not all bars: nothing is cropped. */
    memset(img, 5, sizeof img);
    CHECK_EQ_INT(lm_border_detect(&lm_border_video, &img[0][0][0], W, H, W * 3, 3, &b), 0);
    CHECK(b.left == 0 && b.top == 0 && b.right == 0 && b.bottom == 0);
}

int main(void)
{
    CHECK(lm_av_load(NULL) ==
          LM_OK); /* decode/orient.c reads display matrices with FFmpeg (av_lazy.h) */
    test_xforms();
    test_matrices();
    test_sampler();
    test_text();
    test_crop();
    return check_report("video-units");
}
