/* Read a whole file into memory, refusing anything larger than a limit before reading it. */
#ifndef LM_FILE_READ_H
#define LM_FILE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "libmatch.h"

/* On LM_OK *data is malloc'ed (free it) and holds *len bytes. LM_E_IO, LM_E_LIMIT_BYTES, LM_E_NOMEM. */
lm_status lm_read_file(const char *path, uint64_t max_bytes, uint8_t **data, size_t *len,
                       lm_errbuf *err);

#endif
