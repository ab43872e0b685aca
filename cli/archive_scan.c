/* Archives in pmatch scan, member by member with libarchive (see archive_scan.h). */
#include "archive_scan.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER_BATCH_BYTES (128u << 20) /* members held at once, besides the one being read */

int archive_sniff(const uint8_t *h, size_t n)
{
    static const struct {
        size_t off, len;
        const char *magic;
        int kind;
    } sigs[] = {
        {0, 2, "\x1f\x8b", ARCHIVE_COMPRESSED},              /* gzip */
        {0, 3, "BZh", ARCHIVE_COMPRESSED},                   /* bzip2 */
        {0, 6, "\xfd" "7zXZ\x00", ARCHIVE_COMPRESSED},       /* xz */
        {0, 4, "\x28\xb5\x2f\xfd", ARCHIVE_COMPRESSED},      /* zstd */
        {0, 4, "\x04\x22\x4d\x18", ARCHIVE_COMPRESSED},      /* lz4 */
        {0, 4, "PK\x03\x04", ARCHIVE_CONTAINER},             /* zip */
        {0, 4, "PK\x05\x06", ARCHIVE_CONTAINER},             /* empty zip */
        {257, 5, "ustar", ARCHIVE_CONTAINER},                /* POSIX and GNU tar */
    };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (n >= sigs[i].off + sigs[i].len &&
            memcmp(h + sigs[i].off, sigs[i].magic, sigs[i].len) == 0)
            return sigs[i].kind;
    return 0;
}

typedef struct member_batch {
    item_result items[SCAN_BATCH];
    uint8_t *data[SCAN_BATCH];
    size_t len[SCAN_BATCH];
    int n;
    size_t bytes;
} member_batch;

static void flush(const lm_matcher *m, const scan_config *cfg, member_batch *b, scan_totals *t)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < b->n; i++)
        if (!b->items[i].failed)
            scan_check_bytes(m, cfg, b->data[i], b->len[i], &b->items[i]);
    for (int i = 0; i < b->n; i++) {
        scan_report(m, cfg, &b->items[i], t);
        t->members++;
        free((char *)b->items[i].path);
        free(b->data[i]);
    }
    b->n = 0;
    b->bytes = 0;
}

/* Report a failure of the archive or of a member at once (after the members before it). */
static void report_error(const lm_matcher *m, const scan_config *cfg, member_batch *b,
                         scan_totals *t, const char *path, lm_status st, const char *code,
                         const char *detail)
{
    flush(m, cfg, b, t);
    item_result r = {.path = path, .failed = 1, .status = st, .code = code};
    snprintf(r.error, sizeof r.error, "%s: %.200s", code, detail);
    scan_report(m, cfg, &r, t);
}

static char *member_path(const char *archive, const char *name)
{
    size_t a = strlen(archive), n = strlen(name);
    char *p = malloc(a + n + 2);
    if (p) {
        memcpy(p, archive, a);
        p[a] = '!';
        memcpy(p + a + 1, name, n + 1);
    }
    return p;
}

int scan_archive(const lm_matcher *m, const scan_config *cfg, const char *path, int kind,
                 scan_totals *t)
{
    uint64_t max_members = cfg->archive_max_members ? cfg->archive_max_members
                                                    : ARCHIVE_DEFAULT_MAX_MEMBERS;
    uint64_t max_total = cfg->archive_max_total ? cfg->archive_max_total : ARCHIVE_DEFAULT_MAX_TOTAL;
    uint64_t max_bytes = scan_max_bytes(cfg);
    member_batch *b = calloc(1, sizeof *b);
    struct archive *a = archive_read_new();
    char msg[300];
    if (!a || !b) {
        free(b);
        if (a)
            archive_read_free(a);
        item_result r = {.path = path, .failed = 1, .status = LM_E_NOMEM};
        snprintf(r.error, sizeof r.error, "%s", lm_strerror(LM_E_NOMEM));
        scan_report(m, cfg, &r, t);
        return 0;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        snprintf(msg, sizeof msg, "%s", archive_error_string(a) ? archive_error_string(a) : "?");
        archive_read_free(a);
        int unrecognized = kind == ARCHIVE_COMPRESSED && strstr(msg, "Unrecognized archive format");
        if (!unrecognized)
            report_error(m, cfg, b, t, path, LM_E_CORRUPT, "archive_damaged", msg);
        free(b);
        return unrecognized ? -1 : 0;
    }
    t->archives++;
    uint64_t members = 0, total = 0;
    int stop = 0;
    while (!stop) {
        struct archive_entry *e;
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN) {
            const char *why = archive_error_string(a) ? archive_error_string(a) : "unreadable";
            if (members == 0 && kind == ARCHIVE_COMPRESSED &&
                strstr(why, "Unrecognized archive format")) {
                archive_read_free(a);
                free(b);
                t->archives--;
                return -1; /* e.g. a gzip'ed single file: not an archive */
            }
            report_error(m, cfg, b, t, path, LM_E_CORRUPT, "archive_damaged", why);
            break;
        }
        if (++members > max_members) {
            snprintf(msg, sizeof msg, "more than %llu members (--archive-max-members)",
                     (unsigned long long)max_members);
            report_error(m, cfg, b, t, path, LM_E_LIMIT_BYTES, "archive_too_many_members", msg);
            break;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue; /* directories, links, devices: nothing to check */
        const char *name = archive_entry_pathname(e);
        char *mpath = member_path(path, name ? name : "?");
        if (!mpath) {
            report_error(m, cfg, b, t, path, LM_E_NOMEM, "archive_damaged", "out of memory");
            break;
        }
        if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > max_bytes) {
            snprintf(msg, sizeof msg, "member declares %lld bytes, over --max-bytes %llu",
                     (long long)archive_entry_size(e), (unsigned long long)max_bytes);
            report_error(m, cfg, b, t, mpath, LM_E_LIMIT_BYTES, "archive_member_too_large", msg);
            free(mpath);
            continue; /* the next header skips its data (counted if it is decompressed) */
        }
        /* Read the member, counting every byte produced against the archive's total. */
        size_t cap = archive_entry_size_is_set(e) ? (size_t)archive_entry_size(e) + 1 : 65536;
        if (cap < 4096)
            cap = 4096;
        uint8_t *buf = malloc(cap);
        size_t len = 0;
        const char *code = NULL;
        lm_status st = LM_OK;
        while (buf) {
            if (len == cap) {
                size_t ncap = cap * 2;
                uint8_t *nb = realloc(buf, ncap);
                if (!nb) {
                    free(buf);
                    buf = NULL;
                    break;
                }
                buf = nb;
                cap = ncap;
            }
            la_ssize_t got = archive_read_data(a, buf + len, cap - len);
            if (got < 0) {
                snprintf(msg, sizeof msg, "%s",
                         archive_error_string(a) ? archive_error_string(a) : "read error");
                code = "archive_damaged", st = LM_E_CORRUPT, stop = 1;
                break;
            }
            if (got == 0)
                break;
            len += (size_t)got;
            total += (uint64_t)got;
            if (total > max_total) {
                snprintf(msg, sizeof msg,
                         "expands to more than %llu bytes (--archive-max-total; a bomb?)",
                         (unsigned long long)max_total);
                code = "archive_too_large", st = LM_E_LIMIT_BYTES, stop = 1;
                break;
            }
            if (len > max_bytes) {
                snprintf(msg, sizeof msg, "member larger than --max-bytes %llu",
                         (unsigned long long)max_bytes);
                code = "archive_member_too_large", st = LM_E_LIMIT_BYTES;
                break;
            }
        }
        if (!buf) {
            report_error(m, cfg, b, t, mpath, LM_E_NOMEM, "archive_damaged", "out of memory");
            free(mpath);
            break;
        }
        if (code) {
            free(buf);
            report_error(m, cfg, b, t, strcmp(code, "archive_too_large") == 0 ? path : mpath, st, code,
                         msg);
            free(mpath);
            continue;
        }
        item_result *r = &b->items[b->n];
        memset(r, 0, sizeof *r);
        r->path = mpath;
        b->data[b->n] = buf;
        b->len[b->n] = len;
        b->n++;
        b->bytes += len;
        if (b->n == SCAN_BATCH || b->bytes >= MEMBER_BATCH_BYTES)
            flush(m, cfg, b, t);
    }
    flush(m, cfg, b, t);
    archive_read_free(a);
    free(b);
    return 0;
}
