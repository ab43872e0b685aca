/*
 * The heavy libraries of the command (libcurl + libssl, libxml2, libarchive, OpenMPI)
 * are opened with dlopen the first time a URL, a page, an archive or an MPI run needs
 * them (issue 17: `pmatch hash x.jpg` loaded 157 libraries before its first image).
 * Each one's table and name mapping is in lazy_<name>.h; the sonames are the ABI the
 * headers describe. Loads are once per process (call_once) and never undone.
 * LM_DISABLE_LIBS=libcurl,libarchive,... makes the named libraries count as missing
 * (as libmatch's own loader does): the command needing them then fails with a message.
 */
#ifndef PMATCH_LAZY_LIB_H
#define PMATCH_LAZY_LIB_H

/* 0 when loaded; -1 with *why (static text naming the library and the reason) if not. */
int pmatch_load_curl(const char **why);    /* libcurl.so.4, libssl.so.3 */
int pmatch_load_html(const char **why);    /* libxml2.so.2 */
int pmatch_load_archive(const char **why); /* libarchive.so.13 */
int pmatch_load_mpi(const char **why);     /* libmpi.so.40 (builds with MPI only) */

#endif
