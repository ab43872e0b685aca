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
#include "commands.h"
#include "libmatch.h"
#include "checkpoint.h"
#include "hash_cache.h"
#include "progress.h"
#include "scan_pipeline.h"
#include "verdict.h"
#include "walk.h"
#include "walk_count.h"

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
            "  --dihedral          also match rotated and mirrored copies\n"
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
            "  --output FILE       write results to FILE instead of standard output\n"
            "  --checkpoint FILE   record progress in FILE after each batch (needs --output); run\n"
            "                      the same command again after a kill to continue where it stopped\n"
            "  --hash-cache DIR    LMDB cache of each file's hashes (keyed by path, size, mtime,\n"
            "                      SHA-256): a re-scan only re-matches unchanged files\n"
            "  --no-archives       check tar/zip archives as plain files instead of member by member\n"
            "  --archive-max-members N  members per archive (default 100000)\n"
            "  --archive-max-total N    uncompressed bytes per archive (default 16 GiB)\n"
            "Archives (tar, tar.gz/bz2/xz/zst, zip; sniffed) are scanned member by member in\n"
            "memory, shown as ARCHIVE!MEMBER; archives inside archives are checked as plain files.\n"
            "Exit status: 1 something matched; otherwise 2 if some input could not be read or\n"
            "the list could not be opened; 0 nothing matched.\n");
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

int cmd_scan(int argc, char **argv)
{
    enum { O_DB = 256, O_DIST, O_MINQ, O_DIH, O_JOBS, O_JSON, O_QUIET, O_FOLLOW, O_DEPTH,
           O_MAXB, O_MAXP, O_EXACT, O_SAMPLING, O_OUTPUT, O_CHECKPOINT, O_CACHE, O_NOARCH,
           O_AMEMBERS, O_ATOTAL };
    static const struct option options[] = {
        {"db", required_argument, NULL, O_DB},
        {"distance", required_argument, NULL, O_DIST},
        {"min-quality", required_argument, NULL, O_MINQ},
        {"dihedral", no_argument, NULL, O_DIH},
        {"jobs", required_argument, NULL, O_JOBS},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"follow-symlinks", no_argument, NULL, O_FOLLOW},
        {"max-depth", required_argument, NULL, O_DEPTH},
        {"max-bytes", required_argument, NULL, O_MAXB},
        {"max-pixels", required_argument, NULL, O_MAXP},
        {"exact", no_argument, NULL, O_EXACT},
        {"video-sampling", required_argument, NULL, O_SAMPLING},
        {"output", required_argument, NULL, O_OUTPUT},
        {"checkpoint", required_argument, NULL, O_CHECKPOINT},
        {"hash-cache", required_argument, NULL, O_CACHE},
        {"no-archives", no_argument, NULL, O_NOARCH},
        {"archive-max-members", required_argument, NULL, O_AMEMBERS},
        {"archive-max-total", required_argument, NULL, O_ATOTAL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    scan_config cfg = {.jobs = 0, .out = stdout};
    lm_check_options_init(&cfg.check);
    const char *db_flag = NULL, *output = NULL, *ckpt_file = NULL, *cache_dir = NULL;
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

    char **roots = argv + optind;
    int nroots = argc - optind;
    if (ckpt_file && !output) {
        fprintf(stderr, "pmatch scan: --checkpoint needs --output FILE (results must be in a "
                        "file to be resumed exactly once)\n");
        return PMATCH_EXIT_ERROR;
    }
    for (int i = 0; ckpt_file && i < nroots; i++)
        if (strcmp(roots[i], "-") == 0) {
            fprintf(stderr, "pmatch scan: --checkpoint cannot resume standard input\n");
            return PMATCH_EXIT_ERROR;
        }

    char *db_path = pmatch_default_db_path(db_flag);
    if (!db_path) {
        fprintf(stderr, "pmatch scan: no hash list: give --db PATH or set PMATCH_DB\n");
        return PMATCH_EXIT_ERROR;
    }

    /* Resuming: the checkpoint must come from the same scan; cut the output back to it. */
    checkpoint cp;
    char cerr[512] = "";
    int resumed = 0;
    if (ckpt_file) {
        resumed = checkpoint_load(ckpt_file, &cp, cerr, sizeof cerr);
        uint64_t fp = checkpoint_fingerprint(&cfg, db_path, roots, nroots);
        if (resumed < 0) {
            fprintf(stderr, "pmatch scan: cannot resume: %s\n", cerr);
            free(db_path);
            return PMATCH_EXIT_ERROR;
        }
        if (resumed && cp.fingerprint != fp) {
            fprintf(stderr, "pmatch scan: cannot resume: checkpoint %s was made by a scan with "
                            "other options, list or paths (remove it to start again)\n",
                    ckpt_file);
            free(db_path);
            return PMATCH_EXIT_ERROR;
        }
        if (!resumed) {
            memset(&cp, 0, sizeof cp);
            cp.root = -1;
        }
        cp.fingerprint = fp;
    }
    if (output) {
        int fd = open(output, O_WRONLY | O_CREAT | O_CLOEXEC | (resumed ? 0 : O_TRUNC), 0644);
        struct stat ost;
        if (fd >= 0 && resumed &&
            (fstat(fd, &ost) != 0 || (uint64_t)ost.st_size < cp.offset ||
             ftruncate(fd, (off_t)cp.offset) != 0 || lseek(fd, 0, SEEK_END) < 0)) {
            fprintf(stderr, "pmatch scan: cannot resume: %s is shorter than its checkpoint says "
                            "or cannot be truncated\n", output);
            close(fd);
            free(db_path);
            return PMATCH_EXIT_ERROR;
        }
        if (fd < 0 || !(cfg.out = fdopen(fd, "w"))) {
            fprintf(stderr, "pmatch scan: %s: %s\n", output, strerror(errno));
            if (fd >= 0)
                close(fd);
            free(db_path);
            return PMATCH_EXIT_ERROR;
        }
    }

    /* Before the matcher: the cache check forks, best done before any thread exists. */
    if (cache_dir)
        cfg.cache = hash_cache_open(cache_dir, &cfg.check); /* NULL: warned, scan without it */
    lm_matcher *m = NULL;
    char errbuf[256] = "";
    lm_status st = lm_matcher_open(db_path, &m, errbuf, sizeof errbuf);
    if (st != LM_OK) {
        hash_cache_close(cfg.cache);
        fprintf(stderr, "pmatch scan: cannot open hash list %s: %s%s%s\n", db_path,
                lm_strerror(st), errbuf[0] ? ": " : "", errbuf);
        free(db_path);
        if (output)
            fclose(cfg.out);
        return PMATCH_EXIT_ERROR;
    }

    progress prog;
    progress_init(&prog, !cfg.quiet);
    walk_count *counter = prog.enabled ? walk_count_start(roots, nroots, &cfg.walk) : NULL;
    scan_totals t = {0};
    uint64_t items_done = 0;
    if (resumed) {
        t = cp.totals;
        t.decoded = t.cache_hits = 0; /* per run */
        items_done = cp.items;
        prog.base = cp.items;
    }
    item_result *items = calloc(SCAN_BATCH, sizeof *items);
    walk *w = walk_open(roots, nroots, &cfg.walk);
    int oom = !items || !w, io_failed = 0;
    int n = 0;
    const char *path;
    walk_kind kind;
    const char *reason;
    int last_root = -1;
    char *last_path = malloc(PATH_MAX);
    if (!last_path)
        oom = 1;
    while (!oom && !io_failed && walk_next(w, &path, &kind, &reason)) {
        int root = walk_root_index(w);
        const char *rel = walk_relative(path, roots[root]);
        if (resumed && walk_order_cmp(root, rel, cp.root, cp.path) <= 0)
            continue; /* done before the kill */
        last_root = root;
        snprintf(last_path, PATH_MAX, "%s", rel);
        items_done++;
        if (kind != WALK_FILE && strcmp(path, "-") != 0) {
            scan_run_batch(m, &cfg, items, n, &t); /* keep output in walk order */
            n = 0;
            scan_report_walk_problem(&cfg, path, kind, reason, walk_last_code(w), &t);
            continue;
        }
        memset(&items[n], 0, sizeof items[n]);
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
            progress_update(&prog, items_done, t.matched, t.failed);
        }
    }
    if (!oom && !io_failed) {
        scan_run_batch(m, &cfg, items, n, &t);
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
    if (fflush(cfg.out) != 0 || (output && fsync(fileno(cfg.out)) != 0))
        io_failed = 1;
    if (output && fclose(cfg.out) != 0)
        io_failed = 1;
    hash_cache_close(cfg.cache);
    double secs = progress_now() - prog.start;
    fprintf(stderr,
            "pmatch scan: %llu files in %.2f s: %llu matched, %llu no match, %llu low quality, "
            "%llu not images, %llu errors, %llu skipped\n",
            (unsigned long long)t.files, secs, (unsigned long long)t.matched,
            (unsigned long long)(t.files - t.matched - t.low_quality - t.not_image - t.failed),
            (unsigned long long)t.low_quality, (unsigned long long)t.not_image,
            (unsigned long long)t.failed, (unsigned long long)t.skipped);
    if (cfg.cache || t.archives)
        fprintf(stderr,
                "pmatch scan: this run: %llu decoded, %llu from the hash cache; %llu archives, "
                "%llu members\n",
                (unsigned long long)t.decoded, (unsigned long long)t.cache_hits,
                (unsigned long long)t.archives, (unsigned long long)t.members);
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
    if (t.matched)
        return PMATCH_EXIT_MATCH;
    return t.failed ? PMATCH_EXIT_ERROR : PMATCH_EXIT_OK;
}
