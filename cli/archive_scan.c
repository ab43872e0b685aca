/* Archives in pmatch scan: members checked in parallel batches, reported in order. */
#include "archive_scan.h"

#include <archive.h>
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
        {0, 2, "\x1f\x8b", ARCHIVE_COMPRESSED}, /* gzip */
        {0, 3, "BZh", ARCHIVE_COMPRESSED},      /* bzip2 */
        {0, 6,
         "\xfd"
         "7zXZ\x00",
         ARCHIVE_COMPRESSED},                           /* xz */
        {0, 4, "\x28\xb5\x2f\xfd", ARCHIVE_COMPRESSED}, /* zstd */
        {0, 4, "\x04\x22\x4d\x18", ARCHIVE_COMPRESSED}, /* lz4 */
        {0, 4, "PK\x03\x04", ARCHIVE_CONTAINER},        /* zip */
        {0, 4, "PK\x05\x06", ARCHIVE_CONTAINER},        /* empty zip */
        {257, 5, "ustar", ARCHIVE_CONTAINER},           /* POSIX and GNU tar */
    };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (n >= sigs[i].off + sigs[i].len &&
            memcmp(h + sigs[i].off, sigs[i].magic, sigs[i].len) == 0)
            return sigs[i].kind;
    return 0;
}

typedef struct member_batch {
    const lm_matcher *m;
    const scan_config *cfg;
    scan_totals *t;
    const char *path;
    item_result items[SCAN_BATCH];
    uint8_t *data[SCAN_BATCH];
    size_t len[SCAN_BATCH];
    int n;
    size_t bytes;
} member_batch;

static void flush(member_batch *b)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(b->cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < b->n; i++)
        if (!b->items[i].failed)
            scan_check_bytes(b->m, b->cfg, b->data[i], b->len[i], &b->items[i]);
    for (int i = 0; i < b->n; i++) {
        scan_report(b->m, b->cfg, &b->items[i], b->t);
        if (b->items[i].code == NULL)
            b->t->members++;
        free((char *)b->items[i].path);
        free(b->data[i]);
    }
    b->n = 0;
    b->bytes = 0;
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

/* A member's data, or a failure (of a member, or of the archive when name is NULL). */
static int on_member(void *ctx, const char *name, uint8_t *data, size_t len, const char *code,
                     lm_status st, const char *msg)
{
    member_batch *b = ctx;
    char *path = member_path(b->path, name ? name : "");
    if (!path) {
        free(data);
        return 1;
    }
    if (!name)
        path[strlen(b->path)] = '\0'; /* the archive itself */
    item_result *r = &b->items[b->n];
    memset(r, 0, sizeof *r);
    r->path = path;
    b->data[b->n] = data;
    b->len[b->n] = len;
    if (code) {
        r->failed = 1;
        r->status = st;
        r->code = code;
        snprintf(r->error, sizeof r->error, "%s: %.200s", code, msg);
    }
    b->n++;
    b->bytes += len;
    if (b->n == SCAN_BATCH || b->bytes >= MEMBER_BATCH_BYTES)
        flush(b);
    return 0;
}

int scan_archive(const lm_matcher *m, const scan_config *cfg, const char *path, int kind,
                 scan_totals *t)
{
    archive_limits lim = {
        .max_bytes = scan_max_bytes(cfg),
        .max_members =
            cfg->archive_max_members ? cfg->archive_max_members : ARCHIVE_DEFAULT_MAX_MEMBERS,
        .max_total = cfg->archive_max_total ? cfg->archive_max_total : ARCHIVE_DEFAULT_MAX_TOTAL,
    };
    member_batch *b = calloc(1, sizeof *b);
    struct archive *a = archive_reader_new();
    if (!a || !b) {
        free(b);
        if (a)
            archive_read_free(a);
        item_result r = {.path = path, .failed = 1, .status = LM_E_NOMEM};
        snprintf(r.error, sizeof r.error, "%s", lm_strerror(LM_E_NOMEM));
        scan_report(m, cfg, &r, t);
        return 0;
    }
    b->m = m, b->cfg = cfg, b->t = t, b->path = path;
    int rc = 0;
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        const char *w = archive_error_string(a) ? archive_error_string(a) : "cannot open";
        if (kind == ARCHIVE_COMPRESSED && strstr(w, "Unrecognized archive format"))
            rc = -1;
        else
            on_member(b, NULL, NULL, 0, "archive_damaged", LM_E_CORRUPT, w);
    } else {
        uint64_t members;
        t->archives++;
        rc = archive_each_member(a, kind, &lim, on_member, b, &members);
        if (rc < 0)
            t->archives--;
    }
    flush(b);
    archive_read_free(a);
    free(b);
    return rc;
}
