/*
 * The per-item pipeline of pmatch scan, callable from any driver (the local
 * walk in cmd_scan.c, MPI ranks, shards): check one input into an item_result,
 * then report it. Checking is thread-safe; reporting is done by one thread, in
 * the order the items were given, so output is deterministic.
 */
#ifndef PMATCH_SCAN_PIPELINE_H
#define PMATCH_SCAN_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "libmatch.h"
#include "verdict.h"
#include "walk.h"

#define SCAN_BATCH 64 /* files checked in parallel between two ordered reports */

typedef struct hash_cache hash_cache; /* --hash-cache (hash_cache.h) */

typedef struct scan_config {
    lm_check_options check;
    int jobs, json, quiet;
    walk_options walk;
    FILE *out;                    /* results: stdout, or the --output file */
    hash_cache *cache;            /* --hash-cache, or NULL */
    int no_archives;              /* 1: archives are checked as plain files */
    uint64_t archive_max_members; /* members per archive (0: default) */
    uint64_t archive_max_total;   /* uncompressed bytes per archive (0: default) */
} scan_config;

typedef struct scan_totals {
    uint64_t files, matched, low_quality, not_image, failed, skipped;
    uint64_t decoded;           /* inputs decoded and hashed (not served from the hash cache) */
    uint64_t cache_hits;        /* inputs whose hashes came from the hash cache */
    uint64_t archives, members; /* archives opened, members checked */
} scan_totals;

/* max_bytes in effect (the library's default when the option is 0). */
uint64_t scan_max_bytes(const scan_config *cfg);

/*
 * Check the file r->path ("-": standard input) into r (thread-safe; r zeroed
 * except path). Sets r->archive instead when the file is an archive to expand
 * (scan_report does that, in order).
 */
void scan_check_file(const lm_matcher *m, const scan_config *cfg, item_result *r);

/* Check bytes already in memory (an archive member); r->path names it. */
void scan_check_bytes(const lm_matcher *m, const scan_config *cfg, const uint8_t *data, size_t len,
                      item_result *r);

/* Count and print one result to cfg->out (expands an archive in place). One thread only. */
void scan_report(const lm_matcher *m, const scan_config *cfg, item_result *r, scan_totals *t);

/* Print a walk item that is not a file (skipped, or unreadable) and count it. */
void scan_report_walk_problem(const scan_config *cfg, const char *path, walk_kind kind,
                              const char *reason, const char *code, scan_totals *t);

/*
 * Check n items in parallel (cfg->jobs threads), then report them in the given
 * order and free their paths (malloc'ed by the caller).
 */
void scan_run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                    scan_totals *t);

#endif
