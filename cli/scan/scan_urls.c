#include "scan_urls.h"

#include <ctype.h>
#include <pthread.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lazy_curl.h"

#include "args.h"
#include "evidence.h"
#include "read_file.h"
#include "html_media.h"
#include "progress.h"
#include "verdict.h"

/* URLs given at once are fetched, checked and reported in batches of this many
 * (plus their pages' media), so memory stays bounded however long the list is. */
#define URL_BATCH 64
#define URL_LIST_MAX_BYTES (64u << 20)

void scan_urls_config_init(scan_url_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    fetch_config_init(&cfg->fetch);
    cfg->max_media = 100;
    addr_guard_init(&cfg->guard);
}

void scan_urls_usage(FILE *out)
{
    fputs("URLs (http:// and https:// arguments, mixed with paths; fetched into memory only):\n"
          "  --url-list FILE     also scan the URLs in FILE, one a line ('-': standard input)\n"
          "  --evidence FILE     append one JSON evidence record per fetched item to FILE\n"
          "                      (the same records --json prints for URLs; no content)\n"
          "  --max-media N       media fetched per HTML page (default 100)\n"
          "  --connections N     transfers at once (default 8)\n"
          "  --connect-timeout S seconds to connect (default 10)\n"
          "  --timeout S         seconds for a whole transfer, redirects included (default 60)\n"
          "  --max-redirects N   redirects followed (default 5)\n"
          "  --protocols LIST    schemes allowed, also on redirects (default http,https)\n"
          "  --user-agent TEXT   User-Agent header (default pmatch/VERSION)\n"
          "  --proxy URL         proxy (default: the http_proxy, https_proxy, no_proxy variables)\n"
          "  --cacert FILE       trust the CA certificates in FILE (PEM) for HTTPS\n"
          "  --allow-private     also connect to loopback, private, link-local and CGNAT\n"
          "                      addresses (refused by default: address_not_allowed)\n"
          "  --allow-net CIDR    also connect to addresses in CIDR (repeatable), e.g.\n"
          "                      127.0.0.0/8 or fd00::/8; a proxy's address needs one too\n"
          "  --max-bytes also bounds every body. An HTML page's media (img src/srcset, video,\n"
          "  source, og:image, links to media files) are fetched and checked too.\n",
          out);
}

int scan_is_url(const char *arg)
{
    const char *p = arg;
    if (!isalpha((unsigned char)*p))
        return 0;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return strncmp(p, "://", 3) == 0;
}

static int parse_seconds_ms(const char *opt, const char *arg, long *ms)
{
    int64_t v;
    if (parse_int_arg(opt, arg, 1, 86400, &v))
        return -1;
    *ms = (long)v * 1000;
    return 0;
}

int scan_urls_option(scan_url_config *cfg, int opt, const char *arg)
{
    int64_t v;
    switch (opt) {
    case SCAN_URL_OPT_LIST: cfg->url_list = arg; return 0;
    case SCAN_URL_OPT_EVIDENCE: cfg->evidence = arg; return 0;
    case SCAN_URL_OPT_MAX_MEDIA:
        if (parse_int_arg("--max-media", arg, 0, 10000, &v))
            return -1;
        cfg->max_media = (size_t)v;
        return 0;
    case SCAN_URL_OPT_CONNECTIONS:
        if (parse_int_arg("--connections", arg, 1, 256, &v))
            return -1;
        cfg->fetch.connections = (int)v;
        return 0;
    case SCAN_URL_OPT_CONNECT_TIMEOUT:
        return parse_seconds_ms("--connect-timeout", arg, &cfg->fetch.connect_timeout_ms);
    case SCAN_URL_OPT_TIMEOUT: return parse_seconds_ms("--timeout", arg, &cfg->fetch.timeout_ms);
    case SCAN_URL_OPT_MAX_REDIRECTS:
        if (parse_int_arg("--max-redirects", arg, 0, 100, &v))
            return -1;
        cfg->fetch.max_redirects = (long)v;
        return 0;
    case SCAN_URL_OPT_PROTOCOLS: {
        /* Let libcurl judge the list now, so a typo is a usage error, not N failed fetches. */
        CURL *e = fetch_global_init() == 0 ? curl_easy_init() : NULL;
        CURLcode rc = e ? curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, arg) : CURLE_FAILED_INIT;
        curl_easy_cleanup(e);
        if (rc != CURLE_OK) {
            fprintf(stderr, "pmatch scan: --protocols %s: %s\n", arg, curl_easy_strerror(rc));
            return -1;
        }
        cfg->fetch.protocols = arg;
        return 0;
    }
    case SCAN_URL_OPT_USER_AGENT: cfg->fetch.user_agent = arg; return 0;
    case SCAN_URL_OPT_PROXY: cfg->fetch.proxy = arg; return 0;
    case SCAN_URL_OPT_CACERT: cfg->fetch.cacert = arg; return 0;
    case SCAN_URL_OPT_ALLOW_PRIVATE: cfg->guard.allow_private = 1; return 0;
    case SCAN_URL_OPT_ALLOW_NET: {
        int rc = addr_guard_allow_net(&cfg->guard, arg);
        if (rc == -2)
            fprintf(stderr, "pmatch scan: --allow-net: at most %d networks\n", ADDR_GUARD_MAX_NETS);
        else if (rc != 0)
            fprintf(stderr,
                    "pmatch scan: --allow-net %s: not a network (A.B.C.D/N or IPV6/N, no bits "
                    "set after the prefix)\n",
                    arg);
        return rc ? -1 : 0;
    }
    default: return -1;
    }
}

/* Checking runs on worker threads fed by the transfer loop, so a slow check (a long video)
 * neither stalls transfers in flight into spurious timeouts nor leaves cores idle. The queue
 * is bounded in items and bytes; the transfer loop waits when it is full. */
#define CHECK_QUEUE_ITEMS 256
#define CHECK_QUEUE_BYTES ((uint64_t)512 << 20)
#define MAX_CHECKERS 64

typedef struct run {
    const lm_matcher *m;
    const lm_check_options *check;
    const scan_url_config *cfg;
    int json;
    FILE *evidence;
    evidence_lists lists;
    progress prog;
    scan_url_totals *t;
    /* guarded by mu: the counters and the queue */
    pthread_mutex_t mu;
    pthread_cond_t has_work, has_space, idle;
    uint64_t fetched, matched, failed, low_quality, not_image;
    url_item *queue[CHECK_QUEUE_ITEMS];
    size_t qhead, qcount, busy;
    uint64_t qbytes;
    int stop;
    pthread_t threads[MAX_CHECKERS];
    int nthreads;
} run;

static url_item *item_of(fetch_result *f)
{
    return (url_item *)(void *)((char *)f - offsetof(url_item, f));
}

void scan_url_check_item(const lm_matcher *m, const lm_check_options *check, size_t max_media,
                         url_item *it, int *matched_out, int *failed_out)
{
    fetch_result *f = &it->f;
    int matched = 0, failed = 0;
    if (f->error_code) {
        it->error_code = f->error_code;
        snprintf(it->error, sizeof it->error, "%s", f->error);
        failed = 1;
    } else {
        it->list_generation = lm_matcher_generation(m);
        it->check.struct_size = sizeof it->check;
        lm_status st = lm_check(m, it->body, f->len, check, &it->check);
        if (st != LM_OK) {
            it->error_code = st == LM_E_LIMIT_BYTES ? "too_large" : "check_failed";
            snprintf(it->error, sizeof it->error, "%.60s%s%.180s", lm_strerror(st),
                     it->check.detail[0] ? ": " : "", it->check.detail);
            failed = 1;
        } else {
            it->checked = 1;
            it->size = f->len;
            matched = it->check.verdict == LM_VERDICT_MATCH;
        }
    }
    /* Bytes that decode are media whatever the server declared; otherwise HTML by the
     * declared type or by sniffing. */
    if (it->kind == URL_ITEM_URL && it->checked && !it->check.decoded &&
        (html_content_type(f->content_type) || html_sniff(it->body, f->len))) {
        it->kind = URL_ITEM_PAGE;
        const char *base = f->final_url ? f->final_url : f->url;
        if (html_media_extract(it->body, f->len, base, max_media, &it->media) != 0) {
            it->error_code = "no_memory";
            snprintf(it->error, sizeof it->error, "out of memory listing the page's media");
            failed = 1;
        }
        it->media_truncated = it->media.truncated;
    }
    free(it->body);
    it->body = NULL;
    *matched_out = matched;
    *failed_out = failed;
}

/* Runs on a worker thread. */
static void process(run *r, url_item *it)
{
    int matched, failed;
    scan_url_check_item(r->m, r->check, r->cfg->max_media, it, &matched, &failed);
    pthread_mutex_lock(&r->mu);
    r->fetched++;
    r->matched += matched;
    r->failed += failed;
    pthread_mutex_unlock(&r->mu);
}

static void *checker(void *arg)
{
    run *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && r->qcount == 0)
            pthread_cond_wait(&r->has_work, &r->mu);
        if (r->qcount == 0)
            break; /* stopping and nothing left */
        url_item *it = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % CHECK_QUEUE_ITEMS;
        r->qcount--;
        r->qbytes -= it->f.len;
        r->busy++;
        pthread_cond_signal(&r->has_space);
        pthread_mutex_unlock(&r->mu);
        process(r, it);
        pthread_mutex_lock(&r->mu);
        r->busy--;
        if (r->qcount == 0 && r->busy == 0)
            pthread_cond_broadcast(&r->idle);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* A transfer finished (transfer loop's thread): take its body and queue it for checking. */
static void on_done(void *ctx, fetch_result *f)
{
    run *r = ctx;
    url_item *it = item_of(f);
    it->body = f->data;
    f->data = NULL;
    pthread_mutex_lock(&r->mu);
    if (r->nthreads == 0) { /* no workers could start: check here */
        pthread_mutex_unlock(&r->mu);
        process(r, it);
        pthread_mutex_lock(&r->mu);
    } else {
        while (r->qcount == CHECK_QUEUE_ITEMS ||
               (r->qcount > 0 && r->qbytes + f->len > CHECK_QUEUE_BYTES))
            pthread_cond_wait(&r->has_space, &r->mu);
        r->queue[(r->qhead + r->qcount) % CHECK_QUEUE_ITEMS] = it;
        r->qcount++;
        r->qbytes += f->len;
        pthread_cond_signal(&r->has_work);
    }
    uint64_t fetched = r->fetched, matched = r->matched, failed = r->failed;
    pthread_mutex_unlock(&r->mu);
    progress_update(&r->prog, fetched, matched, failed);
}

/* Wait until every queued item has been checked. */
static void drain(run *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->qcount > 0 || r->busy > 0)
        pthread_cond_wait(&r->idle, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

static void start_checkers(run *r, int jobs)
{
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->has_work, NULL);
    pthread_cond_init(&r->has_space, NULL);
    pthread_cond_init(&r->idle, NULL);
    html_media_init(); /* libxml2 wants its one-time setup before threads use it */
    for (int i = 0; i < jobs && i < MAX_CHECKERS; i++) {
        if (pthread_create(&r->threads[i], NULL, checker, r) != 0)
            break;
        r->nthreads++;
    }
}

static void stop_checkers(run *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->has_work);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    pthread_cond_destroy(&r->has_work);
    pthread_cond_destroy(&r->has_space);
    pthread_cond_destroy(&r->idle);
    pthread_mutex_destroy(&r->mu);
}

static void print_text_as(run *r, const url_item *it, const char *indent, const char *url);

static void print_text(run *r, const url_item *it, const char *indent)
{
    char *url = evidence_redact_url(it->f.url); /* never credentials on the screen */
    print_text_as(r, it, indent, url ? url : "(out of memory)");
    free(url);
}

static void print_text_as(run *r, const url_item *it, const char *indent, const char *url)
{
    fputs(indent, stdout);
    if (it->kind == URL_ITEM_PAGE && !it->error_code) {
        const char *v = url_item_verdict(it);
        printf("%s %s (page: %zu media%s, %zu matched, %zu errors)",
               !strcmp(v, "match")   ? "MATCH    "
               : !strcmp(v, "error") ? "ERROR    "
                                     : "no match ",
               url, it->media.count, it->media_truncated ? " (more not fetched: --max-media)" : "",
               it->media_matched, it->media_failed);
        if (it->check.verdict == LM_VERDICT_MATCH)
            printf(" the page's own bytes matched entry %" PRIu64, it->check.matches[0].entry_id);
        putchar('\n');
        return;
    }
    item_result ir = {.path = url, .size = it->size, .check = it->check};
    if (it->error_code) {
        ir.failed = 1;
        snprintf(ir.error, sizeof ir.error, "%.30s: %.200s", it->error_code, it->error);
    }
    print_item_text(stdout, r->m, &ir, r->check->min_quality);
}

static void emit(run *r, url_item *it, const char *indent)
{
    if (it->kind != URL_ITEM_PAGE && !it->error_code) {
        if (it->check.verdict == LM_VERDICT_LOW_QUALITY)
            r->low_quality++;
        else if (it->check.verdict == LM_VERDICT_NOT_IMAGE)
            r->not_image++;
    }
    if (r->json)
        evidence_write(stdout, r->m, &r->lists, it);
    else
        print_text(r, it, indent);
    if (r->evidence)
        evidence_write(r->evidence, r->m, &r->lists, it);
}

static void clear_item(url_item *it)
{
    for (size_t i = 0; it->media_items && i < it->media.count; i++)
        fetch_result_clear(&it->media_items[i].f);
    free(it->media_items);
    html_media_free(&it->media);
    fetch_result_clear(&it->f);
}

/* A data: medium of a page: decoded here (no network), bounded like a body, then checked
 * like a fetched medium. */
static void data_medium(run *r, url_item *mi)
{
    fetch_result *f = &mi->f;
    fetch_utc_now(f->time_utc, sizeof f->time_utc);
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t max = r->cfg->fetch.max_bytes ? r->cfg->fetch.max_bytes : 256u << 20;
    int rc =
        html_data_url_decode(f->url, max, &data, &len, f->content_type, sizeof f->content_type);
    if (rc == -2) {
        f->error_code = "too_large";
        snprintf(f->error, sizeof f->error, "data: URL larger than the %llu-byte limit",
                 (unsigned long long)max);
    } else if (rc == -3) {
        f->error_code = "no_memory";
        snprintf(f->error, sizeof f->error, "out of memory");
    } else if (rc != 0) {
        f->error_code = "bad_data_url";
        snprintf(f->error, sizeof f->error, "malformed data: URL (bad base64 or escape)");
    }
    f->data = data;
    f->len = len;
    on_done(r, f);
    free(f->data); /* unless on_done took it */
    f->data = NULL;
}

/* Fetch and check one batch of URLs, then their pages' media; report in input order. */
static int run_batch(run *r, url_item *items, size_t n)
{
    fetch_result *ptrs[URL_BATCH];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &items[i].f;
    fetch_run(&r->cfg->fetch, ptrs, n, on_done, r);
    drain(r);

    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].kind == URL_ITEM_PAGE)
            total += items[i].media.count;
    fetch_result **media = calloc(total ? total : 1, sizeof *media);
    if (!media)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        url_item *page = &items[i];
        if (page->kind != URL_ITEM_PAGE || page->media.count == 0)
            continue;
        page->media_items = calloc(page->media.count, sizeof *page->media_items);
        if (!page->media_items) {
            free(media);
            return -1;
        }
        for (size_t j = 0; j < page->media.count; j++) {
            url_item *mi = &page->media_items[j];
            mi->kind = URL_ITEM_MEDIA;
            mi->f.url = page->media.urls[j];
            mi->page_url = page->f.url;
            if (html_is_data_url(mi->f.url))
                data_medium(r, mi);
            else
                media[k++] = &mi->f;
        }
    }
    fetch_run(&r->cfg->fetch, media, k, on_done, r);
    drain(r);
    free(media);

    for (size_t i = 0; i < n; i++) {
        url_item *it = &items[i];
        if (it->kind == URL_ITEM_PAGE) {
            r->t->pages++;
            for (size_t j = 0; j < it->media.count; j++) {
                const url_item *mi = &it->media_items[j];
                it->media_failed += mi->error_code != NULL;
                it->media_matched += mi->checked && mi->check.verdict == LM_VERDICT_MATCH;
            }
            r->t->media += it->media.count;
        }
        emit(r, it, "");
        for (size_t j = 0; it->kind == URL_ITEM_PAGE && j < it->media.count; j++)
            emit(r, &it->media_items[j], "  ");
        clear_item(it);
    }
    fflush(stdout);
    return 0;
}

/* Split the list into lines in place: blank lines and '#' comments are skipped. */
static char **list_lines(char *text, size_t len, size_t *count)
{
    size_t cap = 0, n = 0;
    char **lines = NULL;
    char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* a UTF-8 byte order mark, as editors on Windows write */
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        char *s = p;
        p = nl ? nl + 1 : end;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (s == e || *s == '#')
            continue;
        *e = 0;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **l = realloc(lines, cap * sizeof *l);
            if (!l) {
                free(lines);
                return NULL;
            }
            lines = l;
        }
        lines[n++] = s;
    }
    *count = n;
    return lines ? lines : calloc(1, sizeof *lines);
}

int scan_urls(const lm_matcher *m, const lm_check_options *check, int json, int quiet, int jobs,
              const scan_url_config *cfg, char *const *urls, size_t n, scan_url_totals *t)
{
    scan_url_config c = *cfg;
    c.fetch.guard = &c.guard;
    if (check->max_bytes)
        c.fetch.max_bytes = check->max_bytes;
    run r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.check = check;
    r.cfg = &c;
    r.json = json;
    r.t = t;
    memset(t, 0, sizeof *t);
    if (fetch_global_init() != 0) {
        fprintf(stderr, "pmatch scan: URLs need libcurl: %s\n", fetch_global_error());
        return -1;
    }

    uint8_t *list = NULL;
    size_t list_len = 0, nlist = 0;
    char **lines = NULL;
    if (c.url_list) {
        char err[PMATCH_MSG_SIZE];
        const char *path = strcmp(c.url_list, "-") == 0 ? "/dev/stdin" : c.url_list;
        lm_status st = pmatch_read_file(path, URL_LIST_MAX_BYTES, &list, &list_len, err);
        if (st != LM_OK) {
            fprintf(stderr, "pmatch scan: --url-list %s: %s%s%s\n", c.url_list, lm_strerror(st),
                    err[0] ? ": " : "", err);
            return -1;
        }
        char *text = realloc(list, list_len + 1);
        if (text)
            list = (uint8_t *)text;
        lines = text ? list_lines(text, list_len, &nlist) : NULL;
        if (!lines) {
            free(list);
            fprintf(stderr, "pmatch scan: out of memory\n");
            return -1;
        }
    }
    if (c.evidence && !(r.evidence = fopen(c.evidence, "a"))) {
        fprintf(stderr, "pmatch scan: --evidence %s: cannot open for appending\n", c.evidence);
        free(lines);
        free(list);
        return -1;
    }

    evidence_lists_load(&r.lists, c.db_path, m);
    progress_init(&r.prog, !quiet);
    start_checkers(&r, jobs);
    url_item *items = calloc(URL_BATCH, sizeof *items);
    int rc = items ? 0 : -1;
    size_t total = n + nlist, done = 0;
    while (rc == 0 && done < total) {
        size_t k = total - done < URL_BATCH ? total - done : URL_BATCH;
        memset(items, 0, k * sizeof *items);
        for (size_t i = 0; i < k; i++) {
            size_t j = done + i;
            items[i].kind = URL_ITEM_URL;
            items[i].f.url = j < n ? urls[j] : lines[j - n];
        }
        rc = run_batch(&r, items, k);
        done += k;
    }
    free(items);
    stop_checkers(&r);
    progress_finish(&r.prog);
    if (rc != 0)
        fprintf(stderr, "pmatch scan: out of memory\n");
    if (r.evidence && fclose(r.evidence) != 0) {
        fprintf(stderr, "pmatch scan: --evidence %s: write failed\n", c.evidence);
        rc = -1;
    }
    t->items = r.fetched;
    t->matched = r.matched;
    t->failed = r.failed;
    double secs = progress_now() - r.prog.start;
    fprintf(stderr,
            "pmatch scan: %" PRIu64 " URLs fetched (%" PRIu64 " pages, %" PRIu64
            " media from pages) in %.2f s: %" PRIu64 " matched, %" PRIu64 " low quality, %" PRIu64
            " not images, %" PRIu64 " errors\n",
            r.fetched, t->pages, t->media, secs, r.matched, r.low_quality, r.not_image, r.failed);
    evidence_lists_free(&r.lists);
    free(lines);
    free(list);
    return rc;
}
