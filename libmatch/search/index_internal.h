/*
 * Layout of lm_index, shared by the files that build and query it.
 *
 * A hash is cut into LM_MIH_BOXES boxes: its sixteen 16-bit words. Table i is
 * keyed by the low key_bits bits of word i (key_bits = 16 once the list has
 * 64Ki entries; fewer for small lists so the offset arrays stay small). For
 * each key it lists, in ascending order, the positions of the entries with
 * that key (pos[i]) and, beside each, the entry's next word, i + 1 mod 16
 * (next[i]), which lets a query reject most candidates without touching the
 * 32-byte hash (the pigeonring filter in index_range.c).
 */
#ifndef LM_SEARCH_INDEX_INTERNAL_H
#define LM_SEARCH_INDEX_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "hamming.h"
#include "index.h"

#define LM_MIH_BOXES 16
#define LM_MIH_MAX_KEY_BITS 16

struct lm_index {
    size_t n;
    lm_pdq_hash *hashes;             /* copy of the build array, in its order */
    unsigned key_bits;               /* 0 when n == 0 (no tables) */
    uint32_t *offsets[LM_MIH_BOXES]; /* 2^key_bits + 1 bucket starts */
    uint32_t *pos[LM_MIH_BOXES];     /* n positions, grouped by key */
    uint16_t *next[LM_MIH_BOXES];    /* n next-words, parallel to pos */
    const lm_ham_kernels *kern;
    size_t bytes;
    struct lm_index_map *map; /* the mapped file (index_file.c); NULL when built in memory */
};

/* A mapped index file: its blocks and which of them have been verified. */
#define LM_IXF_BLOCK 4096u
typedef struct lm_index_map {
    const uint8_t *base; /* the whole file */
    size_t bytes;
    size_t data_begin, data_end; /* checksummed blocks cover [data_begin, data_end) */
    const uint64_t *sums;        /* one per block, from data_begin */
    atomic_uchar *ok;            /* 1: verified; per block */
    uint8_t *pos_block;          /* 1: a block of a position table (values must be < n) */
    size_t n;
    atomic_int damaged;
} lm_index_map;

int lm_index_map_verify(lm_index_map *m, size_t first_block, size_t last_block);
void lm_index_map_free(lm_index_map *m);

/* 0 when every block under [p, p + len) is verified (verifying them now if needed). */
static inline int lm_ix_touch(const lm_index *ix, const void *p, size_t len)
{
    lm_index_map *m = ix->map;
    if (!m)
        return 0;
    size_t off = (size_t)((const uint8_t *)p - m->base);
    if (len == 0)
        return 0;
    size_t b0 = (off - m->data_begin) / LM_IXF_BLOCK,
           b1 = (off + len - 1 - m->data_begin) / LM_IXF_BLOCK;
    if (b0 == b1 && atomic_load_explicit(&m->ok[b0], memory_order_relaxed))
        return 0;
    return lm_index_map_verify(m, b0, b1);
}

/* Bucket key width for n entries: about one entry per bucket, at most 16 (0 when n is 0). */
unsigned lm_index_key_bits(size_t n);

/*
 * One table (index_build.c): off (2^key_bits + 1 bucket starts), pos and next (n each) of
 * the entries keyed by key[e] (their word i) with next word nxt[e] (word i + 1), in
 * position order within each bucket. scratch: lm_index_table_scratch_bytes(n, key_bits).
 */
void lm_index_table_build(const uint16_t *key, const uint16_t *nxt, size_t n, unsigned key_bits,
                          uint32_t *off, uint32_t *pos, uint16_t *next, void *scratch);
size_t lm_index_table_scratch_bytes(size_t n, unsigned key_bits);

/* Word i of a hash (the box the tables are keyed on). */
static inline uint16_t lm_box(const lm_pdq_hash *h, int i)
{
    uint16_t w;
    memcpy(&w, h->b + 2 * i, sizeof w);
    return w;
}

/* Range search with a resolved strategy; writes into sink (hit_sink.h). */
struct lm_hit_sink;
/* Both return 0, or -1 when a block of a mapped index failed its check. */
int lm_index_mih_range(const lm_index *ix, const lm_pdq_hash *q, int r, struct lm_hit_sink *s);
int lm_index_scan_range(const lm_index *ix, const lm_pdq_hash *q, int r, struct lm_hit_sink *s);
/* A scan keeping the best s->cap within max_d (index_knn.c). */
int lm_index_scan_knn(const lm_index *ix, const lm_pdq_hash *q, int max_d, struct lm_hit_sink *s);

#endif
