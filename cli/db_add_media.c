/*
 * pmatch db add FILE: a media file instead of a hash. Images become one entry
 * (the standard PDQ hash) with its crop companions; videos are refused with a
 * clear message until list entries can hold a video's vPDQ.
 */
#include "db_add_media.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "commands.h"
#include "db_manage.h"

int db_arg_is_file(const char *arg)
{
    struct stat st;
    return stat(arg, &st) == 0 && S_ISREG(st.st_mode);
}

int db_add_media(lm_db *db, const char *path, const char *list, const char *label,
                 const char *reference, int features)
{
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = list;
    o.label = label;
    o.reference = reference;
    o.features = features;
    uint64_t id = 0;
    lm_status st = lm_db_add_image_file(db, path, &o, &id);
    if (st == LM_E_EXISTS) {
        fprintf(stderr, "pmatch db add: %s: already in the list as entry %llu\n", path,
                (unsigned long long)id);
        return PMATCH_EXIT_ERROR;
    }
    if (st == LM_E_FORMAT && lm_db_last_hint(db) == LM_DB_HINT_VPDQ) {
        fprintf(stderr,
                "pmatch db add: %s: a video (or a format only FFmpeg reads): adding videos is not "
                "supported here yet; import its vPDQ hashes ('pmatch hash %s') instead\n",
                path, path);
        return PMATCH_EXIT_ERROR;
    }
    if (st == LM_E_FORMAT) {
        fprintf(stderr, "pmatch db add: %s: not an image (and not a hash)\n", path);
        return PMATCH_EXIT_ERROR;
    }
    if (st != LM_OK) {
        const char *d = lm_db_last_error(db);
        fprintf(stderr, "pmatch db add: %s: %s%s%s%s\n", path, lm_strerror(st), *d ? ": " : "", d,
                *d ? db_hint_text(db) : "");
        return PMATCH_EXIT_ERROR;
    }
    lm_entry_info e;
    size_t n = 0;
    lm_db_entry(db, id, &e, &n);
    size_t kp = 0;
    lm_db_entry_features(db, id, &kp, NULL);
    printf("added entry %llu (%s, %zu companion hashes, %zu keypoints)\n", (unsigned long long)id,
           path, n, kp);
    return PMATCH_EXIT_OK;
}
