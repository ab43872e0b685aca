/*
 * The CLI's input reading: whole files into memory, refusing anything larger
 * than a limit before reading it, and pipes in chunks never past the limit.
 */
#include "read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static lm_status fail(char *msg, lm_status st,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, PMATCH_MSG_SIZE, fmt, ap);
    va_end(ap);
    return st;
}

/* read, or pread at `at` (>= 0), retried on EINTR. */
static ssize_t read_retry(int fd, void *buf, size_t n, off_t at)
{
    for (;;) {
        ssize_t r = at >= 0 ? pread(fd, buf, n, at) : read(fd, buf, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

/* A failed read: the buffer goes, the message names path. */
static lm_status read_failed(uint8_t *buf, const char *path, char *msg)
{
    int e = errno;
    free(buf);
    return fail(msg, LM_E_IO, "%s: %s", path, strerror(e));
}

lm_status pmatch_read_fd(int fd, const struct stat *st, const char *path, uint64_t max_bytes,
                         uint8_t **data, size_t *len, char *msg)
{
    *data = NULL;
    *len = 0;
    if ((uint64_t)st->st_size > max_bytes)
        return fail(msg, LM_E_LIMIT_BYTES, "%s: %lld bytes exceeds the %llu-byte limit", path,
                    (long long)st->st_size, (unsigned long long)max_bytes);
    size_t cap = (size_t)st->st_size + 1, n = 0; /* +1: notice a file that grew */
    uint8_t *buf = malloc(cap);
    if (!buf)
        return fail(msg, LM_E_NOMEM, "%s: no memory for %zu bytes", path, cap);
    for (;;) {
        ssize_t r = read_retry(fd, buf + n, cap - n, (off_t)n);
        if (r < 0)
            return read_failed(buf, path, msg);
        if (r == 0 || (n += (size_t)r) == cap)
            break;
    }
    if (n > max_bytes || n == cap) {
        free(buf);
        return fail(msg, LM_E_LIMIT_BYTES, "%s: grew while being read, or over the %llu-byte limit",
                    path, (unsigned long long)max_bytes);
    }
    *data = buf;
    *len = n;
    return LM_OK;
}

/* Pipes, terminals and character devices: chunks, never past max_bytes + 1. */
static lm_status read_stream(int fd, const char *path, uint64_t max_bytes, uint8_t **data,
                             size_t *len, char *msg)
{
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return fail(msg, LM_E_NOMEM, "%s: no memory for %zu bytes", path, cap);
    for (;;) {
        if (n == cap) {
            uint8_t *nb = n > max_bytes ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return n > max_bytes
                           ? fail(msg, LM_E_LIMIT_BYTES, "%s: more than the %llu-byte limit", path,
                                  (unsigned long long)max_bytes)
                           : fail(msg, LM_E_NOMEM, "%s: no memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read_retry(fd, buf + n, cap - n, -1);
        if (r < 0)
            return read_failed(buf, path, msg);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max_bytes) {
        free(buf);
        return fail(msg, LM_E_LIMIT_BYTES, "%s: more than the %llu-byte limit", path,
                    (unsigned long long)max_bytes);
    }
    *data = buf;
    *len = n;
    return LM_OK;
}

lm_status pmatch_read_file(const char *path, uint64_t max_bytes, uint8_t **data, size_t *len,
                           char *msg)
{
    *data = NULL;
    *len = 0;
    msg[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(msg, LM_E_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    lm_status rc;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode))
        rc = fail(msg, LM_E_IO, "%s: %s", path, strerror(S_ISDIR(st.st_mode) ? EISDIR : errno));
    else if (S_ISREG(st.st_mode))
        rc = pmatch_read_fd(fd, &st, path, max_bytes, data, len, msg);
    else
        rc = read_stream(fd, path, max_bytes, data, len, msg);
    close(fd);
    return rc;
}
