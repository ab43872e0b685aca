/*
 * Allocation-failure injection: this test is linked with --wrap=malloc,calloc,
 * realloc so every allocation made by libmatch's own code (and libpng's,
 * which goes through the decoder's allocator) can be failed. For each N the
 * Nth allocation fails: the decoder must return LM_E_NOMEM (or succeed when
 * fewer than N allocations happen) and leak nothing (the sanitizer build
 * checks leaks at exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long fail_at; /* 0: never fail */
static long calls;

static int should_fail(void)
{
    return fail_at > 0 && ++calls == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

/* Fail each allocation in turn until the decode no longer reaches the failing one. */
static void each_allocation(const uint8_t *d, size_t n, const char *what)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.exif_orient = 1;
    int failures_seen = 0;
    for (long k = 1; k < 10000; k++) {
        lm_pixels px;
        lm_errbuf err = {{0}};
        calls = 0;
        fail_at = k;
        lm_status st = lm_decode_image(d, n, &o, &px, &err);
        int reached = calls >= k;
        fail_at = 0;
        lm_pixels_free(&px);
        if (!reached) {
            CHECK_EQ_INT(st, LM_OK);
            printf("%s: %ld allocation(s) failed one at a time, all LM_E_NOMEM\n", what, k - 1);
            CHECK(failures_seen > 0);
            return;
        }
        if (st != LM_E_NOMEM) {
            fprintf(stderr, "%s: allocation %ld failed: %s (%s)\n", what, k, lm_strerror(st),
                    err.msg);
            CHECK_EQ_INT(st, LM_E_NOMEM);
        }
        failures_seen++;
    }
    CHECK(0); /* never converged */
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int main(void)
{
    synth_image rgb, grey, rgba, big;
    CHECK_EQ_INT(synth_make(&rgb, 40, 30, 1), 0);
    CHECK_EQ_INT(synth_make(&big, 700, 520, 2), 0);
    CHECK_EQ_INT(synth_grey(&rgb, &grey), 0);
    CHECK_EQ_INT(synth_add_alpha(&rgb, &rgba, 3), 0);
    uint8_t *b;
    size_t n;
    if (synth_encode_jpeg(&big, 80, &b, &n) == 0)
        each_allocation(b, n, "jpeg 700x520");
    free(b);
    if (synth_encode_jpeg_progressive(&grey, 80, &b, &n) == 0)
        each_allocation(b, n, "progressive grey jpeg");
    free(b);
    if (synth_encode_png(&rgba, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, &b, &n) == 0)
        each_allocation(b, n, "rgba png");
    free(b);
    if (synth_encode_png(&big, PNG_COLOR_TYPE_RGB, 16, 1, &b, &n) == 0)
        each_allocation(b, n, "interlaced 16-bit png 700x520");
    free(b);

    /* A tiny BMP: the libavcodec path (our own allocations around it). */
    size_t row = 40 * 3, size = 54 + row * 30;
    uint8_t *bmp = calloc(1, size);
    if (bmp) {
        bmp[0] = 'B';
        bmp[1] = 'M';
        put_le32(bmp + 2, (uint32_t)size);
        put_le32(bmp + 10, 54);
        put_le32(bmp + 14, 40);
        put_le32(bmp + 18, 40);
        put_le32(bmp + 22, 30);
        bmp[26] = 1;
        bmp[28] = 24;
        memcpy(bmp + 54, rgb.px, row * 30);
        each_allocation(bmp, size, "bmp");
    }
    free(bmp);
    synth_free(&rgb);
    synth_free(&grey);
    synth_free(&rgba);
    synth_free(&big);
    return check_report("test_nomem");
}
