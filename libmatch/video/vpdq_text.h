/* vPDQ text lines as Meta's vpdq-hash-video writes them: frame_number,quality,hash,timestamp. */
#ifndef LM_VIDEO_VPDQ_TEXT_H
#define LM_VIDEO_VPDQ_TEXT_H

#include <stddef.h>

#include "video.h"

/* Enough for any line this module writes, with its newline and NUL. */
#define LM_VPDQ_LINE_MAX 128

/* Write one line ("12,100,<64 hex>,0.400\n") into buf; returns its length, or -1 if buf is short.
 */
int lm_vpdq_format_line(const lm_video_frame *f, char *buf, size_t size);

/*
 * Parse one line (trailing CR/LF allowed). The timestamp field is optional, as
 * in the older three-field files. Returns LM_OK or LM_E_PARSE.
 */
lm_status lm_vpdq_parse_line(const char *line, size_t len, lm_video_frame *out);

#endif
