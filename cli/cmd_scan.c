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
#include "list_refresh.h"
#include "progress.h"
#include "scan_item.h"
#include "scan_mpi.h"
#include "shard.h"
#include "scan_urls.h"
#include "verdict.h"
#include "walk.h"

#define SCAN_BATCH 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pmatch scan [OPTIONS] PATH|URL... ('-' reads one input from standard input)\n"
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
            "  --refresh-seconds N pick up hash-list changes every N seconds while scanning\n"
            "                      (additions; removals and disables apply at once anyway)\n"
            "Hit counters of matched entries are saved to the list at the end (see\n"
            "'pmatch db hits'); a read-only list is matched, with a warning.\n"
            "  --shard K/N         scan only shard K of N (1-based; by a stable hash of the\n"
            "                      path); with --json, ends with a summary for 'pmatch merge'\n"
            "  --mpi               share the work among MPI ranks: mpirun -n N pmatch scan --mpi\n"
            "                      (rank 0 walks and prints; --jobs defaults to 1 per rank)\n"
            "Exit status: 1 something matched; otherwise 2 if some input could not be read or\n"
            "the list could not be opened; 0 nothing matched.\n");
    scan_urls_usage(out);
}

typedef struct scan_totals {
    uint64_t counts[CAT_COUNT];
    uint64_t records; /* records printed (a shard's count) */
    int oom;
} scan_totals;

void scan_check_item(const lm_matcher *m, const scan_config *cfg, item_result *r)
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
        print(stdout, arg);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem) {
        print(mem, arg);
        if (fclose(mem) == 0 && len > 1 && buf[0] == '{') {
            printf("{\"seq\":%llu,", (unsigned long long)seq);
            fwrite(buf + 1, 1, len - 1, stdout);
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

static void report(const lm_matcher *m, const scan_config *cfg, const item_result *r,
                   scan_totals *t)
{
    t->counts[scan_category_of(r)]++;
    item_print_args a = {m, cfg, r};
    emit_record(cfg, r->seq, t, print_item_cb, &a);
}

/* Check a batch in parallel, then report in walk order so output is deterministic. */
static void run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                      scan_totals *t)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < n; i++)
        scan_check_item(m, cfg, &items[i]);
    for (int i = 0; i < n; i++) {
        report(m, cfg, &items[i], t);
        free((char *)items[i].path);
    }
    fflush(stdout);
}

scan_category scan_print_walk_problem(FILE *out, const scan_config *cfg, const char *path,
                                      walk_kind kind, const char *reason, const char *code)
{
    item_result r = {.path = path, .failed = 1, .status = LM_E_IO};
    if (kind == WALK_SKIPPED) {
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
        return CAT_SKIPPED;
    }
    snprintf(r.error, sizeof r.error, "%s", reason);
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

static void report_walk_problem(const scan_config *cfg, uint64_t seq, const char *path,
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

uint64_t scan_fingerprint(const scan_config *cfg, char **roots, int nroots)
{
    uint64_t h = SHARD_FNV_INIT;
    for (int i = 0; i < nroots; i++)
        h = shard_fnv(h, roots[i], strlen(roots[i]) + 1);
    const lm_check_options *o = &cfg->check;
    char opts[256];
    int n = snprintf(opts, sizeof opts, "d%d q%d h%d x%d v%d i%d b%llu p%llu f%d m%d j%d",
                     o->max_distance, o->min_quality, o->dihedral, o->exact, o->video_sampling,
                     o->video_interval_ms, (unsigned long long)o->max_bytes,
                     (unsigned long long)o->max_pixels, cfg->walk.follow_symlinks,
                     cfg->walk.max_depth, cfg->json);
    return shard_fnv(h, opts, n > 0 ? (size_t)n : 0);
}

/* The last record of a shard's output: JSON for pmatch merge, or a comment line in text mode. */
static void print_shard_summary(const scan_config *cfg, const scan_totals *t, uint64_t walk_items,
                                uint64_t scan_id)
{
    shard_summary s = {.shard = cfg->shard, .walk_items = walk_items, .records = t->records,
                       .scan_id = scan_id};
    memcpy(s.counts, t->counts, sizeof s.counts);
    if (cfg->json) {
        shard_print_summary_json(stdout, &s);
    } else {
        char who[64];
        snprintf(who, sizeof who, "# shard %u/%u complete", cfg->shard.index, cfg->shard.count);
        scan_print_summary(stdout, who, t->counts, -1, "");
    }
}

/* '-' (standard input) exists on one machine only: it cannot be sharded or shared out. */
static int scan_refuse_stdin(const scan_config *cfg, char **roots, int nroots)
{
    for (int i = 0; i < nroots; i++)
        if (strcmp(roots[i], "-") == 0) {
            fprintf(stderr, "pmatch scan: '-' (standard input) cannot be used with %s\n",
                    cfg->mpi ? "--mpi" : "--shard");
            return -1;
        }
    return 0;
}

int cmd_scan(int argc, char **argv)
{
    enum { O_DB = 256, O_DIST, O_MINQ, O_DIH, O_JOBS, O_JSON, O_QUIET, O_FOLLOW, O_DEPTH,
           O_MAXB, O_MAXP, O_EXACT, O_SAMPLING, O_REFRESH, O_SHARD, O_MPI, O_NODIH,
           O_NOTRIM };
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
        {"refresh-seconds", required_argument, NULL, O_REFRESH},
        {"shard", required_argument, NULL, O_SHARD},
        {"mpi", no_argument, NULL, O_MPI},
        {"help", no_argument, NULL, 'h'},
        SCAN_URL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    scan_config cfg = {.jobs = 0};
    lm_check_options_init(&cfg.check);
    scan_url_config url_cfg;
    scan_urls_config_init(&url_cfg);
    const char *db_flag = NULL;
    int64_t v, refresh_seconds = 0;
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
        case O_REFRESH:
            if (parse_int_arg("--refresh-seconds", optarg, 1, 86400 * 365, &refresh_seconds))
                return PMATCH_EXIT_ERROR;
            break;
        case O_SHARD:
            if (shard_parse(optarg, &cfg.shard)) {
                fprintf(stderr, "pmatch scan: --shard: expected K/N with 1 <= K <= N <= %u, got '%s'\n",
                        SHARD_MAX_COUNT, optarg);
                return PMATCH_EXIT_ERROR;
            }
            break;
        case O_MPI: cfg.mpi = 1; break;
        case 'h': usage(stdout); return PMATCH_EXIT_OK;
        default:
            if (c >= SCAN_URL_OPT_FIRST && c <= SCAN_URL_OPT_LAST) {
                if (scan_urls_option(&url_cfg, c, optarg))
                    return PMATCH_EXIT_ERROR;
                break;
            }
            usage(stderr);
            return PMATCH_EXIT_ERROR;
        }
    }
    /* URLs go to the URL scanner (scan_urls.c), paths to the walk below; order kept. */
    char **urls = calloc((size_t)(argc - optind) + 1, sizeof *urls);
    char **paths = calloc((size_t)(argc - optind) + 1, sizeof *paths);
    int nurls = 0, npaths = 0;
    if (!urls || !paths) {
        free(urls);
        free(paths);
        fprintf(stderr, "pmatch scan: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    for (int i = optind; i < argc; i++) {
        if (scan_is_url(argv[i]))
            urls[nurls++] = argv[i];
        else
            paths[npaths++] = argv[i];
    }
    if (optind >= argc && !url_cfg.url_list) {
        usage(stderr);
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }
    if ((cfg.shard.count || cfg.mpi) && (nurls > 0 || url_cfg.url_list)) {
        fprintf(stderr, "pmatch scan: URLs cannot be scanned with --shard or --mpi\n");
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }
    if (cfg.shard.count && cfg.mpi) {
        fprintf(stderr, "pmatch scan: --shard and --mpi cannot be combined: choose one\n");
        return PMATCH_EXIT_ERROR;
    }
    if ((cfg.shard.count || cfg.mpi) && scan_refuse_stdin(&cfg, argv + optind, argc - optind))
        return PMATCH_EXIT_ERROR;
    if (cfg.mpi)
        return scan_mpi_main(&cfg, db_flag, argv + optind, argc - optind);
    if (cfg.jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.jobs = n > 0 ? (int)n : 1;
    }

    char *db_path = pmatch_default_db_path(db_flag);
    if (!db_path) {
        fprintf(stderr, "pmatch scan: no hash list: give --db PATH or set PMATCH_DB\n");
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }
    lm_matcher *m = NULL;
    char errbuf[256] = "";
    lm_status st = lm_matcher_open_with(db_path, LM_MATCHER_WRITABLE, &m, errbuf, sizeof errbuf);
    if (st != LM_OK) {
        fprintf(stderr, "pmatch scan: cannot open hash list %s: %s%s%s\n", db_path,
                lm_strerror(st), errbuf[0] ? ": " : "", errbuf);
        free(db_path);
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }

    progress prog;
    progress_init(&prog, !cfg.quiet);
    scan_totals t = {0};
    list_refresh lr;
    list_refresh_init(&lr, (double)refresh_seconds, "pmatch scan");
    item_result *items = calloc(SCAN_BATCH, sizeof *items);
    walk *w = walk_open(paths, npaths, &cfg.walk);
    int oom = !items || !w;
    int n = 0;
    uint64_t seq = 0; /* index in the full walk: every shard numbers items alike */
    const char *path;
    walk_kind kind;
    const char *reason;
    while (!oom && !t.oom && walk_next(w, &path, &kind, &reason)) {
        uint64_t item_seq = seq++;
        /* Shard mode: skip other shards' items; the rest keep their order. */
        if (cfg.shard.count && shard_of(path, cfg.shard.count) != cfg.shard.index)
            continue;
        if (kind != WALK_FILE && strcmp(path, "-") != 0) {
            run_batch(m, &cfg, items, n, &t); /* keep output in walk order */
            n = 0;
            report_walk_problem(&cfg, item_seq, path, kind, reason, walk_last_code(w), &t);
            continue;
        }
        memset(&items[n], 0, sizeof items[n]);
        items[n].seq = item_seq;
        if (!(items[n].path = strdup(path))) {
            oom = 1;
            break;
        }
        if (++n == SCAN_BATCH) {
            run_batch(m, &cfg, items, n, &t);
            n = 0;
            progress_update(&prog, t.records, t.counts[CAT_MATCH], t.counts[CAT_ERROR]);
            list_refresh_tick(&lr, m);
        }
    }
    if (!oom)
        run_batch(m, &cfg, items, n, &t);
    progress_finish(&prog);
    walk_close(w);
    free(items);
    double secs = progress_now() - prog.start;
    oom |= t.oom;
    char label[64] = "";
    if (cfg.shard.count) {
        snprintf(label, sizeof label, " (shard %u/%u)", cfg.shard.index, cfg.shard.count);
        /* Written only by a shard that finished: pmatch merge refuses a shard without it. */
        if (!oom)
            print_shard_summary(&cfg, &t, seq, scan_fingerprint(&cfg, argv + optind, argc - optind));
    }
    fflush(stdout);
    if (npaths > 0)
        scan_print_summary(stderr, "pmatch scan", t.counts, secs, label);
    scan_url_totals ut = {0};
    if (!oom && (nurls > 0 || url_cfg.url_list) &&
        scan_urls(m, &cfg.check, cfg.json, cfg.quiet, cfg.jobs, &url_cfg, urls, (size_t)nurls,
                  &ut) != 0)
        ut.failed++;
    t.counts[CAT_MATCH] += ut.matched;
    t.counts[CAT_ERROR] += ut.failed;
    free(urls);
    free(paths);
    list_flush_hits(m, "pmatch scan",
                    (unsigned long long)(t.counts[CAT_MATCH] + t.counts[CAT_SUPPRESSED]));
    lm_matcher_close(m);
    free(db_path);
    if (oom) {
        fprintf(stderr, "pmatch scan: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    return scan_exit_code(t.counts);
}
