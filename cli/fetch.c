#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include <curl/curl.h>

void fetch_config_init(fetch_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_bytes = 256u << 20;
    cfg->connect_timeout_ms = 10000;
    cfg->timeout_ms = 60000;
    cfg->max_redirects = 5;
    cfg->protocols = "http,https";
    cfg->user_agent = "pmatch/" PMATCH_VERSION;
    cfg->connections = 8;
}

static once_flag global_once = ONCE_FLAG_INIT;
static CURLcode global_status = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fetch_global_init(void)
{
    call_once(&global_once, global_init);
    return global_status == CURLE_OK ? 0 : -1;
}

void fetch_result_clear(fetch_result *r)
{
    free(r->final_url);
    free(r->data);
    const char *url = r->url;
    memset(r, 0, sizeof *r);
    r->url = url;
}

/* A transfer in flight. */
typedef struct transfer {
    fetch_result *r;
    size_t cap;
    uint64_t limit;
    char errbuf[CURL_ERROR_SIZE];
} transfer;

/* The body goes to memory only; the limit holds whatever Content-Length said (or didn't). */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    transfer *t = ud;
    fetch_result *r = t->r;
    size_t n = size * nmemb;
    if (n > t->limit - r->len) {
        r->too_large = 1;
        return 0; /* libcurl aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (r->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 65536;
        while (cap < r->len + n)
            cap = cap > SIZE_MAX / 2 ? r->len + n : cap * 2;
        if (cap > t->limit)
            cap = (size_t)t->limit;
        uint8_t *d = realloc(r->data, cap);
        if (!d)
            return 0;
        r->data = d;
        t->cap = cap;
    }
    memcpy(r->data + r->len, p, n);
    r->len += n;
    return n;
}

static void utc_now(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char s[24];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%.19s.%03dZ", s, (int)(ts.tv_nsec / 1000000) % 1000);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Short, stable codes for the evidence record; the detail goes to error. */
static const char *error_code(CURLcode rc, const fetch_result *r)
{
    if (r->too_large)
        return "too_large";
    switch (rc) {
    case CURLE_FILESIZE_EXCEEDED: return "too_large";
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_TOO_MANY_REDIRECTS: return "too_many_redirects";
    case CURLE_UNSUPPORTED_PROTOCOL: return "scheme_not_allowed";
    case CURLE_URL_MALFORMAT: return "bad_url";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "resolve_failed";
    case CURLE_COULDNT_CONNECT: return "connect_failed";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return "tls_error";
    case CURLE_HTTP_RETURNED_ERROR: return "http_status";
    case CURLE_OUT_OF_MEMORY: return "no_memory";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return "transfer_failed";
    default: return "fetch_failed";
    }
}

static CURL *start(const fetch_config *cfg, transfer *t)
{
    fetch_result *r = t->r;
    utc_now(r->time_utc, sizeof r->time_utc);
    r->seconds = mono_now();
    t->limit = cfg->max_bytes ? cfg->max_bytes : 256u << 20;
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, r->url);
    SET(CURLOPT_PRIVATE, t);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, cfg->protocols);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, cfg->protocols);
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, cfg->max_redirects);
    SET(CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    SET(CURLOPT_FAILONERROR, 1L); /* no body for 4xx/5xx: the status is the evidence */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->limit); /* early refusal by Content-Length */
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    if (cfg->user_agent)
        SET(CURLOPT_USERAGENT, cfg->user_agent);
    if (cfg->proxy)
        SET(CURLOPT_PROXY, cfg->proxy);
    if (cfg->cacert)
        SET(CURLOPT_CAINFO, cfg->cacert);
#undef SET
    if (rc != CURLE_OK) {
        snprintf(r->error, sizeof r->error, "cannot set up the transfer: %s",
                 curl_easy_strerror(rc));
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

static void finish(CURL *e, transfer *t, CURLcode rc)
{
    fetch_result *r = t->r;
    r->seconds = mono_now() - r->seconds;
    char *s = NULL;
    long v = 0;
    if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
        r->final_url = strdup(s);
    if (curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &v) == CURLE_OK)
        r->redirects = v;
    if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &v) == CURLE_OK)
        r->status = v;
    s = NULL;
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
        snprintf(r->content_type, sizeof r->content_type, "%s", s);
    s = NULL;
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s)
        snprintf(r->ip, sizeof r->ip, "%s", s);
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &v) == CURLE_OK)
        r->port = v;
    if (rc == CURLE_OK && (r->status < 200 || r->status > 299)) {
        r->error_code = "http_status"; /* e.g. a 3xx without Location, or 1xx */
        snprintf(r->error, sizeof r->error, "HTTP status %ld", r->status);
    } else if (rc != CURLE_OK) {
        r->error_code = error_code(rc, r);
        if (r->too_large)
            snprintf(r->error, sizeof r->error, "body larger than the %llu-byte limit",
                     (unsigned long long)t->limit);
        else if (rc == CURLE_HTTP_RETURNED_ERROR)
            snprintf(r->error, sizeof r->error, "HTTP status %ld", r->status);
        else
            snprintf(r->error, sizeof r->error, "%s",
                     t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
    }
    if (r->error_code) { /* no partial bodies: nothing is checked that was not fully fetched */
        free(r->data);
        r->data = NULL;
        r->len = 0;
    } else if (!r->data) {
        r->data = malloc(1); /* an empty body: still a valid buffer for lm_check */
        if (!r->data) {
            r->error_code = "no_memory";
            snprintf(r->error, sizeof r->error, "out of memory");
        }
    }
}

int fetch_run(const fetch_config *cfg, fetch_result *const *items, size_t n, fetch_done_fn done,
              void *ctx)
{
    int conns = cfg->connections > 0 ? cfg->connections : 1;
    transfer *ts = calloc(n ? n : 1, sizeof *ts);
    CURLM *multi = fetch_global_init() == 0 ? curl_multi_init() : NULL;
    if (!ts || !multi) {
        for (size_t i = 0; i < n; i++) {
            items[i]->error_code = "internal";
            snprintf(items[i]->error, sizeof items[i]->error, "cannot initialise libcurl");
            done(ctx, items[i]);
        }
        free(ts);
        curl_multi_cleanup(multi);
        return -1;
    }
    size_t next = 0;
    int active = 0;
    for (;;) {
        while (active < conns && next < n) {
            transfer *t = &ts[next];
            t->r = items[next++];
            CURL *e = start(cfg, t);
            if (e && curl_multi_add_handle(multi, e) == CURLM_OK) {
                active++;
                continue;
            }
            if (e)
                curl_easy_cleanup(e);
            t->r->error_code = "internal";
            if (!t->r->error[0])
                snprintf(t->r->error, sizeof t->r->error, "cannot start the transfer");
            t->r->seconds = 0;
            done(ctx, t->r);
            free(t->r->data);
            t->r->data = NULL;
        }
        if (active == 0 && next >= n)
            break;
        int still = 0;
        curl_multi_perform(multi, &still);
        CURLMsg *msg;
        int queued;
        while ((msg = curl_multi_info_read(multi, &queued))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            CURLcode rc = msg->data.result;
            transfer *t = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
            finish(e, t, rc);
            curl_multi_remove_handle(multi, e);
            curl_easy_cleanup(e);
            active--;
            done(ctx, t->r);
            free(t->r->data); /* unless the callback took it */
            t->r->data = NULL;
            t->r->len = t->r->error_code ? 0 : t->r->len;
        }
        if (active > 0 && still > 0)
            curl_multi_poll(multi, NULL, 0, 200, NULL);
    }
    curl_multi_cleanup(multi);
    free(ts);
    return 0;
}
