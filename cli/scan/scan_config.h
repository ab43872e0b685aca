/*
 * What every part of the scan engine (cli/scan/) shares: the scan settings and
 * the running totals. Declarations only, so that the engine's files depend on
 * this header and not on each other (no include or call cycles: cmd_scan.c ->
 * scan_run.c -> scan_batch.c -> archive_scan.c -> scan_item.c, scan_report.c).
 */
#ifndef PMATCH_SCAN_CONFIG_H
#define PMATCH_SCAN_CONFIG_H

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
    uint64_t db_errors;         /* items the list could not answer (LM_E_DB: a damaged page) */
    int oom;
} scan_totals;

/* max_bytes in effect (the library's default when the option is 0). */
uint64_t scan_max_bytes(const scan_config *cfg);

#endif
