/* pmatch serve: bearer tokens from a file, and the Prometheus metrics. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server.h"

const char *const srv_route_names[R_COUNT] = {
    [R_UNKNOWN] = "unknown",        [R_HEALTHZ] = "/healthz",
    [R_READYZ] = "/readyz",         [R_METRICS] = "/metrics",
    [R_OPENAPI] = "/openapi.json",  [R_STATUS] = "/status",
    [R_CHECK] = "/v1/check",        [R_LOOKUP] = "/v1/lookup",
    [R_PDQ_BATCH] = "/v1/pdq",      [R_HMA_HASH] = "/h/hash",
    [R_HMA_LOOKUP] = "/m/lookup",   [R_HMA_RAW_LOOKUP] = "/m/raw_lookup",
    [R_HMA_COMPARE] = "/m/compare", [R_HMA_INDEX_STATUS] = "/m/index/status",
    [R_HMA_BANKS] = "/c/banks",     [R_HMA_BANK] = "/c/bank",
    [R_ADMIN] = "/v1/admin",
};

/* ---- tokens -------------------------------------------------------------- */

void tokens_free(srv_tokens *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i].token) {
            memset(t->v[i].token, 0, t->v[i].len);
            free(t->v[i].token);
        }
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

int tokens_load(const char *path, srv_tokens *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 0077))
        snprintf(errbuf, errlen, "warning: %s is readable by group or others", path);
    else if (errlen)
        errbuf[0] = '\0';
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t'))
            line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *sp = p;
        while (*sp && *sp != ' ' && *sp != '\t')
            sp++;
        if (!*sp)
            goto bad;
        *sp++ = '\0';
        while (*sp == ' ' || *sp == '\t')
            sp++;
        int role = strcmp(p, "admin") == 0 ? ROLE_ADMIN : strcmp(p, "match") == 0 ? ROLE_MATCH : 0;
        size_t tl = strlen(sp);
        if (!role || tl < 16 || tl > 256)
            goto bad;
        for (size_t i = 0; i < tl; i++)
            if (!isgraph((unsigned char)sp[i]))
                goto bad;
        srv_token *nv = realloc(out->v, (out->n + 1) * sizeof *nv);
        if (!nv)
            goto nomem;
        out->v = nv;
        out->v[out->n].token = strdup(sp);
        if (!out->v[out->n].token)
            goto nomem;
        out->v[out->n].len = tl;
        out->v[out->n].role = role;
        out->n++;
    }
    free(line);
    fclose(f);
    if (out->n == 0) {
        snprintf(errbuf, errlen, "%s: no tokens", path);
        return -1;
    }
    return 0;
bad:
    snprintf(errbuf, errlen,
             "%s:%d: expected 'match TOKEN' or 'admin TOKEN' (16..256 printable characters)", path,
             lineno);
    goto fail;
nomem:
    snprintf(errbuf, errlen, "out of memory");
fail:
    if (line)
        memset(line, 0, cap);
    free(line);
    fclose(f);
    tokens_free(out);
    return -1;
}

int tokens_role(const srv_tokens *t, const char *presented, size_t len)
{
    int role = ROLE_NONE;
    for (size_t i = 0; i < t->n; i++) {
        /* Constant time in the token's content: every byte of every token is compared. */
        const srv_token *k = &t->v[i];
        unsigned diff = (unsigned)(k->len ^ len);
        for (size_t j = 0; j < k->len; j++)
            diff |= (unsigned char)k->token[j] ^ (unsigned char)(j < len ? presented[j] : 0);
        int hit = diff == 0;
        role = hit && k->role > role ? k->role : role;
    }
    return role;
}

/* ---- metrics ------------------------------------------------------------- */

static const int status_codes[SRV_STATUS_SLOTS] = {200, 201, 400, 401, 403, 404, 405, 408,
                                                   409, 413, 415, 422, 500, 501, 503, 0};
static const double lat_bounds[SRV_LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};

void metrics_init(srv_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->list_lock, NULL);
}

void metrics_destroy(srv_metrics *m)
{
    pthread_mutex_destroy(&m->list_lock);
}

void metrics_request(srv_metrics *m, int route, int status, double seconds)
{
    if (route < 0 || route >= R_COUNT)
        route = R_UNKNOWN;
    int slot = SRV_STATUS_SLOTS - 1; /* other */
    for (int i = 0; i < SRV_STATUS_SLOTS - 1; i++)
        if (status_codes[i] == status)
            slot = i;
    atomic_fetch_add(&m->requests[route][slot], 1);
    int b = SRV_LAT_BUCKETS;
    for (int i = 0; i < SRV_LAT_BUCKETS; i++)
        if (seconds <= lat_bounds[i]) {
            b = i;
            break;
        }
    atomic_fetch_add(&m->lat_bucket[route][b], 1);
    atomic_fetch_add(&m->lat_sum_us[route], (uint64_t)(seconds * 1e6));
}

void metrics_list_match(srv_metrics *m, const char *list)
{
    pthread_mutex_lock(&m->list_lock);
    for (int i = 0; i < SRV_MAX_LISTS; i++) {
        if (m->list_names[i][0] == '\0') {
            snprintf(m->list_names[i], sizeof m->list_names[i], "%s", list);
            m->list_matches[i] = 1;
            pthread_mutex_unlock(&m->list_lock);
            return;
        }
        if (strcmp(m->list_names[i], list) == 0) {
            m->list_matches[i]++;
            pthread_mutex_unlock(&m->list_lock);
            return;
        }
    }
    m->list_other++;
    pthread_mutex_unlock(&m->list_lock);
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* Label values: list names are printable but may hold quotes or backslashes. */
static void label_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 3 < cap; in++) {
        if (*in == '"' || *in == '\\') {
            out[o++] = '\\';
            out[o++] = *in;
        } else if (*in == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

char *metrics_render(srv_metrics *m, const lm_matcher *matcher, size_t *len)
{
    sbuf b = {0};
    b.cap = 16384;
    b.p = malloc(b.cap);
    if (!b.p)
        return NULL;
    sb_printf(&b, "# HELP pmatch_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE pmatch_http_requests_total counter\n");
    for (int r = 0; r < R_COUNT; r++)
        for (int i = 0; i < SRV_STATUS_SLOTS; i++) {
            uint64_t v = atomic_load(&m->requests[r][i]);
            if (!v)
                continue;
            if (status_codes[i])
                sb_printf(&b,
                          "pmatch_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                          srv_route_names[r], status_codes[i], v);
            else
                sb_printf(&b,
                          "pmatch_http_requests_total{route=\"%s\",status=\"other\"} %" PRIu64 "\n",
                          srv_route_names[r], v);
        }
    sb_printf(&b, "# HELP pmatch_http_request_duration_seconds Time from the request's first "
                  "byte to the reply, by route.\n"
                  "# TYPE pmatch_http_request_duration_seconds histogram\n");
    for (int r = 0; r < R_COUNT; r++) {
        uint64_t cum = 0;
        uint64_t counts[SRV_LAT_BUCKETS + 1];
        uint64_t total = 0;
        for (int i = 0; i <= SRV_LAT_BUCKETS; i++) {
            counts[i] = atomic_load(&m->lat_bucket[r][i]);
            total += counts[i];
        }
        if (!total)
            continue;
        for (int i = 0; i < SRV_LAT_BUCKETS; i++) {
            cum += counts[i];
            sb_printf(&b,
                      "pmatch_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64
                      "\n",
                      srv_route_names[r], lat_bounds[i], cum);
        }
        cum += counts[SRV_LAT_BUCKETS];
        sb_printf(&b,
                  "pmatch_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64
                  "\n"
                  "pmatch_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                  "pmatch_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
                  srv_route_names[r], cum, srv_route_names[r],
                  (double)atomic_load(&m->lat_sum_us[r]) / 1e6, srv_route_names[r], cum);
    }
    sb_printf(&b,
              "# HELP pmatch_requests_in_flight Requests being processed.\n"
              "# TYPE pmatch_requests_in_flight gauge\npmatch_requests_in_flight %d\n",
              atomic_load(&m->in_flight));
    static const char *const vnames[5] = {"no_match", "match", "low_quality", "not_image",
                                          "suppressed"};
    sb_printf(&b, "# HELP pmatch_checks_total Uploads checked, by verdict.\n"
                  "# TYPE pmatch_checks_total counter\n");
    for (int i = 0; i < 5; i++)
        sb_printf(&b, "pmatch_checks_total{verdict=\"%s\"} %" PRIu64 "\n", vnames[i],
                  (uint64_t)atomic_load(&m->verdicts[i]));
    sb_printf(&b, "# HELP pmatch_matches_total Matches reported, by list.\n"
                  "# TYPE pmatch_matches_total counter\n");
    pthread_mutex_lock(&m->list_lock);
    for (int i = 0; i < SRV_MAX_LISTS && m->list_names[i][0]; i++) {
        char esc[160];
        label_escape(m->list_names[i], esc, sizeof esc);
        sb_printf(&b, "pmatch_matches_total{list=\"%s\"} %" PRIu64 "\n", esc, m->list_matches[i]);
    }
    if (m->list_other)
        sb_printf(&b, "pmatch_matches_total{list=\"(other)\"} %" PRIu64 "\n", m->list_other);
    pthread_mutex_unlock(&m->list_lock);
    sb_printf(
        &b,
        "# HELP pmatch_list_generation Generation of the list snapshot in use.\n"
        "# TYPE pmatch_list_generation gauge\npmatch_list_generation %" PRIu64 "\n"
        "# HELP pmatch_index_hashes PDQ hashes in the index.\n"
        "# TYPE pmatch_index_hashes gauge\npmatch_index_hashes %zu\n"
        "# HELP pmatch_refreshes_total List refreshes attempted.\n"
        "# TYPE pmatch_refreshes_total counter\npmatch_refreshes_total %" PRIu64 "\n"
        "# HELP pmatch_refresh_swaps_total Refreshes that swapped in a new snapshot.\n"
        "# TYPE pmatch_refresh_swaps_total counter\npmatch_refresh_swaps_total %" PRIu64 "\n"
        "# HELP pmatch_refresh_failures_total Refreshes that failed (the old snapshot "
        "stayed).\n"
        "# TYPE pmatch_refresh_failures_total counter\npmatch_refresh_failures_total %" PRIu64 "\n"
        "# HELP pmatch_refresh_duration_seconds Duration of the last refresh.\n"
        "# TYPE pmatch_refresh_duration_seconds gauge\npmatch_refresh_duration_seconds %.6f\n"
        "# HELP pmatch_last_refresh_timestamp_seconds Unix time the last refresh ended.\n"
        "# TYPE pmatch_last_refresh_timestamp_seconds gauge\n"
        "pmatch_last_refresh_timestamp_seconds %" PRIu64 "\n",
        lm_matcher_generation(matcher), matcher ? lm_matcher_size(matcher) : 0,
        (uint64_t)atomic_load(&m->refreshes), (uint64_t)atomic_load(&m->refresh_swaps),
        (uint64_t)atomic_load(&m->refresh_failures), (double)atomic_load(&m->last_refresh_us) / 1e6,
        (uint64_t)atomic_load(&m->last_refresh_end));
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
