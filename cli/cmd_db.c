/* Placeholder: replaced by the hash-list store's sub-command. */
#include <stdio.h>

#include "commands.h"

int cmd_db(int argc, char **argv)
{
    fprintf(stderr, "pmatch db: not available yet\n");
    return PMATCH_EXIT_ERROR;
}
