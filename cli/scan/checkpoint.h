/*
 * pmatch scan --checkpoint: what a killed scan needs to continue with exactly
 * once results. After each batch the output is flushed and fsync'ed, then the
 * checkpoint is replaced atomically (temporary file, fsync, rename) with the
 * output's length, the last item done in walk order and the totals so far. On
 * resume the output is cut back to that length (dropping results written after
 * the last checkpoint) and walk items up to that path are skipped.
 */
#ifndef PMATCH_CHECKPOINT_H
#define PMATCH_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "scan_config.h"

typedef struct checkpoint {
    uint64_t fingerprint; /* of the options and roots (checkpoint_fingerprint) */
    uint64_t offset;      /* bytes of the output that are complete */
    uint64_t items;       /* walk items done */
    int root;             /* root index of the last item done, -1: none yet */
    char path[4096];      /* the last item done: its path relative to its root */
    scan_totals totals;
} checkpoint;

/* FNV-1a over a canonical text of everything that changes the output. */
uint64_t checkpoint_fingerprint(const scan_config *cfg, const char *db_path, char **roots,
                                int nroots);

/* 1 loaded, 0 no such file, -1 unreadable or malformed (err says why). */
int checkpoint_load(const char *file, checkpoint *cp, char *err, size_t errlen);

/* Replace file atomically. 0, or -1 (err says why). */
int checkpoint_save(const char *file, const checkpoint *cp, char *err, size_t errlen);

/*
 * Compare two walk positions in walk order: roots in command-line order, then
 * relative paths component by component (each directory's names are sorted
 * with strcmp). <0, 0, >0.
 */
int walk_order_cmp(int root_a, const char *rel_a, int root_b, const char *rel_b);

/* The part of a walk path below its root (root as given on the command line). */
const char *walk_relative(const char *path, const char *root);

/*
 * After a batch: make the results durable (flush, fsync cfg->out), then record
 * how far they go in file. A kill between the two only repeats the batch (the
 * output is cut back on resume). Returns 0, or 1 when something could not be written.
 */
int checkpoint_after_batch(const scan_config *cfg, const char *file, checkpoint *cp,
                           uint64_t items_done, int root, const char *rel, const scan_totals *t);

/*
 * Open --output (cfg->out; NULL output: standard output stays) and, with
 * ckpt_file, load the checkpoint to resume from: *resumed 1 and the output cut
 * back to the recorded length, or a fresh cp. 0, or -1 after saying why on stderr.
 */
int checkpoint_open_output(scan_config *cfg, const char *output, const char *ckpt_file,
                           const char *db_path, char **roots, int nroots, checkpoint *cp,
                           int *resumed);

#endif
