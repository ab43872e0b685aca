/* Counting and printing pmatch scan's records, the summary, the exit code (see scan_report.h). */
#include "scan_report.h"

#include <stdlib.h>
#include <string.h>

#include "hash_cache.h"
#include "commands.h"
#include "json.h"

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

void scan_report_record(const lm_matcher *m, const scan_config *cfg, const item_result *r,
                        scan_totals *t)
{
    if (!r->failed && !r->archive_record) {
        if (r->cache && r->cache->hit)
            t->cache_hits++;
        else
            t->decoded++;
    }
    t->counts[scan_category_of(r)]++;
    t->db_errors += r->failed && r->status == LM_E_DB;
    item_print_args a = {m, cfg, r};
    emit_record(cfg, r->seq, t, print_item_cb, &a);
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

void scan_print_summary(FILE *err, const char *who, const uint64_t counts[CAT_COUNT], double secs,
                        const char *label)
{
    uint64_t files = 0;
    for (int c = 0; c < CAT_COUNT; c++)
        files += c == CAT_SKIPPED ? 0 : counts[c];
    fprintf(err, "%s: %llu files", who, (unsigned long long)files);
    if (secs >= 0)
        fprintf(err, " in %.2f s", secs);
    fprintf(err,
            ": %llu matched, %llu no match, %llu low quality, %llu not images, %llu errors, "
            "%llu skipped, %llu suppressed%s\n",
            (unsigned long long)counts[CAT_MATCH], (unsigned long long)counts[CAT_NO_MATCH],
            (unsigned long long)counts[CAT_LOW_QUALITY], (unsigned long long)counts[CAT_NOT_IMAGE],
            (unsigned long long)counts[CAT_ERROR], (unsigned long long)counts[CAT_SKIPPED],
            (unsigned long long)counts[CAT_SUPPRESSED], label);
}

int scan_exit_code(const uint64_t counts[CAT_COUNT])
{
    if (counts[CAT_MATCH])
        return PMATCH_EXIT_MATCH;
    return counts[CAT_ERROR] ? PMATCH_EXIT_ERROR : PMATCH_EXIT_OK;
}
