/*
 * Building the index: copy the hashes, then one counting sort per table.
 * The sixteen words of every hash are first extracted into columns so each
 * table's two passes read 2 bytes per entry instead of a 32-byte hash; tables
 * are built in parallel (one per OpenMP thread at a time).
 */
#include <stdlib.h>
#include <string.h>

#include "big_alloc.h"
#include "index_internal.h"

#include "omp_threads.h"

unsigned lm_index_key_bits(size_t n)
{
    if (n == 0)
        return 0;
    unsigned w = 1; /* about one entry per bucket, at most 16 bits */
    while (w < LM_MIH_MAX_KEY_BITS && ((size_t)2 << w) <= n)
        w++;
    return w;
}

void lm_index_free(lm_index *ix)
{
    if (!ix)
        return;
    if (ix->map) { /* the arrays live in the mapped file */
        lm_index_map_free(ix->map);
        free(ix);
        return;
    }
    for (int i = 0; i < LM_MIH_BOXES; i++) {
        free(ix->offsets[i]);
        free(ix->pos[i]);
        free(ix->next[i]);
    }
    free(ix->hashes);
    free(ix);
}

/* Allocates every array up front so the parallel part cannot fail. */
static lm_status alloc_tables(lm_index *ix)
{
    size_t n = ix->n, nkeys = (size_t)1 << ix->key_bits, got;
    ix->hashes = lm_big_alloc(n * sizeof *ix->hashes, &got);
    if (!ix->hashes)
        return LM_E_NOMEM;
    ix->bytes += got;
    for (int i = 0; i < LM_MIH_BOXES; i++) {
        ix->offsets[i] = lm_big_alloc((nkeys + 1) * sizeof *ix->offsets[i], &got);
        if (!ix->offsets[i])
            return LM_E_NOMEM;
        ix->bytes += got;
        ix->pos[i] = lm_big_alloc(n * sizeof *ix->pos[i], &got);
        if (!ix->pos[i])
            return LM_E_NOMEM;
        ix->bytes += got;
        ix->next[i] = lm_big_alloc(n * sizeof *ix->next[i], &got);
        if (!ix->next[i])
            return LM_E_NOMEM;
        ix->bytes += got;
    }
    return LM_OK;
}

size_t lm_index_table_scratch_bytes(size_t n, unsigned key_bits)
{
    return key_bits == 16 ? n * (2 * sizeof(uint16_t) + sizeof(uint32_t))
                          : ((size_t)1 << key_bits) * sizeof(uint32_t);
}

/* Counting sort by the low key_bits of key; cursor has 2^key_bits slots. */
static void build_table(const uint16_t *key, const uint16_t *nxt, size_t n, unsigned key_bits,
                        uint32_t *off, uint32_t *pos, uint16_t *next, uint32_t *cursor)
{
    const size_t nkeys = (size_t)1 << key_bits;
    const uint16_t mask = (uint16_t)(nkeys - 1);
    for (size_t e = 0; e < n; e++)
        off[(key[e] & mask) + 1]++;
    for (size_t k = 0; k < nkeys; k++)
        off[k + 1] += off[k];
    memcpy(cursor, off, nkeys * sizeof *cursor);
    for (size_t e = 0; e < n; e++) {
        uint32_t c = cursor[key[e] & mask]++;
        pos[c] = (uint32_t)e;
        next[c] = nxt[e];
    }
}

/*
 * The same counting sort in two stable byte passes (low byte, then high) for
 * 16-bit keys: a one-pass scatter into 65536 buckets misses the cache on
 * nearly every write at 10M entries; 256 write streams per pass stay cached.
 * The scratch holds n (key, pos, next) triples.
 */
static void build_table_radix(const uint16_t *key, const uint16_t *nxt, size_t n, uint32_t *off,
                              uint32_t *pos, uint16_t *next, char *scratch)
{
    uint16_t *tkey = (uint16_t *)(void *)scratch, *tnext = tkey + n;
    uint32_t *tpos = (uint32_t *)(void *)(tnext + n);
    size_t lo[256] = {0}, hi[256];

    for (size_t e = 0; e < n; e++) {
        off[key[e] + 1]++;
        lo[key[e] & 255]++;
    }
    for (size_t k = 0; k < 65536; k++)
        off[k + 1] += off[k];
    for (size_t b = 0, sum = 0; b < 256; b++) {
        size_t c = lo[b];
        lo[b] = sum;
        sum += c;
        hi[b] = off[b << 8];
    }
    for (size_t e = 0; e < n; e++) {
        size_t c = lo[key[e] & 255]++;
        tkey[c] = key[e];
        tpos[c] = (uint32_t)e;
        tnext[c] = nxt[e];
    }
    for (size_t j = 0; j < n; j++) {
        size_t c = hi[tkey[j] >> 8]++;
        pos[c] = tpos[j];
        next[c] = tnext[j];
    }
}

void lm_index_table_build(const uint16_t *key, const uint16_t *nxt, size_t n, unsigned key_bits,
                          uint32_t *off, uint32_t *pos, uint16_t *next, void *scratch)
{
    memset(off, 0, (((size_t)1 << key_bits) + 1) * sizeof *off);
    if (key_bits == 16)
        build_table_radix(key, nxt, n, off, pos, next, scratch);
    else
        build_table(key, nxt, n, key_bits, off, pos, next, scratch);
}

static lm_status build(const lm_pdq_hash *hashes, size_t n, int nthreads,
                       const lm_ham_kernels *kern, lm_index **out)
{
    lm_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return LM_E_NOMEM;
    ix->n = n;
    ix->kern = kern;
    ix->bytes = sizeof *ix;
    if (n == 0) {
        *out = ix;
        return LM_OK;
    }
    ix->key_bits = lm_index_key_bits(n);
    int nt = lm_omp_threads(nthreads);
    if (nt > LM_MIH_BOXES)
        nt = LM_MIH_BOXES;
    const size_t scratch_bytes = lm_index_table_scratch_bytes(n, ix->key_bits);
    size_t got;
    uint16_t *cols = lm_big_alloc((size_t)LM_MIH_BOXES * n * sizeof *cols, &got);
    char *tmp = lm_big_alloc((size_t)nt * scratch_bytes, &got);
    lm_status st = cols && tmp ? alloc_tables(ix) : LM_E_NOMEM;
    if (st != LM_OK) {
        free(cols);
        free(tmp);
        lm_index_free(ix);
        return st;
    }

    /* n fits in uint32 (checked by the callers), so the loop index can be signed 64-bit. */
    const long long nn = (long long)n;
    LM_OMP(omp parallel for num_threads(nt) schedule(static))
    for (long long e = 0; e < nn; e++) {
        ix->hashes[e] = hashes[e];
        for (int i = 0; i < LM_MIH_BOXES; i++)
            cols[(size_t)i * n + (size_t)e] = lm_box(&hashes[e], i);
    }
    LM_OMP(omp parallel for num_threads(nt) schedule(dynamic, 1))
    for (int i = 0; i < LM_MIH_BOXES; i++)
        lm_index_table_build(cols + (size_t)i * n, cols + (size_t)((i + 1) % LM_MIH_BOXES) * n, n,
                             ix->key_bits, ix->offsets[i], ix->pos[i], ix->next[i],
                             tmp + (size_t)lm_omp_thread_num() * scratch_bytes);

    free(tmp);
    free(cols);
    *out = ix;
    return LM_OK;
}

lm_status lm_index_build_isa(const lm_pdq_hash *hashes, size_t n, int nthreads, lm_isa isa,
                             lm_index **out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if ((!hashes && n > 0) || n > UINT32_MAX)
        return LM_E_INVALID_ARG;
    const lm_ham_kernels *kern = lm_ham_kernels_for(isa);
    if (!kern)
        return LM_E_UNSUPPORTED;
    return build(hashes, n, nthreads, kern, out);
}

lm_status lm_index_build(const lm_pdq_hash *hashes, size_t n, int nthreads, lm_index **out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if ((!hashes && n > 0) || n > UINT32_MAX)
        return LM_E_INVALID_ARG;
    return build(hashes, n, nthreads, lm_ham_kernels_best(), out);
}

size_t lm_index_count(const lm_index *ix)
{
    return ix ? ix->n : 0;
}

size_t lm_index_memory_bytes(const lm_index *ix)
{
    return ix ? ix->bytes : 0;
}

lm_isa lm_index_isa(const lm_index *ix)
{
    return ix ? ix->kern->isa : LM_ISA_SCALAR;
}
