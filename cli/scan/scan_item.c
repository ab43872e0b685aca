/* Checking one item of pmatch scan: read, then lm_check or the hash cache (see scan_item.h). */
#include "scan_item.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_members.h"
#include "hash_cache.h"
#include "read_file.h"

uint64_t scan_max_bytes(const scan_config *cfg)
{
    return cfg->check.max_bytes ? cfg->check.max_bytes : 256u << 20;
}

static void set_failed(item_result *r, lm_status st, const char *detail)
{
    r->failed = 1;
    r->status = st;
    snprintf(r->error, sizeof r->error, "%s%s%.200s", lm_strerror(st), detail[0] ? ": " : "",
             detail);
}

void scan_check_bytes(const lm_matcher *m, const scan_config *cfg, const uint8_t *data, size_t len,
                      item_result *r)
{
    r->size = len;
    r->check.struct_size = sizeof r->check;
    lm_status st = lm_check(m, data, len, &cfg->check, &r->check);
    if (st != LM_OK) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s", r->check.detail);
        set_failed(r, st, detail);
    }
}

void scan_check_item(const lm_matcher *m, const scan_config *cfg, item_result *r)
{
    char err[PMATCH_MSG_SIZE];
    uint8_t *data = NULL;
    size_t len = 0;
    if (strcmp(r->path, "-") == 0) { /* standard input: no archives, no cache */
        lm_status st = pmatch_read_file("/dev/stdin", scan_max_bytes(cfg), &data, &len, err);
        if (st != LM_OK) {
            set_failed(r, st, err);
            return;
        }
        scan_check_bytes(m, cfg, data, len, r);
        free(data);
        return;
    }
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno, special = 0;
        if (fd >= 0 && fstat(fd, &st) == 0)
            special = !S_ISREG(st.st_mode);
        snprintf(err, sizeof err, "%s: %s", r->path, special ? "not a regular file" : strerror(e));
        if (fd >= 0)
            close(fd);
        set_failed(r, LM_E_IO, err);
        return;
    }
    if (!cfg->no_archives) {
        uint8_t head[512];
        ssize_t h = pread(fd, head, sizeof head, 0);
        if (h > 0 && (r->archive = archive_sniff(head, (size_t)h)) != 0) {
            close(fd); /* expanded by scan_report, in order */
            return;
        }
    }
    lm_status s = pmatch_read_fd(fd, &st, r->path, scan_max_bytes(cfg), &data, &len, err);
    close(fd);
    if (s != LM_OK) {
        set_failed(r, s, err);
        return;
    }
    if (!hash_cache_reuse(m, cfg, &st, data, len, r)) {
        scan_check_bytes(m, cfg, data, len, r);
        hash_cache_remember(cfg, &st, r);
    }
    free(data);
}
