/* pmatch db add with media files (db_add_media.c). */
#ifndef PMATCH_DB_ADD_MEDIA_H
#define PMATCH_DB_ADD_MEDIA_H

#include "libmatch.h"

/* 1 when arg names an existing regular file (then it is media, not a hash). */
int db_arg_is_file(const char *arg);

/* Add the image at path to db (sniffed; videos refused). Returns a pmatch exit code. */
int db_add_media(lm_db *db, const char *path, const char *list, const char *label,
                 const char *reference, int features);

#endif
