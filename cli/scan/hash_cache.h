/*
 * pmatch scan --hash-cache DIR: a separate LMDB environment keyed by path that
 * keeps each file's size, mtime, SHA-256 and computed hashes (digests, PDQ and
 * quality, or why it did not decode), so that a re-scan after a list update
 * only re-matches. A record is reused when path, size and mtime agree AND the
 * SHA-256 of the bytes read now is the recorded one, under the same decoding
 * mode (--exact or not: keyed separately) and --max-pixels; hashes made with
 * --dihedral also serve scans without it (hashing the bytes is
 * cheap; decoding is not); otherwise the file is decoded again. Videos are not
 * cached (their frame hashes are not part of a check result).
 *
 * Records carry everything a verdict record prints, the image's truncated flag
 * included, so a warm scan prints what the cold one did. The record layout has a
 * format number (CACHE_VERSION in hash_cache.c): a cache holding records of
 * another format is emptied on open with a note and filled again, never read.
 *
 * Lookups happen before a batch and writes after it in one transaction, both in
 * the reporting thread; workers only touch their own cache_slot.
 */
#ifndef PMATCH_HASH_CACHE_H
#define PMATCH_HASH_CACHE_H

#include <stdint.h>
#include <sys/stat.h>

#include "scan_config.h"

/* One cached file. A fixed binary layout for this build (magic, then format number). */
typedef struct cache_record {
    uint32_t magic, version;
    uint32_t settings; /* decode settings the hashes were made with (cache_settings) */
    int32_t decoded, decode_status;
    uint64_t max_pixels;
    uint64_t size;
    int64_t mtime_sec, mtime_nsec;
    uint8_t sha256[32], md5[16], sha1[20];
    lm_image_hash image;
    int32_t has_trimmed;   /* trimmed: the content inside the image's borders */
    lm_image_hash trimmed;
    char detail[256];
    lm_rect trimmed_rect;
    int32_t region_count; /* region proposals; only these are stored (the record is cut after) */
    lm_query_region regions[LM_CHECK_MAX_REGIONS];
} cache_record;

/* Per item of a batch. */
typedef struct cache_slot {
    int found; /* rec holds the stored record for this path */
    cache_record rec;
    int hit;   /* the hashes were reused */
    int store; /* fresh holds new hashes to write after the batch */
    cache_record fresh;
} cache_slot;

/* Open (creating) the cache; a damaged cache is rebuilt. NULL after a warning: scan without. */
hash_cache *hash_cache_open(const char *dir, const lm_check_options *check);
void hash_cache_close(hash_cache *c);

/* Before a batch: look up every item's path (one read transaction). */
void hash_cache_lookup(hash_cache *c, const lm_check_options *o, item_result *items, int n);

/*
 * In a worker, with the file's bytes and stat: when the slot's record agrees,
 * match from the recorded hashes (lm_check_hashes) and return 1; else 0.
 */
int hash_cache_reuse(const lm_matcher *m, const scan_config *cfg, const struct stat *st,
                     const uint8_t *data, size_t len, item_result *r);

/* In a worker, after a full check: keep the new hashes in the slot for writing. */
void hash_cache_remember(const scan_config *cfg, const struct stat *st, item_result *r);

/* After a batch: write the remembered records in one transaction. */
void hash_cache_store(hash_cache *c, const lm_check_options *o, item_result *items, int n);

#endif
