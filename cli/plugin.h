/*
 * Front-end plugins: parts of pmatch with heavy dependencies built as separate shared
 * modules (today pmatch-serve.so: libmicrohttpd, jansson, GnuTLS) and opened only by the
 * sub-command that needs them. Looked for in $PMATCH_PLUGIN_DIR if set, else next to the
 * executable (the build tree), else in the install's plugin directory found relative to
 * the executable (bindir/../libdir/pmatch), else in its configured absolute path.
 */
#ifndef PMATCH_PLUGIN_H
#define PMATCH_PLUGIN_H

#include <stddef.h>

/* The symbol `entry` of plugin `file` (e.g. "pmatch-serve.so"), or NULL with err saying
 * where it was looked for and why it could not be opened. */
void *pmatch_plugin_symbol(const char *file, const char *entry, char *err, size_t errsz);

#endif
