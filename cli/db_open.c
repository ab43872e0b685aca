/*
 * What every pmatch db sub-command shares: opening the list through the
 * public handle, and error lines that add, to the library's account of what is
 * wrong, what to run about it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "db_manage.h"

const char *db_hint_text(const lm_db *db)
{
    switch (lm_db_last_hint(db)) {
    case LM_DB_HINT_VERIFY: return " (run 'pmatch db verify')";
    case LM_DB_HINT_CREATE: return " (create one with 'pmatch db init')";
    case LM_DB_HINT_SKIP_BAD: return " (--skip-bad skips them)";
    case LM_DB_HINT_FORMAT: return " (check --format and --type)";
    case LM_DB_HINT_VPDQ: return " (--format vpdq)";
    default: return "";
    }
}

void db_print_error(const char *prefix, const char *what, lm_status st, const lm_db *db)
{
    const char *d = db ? lm_db_last_error(db) : "";
    fprintf(stderr, "%s: %s: %s%s%s%s\n", prefix, what, lm_strerror(st), *d ? ": " : "", d,
            *d ? db_hint_text(db) : "");
}

int db_open_cli(const char *flag, unsigned flags, lm_db **db)
{
    *db = NULL;
    char *path = pmatch_default_db_path(flag);
    if (!path) {
        fprintf(stderr, "pmatch db: no database path: use --db PATH or set PMATCH_DB\n");
        return -1;
    }
    /* The CLI may be pointed at any file: check every page before LMDB reads it. */
    lm_status st = lm_db_open(path, flags | LM_DB_CHECK, db);
    if (st) {
        db_print_error("pmatch db", path, st, *db);
        lm_db_close(*db);
        *db = NULL;
    }
    free(path);
    return st ? -1 : 0;
}
