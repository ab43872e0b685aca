/* Reading an input whole, bounded by a byte limit decided before reading (read_file.c). */
#ifndef PMATCH_READ_FILE_H
#define PMATCH_READ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "libmatch.h"

#define PMATCH_MSG_SIZE 256

/*
 * Read the file at path ("/dev/stdin", pipes and growing files too), never
 * more than max_bytes + 1. On LM_OK *data is malloc'ed (free it) and holds *len
 * bytes; else msg (PMATCH_MSG_SIZE bytes) says why, naming path. Returns LM_OK,
 * LM_E_IO, LM_E_LIMIT_BYTES, LM_E_NOMEM.
 */
lm_status pmatch_read_file(const char *path, uint64_t max_bytes, uint8_t **data, size_t *len,
                           char *msg);

/* The same for an open regular file whose fstat is st (one read of st_size + 1 bytes: a
 * file that grew meanwhile is refused). fd is not closed. */
lm_status pmatch_read_fd(int fd, const struct stat *st, const char *path, uint64_t max_bytes,
                         uint8_t **data, size_t *len, char *msg);

#endif
