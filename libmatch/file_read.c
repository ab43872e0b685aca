#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

lm_status lm_read_file(const char *path, uint64_t max_bytes, uint8_t **data, size_t *len,
                       lm_errbuf *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lm_errbuf_set(err, LM_E_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return lm_errbuf_set(err, LM_E_IO, "%s: %s", path, strerror(e));
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
        close(fd);
        return lm_errbuf_set(err, LM_E_LIMIT_BYTES, "%s: %lld bytes exceeds the %llu-byte limit",
                             path, (long long)st.st_size, (unsigned long long)max_bytes);
    }
    /* Pipes, devices and growing files: read in chunks, never past max_bytes + 1 bytes
     * (and never more memory than that), so /dev/zero costs the limit, not twice it. */
    uint64_t limit = max_bytes < SIZE_MAX - 1 ? max_bytes + 1 : SIZE_MAX;
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    if (cap > limit)
        cap = (size_t)limit;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return lm_errbuf_set(err, LM_E_NOMEM, "%s: no memory for %zu bytes", path, cap);
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (n > max_bytes)
                break;
            size_t ncap = cap * 2 < limit ? cap * 2 : (size_t)limit;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                close(fd);
                return lm_errbuf_set(err, LM_E_NOMEM, "%s: no memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return lm_errbuf_set(err, LM_E_IO, "%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max_bytes) {
        free(buf);
        return lm_errbuf_set(err, LM_E_LIMIT_BYTES, "%s: more than the %llu-byte limit", path,
                             (unsigned long long)max_bytes);
    }
    *data = buf;
    *len = n;
    return LM_OK;
}
