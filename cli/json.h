/* Writing JSON Lines safely: every string the CLI prints in JSON goes through here. */
#ifndef PMATCH_JSON_H
#define PMATCH_JSON_H

#include <stdio.h>

/* The symbol is pmatch_json_string: jansson (linked for pmatch serve) exports json_string. */
#define json_string pmatch_json_string

/* Write s as a quoted JSON string; control characters and invalid UTF-8 are escaped. */
void json_string(FILE *out, const char *s);

#endif
