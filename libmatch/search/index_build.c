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

/* Bucket key width from the list size: about one entry per bucket, at most 16. */
static unsigned key_bits_for(size_t n)
{
    unsigned w = 1;
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
        memset(ix->offsets[i], 0, (nkeys + 1) * sizeof *ix->offsets[i]);
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

/* Counting sort of table i from the word columns; cursor has 2^key_bits slots. */
static void build_table(lm_index *ix, const uint16_t *cols, int i, uint32_t *cursor)
{
    const size_t n = ix->n, nkeys = (size_t)1 << ix->key_bits;
    const uint16_t mask = (uint16_t)(nkeys - 1);
    const uint16_t *key = cols + (size_t)i * n;
    const uint16_t *nxt = cols + (size_t)((i + 1) % LM_MIH_BOXES) * n;
    uint32_t *off = ix->offsets[i], *pos = ix->pos[i];
    uint16_t *next = ix->next[i];

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
 * tmp holds n (key, pos, next) triples for this thread.
 */
typedef struct radix_tmp {
    uint16_t *key, *next;
    uint32_t *pos;
} radix_tmp;

static void build_table_radix(lm_index *ix, const uint16_t *cols, int i, radix_tmp tmp)
{
    const size_t n = ix->n;
    const uint16_t *key = cols + (size_t)i * n;
    const uint16_t *nxt = cols + (size_t)((i + 1) % LM_MIH_BOXES) * n;
    uint32_t *off = ix->offsets[i], *pos = ix->pos[i];
    uint16_t *next = ix->next[i];
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
        tmp.key[c] = key[e];
        tmp.pos[c] = (uint32_t)e;
        tmp.next[c] = nxt[e];
    }
    for (size_t j = 0; j < n; j++) {
        size_t c = hi[tmp.key[j] >> 8]++;
        pos[c] = tmp.pos[j];
        next[c] = tmp.next[j];
    }
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
    ix->key_bits = key_bits_for(n);
    size_t nkeys = (size_t)1 << ix->key_bits;
    int nt = lm_omp_threads(nthreads);
    if (nt > LM_MIH_BOXES)
        nt = LM_MIH_BOXES;
    const int radix = ix->key_bits == 16;
    size_t got, tmp_bytes = radix ? (size_t)nt * n * (2 * sizeof(uint16_t) + sizeof(uint32_t)) : 0;
    uint16_t *cols = lm_big_alloc((size_t)LM_MIH_BOXES * n * sizeof *cols, &got);
    uint32_t *cursors = radix ? NULL : malloc((size_t)LM_MIH_BOXES * nkeys * sizeof *cursors);
    char *tmp = radix ? lm_big_alloc(tmp_bytes, &got) : NULL;
    lm_status st =
        (cols && (radix ? tmp != NULL : cursors != NULL)) ? alloc_tables(ix) : LM_E_NOMEM;
    if (st != LM_OK) {
        free(cols);
        free(cursors);
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
    for (int i = 0; i < LM_MIH_BOXES; i++) {
        if (radix) {
            int me = lm_omp_thread_num();
            char *base = tmp + (size_t)me * n * (2 * sizeof(uint16_t) + sizeof(uint32_t));
            radix_tmp t = {(uint16_t *)base, (uint16_t *)(base + n * sizeof(uint16_t)),
                           (uint32_t *)(base + 2 * n * sizeof(uint16_t))};
            build_table_radix(ix, cols, i, t);
        } else {
            build_table(ix, cols, i, cursors + (size_t)i * nkeys);
        }
    }

    free(tmp);
    free(cols);
    free(cursors);
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
