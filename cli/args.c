#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int parse_int_arg(const char *option, const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "pmatch: %s expects an integer from %lld to %lld, got '%s'\n", option,
                (long long)min, (long long)max, text);
        return -1;
    }
    *out = v;
    return 0;
}
