/* pmatch: recognise known images by perceptual hash. Dispatches to one file per sub-command. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "libmatch.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"hash", cmd_hash, "print PDQ hashes of images"},
    {"scan", cmd_scan, "hash files and directories and match them against the hash list"},
    {"match", cmd_match, "match hashes given as text against the hash list"},
    {"db", cmd_db, "create, import into, export and check the hash list"},
    {"merge", cmd_merge, "combine the outputs of 'pmatch scan --shard K/N --json'"},
#ifdef PMATCH_HAVE_SERVE
    {"serve", cmd_serve_plugin, "the HTTP matching service (uploads, hash lookups, HMA routes)"},
#endif
};

static void usage(FILE *out)
{
    fprintf(out, "usage: pmatch COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'pmatch COMMAND --help' describes a command. 'pmatch --version' prints versions.\n"
                 "Exit codes: 0 success (scan/match: no match), 1 match found (hash: some input\n"
                 "failed), 2 error.\n");
}

/*
 * Output nobody can read is a failure, not a success: a full disk or `> /dev/full` must not give
 * exit 0 with empty results. Every command's output goes through stdout, so its error flag and
 * the final flush and close decide (exit 2 with the reason).
 */
static int finish_stdout(int rc)
{
    errno = 0;
    int failed = fflush(stdout) != 0;
    int e = errno;
    failed |= ferror(stdout) != 0;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (!failed)
        return rc;
    fprintf(stderr, "pmatch: cannot write the output (standard output): %s\n",
            e ? strerror(e) : "write error");
    return PMATCH_EXIT_ERROR;
}

int main(int argc, char **argv)
{
    /* FFmpeg is loaded by libmatch when a file needs it, and kept quiet then (the
     * library loads it, nobody else here has set av_log's level: decode/av_lazy.c). */
    if (argc < 2) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return finish_stdout(PMATCH_EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("pmatch %s (libmatch %s)\n", PMATCH_VERSION, lm_version());
        return finish_stdout(PMATCH_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return finish_stdout(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "pmatch: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return PMATCH_EXIT_ERROR;
}
