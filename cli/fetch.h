/*
 * Bounded HTTP(S) fetching into memory with libcurl's multi interface: a fixed number of
 * connections, byte, time and redirect limits, allowed schemes on every hop, and the
 * address guard (addr_guard.h) on every socket opened. Content encodings libcurl supports
 * (gzip, deflate, br, zstd) are asked for and decoded; the byte limit holds for the decoded
 * body. Nothing is written to disk (no cookie jar, HSTS or alt-svc cache).
 */
#ifndef PMATCH_FETCH_H
#define PMATCH_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "addr_guard.h"

typedef struct fetch_config {
    uint64_t max_bytes;      /* body limit, also for chunked bodies of unknown length */
    long connect_timeout_ms; /* per connection attempt */
    long timeout_ms;         /* whole transfer, redirects included */
    long max_redirects;
    const char *protocols; /* allowed schemes, e.g. "http,https" (also on redirects) */
    const char *user_agent;
    const char *proxy;       /* NULL: libcurl's environment variables (http_proxy, ...) */
    const char *cacert;      /* NULL: the system's CA store */
    int connections;         /* transfers at once */
    const addr_guard *guard; /* NULL: public addresses only (see addr_guard.h) */
} fetch_config;

/* Defaults: 256 MiB, 10 s connect, 60 s total, 5 redirects, http,https, 8 connections. */
void fetch_config_init(fetch_config *cfg);

/* The server certificate of an HTTPS connection (the leaf, as presented). */
typedef struct fetch_tls {
    int present;
    char subject[256], issuer[256]; /* RFC 2253 text */
    char sha256[65];                /* SHA-256 of the DER certificate, lowercase hex */
} fetch_tls;

/* One request of a transfer: the first, then one per redirect followed. */
typedef struct fetch_hop {
    char *url; /* as requested (malloc'ed; may hold user:pass@, redact before recording) */
    long status;
    char ip[64]; /* the address connected to (behind a proxy: the proxy's) */
    long port;
    fetch_tls tls;
} fetch_hop;

/* A socket libcurl wanted to open, and what the guard said. */
typedef struct fetch_addr {
    char ip[48];
    unsigned port;
    int allowed;
    addr_class cls;
} fetch_addr;

#define FETCH_MAX_ADDRS 16

/* One transfer: the caller sets url; fetch_run fills in the rest. */
typedef struct fetch_result {
    const char *url;        /* [in] requested URL (not owned) */
    char *final_url;        /* after redirects (malloc'ed), NULL if none */
    long redirects, status; /* redirects followed; last HTTP status (0 if none) */
    char content_type[128]; /* as declared by the server, "" if none */
    char ip[64];            /* the server address the bytes came from */
    long port;
    char time_utc[40]; /* start of the transfer, ISO 8601 UTC */
    double seconds;    /* duration of the transfer */
    uint8_t *data;     /* the body (malloc'ed, never on disk); freed by fetch_run
                          after the callback unless the callback took it */
    size_t len;
    const char *error_code;    /* NULL on success, else a short static code (see fetch.c) */
    char error[256];           /* detail for error_code */
    int too_large;             /* private: the write callback hit max_bytes */
    char content_encoding[32]; /* the final response's Content-Encoding ("" if none) */
    fetch_hop *hops;           /* requests made, in order (malloc'ed) */
    size_t nhops;
    fetch_addr addrs[FETCH_MAX_ADDRS]; /* sockets opened or refused, in order */
    size_t naddrs, addrs_dropped;      /* recorded; more than FETCH_MAX_ADDRS */
    char refused_ip[48];               /* error_code "address_not_allowed": the address */
    addr_class refused_class;
    fetch_tls tls; /* of the last request's connection (HTTPS) */
} fetch_result;

/* Called once per finished transfer, in completion order, from fetch_run's thread. */
typedef void (*fetch_done_fn)(void *ctx, fetch_result *r);

/*
 * Fetch every item, at most cfg->connections at a time. Returns 0, or -1 when
 * libcurl could not be set up (then every item gets error_code "internal").
 */
int fetch_run(const fetch_config *cfg, fetch_result *const *items, size_t n, fetch_done_fn done,
              void *ctx);

void fetch_result_clear(fetch_result *r);

/* The current time as ISO 8601 UTC with milliseconds (as fetch_result.time_utc). */
void fetch_utc_now(char *out, size_t size);

/* libcurl's process-wide initialisation, done once (call before threads start). */
int fetch_global_init(void);
/* Why fetch_global_init failed (libcurl missing, or its own initialisation). */
const char *fetch_global_error(void);

#endif
