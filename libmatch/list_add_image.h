/* lm_list_add_image on a database handle the caller already holds (the CLI opens it checked). */
#ifndef LM_LIST_ADD_IMAGE_H
#define LM_LIST_ADD_IMAGE_H

#include "hashdb.h"
#include "libmatch.h"

/* As lm_list_add_image, with db opened for writing. */
lm_status lm_list_add_image_db(lm_hashdb *db, const void *data, size_t len,
                               const lm_list_add_options *opts, uint64_t *entry_id, char *errbuf,
                               size_t errbuf_size);

/* 1 for what lm_list_add_image refuses as a video: other containers, animated GIF/WebP. */
int lm_list_add_media_is_video(const void *data, size_t len);

#endif
