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
#include "scan_config.h"
#include "scan_mpi.h"
#include "scan_run.h"
#include "scan_urls.h"

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

    scan_job job = {.db_flag = db_flag, .output = output, .ckpt_file = ckpt_file,
                    .cache_dir = cache_dir, .refresh_seconds = refresh_seconds,
                    .paths = paths, .npaths = npaths, .urls = urls, .nurls = nurls,
                    .url_cfg = &url_cfg};
    int rc = scan_run(&cfg, &job);
    free(urls);
    free(paths);
    return rc;
}
