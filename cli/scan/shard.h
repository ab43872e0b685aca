/*
 * Shard mode (pmatch scan --shard K/N) and the records that pmatch merge reads back.
 *
 * Every shard walks the whole tree in the same order and keeps the items whose
 * path falls in its shard, so N independent jobs (Slurm array tasks, Kubernetes
 * indexed jobs) together scan every item exactly once. In JSON mode each kept
 * item carries its index in the full walk ("seq"), and the shard's output ends
 * with a summary record; pmatch merge uses both to rebuild the single-process
 * output and to prove that every shard is present once and finished.
 */
#ifndef PMATCH_SHARD_H
#define PMATCH_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Shard K of N, 1-based (K in 1..N). count == 0: not sharded. */
typedef struct shard_spec {
    uint32_t index, count;
} shard_spec;

#define SHARD_MAX_COUNT 1000000u

/* Parse "K/N" (decimal, 1 <= K <= N <= SHARD_MAX_COUNT). 0, or -1 if malformed. */
int shard_parse(const char *text, shard_spec *out);

/*
 * The stable hash of a path, as printed (the bytes the walk produced): FNV-1a
 * 64-bit followed by the MurmurHash3 fmix64 finaliser (so that every bit, and
 * so every modulus, depends on every byte). Never change it: shards of one scan
 * may be run by different pmatch versions.
 */
uint64_t shard_hash(const char *path);

/* The 1-based shard of path among count shards: shard_hash(path) % count + 1. */
uint32_t shard_of(const char *path, uint32_t count);

/* The verdict categories of a scan output record, in the order the summaries print them. */
typedef enum scan_category {
    CAT_MATCH = 0,
    CAT_NO_MATCH,
    CAT_LOW_QUALITY,
    CAT_NOT_IMAGE,
    CAT_ERROR,
    CAT_SKIPPED,
    CAT_SUPPRESSED, /* matched, but on a negative list too: a known false positive */
    CAT_COUNT
} scan_category;

/* JSON verdict names: "match", "no_match", "low_quality", "not_image", "error", "skipped". */
extern const char *const scan_category_names[CAT_COUNT];

/* What a shard reports about itself in its last record. */
typedef struct shard_summary {
    shard_spec shard;
    uint64_t walk_items; /* items in the full walk (every shard sees the same) */
    uint64_t records;    /* item records this shard wrote */
    uint64_t scan_id;    /* fingerprint of the roots and result options */
    uint64_t counts[CAT_COUNT];
} shard_summary;

/* Write the summary record: one JSON line (the shard's last). */
void shard_print_summary_json(FILE *out, const shard_summary *s);

/* A line of a shard's JSON output, as pmatch merge reads it. */
typedef enum shard_line_kind { SHARD_LINE_RECORD = 1, SHARD_LINE_SUMMARY = 2 } shard_line_kind;

typedef struct shard_line {
    shard_line_kind kind;
    uint64_t seq;           /* RECORD: index in the full walk */
    scan_category category; /* RECORD */
    size_t body;            /* RECORD: offset of the record after {"seq":N, */
    shard_summary summary;  /* SUMMARY */
} shard_line;

/*
 * Parse one line (without its newline; len bytes, need not be NUL-terminated).
 * Strict: only what pmatch scan --shard --json writes is accepted. Returns 0,
 * or -1 with a reason in why.
 */
int shard_parse_line(const char *line, size_t len, shard_line *out, char *why, size_t why_size);

/* FNV-1a 64 running hash (for the scan fingerprint): h = shard_fnv(h, bytes, n); start with
 * SHARD_FNV_INIT. */
#define SHARD_FNV_INIT 0xcbf29ce484222325ull
uint64_t shard_fnv(uint64_t h, const void *bytes, size_t n);

#endif
