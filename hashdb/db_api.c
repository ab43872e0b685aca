/*
 * The public list API (lm_db_* in libmatch.h) over the store's own calls: the
 * handle is the store's handle; these wrappers check it, keep results within
 * the caller's struct_size and parse hash text, with every detail on the handle.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hashdb_internal.h"

/* Every call on a handle: a NULL or failed handle is LM_E_INVALID_ARG. */
#define LIVE(db)                                                                                   \
    do {                                                                                           \
        if (lm_hashdb_failed(db))                                                                  \
            return LM_E_INVALID_ARG;                                                               \
    } while (0)

lm_status lm_db_open(const char *path, unsigned flags, lm_db **out)
{
    int exclusive = (flags & LM_DB_EXCLUSIVE) != 0;
    if (exclusive && !(flags & LM_DB_CREATE)) {
        if (out)
            *out = NULL;
        return LM_E_INVALID_ARG;
    }
    return lm_hashdb_open_keep(path, flags & ~(unsigned)LM_DB_EXCLUSIVE, exclusive, out);
}

void lm_db_close(lm_db *db)
{
    lm_hashdb_close(db);
}

const char *lm_db_last_error(const lm_db *db)
{
    return db ? db->err.msg : "no list handle";
}

lm_db_hint lm_db_last_hint(const lm_db *db)
{
    return (lm_db_hint)lm_hashdb_last_hint((lm_db *)db);
}

lm_status lm_db_generation(lm_db *db, uint64_t *out)
{
    LIVE(db);
    return lm_hashdb_generation(db, out);
}

lm_status lm_hash_type_parse(const char *name, lm_hash_type *out)
{
    return lm_db_hash_type_parse(name, out);
}

/* A result struct the caller sized: at least its first field after struct_size. */
static int result_size_ok(uint32_t size, size_t min, size_t max)
{
    return size >= min && size <= max;
}

#define IMPORT_RESULT_MIN (offsetof(lm_db_import_result, format) + sizeof(lm_db_format))

typedef enum { IN_MEMORY, IN_PATH, IN_STREAM } import_input;

static lm_status import_any(lm_db *db, import_input kind, const void *data, size_t len,
                            const char *path, FILE *in, const lm_db_import_opts *opts,
                            lm_db_import_result *result, lm_db_import_hook hook, void *ctx)
{
    LIVE(db);
    if (result && !result_size_ok(result->struct_size, IMPORT_RESULT_MIN, sizeof *result))
        return db_err(db, LM_E_INVALID_ARG, "import result: struct_size not set");
    lm_db_import_result r;
    memset(&r, 0, sizeof r);
    lm_status st = kind == IN_MEMORY ? lm_hashdb_import_memory(db, data, len, opts, &r)
                   : kind == IN_PATH ? db_import_path_hooked(db, path, opts, &r, hook, ctx)
                                     : db_import_file_hooked(db, in, opts, &r, hook, ctx);
    if (result) {
        uint32_t size = result->struct_size;
        r.struct_size = size;
        memcpy(result, &r, size);
    }
    return st;
}

lm_status lm_db_import_memory(lm_db *db, const void *data, size_t len,
                              const lm_db_import_opts *opts, lm_db_import_result *result)
{
    return import_any(db, IN_MEMORY, data, len, NULL, NULL, opts, result, NULL, NULL);
}

lm_status lm_db_import_path(lm_db *db, const char *path, const lm_db_import_opts *opts,
                            lm_db_import_result *result)
{
    return import_any(db, IN_PATH, NULL, 0, path, NULL, opts, result, NULL, NULL);
}

lm_status lm_db_import_stream(lm_db *db, FILE *in, const lm_db_import_opts *opts,
                              lm_db_import_result *result)
{
    return import_any(db, IN_STREAM, NULL, 0, NULL, in, opts, result, NULL, NULL);
}

lm_status lm_db_import_hooked(lm_hashdb *db, const char *path, FILE *in,
                              const lm_db_import_opts *opts, lm_db_import_result *result,
                              lm_db_import_hook hook, void *ctx)
{
    if (!path && !in)
        return LM_E_INVALID_ARG;
    return path ? import_any(db, IN_PATH, NULL, 0, path, NULL, opts, result, hook, ctx)
                : import_any(db, IN_STREAM, NULL, 0, NULL, in, opts, result, hook, ctx);
}

lm_status lm_db_export(lm_db *db, FILE *out, const lm_db_export_opts *opts, uint64_t *written)
{
    LIVE(db);
    return lm_hashdb_export(db, out, opts, written);
}

/* Hex text to a hash; LM_E_PARSE with the reason on the handle. */
static lm_status parse_hex(lm_db *db, const char *hex, size_t len, lm_hash_type forced,
                           lm_hash_type *type, uint8_t *hash, size_t *hash_len)
{
    char why[160];
    if (!hex)
        return LM_E_INVALID_ARG;
    if (lm_db_hash_parse(hex, len, forced, type, hash, hash_len, why, sizeof why) != LM_OK)
        return db_err(db, LM_E_PARSE, "%s", why);
    return LM_OK;
}

#define ADD_OPTS_MIN (offsetof(lm_list_add_options, reference) + sizeof(const char *))

lm_status lm_db_add_hash(lm_db *db, const char *hex, size_t len, lm_hash_type type, int quality,
                         const lm_list_add_options *opts, uint64_t *entry_id)
{
    LIVE(db);
    if (entry_id)
        *entry_id = 0;
    if (opts && !result_size_ok(opts->struct_size, ADD_OPTS_MIN, sizeof *opts))
        return db_err(db, LM_E_INVALID_ARG, "add options: struct_size not set");
    uint8_t hash[LM_DB_MAX_HASH_BYTES];
    size_t hash_len;
    lm_db_new_entry e = {.quality = quality};
    lm_status st = parse_hex(db, hex, len, type, &e.type, hash, &hash_len);
    if (st)
        return st;
    e.hash = hash;
    if (opts) {
        e.list = opts->list;
        e.label = opts->label;
        e.reference = opts->reference;
    }
    uint64_t id = 0;
    st = lm_hashdb_add(db, &e, &id);
    if (entry_id && (st == LM_OK || st == LM_E_EXISTS))
        *entry_id = id;
    return st;
}

lm_status lm_db_remove(lm_db *db, uint64_t id)
{
    LIVE(db);
    return lm_hashdb_remove(db, id);
}

lm_status lm_db_remove_hash(lm_db *db, const char *hex, size_t len, lm_hash_type type,
                            const char *list, size_t *removed)
{
    LIVE(db);
    if (removed)
        *removed = 0;
    uint8_t hash[LM_DB_MAX_HASH_BYTES];
    size_t hash_len;
    lm_status st = parse_hex(db, hex, len, type, &type, hash, &hash_len);
    return st ? st : lm_hashdb_remove_hash(db, type, hash, hash_len, list, removed);
}

lm_status lm_db_entry(lm_db *db, uint64_t id, lm_entry_info *out, size_t *companions)
{
    LIVE(db);
    if (companions)
        *companions = 0;
    lm_status st = lm_hashdb_get_entry(db, id, out);
    if (st == LM_OK && companions)
        st = lm_hashdb_entry_companions(db, id, NULL, 0, companions);
    return st;
}

lm_status lm_db_list_entries(lm_db *db, const char *list, uint64_t after, lm_entry_info *out,
                             size_t cap, size_t *n, uint64_t *next)
{
    LIVE(db);
    return lm_hashdb_list_entries(db, list, after, out, cap, n, next);
}

lm_status lm_db_delete_list(lm_db *db, const char *name, uint64_t *removed)
{
    LIVE(db);
    return lm_hashdb_delete_list(db, name, removed);
}

lm_status lm_db_entry_features(lm_db *db, uint64_t id, size_t *keypoints, size_t *bytes)
{
    LIVE(db);
    size_t len = 0;
    lm_status st = lm_hashdb_entry_features(db, id, NULL, 0, &len);
    if (keypoints)
        *keypoints = len > DB_FEATURE_HDR ? (len - DB_FEATURE_HDR) / DB_FEATURE_REC : 0;
    if (bytes)
        *bytes = len;
    return st;
}

lm_status lm_db_set_disabled(lm_db *db, const uint64_t *ids, size_t n, int disabled,
                             size_t *changed)
{
    LIVE(db);
    return lm_hashdb_set_disabled(db, ids, n, disabled, changed);
}

lm_status lm_db_lists(lm_db *db, lm_db_list_info *out, size_t cap, size_t *count)
{
    LIVE(db);
    return lm_hashdb_lists(db, out, cap, count);
}

lm_status lm_db_set_list_attrs(lm_db *db, const char *list, const lm_db_list_attrs *a,
                               unsigned which)
{
    LIVE(db);
    return lm_hashdb_set_list_attrs(db, list, a, which);
}

lm_status lm_db_get_list_attrs(lm_db *db, uint32_t list_id, lm_db_list_attrs *out)
{
    LIVE(db);
    return lm_hashdb_get_list_attrs(db, list_id, out);
}

#define STATS_MIN (offsetof(lm_db_stats, lists) + sizeof(lm_db_list_stats *))

lm_status lm_db_get_stats(lm_db *db, lm_db_stats *out)
{
    LIVE(db);
    if (!out)
        return LM_E_INVALID_ARG;
    if (!result_size_ok(out->struct_size, STATS_MIN, sizeof *out))
        return db_err(db, LM_E_INVALID_ARG, "stats: struct_size not set");
    uint32_t size = out->struct_size;
    lm_db_stats s;
    lm_status st = lm_hashdb_stats(db, &s);
    s.struct_size = size;
    memcpy(out, &s, size);
    return st;
}

lm_status lm_db_verify(lm_db *db, lm_db_problem_fn fn, void *ctx, uint64_t *problems)
{
    LIVE(db);
    return lm_hashdb_verify(db, fn, ctx, problems);
}

lm_status lm_db_hit_report(lm_db *db, const lm_db_flood_opts *o, lm_db_hit_row **rows, size_t *n)
{
    LIVE(db);
    return lm_hashdb_hit_report(db, o, rows, n);
}

void lm_db_hit_rows_free(lm_db_hit_row *rows)
{
    free(rows);
}
