/*
 * Heavy optional libraries (FFmpeg, libheif, libwebpdemux, libxml2) are opened with
 * dlopen the first time a file needs them, so that hashing a JPEG or a PNG never pays
 * for loading them (issue 17: 157 shared libraries and 53 ms before the first image).
 *
 * Each user keeps a table of function pointers typed from the library's own header
 * (__typeof__), filled once under call_once by lm_lazy_load and read-only afterwards,
 * and a header (*_lazy.h) that maps the library's names onto the table, so call sites
 * stay the library's own calls. Sonames come from the headers' major versions: the
 * library loaded is the ABI the code was compiled against.
 */
#ifndef LM_CORE_LAZY_H
#define LM_CORE_LAZY_H

#include <stddef.h>

typedef struct lm_lazy_sym {
    unsigned lib;     /* index into the sonames */
    const char *name; /* symbol */
    size_t offset;    /* of its slot in the caller's table */
} lm_lazy_sym;

/* Opens sonames[0..nlibs) (RTLD_NOW, RTLD_GLOBAL when global) and resolves every symbol
 * into table. Returns 0, or -1 with msg saying which library or symbol failed.
 * *was_loaded (may be NULL) is set to 1 when the first library was already in the
 * process before this call. Call it once (call_once); never unloads.
 * LM_DISABLE_LIBS=name,name (a soname prefix such as libavformat or libheif) makes the
 * named libraries count as missing: hosts that want no video or HEIF decoding at all,
 * and the tests of what happens when a library is absent. */
int lm_lazy_load(const char *const *sonames, size_t nlibs, int global, const lm_lazy_sym *syms,
                 size_t nsyms, void *table, int *was_loaded, char *msg, size_t msgsz);

#endif
