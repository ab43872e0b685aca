/*
 * libFuzzer harness: the shard-output parser of pmatch merge (shard_parse_line)
 * and the --shard K/N parser. Input: text, parsed line by line like a shard file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/scan/shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    const char *p = (const char *)data, *end = p + size;
    char why[128];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* an exact-size copy, so reading past the line is caught by ASan */
        char *line = malloc(len ? len : 1);
        if (!line)
            return 0;
        memcpy(line, p, len);
        shard_line l;
        if (shard_parse_line(line, len, &l, why, sizeof why) == 0 && l.kind == SHARD_LINE_RECORD &&
            l.body > len)
            abort(); /* the record body must lie inside the line */
        free(line);
        p += len + 1;
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    shard_spec s;
    if (shard_parse(text, &s) == 0 && (s.index < 1 || s.index > s.count))
        abort();
    if (size < 4096)
        (void)shard_of(text, 7);
    free(text);
    return 0;
}
