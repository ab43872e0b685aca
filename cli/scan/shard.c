#include "shard.h"

#include <inttypes.h>
#include <string.h>

const char *const scan_category_names[CAT_COUNT] = {
    "match", "no_match", "low_quality", "not_image", "error", "skipped", "suppressed"};

uint64_t shard_fnv(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *b = bytes;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t shard_hash(const char *path)
{
    uint64_t h = shard_fnv(SHARD_FNV_INIT, path, strlen(path));
    /* fmix64: FNV-1a's low bits depend weakly on the input, and N may be a power of two. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

uint32_t shard_of(const char *path, uint32_t count)
{
    return count ? (uint32_t)(shard_hash(path) % count) + 1 : 0;
}

/* Strict decimal: at least one digit, no sign, no leading zero (except "0"), no overflow. */
static int read_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    if (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9')
        return -1;
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

static int expect(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return -1;
    *p += n;
    return 0;
}

int shard_parse(const char *text, shard_spec *out)
{
    const char *p = text, *end = text + strlen(text);
    uint64_t k, n;
    if (read_u64(&p, end, &k) || expect(&p, end, "/") || read_u64(&p, end, &n) || p != end)
        return -1;
    if (n < 1 || n > SHARD_MAX_COUNT || k < 1 || k > n)
        return -1;
    out->index = (uint32_t)k;
    out->count = (uint32_t)n;
    return 0;
}

void shard_print_summary_json(FILE *out, const shard_summary *s)
{
    fprintf(out,
            "{\"shard_summary\":{\"shard\":\"%" PRIu32 "/%" PRIu32 "\",\"walk_items\":%" PRIu64
            ",\"records\":%" PRIu64 ",\"scan\":\"%016" PRIx64 "\"",
            s->shard.index, s->shard.count, s->walk_items, s->records, s->scan_id);
    for (int c = 0; c < CAT_COUNT; c++)
        fprintf(out, ",\"%s\":%" PRIu64, scan_category_names[c], s->counts[c]);
    fputs("}}\n", out);
}

static int fail(char *why, size_t n, const char *msg)
{
    snprintf(why, n, "%s", msg);
    return -1;
}

static int parse_summary(const char *p, const char *end, shard_summary *s, char *why, size_t wn)
{
    uint64_t k, n, id = 0;
    memset(s, 0, sizeof *s);
    if (expect(&p, end, "{\"shard_summary\":{\"shard\":\"") || read_u64(&p, end, &k) ||
        expect(&p, end, "/") || read_u64(&p, end, &n) || expect(&p, end, "\",\"walk_items\":") ||
        read_u64(&p, end, &s->walk_items) || expect(&p, end, ",\"records\":") ||
        read_u64(&p, end, &s->records) || expect(&p, end, ",\"scan\":\""))
        return fail(why, wn, "malformed shard summary");
    for (int i = 0; i < 16; i++, p++) {
        int d = p < end && *p >= '0' && *p <= '9'   ? *p - '0'
                : p < end && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                                                    : -1;
        if (d < 0)
            return fail(why, wn, "malformed shard summary (scan id)");
        id = id << 4 | (uint64_t)d;
    }
    s->scan_id = id;
    if (expect(&p, end, "\""))
        return fail(why, wn, "malformed shard summary (scan id)");
    for (int c = 0; c < CAT_COUNT; c++) {
        if (expect(&p, end, ",\"") || expect(&p, end, scan_category_names[c]) ||
            expect(&p, end, "\":") || read_u64(&p, end, &s->counts[c]))
            return fail(why, wn, "malformed shard summary (counts)");
    }
    if (expect(&p, end, "}}") || p != end)
        return fail(why, wn, "malformed shard summary (trailing text)");
    if (n < 1 || n > SHARD_MAX_COUNT || k < 1 || k > n)
        return fail(why, wn, "shard summary: shard number out of range");
    s->shard.index = (uint32_t)k;
    s->shard.count = (uint32_t)n;
    uint64_t total = 0;
    for (int c = 0; c < CAT_COUNT; c++) {
        if (s->counts[c] > s->records - total)
            return fail(why, wn, "shard summary: counts do not add up to records");
        total += s->counts[c];
    }
    if (total != s->records || s->records > s->walk_items)
        return fail(why, wn, "shard summary: counts do not add up");
    return 0;
}

int shard_parse_line(const char *line, size_t len, shard_line *out, char *why, size_t wn)
{
    const char *p = line, *end = line + len;
    memset(out, 0, sizeof *out);
    if (len > 0 && line[len - 1] == '\r')
        return fail(why, wn, "carriage return at end of line");
    if (expect(&p, end, "{\"shard_summary\":") == 0) {
        out->kind = SHARD_LINE_SUMMARY;
        return parse_summary(line, end, &out->summary, why, wn);
    }
    if (expect(&p, end, "{\"seq\":") || read_u64(&p, end, &out->seq) || expect(&p, end, ","))
        return fail(why, wn, "not a shard record (pmatch scan --shard K/N --json output)");
    out->body = (size_t)(p - line);
    /* The path: a JSON string as json_string writes it (escapes are two bytes or \uXXXX). */
    if (expect(&p, end, "\"path\":\""))
        return fail(why, wn, "shard record without a path");
    for (;;) {
        if (p >= end)
            return fail(why, wn, "shard record: unterminated path");
        unsigned char c = (unsigned char)*p;
        if (c < 0x20)
            return fail(why, wn, "shard record: control character in path");
        if (c == '"')
            break;
        p += c == '\\' ? 2 : 1;
    }
    p++;
    /* A name that is not UTF-8 also carries its bytes (json_name): base64, no escapes. */
    if (expect(&p, end, ",\"path_bytes\":\"") == 0) {
        while (p < end && *p != '"')
            p++;
        if (p++ >= end)
            return fail(why, wn, "shard record: unterminated path_bytes");
    }
    if (expect(&p, end, ",\"verdict\":\""))
        return fail(why, wn, "shard record without a verdict");
    int cat = -1;
    for (int c = 0; c < CAT_COUNT && cat < 0; c++) {
        const char *q = p;
        if (expect(&q, end, scan_category_names[c]) == 0 && expect(&q, end, "\"") == 0) {
            cat = c;
            p = q;
        }
    }
    if (cat < 0)
        return fail(why, wn, "shard record: unknown verdict");
    if (end - p < 1 || end[-1] != '}')
        return fail(why, wn, "shard record: not a complete JSON object");
    for (const char *q = p; q < end; q++)
        if ((unsigned char)*q < 0x20)
            return fail(why, wn, "shard record: control character");
    out->kind = SHARD_LINE_RECORD;
    out->category = (scan_category)cat;
    return 0;
}
