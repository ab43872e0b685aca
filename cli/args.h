/* Checked parsing of numeric command-line values (no atoi: garbage is an error). */
#ifndef PMATCH_ARGS_H
#define PMATCH_ARGS_H

#include <stdint.h>

/* Parse a whole decimal integer in [min, max]; returns 0 on success, -1 (and prints why) otherwise. */
int parse_int_arg(const char *option, const char *text, int64_t min, int64_t max, int64_t *out);

#endif
