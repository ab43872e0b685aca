/*
 * libcurl (0: libcurl.so.4) and libssl (1: libssl.so.3) for URL fetching.
 * Included after the library's headers: its names below call through the table that
 * cli/lazy_lib.c fills on first use (dlopen), so that `pmatch hash` and local scans
 * never load it (issue 17). Every entry point calls its pmatch_load_* first.
 */
#ifndef PMATCH_LAZY_CURL_H
#define PMATCH_LAZY_CURL_H

#include <curl/curl.h>
#include <openssl/ssl.h>

#define PM_CURL_SYMBOLS(X) \
    X(0, curl_easy_cleanup) \
    X(0, curl_easy_getinfo) \
    X(0, curl_easy_init) \
    X(0, curl_easy_setopt) \
    X(0, curl_easy_strerror) \
    X(0, curl_free) \
    X(0, curl_global_init) \
    X(0, curl_multi_add_handle) \
    X(0, curl_multi_cleanup) \
    X(0, curl_multi_info_read) \
    X(0, curl_multi_init) \
    X(0, curl_multi_perform) \
    X(0, curl_multi_poll) \
    X(0, curl_multi_remove_handle) \
    X(0, curl_url) \
    X(0, curl_url_cleanup) \
    X(0, curl_url_dup) \
    X(0, curl_url_get) \
    X(0, curl_url_set) \
    X(1, SSL_get1_peer_certificate)

typedef struct pm_curl_table {
#define PM_CURL_SLOT(lib, name) __typeof__(name) *name;
    PM_CURL_SYMBOLS(PM_CURL_SLOT)
#undef PM_CURL_SLOT
} pm_curl_table;

extern pm_curl_table pm_curl_fn;

#ifndef PM_CURL_NO_REMAP
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_cleanup (pm_curl_fn.curl_easy_cleanup)
#define curl_easy_getinfo (pm_curl_fn.curl_easy_getinfo)
#define curl_easy_init (pm_curl_fn.curl_easy_init)
#define curl_easy_setopt (pm_curl_fn.curl_easy_setopt)
#define curl_easy_strerror (pm_curl_fn.curl_easy_strerror)
#define curl_free (pm_curl_fn.curl_free)
#define curl_global_init (pm_curl_fn.curl_global_init)
#define curl_multi_add_handle (pm_curl_fn.curl_multi_add_handle)
#define curl_multi_cleanup (pm_curl_fn.curl_multi_cleanup)
#define curl_multi_info_read (pm_curl_fn.curl_multi_info_read)
#define curl_multi_init (pm_curl_fn.curl_multi_init)
#define curl_multi_perform (pm_curl_fn.curl_multi_perform)
#define curl_multi_poll (pm_curl_fn.curl_multi_poll)
#define curl_multi_remove_handle (pm_curl_fn.curl_multi_remove_handle)
#define curl_url (pm_curl_fn.curl_url)
#define curl_url_cleanup (pm_curl_fn.curl_url_cleanup)
#define curl_url_dup (pm_curl_fn.curl_url_dup)
#define curl_url_get (pm_curl_fn.curl_url_get)
#define curl_url_set (pm_curl_fn.curl_url_set)
#define SSL_get1_peer_certificate (pm_curl_fn.SSL_get1_peer_certificate)
#endif

#endif
