/* The per-item pipeline of pmatch scan: read, check, report (see scan_pipeline.h). */
#include "scan_pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "file_read.h"
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

void scan_check_bytes(const lm_matcher *m, const scan_config *cfg, const uint8_t *data,
                      size_t len, item_result *r)
{
    r->size = len;
    lm_status st = lm_check(m, data, len, &cfg->check, &r->check);
    if (st != LM_OK) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s", r->check.detail);
        set_failed(r, st, detail);
    }
}

void scan_check_file(const lm_matcher *m, const scan_config *cfg, item_result *r)
{
    lm_errbuf err = {{0}};
    uint8_t *data = NULL;
    size_t len = 0;
    const char *path = strcmp(r->path, "-") == 0 ? "/dev/stdin" : r->path;
    lm_status st = lm_read_file(path, scan_max_bytes(cfg), &data, &len, &err);
    if (st != LM_OK) {
        set_failed(r, st, err.msg);
        return;
    }
    scan_check_bytes(m, cfg, data, len, r);
    free(data);
}

static void count(const item_result *r, scan_totals *t)
{
    t->files++;
    if (r->failed)
        t->failed++;
    else if (r->check.verdict == LM_VERDICT_MATCH)
        t->matched++;
    else if (r->check.verdict == LM_VERDICT_LOW_QUALITY)
        t->low_quality++;
    else if (r->check.verdict == LM_VERDICT_NOT_IMAGE)
        t->not_image++;
}

void scan_report(const lm_matcher *m, const scan_config *cfg, item_result *r, scan_totals *t)
{
    count(r, t);
    if (cfg->json)
        print_item_json(cfg->out, m, r);
    else
        print_item_text(cfg->out, m, r, cfg->check.min_quality);
}

void scan_run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                    scan_totals *t)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < n; i++)
        scan_check_file(m, cfg, &items[i]);
    for (int i = 0; i < n; i++) {
        scan_report(m, cfg, &items[i], t);
        free((char *)items[i].path);
        items[i].path = NULL;
    }
}

void scan_report_walk_problem(const scan_config *cfg, const char *path, walk_kind kind,
                              const char *reason, const char *code, scan_totals *t)
{
    FILE *out = cfg->out;
    if (kind == WALK_SKIPPED) {
        t->skipped++;
        if (cfg->json) {
            fputs("{\"path\":", out);
            json_string(out, path);
            fputs(",\"verdict\":\"skipped\",\"code\":", out);
            json_string(out, code);
            fputs(",\"reason\":", out);
            json_string(out, reason);
            fputs("}\n", out);
        } else {
            fprintf(out, "SKIPPED   %s: %s\n", path, reason);
        }
        return;
    }
    item_result r = {.path = path, .failed = 1, .status = LM_E_IO};
    snprintf(r.error, sizeof r.error, "%s", reason);
    count(&r, t);
    if (cfg->json)
        print_item_json(out, NULL, &r);
    else
        print_item_text(out, NULL, &r, 0);
}
