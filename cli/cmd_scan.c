/* pmatch scan: hash files and directory trees and match them against the hash list. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "checkpoint.h"
#include "commands.h"
#include "hash_cache.h"
#include "libmatch.h"
#include "list_refresh.h"
#include "progress.h"
#include "scan_item.h"
#include "scan_mpi.h"
#include "shard.h"
#include "scan_urls.h"
#include "verdict.h"
#include "walk.h"
#include "walk_count.h"

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
            "  --no-regions        do not also match pictures found inside the image (caption\n"
            "                      bands, UI frames, collages, insets; matched by default)\n"
            "  --no-features       do not match local features against entries added from\n"
            "                      images, when no hash matched (matched by default)\n"
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
            "  --output FILE       write results to FILE instead of standard output\n"
            "  --checkpoint FILE   record progress in FILE after each batch (needs --output); run\n"
            "                      the same command again after a kill to continue where it stopped\n"
            "  --hash-cache DIR    LMDB cache of each file's hashes (keyed by path, size, mtime,\n"
            "                      SHA-256): a re-scan only re-matches unchanged files\n"
            "                      (--checkpoint and --hash-cache: not with --shard or --mpi yet)\n"
            "  --no-archives       check tar/zip archives as plain files instead of member by member\n"
            "  --archive-max-members N  members per archive (default 100000)\n"
            "  --archive-max-total N    uncompressed bytes per archive (default 16 GiB)\n"
            "  --archive-max-depth N    levels of archives inside archives expanded (default 3;\n"
            "                           1: members that are archives are checked as files)\n"
            "Archives (tar, tar.gz/bz2/xz/zst, zip; sniffed) are scanned member by member in\n"
            "memory, shown as ARCHIVE!MEMBER (nested: A!B!MEMBER); each archive's own record,\n"
            "its digests matched like any file's, follows its members.\n"
            "With --shard or --mpi, archives are checked as plain files (as --no-archives).\n"
            "Exit status: 1 something matched; otherwise 2 if some input could not be read or\n"
            "the list could not be opened; 0 nothing matched.\n");
    scan_urls_usage(out);
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
        shard_print_summary_json(cfg->out, &s);
    } else {
        char who[64];
        snprintf(who, sizeof who, "# shard %u/%u complete", cfg->shard.index, cfg->shard.count);
        scan_print_summary(cfg->out, who, t->counts, -1, "");
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

/*
 * After a batch: make the results durable, then record how far they go. A kill
 * between the two only repeats the batch (the output is cut back on resume).
 * Returns 0, or 1 when something could not be written.
 */
static int scan_checkpoint(const scan_config *cfg, const char *file, checkpoint *cp,
                           uint64_t items_done, int root, const char *rel, const scan_totals *t)
{
    if (fflush(cfg->out) != 0 || fsync(fileno(cfg->out)) != 0)
        return 1;
    off_t off = ftello(cfg->out);
    if (off < 0)
        return 1;
    cp->offset = (uint64_t)off;
    cp->items = items_done;
    cp->root = root;
    snprintf(cp->path, sizeof cp->path, "%s", rel);
    cp->totals = *t;
    char err[512];
    if (checkpoint_save(file, cp, err, sizeof err) != 0) {
        fprintf(stderr, "pmatch scan: checkpoint: %s\n", err);
        return 1;
    }
    return 0;
}

/* --output, and resuming from --checkpoint (the output is cut back to it). 0, or -1 (said why). */
static int scan_open_output(scan_config *cfg, const char *output, const char *ckpt_file,
                            const char *db_path, char **roots, int nroots, checkpoint *cp,
                            int *resumed)
{
    *resumed = 0;
    if (ckpt_file) {
        char cerr[512] = "";
        *resumed = checkpoint_load(ckpt_file, cp, cerr, sizeof cerr);
        uint64_t fp = checkpoint_fingerprint(cfg, db_path, roots, nroots);
        if (*resumed < 0) {
            fprintf(stderr, "pmatch scan: cannot resume: %s\n", cerr);
            return -1;
        }
        if (*resumed && cp->fingerprint != fp) {
            fprintf(stderr, "pmatch scan: cannot resume: checkpoint %s was made by a scan with "
                            "other options, list or paths (remove it to start again)\n",
                    ckpt_file);
            return -1;
        }
        if (!*resumed) {
            memset(cp, 0, sizeof *cp);
            cp->root = -1;
        }
        cp->fingerprint = fp;
    }
    if (!output)
        return 0;
    int fd = open(output, O_WRONLY | O_CREAT | O_CLOEXEC | (*resumed ? 0 : O_TRUNC), 0644);
    struct stat ost;
    if (fd >= 0 && *resumed &&
        (fstat(fd, &ost) != 0 || (uint64_t)ost.st_size < cp->offset ||
         ftruncate(fd, (off_t)cp->offset) != 0 || lseek(fd, 0, SEEK_END) < 0)) {
        fprintf(stderr, "pmatch scan: cannot resume: %s is shorter than its checkpoint says "
                        "or cannot be truncated\n", output);
        close(fd);
        return -1;
    }
    if (fd < 0 || !(cfg->out = fdopen(fd, "w"))) {
        fprintf(stderr, "pmatch scan: %s: %s\n", output, strerror(errno));
        if (fd >= 0)
            close(fd);
        cfg->out = stdout;
        return -1;
    }
    return 0;
}

int cmd_scan(int argc, char **argv)
{
    enum { O_DB = 256, O_DIST, O_MINQ, O_DIH, O_JOBS, O_JSON, O_QUIET, O_FOLLOW, O_DEPTH,
           O_MAXB, O_MAXP, O_EXACT, O_SAMPLING, O_REFRESH, O_SHARD, O_MPI, O_OUTPUT,
           O_CHECKPOINT, O_CACHE, O_NOARCH, O_AMEMBERS, O_ATOTAL, O_NODIH, O_NOTRIM,
           O_NOFEAT, O_ADEPTH, O_NOREGIONS };
    static const struct option options[] = {
        {"db", required_argument, NULL, O_DB},
        {"distance", required_argument, NULL, O_DIST},
        {"min-quality", required_argument, NULL, O_MINQ},
        {"dihedral", no_argument, NULL, O_DIH}, /* the default now; kept for scripts */
        {"no-dihedral", no_argument, NULL, O_NODIH},
        {"no-trim", no_argument, NULL, O_NOTRIM},
        {"no-regions", no_argument, NULL, O_NOREGIONS},
        {"no-features", no_argument, NULL, O_NOFEAT},
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
        {"output", required_argument, NULL, O_OUTPUT},
        {"checkpoint", required_argument, NULL, O_CHECKPOINT},
        {"hash-cache", required_argument, NULL, O_CACHE},
        {"no-archives", no_argument, NULL, O_NOARCH},
        {"archive-max-members", required_argument, NULL, O_AMEMBERS},
        {"archive-max-total", required_argument, NULL, O_ATOTAL},
        {"archive-max-depth", required_argument, NULL, O_ADEPTH},
        {"help", no_argument, NULL, 'h'},
        SCAN_URL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    scan_config cfg = {.jobs = 0, .out = stdout};
    lm_check_options_init(&cfg.check);
    scan_url_config url_cfg;
    scan_urls_config_init(&url_cfg);
    const char *db_flag = NULL, *output = NULL, *ckpt_file = NULL, *cache_dir = NULL;
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
        case O_NOREGIONS: cfg.check.regions = 0; break;
        case O_NOFEAT: cfg.check.features = 0; break;
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
        case O_OUTPUT: output = optarg; break;
        case O_CHECKPOINT: ckpt_file = optarg; break;
        case O_CACHE: cache_dir = optarg; break;
        case O_NOARCH: cfg.no_archives = 1; break;
        case O_AMEMBERS:
            if (parse_int_arg("--archive-max-members", optarg, 1, INT64_MAX, &v))
                return PMATCH_EXIT_ERROR;
            cfg.archive_max_members = (uint64_t)v;
            break;
        case O_ATOTAL:
            if (parse_int_arg("--archive-max-total", optarg, 1, INT64_MAX, &v))
                return PMATCH_EXIT_ERROR;
            cfg.archive_max_total = (uint64_t)v;
            break;
        case O_ADEPTH:
            if (parse_int_arg("--archive-max-depth", optarg, 1, 16, &v))
                return PMATCH_EXIT_ERROR;
            cfg.archive_max_depth = (int)v;
            break;
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
    if (optind >= argc && !url_cfg.url_list) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
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
    const char *refused = NULL;
    if ((cfg.shard.count || cfg.mpi) && (nurls > 0 || url_cfg.url_list))
        refused = "URLs cannot be scanned with --shard or --mpi";
    else if (cfg.shard.count && cfg.mpi)
        refused = "--shard and --mpi cannot be combined: choose one";
    else if ((cfg.shard.count || cfg.mpi) && (ckpt_file || cache_dir))
        refused = "--checkpoint and --hash-cache are not supported with --shard or --mpi yet "
                  "(each shard is rerun whole; run without them)";
    else if (ckpt_file && !output)
        refused = "--checkpoint needs --output FILE (results must be in a file to be resumed "
                  "exactly once)";
    else if (output && (nurls > 0 || url_cfg.url_list))
        refused = "--output is for paths only: URL records go to standard output "
                  "(or --evidence FILE)";
    else if (output && cfg.mpi)
        refused = "--output cannot be used with --mpi (rank 0 prints to standard output)";
    for (int i = 0; !refused && ckpt_file && i < npaths; i++)
        if (strcmp(paths[i], "-") == 0)
            refused = "--checkpoint cannot resume standard input";
    if (refused) {
        fprintf(stderr, "pmatch scan: %s\n", refused);
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }
    if ((cfg.shard.count || cfg.mpi) && scan_refuse_stdin(&cfg, argv + optind, argc - optind)) {
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }
    /* Archive members have no place of their own in the walk numbering shards and ranks share. */
    if (cfg.shard.count || cfg.mpi)
        cfg.no_archives = 1;
    if (cfg.mpi) {
        free(urls);
        free(paths);
        return scan_mpi_main(&cfg, db_flag, argv + optind, argc - optind);
    }
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
    checkpoint cp;
    int resumed = 0;
    if (scan_open_output(&cfg, output, ckpt_file, db_path, paths, npaths, &cp, &resumed) != 0) {
        free(db_path);
        free(urls);
        free(paths);
        return PMATCH_EXIT_ERROR;
    }
    /* Before the matcher: the cache check forks, best done before any thread exists. */
    if (cache_dir)
        cfg.cache = hash_cache_open(cache_dir, &cfg.check); /* NULL: warned, scan without it */
    lm_matcher *m = NULL;
    char errbuf[256] = "";
    /* A shard opens the list read-only, as MPI ranks do: many workers may share one copy,
     * and none of them must be able to change it (hit counters are not kept for shards). */
    unsigned open_flags = cfg.shard.count ? 0u : LM_MATCHER_WRITABLE;
    lm_status st = lm_matcher_open_with(db_path, open_flags, &m, errbuf, sizeof errbuf);
    if (st != LM_OK) {
        hash_cache_close(cfg.cache);
        fprintf(stderr, "pmatch scan: cannot open hash list %s: %s%s%s%s\n", db_path,
                lm_strerror(st), errbuf[0] ? ": " : "", errbuf, db_open_hint(st));
        free(db_path);
        free(urls);
        free(paths);
        if (output)
            fclose(cfg.out);
        return PMATCH_EXIT_ERROR;
    }

    progress prog;
    progress_init(&prog, !cfg.quiet);
    walk_count *counter =
        prog.enabled && npaths > 0 ? walk_count_start(paths, npaths, &cfg.walk) : NULL;
    scan_totals t = {0};
    uint64_t items_done = 0;
    if (resumed) {
        t = cp.totals;
        t.decoded = t.cache_hits = 0; /* per run */
        items_done = cp.items;
        prog.base = cp.items;
    }
    list_refresh lr;
    list_refresh_init(&lr, (double)refresh_seconds, "pmatch scan");
    item_result *items = calloc(SCAN_BATCH, sizeof *items);
    walk *w = walk_open(paths, npaths, &cfg.walk);
    char *last_path = malloc(PATH_MAX);
    int oom = !items || !w || !last_path, io_failed = 0;
    int n = 0, last_root = -1;
    uint64_t seq = 0; /* index in the full walk: every shard numbers items alike */
    const char *path;
    walk_kind kind;
    const char *reason;
    while (!oom && !io_failed && !t.oom && walk_next(w, &path, &kind, &reason)) {
        uint64_t item_seq = seq++;
        /* Shard mode: skip other shards' items; the rest keep their order. */
        if (cfg.shard.count && shard_of(path, cfg.shard.count) != cfg.shard.index)
            continue;
        if (ckpt_file) {
            int root = walk_root_index(w);
            const char *rel = walk_relative(path, paths[root]);
            if (resumed && walk_order_cmp(root, rel, cp.root, cp.path) <= 0)
                continue; /* done before the kill */
            last_root = root;
            snprintf(last_path, PATH_MAX, "%s", rel);
        }
        items_done++;
        if (kind != WALK_FILE && strcmp(path, "-") != 0) {
            scan_run_batch(m, &cfg, items, n, &t); /* keep output in walk order */
            n = 0;
            scan_report_walk_problem(&cfg, item_seq, path, kind, reason, walk_last_code(w), &t);
            continue;
        }
        memset(&items[n], 0, sizeof items[n]);
        items[n].seq = item_seq;
        if (!(items[n].path = strdup(path))) {
            oom = 1;
            break;
        }
        if (++n == SCAN_BATCH) {
            scan_run_batch(m, &cfg, items, n, &t);
            n = 0;
            if (ckpt_file)
                io_failed = scan_checkpoint(&cfg, ckpt_file, &cp, items_done, last_root,
                                            last_path, &t);
            else if (fflush(cfg.out) != 0)
                io_failed = 1;
            uint64_t total;
            if (walk_count_total(counter, &total))
                progress_set_total(&prog, total);
            progress_update(&prog, items_done, t.counts[CAT_MATCH], t.counts[CAT_ERROR]);
            list_refresh_tick(&lr, m);
        }
    }
    if (!oom && !io_failed) {
        scan_run_batch(m, &cfg, items, n, &t);
        n = 0;
        if (ckpt_file && last_root >= 0)
            io_failed = scan_checkpoint(&cfg, ckpt_file, &cp, items_done, last_root, last_path,
                                        &t);
    }
    walk_count_stop(counter);
    progress_finish(&prog);
    walk_close(w);
    for (int i = 0; i < n; i++)
        free((char *)items[i].path);
    free(items);
    free(last_path);
    double secs = progress_now() - prog.start;
    oom |= t.oom;
    char label[64] = "";
    if (cfg.shard.count) {
        snprintf(label, sizeof label, " (shard %u/%u)", cfg.shard.index, cfg.shard.count);
        /* Written only by a shard that finished: pmatch merge refuses a shard without it. */
        if (!oom && !io_failed)
            print_shard_summary(&cfg, &t, seq, scan_fingerprint(&cfg, paths, npaths));
    }
    if (fflush(cfg.out) != 0 || (output && fsync(fileno(cfg.out)) != 0))
        io_failed = 1;
    if (output && fclose(cfg.out) != 0)
        io_failed = 1;
    hash_cache_close(cfg.cache);
    if (npaths > 0)
        scan_print_summary(stderr, "pmatch scan", t.counts, secs, label);
    if (cfg.cache || t.archives)
        fprintf(stderr,
                "pmatch scan: this run: %llu decoded, %llu from the hash cache; %llu archives, "
                "%llu members\n",
                (unsigned long long)t.decoded, (unsigned long long)t.cache_hits,
                (unsigned long long)t.archives, (unsigned long long)t.members);
    scan_url_totals ut = {0};
    url_cfg.db_path = db_path; /* list versions for the evidence records */
    if (!oom && !io_failed && (nurls > 0 || url_cfg.url_list) &&
        scan_urls(m, &cfg.check, cfg.json, cfg.quiet, cfg.jobs, &url_cfg, urls, (size_t)nurls,
                  &ut) != 0)
        ut.failed++;
    t.counts[CAT_MATCH] += ut.matched;
    t.counts[CAT_ERROR] += ut.failed;
    free(urls);
    free(paths);
    if (!cfg.shard.count) /* shards are read-only by design: nothing to warn about */
        list_flush_hits(m, "pmatch scan",
                        (unsigned long long)(t.counts[CAT_MATCH] + t.counts[CAT_SUPPRESSED]));
    lm_matcher_close(m);
    free(db_path);
    if (oom) {
        fprintf(stderr, "pmatch scan: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    if (io_failed) {
        fprintf(stderr, "pmatch scan: cannot write the results or the checkpoint: %s\n",
                strerror(errno));
        return PMATCH_EXIT_ERROR;
    }
    return scan_exit_code(t.counts);
}
