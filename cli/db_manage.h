/* pmatch db list-management sub-commands (cmd_db_lists.c), dispatched from cmd_db.c. */
#ifndef PMATCH_DB_MANAGE_H
#define PMATCH_DB_MANAGE_H

/* 1 when sub is one of lists, list, disable, enable, hits, watch. */
int db_manage_command(const char *sub);
/* argv[1] is the sub-command. Returns an exit code. */
int cmd_db_manage(int argc, char **argv);

#endif
