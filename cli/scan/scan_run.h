/*
 * The local pmatch scan (one process, or one shard): open the list and the
 * output (resuming from a checkpoint), walk the paths in batches, then check
 * the URLs, and save the hit counters. cmd_scan.c parses and validates the
 * options; scan_mpi.h runs the same steps across MPI ranks.
 */
#ifndef PMATCH_SCAN_RUN_H
#define PMATCH_SCAN_RUN_H

#include <stdint.h>

#include "scan_config.h"
#include "scan_urls.h"

/* What a scan is asked to do, besides its settings. The arrays stay the caller's. */
typedef struct scan_job {
    const char *db_flag;     /* --db, or NULL (pmatch_default_db_path) */
    const char *output;      /* --output FILE, or NULL: standard output */
    const char *ckpt_file;   /* --checkpoint FILE (needs output), or NULL */
    const char *cache_dir;   /* --hash-cache DIR, or NULL */
    int64_t refresh_seconds; /* --refresh-seconds (0: never) */
    char **paths;            /* files and trees, in command-line order */
    int npaths;
    char **urls;             /* URLs, in command-line order */
    int nurls;
    scan_url_config *url_cfg; /* the URL options (--url-list, ...) */
} scan_job;

/* Run the scan; returns the process exit code (1 matched, 2 error, 0 nothing matched). */
int scan_run(scan_config *cfg, const scan_job *job);

#endif
