/*
 * Checking one item of pmatch scan: read a file (or take bytes already in
 * memory, an archive member) and run lm_check on it, through the --hash-cache
 * when there is one. Thread-safe: batches check their items in parallel.
 * Printing and counting are scan_report.h's; expanding archives is
 * archive_scan.h's (scan_check_item only notes that a file is one).
 */
#ifndef PMATCH_SCAN_ITEM_H
#define PMATCH_SCAN_ITEM_H

#include <stddef.h>
#include <stdint.h>

#include "scan_config.h"

/*
 * Read and check one file (r->path, "-": standard input) into r; never fails as
 * a whole: errors go to r->failed. Thread-safe. Sets r->archive instead when the
 * file is an archive to expand (scan_report in scan_batch.h does that, in order).
 */
void scan_check_item(const lm_matcher *m, const scan_config *cfg, item_result *r);

/* Check bytes already in memory (an archive member); r->path names it. */
void scan_check_bytes(const lm_matcher *m, const scan_config *cfg, const uint8_t *data, size_t len,
                      item_result *r);

#endif
