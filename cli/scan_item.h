/*
 * The per-item steps of pmatch scan, shared by the single-process loop
 * (cmd_scan.c), the MPI mode (scan_mpi.c) and shard mode: the scan settings,
 * checking one file, and printing one record exactly as a single-process scan
 * does (so every mode produces byte-identical output).
 */
#ifndef PMATCH_SCAN_ITEM_H
#define PMATCH_SCAN_ITEM_H

#include <stdint.h>
#include <stdio.h>

#include "libmatch.h"
#include "shard.h"
#include "verdict.h"
#include "walk.h"

typedef struct scan_config {
    lm_check_options check;
    int jobs, json, quiet;
    walk_options walk;
    shard_spec shard; /* --shard K/N (count 0: off) */
    int mpi;          /* --mpi */
} scan_config;

/* Read and check one file (r->path) into r; never fails as a whole: errors go to r->failed. */
void scan_check_item(const lm_matcher *m, const scan_config *cfg, item_result *r);

/* The category of a checked item (CAT_ERROR when it failed). */
scan_category scan_category_of(const item_result *r);

/* Print a checked item's record (JSON Lines or text, as cfg says). */
void scan_print_item(FILE *out, const lm_matcher *m, const scan_config *cfg, const item_result *r);

/* Print a walk item that is not a file to check (skipped or unreadable); returns its category. */
scan_category scan_print_walk_problem(FILE *out, const scan_config *cfg, const char *path,
                                      walk_kind kind, const char *reason, const char *code);

/* The summary line on stderr ("pmatch scan: N files in S s: ..."); label may be "" or " (shard
 * 1/3)". */
void scan_print_summary(FILE *err, const char *who, const uint64_t counts[CAT_COUNT], double secs,
                        const char *label);

/* Exit code from the counts: 1 something matched, else 2 if some item failed, else 0. */
int scan_exit_code(const uint64_t counts[CAT_COUNT]);

/* Fingerprint of the roots and the options that change results (shards of one scan agree on it). */
uint64_t scan_fingerprint(const scan_config *cfg, char **roots, int nroots);

#endif
