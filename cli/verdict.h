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
    uint64_t seq;                /* index of the item in the walk (shard and MPI modes) */
} item_result;

/* Short name of a verdict for JSON ("match", "no_match", "low_quality", "not_image"). */
const char *verdict_name(lm_verdict v);

void print_item_text(FILE *out, const lm_matcher *m, const item_result *r, int min_quality);
void print_item_json(FILE *out, const lm_matcher *m, const item_result *r);

#endif
