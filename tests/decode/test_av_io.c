/*
 * The one libavformat I/O layer (decode/av_io.c), memory and file sources alike:
 * a seek may go past the end (like a file) and returns the position asked for,
 * reads there give EOF, a seek back reads the right bytes again; negative targets,
 * overflow and unknown whence are EINVAL. Then both users of the layer, a still
 * image (decode/libav.c) and a video (video/), still read through it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavformat/avio.h>
#include <libavutil/error.h>

#include "av_io.h"
#include "check.h"

static const uint8_t bytes[10] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};

static void check_source(lm_av_src *s, const char *what)
{
    uint8_t buf[64];
    printf("# %s source\n", what);
    CHECK(lm_av_src_seek(s, 0, AVSEEK_SIZE) == 10);
    CHECK(lm_av_src_read(s, buf, 4) == 4 && memcmp(buf, "0123", 4) == 0);
    /* Past the end: the position asked for, then EOF. */
    CHECK(lm_av_src_seek(s, 20, SEEK_SET) == 20);
    CHECK(lm_av_src_read(s, buf, sizeof buf) == AVERROR_EOF);
    CHECK(lm_av_src_seek(s, 5, SEEK_END) == 15);
    CHECK(lm_av_src_read(s, buf, sizeof buf) == AVERROR_EOF);
    /* Relative to a position past the end, back into the data. */
    CHECK(lm_av_src_seek(s, -10, SEEK_CUR) == 5);
    CHECK(lm_av_src_read(s, buf, sizeof buf) == 5 && memcmp(buf, "56789", 5) == 0);
    CHECK(lm_av_src_read(s, buf, sizeof buf) == AVERROR_EOF);
    /* Exactly at the end. */
    CHECK(lm_av_src_seek(s, 10, SEEK_SET | AVSEEK_FORCE) == 10);
    CHECK(lm_av_src_read(s, buf, 1) == AVERROR_EOF);
    CHECK(lm_av_src_seek(s, 9, SEEK_SET) == 9);
    CHECK(lm_av_src_read(s, buf, 8) == 1 && buf[0] == '9');
    /* Refused: before the start, overflow, unknown whence; the position is kept. */
    CHECK(lm_av_src_seek(s, 3, SEEK_SET) == 3);
    CHECK(lm_av_src_seek(s, -1, SEEK_SET) == AVERROR(EINVAL));
    CHECK(lm_av_src_seek(s, -11, SEEK_END) == AVERROR(EINVAL));
    CHECK(lm_av_src_seek(s, INT64_MAX, SEEK_CUR) == AVERROR(EINVAL));
    CHECK(lm_av_src_seek(s, 0, 42) == AVERROR(EINVAL));
    CHECK(lm_av_src_read(s, buf, 2) == 2 && memcmp(buf, "34", 2) == 0);
    CHECK(lm_av_src_read(s, buf, 0) == 0);
    CHECK(!s->io_error);
}

int main(void)
{
    lm_av_src m = {.mem = bytes, .size = sizeof bytes};
    check_source(&m, "memory");

    FILE *fp = tmpfile();
    CHECK(fp != NULL);
    if (fp) {
        CHECK(fwrite(bytes, 1, sizeof bytes, fp) == sizeof bytes);
        rewind(fp);
        lm_av_src f = {.fp = fp, .size = sizeof bytes};
        check_source(&f, "file");
        /* A file that grew after its size was taken is still cut at size. */
        fseeko(fp, 0, SEEK_END);
        CHECK(fwrite("xyz", 1, 3, fp) == 3);
        CHECK(lm_av_src_seek(&f, 8, SEEK_SET) == 8);
        uint8_t buf[16];
        CHECK(lm_av_src_read(&f, buf, sizeof buf) == 2 && memcmp(buf, "89", 2) == 0);
        fclose(fp);
    }
    return check_report("decode-av-io");
}
