/*
 * The persisted index: an lm_index written to one file and opened by mmap,
 * ready without a rebuild (internal API; the matcher keeps the file beside
 * the list, libmatch/index_store.c).
 *
 * Layout (little-endian, every section 4 KiB-aligned):
 *   header (4 KiB): magic, version, n, key bits, the caller's stamp, the
 *                   section table, a checksum of the header
 *   sections:       hashes, 16 bucket-offset tables, 16 position tables,
 *                   16 next-word tables, then the caller's payloads
 *   checksums:      one 64-bit checksum per 4 KiB block of the sections
 *
 * Trust: open checks the header, the checksum table and (fully) the small
 * offset tables, and the structure (sizes, bounds, monotone offsets), so no
 * query can be sent out of the file. Every other block is checked on first
 * touch: a query verifies each block it is about to read (4 KiB at a few
 * GB/s) and remembers it; a block that fails makes the query return
 * LM_E_DB and marks the index damaged. A damaged or stale file is never
 * trusted: the caller rebuilds from the list. This keeps open O(offsets +
 * checksums) (a few MB at 10M entries) instead of O(file), and every byte a
 * query's answer depends on has been verified before it is used.
 *
 * The file is replaced by rename, never rewritten in place, so a mapped file
 * does not change under its readers.
 */
#ifndef LM_SEARCH_INDEX_FILE_H
#define LM_SEARCH_INDEX_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

#define LM_INDEX_FILE_STAMP_WORDS 4
#define LM_INDEX_FILE_MAX_PAYLOADS 4

/* A caller's array stored beside the index (the matcher's position -> id map). */
typedef struct lm_index_payload {
    const void *data;
    size_t bytes;
} lm_index_payload;

/*
 * Writes ix with the caller's stamp and payloads to path, atomically: a
 * temporary file in the same directory, fsync, rename. Returns LM_OK,
 * LM_E_INVALID_ARG, LM_E_NOMEM or LM_E_IO (nothing left behind).
 */
lm_status lm_index_write(const lm_index *ix, const char *path,
                         const uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS],
                         const lm_index_payload *payloads, size_t npayloads);

/*
 * Builds the index of hashes[0..n) and writes it to path as lm_index_write writes what
 * lm_index_build builds (the same bytes), without holding the index in memory: four tables
 * at a time are built from their word columns and written before the next four, so beside
 * the caller's arrays it holds 10 bytes per entry of columns and 14 per entry per thread
 * (at most four threads) instead of the index's 128, 32 of columns and 8 per thread (at 100M
 * entries and two threads 3.8 GB instead of 17.6 GB). nthreads <= 0: all cores. Returns LM_OK,
 * LM_E_INVALID_ARG (also n >= 2^32), LM_E_NOMEM or LM_E_IO (nothing left behind).
 */
lm_status lm_index_build_file(const lm_pdq_hash *hashes, size_t n, int nthreads, const char *path,
                              const uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS],
                              const lm_index_payload *payloads, size_t npayloads);

/*
 * lm_index_build_file in two steps, for a caller whose stamp is known only later (the
 * import builds while its write transaction runs, and stamps after the commit):
 * lm_index_build_file_begin writes everything but the header into path's temporary file
 * ("<path>.tmp.<pid>"; payloads are written then and not kept) and returns the unfinished
 * write in *out (NULL on failure: nothing left behind); lm_index_build_file_end with keep
 * writes the header with stamp, syncs and renames it to path (the bytes lm_index_build_file
 * writes for the same arguments), or without keep removes it (stamp unused). Every begun
 * build must be ended. Statuses as lm_index_build_file's.
 */
typedef struct lm_index_file_build lm_index_file_build;
lm_status lm_index_build_file_begin(const lm_pdq_hash *hashes, size_t n, int nthreads,
                                    const char *path, const lm_index_payload *payloads,
                                    size_t npayloads, lm_index_file_build **out);
lm_status lm_index_build_file_end(lm_index_file_build *b,
                                  const uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS], int keep);

/*
 * Removes the temporary files "<path>.tmp.<pid>" that writers killed before
 * their rename left behind: only those whose process no longer exists (a
 * live writer's file, or one whose pid was reused, is kept). lm_index_write
 * calls it first. Returns how many were removed.
 */
size_t lm_index_remove_stale_tmp(const char *path);

/*
 * Maps the index file at path with the kernels of lm_cpu_isa(). [out] stamp:
 * the stamp it was written with; [out] payloads (npayloads entries, may be 0):
 * pointers into the map, valid until lm_index_free, to be checked with
 * lm_index_check before reading. why: a reason on failure (may be NULL).
 * Returns LM_OK, LM_E_NOT_FOUND (no file), LM_E_DB (not an index file,
 * truncated, damaged, another version), LM_E_IO or LM_E_NOMEM.
 */
lm_status lm_index_open(const char *path, lm_index **out, uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS],
                        lm_index_payload *payloads, size_t npayloads, char *why, size_t whycap);

/* 1 when ix lives in a mapped file. */
int lm_index_is_mapped(const lm_index *ix);

/*
 * 0 when [p, p + len) (inside a payload or section of a mapped index) has been
 * verified now or before; -1 when a block of it is damaged (the index is then
 * marked damaged). Always 0 for an index built in memory.
 */
int lm_index_check(const lm_index *ix, const void *p, size_t len);

/* Entry pos's hash, checked first: 0, or -1 (damaged, or pos out of range). */
int lm_index_hash_at(const lm_index *ix, size_t pos, const lm_pdq_hash **out);

/* 1 once any query or check found damage. */
int lm_index_damaged(const lm_index *ix);

/* Verifies every block now (for tests and 'verify' commands): LM_OK or LM_E_DB. */
lm_status lm_index_verify_all(const lm_index *ix);

/* The 64-bit block checksum (xxHash64-style lanes; len a multiple of 32). Exposed for tests. */
uint64_t lm_index_block_sum(const void *p, size_t len, uint64_t seed);

#endif
