/* Writing JSON Lines safely: every string the CLI prints in JSON goes through here. */
#ifndef PMATCH_JSON_H
#define PMATCH_JSON_H

#include <stdio.h>

/* Write s as a quoted JSON string; control characters and invalid UTF-8 are escaped. */
void json_string(FILE *out, const char *s);

#endif
