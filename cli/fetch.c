#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <strings.h>
#include <sys/socket.h>

#include "lazy_curl.h"
#include "lazy_lib.h"

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
static const char *global_error = "libcurl failed to initialise";

static void global_init(void)
{
    if (pmatch_load_curl(&global_error) != 0)
        return; /* the first URL loads libcurl (lazy_lib.h) */
    global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *fetch_global_error(void)
{
    return global_error;
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
    for (size_t i = 0; i < r->nhops; i++)
        free(r->hops[i].url);
    free(r->hops);
    const char *url = r->url;
    memset(r, 0, sizeof *r);
    r->url = url;
}

/* A transfer in flight. */
typedef struct transfer {
    fetch_result *r;
    CURL *e;
    const addr_guard *guard;
    size_t cap;
    uint64_t limit;
    size_t max_hops;
    long cur_status;    /* the response whose headers are arriving (0: none) */
    char cur_enc[32];   /* its Content-Encoding */
    fetch_tls cur_tls;  /* the TLS certificate of the current request's connection */
    int refused_prereq; /* the pre-request check refused the hop */
    char errbuf[CURL_ERROR_SIZE];
} transfer;

static const addr_guard default_guard; /* public addresses only */

static void note_refusal(transfer *t, const char *ip, addr_class cls)
{
    fetch_result *r = t->r;
    if (!r->refused_ip[0]) {
        snprintf(r->refused_ip, sizeof r->refused_ip, "%s", ip);
        r->refused_class = cls;
    }
}

/*
 * libcurl opens every socket through here: the address is the one connect() will get
 * (after name resolution, for each address tried; the proxy's when there is one), so the
 * guard cannot be passed by a name that resolves differently later (DNS rebinding).
 */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    transfer *t = ud;
    fetch_result *r = t->r;
    addr_ip ip;
    unsigned port = 0;
    addr_class cls = ADDR_RESERVED;
    int ok = purpose == CURLSOCKTYPE_IPCXN &&
             addr_from_sockaddr(&a->addr, a->addrlen, &ip, &port) == 0 &&
             addr_guard_allows(t->guard, &ip, &cls);
    char text[48] = "?";
    if (a->family == AF_INET || a->family == AF_INET6)
        addr_format(&ip, text, sizeof text);
    if (r->naddrs < FETCH_MAX_ADDRS) {
        fetch_addr *fa = &r->addrs[r->naddrs++];
        snprintf(fa->ip, sizeof fa->ip, "%s", text);
        fa->port = port;
        fa->allowed = ok;
        fa->cls = cls;
    } else {
        r->addrs_dropped++;
    }
    if (!ok) {
        note_refusal(t, text, cls);
        return CURL_SOCKET_BAD; /* libcurl goes on with the next address, if any */
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* The leaf certificate of an OpenSSL connection: subject, issuer, SHA-256 fingerprint. */
static void cert_of(CURL *e, fetch_tls *out)
{
    memset(out, 0, sizeof *out);
    struct curl_tlssessioninfo *ti = NULL;
    if (curl_easy_getinfo(e, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
        ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
        return;
    X509 *cert = SSL_get1_peer_certificate((SSL *)ti->internals);
    if (!cert)
        return;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32) {
        for (unsigned i = 0; i < 32; i++)
            snprintf(out->sha256 + 2 * i, 3, "%02x", md[i]);
        char *names[2] = {out->subject, out->issuer};
        X509_NAME *xn[2] = {X509_get_subject_name(cert), X509_get_issuer_name(cert)};
        for (int k = 0; k < 2; k++) {
            (void)BIO_reset(bio);
            if (xn[k] && X509_NAME_print_ex(bio, xn[k], 0, XN_FLAG_RFC2253) >= 0) {
                char *p = NULL;
                long n = BIO_get_mem_data(bio, &p);
                if (n > 0 && p)
                    snprintf(names[k], sizeof out->subject, "%.*s", (int)(n > 255 ? 255 : n), p);
            }
        }
        out->present = 1;
    }
    BIO_free(bio);
    X509_free(cert);
}

/* The host of a URL is "localhost" or below it (which resolvers answer with loopback). */
static int is_localhost(const char *host)
{
    size_t n = strlen(host);
    if (n && host[n - 1] == '.')
        n--;
    return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
           (n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0);
}

/*
 * Called once per request (the first and each redirect), on a new or a reused connection,
 * before anything is sent. Checks the connection's address again, and the request's host
 * when it is an IP literal or localhost: behind a proxy the connection goes to the proxy,
 * which would otherwise reach such a host for us. Records the TLS certificate.
 */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    transfer *t = ud;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    addr_ip ip;
    addr_class cls = ADDR_RESERVED;
    if (addr_parse_literal(primary_ip, &ip) != 0 || !addr_guard_allows(t->guard, &ip, &cls)) {
        note_refusal(t, primary_ip ? primary_ip : "?", cls);
        t->refused_prereq = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    char *url = NULL, *host = NULL;
    CURLU *u = curl_url();
    if (u && curl_easy_getinfo(t->e, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url &&
        curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
        int refuse = 0;
        if (addr_parse_literal(host, &ip) == 0) {
            refuse = !addr_guard_allows(t->guard, &ip, &cls);
        } else if (is_localhost(host)) {
            addr_parse_literal("127.0.0.1", &ip);
            refuse = !addr_guard_allows(t->guard, &ip, &cls);
        }
        if (refuse) {
            note_refusal(t, host, cls);
            t->refused_prereq = 1;
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    if (t->refused_prereq)
        return CURL_PREREQFUNC_ABORT;
    cert_of(t->e, &t->cur_tls);
    return CURL_PREREQFUNC_OK;
}

static void add_hop(transfer *t)
{
    fetch_result *r = t->r;
    if (r->nhops >= t->max_hops)
        return;
    fetch_hop *h = realloc(r->hops, (r->nhops + 1) * sizeof *h);
    if (!h)
        return;
    r->hops = h;
    h = &r->hops[r->nhops];
    memset(h, 0, sizeof *h);
    char *s = NULL;
    long v = 0;
    if (curl_easy_getinfo(t->e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
        h->url = strdup(s);
    if (!h->url)
        return;
    h->status = t->cur_status;
    s = NULL;
    if (curl_easy_getinfo(t->e, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s)
        snprintf(h->ip, sizeof h->ip, "%s", s);
    if (curl_easy_getinfo(t->e, CURLINFO_PRIMARY_PORT, &v) == CURLE_OK)
        h->port = v;
    h->tls = t->cur_tls;
    r->nhops++;
}

/* Response headers, line by line: the status of each response (1xx interim ones are not
 * requests of their own), its Content-Encoding; a blank line ends a response's headers. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    transfer *t = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        size_t i = 5;
        while (i < n && p[i] != ' ')
            i++;
        long code = 0;
        for (int k = 0; k < 3 && ++i < n && p[i] >= '0' && p[i] <= '9'; k++)
            code = code * 10 + (p[i] - '0');
        t->cur_status = code ? code : -1;
        t->cur_enc[0] = 0;
    } else if (t->cur_status && (n == 0 || p[0] == '\r' || p[0] == '\n')) {
        if (t->cur_status >= 200 || t->cur_status < 0) {
            add_hop(t);
            snprintf(t->r->content_encoding, sizeof t->r->content_encoding, "%s", t->cur_enc);
        }
        t->cur_status = 0;
    } else if (t->cur_status && n > 17 && strncasecmp(p, "content-encoding:", 17) == 0) {
        size_t i = 17, e = n;
        while (i < e && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (e > i && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
            e--;
        size_t len = e - i < sizeof t->cur_enc - 1 ? e - i : sizeof t->cur_enc - 1;
        for (size_t k = 0; k < len; k++) /* printable ASCII only: it goes to the record */
            t->cur_enc[k] = p[i + k] >= 0x20 && p[i + k] < 0x7f ? p[i + k] : '?';
        t->cur_enc[len] = 0;
    }
    return n;
}

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

void fetch_utc_now(char *out, size_t size)
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
    case CURLE_BAD_CONTENT_ENCODING: return "bad_content_encoding";
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
    fetch_utc_now(r->time_utc, sizeof r->time_utc);
    r->seconds = mono_now();
    t->limit = cfg->max_bytes ? cfg->max_bytes : 256u << 20;
    t->guard = cfg->guard ? cfg->guard : &default_guard;
    t->max_hops = (size_t)(cfg->max_redirects > 0 ? cfg->max_redirects : 0) + 2;
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    t->e = e;
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
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L); /* a proxy's CONNECT reply is not a hop */
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, t);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, t);
    /* Every encoding this libcurl decodes; the write callback sees decoded bytes, so
     * max_bytes bounds the decoded body (a compression bomb ends at the limit). */
    SET(CURLOPT_ACCEPT_ENCODING, "");
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
    /* A request that was never completed (no response headers): its hop from the URL. */
    s = NULL;
    if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s &&
        (r->nhops == 0 || !r->hops[r->nhops - 1].url || strcmp(r->hops[r->nhops - 1].url, s))) {
        t->cur_status = rc == CURLE_HTTP_RETURNED_ERROR ? r->status : 0;
        size_t before = r->nhops;
        add_hop(t);
        if (r->nhops > before && r->naddrs && rc != CURLE_HTTP_RETURNED_ERROR) {
            /* Not answered: the connection libcurl reports is an earlier hop's; the hop's
             * address is the last one tried. */
            fetch_hop *h = &r->hops[r->nhops - 1];
            snprintf(h->ip, sizeof h->ip, "%s", r->addrs[r->naddrs - 1].ip);
            h->port = r->addrs[r->naddrs - 1].port;
            memset(&h->tls, 0, sizeof h->tls);
        }
    }
    if (r->nhops)
        r->tls = r->hops[r->nhops - 1].tls;
    if (r->refused_ip[0] && rc != CURLE_OK && (t->refused_prereq || rc == CURLE_COULDNT_CONNECT)) {
        r->error_code = "address_not_allowed";
        snprintf(r->error, sizeof r->error,
                 "address %s (%s) not allowed: pmatch fetches from public addresses only "
                 "(--allow-private, --allow-net CIDR)",
                 r->refused_ip, addr_class_name(r->refused_class));
    } else if (rc == CURLE_OK && (r->status < 200 || r->status > 299)) {
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
