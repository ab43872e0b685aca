/* Printing check verdicts for people (one line per item) and machines (JSON Lines). */
#ifndef PMATCH_VERDICT_H
#define PMATCH_VERDICT_H

#include <stdio.h>

#include "libmatch.h"

/* The result of checking one item, as the CLI reports it. */
typedef struct item_result {
    const char *path;
    int failed;                  /* could not be read: error holds why */
    char error[256];
    int status;                  /* the lm_status of a failure (JSON "status"), 0 when not failed */
    uint64_t size;
    lm_check_result check;
    int archive;                 /* scan: the file is an archive (archive_sniff kind); its members
                                    are reported instead */
    const char *code;            /* stable code of a failure (JSON "code"), NULL if none */
    struct cache_slot *cache;    /* scan: --hash-cache state of this item, or NULL */
    uint64_t seq;                /* index of the item in the walk (shard and MPI modes) */
    /* scan: the record of an archive itself (its digests, matched like any file), printed
     * after its members with "archive":{...} */
    int archive_record;
    uint64_t archive_entries;    /* entries read, of any type (links, directories too) */
    uint64_t archive_members;    /* regular members read and checked */
    int archive_depth;           /* 1: a file; 2: inside an archive; ... */
    const char *archive_status;  /* "ok", or the code that ended the expansion early */
} item_result;

/* 1 when the item decoded but its file ends early: a still image with every row decoded
 * (image.truncated) or a video whose frames stop before the stream does (video_truncated).
 * Records say "truncated":true in JSON and [truncated file] in text. */
static inline int check_truncated(const lm_check_result *c)
{
    return c->decoded && (c->is_video ? c->video_truncated : c->image.truncated);
}

/* Short name of a verdict for JSON ("match", "no_match", "low_quality", "not_image"). */
const char *verdict_name(lm_verdict v);

void print_item_text(FILE *out, const lm_matcher *m, const item_result *r, int min_quality);
void print_item_json(FILE *out, const lm_matcher *m, const item_result *r);

#endif
