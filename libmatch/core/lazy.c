#include "lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when soname starts with one of the comma-separated prefixes of LM_DISABLE_LIBS. */
static int disabled(const char *soname)
{
    const char *list = getenv("LM_DISABLE_LIBS");
    if (!list)
        return 0;
    while (*list) {
        size_t n = strcspn(list, ",");
        if (n && strncmp(soname, list, n) == 0)
            return 1;
        list += n;
        if (*list == ',')
            list++;
    }
    return 0;
}

int lm_lazy_load(const char *const *sonames, size_t nlibs, int global, const lm_lazy_sym *syms,
                 size_t nsyms, void *table, int *was_loaded, char *msg, size_t msgsz)
{
    void *h[8] = {0};
    if (nlibs > sizeof h / sizeof h[0]) {
        snprintf(msg, msgsz, "too many libraries");
        return -1;
    }
    if (was_loaded)
        *was_loaded = nlibs && dlopen(sonames[0], RTLD_NOW | RTLD_NOLOAD) != NULL;
    for (size_t i = 0; i < nlibs; i++) {
        if (disabled(sonames[i])) {
            snprintf(msg, msgsz, "%s is disabled (LM_DISABLE_LIBS)", sonames[i]);
            return -1;
        }
        h[i] = dlopen(sonames[i], RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
        if (!h[i]) {
            const char *e = dlerror();
            snprintf(msg, msgsz, "%s", e ? e : sonames[i]);
            return -1;
        }
    }
    for (size_t i = 0; i < nsyms; i++) {
        void *p = syms[i].lib < nlibs ? dlsym(h[syms[i].lib], syms[i].name) : NULL;
        if (!p) {
            snprintf(msg, msgsz, "%s: no symbol %s", sonames[syms[i].lib < nlibs ? syms[i].lib : 0],
                     syms[i].name);
            return -1;
        }
        memcpy((char *)table + syms[i].offset, &p, sizeof p);
    }
    return 0;
}
