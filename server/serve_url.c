/*
 * pmatch serve: `?url=` lookups (off unless --allow-url). The bytes are fetched into memory
 * by the same bounded, address-guarded fetcher as `pmatch scan` (cli/fetch.c with
 * cli/addr_guard.c: byte, time and redirect limits, http/https only, the guard on every
 * socket opened, loopback and private addresses refused unless --allow-private or
 * --allow-net). The connection is suspended while a fetch thread runs, so a slow origin
 * holds no HTTP worker; at most --max-url-fetches run at once. Nothing fetched is written
 * to disk or logged: the log line holds sizes, the status and the error code.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "serve_url.h"

struct url_job {
    srv *s;
    struct MHD_Connection *conn;
    fetch_config cfg;
    fetch_result res;
    char *url;
    uint8_t *data; /* taken from res in the callback */
    size_t len;
    atomic_int done;
};

static void on_done(void *ctx, fetch_result *r)
{
    url_job *j = ctx;
    if (!r->error_code) {
        j->data = r->data; /* ours now: fetch_run frees r->data unless it is taken */
        j->len = r->len;
        r->data = NULL;
    }
}

static void *fetch_thread(void *arg)
{
    url_job *j = arg;
    fetch_result *items[1] = {&j->res};
    fetch_run(&j->cfg, items, 1, on_done, j);
    atomic_store(&j->done, 1);
    srv *s = j->s;
    /* The slot is free before the reply can reach the client. */
    atomic_fetch_sub(&s->url_active, 1);
    /* After this the connection may be handled (and the job freed) by an MHD thread. */
    MHD_resume_connection(j->conn);
    atomic_fetch_sub(&s->url_threads, 1);
    return NULL;
}

int url_start(srv *s, struct MHD_Connection *c, const char *url, double deadline, url_job **out)
{
    *out = NULL;
    if (atomic_fetch_add(&s->url_active, 1) >= s->cfg.max_url_fetches) {
        atomic_fetch_sub(&s->url_active, 1);
        return -1;
    }
    url_job *j = calloc(1, sizeof *j);
    if (j)
        j->url = strdup(url);
    if (!j || !j->url) {
        if (j)
            free(j);
        atomic_fetch_sub(&s->url_active, 1);
        return -2;
    }
    j->s = s;
    j->conn = c;
    fetch_config_init(&j->cfg);
    j->cfg.max_bytes = s->cfg.max_body;
    double left = deadline - now_monotonic();
    double t = s->cfg.url_timeout_s < left ? s->cfg.url_timeout_s : left;
    if (t < 1)
        t = 1;
    j->cfg.timeout_ms = (long)(t * 1000);
    if (j->cfg.connect_timeout_ms > j->cfg.timeout_ms)
        j->cfg.connect_timeout_ms = j->cfg.timeout_ms;
    j->cfg.connections = 1;
    j->cfg.guard = s->url_guard;
    j->res.url = j->url;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    /* Suspend before the thread can resume. */
    MHD_suspend_connection(c);
    pthread_t th;
    atomic_fetch_add(&s->url_threads, 1);
    int rc = pthread_create(&th, &a, fetch_thread, j);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        atomic_fetch_sub(&s->url_threads, 1);
        MHD_resume_connection(c);
        free(j->url);
        free(j);
        atomic_fetch_sub(&s->url_active, 1);
        return -2;
    }
    *out = j;
    return 0;
}

int url_done(const url_job *j)
{
    return atomic_load(&j->done);
}

static int status_of(const char *code)
{
    if (!strcmp(code, "address_not_allowed"))
        return 403;
    if (!strcmp(code, "too_large"))
        return 413;
    if (!strcmp(code, "timeout"))
        return 504;
    if (!strcmp(code, "scheme_not_allowed") || !strcmp(code, "bad_url"))
        return 400;
    if (!strcmp(code, "no_memory") || !strcmp(code, "internal"))
        return 503;
    return 502; /* the origin failed: http_status, connect_failed, resolve_failed, tls_error .. */
}

int url_result(url_job *j, const uint8_t **data, size_t *len, srv_reply *r, json_t *log)
{
    fetch_result *res = &j->res;
    if (log) {
        json_object_set_new(log, "url_fetch_ms", json_real(res->seconds * 1000.0));
        json_object_set_new(log, "url_http_status", json_integer(res->status));
        json_object_set_new(log, "url_bytes", json_integer((json_int_t)j->len));
        if (res->error_code)
            json_object_set_new(log, "url_error", json_string(res->error_code));
    }
    if (res->error_code) {
        reply_error(r, status_of(res->error_code), res->error_code, "fetching the url: %s",
                    res->error);
        if (r->json) {
            json_object_set_new(r->json, "http_status", json_integer(res->status));
            if (!strcmp(res->error_code, "address_not_allowed")) {
                json_object_set_new(r->json, "refused_address", json_string(res->refused_ip));
                json_object_set_new(r->json, "refused_class",
                                    json_string(addr_class_name(res->refused_class)));
            }
        }
        return -1;
    }
    *data = j->data;
    *len = j->len;
    return 0;
}

void url_free(url_job *j)
{
    if (!j)
        return;
    fetch_result_clear(&j->res);
    free(j->data);
    free(j->url);
    free(j);
}

void url_wait_idle(srv *s, double seconds)
{
    double until = now_monotonic() + seconds;
    while (atomic_load(&s->url_threads) > 0 && now_monotonic() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int url_global_init(void)
{
    return fetch_global_init();
}
