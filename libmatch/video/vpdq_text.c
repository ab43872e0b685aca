#include "vpdq_text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lm_vpdq_format_line(const lm_video_frame *f, char *buf, size_t size)
{
    char hex[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&f->pdq, hex);
    int n = snprintf(buf, size, "%lld,%d,%s,%.3f\n", (long long)f->frame_number, f->quality, hex,
                     f->timestamp);
    return (n < 0 || (size_t)n >= size) ? -1 : n;
}

/* A decimal integer filling exactly s[0..len). */
static int parse_int(const char *s, size_t len, long long lo, long long hi, long long *out)
{
    char tmp[24];
    if (len == 0 || len >= sizeof tmp)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || *end || v < lo || v > hi || tmp[0] == ' ' || tmp[0] == '+')
        return -1;
    *out = v;
    return 0;
}

lm_status lm_vpdq_parse_line(const char *line, size_t len, lm_video_frame *out)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    const char *field[4];
    size_t flen[4];
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (nf == 4)
                return LM_E_PARSE;
            field[nf] = line + start;
            flen[nf++] = i - start;
            start = i + 1;
        }
    }
    if (nf < 3)
        return LM_E_PARSE;
    long long frame, quality;
    lm_video_frame f = {0};
    if (parse_int(field[0], flen[0], 0, INT64_MAX, &frame) ||
        parse_int(field[1], flen[1], 0, 100, &quality) ||
        lm_pdq_from_hex(field[2], flen[2], &f.pdq) != LM_OK)
        return LM_E_PARSE;
    f.frame_number = frame;
    f.quality = (int)quality;
    if (nf == 4) {
        char tmp[32];
        if (flen[3] == 0 || flen[3] >= sizeof tmp)
            return LM_E_PARSE;
        memcpy(tmp, field[3], flen[3]);
        tmp[flen[3]] = '\0';
        char *end;
        errno = 0;
        f.timestamp = strtod(tmp, &end);
        if (errno || *end || !isfinite(f.timestamp) || f.timestamp < 0.0)
            return LM_E_PARSE;
    }
    *out = f;
    return LM_OK;
}
