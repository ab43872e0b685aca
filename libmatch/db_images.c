/*
 * lm_db_add_image and lm_db_add_image_file: images added to an open list
 * handle (the decoding half lives in list_add_image.c), with the
 * failure detail and hint on the handle.
 */
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "file_read.h"
#include "hashdb.h"
#include "libmatch.h"
#include "list_add_image.h"

#define DEFAULT_MAX_BYTES ((uint64_t)256 << 20)

lm_status lm_db_add_image(lm_db *db, const void *data, size_t len, const lm_list_add_options *opts,
                          uint64_t *entry_id)
{
    if (entry_id)
        *entry_id = 0;
    if (lm_hashdb_failed(db))
        return LM_E_INVALID_ARG;
    char msg[LM_ERRBUF_SIZE] = "";
    lm_status st = lm_list_add_image_db(db, data, len, opts, entry_id, msg, sizeof msg);
    if (st == LM_OK || st == LM_E_EXISTS)
        return st;
    /* A store failure is on the handle already, with its hint; decoding ones are not. */
    if (strcmp(msg, lm_hashdb_last_error(db)) == 0)
        return st;
    int hint = st == LM_E_FORMAT && data && lm_list_add_media_is_video(data, len) ? LM_DB_HINT_VPDQ
                                                                                  : LM_DB_HINT_NONE;
    return lm_hashdb_set_error(db, st, hint, *msg ? msg : lm_strerror(st));
}

lm_status lm_db_add_image_file(lm_db *db, const char *path, const lm_list_add_options *opts,
                               uint64_t *entry_id)
{
    if (entry_id)
        *entry_id = 0;
    if (lm_hashdb_failed(db) || !path)
        return LM_E_INVALID_ARG;
    uint64_t max = DEFAULT_MAX_BYTES;
    if (opts && opts->struct_size >= offsetof(lm_list_add_options, max_bytes) + sizeof(uint64_t) &&
        opts->max_bytes)
        max = opts->max_bytes;
    uint8_t *data;
    size_t len;
    lm_errbuf err = {{0}};
    lm_status st = lm_read_file(path, max, &data, &len, &err);
    if (st != LM_OK)
        return lm_hashdb_set_error(db, st, LM_DB_HINT_NONE, err.msg);
    st = lm_db_add_image(db, data, len, opts, entry_id);
    free(data);
    return st;
}
