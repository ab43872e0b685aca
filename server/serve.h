/* pmatch serve: the entry point called from cli/main.c. */
#ifndef PMATCH_SERVE_H
#define PMATCH_SERVE_H

int cmd_serve(int argc, char **argv);
/* From cli/dbpath.c: --db, else $PMATCH_DB, else the XDG default (malloc'ed). */
char *pmatch_default_db_path(const char *flag_value);

#endif
