/* Opening the command's heavy libraries on first use: see lazy_lib.h. */
#define PM_CURL_NO_REMAP
#define PM_ARCHIVE_NO_REMAP
#define PM_XML_NO_REMAP
#define PM_MPI_NO_REMAP
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "lazy_archive.h"
#include "lazy_curl.h"
#include "lazy_html.h"
#ifdef PMATCH_HAVE_MPI
#include "lazy_mpi.h"
#endif

_Static_assert(ARCHIVE_VERSION_NUMBER / 1000000 == 3, "libarchive.so.13 is libarchive 3");
_Static_assert(LIBCURL_VERSION_MAJOR == 7 || LIBCURL_VERSION_MAJOR == 8, "libcurl.so.4");

typedef struct lazy_sym {
    unsigned lib;
    const char *name;
    size_t offset;
} lazy_sym;

typedef struct lazy_lib {
    once_flag once;
    int state; /* 0 loaded, -1 not */
    char msg[256];
} lazy_lib;

static int disabled(const char *soname)
{
    const char *list = getenv("LM_DISABLE_LIBS");
    while (list && *list) {
        size_t n = strcspn(list, ",");
        if (n && strncmp(soname, list, n) == 0)
            return 1;
        list += n + (list[n] == ',');
    }
    return 0;
}

static void load(lazy_lib *l, const char *const *sonames, size_t nlibs, int global,
                 const lazy_sym *syms, size_t nsyms, void *table)
{
    void *h[4] = {0};
    l->state = -1;
    for (size_t i = 0; i < nlibs && i < 4; i++) {
        if (disabled(sonames[i])) {
            snprintf(l->msg, sizeof l->msg, "%s is disabled (LM_DISABLE_LIBS)", sonames[i]);
            return;
        }
        h[i] = dlopen(sonames[i], RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
        if (!h[i]) {
            const char *e = dlerror();
            snprintf(l->msg, sizeof l->msg, "%s", e ? e : sonames[i]);
            return;
        }
    }
    for (size_t i = 0; i < nsyms; i++) {
        void *p = syms[i].lib < nlibs ? dlsym(h[syms[i].lib], syms[i].name) : NULL;
        if (!p) {
            snprintf(l->msg, sizeof l->msg, "%s: no symbol %s", sonames[syms[i].lib % nlibs],
                     syms[i].name);
            return;
        }
        memcpy((char *)table + syms[i].offset, &p, sizeof p);
    }
    l->state = 0;
}

static int result(lazy_lib *l, const char **why)
{
    if (l->state == 0)
        return 0;
    if (why)
        *why = l->msg;
    return -1;
}

#define LOADER(fn, prefix, table, SYMBOLS, global, ...)                                            \
    table prefix##_fn;                                                                             \
    static lazy_lib prefix##_lib = {.once = ONCE_FLAG_INIT};                                       \
    static void prefix##_once(void)                                                                \
    {                                                                                              \
        static const char *const libs[] = {__VA_ARGS__};                                           \
        static const lazy_sym syms[] = {SYMBOLS(prefix##_ENTRY)};                                  \
        load(&prefix##_lib, libs, sizeof libs / sizeof libs[0], global, syms,                      \
             sizeof syms / sizeof syms[0], &prefix##_fn);                                          \
    }                                                                                              \
    int fn(const char **why)                                                                       \
    {                                                                                              \
        call_once(&prefix##_lib.once, prefix##_once);                                              \
        return result(&prefix##_lib, why);                                                         \
    }

#define pm_curl_ENTRY(lib, name) {lib, #name, offsetof(pm_curl_table, name)},
#define pm_xml_ENTRY(lib, name) {lib, #name, offsetof(pm_xml_table, name)},
#define pm_archive_ENTRY(lib, name) {lib, #name, offsetof(pm_archive_table, name)},
#define pm_mpi_ENTRY(lib, name) {lib, #name, offsetof(pm_mpi_table, name)},

LOADER(pmatch_load_curl, pm_curl, pm_curl_table, PM_CURL_SYMBOLS, 0, "libcurl.so.4", "libssl.so.3")
LOADER(pmatch_load_html, pm_xml, pm_xml_table, PM_XML_SYMBOLS, 0, "libxml2.so.2")
LOADER(pmatch_load_archive, pm_archive, pm_archive_table, PM_ARCHIVE_SYMBOLS, 0, "libarchive.so.13")
#ifdef PMATCH_HAVE_MPI
LOADER(pmatch_load_mpi, pm_mpi, pm_mpi_table, PM_MPI_SYMBOLS, 1, "libmpi.so.40")
#else
int pmatch_load_mpi(const char **why)
{
    if (why)
        *why = "this pmatch was built without MPI";
    return -1;
}
#endif
