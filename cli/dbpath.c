#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

char *pmatch_default_db_path(const char *flag_value)
{
    if (flag_value && *flag_value)
        return strdup(flag_value);
    const char *env = getenv("PMATCH_DB");
    if (env && *env)
        return strdup(env);
    const char *base = getenv("XDG_DATA_HOME");
    const char *suffix = "/pmatch/hashes.lmdb";
    if (!base || !*base) {
        base = getenv("HOME");
        suffix = "/.local/share/pmatch/hashes.lmdb";
    }
    if (!base || !*base)
        return NULL;
    size_t n = strlen(base) + strlen(suffix) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s%s", base, suffix);
    return path;
}
