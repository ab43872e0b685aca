/*
 * A batch of pmatch scan: SCAN_BATCH files checked in parallel (cfg->jobs
 * threads, --hash-cache looked up and stored per batch), then reported in walk
 * order, archives expanded in place. Shared by the local loop and shards.
 */
#ifndef PMATCH_SCAN_BATCH_H
#define PMATCH_SCAN_BATCH_H

#include "scan_config.h"

/* Report one checked item: expand it when it is an archive (members first, then its own
 * record), else count and print it. One thread only. */
void scan_report(const lm_matcher *m, const scan_config *cfg, item_result *r, scan_totals *t);

/*
 * Check n items in parallel, then report them in the given order and free their
 * paths (malloc'ed by the caller).
 */
void scan_run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                    scan_totals *t);

#endif
