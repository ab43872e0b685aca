/*
 * Reporting in pmatch scan: counting and printing one record exactly as a
 * single-process scan does, so that every mode (local, shard, MPI) produces
 * byte-identical output; the stderr summary and the exit code. One thread
 * only, in walk order.
 */
#ifndef PMATCH_SCAN_REPORT_H
#define PMATCH_SCAN_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "scan_config.h"

/* The category of a checked item (CAT_ERROR when it failed). */
scan_category scan_category_of(const item_result *r);

/* Print a checked item's record (JSON Lines or text, as cfg says). */
void scan_print_item(FILE *out, const lm_matcher *m, const scan_config *cfg, const item_result *r);

/* Count and print one checked item to cfg->out (an archive's members were reported before). */
void scan_report_record(const lm_matcher *m, const scan_config *cfg, const item_result *r,
                        scan_totals *t);

/* Print a walk item that is not a file to check (skipped or unreadable); returns its category. */
scan_category scan_print_walk_problem(FILE *out, const scan_config *cfg, const char *path,
                                      walk_kind kind, const char *reason, const char *code);

/* Count and print a walk item that is not a file (skipped, or unreadable). */
void scan_report_walk_problem(const scan_config *cfg, uint64_t seq, const char *path,
                              walk_kind kind, const char *reason, const char *code,
                              scan_totals *t);

/* The summary line on stderr ("pmatch scan: N files in S s: ..."); label may be "" or " (shard
 * 1/3)". */
void scan_print_summary(FILE *err, const char *who, const uint64_t counts[CAT_COUNT], double secs,
                        const char *label);

/* Exit code from the counts: 1 something matched, else 2 if some item failed, else 0. */
int scan_exit_code(const uint64_t counts[CAT_COUNT]);

#endif
