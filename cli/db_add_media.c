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
#include "errbuf.h"
#include "file_read.h"
#include "list_add_image.h"

int db_arg_is_file(const char *arg)
{
    struct stat st;
    return stat(arg, &st) == 0 && S_ISREG(st.st_mode);
}

int db_add_media(lm_hashdb *db, const char *path, const char *list, const char *label,
                 const char *reference, int features)
{
    uint8_t *data;
    size_t len;
    lm_errbuf err = {{0}};
    lm_status st = lm_read_file(path, (uint64_t)256 << 20, &data, &len, &err);
    if (st != LM_OK) {
        fprintf(stderr, "pmatch db add: %s: %s%s%s\n", path, lm_strerror(st),
                err.msg[0] ? ": " : "", err.msg);
        return PMATCH_EXIT_ERROR;
    }
    lm_format f = lm_detect_format(data, len);
    if (f == LM_FORMAT_OTHER || lm_list_add_media_is_video(data, len)) {
        free(data);
        fprintf(stderr,
                "pmatch db add: %s: a video (or a format only FFmpeg reads): adding videos is not "
                "supported here yet; import its vPDQ hashes ('pmatch hash %s') instead\n",
                path, path);
        return PMATCH_EXIT_ERROR;
    }
    if (f == LM_FORMAT_UNKNOWN) {
        free(data);
        fprintf(stderr, "pmatch db add: %s: not an image (and not a hash)\n", path);
        return PMATCH_EXIT_ERROR;
    }
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = list;
    o.label = label;
    o.reference = reference;
    o.features = features;
    uint64_t id = 0;
    char msg[256];
    st = lm_list_add_image_db(db, data, len, &o, &id, msg, sizeof msg);
    free(data);
    if (st == LM_E_EXISTS) {
        fprintf(stderr, "pmatch db add: %s: already in the list as entry %llu\n", path,
                (unsigned long long)id);
        return PMATCH_EXIT_ERROR;
    }
    if (st != LM_OK) {
        fprintf(stderr, "pmatch db add: %s: %s%s%s\n", path, lm_strerror(st), msg[0] ? ": " : "",
                msg);
        return PMATCH_EXIT_ERROR;
    }
    lm_db_companion comp[32];
    size_t n = 0;
    lm_hashdb_entry_companions(db, id, comp, 32, &n);
    size_t flen = 0;
    lm_hashdb_entry_features(db, id, NULL, 0, &flen);
    printf("added entry %llu (%s, %zu companion hashes, %zu keypoints)\n", (unsigned long long)id,
           path, n, flen > 8 ? (flen - 8) / 38 : 0);
    return PMATCH_EXIT_OK;
}
