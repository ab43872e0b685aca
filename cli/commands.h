/* The pmatch sub-commands: one file each, dispatched from main.c. */
#ifndef PMATCH_COMMANDS_H
#define PMATCH_COMMANDS_H

/* Exit codes shared by all sub-commands (documented in README.md). */
enum {
    PMATCH_EXIT_OK = 0,        /* hash/db: success. scan/match: nothing matched */
    PMATCH_EXIT_MATCH = 1,     /* scan/match: something matched. hash: some input failed */
    PMATCH_EXIT_ERROR = 2,     /* usage error, or a failure that stopped the command */
};

/* Each returns a process exit code; argv[0] is the sub-command name. */
int cmd_hash(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_merge(int argc, char **argv);
/* server/serve_main.c (-Dserve), in the plugin pmatch-serve.so (cli/plugin.c) */
int cmd_serve_plugin(int argc, char **argv);

/*
 * The hash-list path: --db PATH if given, else $PMATCH_DB, else
 * $XDG_DATA_HOME/pmatch/hashes.lmdb, else $HOME/.local/share/pmatch/hashes.lmdb.
 * Returns a malloc'ed string (or NULL when no path can be formed).
 */
char *pmatch_default_db_path(const char *flag_value);
/* What to run when opening the list failed with st (" (create one with 'pmatch db init')"
 * for LM_E_NOT_FOUND), or "" (db_open.c). */
const char *db_open_hint(int st);

/* Parse --video-sampling: keyframes | all | interval:SECONDS. 0, or -1 after printing why. */
int parse_sampling(const char *text, int *mode, int *interval_ms);

#endif
