/* The LMDB environment: open/create, schema check, transactions, map growth, generation. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "db_pages.h"
#include "hashdb_internal.h"

#define DB_MAX_DBS 32
#define DB_MAX_READERS 1024
/* Large enough that real lists never fill it; the file only grows as used. */
#define DB_INITIAL_MAP ((size_t)(sizeof(size_t) >= 8 ? (64ull << 30) : (512u << 20)))

int64_t db_now(void)
{
    return (int64_t)time(NULL);
}

static int db_verr(lm_hashdb *db, int status, int hint, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&db->err_lock);
    vsnprintf(db->err.msg, sizeof db->err.msg, fmt, ap);
    db->hint = hint;
    pthread_mutex_unlock(&db->err_lock);
    return status;
}

int db_err(lm_hashdb *db, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    db_verr(db, status, LM_DB_HINT_NONE, fmt, ap);
    va_end(ap);
    return status;
}

int db_err_hint(lm_hashdb *db, int status, int hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    db_verr(db, status, hint, fmt, ap);
    va_end(ap);
    return status;
}

lm_status lm_hashdb_set_error(lm_hashdb *db, lm_status status, int hint, const char *msg)
{
    if (db)
        db_err_hint(db, status, hint, "%s", msg ? msg : "");
    return status;
}

int lm_hashdb_last_hint(lm_hashdb *db)
{
    if (!db)
        return LM_DB_HINT_NONE;
    pthread_mutex_lock(&db->err_lock);
    int h = db->hint;
    pthread_mutex_unlock(&db->err_lock);
    return h;
}

int lm_hashdb_failed(const lm_hashdb *db)
{
    return !db || db->failed;
}

int lm_hashdb_writable(const lm_hashdb *db)
{
    return db && db->writable;
}

int db_mdb_err(lm_hashdb *db, int rc, const char *what)
{
    int st = LM_E_DB;
    if (rc == MDB_NOTFOUND)
        st = LM_E_NOT_FOUND;
    else if (rc == MDB_MAP_FULL)
        db->map_full = 1; /* only write transactions see it, and they are serialised */
    else if (rc == ENOMEM)
        st = LM_E_NOMEM;
    /* LMDB turns a short write into EIO: on a full file system that is "no space left". */
    struct statvfs vfs;
    if ((rc == EIO || rc == ENOSPC) && db->path && statvfs(db->path, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < (4u << 20))
        return db_err(db, st, "%s: no space left on the device holding %s (%s)", what, db->path,
                      mdb_strerror(rc));
    if (rc == DB_RC_DAMAGED) /* a checked read (db_get): db->err says what is damaged */
        return LM_E_DB;
    if (rc == DB_RC_NOMEM) /* a checked read could not allocate: db->err says so */
        return LM_E_NOMEM;
    return db_err(db, st, "%s: %s", what, mdb_strerror(rc));
}

const char *lm_hashdb_last_error(lm_hashdb *db)
{
    return db ? db->err.msg : "";
}

/* Grow the map (new_size 0: adopt the size another process set). No txn may be active. */
static int db_grow(lm_hashdb *db, int double_it)
{
    pthread_rwlock_wrlock(&db->resize_lock);
    size_t size = 0;
    if (double_it) {
        MDB_envinfo info;
        mdb_env_info(db->env, &info);
        size = info.me_mapsize;
        if (size > SIZE_MAX / 2) {
            pthread_rwlock_unlock(&db->resize_lock);
            return db_err(db, LM_E_DB, "database map cannot grow beyond %zu bytes", size);
        }
        size *= 2;
    }
    int rc = mdb_env_set_mapsize(db->env, size);
    pthread_rwlock_unlock(&db->resize_lock);
    return rc ? db_mdb_err(db, rc, "growing the database map") : LM_OK;
}

static int check_pages(lm_hashdb *db, MDB_txn *txn, int all);

/* A read transaction whose reads all go through the checked lookups (db_get, db_get_dups,
 * db_scan, db_table_entries) or the walker: no page check first. */
int db_read_begin_checked(lm_hashdb *db, MDB_txn **txn)
{
    for (int tries = 0, overwritten = 0; tries < 4;) {
        pthread_rwlock_rdlock(&db->resize_lock);
        int rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, txn);
        if (rc == 0) {
            /* Keep the snapshot's meta for the page walker (db_snapshots.c). Two commits
             * between the begin and the copy wrote over it: begin again, on a newer one. */
            int pin = db_snap_pin(db, (uint64_t)mdb_txn_id(*txn));
            if (pin == 0)
                return LM_OK;
            mdb_txn_abort(*txn);
            *txn = NULL;
            pthread_rwlock_unlock(&db->resize_lock);
            if (pin < 0)
                return db_err(db, LM_E_NOMEM, "out of memory starting a read transaction");
            if (++overwritten == 64)
                return db_err(db, LM_E_DB, "the writer keeps overtaking a read transaction");
            continue;
        }
        pthread_rwlock_unlock(&db->resize_lock);
        if (rc != MDB_MAP_RESIZED)
            return db_mdb_err(db, rc, "starting a read transaction");
        int st = db_grow(db, 0);
        if (st)
            return st;
        tries++;
    }
    return db_err(db, LM_E_DB, "the database map keeps changing size");
}

/*
 * Any other read transaction: LMDB will read pages the checked open did not check, so on a
 * handle opened with checked reads every page of the snapshot is checked first (once per
 * snapshot), as every open did before.
 */
int db_read_begin(lm_hashdb *db, MDB_txn **txn)
{
    int st = db_read_begin_checked(db, txn);
    if (st || !db->checked_reads)
        return st;
    uint64_t id = (uint64_t)mdb_txn_id(*txn);
    if (__atomic_load_n(&db->full_txnid, __ATOMIC_ACQUIRE) == id)
        return LM_OK;
    if ((st = check_pages(db, *txn, 1)) != LM_OK) {
        db_read_end(db, *txn);
        *txn = NULL;
        return st;
    }
    __atomic_store_n(&db->full_txnid, id, __ATOMIC_RELEASE);
    return LM_OK;
}

void db_read_end(lm_hashdb *db, MDB_txn *txn)
{
    if (txn) {
        uint64_t id = (uint64_t)mdb_txn_id(txn);
        mdb_txn_abort(txn);
        db_snap_unpin(db, id);
    }
    pthread_rwlock_unlock(&db->resize_lock);
}

int db_read(lm_hashdb *db, db_txn_fn fn, void *ctx)
{
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    st = fn(db, txn, ctx);
    db_read_end(db, txn);
    return st;
}

int db_meta_get_u64(lm_hashdb *db, MDB_txn *txn, const char *key, uint64_t *v, int bytes)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    int rc = db_get(db, txn, db->meta, &k, &d);
    if (rc == MDB_NOTFOUND)
        return db_err(db, LM_E_DB, "meta record '%s' is missing", key);
    if (rc)
        return db_mdb_err(db, rc, key);
    if (d.mv_size != (size_t)bytes)
        return db_err(db, LM_E_DB, "meta record '%s' has %zu bytes, expected %d", key, d.mv_size,
                      bytes);
    *v = db_get_le(d.mv_data, bytes);
    return LM_OK;
}

int db_meta_put_u64(lm_hashdb *db, MDB_txn *txn, const char *key, uint64_t v, int bytes)
{
    uint8_t buf[8];
    db_put_le(buf, v, bytes);
    MDB_val k = {strlen(key), (void *)key}, d = {(size_t)bytes, buf};
    int rc = mdb_put(txn, db->meta, &k, &d, 0);
    return rc ? db_mdb_err(db, rc, key) : LM_OK;
}

static int write_txn(lm_hashdb *db, db_write_fn fn, void *ctx, int bump);
static int write_check(lm_hashdb *db, MDB_txn *txn);

int db_write(lm_hashdb *db, db_write_fn fn, void *ctx)
{
    return write_txn(db, fn, ctx, 1);
}

int db_write_keep_generation(lm_hashdb *db, db_write_fn fn, void *ctx)
{
    return write_txn(db, fn, ctx, 0);
}

/*
 * LMDB does not write the pages a transaction allocated and freed again ("loose" pages,
 * mdb_page_flush skips them), yet counts them in the meta's last page: after a commit
 * that removed entries the file can end before that page, and its next open would have to
 * check every page to tell it from a truncated file (check_tail). So cover the last page: allocate
 * up to it (fallocate mode 0 only ever extends, so a page another process's writer just wrote is
 * never cut off or overwritten; nothing references the loose pages) and make the size durable
 * before the write returns.
 */
static int cover_last_page(lm_hashdb *db)
{
    MDB_envinfo info;
    MDB_stat stat;
    mdb_filehandle_t fd;
    struct stat st;
    if (mdb_env_info(db->env, &info) || mdb_env_stat(db->env, &stat) ||
        mdb_env_get_fd(db->env, &fd) || fstat(fd, &st) != 0)
        return db_err(db, LM_E_IO, "%s/data.mdb: reading its size after a commit", db->path);
    off_t need = (off_t)(info.me_last_pgno + 1) * (off_t)stat.ms_psize;
    if (st.st_size >= need)
        return LM_OK;
    if (fallocate(fd, 0, st.st_size, need - st.st_size) != 0) {
        if (errno == EOPNOTSUPP) /* a file system without it: as LMDB left it */
            return LM_OK;
        return db_err(db, LM_E_IO, "%s/data.mdb: extending it to its last page: %s", db->path,
                      strerror(errno));
    }
    if (fdatasync(fd) != 0)
        return db_err(db, LM_E_IO, "%s/data.mdb: %s", db->path, strerror(errno));
    return LM_OK;
}

static int write_txn(lm_hashdb *db, db_write_fn fn, void *ctx, int bump)
{
    if (!db->writable)
        return db_err(db, LM_E_INVALID_ARG, "database opened read-only");
    for (int tries = 0; tries < 40; tries++) {
        pthread_rwlock_rdlock(&db->resize_lock);
        MDB_txn *txn;
        int rc = mdb_txn_begin(db->env, NULL, 0, &txn);
        if (rc) {
            pthread_rwlock_unlock(&db->resize_lock);
            if (rc == MDB_MAP_RESIZED) {
                int st = db_grow(db, 0);
                if (st)
                    return st;
                continue;
            }
            return db_mdb_err(db, rc, "starting a write transaction");
        }
        uint64_t gen = 0;
        db->map_full = 0;
        __atomic_store_n(&db->wtxn, txn, __ATOMIC_RELEASE);
        int st = write_check(db, txn);
        if (st == LM_OK)
            st = fn(db, txn, ctx);
        if (st == LM_OK && bump)
            st = db_meta_get_u64(db, txn, "generation", &gen, 8);
        if (st == LM_OK && bump)
            st = db_meta_put_u64(db, txn, "generation", gen + 1, 8);
        __atomic_store_n(&db->wtxn, NULL, __ATOMIC_RELEASE);
        if (st == LM_OK) {
            rc = mdb_txn_commit(txn);
            if (rc == 0)
                st = cover_last_page(db);
            pthread_rwlock_unlock(&db->resize_lock);
            if (rc == 0)
                return st;
            if (rc != MDB_MAP_FULL)
                return db_mdb_err(db, rc, "committing");
        } else {
            int full = db->map_full;
            mdb_txn_abort(txn);
            pthread_rwlock_unlock(&db->resize_lock);
            if (!full)
                return st;
        }
        st = db_grow(db, 1);
        if (st)
            return st;
    }
    return db_err(db, LM_E_DB, "the database map keeps filling up");
}

static int tail_refused(lm_hashdb *db, const char *file, int meta)
{
    return db_err(db, LM_E_DB, "%s: meta page %d points beyond the file (damaged or truncated)",
                  file, meta);
}

/*
 * LMDB trusts its two meta pages. A damaged one can make it map pages beyond
 * the end of the file (SIGBUS) or loop, so check them before LMDB sees them.
 * Offsets are those of LMDB 0.9's MDB_page/MDB_meta on a 64-bit build.
 */
static int db_precheck(lm_hashdb *db, const char *file)
{
    if (sizeof(size_t) != 8)
        return LM_OK;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return db_err(db, errno == ENOENT ? LM_E_NOT_FOUND : LM_E_IO, "%s: %s", file,
                      strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return db_err(db, LM_E_IO, "%s: %s", file, strerror(errno));
    }
    uint8_t page[160];
    uint64_t psize = 0;
    int status = LM_OK, refuse = -1;
    for (int i = 0; i < 2 && status == LM_OK; i++) {
        off_t off = (off_t)(i * psize);
        if (pread(fd, page, sizeof page, off) != (ssize_t)sizeof page) {
            status = db_err(db, LM_E_DB, "%s: truncated (no meta page %d)", file, i);
            break;
        }
        uint16_t flags = (uint16_t)db_get_le(page + 10, 2);
        uint32_t magic = (uint32_t)db_get_le(page + 16, 4);
        uint32_t version = (uint32_t)db_get_le(page + 20, 4);
        uint64_t ps = db_get_le(page + 40, 4);
        uint64_t depth0 = db_get_le(page + 46, 2), depth1 = db_get_le(page + 94, 2);
        uint64_t root0 = db_get_le(page + 80, 8), root1 = db_get_le(page + 128, 8);
        uint64_t last = db_get_le(page + 136, 8);
        if (!(flags & 0x08) || magic != 0xBEEFC0DEu || version != 1) {
            status =
                db_err(db, LM_E_DB, "%s: meta page %d is damaged (not an LMDB file?)", file, i);
            break;
        }
        if (ps < 512 || ps > 65536 || (ps & (ps - 1)) || (i == 1 && ps != psize)) {
            status = db_err(db, LM_E_DB, "%s: meta page %d has a bad page size", file, i);
            break;
        }
        psize = ps;
        uint64_t pages = (uint64_t)st.st_size / psize;
        int bad = last < 1 || depth0 > 32 || depth1 > 32 ||
                  (root0 != UINT64_MAX && (root0 < 2 || root0 > last)) ||
                  (root1 != UINT64_MAX && (root1 < 2 || root1 > last));
        /*
         * The file may end before the last page when the pages past its end are LMDB's loose
         * pages (free, never written: see check_tail). That needs both roots inside the file
         * and no more missing pages than the free list could name (8 bytes each); the full
         * check at open (check_tail) then tells a sound file from a truncated one.
         */
        if (!bad && last >= pages && (root0 == UINT64_MAX || root0 < pages) &&
            (root1 == UINT64_MAX || root1 < pages) &&
            last + 1 - pages <= (uint64_t)st.st_size / 8) {
            if (!db->open_tail)
                db->open_tail = i + 1;
        } else if (bad || last >= pages) {
            refuse = i;
            break;
        }
    }
    /* The message is the one from before a list could end early: the first meta page that
     * points past the file's end is named, whatever a later one holds. */
    if (refuse >= 0 || (status != LM_OK && db->open_tail))
        status = tail_refused(db, file, db->open_tail ? db->open_tail - 1 : refuse);
    close(fd);
    return status;
}

/* Check the pages of snapshot txnid (all: every page, else the table directory and the meta
 * table); the caller holds the snapshot, so that no writer reuses its pages meanwhile. */
static int check_snapshot(lm_hashdb *db, uint64_t txnid, int all)
{
    int st = LM_OK;
    db_pagefile pf;
    if (db_pages_open(&pf, db, txnid) || (all ? db_pages_check(&pf) : db_pages_check_main(&pf)))
        st = pf.nomem ? db_err(db, LM_E_NOMEM, "%s/data.mdb: %s", db->path, pf.why)
                      : db_damaged(db, "%s/data.mdb is damaged: %s", db->path, pf.why);
    db_pages_close(&pf);
    return st;
}

static int check_pages(lm_hashdb *db, MDB_txn *txn, int all)
{
    MDB_txn *own = NULL;
    int st = LM_OK;
    if (!txn) {
        if ((st = db_read_begin_checked(db, &own)) != 0)
            return st;
        txn = own;
    }
    st = check_snapshot(db, (uint64_t)mdb_txn_id(txn), all);
    if (own)
        db_read_end(db, own);
    return st;
}

/*
 * The first write on a handle opened without the full check (checked reads): LMDB trusts every
 * page a write reads, and it reuses the pages the free list names, so before anything is
 * written every page of the snapshot the write starts from is checked, inside the write
 * transaction (LMDB's writer lock keeps that snapshot the newest meanwhile). A damaged file is
 * never written: the write fails with LM_E_DB and the file stays as it was. Later writes trust
 * the checked file, as after a writer's full check at open; a snapshot found damaged refuses
 * them without another walk.
 */
static int write_check(lm_hashdb *db, MDB_txn *txn)
{
    if (__atomic_load_n(&db->write_checked, __ATOMIC_ACQUIRE))
        return LM_OK;
    uint64_t base = (uint64_t)mdb_txn_id(txn) - 1; /* a write transaction's id is its base's + 1 */
    if (db->bad_txnid == base && base)
        return db_damaged(db, "%s", db->bad_msg);
    int st = check_snapshot(db, base, 1);
    if (st == LM_OK) {
        __atomic_store_n(&db->full_txnid, base, __ATOMIC_RELEASE);
        __atomic_store_n(&db->write_checked, 1, __ATOMIC_RELEASE);
    } else if (st == LM_E_DB) {
        db->bad_txnid = base;
        pthread_mutex_lock(&db->err_lock);
        snprintf(db->bad_msg, sizeof db->bad_msg, "%s", db->err.msg);
        pthread_mutex_unlock(&db->err_lock);
    }
    return st;
}

int db_check_pages(lm_hashdb *db, MDB_txn *txn)
{
    return check_pages(db, txn, 1);
}

/*
 * The open of a list whose meta page names pages past the end of data.mdb (db_precheck let it
 * through: both roots inside the file). LMDB counts a commit's loose pages (allocated and freed
 * again in the transaction, never written; mdb_freelist_save puts them on the free list) in
 * the meta's last page, so a list written by LMDB without cover_last_page (mdb_load, an older
 * pmatch) can end there and be sound; a truncated one has pages in use past its end. Only a
 * walk of every tree tells them apart, so every page is checked here whatever the flags (the
 * walk reads nothing past the end): a page in use past the end, or one there the free list
 * does not name, refuses the list with db_precheck's message. LMDB never reads a free page (a
 * write transaction reads the free list's records, and writes reused pages with pwrite, which
 * extends the file), so the list is then read and written as any other. A writable handle
 * extends the file to the last page, so that the next open is a fast one again.
 */
static int check_tail(lm_hashdb *db, const char *file)
{
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    db_pagefile pf;
    if (db_pages_open(&pf, db, id) || db_pages_check(&pf))
        st = pf.nomem    ? db_err(db, LM_E_NOMEM, "%s: %s", file, pf.why)
             : pf.beyond ? tail_refused(db, file, db->open_tail - 1)
                         : db_damaged(db, "%s is damaged: %s", file, pf.why);
    db_pages_close(&pf);
    db_read_end(db, txn);
    if (st == LM_OK)
        __atomic_store_n(&db->full_txnid, id, __ATOMIC_RELEASE);
    if (st == LM_OK && db->writable)
        st = cover_last_page(db);
    return st;
}

static int mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0700);
    free(p);
    return rc == 0 || errno == EEXIST ? 0 : -1;
}

/* The tables of a hash list (schema in hashdb_internal.h). */
#define DB_TABLE_OPTIONAL 0x80000000u
static const struct {
    const char *name;
    size_t off;
    unsigned flags;
} tables[] = {
    {"meta", offsetof(lm_hashdb, meta), 0},
    {"entries", offsetof(lm_hashdb, entries), 0},
    {"pdq", offsetof(lm_hashdb, pdq), 0},
    {"hashes", offsetof(lm_hashdb, hashes), MDB_DUPSORT | MDB_DUPFIXED},
    {"lists", offsetof(lm_hashdb, lists), 0},
    {"vframes", offsetof(lm_hashdb, vframes), 0},
    {"list_attrs", offsetof(lm_hashdb, list_attrs), 0},
    {"disabled", offsetof(lm_hashdb, disabled), 0},
    {"hits", offsetof(lm_hashdb, hits), 0},
    {"companions", offsetof(lm_hashdb, companions), 0},
    /* optional (db_features.c): created by the first writer, read as empty while absent */
    {"features", offsetof(lm_hashdb, features), DB_TABLE_OPTIONAL},
};

int db_is_table_name(const void *name, size_t len)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (strlen(tables[i].name) == len && memcmp(tables[i].name, name, len) == 0)
            return 1;
    return 0;
}

/* ---- checked reads (db->checked_reads) ---- */

static int checked_damage(lm_hashdb *db, db_pagefile *pf, const char *table)
{
    int nomem = pf->nomem;
    if (nomem)
        db_err(db, LM_E_NOMEM, "%s/data.mdb: %s", db->path, pf->why);
    else
        db_damaged(db, "%s/data.mdb is damaged: table '%s': %s", db->path, table, pf->why);
    db_pages_close(pf);
    return nomem ? DB_RC_NOMEM : DB_RC_DAMAGED;
}

/*
 * The trees of the tables in one snapshot, found once (lookups would otherwise read the meta
 * page and the table directory every time): a snapshot's pages do not change while a
 * transaction holds it, and every lookup runs in one.
 */
struct db_tree_cache {
    uint64_t txnid;
    const uint8_t *map; /* the handle's map (replaced maps live until close) */
    size_t size;
    uint64_t psize, npages, fpages;
    uint32_t found, absent; /* table bits */
    db_tree trees[16];
};

static int table_index(const lm_hashdb *db, MDB_dbi dbi)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (*(const MDB_dbi *)((const char *)db + tables[i].off) == dbi)
            return (int)i;
    return -1;
}

/* The snapshot of txn and the tree of table dbi: 0, MDB_NOTFOUND (no such table), or
 * DB_RC_DAMAGED (pf closed). */
static int checked_tree(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, db_pagefile *pf, db_tree *t,
                        int lookup, const char **name)
{
    int ti = table_index(db, dbi);
    *name = ti >= 0 ? tables[ti].name : NULL;
    if (!*name) {
        memset(pf, 0, sizeof *pf);
        db_err(db, LM_E_DB, "a read of an unknown table");
        return DB_RC_DAMAGED;
    }
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    uint32_t bit = 1u << ti;
    if (lookup) {
        pthread_mutex_lock(&db->tc_lock);
        struct db_tree_cache *c = db->tcache;
        if (c && c->txnid == id && ((c->found | c->absent) & bit)) {
            memset(pf, 0, offsetof(db_pagefile, why) + 1);
            pf->map = c->map;
            pf->size = c->size;
            pf->psize = c->psize;
            pf->npages = c->npages;
            pf->fpages = c->fpages;
            pf->txnid = id;
            *t = c->trees[ti];
            int absent = (c->absent & bit) != 0;
            pthread_mutex_unlock(&db->tc_lock);
            return absent ? MDB_NOTFOUND : 0;
        }
        pthread_mutex_unlock(&db->tc_lock);
    }
    int rc = lookup ? db_pages_open_lookup(pf, db, id) : db_pages_open(pf, db, id);
    if (rc == 0)
        rc = db_pages_table(pf, *name, t);
    if (rc < 0)
        return checked_damage(db, pf, *name);
    if (lookup && !pf->own_map) {
        pthread_mutex_lock(&db->tc_lock);
        struct db_tree_cache *c = db->tcache;
        if (!c)
            c = db->tcache = calloc(1, sizeof *c);
        if (c && c->txnid != id) {
            *c = (struct db_tree_cache){.txnid = id,
                                        .map = pf->map,
                                        .size = pf->size,
                                        .psize = pf->psize,
                                        .npages = pf->npages,
                                        .fpages = pf->fpages};
        }
        if (c && c->map == pf->map) {
            if (rc == 1)
                c->trees[ti] = *t, c->found |= bit;
            else
                c->absent |= bit;
        }
        pthread_mutex_unlock(&db->tc_lock);
    }
    if (rc == 0) {
        db_pages_close(pf);
        return MDB_NOTFOUND;
    }
    return 0;
}

/* Reads go straight to LMDB on a handle whose open checked every page, and inside the write
 * transaction running (its snapshot was checked before it wrote: write_check). */
static int plain_reads(lm_hashdb *db, MDB_txn *txn)
{
    return !db->checked_reads || txn == __atomic_load_n(&db->wtxn, __ATOMIC_ACQUIRE);
}

int db_get(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
    if (plain_reads(db, txn))
        return mdb_get(txn, dbi, k, v);
    db_pagefile pf;
    db_tree t;
    const char *name;
    int rc = checked_tree(db, txn, dbi, &pf, &t, 1, &name);
    if (rc)
        return rc;
    const uint8_t *d;
    size_t dl;
    rc = db_pages_get(&pf, &t, k->mv_data, k->mv_size, &d, &dl);
    if (rc < 0)
        return checked_damage(db, &pf, name);
    db_pages_close(&pf); /* the map stays: it is the handle's */
    if (rc == 0)
        return MDB_NOTFOUND;
    v->mv_data = (void *)d;
    v->mv_size = dl;
    return 0;
}

/* How records are read: a key's duplicates, the records from a key on, or all of them. */
enum { READ_DUPS, READ_RANGE, READ_ALL };

/* The records of one read through LMDB's cursor. */
static int plain_records(MDB_txn *txn, MDB_dbi dbi, int how, const void *key, size_t klen,
                         db_rec_fn fn, void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    MDB_val k = {klen, (void *)key}, v;
    MDB_cursor_op first = how == READ_DUPS    ? MDB_SET_KEY
                          : how == READ_RANGE ? MDB_SET_RANGE
                                              : MDB_FIRST;
    MDB_cursor_op next = how == READ_DUPS ? MDB_NEXT_DUP : MDB_NEXT;
    for (rc = mdb_cursor_get(c, &k, &v, first); rc == 0; rc = mdb_cursor_get(c, &k, &v, next))
        if (fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size))
            break;
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The same with the bounded lookups; a whole table with the walker (each page once). */
static int checked_records(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, int how, const void *key,
                           size_t klen, db_rec_fn fn, void *ctx)
{
    db_pagefile pf;
    db_tree t;
    const char *name;
    int rc = checked_tree(db, txn, dbi, &pf, &t, how != READ_ALL, &name);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    if (how == READ_DUPS)
        rc = db_pages_get_dups(&pf, &t, key, klen, fn, ctx);
    else if (how == READ_RANGE)
        rc = db_pages_range(&pf, &t, key, klen, fn, ctx);
    else {
        memset(pf.seen, 0, (size_t)(pf.npages + 7) / 8); /* finding the tree marked pages */
        rc = db_pages_walk(&pf, &t, fn, ctx, NULL);
    }
    if (rc < 0)
        return checked_damage(db, &pf, name);
    db_pages_close(&pf);
    return 0;
}

static int read_records(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, int how, const void *key,
                        size_t klen, db_rec_fn fn, void *ctx)
{
    return plain_reads(db, txn) ? plain_records(txn, dbi, how, key, klen, fn, ctx)
                                : checked_records(db, txn, dbi, how, key, klen, fn, ctx);
}

typedef struct dups_ctx {
    int (*fn)(void *ctx, const uint8_t *v, size_t vlen);
    void *ctx;
} dups_ctx;

static int dups_cb(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    (void)k;
    (void)kl;
    dups_ctx *c = vctx;
    return c->fn(c->ctx, v, vl);
}

int db_get_dups(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
                int (*fn)(void *ctx, const uint8_t *v, size_t vlen), void *ctx)
{
    dups_ctx c = {fn, ctx};
    return read_records(db, txn, dbi, READ_DUPS, key, klen, dups_cb, &c);
}

int db_range(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, const void *from, size_t fromlen,
             db_rec_fn fn, void *ctx)
{
    return read_records(db, txn, dbi, READ_RANGE, from, fromlen, fn, ctx);
}

int db_scan(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, db_rec_fn fn, void *ctx)
{
    return read_records(db, txn, dbi, READ_ALL, NULL, 0, fn, ctx);
}

int db_table_entries(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, uint64_t *n)
{
    *n = 0;
    if (plain_reads(db, txn)) {
        MDB_stat ms;
        int rc = mdb_stat(txn, dbi, &ms);
        if (rc == 0)
            *n = ms.ms_entries;
        return rc;
    }
    db_pagefile pf;
    db_tree t;
    const char *name;
    int rc = checked_tree(db, txn, dbi, &pf, &t, 1, &name);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    *n = t.entries;
    db_pages_close(&pf);
    return 0;
}

/* Open the table handles in txn; create: MDB_CREATE for every table, create_optional: for the
 * optional ones (a writer's transaction). */
static int open_tables(lm_hashdb *db, MDB_txn *txn, unsigned create, int create_optional)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        MDB_dbi *dbi = (MDB_dbi *)((char *)db + tables[i].off);
        unsigned optional = tables[i].flags & DB_TABLE_OPTIONAL;
        unsigned flags = tables[i].flags & ~(unsigned)DB_TABLE_OPTIONAL;
        if (optional && create_optional)
            flags |= MDB_CREATE;
        int rc = mdb_dbi_open(txn, tables[i].name, flags | create, dbi);
        if (optional) {
            db->features_open = rc == 0;
            if (rc == MDB_NOTFOUND)
                continue;
        }
        if (rc == MDB_NOTFOUND)
            return db_err(db, i == 0 ? LM_E_DB_SCHEMA : LM_E_DB,
                          i == 0 ? "not a libmatch hash list (no meta table)"
                                 : "table '%s' is missing",
                          tables[i].name);
        if (rc == MDB_INCOMPATIBLE)
            return db_err(db, LM_E_DB, "table '%s' has the wrong kind (damaged?)", tables[i].name);
        if (rc)
            return db_mdb_err(db, rc, tables[i].name);
    }
    return LM_OK;
}

/* Create the schema in an empty environment. Returns LM_E_EXISTS when already there. */
static int create_schema(lm_hashdb *db, MDB_txn *txn)
{
    int st = open_tables(db, txn, MDB_CREATE, 1);
    if (st)
        return st;
    uint64_t v;
    MDB_val k = {strlen("schema_version"), "schema_version"}, d;
    int rc = mdb_get(txn, db->meta, &k, &d);
    if (rc == 0)
        return LM_E_EXISTS;
    if (rc != MDB_NOTFOUND)
        return db_mdb_err(db, rc, "reading the schema version");
    (void)v;
    if ((st = db_meta_put_u64(db, txn, "schema_version", LM_DB_SCHEMA_VERSION, 4)) ||
        (st = db_meta_put_u64(db, txn, "generation", 1, 8)) ||
        (st = db_meta_put_u64(db, txn, "next_entry_id", 1, 8)) ||
        (st = db_meta_put_u64(db, txn, "next_list_id", 1, 4)) ||
        (st = db_meta_put_u64(db, txn, "created", (uint64_t)db_now(), 8)))
        return st;
    return LM_OK;
}

/* Open (or create) the tables in a transaction committed so that their handles are shared:
 * a write transaction when write, else a read-only one (nothing can be created). */
static int open_schema(lm_hashdb *db, unsigned flags, int must_create, int write)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    if (rc)
        return db_mdb_err(db, rc, "opening the tables");
    int st = (flags & LM_DB_CREATE) ? create_schema(db, txn) : open_tables(db, txn, 0, write);
    if (st == LM_E_EXISTS && !must_create)
        st = LM_OK;
    if (st == LM_OK)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (st == LM_OK && rc)
        st = db_mdb_err(db, rc, "committing the schema");
    if (st == LM_E_EXISTS)
        db_err(db, st, "a hash-list database already exists at %s", db->path);
    return st;
}

static int check_schema(lm_hashdb *db)
{
    MDB_txn *txn;
    int st = db_read_begin_checked(db, &txn);
    if (st)
        return st;
    uint64_t v = 0;
    st = db_meta_get_u64(db, txn, "schema_version", &v, 4);
    if (st == LM_OK && v != LM_DB_SCHEMA_VERSION)
        st = db_err(db, LM_E_DB_SCHEMA, "schema version %llu; this build reads version %d",
                    (unsigned long long)v, LM_DB_SCHEMA_VERSION);
    else if (st)
        st = LM_E_DB_SCHEMA;
    db_read_end(db, txn);
    return st;
}

static lm_status do_open(const char *path, unsigned flags, int must_create, int keep_failed,
                         lm_hashdb **out, char *errbuf, size_t errbuf_size)
{
    *out = NULL;
    lm_hashdb *db = calloc(1, sizeof *db);
    if (!db)
        return LM_E_NOMEM;
    pthread_rwlock_init(&db->resize_lock, NULL);
    pthread_mutex_init(&db->err_lock, NULL);
    pthread_mutex_init(&db->map_lock, NULL);
    pthread_mutex_init(&db->tc_lock, NULL);
    pthread_mutex_init(&db->snap_lock, NULL);
    db->writable = (flags & (LM_DB_WRITE | LM_DB_CREATE)) != 0;
    int st = LM_OK;
    size_t n = strlen(path) + sizeof "/data.mdb";
    char *file = malloc(n);
    db->path = strdup(path);
    if (!file || !db->path) {
        free(file);
        lm_hashdb_close(db);
        return LM_E_NOMEM;
    }
    snprintf(file, n, "%s/data.mdb", path);

    struct stat sb;
    int exists = stat(file, &sb) == 0 && sb.st_size > 0;
    char why[200];
    if (db_pages_lmdb_check(why, sizeof why) != 0) {
        st = db_err(db, LM_E_UNSUPPORTED, "%s", why);
    } else if (!exists && !(flags & LM_DB_CREATE)) {
        st =
            db_err_hint(db, LM_E_NOT_FOUND, LM_DB_HINT_CREATE, "no hash-list database at %s", path);
    } else if (!exists && mkdir_p(path) != 0) {
        st = db_err(db, LM_E_IO, "%s: %s", path, strerror(errno));
    } else if (exists) {
        st = db_precheck(db, file);
    }
    int rc;
    /*
     * A large map means the file never fills in practice, but address space
     * may be limited (ulimit -v, valgrind): then retry with smaller maps, down
     * to the file's own size (a full map is grown on demand anyway).
     */
    size_t file_size = exists ? (size_t)sb.st_size : 0;
    /*
     * A list owned by someone else (a shared, read-only copy) has a lock file we may not write,
     * and LMDB needs to write it even to read. Then read it without the lock (MDB_NOLOCK): safe
     * while nobody writes it, which is what a list we cannot write is for.
     */
    unsigned nolock = 0;
    if (!db->writable && exists) {
        char lockf[4096];
        snprintf(lockf, sizeof lockf, "%s/lock.mdb", path);
        if (access(lockf, F_OK) == 0 ? access(lockf, R_OK | W_OK) != 0
                                     : access(path, W_OK | X_OK) != 0)
            nolock = MDB_NOLOCK;
    }
    size_t sizes[] = {db->writable ? DB_INITIAL_MAP : 0, (size_t)1 << 30, file_size * 2,
                      file_size + ((size_t)64 << 20)};
    for (size_t i = 0; st == LM_OK && i < sizeof sizes / sizeof sizes[0]; i++) {
        if (i > 0 && (sizes[i] == 0 || sizes[i] < file_size))
            continue;
        if ((rc = mdb_env_create(&db->env)) != 0) {
            st = db_mdb_err(db, rc, "creating the LMDB environment");
            break;
        }
        mdb_env_set_maxdbs(db->env, DB_MAX_DBS);
        mdb_env_set_maxreaders(db->env, DB_MAX_READERS);
        if (sizes[i] && (rc = mdb_env_set_mapsize(db->env, sizes[i])) != 0) {
            st = db_mdb_err(db, rc, "setting the map size");
            break;
        }
        unsigned mflags = MDB_NOTLS | (db->writable ? 0 : MDB_RDONLY) | nolock;
        rc = mdb_env_open(db->env, path, mflags, 0600);
        if (rc == 0)
            break;
        mdb_env_close(db->env);
        db->env = NULL;
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
            st = db_err(db, LM_E_DB, "%s: not an LMDB database or damaged: %s", path,
                        mdb_strerror(rc));
        else if ((rc != ENOMEM && rc != EINVAL) || i + 1 == sizeof sizes / sizeof sizes[0])
            st = db_mdb_err(db, rc, path);
    }
    if (st == LM_OK && !db->env)
        st = db_err(db, LM_E_NOMEM, "%s: no address space for the database map", path);
    /*
     * LMDB trusts every page it reads: a damaged page can crash it. Without LM_DB_CHECK (and
     * not creating), an open checks the meta pages, the table directory and the meta table only
     * (a few pages at any list size): then every read checks the pages it visits (checked
     * reads, db_get and friends), a read of a whole list (stats, export, verify) checks every
     * page of its snapshot first (db_read_begin), and the first write every page before it
     * writes (write_check). With LM_DB_CHECK or LM_DB_CREATE every page is checked here (about
     * 0.04 s per million entries) and reads go straight to LMDB.
     */
    int checked = !(flags & (LM_DB_CHECK | LM_DB_CREATE));
    if (st == LM_OK && exists)
        st = db->open_tail ? check_tail(db, file) : check_pages(db, NULL, !checked);
    db->checked_reads = checked;
    db->write_checked = !checked;
    if (st == LM_OK)
        st = open_schema(db, flags, must_create, db->writable && !checked);
    /* A list made before the features table gets it from its first writer: a write, so after
     * the full check a write needs. */
    if (st == LM_OK && checked && db->writable && !db->features_open &&
        (st = check_pages(db, NULL, 1)) == LM_OK) {
        db->write_checked = 1;
        st = open_schema(db, flags, must_create, 1);
    }
    if (st == LM_OK)
        st = check_schema(db);
    free(file);
    if (st) {
        if (errbuf && errbuf_size)
            snprintf(errbuf, errbuf_size, "%s", db->err.msg);
        if (keep_failed && st != LM_E_NOMEM) {
            /* Only the error is kept: lm_db_last_error reads it, lm_db_close frees it. */
            db_pages_unmap(db);
            if (db->env)
                mdb_env_close(db->env);
            db->env = NULL;
            db->failed = 1;
            *out = db;
            return st;
        }
        lm_hashdb_close(db);
        return st;
    }
    *out = db;
    return LM_OK;
}

lm_status lm_hashdb_open(const char *path, unsigned flags, lm_hashdb **out, char *errbuf,
                         size_t errbuf_size)
{
    if (!path || !*path || !out)
        return LM_E_INVALID_ARG;
    return do_open(path, flags, 0, 0, out, errbuf, errbuf_size);
}

lm_status lm_hashdb_init(const char *path, char *errbuf, size_t errbuf_size)
{
    if (!path || !*path)
        return LM_E_INVALID_ARG;
    lm_hashdb *db;
    lm_status st = do_open(path, LM_DB_CREATE, 1, 0, &db, errbuf, errbuf_size);
    lm_hashdb_close(db);
    return st;
}

lm_status lm_hashdb_open_keep(const char *path, unsigned flags, int exclusive, lm_hashdb **out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if (!path || !*path || (flags & ~(unsigned)(LM_DB_WRITE | LM_DB_CREATE | LM_DB_CHECK)))
        return LM_E_INVALID_ARG;
    return do_open(path, flags, exclusive && (flags & LM_DB_CREATE), 1, out, NULL, 0);
}

void lm_hashdb_close(lm_hashdb *db)
{
    if (!db)
        return;
    db_pages_unmap(db);
    if (db->env)
        mdb_env_close(db->env);
    pthread_rwlock_destroy(&db->resize_lock);
    pthread_mutex_destroy(&db->err_lock);
    pthread_mutex_destroy(&db->map_lock);
    pthread_mutex_destroy(&db->tc_lock);
    pthread_mutex_destroy(&db->snap_lock);
    db_snaps_free(db);
    free(db->tcache);
    free(db->path);
    free(db);
}

static int generation_txn(lm_hashdb *db, MDB_txn *txn, void *out)
{
    return db_meta_get_u64(db, txn, "generation", out, 8);
}

lm_status lm_hashdb_generation(lm_hashdb *db, uint64_t *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    return db_read(db, generation_txn, out);
}
