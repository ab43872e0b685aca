#include "json.h"

#include <stddef.h>
#include <string.h>

size_t utf8_sequence(const unsigned char *s)
{
    /* RFC 3629 table 3.9: no overlongs, no surrogates (ED A0..BF), nothing above U+10FFFF. */
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0; /* 80..C1 (continuation, overlong 2-byte lead), F5..FF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

int utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t n = utf8_sequence(s);
        if (n == 0)
            return 0;
        s += n;
    }
    return 1;
}

void json_string(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    while (*s) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            s++;
        } else {
            size_t n = utf8_sequence(s);
            if (n == 0) {
                fputs("\\ufffd", out); /* not UTF-8: keep the output valid JSON */
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
    fputc('"', out);
}

void json_base64(FILE *out, const unsigned char *b, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputc('"', out);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)b[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)b[i + 1] << 8;
        if (i + 2 < n)
            v |= b[i + 2];
        char q[4] = {digits[(v >> 18) & 63], digits[(v >> 12) & 63],
                     i + 1 < n ? digits[(v >> 6) & 63] : '=', i + 2 < n ? digits[v & 63] : '='};
        fwrite(q, 1, 4, out);
    }
    fputc('"', out);
}

void json_name(FILE *out, const char *key, const char *s)
{
    fprintf(out, "\"%s\":", key);
    json_string(out, s);
    if (!utf8_valid(s)) {
        fprintf(out, ",\"%s_bytes\":", key);
        json_base64(out, (const unsigned char *)s, strlen(s));
    }
}

void text_name(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned char c = *s;
        size_t n = utf8_sequence(s);
        if (c == '\\') {
            fputs("\\\\", out);
            s++;
        } else if (c == '\n') {
            fputs("\\n", out);
            s++;
        } else if (c == '\r') {
            fputs("\\r", out);
            s++;
        } else if (c == '\t') {
            fputs("\\t", out);
            s++;
        } else if (c < 0x20 || c == 0x7f || n == 0) {
            fprintf(out, "\\x%02x", c); /* controls (ESC...) and bytes that are not UTF-8 */
            s++;
        } else if (n == 2 && c == 0xC2 && s[1] < 0xA0) {
            fprintf(out, "\\x%02x\\x%02x", c, s[1]); /* C1 controls (U+0080..U+009F, CSI) */
            s += 2;
        } else {
            fwrite(s, 1, n, out);
            s += n;
        }
    }
}
