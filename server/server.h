/*
 * pmatch serve: the HTTP matching service. Internal to server/; uses only the
 * public libmatch.h. One matcher shared by the HTTP worker threads.
 */
#ifndef PMATCH_SERVER_H
#define PMATCH_SERVER_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

/* ---- configuration ------------------------------------------------------- */
typedef struct srv_config {
    const char *db_path;
    const char *listen_addr; /* default 127.0.0.1 */
    int port;                /* 0: pick a free port */
    const char *port_file;   /* written once listening (tests, scripts) */
    int workers;             /* HTTP worker threads sharing the matcher */
    const char *token_file;  /* NULL: match routes open, admin routes refused */
    uint64_t max_body;       /* bytes of one request body */
    int max_concurrent;      /* requests being processed at once */
    int max_connections;     /* open connections (a hard cap, refused by MHD) */
    int request_timeout_s;   /* whole request, from headers to the end of the body */
    int idle_timeout_s;      /* a connection sending nothing for this long is closed */
    int refresh_s;           /* lm_matcher_refresh every N seconds (0: only on SIGHUP) */
    int grace_s;             /* SIGTERM: wait at most this long for in-flight requests */
    int max_batch;           /* hashes in one lookup request */
    int max_distance;        /* default PDQ distance of lookups and checks */
    int allow_url;           /* ?url= lookups (--allow-url; refused otherwise) */
    int url_timeout_s;       /* one URL fetch, redirects included */
    int max_url_fetches;     /* URL fetches at once, more get 503 */
} srv_config;

/* ---- tokens -------------------------------------------------------------- */
enum { ROLE_NONE = 0, ROLE_MATCH = 1, ROLE_ADMIN = 2 };

typedef struct srv_token {
    char *token;
    size_t len;
    int role;
} srv_token;

typedef struct srv_tokens {
    srv_token *v;
    size_t n;
} srv_tokens;

/* Load "ROLE TOKEN" lines (ROLE match|admin; '#' comments). 0, or -1 with errbuf. */
int tokens_load(const char *path, srv_tokens *out, char *errbuf, size_t errlen);
void tokens_free(srv_tokens *t);
/* The role of a presented token (constant time over every token), ROLE_NONE if unknown. */
int tokens_role(const srv_tokens *t, const char *presented, size_t len);

/* ---- metrics ------------------------------------------------------------- */
enum srv_route {
    R_UNKNOWN = 0,
    R_HEALTHZ,
    R_READYZ,
    R_METRICS,
    R_OPENAPI,
    R_STATUS,
    R_CHECK,
    R_LOOKUP,
    R_PDQ_BATCH,
    R_HMA_HASH,
    R_HMA_LOOKUP,
    R_HMA_RAW_LOOKUP,
    R_HMA_COMPARE,
    R_HMA_INDEX_STATUS,
    R_HMA_BANKS,
    R_HMA_BANK,
    R_ADMIN,
    R_COUNT
};
extern const char *const srv_route_names[R_COUNT];

#define SRV_LAT_BUCKETS 14
#define SRV_STATUS_SLOTS 16
#define SRV_MAX_LISTS 128

typedef struct srv_metrics {
    atomic_uint_fast64_t requests[R_COUNT][SRV_STATUS_SLOTS];
    atomic_uint_fast64_t lat_bucket[R_COUNT][SRV_LAT_BUCKETS + 1]; /* last: +Inf */
    atomic_uint_fast64_t lat_sum_us[R_COUNT];
    atomic_uint_fast64_t refreshes, refresh_failures, refresh_swaps;
    atomic_uint_fast64_t last_refresh_us;  /* duration of the last refresh */
    atomic_uint_fast64_t last_refresh_end; /* unix time */
    atomic_uint_fast64_t verdicts[5];      /* lm_verdict */
    atomic_int in_flight;
    pthread_mutex_t list_lock; /* matches by list name */
    char list_names[SRV_MAX_LISTS][64];
    uint64_t list_matches[SRV_MAX_LISTS];
    uint64_t list_other;
} srv_metrics;

void metrics_init(srv_metrics *m);
void metrics_destroy(srv_metrics *m);
void metrics_request(srv_metrics *m, int route, int status, double seconds);
void metrics_list_match(srv_metrics *m, const char *list);
/* Prometheus text format; malloc'ed, NUL-terminated. */
char *metrics_render(srv_metrics *m, const lm_matcher *matcher, size_t *len);

/* ---- the server ---------------------------------------------------------- */
typedef struct srv {
    srv_config cfg;
    lm_db *db; /* the list, opened once (writable when an admin token exists) */
    int db_writable;
    lm_matcher *matcher; /* built on db (lm_matcher_open_db) */
    srv_tokens tokens;
    int auth_enabled;
    srv_metrics metrics;
    atomic_int shutting_down;
    atomic_int ready;
    atomic_uint_fast64_t next_request_id;
    /* refresh thread */
    pthread_mutex_t refresh_lock;
    pthread_cond_t refresh_cond;
    int refresh_requested;
    int refresh_stop;
    int64_t started; /* unix time */
    /* ?url= fetches (serve_url.c) */
    const struct addr_guard *url_guard; /* which addresses a fetch may connect to */
    atomic_int url_active;              /* fetches counted against --max-url-fetches */
    atomic_int url_threads;             /* fetch threads alive (shutdown waits for them) */
} srv;

/* A reply built by a route handler. */
typedef struct srv_reply {
    int status;
    json_t *json; /* body, or NULL when text is set */
    char *text;   /* malloc'ed non-JSON body (metrics, HMA /status) */
    size_t text_len;
    const char *content_type;
    const char *verdict; /* for the log line, static */
    int matches;         /* for the log line */
    int retry_after;     /* seconds, 0: no header */
    int www_auth;        /* add WWW-Authenticate: Bearer */
} srv_reply;

/* A parsed request handed to the routes. */
typedef struct srv_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    const uint8_t *body; /* raw body, or the uploaded file of a multipart body */
    size_t body_len;
    int multipart;     /* the body came from a multipart/form-data file field */
    const char *field; /* its field name ("photo", "video", "file", ...) */
    int role;
    double deadline; /* monotonic seconds */
    int from_url;    /* body holds the bytes fetched from ?url= */
} srv_request;

/* JSON error reply: {"error": code, "message": text, "status": http}. */
void reply_error(srv_reply *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The list administration routes (serve_admin.c): R_HMA_BANKS, R_HMA_BANK, R_ADMIN. */
void admin_dispatch(srv *s, int route, srv_request *rq, srv_reply *r);
/* 1 when some token has the admin role. */
int tokens_have_admin(const srv_tokens *t);

/* Route a complete request. */
void routes_dispatch(srv *s, int route, srv_request *rq, srv_reply *r);
/* Which route a path belongs to (R_UNKNOWN: 404), the role the method needs on it, and
 * whether the route takes that method (0: 405). */
int routes_find(const char *url, const char *method, int *needed_role, int *method_ok);

/* The embedded OpenAPI document (openapi_doc.c, generated from openapi.json). */
extern const char srv_openapi_json[];
extern const size_t srv_openapi_json_len;

double now_monotonic(void);
/* One structured log line on stderr (JSON object; the object is consumed). */
void srv_log(const char *level, const char *event, json_t *fields);

#endif
