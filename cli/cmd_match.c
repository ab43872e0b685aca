/* Placeholder until the hash list lands. */
#include <stdio.h>

#include "commands.h"

int cmd_match(int argc, char **argv)
{
    fprintf(stderr, "pmatch match: not available yet\n");
    return PMATCH_EXIT_ERROR;
}
