/*
 * Reading an archive's members into memory, one at a time, within bounds: the
 * part of archive scanning that parses untrusted input (libarchive does the
 * format work), kept apart from checking so that fuzz/fuzz_archive.c can drive
 * it from memory. See archive_scan.h for the codes.
 */
#ifndef PMATCH_ARCHIVE_MEMBERS_H
#define PMATCH_ARCHIVE_MEMBERS_H

#include <archive.h>
#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

enum { ARCHIVE_CONTAINER = 1, ARCHIVE_COMPRESSED = 2 };

typedef struct archive_limits {
    uint64_t max_bytes;   /* per member */
    uint64_t max_members; /* entries of any type */
    uint64_t max_total;   /* uncompressed bytes produced, all members */
    /* Counters shared by the archives nested in one archive file (NULL: this archive's own),
     * so that max_members and max_total bound all levels together. */
    uint64_t *shared_members, *shared_total;
} archive_limits;

/*
 * Called per regular member in archive order: data (malloc'ed: the callee owns
 * it) and len; or, when code is non-NULL, a failure: name is the member (NULL:
 * the archive as a whole), st and msg say why, data is NULL. Return nonzero to stop.
 */
typedef int (*archive_member_fn)(void *ctx, const char *name, uint8_t *data, size_t len,
                                 const char *code, lm_status st, const char *msg);

/*
 * From the first bytes: ARCHIVE_CONTAINER (tar, zip), ARCHIVE_COMPRESSED (a
 * compressed stream that may hold a tar), or 0.
 */
int archive_sniff(const uint8_t *head, size_t n);

/*
 * Read every member of an opened archive a (kind from archive_sniff). Returns
 * 0 when done (failures went to fn), or -1 when a compressed stream turned out
 * to hold no archive (nothing was passed to fn). *members counts entries read
 * (of any type: links and directories too).
 */
int archive_each_member(struct archive *a, int kind, const archive_limits *lim,
                        archive_member_fn fn, void *ctx, uint64_t *members);

/* A reader for tar and zip, plain or compressed with gzip, bzip2, xz, zstd, lz4 or compress. */
struct archive *archive_reader_new(void);

#endif
