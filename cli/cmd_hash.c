/* pmatch hash: print the PDQ hash of each input, like Meta's pdq-photo-hasher. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "read_file.h"
#include "commands.h"
#include "json.h"
#include "libmatch.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pmatch hash [OPTIONS] FILE...\n"
            "       pmatch hash [OPTIONS] -          (image bytes on standard input)\n"
            "\n"
            "Prints 'hash,quality,path' per input (Meta's pdq-photo-hasher format).\n"
            "  --dihedral        also print the 8 dihedral hashes:\n"
            "                    'h0,h1,...,h7,quality,path' (original, rot90, rot180, rot270,\n"
            "                    flipx, flipy, flip+1, flip-1)\n"
            "  --json            one JSON object per line instead\n"
            "  --exif            apply EXIF orientation before hashing (default: off, like the reference)\n"
            "  --fast            fast JPEG decoding (DCT-domain scaling): within a few bits of the\n"
            "                    reference instead of identical (default: exact)\n"
            "  --files-from F    also read paths, one per line, from F ('-' for standard input)\n"
            "  --max-bytes N     refuse inputs larger than N bytes (default 256 MiB)\n"
            "  --max-pixels N    refuse images declaring more than N pixels (default 100 M)\n"
            "  --video-sampling M  for videos: all (default, as Meta's vPDQ), keyframes, or\n"
            "                    interval:SECONDS. A video prints '# PATH: video, N frames' and\n"
            "                    then vPDQ lines 'frame,quality,hash,timestamp'\n"
            "  --jobs N          images hashed in parallel (default: all cores); output order\n"
            "                    is always the input order\n"
            "Exit status: 0 all inputs hashed, 1 some input failed (reasons on stderr), 2 usage error.\n");
}

static void print_result(const char *path, const lm_image_hash *r, int dihedral, int json)
{
    char hex[LM_PDQ_HEX_CHARS + 1];
    if (json) {
        lm_pdq_to_hex(&r->pdq, hex);
        fputc('{', stdout);
        json_name(stdout, "path", path);
        printf(",\"hash\":\"%s\",\"quality\":%d,\"width\":%u,\"height\":%u,\"format\":\"%s\"", hex,
               r->quality, r->width, r->height, lm_format_name(r->format));
        if (r->truncated)
            fputs(",\"truncated\":true", stdout);
        if (dihedral) {
            fputs(",\"dihedral\":[", stdout);
            for (int i = 0; i < 8; i++) {
                lm_pdq_to_hex(&r->dihedral[i], hex);
                printf("%s\"%s\"", i ? "," : "", hex);
            }
            fputc(']', stdout);
        }
        fputs("}\n", stdout);
        return;
    }
    if (r->truncated)
        fprintf(stderr, "pmatch: %s: truncated file (every row decoded, the end missing)\n", path);
    for (int i = 0; i < (dihedral ? 8 : 1); i++) {
        lm_pdq_to_hex(dihedral ? &r->dihedral[i] : &r->pdq, hex);
        printf("%s,", hex);
    }
    printf("%d,", r->quality);
    text_name(stdout, path);
    fputc('\n', stdout);
}

static void print_failure(const char *path, lm_status st, const char *detail, int json)
{
    fputs("pmatch: ", stderr);
    text_name(stderr, path);
    fprintf(stderr, ": %s%s", lm_strerror(st), *detail ? ": " : "");
    text_name(stderr, detail);
    fputc('\n', stderr);
    if (json) {
        fputc('{', stdout);
        json_name(stdout, "path", path);
        printf(",\"error\":");
        json_string(stdout, lm_strerror(st));
        printf(",\"status\":%d}\n", (int)st);
    }
}

#define HASH_BATCH 128

/*
 * Hash one input: a video (any container FFmpeg reads, animated GIF or WebP) gives
 * frame hashes in *video; anything else is hashed as an image.
 */
static lm_status hash_input(lm_hasher *h, const char *path, lm_image_hash *image,
                            lm_video_hash **video, char *detail, size_t detail_size)
{
    int64_t max_bytes = 0;
    lm_hasher_get_option(h, LM_OPT_MAX_BYTES, &max_bytes);
    uint8_t *data;
    size_t len;
    char err[PMATCH_MSG_SIZE];
    struct stat sb;
    /* A FIFO or a device named as a file would block or never end: only '-' reads a stream. */
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        snprintf(detail, detail_size, "%s",
                 S_ISDIR(sb.st_mode) ? "a directory" : "not a regular file (use '-' for a stream)");
        return LM_E_IO;
    }
    lm_status st = pmatch_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path,
                                    (uint64_t)max_bytes, &data, &len, err);
    if (st != LM_OK) {
        snprintf(detail, detail_size, "%s", err);
        return st;
    }
    /* Still or video: the library's one decision (as lm_check's), no second probe. */
    st = lm_hash_media_memory(h, data, len, image, video);
    free(data);
    snprintf(detail, detail_size, "%s", lm_hasher_last_error(h));
    return st;
}

/* vPDQ lines, as Meta's vpdq tool writes them, after a comment naming the input. */
static void print_video(const char *path, const lm_video_hash *v, lm_status st, int json)
{
    const lm_video_frame *f = lm_video_hash_frames(v);
    size_t n = lm_video_hash_count(v);
    char hex[LM_PDQ_HEX_CHARS + 1];
    if (json) {
        fputc('{', stdout);
        json_name(stdout, "path", path);
        printf(",\"type\":\"video\",\"frame_count\":%zu,\"complete\":%s,\"frames\":[", n,
               st == LM_OK ? "true" : "false");
        for (size_t i = 0; i < n; i++) {
            lm_pdq_to_hex(&f[i].pdq, hex);
            printf("%s{\"frame\":%lld,\"quality\":%d,\"hash\":\"%s\",\"timestamp\":%.3f}",
                   i ? "," : "", (long long)f[i].frame_number, f[i].quality, hex, f[i].timestamp);
        }
        fputs("]}\n", stdout);
        return;
    }
    fputs("# ", stdout);
    text_name(stdout, path);
    printf(": video, %zu frames%s\n", n, st == LM_OK ? "" : " (incomplete)");
    for (size_t i = 0; i < n; i++) {
        lm_pdq_to_hex(&f[i].pdq, hex);
        printf("%lld,%d,%s,%.3f\n", (long long)f[i].frame_number, f[i].quality, hex,
               f[i].timestamp);
    }
}

/* Inputs are hashed in batches: in parallel, then printed in input order. */
typedef struct batch {
    char *paths[HASH_BATCH];
    lm_video_hash *videos[HASH_BATCH]; /* non-NULL when the input was a video */
    lm_image_hash results[HASH_BATCH];
    lm_status status[HASH_BATCH];
    char detail[HASH_BATCH][256];
    int n;
    int write_errno; /* standard output failed (full disk, /dev/full): stop */
} batch;

typedef struct hash_config {
    int dihedral, json, exif, fast, jobs;
    int sampling, interval_ms;
    int64_t max_bytes, max_pixels;
} hash_config;

static lm_hasher *make_hasher(const hash_config *cfg)
{
    lm_hasher *h = lm_hasher_create();
    if (!h)
        return NULL;
    lm_hasher_set_option(h, LM_OPT_DIHEDRAL, cfg->dihedral);
    lm_hasher_set_option(h, LM_OPT_EXIF_ORIENT, cfg->exif);
    lm_hasher_set_option(h, LM_OPT_FAST, cfg->fast);
    lm_hasher_set_option(h, LM_OPT_VIDEO_SAMPLING, cfg->sampling);
    if (cfg->interval_ms)
        lm_hasher_set_option(h, LM_OPT_VIDEO_INTERVAL_MS, cfg->interval_ms);
    if (cfg->max_bytes)
        lm_hasher_set_option(h, LM_OPT_MAX_BYTES, cfg->max_bytes);
    if (cfg->max_pixels)
        lm_hasher_set_option(h, LM_OPT_MAX_PIXELS, cfg->max_pixels);
    return h;
}

/* Hash and print the batch; returns 1 if any input failed. */
static int flush_batch(batch *b, const hash_config *cfg)
{
    /* No more threads than inputs: one file is hashed without starting a thread team
     * (start-up of `pmatch hash one.jpg`, issue 17). */
    int threads = cfg->jobs < b->n ? cfg->jobs : (b->n > 0 ? b->n : 1);
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
#else
    (void)threads;
#endif
    {
        lm_hasher *h = make_hasher(cfg); /* hashers are per thread */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int i = 0; i < b->n; i++) {
            b->videos[i] = NULL;
            b->detail[i][0] = '\0';
            b->status[i] = h ? hash_input(h, b->paths[i], &b->results[i], &b->videos[i],
                                          b->detail[i], sizeof b->detail[i])
                             : LM_E_NOMEM;
        }
        lm_hasher_destroy(h);
    }
    int failed = 0;
    for (int i = 0; i < b->n; i++) {
        if (b->videos[i]) {
            print_video(b->paths[i], b->videos[i], b->status[i], cfg->json);
            lm_video_hash_free(b->videos[i]);
            if (b->status[i] != LM_OK)
                print_failure(b->paths[i], b->status[i], b->detail[i], 0);
            failed |= b->status[i] != LM_OK;
        } else if (b->status[i] == LM_OK) {
            print_result(b->paths[i], &b->results[i], cfg->dihedral, cfg->json);
        } else {
            print_failure(b->paths[i], b->status[i], b->detail[i], cfg->json);
            failed = 1;
        }
        free(b->paths[i]);
    }
    b->n = 0;
    if (fflush(stdout) != 0 && !b->write_errno)
        b->write_errno = errno ? errno : EIO;
    return failed;
}

static int add_input(batch *b, const char *path, const hash_config *cfg)
{
    int failed = 0;
    if (b->write_errno)
        return 0; /* nothing more can be written: main reports it, exit 2 */
    if (b->n == HASH_BATCH)
        failed = flush_batch(b, cfg);
    if (!(b->paths[b->n] = strdup(path))) {
        fprintf(stderr, "pmatch: out of memory\n");
        return 1;
    }
    b->n++;
    return failed;
}

static int hash_list_file(batch *b, const hash_config *cfg, const char *list, int *failed)
{
    FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
    if (!f) {
        perror(list);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0)
            *failed |= add_input(b, line, cfg);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return 0;
}

/* keyframes | all | interval:SECONDS */
int parse_sampling(const char *text, int *mode, int *interval_ms)
{
    if (strcmp(text, "all") == 0) {
        *mode = LM_SAMPLE_ALL_FRAMES;
        return 0;
    }
    if (strcmp(text, "keyframes") == 0) {
        *mode = LM_SAMPLE_KEYFRAMES;
        return 0;
    }
    if (strncmp(text, "interval:", 9) == 0) {
        char *end;
        double secs = strtod(text + 9, &end);
        if (end != text + 9 && *end == '\0' && secs >= 0.001 && secs <= 86400) {
            *mode = LM_SAMPLE_INTERVAL;
            *interval_ms = (int)(secs * 1000.0 + 0.5);
            return 0;
        }
    }
    fprintf(stderr, "pmatch: --video-sampling expects keyframes, all or interval:SECONDS, got '%s'\n",
            text);
    return -1;
}

int cmd_hash(int argc, char **argv)
{
    enum { OPT_DIHEDRAL = 256, OPT_JSON, OPT_EXIF, OPT_FILES_FROM, OPT_MAX_BYTES, OPT_MAX_PIXELS,
           OPT_JOBS, OPT_FAST, OPT_SAMPLING };
    static const struct option options[] = {
        {"dihedral", no_argument, NULL, OPT_DIHEDRAL},
        {"json", no_argument, NULL, OPT_JSON},
        {"exif", no_argument, NULL, OPT_EXIF},
        {"files-from", required_argument, NULL, OPT_FILES_FROM},
        {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
        {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"fast", no_argument, NULL, OPT_FAST},
        {"video-sampling", required_argument, NULL, OPT_SAMPLING},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    hash_config cfg = {.jobs = 0};
    int64_t v;
    const char *files_from = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_DIHEDRAL: cfg.dihedral = 1; break;
        case OPT_JSON: cfg.json = 1; break;
        case OPT_EXIF: cfg.exif = 1; break;
        case OPT_FAST: cfg.fast = 1; break;
        case OPT_SAMPLING:
            if (parse_sampling(optarg, &cfg.sampling, &cfg.interval_ms))
                return PMATCH_EXIT_ERROR;
            break;
        case OPT_FILES_FROM: files_from = optarg; break;
        case OPT_MAX_BYTES:
            if (parse_int_arg("--max-bytes", optarg, 1, INT64_MAX, &cfg.max_bytes))
                return PMATCH_EXIT_ERROR;
            break;
        case OPT_MAX_PIXELS:
            if (parse_int_arg("--max-pixels", optarg, 1, INT64_MAX, &cfg.max_pixels))
                return PMATCH_EXIT_ERROR;
            break;
        case OPT_JOBS:
            if (parse_int_arg("--jobs", optarg, 1, 1024, &v))
                return PMATCH_EXIT_ERROR;
            cfg.jobs = (int)v;
            break;
        case 'h': usage(stdout); return PMATCH_EXIT_OK;
        default: usage(stderr); return PMATCH_EXIT_ERROR;
        }
    }
    if (optind >= argc && !files_from) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }

    if (cfg.jobs == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.jobs = cores > 0 ? (int)cores : 1;
    }
    batch *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "pmatch: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    int failed = 0;
    for (int i = optind; i < argc; i++)
        failed |= add_input(b, argv[i], &cfg);
    if (files_from && hash_list_file(b, &cfg, files_from, &failed) != 0)
        failed = 1;
    failed |= flush_batch(b, &cfg);
    int write_errno = b->write_errno;
    free(b);
    if (write_errno) {
        fprintf(stderr, "pmatch hash: cannot write the output: %s\n", strerror(write_errno));
        clearerr(stdout); /* said once, here, with the reason */
        return PMATCH_EXIT_ERROR;
    }
    return failed ? PMATCH_EXIT_MATCH : PMATCH_EXIT_OK;
}
