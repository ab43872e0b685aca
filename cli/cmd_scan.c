/* Placeholder until the hash list lands. */
#include <stdio.h>

#include "commands.h"

int cmd_scan(int argc, char **argv)
{
    fprintf(stderr, "pmatch scan: not available yet\n");
    return PMATCH_EXIT_ERROR;
}
