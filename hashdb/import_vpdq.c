/*
 * vPDQ files as Meta's vpdq tool writes them (frame_number,quality,hash,timestamp
 * per line; the timestamp may be missing in older files): one file is one video
 * entry whose frames are the good lines, at most LM_DB_MAX_VIDEO_FRAMES of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_grow.h"
#include "import.h"
#include "vpdq_text.h"

int db_parse_vpdq_line(db_parser *p, uint64_t line_no, const char *line, size_t len, char *why,
                       size_t whycap)
{
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0 || line[0] == '#')
        return DB_PARSE_SKIP;
    lm_video_frame f;
    if (lm_vpdq_parse_line(line, len, &f) != LM_OK) {
        snprintf(why, whycap,
                 "expected 'frame,quality,hash[,timestamp]' with a frame number, "
                 "a quality 0..100, 64 hex digits and seconds");
        return DB_PARSE_BAD;
    }
    if (f.frame_number > UINT32_MAX || f.timestamp * 1000.0 > (double)UINT32_MAX) {
        snprintf(why, whycap, "frame number or timestamp out of range");
        return DB_PARSE_BAD;
    }
    if (p->nframes >= LM_DB_MAX_VIDEO_FRAMES) {
        snprintf(why, whycap, "more than %d frames: a stored video holds at most that many",
                 LM_DB_MAX_VIDEO_FRAMES);
        return DB_PARSE_BAD;
    }
    lm_db_frame *v = db_grow(p->frames, &p->frames_cap, p->nframes, sizeof *v, 1024, SIZE_MAX);
    if (!v)
        return DB_PARSE_NOMEM;
    p->frames = v;
    if (p->nframes == 0)
        p->first_line = line_no;
    lm_db_frame *d = &p->frames[p->nframes++];
    d->hash = f.pdq;
    d->quality = f.quality;
    d->frame = (uint32_t)f.frame_number;
    d->ts_ms = (uint32_t)llround(f.timestamp * 1000.0);
    return DB_PARSE_SKIP; /* the record comes at the end */
}

int db_vpdq_finish(db_parser *p, db_sink *s)
{
    if (p->nframes == 0)
        return 0;
    db_recs *rs = s->recs;
    size_t len = DB_VFRAME_HDR + p->nframes * DB_VFRAME_REC;
    if (rs->blob_len + len > rs->blob_cap) {
        uint8_t *b = realloc(rs->blob, rs->blob_len + len);
        if (!b)
            return -1;
        rs->blob = b;
        rs->blob_cap = rs->blob_len + len;
    }
    db_video_encode(p->frames, p->nframes, rs->blob + rs->blob_len);
    /* The entry's hash: the digest of the frame record (lm_db_video_digest). */
    uint8_t digest[32];
    if (lm_db_video_digest(p->frames, p->nframes, digest) != LM_OK)
        return -1;
    static const char hexd[] = "0123456789abcdef";
    char hex[65];
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = hexd[digest[i] >> 4];
        hex[2 * i + 1] = hexd[digest[i] & 15];
    }
    const char *label = s->opts->label ? s->opts->label : "";
    const char *ref = s->opts->reference ? s->opts->reference : s->opts->name ? s->opts->name : "";
    size_t before = rs->n;
    int rc = db_sink_hash(s, p->first_line, DB_OP_ADD, LM_HASH_VPDQ, hex, 64, label, strlen(label),
                          ref, strlen(ref));
    if (rc < 0)
        return -1;
    if (rs->n > before)
        rs->blob_len += len; /* the frame record of that one video record */
    return 0;
}
