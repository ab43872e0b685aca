/*
 * pmatch scan --shard K/N: what a shard adds to a local scan (shard.h has the
 * path -> shard function and the summary line's format, which pmatch merge
 * parses): the fingerprint shards of one scan agree on, and the closing record.
 */
#ifndef PMATCH_SCAN_SHARD_H
#define PMATCH_SCAN_SHARD_H

#include <stdint.h>

#include "scan_config.h"

/* Fingerprint of the roots and the options that change results (shards of one scan agree on it). */
uint64_t scan_fingerprint(const scan_config *cfg, char **roots, int nroots);

/* The last record of a shard's output: JSON for pmatch merge, or a comment line in text mode.
 * Written only by a shard that finished (pmatch merge refuses a shard without it). */
void scan_shard_print_summary(const scan_config *cfg, const scan_totals *t, uint64_t walk_items,
                              uint64_t scan_id);

#endif
