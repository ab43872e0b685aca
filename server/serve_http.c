/*
 * pmatch serve: libmicrohttpd glue. Per request: route and token checks on the
 * headers (before any body byte is read), the body or the multipart file
 * collected under the size and time limits, then one route handler and one
 * JSON reply. Every refusal is a JSON error with its own code and status.
 */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "serve_http.h"
#include "serve_url.h"

typedef struct req_state {
    int route, needed_role, role;
    double start, deadline;
    uint64_t id;
    uint8_t *buf;
    size_t len, cap;
    struct MHD_PostProcessor *pp;
    int files;
    char field[32];
    int post_error;
    int too_large;
    int rejected; /* a reply was queued before the end of the body */
    int discard;  /* over a limit: the rest of the body is dropped, the error sent at the end */
    uint64_t dropped;
    int counted; /* counted in metrics.in_flight */
    int status;
    const char *verdict;
    int matches;
    char method[8];
    url_job *fetch; /* a ?url= fetch started for this request */
    json_t *log;    /* extra fields of the request's log line (url_*) */
} req_state;

double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void srv_log(const char *level, const char *event, json_t *fields)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(stamp));
    json_object_set_new(o, "level", json_string(level));
    json_object_set_new(o, "event", json_string(event));
    if (fields) {
        json_object_update(o, fields);
        json_decref(fields);
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (!line)
        return;
    pthread_mutex_lock(&log_lock);
    fputs(line, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(line);
}

void reply_error(srv_reply *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->json)
        json_decref(r->json);
    free(r->text);
    r->text = NULL;
    r->status = status;
    r->json = json_pack("{s:s, s:s, s:i}", "error", code, "message", msg, "status", status);
    r->verdict = NULL;
}

/* Queue a reply on the connection; frees what the reply owns. */
static enum MHD_Result send_reply(struct MHD_Connection *c, req_state *st, srv_reply *r)
{
    char *body = NULL;
    size_t len = 0;
    const char *ctype = r->content_type;
    if (r->json) {
        body = json_dumps(r->json, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(r->json);
        r->json = NULL;
        if (!body) {
            r->status = 500;
            body = strdup("{\"error\":\"internal\",\"message\":\"out of memory\",\"status\":500}");
        }
        len = body ? strlen(body) : 0;
        if (!ctype)
            ctype = "application/json";
    } else {
        body = r->text;
        len = r->text_len;
        r->text = NULL;
        if (!ctype)
            ctype = "text/plain; charset=utf-8";
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (r->www_auth)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"pmatch\"");
    if (st) {
        st->status = r->status;
        st->verdict = r->verdict;
        st->matches = r->matches;
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, req_state *st, int status, const char *code,
                              const char *msg, int retry_after, int www)
{
    srv_reply r = {0};
    reply_error(&r, status, code, "%s", msg);
    r.retry_after = retry_after;
    r.www_auth = www;
    st->rejected = 1;
    return send_reply(c, st, &r);
}

static int body_append(srv *s, req_state *st, const char *data, size_t size)
{
    if (size > s->cfg.max_body || st->len > s->cfg.max_body - size) {
        st->too_large = 1;
        return -1;
    }
    if (st->len + size > st->cap) {
        size_t cap = st->cap ? st->cap : 65536;
        while (cap < st->len + size)
            cap *= 2;
        if (cap > s->cfg.max_body)
            cap = s->cfg.max_body;
        uint8_t *nb = realloc(st->buf, cap);
        if (!nb) {
            st->too_large = 1;
            return -1;
        }
        st->buf = nb;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, data, size);
    st->len += size;
    return 0;
}

/* The post-processor's iterator gets the request state; the limits come through this. */
static __thread srv *tls_srv;

static int is_file_part(const char *key, const char *filename)
{
    return filename || strcmp(key, "photo") == 0 || strcmp(key, "video") == 0 ||
           strcmp(key, "file") == 0 || strcmp(key, "image") == 0;
}

/* multipart/form-data: the one file part's bytes go to the body buffer; other fields are
 * ignored (MHD bounds them by its buffer). More than one file part is an error. */
static enum MHD_Result post_iterator(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
    req_state *st = cls;
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (!key || !is_file_part(key, filename))
        return MHD_YES;
    if (off == 0) {
        st->files++;
        if (st->files > 1) {
            st->post_error = 2;
            return MHD_NO;
        }
        snprintf(st->field, sizeof st->field, "%s", key);
    }
    if (size && body_append(tls_srv, st, data, size) != 0)
        return MHD_NO;
    return MHD_YES;
}

static int has_prefix_ci(const char *s, const char *p)
{
    return s && strncasecmp(s, p, strlen(p)) == 0;
}

static enum MHD_Result first_call(srv *s, struct MHD_Connection *c, const char *url,
                                  const char *method, req_state *st)
{
    int method_ok = 0;
    st->route = routes_find(url, method, &st->needed_role, &method_ok);
    if (atomic_load(&s->shutting_down)) {
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 1);
        return refuse(c, st, 503, "shutting_down", "the service is shutting down", 5, 0);
    }
    if (st->route == R_UNKNOWN)
        return refuse(c, st, 404, "not_found", "no such route (see /openapi.json)", 0, 0);
    if (!method_ok)
        return refuse(c, st, 405, "method_not_allowed", "this route does not take that method", 0,
                      0);
    if (st->needed_role > ROLE_NONE) {
        if (s->auth_enabled) {
            const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
            if (!auth || !has_prefix_ci(auth, "Bearer "))
                return refuse(c, st, 401, "missing_token",
                              "this route needs 'Authorization: Bearer TOKEN'", 0, 1);
            const char *tok = auth + 7;
            while (*tok == ' ')
                tok++;
            st->role = tokens_role(&s->tokens, tok, strlen(tok));
            if (st->role == ROLE_NONE)
                return refuse(c, st, 401, "invalid_token", "the token is not valid", 0, 1);
            if (st->role < st->needed_role)
                return refuse(c, st, 403, "forbidden",
                              "this route needs an admin token; the token is read-only", 0, 0);
        } else {
            st->role = ROLE_MATCH;
            if (st->needed_role == ROLE_ADMIN)
                return refuse(c, st, 403, "admin_disabled",
                              "admin routes need a token file (--tokens) with an admin token", 0,
                              0);
        }
    }
    /* Probes and metrics are never refused for load. */
    if (st->route != R_HEALTHZ && st->route != R_READYZ && st->route != R_METRICS) {
        int n = atomic_fetch_add(&s->metrics.in_flight, 1) + 1;
        st->counted = 1;
        if (n > s->cfg.max_concurrent)
            return refuse(c, st, 503, "too_busy", "too many requests in progress; retry", 1, 0);
    }
    const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (clen) {
        errno = 0;
        char *end;
        unsigned long long n = strtoull(clen, &end, 10);
        if (errno || end == clen || *end)
            return refuse(c, st, 400, "bad_request", "malformed Content-Length", 0, 0);
        if (n > s->cfg.max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "request body of %llu bytes over the limit of %" PRIu64, n,
                     s->cfg.max_body);
            return refuse(c, st, 413, "body_too_large", msg, 0, 0);
        }
    }
    const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (has_prefix_ci(ctype, "multipart/form-data") && strcmp(method, "POST") == 0) {
        st->pp = MHD_create_post_processor(c, 65536, post_iterator, st);
        if (!st->pp)
            return refuse(c, st, 400, "bad_multipart",
                          "multipart/form-data without a usable boundary", 0, 0);
    }
    return MHD_YES;
}

/* The routes that take content and so a ?url=: /v1/check, /h/hash, /m/lookup (GET with url
 * instead of a signal) and adding content to a bank (POST /c/bank/NAME/content). */
static int route_takes_url(int route, const char *method, const char *url)
{
    switch (route) {
    case R_CHECK:
    case R_HMA_HASH:
    case R_HMA_LOOKUP: return 1;
    case R_HMA_BANK: {
        if (strcmp(method, "POST") != 0)
            return 0;
        size_t n = strlen(url);
        return n > 8 && strcmp(url + n - 8, "/content") == 0;
    }
    default: return 0;
    }
}

enum MHD_Result serve_http_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    srv *s = cls;
    (void)version;
    req_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        *con_cls = st;
        st->start = now_monotonic();
        st->deadline = st->start + s->cfg.request_timeout_s;
        st->id = atomic_fetch_add(&s->next_request_id, 1) + 1;
        snprintf(st->method, sizeof st->method, "%s", method);
        return first_call(s, c, url, method, st);
    }
    if (st->rejected) {
        /* A reply is queued: the rest of the body is discarded (bounded by the deadline). */
        *upload_data_size = 0;
        return now_monotonic() > st->deadline ? MHD_NO : MHD_YES;
    }
    if (*upload_data_size && st->discard) {
        st->dropped += *upload_data_size;
        *upload_data_size = 0;
        if (now_monotonic() > st->deadline)
            return refuse(c, st, 408, "request_timeout", "the request took too long to arrive", 0,
                          0);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (now_monotonic() > st->deadline)
            return refuse(c, st, 408, "request_timeout", "the request took too long to arrive", 0,
                          0);
        if (st->pp) {
            tls_srv = s;
            if (MHD_post_process(st->pp, upload_data, size) != MHD_YES && !st->too_large &&
                !st->post_error)
                st->post_error = 1;
        } else {
            body_append(s, st, upload_data, size);
        }
        /* Too large or two files: the rest is read and dropped (a reply queued before the
         * body has been read would be lost to the TCP reset of closing on unread data); the
         * error goes out at the end of the body. */
        if (st->too_large || st->post_error == 2) {
            st->discard = 1;
            free(st->buf);
            st->buf = NULL;
            st->cap = 0;
        }
        return MHD_YES;
    }
    /* The whole request is here. */
    srv_reply r = {0};
    srv_request rq = {0};
    rq.conn = c;
    rq.method = method;
    rq.url = url;
    rq.role = st->role;
    rq.deadline = st->deadline;
    if (st->too_large && !st->pp) {
        reply_error(&r, 413, "body_too_large", "request body over the limit of %" PRIu64 " bytes",
                    s->cfg.max_body);
        return send_reply(c, st, &r);
    }
    if (st->pp) {
        tls_srv = s;
        MHD_destroy_post_processor(st->pp);
        st->pp = NULL;
        if (st->too_large) {
            reply_error(&r, 413, "body_too_large",
                        "request body over the limit of %" PRIu64 " bytes", s->cfg.max_body);
            return send_reply(c, st, &r);
        }
        if (st->post_error == 2) {
            reply_error(&r, 400, "too_many_files", "only one file per request");
            return send_reply(c, st, &r);
        }
        if (st->post_error) {
            reply_error(&r, 400, "bad_multipart", "malformed multipart/form-data body");
            return send_reply(c, st, &r);
        }
        if (st->files == 0) {
            reply_error(&r, 400, "missing_file", "multipart/form-data body without a file field");
            return send_reply(c, st, &r);
        }
        rq.multipart = 1;
        rq.field = st->field;
    }
    rq.body = st->buf ? st->buf : (const uint8_t *)"";
    rq.body_len = st->len;
    /* ?url= (when enabled) on a route that takes content, without a body: fetch the bytes
     * first (the connection is suspended meanwhile), then hand them to the route. */
    const char *url_arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "url");
    if (s->cfg.allow_url && url_arg && url_arg[0] && st->len == 0 && !st->pp &&
        route_takes_url(st->route, method, url)) {
        if (!st->fetch) {
            int rc = url_start(s, c, url_arg, st->deadline, &st->fetch);
            if (rc == -1) {
                reply_error(&r, 503, "too_busy", "too many URL fetches in progress; retry");
                r.retry_after = 1;
                return send_reply(c, st, &r);
            }
            if (rc != 0) {
                reply_error(&r, 503, "no_memory", "cannot start the URL fetch");
                return send_reply(c, st, &r);
            }
            return MHD_YES; /* suspended; called again once the fetch has finished */
        }
        if (!url_done(st->fetch))
            return MHD_YES;
        if (!st->log)
            st->log = json_object();
        if (url_result(st->fetch, &rq.body, &rq.body_len, &r, st->log) != 0)
            return send_reply(c, st, &r);
        rq.from_url = 1;
    }
    routes_dispatch(s, st->route, &rq, &r);
    if (!r.json && !r.text)
        reply_error(&r, 500, "internal", "no reply");
    return send_reply(c, st, &r);
}

void serve_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    srv *s = cls;
    (void)c;
    req_state *st = *con_cls;
    if (!st)
        return;
    *con_cls = NULL;
    double secs = now_monotonic() - st->start;
    int status = st->status ? st->status : 0;
    metrics_request(&s->metrics, st->route, status, secs);
    if (st->counted)
        atomic_fetch_sub(&s->metrics.in_flight, 1);
    json_t *f =
        json_pack("{s:I, s:s, s:s, s:i, s:f, s:I}", "request_id", (json_int_t)st->id, "method",
                  st->method, "route", srv_route_names[st->route], "status", status, "ms",
                  secs * 1000.0, "bytes_in", (json_int_t)(st->len + st->dropped));
    if (f && st->verdict) {
        json_object_set_new(f, "verdict", json_string(st->verdict));
        json_object_set_new(f, "matches", json_integer(st->matches));
    }
    if (f && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        static const char *const why[] = {"completed",       "error",      "timeout_reached",
                                          "daemon_shutdown", "read_error", "client_abort"};
        json_object_set_new(f, "terminated", json_string((unsigned)toe < 6 ? why[toe] : "unknown"));
    }
    if (f && st->log)
        json_object_update(f, st->log);
    json_decref(st->log);
    srv_log(status >= 500 || status == 0 ? "warn" : "info", "request", f);
    if (st->pp) {
        tls_srv = s;
        MHD_destroy_post_processor(st->pp);
    }
    url_free(st->fetch);
    free(st->buf);
    free(st);
}
