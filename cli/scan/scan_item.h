/*
 * The per-item steps of pmatch scan, shared by the single-process loop
 * (cmd_scan.c), the MPI mode (scan_mpi.c) and shard mode: the scan settings,
 * checking one file (scan_item.c: archive sniffing, --hash-cache), and printing
 * one record exactly as a single-process scan does (so every mode produces
 * byte-identical output). Checking is thread-safe; reporting is done by one
 * thread, in walk order, so output is deterministic.
 */
#ifndef PMATCH_SCAN_ITEM_H
#define PMATCH_SCAN_ITEM_H

#include <stdint.h>
#include <stdio.h>

#include "libmatch.h"
#include "shard.h"
#include "verdict.h"
#include "walk.h"

#define SCAN_BATCH 64 /* files checked in parallel between two ordered reports */

typedef struct hash_cache hash_cache; /* --hash-cache (hash_cache.h) */

typedef struct scan_config {
    lm_check_options check;
    int jobs, json, quiet;
    walk_options walk;
    shard_spec shard;             /* --shard K/N (count 0: off) */
    int mpi;                      /* --mpi */
    FILE *out;                    /* records: stdout, or the --output file */
    hash_cache *cache;            /* --hash-cache, or NULL */
    int no_archives;              /* 1: archives are checked as plain files */
    uint64_t archive_max_members; /* members per archive (0: default) */
    uint64_t archive_max_total;   /* uncompressed bytes per archive (0: default) */
    int archive_max_depth;        /* archive levels expanded (archives in archives; 0: default) */
} scan_config;

/* What the local loop (and shards) counted; checkpoints store it. */
typedef struct scan_totals {
    uint64_t counts[CAT_COUNT];
    uint64_t records;           /* records printed (a shard's count) */
    uint64_t decoded;           /* inputs decoded and hashed (not served from the hash cache) */
    uint64_t cache_hits;        /* inputs whose hashes came from the hash cache */
    uint64_t archives, members; /* archives opened, members checked */
    int oom;
} scan_totals;

/* max_bytes in effect (the library's default when the option is 0). */
uint64_t scan_max_bytes(const scan_config *cfg);

/*
 * Read and check one file (r->path, "-": standard input) into r; never fails as
 * a whole: errors go to r->failed. Thread-safe. Sets r->archive instead when the
 * file is an archive to expand (scan_report does that, in order).
 */
void scan_check_item(const lm_matcher *m, const scan_config *cfg, item_result *r);

/* Check bytes already in memory (an archive member); r->path names it. */
void scan_check_bytes(const lm_matcher *m, const scan_config *cfg, const uint8_t *data, size_t len,
                      item_result *r);

/* Count and print one checked item to cfg->out (expands an archive in place). One thread only. */
void scan_report(const lm_matcher *m, const scan_config *cfg, item_result *r, scan_totals *t);

/* Count and print a walk item that is not a file (skipped, or unreadable). */
void scan_report_walk_problem(const scan_config *cfg, uint64_t seq, const char *path,
                              walk_kind kind, const char *reason, const char *code,
                              scan_totals *t);

/*
 * Check n items in parallel (cfg->jobs threads, --hash-cache looked up and
 * stored per batch), then report them in the given order and free their paths
 * (malloc'ed by the caller).
 */
void scan_run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                    scan_totals *t);

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
