/*
 * Writing the persisted index (layout: index_file.h, index_file_format.h), from an index
 * built in memory (lm_index_write) or straight from the hashes, one group of tables at a
 * time (lm_index_build_file). Every section's place follows from the sizes alone, so each
 * is written where it belongs (pwrite), in any order and from several threads, and its
 * blocks are checksummed as they go; then the checksum table and the header, fsync and
 * rename. Both give the same bytes for the same hashes.
 */
#include "index_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "big_alloc.h"
#include "index_file_format.h"
#include "index_internal.h"
#include "omp_threads.h"

/* The process id in a temporary name "<base>.tmp.<pid>", or 0. */
static long tmp_pid(const char *name, const char *base, size_t blen)
{
    if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0)
        return 0;
    const char *d = name + blen + 5;
    char *end;
    errno = 0;
    long pid = strtol(d, &end, 10);
    if (d[0] < '1' || d[0] > '9' || *end != '\0' || errno != 0 || pid <= 0)
        return 0;
    return pid;
}

size_t lm_index_remove_stale_tmp(const char *path)
{
    if (!path)
        return 0;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 1, blen = strlen(base);
    char *dir = malloc(dlen + 2), *full = malloc(dlen + blen + 64);
    size_t removed = 0;
    DIR *d = NULL;
    if (dir && full) {
        memcpy(dir, slash ? path : ".", dlen);
        dir[dlen] = '\0';
        if (slash && dlen == 0) /* "/pdq.index" */
            memcpy(dir, "/", 2);
        d = opendir(dir);
    }
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        long pid = tmp_pid(e->d_name, base, blen);
        if (pid == 0 || pid == (long)getpid() || strlen(e->d_name) > blen + 40)
            continue;
        /* ESRCH: no such process, so its write was killed; EPERM means alive */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(full, dlen + blen + 64, "%s/%s", dir, e->d_name);
        if (unlink(full) == 0)
            removed++;
    }
    if (d)
        closedir(d);
    free(dir);
    free(full);
    return removed;
}

/* ---- sections where they belong ------------------------------------------ */

/* Bytes checksummed and written per step: a few hundred blocks, still in cache for the write. */
#define STEP ((size_t)256 * LM_IXF_BLOCK)

typedef struct ixf_writer {
    int fd;
    char *tmp;         /* the temporary file's name */
    ixf_header *h;     /* a whole zeroed header block */
    uint64_t *sums;    /* one per block of [data_begin, data_end) */
    atomic_int failed; /* the first error (an lm_status); 0 while none */
} ixf_writer;

static void writer_fail(ixf_writer *w, int st)
{
    int none = 0;
    atomic_compare_exchange_strong(&w->failed, &none, st);
}

static int pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
    const char *b = p;
    while (len) {
        ssize_t k = pwrite(fd, b, len, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        len -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* Section i's bytes (as many as its layout says), its last block zero-padded. Threads may
 * write different sections at once. */
static void put_section(ixf_writer *w, int i, const void *data)
{
    const ixf_section *s = &w->h->sec[i];
    const uint8_t *p = data;
    uint64_t off = s->offset, left = s->bytes;
    size_t b = (size_t)((off - w->h->data_begin) / LM_IXF_BLOCK);
    while (left && !atomic_load_explicit(&w->failed, memory_order_relaxed)) {
        size_t len = left >= STEP ? STEP : (size_t)(left / LM_IXF_BLOCK * LM_IXF_BLOCK);
        uint8_t tail[LM_IXF_BLOCK];
        const uint8_t *src = p;
        if (len == 0) { /* under a block left */
            memset(tail, 0, sizeof tail);
            memcpy(tail, p, (size_t)left);
            src = tail;
            len = LM_IXF_BLOCK;
        }
        for (size_t j = 0; j < len / LM_IXF_BLOCK; j++)
            w->sums[b + j] = lm_index_block_sum(src + j * LM_IXF_BLOCK, LM_IXF_BLOCK, b + j);
        if (pwrite_all(w->fd, src, len, off) != 0) {
            writer_fail(w, LM_E_IO);
            return;
        }
        p += len;
        off += len;
        b += len / LM_IXF_BLOCK;
        left = left > len ? left - len : 0;
    }
}

/*
 * The header of an index of n entries with these payload sizes: every section at the next
 * block boundary after the one before, in the order hashes, 16 offset tables, 16 position
 * tables, 16 next-word tables, payloads; then the checksum table.
 */
static void layout(ixf_header *h, size_t n, unsigned key_bits, const uint64_t stamp[],
                   const lm_index_payload *payloads, size_t npayloads)
{
    memcpy(h->magic, MAGIC, 8);
    h->version = VERSION;
    h->header_bytes = HEADER_BYTES;
    h->n = n;
    h->key_bits = key_bits;
    h->block_bytes = LM_IXF_BLOCK;
    memcpy(h->stamp, stamp, sizeof h->stamp);
    h->npayloads = (uint32_t)npayloads;
    uint64_t nkeys = n ? (uint64_t)1 << key_bits : 0;
    uint64_t bytes[MAX_SECTIONS];
    uint32_t k = 0;
    bytes[k++] = (uint64_t)n * sizeof(lm_pdq_hash);
    for (int i = 0; i < LM_MIH_BOXES; i++)
        bytes[k++] = n ? (nkeys + 1) * sizeof(uint32_t) : 0;
    for (int i = 0; i < LM_MIH_BOXES; i++)
        bytes[k++] = (uint64_t)n * sizeof(uint32_t);
    for (int i = 0; i < LM_MIH_BOXES; i++)
        bytes[k++] = (uint64_t)n * sizeof(uint16_t);
    for (size_t i = 0; i < npayloads; i++)
        bytes[k++] = payloads[i].bytes;
    uint64_t off = HEADER_BYTES;
    for (uint32_t i = 0; i < k; i++) {
        h->sec[i].offset = off;
        h->sec[i].bytes = bytes[i];
        off = (off + bytes[i] + LM_IXF_BLOCK - 1) / LM_IXF_BLOCK * LM_IXF_BLOCK;
    }
    h->nsections = k;
    h->data_begin = HEADER_BYTES;
    h->data_end = off;
    h->nblocks = (off - HEADER_BYTES) / LM_IXF_BLOCK;
    h->sums_offset = off;
    h->file_bytes = off + h->nblocks * sizeof(uint64_t);
}

/* The temporary file beside path, for the layout of n entries. LM_OK or a status (nothing
 * left behind). */
static lm_status writer_begin(ixf_writer *w, const char *path, size_t n, unsigned key_bits,
                              const uint64_t stamp[], const lm_index_payload *payloads,
                              size_t npayloads)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    atomic_init(&w->failed, 0);
    (void)lm_index_remove_stale_tmp(path); /* what a killed writer left */
    size_t plen = strlen(path);
    w->tmp = malloc(plen + 32);
    w->h = calloc(1, HEADER_BYTES);
    if (!w->tmp || !w->h)
        return LM_E_NOMEM;
    layout(w->h, n, key_bits, stamp, payloads, npayloads);
    w->sums = malloc((w->h->nblocks ? w->h->nblocks : 1) * sizeof *w->sums);
    if (!w->sums)
        return LM_E_NOMEM;
    snprintf(w->tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return w->fd >= 0 ? LM_OK : LM_E_IO;
}

/* The checksum table and the header, then fsync and rename (st: the caller's status so far).
 * Frees what w holds; on failure nothing is left behind. */
static lm_status writer_end(ixf_writer *w, const char *path, lm_status st)
{
    if (st == LM_OK)
        st = (lm_status)atomic_load(&w->failed);
    ixf_header *h = w->h;
    if (st == LM_OK) {
        h->sums_sum = lm_index_block_sum(w->sums, h->nblocks * sizeof *w->sums, 0x53554D53ull);
        h->header_sum = lm_ixf_header_sum((const uint8_t *)h);
        if (pwrite_all(w->fd, w->sums, h->nblocks * sizeof *w->sums, h->sums_offset) != 0 ||
            pwrite_all(w->fd, h, HEADER_BYTES, 0) != 0 || fsync(w->fd) != 0)
            st = LM_E_IO;
    }
    if (w->fd >= 0 && close(w->fd) != 0 && st == LM_OK)
        st = LM_E_IO;
    if (st == LM_OK && rename(w->tmp, path) != 0)
        st = LM_E_IO;
    if (st != LM_OK && w->fd >= 0)
        unlink(w->tmp);
    free(w->sums);
    free(w->h);
    free(w->tmp);
    return st;
}

static int args_ok(const char *path, const uint64_t *stamp, const lm_index_payload *payloads,
                   size_t npayloads)
{
    return path && stamp && npayloads <= LM_INDEX_FILE_MAX_PAYLOADS && (!npayloads || payloads);
}

static void put_payloads(ixf_writer *w, const lm_index_payload *payloads, size_t npayloads)
{
    for (size_t i = 0; i < npayloads; i++)
        put_section(w, 1 + 3 * LM_MIH_BOXES + (int)i, payloads[i].data);
}

lm_status lm_index_write(const lm_index *ix, const char *path,
                         const uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS],
                         const lm_index_payload *payloads, size_t npayloads)
{
    if (!ix || !args_ok(path, stamp, payloads, npayloads))
        return LM_E_INVALID_ARG;
    if (ix->map && lm_index_verify_all(ix) != LM_OK)
        return LM_E_DB; /* never copy damage into a new file */
    ixf_writer w;
    lm_status st = writer_begin(&w, path, ix->n, ix->key_bits, stamp, payloads, npayloads);
    if (st == LM_OK) {
        put_section(&w, 0, ix->hashes);
        for (int i = 0; i < LM_MIH_BOXES; i++) {
            put_section(&w, 1 + i, ix->offsets[i]);
            put_section(&w, 1 + LM_MIH_BOXES + i, ix->pos[i]);
            put_section(&w, 1 + 2 * LM_MIH_BOXES + i, ix->next[i]);
        }
        put_payloads(&w, payloads, npayloads);
    }
    return writer_end(&w, path, st);
}

/* ---- building straight into the file ---------------------------------------- */

/* Tables built per pass over the hashes: GROUP + 1 word columns (2 bytes per entry each) are
 * extracted at a time instead of all 16. */
#define GROUP 4
_Static_assert(LM_MIH_BOXES % GROUP == 0, "whole groups");

/* One thread's table under construction, reused for each table it builds. */
typedef struct table_buf {
    uint32_t *off, *pos;
    uint16_t *next;
    void *scratch;
} table_buf;

static void free_bufs(table_buf *tb, int nt)
{
    for (int t = 0; tb && t < nt; t++) {
        free(tb[t].off);
        free(tb[t].pos);
        free(tb[t].next);
        free(tb[t].scratch);
    }
    free(tb);
}

static lm_status build_tables(ixf_writer *w, const lm_pdq_hash *hashes, size_t n, unsigned key_bits,
                              int nthreads)
{
    int nt = lm_omp_threads(nthreads);
    if (nt > GROUP)
        nt = GROUP;
    size_t got, nkeys = (size_t)1 << key_bits;
    uint16_t *cols = lm_big_alloc((size_t)(GROUP + 1) * n * sizeof *cols, &got);
    table_buf *tb = calloc((size_t)nt, sizeof *tb);
    int ok = cols && tb;
    for (int t = 0; ok && t < nt; t++) {
        tb[t].off = malloc((nkeys + 1) * sizeof *tb[t].off);
        tb[t].pos = lm_big_alloc(n * sizeof *tb[t].pos, &got);
        tb[t].next = lm_big_alloc(n * sizeof *tb[t].next, &got);
        tb[t].scratch = lm_big_alloc(lm_index_table_scratch_bytes(n, key_bits), &got);
        ok = tb[t].off && tb[t].pos && tb[t].next && tb[t].scratch;
    }
    if (!ok) {
        free(cols);
        free_bufs(tb, nt);
        return LM_E_NOMEM;
    }
    const long long nn = (long long)n; /* n < 2^32 */
    for (int g = 0; g < LM_MIH_BOXES; g += GROUP) {
        /* columns c = words g .. g + GROUP: table g + t is keyed on column t, next is t + 1 */
        LM_OMP(omp parallel for num_threads(nt) schedule(static))
        for (long long e = 0; e < nn; e++)
            for (int c = 0; c <= GROUP; c++)
                cols[(size_t)c * n + (size_t)e] = lm_box(&hashes[e], (g + c) % LM_MIH_BOXES);
        LM_OMP(omp parallel for num_threads(nt) schedule(dynamic, 1))
        for (int t = 0; t < GROUP; t++) {
            table_buf *b = &tb[lm_omp_thread_num()];
            int i = g + t;
            lm_index_table_build(cols + (size_t)t * n, cols + (size_t)(t + 1) * n, n, key_bits,
                                 b->off, b->pos, b->next, b->scratch);
            put_section(w, 1 + i, b->off);
            put_section(w, 1 + LM_MIH_BOXES + i, b->pos);
            put_section(w, 1 + 2 * LM_MIH_BOXES + i, b->next);
        }
    }
    free(cols);
    free_bufs(tb, nt);
    return LM_OK;
}

struct lm_index_file_build {
    ixf_writer w;
    char *path;
    lm_status st; /* of the sections so far */
};

lm_status lm_index_build_file_begin(const lm_pdq_hash *hashes, size_t n, int nthreads,
                                    const char *path, const lm_index_payload *payloads,
                                    size_t npayloads, lm_index_file_build **out)
{
    static const uint64_t no_stamp[LM_INDEX_FILE_STAMP_WORDS]; /* written at the end */
    *out = NULL;
    if ((!hashes && n) || n > UINT32_MAX || !args_ok(path, no_stamp, payloads, npayloads))
        return LM_E_INVALID_ARG;
    lm_index_file_build *b = calloc(1, sizeof *b);
    size_t plen = strlen(path);
    char *p = b ? malloc(plen + 1) : NULL;
    if (!p) {
        free(b);
        return LM_E_NOMEM;
    }
    memcpy(p, path, plen + 1);
    b->path = p;
    const unsigned key_bits = lm_index_key_bits(n);
    b->st = writer_begin(&b->w, path, n, key_bits, no_stamp, payloads, npayloads);
    if (b->st == LM_OK) {
        put_section(&b->w, 0, hashes);
        put_payloads(&b->w, payloads, npayloads);
        if (n)
            b->st = build_tables(&b->w, hashes, n, key_bits, nthreads);
    }
    if (b->st == LM_OK)
        b->st = (lm_status)atomic_load(&b->w.failed);
    if (b->st != LM_OK) {
        lm_status st = writer_end(&b->w, path, b->st); /* removes the temporary file */
        free(b->path);
        free(b);
        return st;
    }
    *out = b;
    return LM_OK;
}

lm_status lm_index_build_file_end(lm_index_file_build *b,
                                  const uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS], int keep)
{
    if (!b)
        return LM_E_INVALID_ARG;
    lm_status st = keep && stamp ? LM_OK : LM_E_INVALID_ARG; /* not kept: removed */
    if (st == LM_OK)
        memcpy(b->w.h->stamp, stamp, sizeof b->w.h->stamp);
    st = writer_end(&b->w, b->path, st);
    free(b->path);
    free(b);
    return keep ? st : LM_OK;
}

lm_status lm_index_build_file(const lm_pdq_hash *hashes, size_t n, int nthreads, const char *path,
                              const uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS],
                              const lm_index_payload *payloads, size_t npayloads)
{
    if (!stamp)
        return LM_E_INVALID_ARG;
    lm_index_file_build *b;
    lm_status st = lm_index_build_file_begin(hashes, n, nthreads, path, payloads, npayloads, &b);
    return st == LM_OK ? lm_index_build_file_end(b, stamp, 1) : st;
}
