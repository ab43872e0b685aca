/*
 * hashdb: the hash-list store (internal API, not installed).
 *
 * An LMDB environment (a directory holding data.mdb and lock.mdb) with:
 *   meta     schema version, generation counter, id counters
 *   entries  entry id -> type, hash, quality, list id, time added, label, reference
 *   pdq      entry id -> PDQ hash + quality (compact copy: one cursor pass loads them all)
 *   hashes   type + hash bytes -> entry ids (sorted duplicates): exact lookup, duplicates
 *   lists    list id -> name, source, version, times, entry count
 *   list_attrs  list id -> match distance, enabled, kind (normal / negative)
 *   disabled entry id -> time disabled (disabled entries never match)
 *   hits     entry id + day -> hit counters flushed by matchers
 *   companions  entry id + region code -> PDQ hash + quality: crop companions of a
 *            PDQ entry added from an image (db_companions.c)
 * The on-disk layout is described in hashdb_internal.h.
 *
 * Threads: a handle may be shared by any number of threads. Reads run in their
 * own LMDB read transaction (MDB_NOTLS) and see a consistent snapshot; writes
 * are serialised by LMDB (also across processes). The detail message returned
 * by lm_hashdb_last_error is per handle: with concurrent failing calls it
 * describes one of them.
 *
 * As with LMDB itself, open a database at most once per process and share
 * that handle (a second handle on the same path in one process would break
 * LMDB's locking). Other processes may open it at the same time.
 *
 * Durability: every write is one transaction, committed with a full sync. A
 * crash or kill at any point leaves the database as of the last commit.
 * Every committed write bumps the generation counter.
 *
 * All functions return LM_OK or an lm_status; details via lm_hashdb_last_error.
 */
#ifndef LM_HASHDB_H
#define LM_HASHDB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libmatch.h"

#define LM_DB_SCHEMA_VERSION 2

/* Text field limits (LM_DB_MAX_LIST_NAME ...) and LM_DB_MAX_HASH_BYTES are in libmatch.h. */
#define LM_DB_MAX_LINE 8192 /* longest accepted import line */
#define LM_DB_MAX_VIDEO_FRAMES                                                                     \
    200000 /* frames of one stored video (as LM_OPT_VIDEO_MAX_FRAMES)                              \
            */

/* The public list handle (lm_db in libmatch.h) is this store's handle. */
typedef struct lm_db lm_hashdb;

/* ---- open, create ------------------------------------------------------- */

/*
 * Open flags: LM_DB_READONLY, LM_DB_WRITE, LM_DB_CREATE, LM_DB_CHECK (libmatch.h).
 * Without LM_DB_CHECK (and LM_DB_CREATE) an open checks only the meta pages, the table
 * directory and the meta table, not every page (checked reads): each read then checks the pages
 * it visits and fails with LM_E_DB on a damaged one; a read of a whole list (stats, export,
 * verify) first checks every page of its snapshot; the first write checks every page before it
 * writes anything, and refuses (LM_E_DB) to write a damaged file. With LM_DB_CHECK every page
 * is checked at open and reads go straight to LMDB.
 */

/*
 * Open the database directory at path. Without LM_DB_CREATE a missing or empty
 * database is LM_E_NOT_FOUND. A database with another schema version is
 * LM_E_DB_SCHEMA; a damaged file is LM_E_DB. On failure *out is NULL and errbuf
 * (when non-NULL) receives a detail message.
 */
lm_status lm_hashdb_open(const char *path, unsigned flags, lm_hashdb **out, char *errbuf,
                         size_t errbuf_size);
void lm_hashdb_close(lm_hashdb *db);

/* Create a new, empty database; LM_E_EXISTS if one is already there. */
lm_status lm_hashdb_init(const char *path, char *errbuf, size_t errbuf_size);

/* Detail of the last failure on this handle; "" if none. */
const char *lm_hashdb_last_error(lm_hashdb *db);
/* What would help after it (lm_db_hint; LM_DB_HINT_NONE when nothing). */
int lm_hashdb_last_hint(lm_hashdb *db);
/* Record a failure found outside the store (e.g. decoding an image to add) on db, so that
 * lm_db_last_error reports it. Returns status. */
lm_status lm_hashdb_set_error(lm_hashdb *db, lm_status status, int hint, const char *msg);
/* 1 when db was opened for writing. */
int lm_hashdb_writable(const lm_hashdb *db);
/* lm_db_open: as lm_hashdb_open, but on failure (other than LM_E_INVALID_ARG, LM_E_NOMEM)
 * *out is a failed handle holding only the error, to be closed. exclusive with
 * LM_DB_CREATE: LM_E_EXISTS when a database is already there. */
lm_status lm_hashdb_open_keep(const char *path, unsigned flags, int exclusive, lm_hashdb **out);
/* 1 for a failed handle of lm_hashdb_open_keep (or NULL): only its error may be read. */
int lm_hashdb_failed(const lm_hashdb *db);

/* The generation counter: changes on every committed write. */
lm_status lm_hashdb_generation(lm_hashdb *db, uint64_t *out);

/* ---- hash types ---------------------------------------------------------- */

/* Bytes of a hash of this type (32, 16, 20, 32; 32 for LM_HASH_VPDQ, whose
 * "hash" is the SHA-256 of its stored frame list), 0 for an unknown type. */
size_t lm_db_hash_len(lm_hash_type type);
/* "pdq", "md5", "sha1", "sha256" (case-insensitive) -> type; LM_E_PARSE otherwise. */
lm_status lm_db_hash_type_parse(const char *name, lm_hash_type *out);
/*
 * Parse len hex digits (either case) into out[LM_DB_MAX_HASH_BYTES]. The type
 * is `forced` when non-zero, else found from the length (64: PDQ, 32: MD5,
 * 40: SHA-1). Returns LM_OK, or LM_E_PARSE with a reason in why (may be NULL).
 */
lm_status lm_db_hash_parse(const char *hex, size_t len, lm_hash_type forced, lm_hash_type *type,
                           uint8_t *out, size_t *out_len, char *why, size_t whycap);
/* 1 when text is printable UTF-8 of at most max bytes (no control characters). */
int lm_db_text_ok(const char *text, size_t len, size_t max);

/* ---- entries ------------------------------------------------------------- */

typedef struct lm_db_new_entry {
    lm_hash_type type;
    const uint8_t *hash; /* lm_db_hash_len(type) bytes */
    int quality;         /* 0..100, or -1 for unknown */
    const char *label;   /* NULL or printable text */
    const char *reference;
    const char *list; /* list name; NULL means "manual"; created when absent */
    /* PDQ entries only: companion hashes stored with the entry (NULL/0: none). */
    const struct lm_db_companion *companions;
    size_t ncompanions;
    /* PDQ entries only: the local-features record (lm_db_features_check; NULL/0: none). */
    const uint8_t *features;
    size_t features_len;
} lm_db_new_entry;

/* Add one entry. LM_E_EXISTS when the list already holds this hash (*id_out then names it). */
lm_status lm_hashdb_add(lm_hashdb *db, const lm_db_new_entry *e, uint64_t *id_out);

/* Remove one entry by id; LM_E_NOT_FOUND when there is none. */
lm_status lm_hashdb_remove(lm_hashdb *db, uint64_t id);

/* Remove every entry with this hash (only in list, when list is non-NULL); *removed counts them. */
lm_status lm_hashdb_remove_hash(lm_hashdb *db, lm_hash_type type, const uint8_t *hash, size_t len,
                                const char *list, size_t *removed);

/* Describe an entry (lm_entry_info from libmatch.h). LM_E_NOT_FOUND when absent. */
lm_status lm_hashdb_get_entry(lm_hashdb *db, uint64_t id, lm_entry_info *out);
/* A page of a list's entries (NULL: all) in id order above after; lm_db_list_entries. */
lm_status lm_hashdb_list_entries(lm_hashdb *db, const char *list, uint64_t after,
                                 lm_entry_info *out, size_t cap, size_t *n, uint64_t *next);

/*
 * Exact lookup: ids of the entries holding this hash, ascending. Writes up to
 * cap ids and the total in *found (LM_OK with *found == 0 when absent).
 */
lm_status lm_hashdb_lookup(lm_hashdb *db, lm_hash_type type, const uint8_t *hash, size_t len,
                           uint64_t *ids, size_t cap, size_t *found);

/* ---- video entries (LM_HASH_VPDQ) ----------------------------------------- */

/* One stored frame of a video entry. */
typedef struct lm_db_frame {
    lm_pdq_hash hash;
    int quality;    /* 0..100 */
    uint32_t frame; /* frame number */
    uint32_t ts_ms; /* timestamp, milliseconds */
} lm_db_frame;

typedef struct lm_db_new_video {
    const lm_db_frame *frames; /* 1..LM_DB_MAX_VIDEO_FRAMES frames */
    size_t count;
    const char *label, *reference, *list; /* as lm_db_new_entry */
} lm_db_new_video;

/* SHA-256 of the canonical frame list: the video entry's hash (duplicates share it). */
lm_status lm_db_video_digest(const lm_db_frame *frames, size_t count, uint8_t out[32]);

/* Add a video entry with its frames. LM_E_EXISTS when the list holds the same frame list. */
lm_status lm_hashdb_add_video(lm_hashdb *db, const lm_db_new_video *v, uint64_t *id_out);

/* The frames of video entry id (malloc'ed; free()). LM_E_NOT_FOUND, LM_E_INVALID_ARG
 * when the entry is not a video, LM_E_DB when its frames are damaged. */
lm_status lm_hashdb_get_video(lm_hashdb *db, uint64_t id, lm_db_frame **frames, size_t *count);

/* Every stored video frame of quality >= min_quality, unique per video (for the
 * matcher's video index). Frees with lm_db_video_set_free. */
typedef struct lm_db_video_set {
    size_t count; /* frames */
    lm_pdq_hash *hashes;
    uint32_t *video; /* index into ids[] of the video each frame belongs to */
    size_t videos;
    uint64_t *ids;    /* entry id of each video */
    uint32_t *unique; /* unique quality-filtered frames of each video */
} lm_db_video_set;
lm_status lm_hashdb_load_videos(lm_hashdb *db, int min_quality, lm_db_video_set *out);
void lm_db_video_set_free(lm_db_video_set *s);

/* ---- bulk PDQ load (for the matcher's in-memory index) -------------------- */

typedef struct lm_db_pdq_set {
    size_t count;
    lm_pdq_hash *hashes; /* count hashes, in entry-id order */
    uint64_t *ids;       /* the entry id of hashes[i] */
    int8_t *quality;     /* quality of hashes[i], -1 when unknown */
    uint64_t generation; /* the generation these were read at */
} lm_db_pdq_set;

/*
 * Every PDQ hash in one consistent snapshot, read straight from the pages of
 * the compact table with every page bounds-checked (a damaged table is
 * LM_E_DB, never a crash). Free with lm_db_pdq_set_free.
 */
lm_status lm_hashdb_load_pdq(lm_hashdb *db, lm_db_pdq_set *out);
void lm_db_pdq_set_free(lm_db_pdq_set *set);
/* Gives back the resident pages of the list's read-only map (the bulk loads and checks read
 * through it; they stay in the page cache and are faulted in again when read): a load of 100M
 * PDQ entries leaves ~5 GB of them mapped. Thread-safe. */
void lm_hashdb_release_pages(lm_hashdb *db);
/* Room for cap hashes in each of set's arrays (count unchanged); LM_E_NOMEM leaves it valid. */
lm_status lm_db_pdq_set_reserve(lm_db_pdq_set *set, size_t cap);

/* ---- companions (crop-resilient extra hashes of an entry) ------------------ */

/* One companion: the PDQ hash of a region (lm_region, 1..255) of the entry's image. */
typedef struct lm_db_companion {
    uint8_t region;
    lm_pdq_hash hash;
    int quality; /* 0..100, or -1 for unknown */
} lm_db_companion;

/*
 * Append every companion of the list to set (loaded by lm_hashdb_load_pdq), mapped to its entry
 * with quality -1, so that one index holds both (bounds-checked page walk, like
 * lm_hashdb_load_pdq). *regions receives set->count region codes after the call (0 for the
 * entries' own hashes; free it), or NULL when the list has no companions. On failure set holds
 * its own hashes as before and *regions is NULL.
 */
lm_status lm_hashdb_append_companions(lm_hashdb *db, lm_db_pdq_set *set, uint8_t **regions);

/* The companions of one entry, by region: up to cap, the total in *count. */
lm_status lm_hashdb_entry_companions(lm_hashdb *db, uint64_t id, lm_db_companion *out, size_t cap,
                                     size_t *count);

/* ---- local features (second signature of image-built entries) ------------- */

#define LM_DB_MAX_FEATURES 256 /* keypoints per record */

/*
 * A features record (layout in hashdb_internal.h, written by lm_features_encode
 * in libmatch/hash): 0 when well-formed, else -1 with why.
 */
int lm_db_features_check(const uint8_t *rec, size_t len, const char **why);

/* Every feature record in one snapshot, by entry id: record i is bytes[offset[i]..offset[i+1]). */
typedef struct lm_db_feature_set {
    size_t count;
    uint64_t *ids;
    size_t *offset; /* count + 1 */
    uint8_t *bytes;
} lm_db_feature_set;

/* Load every feature record (bounds-checked page walk; each record checked). */
lm_status lm_hashdb_load_features(lm_hashdb *db, lm_db_feature_set *out);
void lm_db_feature_set_free(lm_db_feature_set *set);
/* How many entries have a features record (one page read); *count is 0 without the table. */
lm_status lm_hashdb_feature_count(lm_hashdb *db, size_t *count);

/* One entry's record into out (when it fits in cap); *len: its size, 0 when it has none. */
lm_status lm_hashdb_entry_features(lm_hashdb *db, uint64_t id, uint8_t *out, size_t cap,
                                   size_t *len);

/* ---- lists --------------------------------------------------------------- */

/* lm_db_list_info is in libmatch.h. */

/* Up to cap lists, by id, and the total in *count. */
lm_status lm_hashdb_lists(lm_hashdb *db, lm_db_list_info *out, size_t cap, size_t *count);
/* Delete a list with its entries and attributes, one transaction; lm_db_delete_list. */
lm_status lm_hashdb_delete_list(lm_hashdb *db, const char *name, uint64_t *removed);

/* ---- import --------------------------------------------------------------- */

/* lm_db_format, lm_db_line_kind, lm_db_line_fn, lm_db_import_opts and
 * lm_db_import_result are in libmatch.h. */

/*
 * Import a list in one transaction: all of it or nothing. Incremental sync:
 * records carry additions and deletions (NCMEC deleted entries, StopNCII
 * withdrawn/deleted, TAT deleted); a record for a hash the list already holds
 * with a different label, reference or quality updates that entry in place.
 * Per hash the records apply in file order. `replace` first empties the list.
 * Bad lines are
 * reported through on_line; without skip_bad any bad line gives LM_E_IMPORT and
 * nothing is written. Also LM_E_IO, LM_E_NOMEM, LM_E_DB, LM_E_INVALID_ARG.
 * result may be NULL.
 */
lm_status lm_hashdb_import_file(lm_hashdb *db, FILE *in, const lm_db_import_opts *opts,
                                lm_db_import_result *result);
lm_status lm_hashdb_import_path(lm_hashdb *db, const char *path, const lm_db_import_opts *opts,
                                lm_db_import_result *result);
lm_status lm_hashdb_import_memory(lm_hashdb *db, const void *data, size_t len,
                                  const lm_db_import_opts *opts, lm_db_import_result *result);

/*
 * What an import inserts, for a caller that builds the search index beside its write
 * transaction (libmatch/index_store.c) instead of reading the hashes back after the commit.
 * Called at most once per import, inside the write transaction once every record's action is
 * decided, and only when the pdq and companions tables held nothing at its start, so that
 * after the commit the list's PDQ set is exactly these: the n inserted PDQ hashes in entry-id
 * order, their ids, and the next entry id the commit leaves. The callee owns both arrays
 * (free). Nothing is committed yet: the import may still fail, and another writer may commit
 * between this transaction and the caller's next look, so the caller compares next_entry_id
 * with the list's after the import.
 */
typedef void (*lm_db_import_hook)(void *ctx, lm_pdq_hash *hashes, uint64_t *ids, size_t n,
                                  uint64_t next_entry_id);
/* lm_db_import_path (path) or lm_db_import_stream (in, when path is NULL) with a hook. */
lm_status lm_db_import_hooked(lm_hashdb *db, const char *path, FILE *in,
                              const lm_db_import_opts *opts, lm_db_import_result *result,
                              lm_db_import_hook hook, void *ctx);

/* ---- export --------------------------------------------------------------- */

/* lm_db_export_opts is in libmatch.h. */

/*
 * Write entries in id order from one snapshot. Importing canonical text (as
 * exported) into an empty list and exporting it gives the same bytes. Video
 * entries are left out of the line formats (their frames do not fit a line);
 * LM_DB_FORMAT_VPDQ writes the frames of video entry opts->entry as vPDQ text.
 * LM_DB_FORMAT_HMA_CSV writes hash,indicator_id(reference),timestamp(added),tags(label).
 * LM_E_NOT_FOUND for an unknown list; LM_E_IO when writing fails.
 */
lm_status lm_hashdb_export(lm_hashdb *db, FILE *out, const lm_db_export_opts *opts,
                           uint64_t *written);

/* ---- stats, verify -------------------------------------------------------- */

/* lm_db_stats and lm_db_list_stats are in libmatch.h. */

lm_status lm_hashdb_stats(lm_hashdb *db, lm_db_stats *out);

/*
 * Check structural consistency in one snapshot: first every LMDB page (bounds,
 * links, free list; when that fails nothing else is read), then schema and counters, every
 * record decodes, every entry has its index and PDQ records and vice versa,
 * list references and counts. LM_OK when the check ran; *problems counts what
 * it found (0: consistent).
 */
lm_status lm_hashdb_verify(lm_hashdb *db, lm_db_problem_fn fn, void *ctx, uint64_t *problems);

/* ---- the persisted search index's stamp (db_index_stamp.c) ---------------- */

/* The generation and the next entry id, in one snapshot. Entry ids are never
 * reused, so an unchanged next id means no entry (nor companion) was added. */
lm_status lm_hashdb_index_stamp(lm_hashdb *db, uint64_t *generation, uint64_t *next_entry_id);
/* The database directory given to lm_hashdb_open. */
const char *lm_hashdb_path(const lm_hashdb *db);
#include "hashdb_manage.h" /* list attributes, disabled entries, hit counters */

#endif
