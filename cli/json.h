/* Writing JSON Lines safely: every string the CLI prints in JSON goes through here. */
#ifndef PMATCH_JSON_H
#define PMATCH_JSON_H

#include <stddef.h>
#include <stdio.h>

/* The symbols are pmatch_*: jansson (linked for pmatch serve) exports json_string. */
#define json_string pmatch_json_string
#define json_base64 pmatch_json_base64
#define json_name pmatch_json_name
#define text_name pmatch_text_name
#define utf8_sequence pmatch_utf8_sequence
#define utf8_valid pmatch_utf8_valid

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if there is none. s[0] must not be NUL;
 * reads stop at the first byte that does not fit, so a NUL terminator is never passed.
 */
size_t utf8_sequence(const unsigned char *s);

/* 1 when the whole NUL-terminated string is well-formed UTF-8. */
int utf8_valid(const char *s);

/* Write s as a quoted JSON string; control characters are escaped and bytes that are not
 * UTF-8 become U+FFFD, so the output is always valid UTF-8 JSON. */
void json_string(FILE *out, const char *s);

/* Write n bytes as a quoted base64 (RFC 4648) JSON string. */
void json_base64(FILE *out, const unsigned char *b, size_t n);

/*
 * Write "key":"s" and, when s is not valid UTF-8 (a file name in another encoding), also
 * "key_bytes":"BASE64" holding the exact bytes, so that the name is never lost.
 */
void json_name(FILE *out, const char *key, const char *s);

/*
 * Write a file name for people (text output): backslash as \\, newline, CR and tab as
 * \n \r \t, other control characters (ESC, C1 controls) and bytes that are not UTF-8 as
 * \xHH. A name can then neither forge an output line nor drive the terminal.
 */
void text_name(FILE *out, const char *s);

#endif
