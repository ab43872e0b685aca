/*
 * A bounds-checked reader of LMDB 0.9's page format (64-bit builds).
 *
 * LMDB trusts its file: a flipped byte in a page header or node can make it
 * read outside the map (SIGSEGV/SIGBUS) or trip an assertion (abort). So
 * before LMDB walks a file we may not trust, we walk it ourselves: every page
 * reachable from the meta page is checked (type, bounds of every node, child
 * and overflow page numbers, depth, each page reached once), and so is the
 * free list LMDB reuses pages from. The same walker also reads the compact
 * PDQ table directly, which is both safe and the fastest bulk load.
 *
 * Layout (LMDB 0.9, mdb.c): page header {u64 pgno; u16 pad; u16 flags;
 * u16 lower; u16 upper} (overflow pages: u32 pages at offset 12), then u16
 * node offsets; node {u16 lo, hi; u16 flags; u16 ksize; key; data}; a branch
 * node's child is lo | hi << 16 | flags << 32; a leaf node's data size is
 * lo | hi << 16. MDB_db (48 bytes) {u32 pad; u16 flags; u16 depth;
 * u64 branch, leaf, overflow, entries, root}.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_pages.h"

/*
 * The layout above is LMDB 0.9's (data format version 1), read here without
 * LMDB's help: refuse any other LMDB at build time, and at run time a library
 * other than the one built against (db_pages_lmdb_check). Written and tested
 * against LMDB 0.9.24 (Debian 12). LMDB 1.0 changes the page format: this
 * walker must then be revised, not just rebuilt.
 */
#if MDB_VERSION_MAJOR != 0 || MDB_VERSION_MINOR != 9
#error                                                                                             \
    "hashdb/db_pages.c reads LMDB 0.9's private page layout; this LMDB is not 0.9.x: revise the walker for its format first"
#endif

int db_pages_lmdb_check(char *why, size_t cap)
{
    int major = 0, minor = 0, patch = 0;
    mdb_version(&major, &minor, &patch);
    if (major == MDB_VERSION_MAJOR && minor == MDB_VERSION_MINOR)
        return 0;
    snprintf(why, cap,
             "this process runs LMDB %d.%d.%d, but the page check was built for LMDB %d.%d "
             "(its page layout); refusing to read the file",
             major, minor, patch, MDB_VERSION_MAJOR, MDB_VERSION_MINOR);
    return -1;
}

#define PAGEHDR 16
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define P_LEAF2 0x20
#define P_SUBP 0x40
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04
#define MAX_DEPTH 32

static uint64_t rd(const uint8_t *p, int n)
{
    return db_get_le(p, n);
}

static int bad(db_pagefile *pf, const char *fmt, uint64_t a, uint64_t b)
{
    snprintf(pf->why, sizeof pf->why, fmt, (unsigned long long)a, (unsigned long long)b);
    return -1;
}

static int oom(db_pagefile *pf)
{
    pf->nomem = 1;
    return bad(pf, "out of memory", 0, 0);
}

int db_pages_status(const db_pagefile *pf)
{
    return pf->nomem ? LM_E_NOMEM : LM_E_DB;
}

void db_tree_from_bytes(db_tree *t, const uint8_t *p)
{
    t->pad = (uint32_t)rd(p, 4);
    t->flags = (uint16_t)rd(p + 4, 2);
    t->depth = (uint16_t)rd(p + 6, 2);
    t->entries = rd(p + 32, 8);
    t->root = rd(p + 40, 8);
}

/*
 * One read-only mapping of data.mdb per handle, made on first use and kept:
 * page-table set-up dominates a fresh mapping's cost (on some VMs more than the
 * walk itself), so later loads and checks run on a warm map. It covers LMDB's
 * map size, as LMDB's own mapping does; reads stay below the file's size.
 */
static int map_file(lm_hashdb *db, db_pagefile *pf, int fresh)
{
    pthread_mutex_lock(&db->map_lock);
    int rc = 0;
    if (!fresh && db->pmap && db->pmap_size <= db->pmap_len) {
        /* A lookup: the file's size as last seen (it only grows; the caller re-checks with a
         * fresh size when the meta page names more pages). */
        pf->map = db->pmap;
        pf->size = db->pmap_size;
        pthread_mutex_unlock(&db->map_lock);
        return 0;
    }
    if (!db->pmap) {
        size_t n = strlen(db->path) + sizeof "/data.mdb";
        char *file = malloc(n);
        if (file)
            snprintf(file, n, "%s/data.mdb", db->path);
        int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : -1;
        free(file);
        struct stat st;
        MDB_envinfo info;
        mdb_env_info(db->env, &info);
        if (!file) {
            rc = oom(pf);
        } else if (fd < 0 || fstat(fd, &st) != 0) {
            rc = bad(pf, "cannot open the data file", 0, 0);
        } else {
            size_t len =
                info.me_mapsize > (size_t)st.st_size ? info.me_mapsize : (size_t)st.st_size;
            void *m = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
            if (m == MAP_FAILED) {
                rc = bad(pf, "cannot map the data file", 0, 0);
            } else {
                db->pmap = m;
                db->pmap_len = len;
                db->pmap_fd = fd;
                fd = -1;
            }
        }
        if (fd >= 0)
            close(fd);
    }
    if (rc == 0) {
        struct stat st;
        if (fstat(db->pmap_fd, &st) != 0) {
            rc = bad(pf, "cannot stat the data file", 0, 0);
        } else if ((size_t)st.st_size <= db->pmap_len) {
            pf->map = db->pmap;
            pf->size = (size_t)st.st_size;
            db->pmap_size = pf->size;
        } else {
            /* The file outgrew a file-sized map. Others may be reading the old one, and
             * lookups hand out pointers into it: map it whole again and keep the old map until
             * the handle closes. */
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, db->pmap_fd, 0);
            db_old_map *old = malloc(sizeof *old);
            if (m == MAP_FAILED || !old) {
                if (m != MAP_FAILED)
                    munmap(m, (size_t)st.st_size);
                free(old);
                rc = bad(pf, "cannot map the data file", 0, 0);
            } else {
                old->map = db->pmap;
                old->len = db->pmap_len;
                old->next = db->old_maps;
                db->old_maps = old;
                db->pmap = m;
                db->pmap_len = (size_t)st.st_size;
                db->pmap_size = (size_t)st.st_size;
                pf->map = m;
                pf->size = (size_t)st.st_size;
            }
        }
    }
    pthread_mutex_unlock(&db->map_lock);
    return rc;
}

void db_pages_unmap(lm_hashdb *db)
{
    while (db->old_maps) {
        db_old_map *o = db->old_maps;
        db->old_maps = o->next;
        munmap((void *)o->map, o->len);
        free(o);
    }
    if (db->pmap)
        munmap((void *)db->pmap, db->pmap_len);
    if (db->pmap)
        close(db->pmap_fd);
    db->pmap = NULL;
}

void lm_hashdb_release_pages(lm_hashdb *db)
{
    pthread_mutex_lock(&db->map_lock);
    /* A shared read-only file map: readers fault the pages in again from the page cache. */
    if (db->pmap)
        (void)madvise((void *)db->pmap, db->pmap_len, MADV_DONTNEED);
    for (db_old_map *o = db->old_maps; o; o = o->next)
        (void)madvise((void *)o->map, o->len, MADV_DONTNEED);
    pthread_mutex_unlock(&db->map_lock);
}

/* Check both meta pages of pf's map (magic, version, page size) and read their transaction
 * ids; sets pf->psize. */
static int read_metas(db_pagefile *pf, uint64_t txns[2])
{
    if (pf->size < 2 * 512)
        return bad(pf, "data file too small (%llu bytes)", (uint64_t)pf->size, 0);
    uint64_t psize = rd(pf->map + PAGEHDR + 24, 4);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) || 2 * psize > pf->size)
        return bad(pf, "meta page has a bad page size ", psize, 0);
    pf->psize = psize;
    for (int i = 0; i < 2; i++) {
        const uint8_t *p = pf->map + i * psize, *m0 = p + PAGEHDR;
        if (!(rd(p + 10, 2) & P_META) || rd(m0, 4) != 0xBEEFC0DEu || rd(m0 + 4, 4) != 1)
            return bad(pf, "meta page %llu is damaged", (uint64_t)i, 0);
        if (rd(m0 + 24, 4) != psize)
            return bad(pf, "meta pages disagree on the page size", 0, 0);
        txns[i] = rd(m0 + 128, 8);
    }
    return 0;
}

int db_pages_copy_meta(lm_hashdb *db, uint64_t txnid, uint8_t meta[DB_META_BYTES])
{
    db_pagefile pf;
    memset(&pf, 0, sizeof pf);
    uint64_t txns[2];
    if (map_file(db, &pf, 0) || read_metas(&pf, txns))
        return -1;
    const uint8_t *m = pf.map + (txnid & 1) * pf.psize + PAGEHDR;
    if (txns[txnid & 1] != txnid)
        return txns[txnid & 1] > txnid ? 1 : -1;
    memcpy(meta, m, DB_META_BYTES);
    /* A commit writing over the page while it was copied shows in its transaction id. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (rd(m + 128, 8) != txnid || rd(meta + 128, 8) != txnid)
        return 1;
    return 0;
}

static int open_pages(db_pagefile *pf, lm_hashdb *db, uint64_t txnid, int lookup, int fresh)
{
    memset(pf, 0, sizeof *pf);
    if (sizeof(size_t) < 8)
        return bad(pf, "page check needs a 64-bit build", 0, 0);
    if (map_file(db, pf, fresh))
        return -1;
    uint64_t txns[2];
    if (read_metas(pf, txns))
        return -1;
    uint64_t psize = pf->psize, best_txn;
    const uint8_t *best;
    uint8_t held[DB_META_BYTES];
    if (txnid && db_snap_meta(db, txnid, held)) {
        best = held; /* a snapshot a read transaction holds: its meta as it began */
        best_txn = txnid;
    } else {
        /*
         * Pick the meta page LMDB uses. It opens at the newest transaction (ties: page 0) but
         * reads the meta page of a transaction by its parity (page txnid & 1), where it wrote
         * it; a damaged file can have other pages there, so that page must hold the
         * transaction.
         */
        uint64_t want = txnid ? txnid : txns[txns[1] > txns[0]];
        int idx = (int)(want & 1);
        if (txns[idx] != want && want != 0)
            return bad(pf, "meta page %llu does not hold transaction %llu (damaged, or busy)",
                       (uint64_t)idx, want);
        if (want == 0)
            idx = 0; /* a new file: both pages hold transaction 0 */
        best = pf->map + idx * psize + PAGEHDR;
        best_txn = txns[idx];
    }
    pf->txnid = best_txn;
    pf->npages = rd(best + 120, 8) + 1;
    pf->fpages = pf->npages;
    if (pf->npages < 2 || pf->npages > pf->size / psize) {
        if (!fresh) { /* the file may have grown since its size was last seen */
            db_pages_close(pf);
            return open_pages(pf, db, txnid, lookup, 1);
        }
        /*
         * LMDB counts a commit's loose pages (allocated and freed again in the transaction,
         * never written) in the meta's last page, so a sound file can end before it: the pages
         * past its end are free, and reads stop at the end (fpages). The free list names each
         * of them in 8 bytes inside the file, which bounds how many there can be; a meta page
         * naming more is damaged. Whether pages in use lie past the end is the walk's to find.
         */
        uint64_t in = pf->size / psize;
        if (pf->npages < 2 || pf->npages - in > pf->size / 8)
            return bad(pf, "meta page names %llu pages, the file holds %llu", pf->npages, in);
        pf->fpages = in;
    }
    db_tree_from_bytes(&pf->free, best + 24);
    db_tree_from_bytes(&pf->main, best + 72);
    if (lookup)
        return 0;
    pf->seen = calloc((size_t)(pf->npages + 7) / 8, 1);
    if (!pf->seen)
        return oom(pf);
    return 0;
}

int db_pages_open(db_pagefile *pf, lm_hashdb *db, uint64_t txnid)
{
    return open_pages(pf, db, txnid, 0, 1);
}

int db_pages_open_lookup(db_pagefile *pf, lm_hashdb *db, uint64_t txnid)
{
    return open_pages(pf, db, txnid, 1, 0);
}

void db_pages_close(db_pagefile *pf)
{
    if (pf->own_map) /* otherwise the map belongs to the handle */
        munmap((void *)pf->map, pf->size);
    free(pf->seen);
    free(pf->freed);
    memset(pf, 0, sizeof *pf);
}

/* Pages checked by this process (tests count what an open reads). */
static _Atomic uint64_t pages_checked;

uint64_t db_pages_checked(void)
{
    return pages_checked;
}

static int mark(db_pagefile *pf, uint64_t pgno)
{
    if (pgno < 2 || pgno >= pf->fpages) {
        pf->beyond = pgno >= pf->fpages && pgno < pf->npages; /* cut off: truncated */
        return bad(pf, "page number %llu outside the file (%llu pages)", pgno, pf->fpages);
    }
    pf->visited++;
    pages_checked++;
    if (!pf->seen) { /* a bounded lookup: no page map, a budget against cycles */
        if (pf->visited > pf->npages)
            return bad(pf, "a lookup visits more pages (%llu) than the file holds", pf->visited, 0);
        return 0;
    }
    if (pf->seen[pgno / 8] & (1u << (pgno % 8)))
        return bad(pf, "page %llu is reached twice", pgno, 0);
    pf->seen[pgno / 8] |= (uint8_t)(1u << (pgno % 8));
    return 0;
}

typedef struct walk {
    db_pagefile *pf;
    const db_tree *tree;
    db_rec_fn fn;
    void *ctx;
    uint64_t records;
    int stop;
    /* A range walk (db_pages_range) starts at the first key >= from: pages on the way down
     * are entered at that key; once a leaf is reached, from is NULL and the walk goes on in
     * order. */
    const uint8_t *from;
    size_t fromlen;
} walk;

static int emit(walk *w, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    w->records++;
    if (w->fn && w->fn(w->ctx, k, kl, v, vl)) {
        w->stop = 1;
        return 1;
    }
    return 0;
}

static int walk_page(walk *w, uint64_t pgno, unsigned level, const db_tree *t,
                     const uint8_t *dupkey, size_t dupklen);

/* LMDB's default key order (mdb_cmp_memn): bytes, then the shorter first. */
static int cmp_key(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/* The key of node i of a checked page. */
static const uint8_t *node_key(const uint8_t *p, int i, size_t *klen)
{
    const uint8_t *node = p + rd(p + PAGEHDR + 2 * i, 2);
    *klen = (size_t)rd(node + 6, 2);
    return node + 8;
}

/* Where key goes in a checked page of n nodes: in a branch page the last child whose key is
 * <= key (node 0's key stands for "lowest"); in a leaf the first node whose key is >= key. */
static int page_position(const uint8_t *p, int n, int branch, const uint8_t *key, size_t klen)
{
    int lo = branch ? 1 : 0, hi = n - 1, at = branch ? 0 : n;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        size_t kl;
        const uint8_t *k = node_key(p, mid, &kl);
        int c = cmp_key(k, kl, key, klen);
        if (branch ? c <= 0 : c >= 0) {
            at = mid;
            if (branch)
                lo = mid + 1;
            else
                hi = mid - 1;
        } else if (branch) {
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    return at;
}

/* Check the node table of a page or sub-page of ps bytes at p; returns its key count or -1. */
static int page_nodes(db_pagefile *pf, const uint8_t *p, size_t ps, int leaf2, size_t ksize)
{
    uint64_t lower = rd(p + 12, 2), upper = rd(p + 14, 2);
    if (lower < PAGEHDR || lower > upper || upper > ps || (lower - PAGEHDR) % 2)
        return bad(pf, "page bounds lower %llu upper %llu are impossible", lower, upper);
    int n = (int)((lower - PAGEHDR) / 2);
    if (leaf2) {
        if (ksize == 0 || PAGEHDR + (uint64_t)n * ksize > ps)
            return bad(pf, "fixed-size keys (%llu of %llu bytes) overflow the page", (uint64_t)n,
                       ksize);
        return n;
    }
    for (int i = 0; i < n; i++) {
        uint64_t off = rd(p + PAGEHDR + 2 * i, 2);
        if (off < upper || off + 8 > ps || off + 8 + rd(p + off + 6, 2) > ps)
            return bad(pf, "node %llu lies outside its page (offset %llu)", (uint64_t)i, off);
    }
    return n;
}

/* The duplicates of one key: a sub-page inside the node, or a sub-tree. */
static int walk_dups(walk *w, const uint8_t *key, size_t klen, const uint8_t *d, size_t dl,
                     unsigned nflags)
{
    db_pagefile *pf = w->pf;
    if (nflags & F_SUBDATA) {
        if (dl != 48)
            return bad(pf, "sub-database record has %llu bytes", dl, 0);
        db_tree sub;
        db_tree_from_bytes(&sub, d);
        if (sub.depth == 0 || sub.depth > MAX_DEPTH)
            return bad(pf, "sub-database depth ", sub.depth, 0);
        return walk_page(w, sub.root, 0, &sub, key, klen);
    }
    if (dl < PAGEHDR || !(rd(d + 10, 2) & P_SUBP))
        return bad(pf, "duplicate sub-page is damaged (%llu bytes)", dl, 0);
    int leaf2 = (rd(d + 10, 2) & P_LEAF2) != 0;
    size_t ks = leaf2 ? (size_t)rd(d + 8, 2) : 0;
    int n = page_nodes(pf, d, dl, leaf2, ks);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (leaf2) {
            if (emit(w, key, klen, d + PAGEHDR + (size_t)i * ks, ks))
                return 0;
            continue;
        }
        const uint8_t *node = d + rd(d + PAGEHDR + 2 * i, 2);
        if (emit(w, key, klen, node + 8, rd(node + 6, 2)))
            return 0;
    }
    return 0;
}

/*
 * Check tree page pgno at level of tree t before anything reads it: number inside the file,
 * reached once (or within the lookup budget), header, type for its level, every node inside the
 * page. The walker and the bounded lookups both go through it. Its node count or -1.
 */
static int check_page(db_pagefile *pf, uint64_t pgno, unsigned level, const db_tree *t,
                      const uint8_t **pp, unsigned *pflags)
{
    if (level >= t->depth || level >= MAX_DEPTH)
        return bad(pf, "page %llu lies deeper than the tree's depth %llu", pgno, t->depth);
    if (mark(pf, pgno))
        return -1;
    const uint8_t *p = pf->map + pgno * pf->psize;
    size_t ps = (size_t)pf->psize;
    unsigned flags = (unsigned)rd(p + 10, 2);
    if (rd(p, 8) != pgno)
        return bad(pf, "page %llu says it is page %llu", pgno, rd(p, 8));
    int is_leaf = (flags & (P_LEAF | P_LEAF2)) != 0;
    if (((flags & P_BRANCH) != 0) == is_leaf || (flags & (P_OVERFLOW | P_META | P_SUBP)))
        return bad(pf, "page %llu has bad flags 0x%llx", pgno, flags);
    if (is_leaf != (level + 1 == t->depth))
        return bad(pf, "page %llu is at the wrong level (%llu)", pgno, level);
    int leaf2 = (flags & P_LEAF2) != 0;
    int n = page_nodes(pf, p, ps, leaf2, leaf2 ? t->pad : 0);
    if (n < 0)
        return -1;
    if (n == 0 && (flags & P_BRANCH))
        return bad(pf, "branch page %llu is empty", pgno, 0);
    *pp = p;
    *pflags = flags;
    return n;
}

/* The data of leaf node `node` of page pgno (checked by check_page): inside the page, or on
 * overflow pages inside the file, checked and marked. 0 or -1. */
static int node_data(db_pagefile *pf, uint64_t pgno, const uint8_t *p, int i, const uint8_t *node,
                     const uint8_t **pd, size_t *pdl)
{
    size_t ps = (size_t)pf->psize;
    unsigned nflags = (unsigned)rd(node + 4, 2);
    size_t klen = (size_t)rd(node + 6, 2);
    size_t dl = (size_t)(rd(node, 2) | rd(node + 2, 2) << 16);
    const uint8_t *d = node + 8 + klen;
    if (nflags & F_BIGDATA) {
        if ((size_t)(d - p) + 8 > ps)
            return bad(pf, "overflow reference lies outside page ", pgno, 0);
        uint64_t opg = rd(d, 8), need = (PAGEHDR + dl + ps - 1) / ps;
        if (opg < 2 || opg >= pf->fpages || need > pf->fpages - opg) {
            pf->beyond = opg >= 2 && opg < pf->npages && need <= pf->npages - opg;
            return bad(pf, "overflow pages %llu.. lie outside the file (%llu)", opg, need);
        }
        const uint8_t *op = pf->map + opg * ps;
        if (!(rd(op + 10, 2) & P_OVERFLOW) || rd(op + 12, 4) < need)
            return bad(pf, "overflow page %llu is damaged", opg, 0);
        for (uint64_t k = 0; k < need; k++)
            if (mark(pf, opg + k))
                return -1;
        d = op + PAGEHDR;
    } else if ((size_t)(d - p) + dl > ps) {
        return bad(pf, "data of node %llu lies outside page %llu", (uint64_t)i, pgno);
    }
    *pd = d;
    *pdl = dl;
    return 0;
}

static int walk_page(walk *w, uint64_t pgno, unsigned level, const db_tree *t,
                     const uint8_t *dupkey, size_t dupklen)
{
    db_pagefile *pf = w->pf;
    const uint8_t *p;
    unsigned flags;
    int n = check_page(pf, pgno, level, t, &p, &flags);
    if (n < 0)
        return -1;
    int leaf2 = (flags & P_LEAF2) != 0, i = 0;
    if (w->from && !dupkey && !leaf2) {
        i = page_position(p, n, (flags & P_BRANCH) != 0, w->from, w->fromlen);
        if (!(flags & P_BRANCH))
            w->from = NULL; /* positioned: everything after this is in the range */
    }
    for (; i < n && !w->stop; i++) {
        if (leaf2) {
            if (!dupkey)
                return bad(pf, "fixed-size page %llu outside a duplicate tree", pgno, 0);
            emit(w, dupkey, dupklen, p + PAGEHDR + (size_t)i * t->pad, t->pad);
            continue;
        }
        const uint8_t *node = p + rd(p + PAGEHDR + 2 * i, 2);
        unsigned nflags = (unsigned)rd(node + 4, 2);
        size_t klen = (size_t)rd(node + 6, 2);
        const uint8_t *key = node + 8;
        if (flags & P_BRANCH) {
            uint64_t child = rd(node, 2) | rd(node + 2, 2) << 16 | (uint64_t)nflags << 32;
            if (walk_page(w, child, level + 1, t, dupkey, dupklen))
                return -1;
            continue;
        }
        const uint8_t *d;
        size_t dl;
        if (node_data(pf, pgno, p, i, node, &d, &dl))
            return -1;
        if (dupkey) { /* inside a duplicate sub-tree: the node's key is the value */
            emit(w, dupkey, dupklen, key, klen);
        } else if (nflags & F_DUPDATA) {
            if (!(t->flags & MDB_DUPSORT))
                return bad(pf, "duplicates in a table without them (page %llu)", pgno, 0);
            if (walk_dups(w, key, klen, d, dl, nflags))
                return -1;
        } else {
            emit(w, key, klen, d, dl);
        }
    }
    return 0;
}

int db_pages_walk(db_pagefile *pf, const db_tree *t, db_rec_fn fn, void *ctx, uint64_t *records)
{
    walk w = {.pf = pf, .tree = t, .fn = fn, .ctx = ctx};
    if (records)
        *records = 0;
    if (t->root == UINT64_MAX) /* an empty tree */
        return 0;
    if (t->depth == 0 || t->depth > MAX_DEPTH)
        return bad(pf, "tree depth %llu is impossible", t->depth, 0);
    int rc = walk_page(&w, t->root, 0, t, NULL, 0);
    if (records)
        *records = w.records;
    if (rc == 0 && !w.stop && w.records != t->entries && !(t->flags & MDB_DUPSORT))
        return bad(pf, "tree holds %llu records but says %llu", w.records, t->entries);
    return rc;
}

/*
 * Descend tree t to the leaf node holding key, each page checked as the walker checks it.
 * 1 with the node's data (inside the page or on checked overflow pages) and flags, 0 when the
 * key is absent, -1 when a page on the way is damaged (pf->why).
 */
static int lookup(db_pagefile *pf, const db_tree *t, const uint8_t *key, size_t klen,
                  const uint8_t **v, size_t *vlen, unsigned *vflags)
{
    if (t->root == UINT64_MAX)
        return 0;
    if (t->depth == 0 || t->depth > MAX_DEPTH)
        return bad(pf, "tree depth %llu is impossible", t->depth, 0);
    uint64_t pgno = t->root;
    for (unsigned level = 0;; level++) {
        const uint8_t *p;
        unsigned flags;
        int n = check_page(pf, pgno, level, t, &p, &flags);
        if (n < 0)
            return -1;
        if (flags & P_LEAF2)
            return bad(pf, "fixed-size page %llu outside a duplicate tree", pgno, 0);
        int i = page_position(p, n, (flags & P_BRANCH) != 0, key, klen);
        if (i == n) /* a leaf whose keys all sort before key */
            return 0;
        const uint8_t *node = p + rd(p + PAGEHDR + 2 * i, 2);
        if (flags & P_BRANCH) {
            pgno = rd(node, 2) | rd(node + 2, 2) << 16 | rd(node + 4, 2) << 32;
            continue;
        }
        if (cmp_key(node + 8, (size_t)rd(node + 6, 2), key, klen) != 0)
            return 0;
        if (node_data(pf, pgno, p, i, node, v, vlen))
            return -1;
        *vflags = (unsigned)rd(node + 4, 2);
        return 1;
    }
}

int db_pages_get(db_pagefile *pf, const db_tree *t, const void *key, size_t klen, const uint8_t **v,
                 size_t *vlen)
{
    unsigned nflags = 0;
    int rc = lookup(pf, t, key, klen, v, vlen, &nflags);
    if (rc == 1 && (nflags & F_DUPDATA))
        return bad(pf, "a record has duplicates in a table without them", 0, 0);
    return rc;
}

int db_pages_get_dups(db_pagefile *pf, const db_tree *t, const void *key, size_t klen, db_rec_fn fn,
                      void *ctx)
{
    const uint8_t *d;
    size_t dl;
    unsigned nflags = 0;
    int rc = lookup(pf, t, key, klen, &d, &dl, &nflags);
    if (rc != 1)
        return rc;
    walk w = {.pf = pf, .tree = t, .fn = fn, .ctx = ctx};
    if (!(nflags & F_DUPDATA)) { /* a single value */
        emit(&w, key, klen, d, dl);
        return 1;
    }
    if (!(t->flags & MDB_DUPSORT))
        return bad(pf, "duplicates in a table without them", 0, 0);
    return walk_dups(&w, key, klen, d, dl, nflags) ? -1 : 1;
}

int db_pages_range(db_pagefile *pf, const db_tree *t, const void *from, size_t fromlen,
                   db_rec_fn fn, void *ctx)
{
    if (t->root == UINT64_MAX)
        return 0;
    if (t->depth == 0 || t->depth > MAX_DEPTH)
        return bad(pf, "tree depth %llu is impossible", t->depth, 0);
    walk w = {.pf = pf, .tree = t, .fn = fn, .ctx = ctx, .from = from, .fromlen = fromlen};
    return walk_page(&w, t->root, 0, t, NULL, 0);
}

int db_pages_table(db_pagefile *pf, const char *name, db_tree *out)
{
    const uint8_t *v;
    size_t vl;
    unsigned nflags = 0;
    int rc = lookup(pf, &pf->main, (const uint8_t *)name, strlen(name), &v, &vl, &nflags);
    if (rc == 1 && (vl != 48 || !(nflags & F_SUBDATA)))
        return bad(pf, "a table's record in the table directory is damaged", 0, 0);
    if (rc == 1)
        db_tree_from_bytes(out, v);
    return rc;
}

typedef struct find_ctx {
    const char *name;
    size_t len;
    db_tree *out;
    int found, bad;
} find_ctx;

static int find_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    find_ctx *f = vctx;
    if (kl == f->len && memcmp(k, f->name, kl) == 0) {
        if (vl != 48) {
            f->bad = 1;
            return 1;
        }
        db_tree_from_bytes(f->out, v);
        f->found = 1;
        return 1;
    }
    return 0;
}

int db_pages_find(db_pagefile *pf, const char *name, db_tree *out)
{
    /* The main tree is small (one record per table); the walk marks its pages. */
    find_ctx f = {name, strlen(name), out, 0, 0};
    memset(pf->seen, 0, (size_t)(pf->npages + 7) / 8);
    if (db_pages_walk(pf, &pf->main, find_cb, &f, NULL) && !f.found)
        return -1;
    memset(pf->seen, 0, (size_t)(pf->npages + 7) / 8);
    if (f.bad)
        return bad(pf, "a table record is damaged", 0, 0);
    if (!f.found)
        return bad(pf, "table not found", 0, 0);
    return 0;
}

typedef struct check_ctx {
    db_pagefile *pf;
    db_tree trees[16];
    char names[16][16];
    int ntrees;
    int bad;
} check_ctx;

static int main_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    check_ctx *c = vctx;
    /* LMDB does not check the size of a table's record when it opens the table (it copies
     * 48 bytes): a record of another size under one of our tables' names is damage. Other
     * records are not tables (a foreign file: the schema check says so). */
    if (vl != 48 && !db_is_table_name(k, kl))
        return 0;
    if (vl != 48 || c->ntrees == 16) {
        c->bad = 1;
        return 1;
    }
    db_tree_from_bytes(&c->trees[c->ntrees], v);
    size_t n = kl < 15 ? kl : 15;
    memcpy(c->names[c->ntrees], k, n);
    c->names[c->ntrees][n] = '\0';
    c->ntrees++;
    return 0;
}

/* Free-list records: u64 count, then that many page numbers, all inside the file. */
static int free_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    check_ctx *c = vctx;
    db_pagefile *pf = c->pf;
    if (kl != 8 || vl < 8 || vl % 8 || rd(v, 8) != vl / 8 - 1) {
        bad(pf, "free-list record is damaged (%llu bytes)", vl, 0);
        c->bad = 1;
        return 1;
    }
    for (size_t i = 1; i < vl / 8; i++) {
        uint64_t pg = rd(v + 8 * i, 8);
        if (pg < 2 || pg >= pf->npages || (pf->freed[pg / 8] & (1u << (pg % 8)))) {
            bad(pf, "free list names page %llu twice or outside the file (%llu pages)", pg,
                pf->npages);
            c->bad = 1;
            return 1;
        }
        pf->freed[pg / 8] |= (uint8_t)(1u << (pg % 8));
    }
    return 0;
}

int db_pages_check(db_pagefile *pf)
{
    check_ctx c = {.pf = pf};
#ifdef MADV_POPULATE_READ
    /* Every page will be read: map them in one call rather than one fault each. */
    madvise((void *)pf->map, (size_t)(pf->fpages * pf->psize), MADV_POPULATE_READ);
#endif
    memset(pf->seen, 0, (size_t)(pf->npages + 7) / 8);
    pf->freed = calloc((size_t)(pf->npages + 7) / 8, 1);
    if (!pf->freed)
        return oom(pf);
    if (db_pages_walk(pf, &pf->free, free_cb, &c, NULL) || c.bad)
        return -1;
    if (db_pages_walk(pf, &pf->main, main_cb, &c, NULL))
        return -1;
    if (c.bad)
        return bad(pf, "the table directory is damaged", 0, 0);
    for (int i = 0; i < c.ntrees; i++) {
        char why[sizeof pf->why];
        if (db_pages_walk(pf, &c.trees[i], NULL, NULL, NULL)) {
            memcpy(why, pf->why, sizeof why);
            snprintf(pf->why, sizeof pf->why, "table '%s': %.160s", c.names[i], why);
            return -1;
        }
    }
    for (uint64_t i = 0; i < (pf->npages + 7) / 8; i++)
        if (pf->seen[i] & pf->freed[i])
            return bad(pf, "a page near %llu is both in use and free", i * 8, 0);
    /* Past the file's end only loose pages, which the commit put on the free list: any other
     * page there means pages were cut off, or the meta page's count is damaged. */
    for (uint64_t pg = pf->fpages; pg < pf->npages; pg++)
        if (!(pf->freed[pg / 8] & (1u << (pg % 8)))) {
            pf->beyond = 1;
            return bad(pf, "page %llu past the end of the file (%llu pages) is not free", pg,
                       pf->fpages);
        }
    return 0;
}

int db_pages_check_main(db_pagefile *pf)
{
    check_ctx c = {.pf = pf};
    memset(pf->seen, 0, (size_t)(pf->npages + 7) / 8);
    if (db_pages_walk(pf, &pf->main, main_cb, &c, NULL))
        return -1;
    if (c.bad)
        return bad(pf, "the table directory is damaged", 0, 0);
    /*
     * Every open reads the small meta table through LMDB (schema version,
     * generation), and LMDB aborts on a damaged page: check its pages too. A
     * missing table is left for the schema check to report.
     */
    db_tree t;
    if (db_pages_find(pf, "meta", &t) != 0) {
        pf->why[0] = '\0';
        return 0;
    }
    memset(pf->seen, 0, (size_t)(pf->npages + 7) / 8);
    return db_pages_walk(pf, &t, NULL, NULL, NULL) ? -1 : 0;
}
