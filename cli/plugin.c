/* Finding and opening front-end plugins: see plugin.h. */
#include "plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

#ifndef PMATCH_PLUGIN_RELDIR
#define PMATCH_PLUGIN_RELDIR "../lib/pmatch"
#endif
#ifndef PMATCH_PLUGIN_ABSDIR
#define PMATCH_PLUGIN_ABSDIR "/usr/local/lib/pmatch"
#endif

void *pmatch_plugin_symbol(const char *file, const char *entry, char *err, size_t errsz)
{
    char exe[PATH_MAX] = "", dirs[4][PATH_MAX + 64];
    size_t nd = 0;
    const char *env = getenv("PMATCH_PLUGIN_DIR");
    if (env && *env) {
        snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
            snprintf(dirs[nd++], sizeof dirs[0], "%s", exe);
            snprintf(dirs[nd++], sizeof dirs[0], "%s/%s", exe, PMATCH_PLUGIN_RELDIR);
        }
        snprintf(dirs[nd++], sizeof dirs[0], "%s", PMATCH_PLUGIN_ABSDIR);
    }
    char tried[1024] = "";
    const char *last = "not found";
    for (size_t i = 0; i < nd; i++) {
        char path[sizeof dirs[0] + 128];
        size_t tl = strlen(tried), dl = strlen(dirs[i]);
        if (tl + dl + 3 < sizeof tried) {
            if (tl) {
                memcpy(tried + tl, ", ", 2);
                tl += 2;
            }
            memcpy(tried + tl, dirs[i], dl + 1);
        }
        if (snprintf(path, sizeof path, "%s/%s", dirs[i], file) >= (int)sizeof path ||
            access(path, F_OK) != 0)
            continue;
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            last = dlerror();
            continue;
        }
        void *sym = dlsym(h, entry);
        if (sym)
            return sym;
        last = "no entry point";
    }
    snprintf(err, errsz, "plugin %s not usable (%s; looked in %s)", file, last ? last : "?", tried);
    return NULL;
}

#ifdef PMATCH_HAVE_SERVE
/* pmatch serve: server/serve_main.c's cmd_serve inside pmatch-serve.so. */
int cmd_serve_plugin(int argc, char **argv)
{
    char err[1400];
    int (*serve)(int, char **) = NULL;
    void *sym = pmatch_plugin_symbol("pmatch-serve.so", "cmd_serve", err, sizeof err);
    if (!sym) {
        fprintf(stderr, "pmatch serve: %s\n", err);
        return PMATCH_EXIT_ERROR;
    }
    memcpy(&serve, &sym, sizeof serve);
    return serve(argc, argv);
}
#endif
