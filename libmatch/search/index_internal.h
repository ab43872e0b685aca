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
};

/* Word i of a hash (the box the tables are keyed on). */
static inline uint16_t lm_box(const lm_pdq_hash *h, int i)
{
    uint16_t w;
    memcpy(&w, h->b + 2 * i, sizeof w);
    return w;
}

/* Range search with a resolved strategy; writes into sink (hit_sink.h). */
struct lm_hit_sink;
void lm_index_mih_range(const lm_index *ix, const lm_pdq_hash *q, int r, struct lm_hit_sink *s);
void lm_index_scan_range(const lm_index *ix, const lm_pdq_hash *q, int r, struct lm_hit_sink *s);

#endif
