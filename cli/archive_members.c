/* Reading an archive's members into memory within bounds (see archive_members.h). */
#include "archive_members.h"

#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy_archive.h"
#include "lazy_lib.h"

struct archive *archive_reader_new(void)
{
    if (pmatch_load_archive(NULL) != 0)
        return NULL; /* scan_archive says why */
    struct archive *a = archive_read_new();
    if (a) {
        /* In-process decompressors only: filter_all would also run external programs (lrzip,
         * lzop, grzip) on hostile input, and raw .lzma has almost no signature (xz covers
         * LZMA tars). */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_lz4(a);
        archive_read_support_filter_compress(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_zip(a);
    }
    return a;
}

static const char *why(struct archive *a, const char *fallback)
{
    const char *s = archive_error_string(a);
    return s ? s : fallback;
}

/*
 * Read the current member's data, counting every byte produced against the
 * archive's total. Returns the data (or NULL with *code set).
 */
static uint8_t *read_member(struct archive *a, struct archive_entry *e, const archive_limits *lim,
                            uint64_t *total, size_t *len, const char **code, lm_status *st,
                            char *msg, size_t msglen)
{
    size_t cap = archive_entry_size_is_set(e) ? (size_t)archive_entry_size(e) + 1 : 65536;
    if (cap < 4096)
        cap = 4096;
    uint8_t *buf = malloc(cap);
    size_t n = 0;
    for (;;) {
        if (!buf) {
            *code = "archive_damaged", *st = LM_E_NOMEM;
            snprintf(msg, msglen, "out of memory");
            return NULL;
        }
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = nb;
            cap *= 2;
        }
        la_ssize_t got = archive_read_data(a, buf + n, cap - n);
        if (got < 0) {
            *code = "archive_damaged", *st = LM_E_CORRUPT;
            snprintf(msg, msglen, "%s", why(a, "read error"));
            break;
        }
        if (got == 0) {
            *len = n;
            return buf;
        }
        n += (size_t)got;
        *total += (uint64_t)got;
        if (*total > lim->max_total) {
            *code = "archive_too_large", *st = LM_E_LIMIT_BYTES;
            snprintf(msg, msglen, "expands to more than %llu bytes (--archive-max-total; a bomb?)",
                     (unsigned long long)lim->max_total);
            break;
        }
        if (n > lim->max_bytes) {
            *code = "archive_member_too_large", *st = LM_E_LIMIT_BYTES;
            snprintf(msg, msglen, "member larger than --max-bytes %llu",
                     (unsigned long long)lim->max_bytes);
            break;
        }
    }
    free(buf);
    return NULL;
}

int archive_each_member(struct archive *a, int kind, const archive_limits *lim,
                        archive_member_fn fn, void *ctx, uint64_t *members)
{
    uint64_t own_total = 0, own_members = 0;
    uint64_t *total = lim->shared_total ? lim->shared_total : &own_total;
    uint64_t *all = lim->shared_members ? lim->shared_members : &own_members;
    char msg[300];
    *members = 0;
    for (;;) {
        struct archive_entry *e;
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            return 0;
        if (rc < ARCHIVE_WARN) {
            const char *w = why(a, "unreadable");
            if (*members == 0 && kind == ARCHIVE_COMPRESSED &&
                strstr(w, "Unrecognized archive format"))
                return -1; /* e.g. a gzip'ed single file: not an archive */
            fn(ctx, NULL, NULL, 0, "archive_damaged", LM_E_CORRUPT, w);
            return 0;
        }
        ++*members;
        if (++*all > lim->max_members) {
            snprintf(msg, sizeof msg, "more than %llu members (--archive-max-members)",
                     (unsigned long long)lim->max_members);
            fn(ctx, NULL, NULL, 0, "archive_too_many_members", LM_E_LIMIT_BYTES, msg);
            return 0;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue; /* directories, links, devices: nothing to check */
        const char *name = archive_entry_pathname(e);
        if (!name)
            name = "?";
        if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > lim->max_bytes) {
            snprintf(msg, sizeof msg, "member declares %lld bytes, over --max-bytes %llu",
                     (long long)archive_entry_size(e), (unsigned long long)lim->max_bytes);
            if (fn(ctx, name, NULL, 0, "archive_member_too_large", LM_E_LIMIT_BYTES, msg))
                return 0;
            continue; /* the next header skips its data */
        }
        size_t len = 0;
        const char *code = NULL;
        lm_status st = LM_OK;
        uint8_t *data = read_member(a, e, lim, total, &len, &code, &st, msg, sizeof msg);
        if (!data) {
            int whole = strcmp(code, "archive_too_large") == 0;
            if (fn(ctx, whole ? NULL : name, NULL, 0, code, st, msg) || whole ||
                st != LM_E_LIMIT_BYTES)
                return 0; /* a bomb or damage ends the archive; a large member only itself */
            continue;
        }
        if (fn(ctx, name, data, len, NULL, LM_OK, NULL))
            return 0;
    }
}
