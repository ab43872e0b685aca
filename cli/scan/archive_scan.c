/* Archives in pmatch scan: members checked in parallel batches, reported in order. */
#include "archive_scan.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lazy_archive.h"
#include "lazy_lib.h"

#include "scan_item.h"
#include "scan_report.h"

#define MEMBER_BATCH_BYTES (128u << 20) /* members held at once, besides the one being read */

/* What the archives nested in one archive file share: the bounds count all levels together. */
typedef struct archive_shared {
    archive_limits lim;
    uint64_t members, total;
    int max_depth;
} archive_shared;

typedef struct member_batch {
    const lm_matcher *m;
    const scan_config *cfg;
    scan_totals *t;
    archive_shared *sh;
    const char *path;
    int depth; /* of this archive: 1 for a file, 2 for an archive inside it, ... */
    size_t max_batch_bytes;
    const char *status; /* the code that ended the expansion, NULL: read to the end */
    uint64_t checked;   /* regular members read (and checked) */
    item_result items[SCAN_BATCH];
    uint8_t *data[SCAN_BATCH];
    size_t len[SCAN_BATCH];
    int n;
    size_t bytes;
} member_batch;

static int expand_memory(member_batch *outer, item_result *r, const uint8_t *data, size_t len,
                         int kind);

/* An error item about the archive or a member (no check result: nothing was read). */
static void report_failure(member_batch *b, const char *path, const char *code, lm_status st,
                           const char *msg)
{
    item_result r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.failed = 1;
    r.status = st;
    r.code = code;
    snprintf(r.error, sizeof r.error, "%s: %.200s", code, msg);
    scan_report_record(b->m, b->cfg, &r, b->t);
}

static void flush(member_batch *b)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(b->cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < b->n; i++)
        if (!b->items[i].failed)
            scan_check_bytes(b->m, b->cfg, b->data[i], b->len[i], &b->items[i]);
    int n = b->n;
    b->n = 0; /* a nested archive reports through its own batch */
    b->bytes = 0;
    for (int i = 0; i < n; i++) {
        item_result *r = &b->items[i];
        int kind = r->failed ? 0 : archive_sniff(b->data[i], b->len[i]);
        if (kind && b->depth < b->sh->max_depth) {
            if (expand_memory(b, r, b->data[i], b->len[i], kind) == 0)
                kind = -1; /* expanded: the record is printed as the nested archive's */
        } else if (kind && b->depth >= b->sh->max_depth) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "an archive nested deeper than --archive-max-depth %d: not expanded "
                     "(its digests are checked)",
                     b->sh->max_depth);
            report_failure(b, r->path, "archive_too_deep", LM_E_UNSUPPORTED, msg);
        }
        if (kind >= 0)
            scan_report_record(b->m, b->cfg, r, b->t);
        if (r->code == NULL)
            b->t->members++;
        free((char *)r->path);
        free(b->data[i]);
    }
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
    if (!name) {
        /* The archive as a whole: members before it are reported first, then the error. */
        flush(b);
        b->status = code;
        report_failure(b, b->path, code, st, msg);
        return 0;
    }
    char *path = member_path(b->path, name);
    if (!path) {
        free(data);
        return 1;
    }
    item_result *r = &b->items[b->n];
    memset(r, 0, sizeof *r);
    r->path = path;
    r->archive_depth = b->depth + 1;
    b->data[b->n] = data;
    b->len[b->n] = len;
    if (code) {
        r->failed = 1;
        r->status = st;
        r->code = code;
        snprintf(r->error, sizeof r->error, "%s: %.200s", code, msg);
        if (st != LM_E_LIMIT_BYTES)
            b->status = code; /* damage inside a member ends the archive */
    } else {
        b->checked++;
    }
    b->n++;
    b->bytes += len;
    if (b->n == SCAN_BATCH || b->bytes >= b->max_batch_bytes)
        flush(b);
    return 0;
}

/* Expand an opened archive a through a fresh batch; fills the archive's record fields of *r. */
static int expand(member_batch *outer, archive_shared *sh, const lm_matcher *m,
                  const scan_config *cfg, scan_totals *t, struct archive *a, int kind,
                  const char *path, int depth, item_result *r)
{
    member_batch *b = calloc(1, sizeof *b);
    if (!b)
        return -2;
    b->m = m, b->cfg = cfg, b->t = t, b->sh = sh, b->path = path, b->depth = depth;
    /* Deeper levels hold less at once: an outer batch is still in memory meanwhile. */
    b->max_batch_bytes = MEMBER_BATCH_BYTES >> (depth > 4 ? 4 : depth - 1);
    (void)outer;
    uint64_t entries = 0;
    int rc = archive_each_member(a, kind, &sh->lim, on_member, b, &entries);
    flush(b);
    if (rc == 0) {
        t->archives++;
        r->archive_record = 1;
        r->archive_entries = entries;
        r->archive_members = b->checked;
        r->archive_depth = depth;
        r->archive_status = b->status ? b->status : "ok";
    }
    free(b);
    return rc;
}

/* A member that is an archive itself: expand it (its members are printed now), then its record
 * (checked already: its digests) closes it. 0, or -1 when it holds no archive after all. */
static int expand_memory(member_batch *outer, item_result *r, const uint8_t *data, size_t len,
                         int kind)
{
    struct archive *a = archive_reader_new();
    if (!a)
        return -1;
    int rc = -1;
    if (archive_read_open_memory(a, data, len) == ARCHIVE_OK) {
        rc = expand(outer, outer->sh, outer->m, outer->cfg, outer->t, a, kind, r->path,
                    outer->depth + 1, r);
    } else {
        const char *w = archive_error_string(a) ? archive_error_string(a) : "cannot open";
        if (!(kind == ARCHIVE_COMPRESSED && strstr(w, "Unrecognized archive format"))) {
            report_failure(outer, r->path, "archive_damaged", LM_E_CORRUPT, w);
            r->archive_record = 1;
            r->archive_depth = outer->depth + 1;
            r->archive_status = "archive_damaged";
            rc = 0;
        }
    }
    archive_read_free(a);
    if (rc == 0)
        scan_report_record(outer->m, outer->cfg, r, outer->t);
    return rc;
}

/* The archive file's own digests, matched like any file's (its record). */
static void digest_file(const lm_matcher *m, const scan_config *cfg, const char *path,
                        item_result *r)
{
    lm_check_result h;
    memset(&h, 0, sizeof h);
    h.struct_size = sizeof h;
    h.decode_status = LM_E_FORMAT;
    lm_digest_ctx *dg = lm_digest_new();
    uint8_t *buf = malloc(65536);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    lm_status st = dg && buf ? LM_OK : LM_E_NOMEM;
    uint64_t size = 0;
    while (st == LM_OK && fd >= 0) {
        ssize_t n = read(fd, buf, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                st = LM_E_IO;
            break;
        }
        size += (uint64_t)n;
        st = lm_digest_update(dg, buf, (size_t)n);
    }
    if (fd < 0)
        st = LM_E_IO;
    lm_digests d;
    if (st == LM_OK)
        st = lm_digest_final(dg, &d);
    if (st == LM_OK) {
        memcpy(h.md5, d.md5, sizeof h.md5);
        memcpy(h.sha1, d.sha1, sizeof h.sha1);
        memcpy(h.sha256, d.sha256, sizeof h.sha256);
        r->size = size;
        r->check.struct_size = sizeof r->check;
        st = lm_check_hashes(m, &h, &cfg->check, &r->check);
    }
    if (st != LM_OK) {
        r->failed = 1;
        r->status = st;
        snprintf(r->error, sizeof r->error, "%s: %s", path,
                 st == LM_E_IO ? strerror(errno) : lm_strerror(st));
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    lm_digest_free(dg);
}

int scan_archive(const lm_matcher *m, const scan_config *cfg, item_result *r, int kind,
                 scan_totals *t)
{
    const char *why = NULL;
    if (pmatch_load_archive(&why) != 0) {
        r->failed = 1;
        r->status = LM_E_UNSUPPORTED;
        snprintf(r->error, sizeof r->error, "archives need libarchive: %s", why);
        return 1;
    }
    archive_shared *sh = calloc(1, sizeof *sh);
    struct archive *a = archive_reader_new();
    if (!a || !sh) {
        free(sh);
        if (a)
            archive_read_free(a);
        r->failed = 1;
        r->status = LM_E_NOMEM;
        snprintf(r->error, sizeof r->error, "%s", lm_strerror(LM_E_NOMEM));
        return 1;
    }
    sh->lim = (archive_limits){
        .max_bytes = scan_max_bytes(cfg),
        .max_members =
            cfg->archive_max_members ? cfg->archive_max_members : ARCHIVE_DEFAULT_MAX_MEMBERS,
        .max_total = cfg->archive_max_total ? cfg->archive_max_total : ARCHIVE_DEFAULT_MAX_TOTAL,
        .shared_members = &sh->members,
        .shared_total = &sh->total,
    };
    sh->max_depth = cfg->archive_max_depth ? cfg->archive_max_depth : ARCHIVE_DEFAULT_MAX_DEPTH;
    int rc = 0;
    if (archive_read_open_filename(a, r->path, 65536) != ARCHIVE_OK) {
        const char *w = archive_error_string(a) ? archive_error_string(a) : "cannot open";
        if (kind == ARCHIVE_COMPRESSED && strstr(w, "Unrecognized archive format")) {
            rc = -1;
        } else {
            member_batch b = {.m = m, .cfg = cfg, .t = t};
            report_failure(&b, r->path, "archive_damaged", LM_E_CORRUPT, w);
            r->archive_record = 1;
            r->archive_depth = 1;
            r->archive_status = "archive_damaged";
        }
    } else {
        rc = expand(NULL, sh, m, cfg, t, a, kind, r->path, 1, r);
        if (rc == -2) {
            r->failed = 1;
            r->status = LM_E_NOMEM;
            snprintf(r->error, sizeof r->error, "%s", lm_strerror(LM_E_NOMEM));
            rc = 0;
        }
    }
    archive_read_free(a);
    free(sh);
    if (rc == 0 && !r->failed)
        digest_file(m, cfg, r->path, r);
    return rc;
}
