/*
 * libFuzzer harness: the record reader of pmatch merge --lists (cli/match_record.c).
 * Input: the text of a 'pmatch match --json' output. Each line is parsed on an exact-size
 * copy (a read past the line is caught by ASan); a record accepted must have its spans
 * inside the line and counts within bounds. The same bytes then go through the block
 * line reader (fmemopen), twice around a rewind, which must return the same lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static match_record rec; /* 40 KB: not on the stack */

static void parse_line(const char *p, size_t len)
{
    char *line = malloc(len ? len : 1);
    if (!line)
        return;
    memcpy(line, p, len);
    char why[160];
    if (match_record_parse(line, len, &rec, why, sizeof why) == 0) {
        if (rec.hash + rec.hash_len > len || rec.n > MATCH_RECORD_MAX_ITEMS || rec.line == 0 ||
            (rec.kind == MATCH_RECORD_MATCH && rec.n > MATCH_RECORD_MAX_SHOWN) ||
            (rec.kind == MATCH_RECORD_NEAREST && (rec.k < 1 || rec.n > (size_t)rec.k)))
            abort();
        for (size_t i = 0; i < rec.n; i++)
            if (rec.items[i].tail + rec.items[i].tail_len > len)
                abort();
    } else if (why[0] == '\0' || strlen(why) >= sizeof why) {
        abort(); /* a refusal always says why */
    }
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (2u << 20))
        return 0;
    const char *p = (const char *)data, *end = p + size;
    size_t lines = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len <= MATCH_RECORD_MAX_LINE)
            parse_line(p, len);
        lines += nl != NULL;
        p += len + 1;
    }
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    match_reader rd;
    match_reader_init(&rd, f);
    size_t first = 0;
    for (int round = 0; round < 2; round++) {
        const char *line;
        size_t len, got = 0;
        match_read_status st;
        while ((st = match_reader_next(&rd, &line, &len)) == MATCH_READ_LINE) {
            if (len > MATCH_RECORD_MAX_LINE || memchr(line, '\n', len))
                abort();
            got++;
        }
        if (got > lines || (st == MATCH_READ_END && got != lines))
            abort();
        if (round == 0)
            first = got;
        else if (got != first)
            abort();
        if (match_reader_rewind(&rd) != 0)
            break;
    }
    match_reader_free(&rd);
    fclose(f);
    return 0;
}
