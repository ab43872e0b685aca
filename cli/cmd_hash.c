/* pmatch hash: print the PDQ hash of each input, like Meta's pdq-photo-hasher. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
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
            "  --files-from F    also read paths, one per line, from F ('-' for standard input)\n"
            "  --max-bytes N     refuse inputs larger than N bytes (default 256 MiB)\n"
            "  --max-pixels N    refuse images declaring more than N pixels (default 100 M)\n"
            "Exit status: 0 all inputs hashed, 1 some input failed (reasons on stderr), 2 usage error.\n");
}

static void print_result(const char *path, const lm_image_hash *r, int dihedral, int json)
{
    char hex[LM_PDQ_HEX_CHARS + 1];
    if (json) {
        lm_pdq_to_hex(&r->pdq, hex);
        fputs("{\"path\":", stdout);
        json_string(stdout, path);
        printf(",\"hash\":\"%s\",\"quality\":%d,\"width\":%u,\"height\":%u,\"format\":\"%s\"", hex,
               r->quality, r->width, r->height, lm_format_name(r->format));
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
    for (int i = 0; i < (dihedral ? 8 : 1); i++) {
        lm_pdq_to_hex(dihedral ? &r->dihedral[i] : &r->pdq, hex);
        printf("%s,", hex);
    }
    printf("%d,%s\n", r->quality, path);
}

static void print_failure(const char *path, lm_status st, const lm_hasher *h, int json)
{
    const char *detail = lm_hasher_last_error(h);
    fprintf(stderr, "pmatch: %s: %s%s%s\n", path, lm_strerror(st), *detail ? ": " : "", detail);
    if (json) {
        fputs("{\"path\":", stdout);
        json_string(stdout, path);
        printf(",\"error\":");
        json_string(stdout, lm_strerror(st));
        printf(",\"status\":%d}\n", (int)st);
    }
}

/* Hash one input; returns 0 on success. "-" is standard input. */
static int hash_one(lm_hasher *h, const char *path, int dihedral, int json)
{
    lm_image_hash r;
    lm_status st = lm_hash_file(h, strcmp(path, "-") == 0 ? "/dev/stdin" : path, &r);
    if (st != LM_OK) {
        print_failure(path, st, h, json);
        return 1;
    }
    print_result(path, &r, dihedral, json);
    return 0;
}

static int hash_list_file(lm_hasher *h, const char *list, int dihedral, int json, int *failed)
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
            *failed |= hash_one(h, line, dihedral, json);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return 0;
}

int cmd_hash(int argc, char **argv)
{
    enum { OPT_DIHEDRAL = 256, OPT_JSON, OPT_EXIF, OPT_FILES_FROM, OPT_MAX_BYTES, OPT_MAX_PIXELS };
    static const struct option options[] = {
        {"dihedral", no_argument, NULL, OPT_DIHEDRAL},
        {"json", no_argument, NULL, OPT_JSON},
        {"exif", no_argument, NULL, OPT_EXIF},
        {"files-from", required_argument, NULL, OPT_FILES_FROM},
        {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
        {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int dihedral = 0, json = 0, exif = 0;
    int64_t max_bytes = 0, max_pixels = 0;
    const char *files_from = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_DIHEDRAL: dihedral = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_EXIF: exif = 1; break;
        case OPT_FILES_FROM: files_from = optarg; break;
        case OPT_MAX_BYTES:
            if (parse_int_arg("--max-bytes", optarg, 1, INT64_MAX, &max_bytes))
                return PMATCH_EXIT_ERROR;
            break;
        case OPT_MAX_PIXELS:
            if (parse_int_arg("--max-pixels", optarg, 1, INT64_MAX, &max_pixels))
                return PMATCH_EXIT_ERROR;
            break;
        case 'h': usage(stdout); return PMATCH_EXIT_OK;
        default: usage(stderr); return PMATCH_EXIT_ERROR;
        }
    }
    if (optind >= argc && !files_from) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }

    lm_hasher *h = lm_hasher_create();
    if (!h) {
        fprintf(stderr, "pmatch: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    lm_hasher_set_option(h, LM_OPT_DIHEDRAL, dihedral);
    lm_hasher_set_option(h, LM_OPT_EXIF_ORIENT, exif);
    if (max_bytes)
        lm_hasher_set_option(h, LM_OPT_MAX_BYTES, max_bytes);
    if (max_pixels)
        lm_hasher_set_option(h, LM_OPT_MAX_PIXELS, max_pixels);

    int failed = 0;
    for (int i = optind; i < argc; i++)
        failed |= hash_one(h, argv[i], dihedral, json);
    if (files_from && hash_list_file(h, files_from, dihedral, json, &failed) != 0)
        failed = 1;
    lm_hasher_destroy(h);
    fflush(stdout);
    return failed ? PMATCH_EXIT_MATCH : PMATCH_EXIT_OK;
}
