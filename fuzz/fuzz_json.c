/*
 * libFuzzer harness: the CLI's JSON and text writers for names (cli/json.c). The
 * input, cut at its first NUL, is a file name. Asserts that json_string's output
 * is one valid JSON string of well-formed UTF-8 (checked here independently of
 * json.c), that it decodes back to the input when the input is UTF-8, that
 * json_name's "_bytes" field carries the exact bytes otherwise (base64), and that
 * text_name's output holds no control characters and is well-formed UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "json.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_json: %s:%d: %s\n", __FILE__, __LINE__, #c);                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Code point of the well-formed UTF-8 sequence at s[0..n) and its length, or 0 (Unicode 15,
 * table 3-7, written from the code point ranges rather than the byte table json.c uses). */
static size_t decode_cp(const unsigned char *s, size_t n, unsigned long *cp)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t len;
    unsigned long v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c >> 5) == 6) {
        len = 2, v = c & 0x1f;
    } else if ((c >> 4) == 14) {
        len = 3, v = c & 0x0f;
    } else if ((c >> 3) == 30) {
        len = 4, v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] >> 6) != 2)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    static const unsigned long min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t k = decode_cp(s + i, n - i, &cp);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Parse one JSON string at s[*pos]; append its UTF-8 decoding to out (cap >= n). */
static void parse_json_string(const unsigned char *s, size_t n, size_t *pos, unsigned char *out,
                              size_t *outlen)
{
    size_t i = *pos, o = 0;
    CHECK(i < n && s[i] == '"');
    i++;
    for (;;) {
        CHECK(i < n);
        unsigned c = s[i];
        CHECK(c >= 0x20); /* raw control characters are not JSON */
        if (c == '"')
            break;
        if (c != '\\') {
            out[o++] = (unsigned char)c;
            i++;
            continue;
        }
        CHECK(i + 1 < n);
        unsigned e = s[i + 1];
        i += 2;
        const char *simple = "\"\\/bfnrt", *map = "\"\\/\b\f\n\r\t";
        const char *p = e ? strchr(simple, (int)e) : NULL;
        if (p) {
            out[o++] = (unsigned char)map[p - simple];
            continue;
        }
        CHECK(e == 'u' && i + 4 <= n);
        unsigned long v = 0;
        for (int k = 0; k < 4; k++) {
            int h = hexval(s[i + k]);
            CHECK(h >= 0);
            v = v << 4 | (unsigned)h;
        }
        i += 4;
        CHECK(v < 0xd800 || v > 0xdfff); /* json.c never writes surrogate escapes */
        if (v < 0x80) {
            out[o++] = (unsigned char)v;
        } else if (v < 0x800) {
            out[o++] = (unsigned char)(0xc0 | v >> 6);
            out[o++] = (unsigned char)(0x80 | (v & 0x3f));
        } else {
            out[o++] = (unsigned char)(0xe0 | v >> 12);
            out[o++] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
            out[o++] = (unsigned char)(0x80 | (v & 0x3f));
        }
    }
    *pos = i + 1;
    *outlen = o;
}

static size_t unbase64(const unsigned char *s, size_t n, unsigned char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    CHECK(n % 4 == 0);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned d = 0;
            if (s[i + k] == '=') {
                CHECK(i + 4 == n && k >= 2);
                pad++;
            } else {
                CHECK(!pad);
                const char *p = strchr(digits, s[i + k]);
                CHECK(p && s[i + k]);
                d = (unsigned)(p - digits);
            }
            v = v << 6 | d;
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    return o;
}

static char *render(void (*fn)(FILE *, const char *), const char *name, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    CHECK(f);
    fn(f, name);
    CHECK(fclose(f) == 0);
    return buf;
}

static void name_field(FILE *f, const char *s)
{
    fputc('{', f);
    json_name(f, "path", s);
    fputc('}', f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *name = malloc(size + 1);
    CHECK(name);
    memcpy(name, data, size);
    name[size] = '\0';
    size_t n = strlen(name);
    int utf8 = valid_utf8((const unsigned char *)name, n);
    CHECK(utf8 == utf8_valid(name));
    unsigned char *dec = malloc(6 * n + 8);
    CHECK(dec);

    /* json_string: one valid string token, valid UTF-8, lossless for UTF-8 input. */
    size_t len, pos = 0, dlen;
    char *js = render(json_string, name, &len);
    CHECK(valid_utf8((const unsigned char *)js, len));
    parse_json_string((const unsigned char *)js, len, &pos, dec, &dlen);
    CHECK(pos == len);
    CHECK(valid_utf8(dec, dlen));
    if (utf8)
        CHECK(dlen == n && memcmp(dec, name, n) == 0);
    free(js);

    /* json_name: {"path":"...","path_bytes":"BASE64"} with the exact bytes when not UTF-8. */
    char *obj = render(name_field, name, &len);
    const unsigned char *o = (const unsigned char *)obj;
    CHECK(valid_utf8(o, len));
    CHECK(len >= 9 && memcmp(o, "{\"path\":", 8) == 0);
    pos = 8;
    parse_json_string(o, len, &pos, dec, &dlen);
    if (utf8) {
        CHECK(pos + 1 == len && o[pos] == '}');
    } else {
        static const char key[] = ",\"path_bytes\":\"";
        CHECK(len - pos > sizeof key && memcmp(o + pos, key, sizeof key - 1) == 0);
        size_t start = pos + sizeof key - 1, end = start;
        while (end < len && o[end] != '"')
            end++;
        CHECK(end + 2 == len && o[end + 1] == '}');
        size_t blen = unbase64(o + start, end - start, dec);
        CHECK(blen == n && memcmp(dec, name, n) == 0);
    }
    free(obj);

    /* text_name: no control characters (C0, DEL, C1), well-formed UTF-8. */
    char *txt = render(text_name, name, &len);
    const unsigned char *t = (const unsigned char *)txt;
    CHECK(valid_utf8(t, len));
    for (size_t i = 0; i < len;) {
        unsigned long cp;
        size_t k = decode_cp(t + i, len - i, &cp);
        CHECK(cp >= 0x20 && cp != 0x7f && (cp < 0x80 || cp > 0x9f));
        i += k;
    }
    free(txt);
    free(dec);
    free(name);
    return 0;
}
