/*
 * The persisted index's header block (see index_file.h for the layout), shared by the
 * writer (index_file_write.c) and the reader (index_file.c).
 */
#ifndef LM_SEARCH_INDEX_FILE_FORMAT_H
#define LM_SEARCH_INDEX_FILE_FORMAT_H

#include <stdint.h>

#include "index_file.h"
#include "index_internal.h"

#define MAGIC "LMPDQIX1"
#define VERSION 1u
#define HEADER_BYTES 4096u
/* hashes + 16 offsets + 16 pos + 16 next + payloads */
#define MAX_SECTIONS (1 + 3 * LM_MIH_BOXES + LM_INDEX_FILE_MAX_PAYLOADS)

typedef struct ixf_section {
    uint64_t offset, bytes;
} ixf_section;

typedef struct ixf_header {
    char magic[8];
    uint32_t version, header_bytes;
    uint64_t n;
    uint32_t key_bits, block_bytes;
    uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS];
    uint64_t file_bytes;
    uint32_t nsections, npayloads;
    ixf_section sec[MAX_SECTIONS];
    uint64_t data_begin, data_end; /* checksummed range */
    uint64_t sums_offset, nblocks;
    uint64_t sums_sum;   /* checksum of the checksum table */
    uint64_t header_sum; /* checksum of everything above, zero-padded to 32 bytes */
} ixf_header;

_Static_assert(sizeof(ixf_header) <= HEADER_BYTES, "header fits its block");

/* Checksum of a header block (HEADER_BYTES) with its header_sum field zeroed. */
uint64_t lm_ixf_header_sum(const uint8_t *block);

#endif
