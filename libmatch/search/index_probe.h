/*
 * The probe pipeline both exact searches run over the tables (index_range.c,
 * index_knn.c). A probe is one bucket (table t, key) and a band (lo, hi] of
 * next-word distances: the bucket's entries whose next word is that far from
 * the query's are candidates, their hashes are gathered, and each batch goes
 * to the search's accept function (its own bound and first-table rule).
 *
 * Memory is the cost: a probe reads two bucket bounds and a run of next
 * words, a candidate its position and then its 32-byte hash, each likely a
 * cache miss. So probes are queued and run as a rolling pipeline (the bounds,
 * then the runs, of the probes a few places ahead are requested while one is
 * filtered: requesting a whole batch at once overflowed the core's outstanding
 * misses and cost 20%), and candidates' positions and hashes likewise.
 */
#ifndef LM_SEARCH_INDEX_PROBE_H
#define LM_SEARCH_INDEX_PROBE_H

#include "index_internal.h"

#define LM_PROBE_BATCH 64   /* probes queued before they run */
#define LM_CAND_BATCH 256   /* candidates gathered together (at least) */
#define LM_FILTER_CHUNK 256 /* bucket entries filtered per kernel call */
#define LM_CAND_ROOM (LM_CAND_BATCH + LM_FILTER_CHUNK)

typedef struct lm_probe {
    uint32_t key, begin, end;
    uint8_t table;
    int8_t lo, hi; /* next-word distances in (lo, hi] make candidates; lo = -1: up to hi */
} lm_probe;

typedef struct lm_probes lm_probes;

/* Takes n candidates: each one's position, distance to the query and table. */
typedef void (*lm_probe_accept)(lm_probes *p, const uint32_t *pos, const uint16_t *dist,
                                const uint8_t *table, size_t n);

struct lm_probes {
    const lm_index *ix;
    const lm_pdq_hash *q;
    uint16_t qw[LM_MIH_BOXES]; /* the query's words */
    uint16_t kmask;            /* the key bits of a word */
    int bad;                   /* a block of a mapped index failed its check: stop (LM_E_DB) */
    lm_probe_accept accept;
    size_t np, nc;
    lm_probe probes[LM_PROBE_BATCH];
    uint32_t cidx[LM_CAND_ROOM]; /* index into ix->pos[ctab] */
    uint8_t ctab[LM_CAND_ROOM];
};

void lm_probes_init(lm_probes *p, const lm_index *ix, const lm_pdq_hash *q, lm_probe_accept accept);

/* Queues a probe of every key at distance dk from the query's key in table t. */
void lm_probes_ring(lm_probes *p, int t, int dk, int lo, int hi);

/* Runs every queued probe and hands over every candidate. */
void lm_probes_flush(lm_probes *p);

#endif
