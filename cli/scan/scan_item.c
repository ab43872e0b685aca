/* The per-item steps of pmatch scan: read, check, report (see scan_item.h). */
#include "scan_item.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_scan.h"
#include "read_file.h"
#include "hash_cache.h"
#include "json.h"

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

scan_category scan_category_of(const item_result *r)
{
    if (r->failed)
        return CAT_ERROR;
    switch (r->check.verdict) {
    case LM_VERDICT_MATCH: return CAT_MATCH;
    case LM_VERDICT_LOW_QUALITY: return CAT_LOW_QUALITY;
    case LM_VERDICT_NOT_IMAGE: return CAT_NOT_IMAGE;
    case LM_VERDICT_SUPPRESSED: return CAT_SUPPRESSED;
    default: return CAT_NO_MATCH;
    }
}

void scan_print_item(FILE *out, const lm_matcher *m, const scan_config *cfg, const item_result *r)
{
    if (cfg->json)
        print_item_json(out, m, r);
    else
        print_item_text(out, m, r, cfg->check.min_quality);
}

/* Shard mode with --json: the record gets its walk index first, {"seq":N,... (pmatch merge orders by it). */
static void emit_record(const scan_config *cfg, uint64_t seq, scan_totals *t,
                        void (*print)(FILE *, const void *), const void *arg)
{
    t->records++;
    if (!(cfg->shard.count && cfg->json)) {
        print(cfg->out, arg);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem) {
        print(mem, arg);
        if (fclose(mem) == 0 && len > 1 && buf[0] == '{') {
            fprintf(cfg->out, "{\"seq\":%llu,", (unsigned long long)seq);
            fwrite(buf + 1, 1, len - 1, cfg->out);
            free(buf);
            return;
        }
    }
    free(buf);
    t->oom = 1;
}

typedef struct item_print_args {
    const lm_matcher *m;
    const scan_config *cfg;
    const item_result *r;
} item_print_args;

static void print_item_cb(FILE *out, const void *arg)
{
    const item_print_args *a = arg;
    scan_print_item(out, a->m, a->cfg, a->r);
}

void scan_report(const lm_matcher *m, const scan_config *cfg, item_result *r, scan_totals *t)
{
    if (r->archive) {
        int kind = r->archive;
        r->archive = 0;
        r->cache = NULL;
        if (scan_archive(m, cfg, r, kind, t) != 0) {
            /* Not an archive after all (a compressed single file): check it as a file. */
            scan_config plain = *cfg;
            plain.no_archives = 1;
            scan_check_item(m, &plain, r);
        }
    }
    if (!r->failed && !r->archive_record) {
        if (r->cache && r->cache->hit)
            t->cache_hits++;
        else
            t->decoded++;
    }
    t->counts[scan_category_of(r)]++;
    item_print_args a = {m, cfg, r};
    emit_record(cfg, r->seq, t, print_item_cb, &a);
}

void scan_run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                    scan_totals *t)
{
    cache_slot *slots = NULL;
    if (cfg->cache && n > 0 && (slots = calloc((size_t)n, sizeof *slots)) != NULL) {
        for (int i = 0; i < n; i++)
            items[i].cache = &slots[i];
        hash_cache_lookup(cfg->cache, &cfg->check, items, n);
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < n; i++)
        scan_check_item(m, cfg, &items[i]);
    if (slots)
        hash_cache_store(cfg->cache, &cfg->check, items, n);
    for (int i = 0; i < n; i++) {
        scan_report(m, cfg, &items[i], t);
        free((char *)items[i].path);
        items[i].path = NULL;
        items[i].cache = NULL;
    }
    free(slots);
}

scan_category scan_print_walk_problem(FILE *out, const scan_config *cfg, const char *path,
                                      walk_kind kind, const char *reason, const char *code)
{
    item_result r = {.path = path, .failed = 1, .status = LM_E_IO};
    if (kind == WALK_SKIPPED) {
        if (cfg->json) {
            fputc('{', out);
            json_name(out, "path", path);
            fputs(",\"verdict\":\"skipped\",\"code\":", out);
            json_string(out, code);
            fputs(",\"reason\":", out);
            json_string(out, reason);
            fputs("}\n", out);
        } else {
            fputs("SKIPPED   ", out);
            text_name(out, path);
            fputs(": ", out);
            text_name(out, reason);
            fputc('\n', out);
        }
        return CAT_SKIPPED;
    }
    snprintf(r.error, sizeof r.error, "%s", reason);
    if (code && *code)
        r.code = code;
    if (cfg->json)
        print_item_json(out, NULL, &r);
    else
        print_item_text(out, NULL, &r, 0);
    return CAT_ERROR;
}

typedef struct walk_problem_args {
    const scan_config *cfg;
    const char *path, *reason, *code;
    walk_kind kind;
} walk_problem_args;

static void print_walk_problem_cb(FILE *out, const void *arg)
{
    const walk_problem_args *a = arg;
    scan_print_walk_problem(out, a->cfg, a->path, a->kind, a->reason, a->code);
}

void scan_report_walk_problem(const scan_config *cfg, uint64_t seq, const char *path,
                              walk_kind kind, const char *reason, const char *code,
                              scan_totals *t)
{
    t->counts[kind == WALK_SKIPPED ? CAT_SKIPPED : CAT_ERROR]++;
    walk_problem_args a = {cfg, path, reason, code, kind};
    emit_record(cfg, seq, t, print_walk_problem_cb, &a);
}
