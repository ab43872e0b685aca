/*
 * pmatch scan on URLs: fetch each (bounded, in memory), check it with lm_check; for an
 * HTML page, fetch and check the media it embeds or links. Reports one verdict line per
 * item (or JSON Lines evidence records) and writes evidence records to --evidence FILE.
 * cmd_scan.c only classifies arguments, passes these options through and calls scan_urls.
 */
#ifndef PMATCH_SCAN_URLS_H
#define PMATCH_SCAN_URLS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "fetch.h"
#include "libmatch.h"

/* Long options of pmatch scan that belong to URL scanning (ids from SCAN_URL_OPT_FIRST). */
enum {
    SCAN_URL_OPT_FIRST = 600,
    SCAN_URL_OPT_LIST = SCAN_URL_OPT_FIRST,
    SCAN_URL_OPT_EVIDENCE,
    SCAN_URL_OPT_MAX_MEDIA,
    SCAN_URL_OPT_CONNECTIONS,
    SCAN_URL_OPT_CONNECT_TIMEOUT,
    SCAN_URL_OPT_TIMEOUT,
    SCAN_URL_OPT_MAX_REDIRECTS,
    SCAN_URL_OPT_PROTOCOLS,
    SCAN_URL_OPT_USER_AGENT,
    SCAN_URL_OPT_PROXY,
    SCAN_URL_OPT_CACERT,
    SCAN_URL_OPT_ALLOW_PRIVATE,
    SCAN_URL_OPT_ALLOW_NET,
    SCAN_URL_OPT_LAST = SCAN_URL_OPT_ALLOW_NET,
};
#define SCAN_URL_LONG_OPTIONS                                                                      \
    {"url-list", required_argument, NULL, SCAN_URL_OPT_LIST},                                      \
        {"evidence", required_argument, NULL, SCAN_URL_OPT_EVIDENCE},                              \
        {"max-media", required_argument, NULL, SCAN_URL_OPT_MAX_MEDIA},                            \
        {"connections", required_argument, NULL, SCAN_URL_OPT_CONNECTIONS},                        \
        {"connect-timeout", required_argument, NULL, SCAN_URL_OPT_CONNECT_TIMEOUT},                \
        {"timeout", required_argument, NULL, SCAN_URL_OPT_TIMEOUT},                                \
        {"max-redirects", required_argument, NULL, SCAN_URL_OPT_MAX_REDIRECTS},                    \
        {"protocols", required_argument, NULL, SCAN_URL_OPT_PROTOCOLS},                            \
        {"user-agent", required_argument, NULL, SCAN_URL_OPT_USER_AGENT},                          \
        {"proxy", required_argument, NULL, SCAN_URL_OPT_PROXY},                                    \
        {"cacert", required_argument, NULL, SCAN_URL_OPT_CACERT},                                  \
        {"allow-private", no_argument, NULL, SCAN_URL_OPT_ALLOW_PRIVATE},                          \
    {                                                                                              \
        "allow-net", required_argument, NULL, SCAN_URL_OPT_ALLOW_NET                               \
    }

typedef struct scan_url_config {
    fetch_config fetch;
    size_t max_media;     /* media fetched per page (default 100) */
    const char *url_list; /* --url-list FILE ('-': standard input) */
    const char *evidence; /* --evidence FILE: JSON Lines appended */
    addr_guard guard;     /* --allow-private, --allow-net (fetch.guard points here in scan_urls) */
    const char *db_path;  /* the list, for the list versions in evidence records (may be NULL) */
} scan_url_config;

void scan_urls_config_init(scan_url_config *cfg);
/* Apply one of the options above; 0, or -1 after printing why. */
int scan_urls_option(scan_url_config *cfg, int opt, const char *arg);
/* The options' lines for pmatch scan --help. */
void scan_urls_usage(FILE *out);
/* 1 when a command-line argument is a URL (SCHEME://...), not a path. */
int scan_is_url(const char *arg);

typedef struct scan_url_totals {
    uint64_t items, pages, media, matched, failed;
} scan_url_totals;

/*
 * Scan the URLs (and those of cfg->url_list). check->max_bytes also bounds bodies; jobs
 * threads check what the transfers bring while cfg->fetch.connections transfers run.
 * Prints verdicts on stdout (JSON Lines evidence records when json), a summary on
 * stderr. Returns 0, or -1 when it could not run (list or evidence file unusable,
 * out of memory; already reported).
 */
int scan_urls(const lm_matcher *m, const lm_check_options *check, int json, int quiet, int jobs,
              const scan_url_config *cfg, char *const *urls, size_t n, scan_url_totals *t);

/*
 * What scan_urls does with one fetched item (it->f filled by fetch_run, it->body the
 * body it took): lm_check the body; a URL_ITEM_URL that is an HTML page (declared or
 * sniffed, and not decodable media) becomes URL_ITEM_PAGE with its media listed against
 * the final URL (at most max_media). Sets it->checked/check/size or it->error_code, frees
 * it->body; *matched and *failed are 0 or 1. Thread-safe; exposed for fuzz/fuzz_http.c.
 */
struct url_item;
void scan_url_check_item(const lm_matcher *m, const lm_check_options *check, size_t max_media,
                         struct url_item *it, int *matched, int *failed);

#endif
