/*
 * The persisted index (see index_file.h): the block checksum, mapping, and the lazy
 * per-block verification that lets a query trust what it reads. Writing is in
 * index_file_write.c.
 */
#include "index_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index_file_format.h"
#include "index_internal.h"

/* ---- checksum ------------------------------------------------------------ */

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* One xxHash64 round: a bijection of acc for a fixed word and of the word for a
 * fixed acc, so any change confined to one word always changes the sum. */
static inline uint64_t round64(uint64_t acc, uint64_t w)
{
    return rotl(acc + w * P2, 31) * P1;
}

uint64_t lm_index_block_sum(const void *p, size_t len, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t a0 = seed + P1 + P2, a1 = seed + P2, a2 = seed, a3 = seed - P1;
    for (size_t i = 0; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, b + i, sizeof w);
        a0 = round64(a0, w[0]);
        a1 = round64(a1, w[1]);
        a2 = round64(a2, w[2]);
        a3 = round64(a3, w[3]);
    }
    uint64_t h = rotl(a0, 1) + rotl(a1, 7) + rotl(a2, 12) + rotl(a3, 18);
    h = (h ^ round64(0, a0)) * P1 + P4;
    h = (h ^ round64(0, a1)) * P1 + P4;
    h = (h ^ round64(0, a2)) * P1 + P4;
    h = (h ^ round64(0, a3)) * P1 + P4;
    h += (uint64_t)len;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t lm_ixf_header_sum(const uint8_t *block)
{
    uint8_t buf[HEADER_BYTES];
    memcpy(buf, block, HEADER_BYTES);
    memset(buf + offsetof(ixf_header, header_sum), 0, sizeof(uint64_t));
    return lm_index_block_sum(buf, HEADER_BYTES, 0x4C4D4858ull);
}

/* ---- mapping and verification --------------------------------------------- */

int lm_index_map_verify(lm_index_map *m, size_t b0, size_t b1)
{
    size_t nblocks = (m->data_end - m->data_begin) / LM_IXF_BLOCK;
    if (b1 >= nblocks || b0 > b1) {
        atomic_store(&m->damaged, 1);
        return -1;
    }
    for (size_t b = b0; b <= b1; b++) {
        if (atomic_load_explicit(&m->ok[b], memory_order_acquire))
            continue;
        const uint8_t *p = m->base + m->data_begin + b * LM_IXF_BLOCK;
        int good = lm_index_block_sum(p, LM_IXF_BLOCK, b) == m->sums[b];
        if (good && m->pos_block[b]) {
            const uint32_t *v = (const uint32_t *)(const void *)p;
            for (size_t i = 0; i < LM_IXF_BLOCK / 4 && good; i++)
                good = v[i] < m->n || v[i] == 0; /* padding is zero */
        }
        if (!good) {
            atomic_store(&m->damaged, 1);
            return -1;
        }
        atomic_store_explicit(&m->ok[b], 1, memory_order_release);
    }
    return 0;
}

int lm_index_is_mapped(const lm_index *ix)
{
    return ix && ix->map;
}

int lm_index_check(const lm_index *ix, const void *p, size_t len)
{
    if (!ix || !ix->map)
        return 0;
    const uint8_t *b = p;
    const lm_index_map *m = ix->map;
    if (b < m->base + m->data_begin || b + len > m->base + m->data_end)
        return -1;
    return lm_ix_touch(ix, p, len);
}

int lm_index_hash_at(const lm_index *ix, size_t pos, const lm_pdq_hash **out)
{
    if (!ix || pos >= ix->n || lm_ix_touch(ix, &ix->hashes[pos], sizeof ix->hashes[pos]))
        return -1;
    *out = &ix->hashes[pos];
    return 0;
}

int lm_index_damaged(const lm_index *ix)
{
    return ix && ix->map && atomic_load(&ix->map->damaged);
}

lm_status lm_index_verify_all(const lm_index *ix)
{
    if (!ix || !ix->map)
        return LM_OK;
    lm_index_map *m = ix->map;
    size_t nblocks = (m->data_end - m->data_begin) / LM_IXF_BLOCK;
    if (nblocks && lm_index_map_verify(m, 0, nblocks - 1))
        return LM_E_DB;
    return LM_OK;
}

void lm_index_map_free(lm_index_map *m)
{
    if (!m)
        return;
    if (m->base)
        munmap((void *)m->base, m->bytes);
    free(m->ok);
    free(m->pos_block);
    free(m);
}

static lm_status fail(char *why, size_t whycap, lm_status st, const char *msg)
{
    if (why && whycap)
        snprintf(why, whycap, "%s", msg);
    return st;
}

/* A section lies inside the checksummed range, block-aligned, with this size. */
static int section_ok(const ixf_header *h, const ixf_section *s, uint64_t bytes)
{
    return s->bytes == bytes && s->offset % LM_IXF_BLOCK == 0 && s->offset >= h->data_begin &&
           s->offset <= h->data_end && s->bytes <= h->data_end - s->offset;
}

lm_status lm_index_open(const char *path, lm_index **out, uint64_t stamp[LM_INDEX_FILE_STAMP_WORDS],
                        lm_index_payload *payloads, size_t npayloads, char *why, size_t whycap)
{
    if (!out || !path || !stamp || npayloads > LM_INDEX_FILE_MAX_PAYLOADS ||
        (npayloads && !payloads))
        return LM_E_INVALID_ARG;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? fail(why, whycap, LM_E_NOT_FOUND, "no index file")
                               : fail(why, whycap, LM_E_IO, "cannot open the index file");
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(why, whycap, LM_E_IO, "cannot stat the index file");
    }
    if ((uint64_t)sb.st_size < HEADER_BYTES) {
        close(fd);
        return fail(why, whycap, LM_E_DB, "index file truncated (no header)");
    }
    void *base = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return fail(why, whycap, LM_E_IO, "cannot map the index file");
    lm_index_map *m = calloc(1, sizeof *m);
    lm_index *ix = calloc(1, sizeof *ix);
    if (!m || !ix) {
        munmap(base, (size_t)sb.st_size);
        free(m);
        free(ix);
        return LM_E_NOMEM;
    }
    m->base = base;
    m->bytes = (size_t)sb.st_size;
    ix->map = m;
    lm_status st = LM_OK;
    const char *msg = NULL;
    ixf_header h;
    memcpy(&h, base, sizeof h);
    const uint64_t fsize = (uint64_t)sb.st_size;
    if (memcmp(h.magic, MAGIC, 8) != 0)
        msg = "not an index file";
    else if (h.version != VERSION || h.header_bytes != HEADER_BYTES ||
             h.block_bytes != LM_IXF_BLOCK)
        msg = "index file of another version";
    else if (h.header_sum != lm_ixf_header_sum(base))
        msg = "index file header damaged";
    else if (h.file_bytes != fsize)
        msg = h.file_bytes > fsize ? "index file truncated" : "index file has trailing bytes";
    else if (h.n > UINT32_MAX || h.key_bits > LM_MIH_MAX_KEY_BITS ||
             (h.n > 0) != (h.key_bits > 0) || h.npayloads != npayloads ||
             h.nsections != 1 + 3 * LM_MIH_BOXES + npayloads || h.data_begin != HEADER_BYTES ||
             h.data_end < h.data_begin || (h.data_end - h.data_begin) % LM_IXF_BLOCK ||
             h.nblocks != (h.data_end - h.data_begin) / LM_IXF_BLOCK ||
             h.sums_offset != h.data_end || h.nblocks > fsize / 8 ||
             h.file_bytes != h.sums_offset + h.nblocks * 8)
        msg = "index file structure damaged";
    if (!msg) {
        size_t nkeys = h.n ? (size_t)1 << h.key_bits : 0;
        int good = section_ok(&h, &h.sec[0], h.n * sizeof(lm_pdq_hash));
        for (int i = 0; i < LM_MIH_BOXES; i++) {
            good = good && section_ok(&h, &h.sec[1 + i], h.n ? (nkeys + 1) * 4 : 0);
            good = good && section_ok(&h, &h.sec[1 + LM_MIH_BOXES + i], h.n * 4);
            good = good && section_ok(&h, &h.sec[1 + 2 * LM_MIH_BOXES + i], h.n * 2);
        }
        for (size_t i = 0; i < npayloads && good; i++) {
            const ixf_section *s = &h.sec[1 + 3 * LM_MIH_BOXES + i];
            good = section_ok(&h, s, s->bytes);
        }
        if (!good)
            msg = "index file structure damaged";
    }
    m->sums = (const uint64_t *)(const void *)((const uint8_t *)base + h.sums_offset);
    if (!msg && lm_index_block_sum(m->sums, h.nblocks * 8, 0x53554D53ull) != h.sums_sum)
        msg = "index file checksums damaged";
    if (!msg) {
        m->data_begin = h.data_begin;
        m->data_end = h.data_end;
        m->n = h.n;
        m->ok = calloc(h.nblocks ? h.nblocks : 1, 1);
        m->pos_block = calloc(h.nblocks ? h.nblocks : 1, 1);
        if (!m->ok || !m->pos_block)
            st = LM_E_NOMEM;
    }
    if (!msg && st == LM_OK) {
        const uint8_t *b = base;
        ix->n = h.n;
        ix->key_bits = h.key_bits;
        ix->kern = lm_ham_kernels_best();
        ix->hashes = (lm_pdq_hash *)(uintptr_t)(b + h.sec[0].offset);
        size_t nkeys = h.n ? (size_t)1 << h.key_bits : 0;
        for (int i = 0; i < LM_MIH_BOXES && !msg; i++) {
            const ixf_section *so = &h.sec[1 + i], *sp = &h.sec[1 + LM_MIH_BOXES + i],
                              *sn = &h.sec[1 + 2 * LM_MIH_BOXES + i];
            ix->offsets[i] = (uint32_t *)(uintptr_t)(b + so->offset);
            ix->pos[i] = (uint32_t *)(uintptr_t)(b + sp->offset);
            ix->next[i] = (uint16_t *)(uintptr_t)(b + sn->offset);
            for (uint64_t o = sp->offset; o < sp->offset + sp->bytes; o += LM_IXF_BLOCK)
                m->pos_block[(o - h.data_begin) / LM_IXF_BLOCK] = 1;
            if (h.n == 0)
                continue;
            /* The offsets are read by every probe: verified now, with their structure. */
            if (lm_ix_touch(ix, ix->offsets[i], so->bytes)) {
                msg = "index file damaged (bucket offsets)";
                break;
            }
            const uint32_t *off = ix->offsets[i];
            int good = off[0] == 0 && off[nkeys] == h.n;
            for (size_t k = 0; k < nkeys && good; k++)
                good = off[k] <= off[k + 1];
            if (!good)
                msg = "index file structure damaged (bucket offsets)";
        }
        for (size_t i = 0; i < npayloads; i++) {
            const ixf_section *s = &h.sec[1 + 3 * LM_MIH_BOXES + i];
            payloads[i].data = b + s->offset;
            payloads[i].bytes = s->bytes;
        }
        memcpy(stamp, h.stamp, sizeof h.stamp);
        ix->bytes = sizeof *ix + sizeof *m + m->bytes + 2 * h.nblocks;
    }
    if (msg || st != LM_OK) {
        lm_index_free(ix);
        return msg ? fail(why, whycap, LM_E_DB, msg) : st;
    }
    *out = ix;
    return LM_OK;
}
