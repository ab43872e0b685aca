/*
 * pmatch db: the list-management sub-commands (cmd_db_lists.c), dispatched
 * from cmd_db.c, and what every db sub-command shares (db_open.c).
 */
#ifndef PMATCH_DB_MANAGE_H
#define PMATCH_DB_MANAGE_H

#include "libmatch.h"

/* 1 when sub is one of lists, list, disable, enable, hits, watch. */
int db_manage_command(const char *sub);
/* argv[1] is the sub-command. Returns an exit code. */
int cmd_db_manage(int argc, char **argv);

/* Open the list named by --db (flag may be NULL) or the default path, always with
 * LM_DB_CHECK. 0, or -1 after printing why (then *db is NULL). */
int db_open_cli(const char *flag, unsigned flags, lm_db **db);
/* "PREFIX: WHAT: <status text>: <detail><what to run>" on stderr; db may be NULL. */
void db_print_error(const char *prefix, const char *what, lm_status st, const lm_db *db);
/* What to run after the last failure on db, as text to append (" (run ...)"), or "". */
const char *db_hint_text(const lm_db *db);

#endif
