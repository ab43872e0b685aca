/*
 * libFuzzer harness: pmatch scan URL against a hostile server. The input is the raw bytes
 * the server sends back (status line, headers, body; chunked, redirects, lies about
 * Content-Length...): one response, or several separated by RESPONSE_SEP, the first for
 * the first connection, the next for the next (a redirect hop), the last for all others.
 * A loopback server thread answers each connection with its response and closes; fetch_run
 * (cli/fetch.c, libcurl with tight limits) fetches http://127.0.0.1:PORT/x from it, then the
 * fetched item goes through scan_urls' own check step (scan_url_check_item: lm_check, HTML
 * sniffing, media listing against the final URL) and its evidence records are written to memory
 * (never to disk, never printed).
 *
 * Never beyond loopback: the server itself is the HTTP proxy of every transfer, so a
 * redirect to any http:// host is sent to it (libcurl does not even resolve the host; the
 * proxy is an IP literal), other schemes are refused (protocols "http"), and no_proxy is
 * removed from the environment so no host can bypass the proxy. Redirects stay enabled
 * (max 2). No hangs: the server closes after each
 * response and bounds its reads and writes in time; transfers time out after 2 s.
 * Media found on a page are listed in the records but not fetched.
 *
 * The address guard allows 127.0.0.1 only (the proxy, the first URL's host): every redirect
 * to another IP literal (any spelling: 2130706433, 0x7f.2, [::ffff:10.0.0.1]) or to
 * localhost must be refused before its request is sent (address_not_allowed), so no hop
 * with another literal host may have a response; the harness aborts if one does.
 */
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "evidence.h"
#include "fetch.h"
#include "hashdb.h"
#include "html_media.h"
#include "fuzz_common.h"
#include "libmatch.h"
#include "scan_urls.h"

#define MAX_BODY (64u << 10)
#define MAX_MEDIA 8
#define MAX_REQUEST (1u << 20) /* request bytes read before answering anyway */
#define IO_TIMEOUT_S 2
#define RESPONSE_SEP "\n--next--\n"

/* The response being served; guarded by mu. busy: a connection is being answered. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static const uint8_t *cur_data;
static size_t cur_size;
static int serving, busy;
static unsigned conn_index; /* connections answered for the current input */

static int listen_fd = -1;
static char url[64], proxy[64];
static lm_matcher *matcher;
static addr_guard guard;

/* A hop answered although its host is an IP literal the guard refuses: a guard bypass. */
static void check_hops(const fetch_result *f)
{
    for (size_t i = 0; i < f->nhops; i++) {
        if (f->hops[i].status == 0 || !f->hops[i].url)
            continue;
        CURLU *u = curl_url();
        char *host = NULL;
        addr_ip ip;
        if (u && curl_url_set(u, CURLUPART_URL, f->hops[i].url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            addr_parse_literal(host, &ip) == 0 && !addr_guard_allows(&guard, &ip, NULL))
            abort();
        curl_free(host);
        curl_url_cleanup(u);
    }
}

/* Read the request up to its blank line (or EOF, error, timeout, MAX_REQUEST). */
static void read_request(int fd)
{
    static const char end[4] = {'\r', '\n', '\r', '\n'};
    char buf[4096];
    size_t total = 0, matched = 0;
    while (total < MAX_REQUEST) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return;
        total += (size_t)n;
        for (ssize_t i = 0; i < n; i++) {
            matched = buf[i] == end[matched] ? matched + 1 : buf[i] == '\r' ? 1 : 0;
            if (matched == 4)
                return;
        }
    }
}

/* The response for connection i: part i of the input split on RESPONSE_SEP (the last
 * part once there are no more). */
static void response_part(const uint8_t *d, size_t n, unsigned i, const uint8_t **p, size_t *len)
{
    const size_t sep = sizeof RESPONSE_SEP - 1;
    for (;;) {
        const uint8_t *e = memmem(d, n, RESPONSE_SEP, sep);
        if (!e || i == 0) {
            *p = d;
            *len = e ? (size_t)(e - d) : n;
            return;
        }
        n -= (size_t)(e - d) + sep;
        d = e + sep;
        i--;
    }
}

static void *server(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        pthread_mutex_lock(&mu);
        int on = serving;
        const uint8_t *d = NULL;
        size_t n = 0;
        if (on)
            response_part(cur_data, cur_size, conn_index++, &d, &n);
        busy = on;
        pthread_mutex_unlock(&mu);
        if (on) { /* else a connection left over from an earlier input: just close it */
            read_request(fd);
            for (size_t off = 0; off < n;) {
                ssize_t k = send(fd, d + off, n - off, MSG_NOSIGNAL);
                if (k <= 0)
                    break;
                off += (size_t)k;
            }
        }
        close(fd);
        pthread_mutex_lock(&mu);
        busy = 0;
        pthread_cond_broadcast(&idle);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* A throwaway list holding the MD5 of the empty body, so an empty 200 is a match and the
 * records' match fields (entry, list, label) are exercised. The files are unlinked once
 * the matcher is open: nothing stays on disk. */
static lm_matcher *open_matcher(void)
{
    char dir[] = "/tmp/lm-fuzz-http-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char path[64], f1[80], f2[80];
    snprintf(path, sizeof path, "%s/db", dir);
    static const char list[] = "hash,type,quality,label,reference\n"
                               "d41d8cd98f00b204e9800998ecf8427e,md5,,empty body,fuzz-1\n";
    lm_hashdb *db = NULL;
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    lm_matcher *m = NULL;
    if (lm_hashdb_init(path, NULL, 0) == LM_OK &&
        lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0) == LM_OK &&
        lm_hashdb_import_memory(db, list, sizeof list - 1, &o, NULL) == LM_OK) {
        lm_hashdb_close(db);
        db = NULL;
        lm_matcher_open(path, &m, NULL, 0);
    }
    lm_hashdb_close(db);
    snprintf(f1, sizeof f1, "%s/data.mdb", path);
    snprintf(f2, sizeof f2, "%s/lock.mdb", path);
    unlink(f1);
    unlink(f2);
    rmdir(path);
    rmdir(dir);
    return m;
}

static int setup(void)
{
    /* libcurl's global setup before any thread; no host may bypass the proxy. */
    if (fetch_global_init() != 0)
        return -1;
    html_media_init();
    fuzz_quiet();
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    matcher = open_matcher();
    if (!matcher)
        return -1;
    addr_guard_init(&guard);
    if (addr_guard_allow_net(&guard, "127.0.0.1/32") != 0)
        return -1;
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/x", (unsigned)ntohs(a.sin_port));
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    pthread_t t;
    if (pthread_create(&t, NULL, server, NULL) != 0)
        return -1;
    pthread_detach(t);
    return 0;
}

static void done(void *ctx, fetch_result *f)
{
    url_item *it = ctx;
    (void)f;
    it->body = it->f.data; /* take the body, as scan_urls' on_done does */
    it->f.data = NULL;
}

/* The evidence records must be one line each, with no raw control characters. */
static void check_records(const char *json, size_t len, size_t records)
{
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)json[i];
        if (c == '\n')
            lines++;
        else if (c < 0x20 || c == 0x7f)
            abort();
    }
    if (lines != records || (len && json[0] != '{'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = -2;
    if (ready == -2)
        ready = setup();
    if (ready != 0)
        abort(); /* the harness itself could not start: not a finding */

    pthread_mutex_lock(&mu);
    cur_data = data;
    cur_size = size;
    conn_index = 0;
    serving = 1;
    pthread_mutex_unlock(&mu);

    fetch_config cfg;
    fetch_config_init(&cfg);
    cfg.max_bytes = MAX_BODY;
    cfg.connect_timeout_ms = 1000;
    cfg.timeout_ms = 2000;
    cfg.max_redirects = 2;
    cfg.protocols = "http";
    cfg.proxy = proxy;
    cfg.connections = 1;
    cfg.guard = &guard;
    url_item it;
    memset(&it, 0, sizeof it);
    it.kind = URL_ITEM_URL;
    it.f.url = url;
    fetch_result *items[1] = {&it.f};
    fetch_run(&cfg, items, 1, done, &it);
    check_hops(&it.f);

    /* Nothing may read the input once this returns. */
    pthread_mutex_lock(&mu);
    serving = 0;
    while (busy)
        pthread_cond_wait(&idle, &mu);
    cur_data = NULL;
    cur_size = 0;
    pthread_mutex_unlock(&mu);

    lm_check_options check;
    lm_check_options_init(&check);
    check.max_bytes = MAX_BODY;
    check.max_pixels = 1u << 20;
    int matched, failed;
    scan_url_check_item(matcher, &check, MAX_MEDIA, &it, &matched, &failed);
    if (it.body || (failed && !it.error_code) || (matched && !it.checked))
        abort();

    /* A page's media are listed as scan_urls lists them before fetching them. */
    size_t records = 1;
    if (it.kind == URL_ITEM_PAGE && it.media.count) {
        if (it.media.count > MAX_MEDIA)
            abort();
        it.media_items = calloc(it.media.count, sizeof *it.media_items);
        if (!it.media_items)
            abort();
        for (size_t i = 0; i < it.media.count; i++) {
            it.media_items[i].kind = URL_ITEM_MEDIA;
            it.media_items[i].f.url = it.media.urls[i];
            it.media_items[i].page_url = it.f.url;
        }
    }
    char *json = NULL;
    size_t json_len = 0;
    FILE *out = open_memstream(&json, &json_len);
    if (out) {
        evidence_write(out, matcher, NULL, &it);
        for (size_t i = 0; it.media_items && i < it.media.count; i++, records++)
            evidence_write(out, matcher, NULL, &it.media_items[i]);
        if (fclose(out) == 0)
            check_records(json, json_len, records);
    }
    free(json);

    for (size_t i = 0; it.media_items && i < it.media.count; i++)
        fetch_result_clear(&it.media_items[i].f);
    free(it.media_items);
    html_media_free(&it.media);
    fetch_result_clear(&it.f);
    return 0;
}
