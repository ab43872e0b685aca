/* pmatch scan: hash files and directory trees and match them against the hash list. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "file_read.h"
#include "json.h"
#include "libmatch.h"
#include "progress.h"
#include "verdict.h"
#include "walk.h"

#define SCAN_BATCH 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pmatch scan [OPTIONS] PATH...     ('-' reads one input from standard input)\n"
            "\n"
            "Hashes every file under the given paths (PDQ for images, MD5/SHA-1/SHA-256 for\n"
            "all files) and matches them against the hash list. Prints one verdict per file\n"
            "and a summary on stderr.\n"
            "  --db PATH           hash list (default: $PMATCH_DB, else\n"
            "                      $XDG_DATA_HOME/pmatch/hashes.lmdb or ~/.local/share/pmatch/hashes.lmdb)\n"
            "  --distance N        PDQ match distance, 0-256 (default 31)\n"
            "  --min-quality N     do not match PDQ hashes of quality below N (default 50)\n"
            "  --no-dihedral       do not match rotated and mirrored copies (matched by default)\n"
            "  --no-trim           do not also match the content inside uniform borders and\n"
            "                      letterbox bands (matched by default)\n"
            "  --video-sampling M  videos (sniffed): keyframes (default), all, or\n"
            "                      interval:SECONDS; every sampled frame is matched against the list\n"
            "  --exact             decode exactly as Meta's reference (default: fast JPEG\n"
            "                      decoding, within a few bits of it)\n"
            "  --jobs N            files hashed in parallel (default: all cores)\n"
            "  --json              JSON Lines output\n"
            "  --quiet             no progress display\n"
            "  --follow-symlinks   follow symbolic links inside directories (loops are detected)\n"
            "  --max-depth N       maximum directory nesting (default 64)\n"
            "  --max-bytes N       skip files larger than N bytes (default 256 MiB)\n"
            "  --max-pixels N      refuse images declaring more than N pixels (default 100 M)\n"
            "Exit status: 1 something matched; otherwise 2 if some input could not be read or\n"
            "the list could not be opened; 0 nothing matched.\n");
}

typedef struct scan_config {
    lm_check_options check;
    int jobs, json, quiet;
    walk_options walk;
} scan_config;

typedef struct scan_totals {
    uint64_t files, matched, low_quality, not_image, failed, skipped;
} scan_totals;

static void check_one(const lm_matcher *m, const scan_config *cfg, item_result *r)
{
    lm_errbuf err = {{0}};
    uint8_t *data = NULL;
    size_t len = 0;
    const char *path = strcmp(r->path, "-") == 0 ? "/dev/stdin" : r->path;
    uint64_t max_bytes = cfg->check.max_bytes ? cfg->check.max_bytes : 256u << 20;
    lm_status st = lm_read_file(path, max_bytes, &data, &len, &err);
    if (st == LM_OK) {
        r->size = len;
        st = lm_check(m, data, len, &cfg->check, &r->check);
        free(data);
        if (st != LM_OK)
            snprintf(err.msg, sizeof err.msg, "%s", r->check.detail);
    }
    if (st != LM_OK) {
        r->failed = 1;
        r->status = st;
        snprintf(r->error, sizeof r->error, "%s%s%s", lm_strerror(st), err.msg[0] ? ": " : "",
                 err.msg);
    }
}

static void report(const lm_matcher *m, const scan_config *cfg, const item_result *r,
                   scan_totals *t)
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
    if (cfg->json)
        print_item_json(stdout, m, r);
    else
        print_item_text(stdout, m, r, cfg->check.min_quality);
}

/* Check a batch in parallel, then report in walk order so output is deterministic. */
static void run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                      scan_totals *t)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < n; i++)
        check_one(m, cfg, &items[i]);
    for (int i = 0; i < n; i++) {
        report(m, cfg, &items[i], t);
        free((char *)items[i].path);
    }
    fflush(stdout);
}

static void report_walk_problem(const scan_config *cfg, const char *path, walk_kind kind,
                                const char *reason, const char *code, scan_totals *t)
{
    item_result r = {.path = path, .failed = 1, .status = LM_E_IO};
    if (kind == WALK_SKIPPED) {
        t->skipped++;
        if (cfg->json) {
            fputs("{\"path\":", stdout);
            json_string(stdout, path);
            fputs(",\"verdict\":\"skipped\",\"code\":", stdout);
            json_string(stdout, code);
            fputs(",\"reason\":", stdout);
            json_string(stdout, reason);
            fputs("}\n", stdout);
        } else {
            printf("SKIPPED   %s: %s\n", path, reason);
        }
        return;
    }
    snprintf(r.error, sizeof r.error, "%s", reason);
    t->files++;
    t->failed++;
    if (cfg->json)
        print_item_json(stdout, NULL, &r);
    else
        print_item_text(stdout, NULL, &r, 0);
}

int cmd_scan(int argc, char **argv)
{
    enum { O_DB = 256, O_DIST, O_MINQ, O_DIH, O_JOBS, O_JSON, O_QUIET, O_FOLLOW, O_DEPTH,
           O_MAXB, O_MAXP, O_EXACT, O_SAMPLING, O_NODIH, O_NOTRIM };
    static const struct option options[] = {
        {"db", required_argument, NULL, O_DB},
        {"distance", required_argument, NULL, O_DIST},
        {"min-quality", required_argument, NULL, O_MINQ},
        {"dihedral", no_argument, NULL, O_DIH}, /* the default now; kept for scripts */
        {"no-dihedral", no_argument, NULL, O_NODIH},
        {"no-trim", no_argument, NULL, O_NOTRIM},
        {"jobs", required_argument, NULL, O_JOBS},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"follow-symlinks", no_argument, NULL, O_FOLLOW},
        {"max-depth", required_argument, NULL, O_DEPTH},
        {"max-bytes", required_argument, NULL, O_MAXB},
        {"max-pixels", required_argument, NULL, O_MAXP},
        {"exact", no_argument, NULL, O_EXACT},
        {"video-sampling", required_argument, NULL, O_SAMPLING},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    scan_config cfg = {.jobs = 0};
    lm_check_options_init(&cfg.check);
    const char *db_flag = NULL;
    int64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hj:", options, NULL)) != -1) {
        switch (c) {
        case O_DB: db_flag = optarg; break;
        case O_DIST:
            if (parse_int_arg("--distance", optarg, 0, 256, &v))
                return PMATCH_EXIT_ERROR;
            cfg.check.max_distance = (int)v;
            break;
        case O_MINQ:
            if (parse_int_arg("--min-quality", optarg, 0, 101, &v))
                return PMATCH_EXIT_ERROR;
            cfg.check.min_quality = (int)v;
            break;
        case O_DIH: cfg.check.dihedral = 1; break;
        case O_NODIH: cfg.check.dihedral = 0; break;
        case O_NOTRIM: cfg.check.trim_borders = 0; break;
        case O_EXACT: cfg.check.exact = 1; break;
        case O_SAMPLING:
            if (parse_sampling(optarg, &cfg.check.video_sampling, &cfg.check.video_interval_ms))
                return PMATCH_EXIT_ERROR;
            break;
        case 'j':
        case O_JOBS:
            if (parse_int_arg("--jobs", optarg, 1, 1024, &v))
                return PMATCH_EXIT_ERROR;
            cfg.jobs = (int)v;
            break;
        case O_JSON: cfg.json = 1; break;
        case O_QUIET: cfg.quiet = 1; break;
        case O_FOLLOW: cfg.walk.follow_symlinks = 1; break;
        case O_DEPTH:
            if (parse_int_arg("--max-depth", optarg, 1, 4096, &v))
                return PMATCH_EXIT_ERROR;
            cfg.walk.max_depth = (int)v;
            break;
        case O_MAXB:
            if (parse_int_arg("--max-bytes", optarg, 1, INT64_MAX, &v))
                return PMATCH_EXIT_ERROR;
            cfg.check.max_bytes = (uint64_t)v;
            break;
        case O_MAXP:
            if (parse_int_arg("--max-pixels", optarg, 1, INT64_MAX, &v))
                return PMATCH_EXIT_ERROR;
            cfg.check.max_pixels = (uint64_t)v;
            break;
        case 'h': usage(stdout); return PMATCH_EXIT_OK;
        default: usage(stderr); return PMATCH_EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }
    if (cfg.jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.jobs = n > 0 ? (int)n : 1;
    }

    char *db_path = pmatch_default_db_path(db_flag);
    if (!db_path) {
        fprintf(stderr, "pmatch scan: no hash list: give --db PATH or set PMATCH_DB\n");
        return PMATCH_EXIT_ERROR;
    }
    lm_matcher *m = NULL;
    char errbuf[256] = "";
    lm_status st = lm_matcher_open(db_path, &m, errbuf, sizeof errbuf);
    if (st != LM_OK) {
        fprintf(stderr, "pmatch scan: cannot open hash list %s: %s%s%s\n", db_path,
                lm_strerror(st), errbuf[0] ? ": " : "", errbuf);
        free(db_path);
        return PMATCH_EXIT_ERROR;
    }

    progress prog;
    progress_init(&prog, !cfg.quiet);
    scan_totals t = {0};
    item_result *items = calloc(SCAN_BATCH, sizeof *items);
    walk *w = walk_open(argv + optind, argc - optind, &cfg.walk);
    int oom = !items || !w;
    int n = 0;
    const char *path;
    walk_kind kind;
    const char *reason;
    while (!oom && walk_next(w, &path, &kind, &reason)) {
        if (kind != WALK_FILE && strcmp(path, "-") != 0) {
            run_batch(m, &cfg, items, n, &t); /* keep output in walk order */
            n = 0;
            report_walk_problem(&cfg, path, kind, reason, walk_last_code(w), &t);
            continue;
        }
        memset(&items[n], 0, sizeof items[n]);
        if (!(items[n].path = strdup(path))) {
            oom = 1;
            break;
        }
        if (++n == SCAN_BATCH) {
            run_batch(m, &cfg, items, n, &t);
            n = 0;
            progress_update(&prog, t.files, t.matched, t.failed);
        }
    }
    if (!oom)
        run_batch(m, &cfg, items, n, &t);
    progress_finish(&prog);
    walk_close(w);
    free(items);
    double secs = progress_now() - prog.start;
    fprintf(stderr,
            "pmatch scan: %llu files in %.2f s: %llu matched, %llu no match, %llu low quality, "
            "%llu not images, %llu errors, %llu skipped\n",
            (unsigned long long)t.files, secs, (unsigned long long)t.matched,
            (unsigned long long)(t.files - t.matched - t.low_quality - t.not_image - t.failed),
            (unsigned long long)t.low_quality, (unsigned long long)t.not_image,
            (unsigned long long)t.failed, (unsigned long long)t.skipped);
    lm_matcher_close(m);
    free(db_path);
    if (oom) {
        fprintf(stderr, "pmatch scan: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    if (t.matched)
        return PMATCH_EXIT_MATCH;
    return t.failed ? PMATCH_EXIT_ERROR : PMATCH_EXIT_OK;
}
