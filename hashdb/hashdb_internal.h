/*
 * hashdb internals: the handle, the on-disk records and transaction helpers.
 *
 * On-disk schema (version 2). Integers in keys are big-endian so that LMDB's
 * byte order is numeric order; integers in values are little-endian.
 *
 *   meta     "schema_version" -> u32      "generation"  -> u64
 *            "next_entry_id"  -> u64      "next_list_id" -> u32
 *            "created"        -> i64 (Unix time)
 *   entries  u64 id -> { u8 rec_version=1, u8 type, u8 hash_len, i8 quality,
 *                        u32 list_id, i64 added, u16 label_len, u16 ref_len,
 *                        hash[hash_len], label[label_len], reference[ref_len] }
 *   pdq      u64 id -> { hash[32], i8 quality }    (PDQ entries only)
 *   hashes   u8 type + hash[len] -> u64 id, ...   (MDB_DUPSORT | MDB_DUPFIXED)
 *   lists    u32 id -> { u8 rec_version=1, u8 0, u16 name_len, u16 source_len,
 *                        u16 version_len, i64 created, i64 imported,
 *                        u64 entry_count, name, source, version }
 *   vframes  u64 id -> { u8 rec_version=1, u8 0, u16 0, u32 count,         (version 2;
 *                        count x { hash[32], u8 quality, u32 frame, u32 ts_ms } }  VPDQ entries)
 *            A video entry's hash is the SHA-256 of this value, 1..LM_DB_MAX_VIDEO_FRAMES frames.
 *   list_attrs  u32 list id -> { u8 rec_version=1, u8 flags (bit 0: disabled),
 *                        u8 kind (0 normal, 1 negative), u8 0, i16 distance (-1: the
 *                        caller's) }          (absent: enabled, normal, caller's distance)
 *   disabled u64 entry id -> i64 time disabled   (present: the entry never matches)
 *   hits     u64 entry id + u32 day -> day 0: { u64 total, i64 first, i64 last };
 *                        day d > 0 (days since 1970-01-01 UTC): u64 hits that day
 *   companions  u64 entry id + u8 region -> { hash[32], i8 quality }
 *            (version 2: crop companions of PDQ entries; removed with the entry)
 *   features  u64 entry id -> { u8 rec_version=1, u8 0, u16 count, u16 width, u16 height,
 *                                count x { u16 x, u16 y, u8 angle, u8 level, desc[32] } }
 *            (optional table: local features of PDQ entries added from images, db_features.c)
 * Entry and list ids start at 1 and are never reused.
 */
#ifndef LM_HASHDB_INTERNAL_H
#define LM_HASHDB_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "errbuf.h"
#include "hashdb.h"

#define DB_ENTRY_HDR 20
#define DB_ENTRY_MAX (DB_ENTRY_HDR + LM_DB_MAX_HASH_BYTES + LM_DB_MAX_LABEL + LM_DB_MAX_REFERENCE)
#define DB_PDQ_REC 33
#define DB_LIST_HDR 32
#define DB_LIST_MAX (DB_LIST_HDR + LM_DB_MAX_LIST_NAME + LM_DB_MAX_SOURCE + LM_DB_MAX_VERSION)
#define DB_MAX_LISTS 65536
/* The bytes of an LMDB 0.9 meta page after its page header that the page walker reads: the
 * free and main trees, the last page number, the transaction id (db_pages.c). */
#define DB_META_BYTES 136

/* A map of data.mdb replaced by a larger one, kept until the handle closes (db_pages.c). */
typedef struct db_old_map {
    const uint8_t *map;
    size_t len;
    struct db_old_map *next;
} db_old_map;

struct lm_db {
    MDB_env *env;
    MDB_dbi meta, entries, pdq, hashes, lists, vframes;
    MDB_dbi list_attrs, disabled, hits; /* db_list_attrs.c, db_disabled.c, db_hits.c */
    MDB_dbi companions;
    MDB_dbi features;  /* db_features.c; valid when features_open */
    int features_open; /* 0: a list made before the table, opened read-only */
    int writable;
    int map_full; /* set when the current write transaction hit MDB_MAP_FULL */
    char *path;
    /* Readers and writers hold it shared; growing the map holds it exclusively
     * (LMDB requires that no transaction of this process is active then). */
    pthread_rwlock_t resize_lock;
    pthread_mutex_t err_lock;
    /* Our own read-only map of data.mdb for the page walker (db_pages.c). */
    pthread_mutex_t map_lock;
    const uint8_t *pmap;
    size_t pmap_len;
    size_t pmap_size; /* data.mdb's size when last seen (under map_lock) */
    db_old_map *old_maps;
    int pmap_fd;
    /*
     * Checked reads (an open without LM_DB_CHECK, read-only or writable, db_env.c): only the
     * meta pages, the table directory and the meta table are checked at open; reads go through
     * the bounded lookups and walks (db_get and friends, the bulk loads), and a read transaction
     * that reads through LMDB (db_read_begin: stats, export, verify) first checks every page of
     * its snapshot (full_txnid: the snapshot last checked in full).
     */
    int checked_reads;
    uint64_t full_txnid;
    /*
     * Writes on such a handle (db_env.c, write_txn): the first write transaction checks every
     * page of the snapshot it starts from before it writes anything (write_checked: done, or
     * the open checked every page). A snapshot found damaged is remembered (bad_txnid, bad_msg)
     * so that later writes are refused without a second walk. wtxn is the write transaction
     * running: reads inside it go to LMDB, which sees its own uncommitted changes.
     */
    int write_checked;
    /* 1 + the first meta page naming pages past data.mdb's end at open (db_precheck), else 0:
     * the open checks every page (check_tail). */
    int open_tail;
    uint64_t bad_txnid;
    char bad_msg[256];
    MDB_txn *wtxn;
    pthread_mutex_t tc_lock;
    struct db_tree_cache *tcache; /* db_env.c, under tc_lock */
    /* The meta of each snapshot a read transaction holds (db_snapshots.c, under snap_lock). */
    pthread_mutex_t snap_lock;
    struct db_snap *snaps;
    size_t nsnaps;
    lm_errbuf err;
    int hint;   /* lm_db_hint of the last error (under err_lock) */
    int failed; /* a handle whose open failed: it only holds the error (lm_db_open) */
};

/* A decoded entry; text points into the LMDB page (valid while the txn lives). */
typedef struct db_entry {
    uint64_t id;
    lm_hash_type type;
    size_t hash_len;
    int quality;
    uint32_t list_id;
    int64_t added;
    const uint8_t *hash;
    const char *label;
    size_t label_len;
    const char *ref;
    size_t ref_len;
} db_entry;

typedef struct db_list {
    uint32_t id;
    int64_t created, imported;
    uint64_t entry_count;
    const char *name, *source, *version;
    size_t name_len, source_len, version_len;
} db_list;

/* ---- byte order ---- */
static inline void db_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t db_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}
static inline void db_put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint32_t db_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void db_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t db_get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---- errors (db_env.c) ---- */
int db_err(lm_hashdb *db, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* As db_err, with what would help (lm_db_hint) for lm_db_last_hint; db_err sets none. */
int db_err_hint(lm_hashdb *db, int status, int hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* LM_E_DB for a damaged record or table (hint: verify the list). */
#define db_damaged(db, ...) db_err_hint((db), LM_E_DB, LM_DB_HINT_VERIFY, __VA_ARGS__)
/* Map an LMDB return code to a status with a message naming what failed. */
int db_mdb_err(lm_hashdb *db, int rc, const char *what);

/* ---- transactions (db_env.c) ---- */
/* A transaction's work: an lm_status (a write's non-OK status aborts it). */
typedef int (*db_txn_fn)(lm_hashdb *db, MDB_txn *txn, void *ctx);
/* fn in one checked read transaction (db_read_begin_checked); its status. */
int db_read(lm_hashdb *db, db_txn_fn fn, void *ctx);
int db_read_begin(lm_hashdb *db, MDB_txn **txn);
/* A read transaction that reads only through the checked calls below or the page walker. */
int db_read_begin_checked(lm_hashdb *db, MDB_txn **txn);
/* LMDB's error for a damaged page met by a checked read; db->err holds the message. */
#define DB_RC_DAMAGED (-30700)
/* A checked read could not allocate its page bitmaps (db->err says so): LM_E_NOMEM, not damage. */
#define DB_RC_NOMEM (-30701)
/*
 * Reads that are bounds-checked on a handle with checked_reads (db_pages.c lookups: every page
 * visited is checked first), plain LMDB otherwise and inside a write transaction (whose
 * snapshot was checked before it wrote). db_get: as mdb_get. db_get_dups: fn per duplicate of
 * key until it returns nonzero; 0 also when absent. db_range: fn per record from the first key
 * >= from on, in key order, until it returns nonzero. db_scan: every record of a table.
 * db_table_entries: the table's record count. They return 0, MDB_NOTFOUND (db_get),
 * DB_RC_DAMAGED, DB_RC_NOMEM or an LMDB error, for db_mdb_err.
 */
int db_get(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v);
int db_get_dups(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
                int (*fn)(void *ctx, const uint8_t *v, size_t vlen), void *ctx);
/* A record; for duplicate tables once per (key, value). Nonzero stops the reading. */
typedef int (*db_rec_fn)(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen);
int db_range(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, const void *from, size_t fromlen,
             db_rec_fn fn, void *ctx);
int db_scan(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, db_rec_fn fn, void *ctx);
int db_table_entries(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, uint64_t *n);
void db_read_end(lm_hashdb *db, MDB_txn *txn);

/*
 * Run fn inside one write transaction, bump the generation and commit durably.
 * When the map fills, the transaction is aborted, the map grown and fn run
 * again from the start: fn must depend only on its inputs and the txn.
 * fn returns an lm_status; a non-OK status aborts (nothing is written).
 */
typedef db_txn_fn db_write_fn;
int db_write(lm_hashdb *db, db_write_fn fn, void *ctx);
/* As db_write without bumping the generation: for writes that do not change what
 * matches (hit counters), so that a matcher's refresh does not rebuild for them. */
int db_write_keep_generation(lm_hashdb *db, db_write_fn fn, void *ctx);

/* 1 when name (len bytes) is one of a hash list's LMDB tables. */
int db_is_table_name(const void *name, size_t len);
/* Check every page of the file in txn's snapshot (NULL: a new read txn). LM_E_DB when damaged. */
int db_check_pages(lm_hashdb *db, MDB_txn *txn);

/* Meta helpers. */
int db_meta_get_u64(lm_hashdb *db, MDB_txn *txn, const char *key, uint64_t *v, int bytes);
int db_meta_put_u64(lm_hashdb *db, MDB_txn *txn, const char *key, uint64_t v, int bytes);

/* ---- records (db_entries.c / db_lists.c) ---- */
/* Decode an entries value; 0 on success, -1 (with a reason) when malformed. */
int db_entry_decode(uint64_t id, const MDB_val *v, db_entry *e, const char **why);
size_t db_entry_encode(uint8_t *buf, const db_entry *e);
int db_entry_get(lm_hashdb *db, MDB_txn *txn, uint64_t id, db_entry *e);
/* Insert a new entry with a fresh id (caller checked duplicates); with_index 0: the
 * caller writes the hash index record itself. */
int db_entry_insert(lm_hashdb *db, MDB_txn *txn, db_entry *e, uint64_t *next_id, int with_index);
/* A PDQ entry's record in the pdq table (the hash, then its quality), written into pr. */
MDB_val db_pdq_record(uint8_t pr[DB_PDQ_REC], const db_entry *e);
/*
 * Bulk inserts (an import): cursors on the entries and pdq tables that stay at their tables'
 * ends, so that each append (MDB_APPEND on the cursor) skips the descent from the root that
 * mdb_put makes, with a dirty-list search per level. Only appends may go through them, and
 * no other write of those tables may come between two appends (LMDB would move the cursor
 * from the end).
 */
typedef struct db_appender {
    MDB_cursor *entries, *pdq;
} db_appender;
int db_appender_open(lm_hashdb *db, MDB_txn *txn, db_appender *a);
void db_appender_close(db_appender *a);
/* As db_entry_insert with with_index 0, through the appender. */
int db_entry_append(lm_hashdb *db, db_appender *a, db_entry *e, uint64_t *next_id);
int db_entry_delete(lm_hashdb *db, MDB_txn *txn, const db_entry *e);
/* Write / remove (absent: fine) the record of entry id in a table keyed by entry id; what names
 * it in an error ("writing video frames"). */
int db_put_by_id(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, uint64_t id, const void *val, size_t len,
                 const char *what);
int db_del_by_id(lm_hashdb *db, MDB_txn *txn, MDB_dbi dbi, uint64_t id, const char *what);
/* The id of an entry in list_id holding this hash, or 0. Returns status. */
int db_find_in_list(lm_hashdb *db, MDB_txn *txn, lm_hash_type type, const uint8_t *hash, size_t len,
                    uint32_t list_id, uint64_t *id);
void db_hash_key(uint8_t *key, lm_hash_type type, const uint8_t *hash, size_t len);

int db_list_decode(uint32_t id, const MDB_val *v, db_list *l, const char **why);
int db_list_get(lm_hashdb *db, MDB_txn *txn, uint32_t id, db_list *l);
/* Find a list by name: LM_OK with *id, or LM_E_NOT_FOUND. */
int db_list_find(lm_hashdb *db, MDB_txn *txn, const char *name, uint32_t *id);
/* The same, LM_E_NOT_FOUND with the message "no list named 'NAME'". */
int db_list_find_named(lm_hashdb *db, MDB_txn *txn, const char *name, uint32_t *id);
/* Find or create a list; updates source/version (when non-NULL) and the import time. */
int db_list_touch(lm_hashdb *db, MDB_txn *txn, const char *name, const char *source,
                  const char *version, int imported, uint32_t *id);
/* fn in one write transaction (db_write) on the list named name (its id), or LM_E_NOT_FOUND
 * "no list named 'NAME'". */
int db_write_list(lm_hashdb *db, const char *name,
                  int (*fn)(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, void *ctx), void *ctx);
/* Add delta to the list's entry count. */
int db_list_count_add(lm_hashdb *db, MDB_txn *txn, uint32_t id, int64_t delta);
/* Delete every entry of list_id (with its index records, companions, features, frames) and
 * lower the list's count; *removed entries. import --replace and lm_db_delete_list. */
int db_list_remove_entries(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, uint64_t *removed);
void db_list_to_info(const db_list *l, lm_db_list_info *out);

/* ---- list attributes, disabled entries, hit counters ---- */
#define DB_LIST_ATTRS_REC 6
#define DB_HIT_TOTAL_REC 24
int db_list_attrs_decode(const MDB_val *v, lm_db_list_attrs *a, const char **why);
/* Attributes of list_id in txn (defaults when there is no record). */
int db_list_attrs_get(lm_hashdb *db, MDB_txn *txn, uint32_t list_id, lm_db_list_attrs *a);
/* Remove an entry's rows in the disabled and hits tables (entry removal). */
int db_entry_extras_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id);

int64_t db_now(void);

/* ---- video frames (db_video.c) ---- */
#define DB_VFRAME_HDR 8
#define DB_VFRAME_REC 41
/* Store the frame record of video entry id (value as lm_db_video_encode makes it). */
int db_video_put(lm_hashdb *db, MDB_txn *txn, uint64_t id, const uint8_t *val, size_t len);
/* Remove it (an entry being removed); a missing record is not an error. */
int db_video_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id);
/* Check a frame record: 0, or -1 with why. *count gets its frame count. */
int db_video_check(const uint8_t *val, size_t len, size_t *count, const char **why);
/* Encode frames into buf (DB_VFRAME_HDR + count * DB_VFRAME_REC bytes). */
void db_video_encode(const lm_db_frame *frames, size_t count, uint8_t *buf);
/* verify.c: a video entry's frame record exists, decodes and has its digest; a frame
 * record belongs to a video entry. 0, or -1 with why. */
int db_video_verify_entry(lm_hashdb *db, MDB_txn *txn, const db_entry *e, const char **why);
int db_video_verify_record(lm_hashdb *db, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                           const char **why);

/* ---- companions (db_companions.c) ---- */
#define DB_COMPANION_KEY 9
#define DB_COMPANION_REC 33
/* Write an entry's companions (replacing any with the same region). */
int db_companions_put(lm_hashdb *db, MDB_txn *txn, uint64_t id, const lm_db_companion *c, size_t n);
/* Remove every companion of an entry. */
int db_companions_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id);

/* Spreadsheet formula guard of CSV/TSV exports (db_text.c): 1 when text s[0..len) must be
 * written with a leading apostrophe; imports drop that apostrophe again. */
int db_text_needs_guard(const char *s, size_t len);
void db_text_unguard(const char **s, size_t *len);

/* ---- local features (db_features.c) ---- */
#define DB_FEATURE_HDR 8
#define DB_FEATURE_REC 38
/* Write an entry's feature record (len 0: none). */
int db_features_put(lm_hashdb *db, MDB_txn *txn, uint64_t id, const uint8_t *rec, size_t len);
/* Remove an entry's feature record, if any. */
int db_features_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id);

/* lm_hashdb_import_path / _file with the hook of lm_db_import_hooked (hook may be NULL). */
lm_status db_import_path_hooked(lm_hashdb *db, const char *path, const lm_db_import_opts *opts,
                                lm_db_import_result *result, lm_db_import_hook hook, void *ctx);
lm_status db_import_file_hooked(lm_hashdb *db, FILE *in, const lm_db_import_opts *opts,
                                lm_db_import_result *result, lm_db_import_hook hook, void *ctx);

#endif
