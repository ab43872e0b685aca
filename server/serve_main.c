/*
 * pmatch serve: options, the matcher, the HTTP daemon, list refresh (timer and
 * SIGHUP) and graceful shutdown (SIGTERM/SIGINT: stop accepting, let in-flight
 * requests finish, then stop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr_guard.h"
#include "serve.h"
#include "serve_http.h"
#include "server.h"
#include "serve_url.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pmatch serve [--db PATH] [OPTIONS]\n"
            "\n"
            "An HTTP matching service over the hash list: uploads checked with lm_check, hash\n"
            "lookups (one or many), HMA-compatible routes, /healthz /readyz /metrics and\n"
            "/openapi.json. JSON logs on stderr.\n"
            "\n"
            "  --db PATH             the hash list (default: $PMATCH_DB, then the XDG path)\n"
            "  --listen ADDR         IPv4 address to bind (default 127.0.0.1)\n"
            "  --port N              TCP port (default 5100; 0 picks a free one)\n"
            "  --port-file FILE      write the port there once listening\n"
            "  --workers N           HTTP worker threads sharing the matcher (default 2)\n"
            "  --tokens FILE         bearer tokens, one 'match TOKEN' or 'admin TOKEN' a line;\n"
            "                        without it match routes are open and admin routes refused\n"
            "  --max-body BYTES      largest request body (default 33554432)\n"
            "  --max-concurrent N    requests processed at once, more get 503 (default 64)\n"
            "  --max-connections N   open connections (default 1024)\n"
            "  --request-timeout S   whole request, headers to last body byte (default 60)\n"
            "  --idle-timeout S      close a connection silent this long (default 15)\n"
            "  --refresh-seconds N   pick up list changes every N s (default 60; 0: SIGHUP only)\n"
            "  --grace S             SIGTERM: wait this long for in-flight requests (default 30)\n"
            "  --max-batch N         hashes in one lookup request (default 10000)\n"
            "  --distance N          PDQ match distance (default 31)\n"
            "  --allow-url           take ?url= on /h/hash, /m/lookup, /v1/check and bank content\n"
            "                        (off by default): fetched like 'pmatch scan URL', bounded\n"
            "                        by --max-body and --url-timeout, public addresses only\n"
            "  --allow-private       let URL fetches reach loopback/private/link-local addresses\n"
            "  --allow-net CIDR      let URL fetches reach this network (repeatable)\n"
            "  --url-timeout S       one URL fetch, redirects included (default 30)\n"
            "  --max-url-fetches N   URL fetches at once, more get 503 (default 8)\n");
}

static int num_arg(const char *opt, const char *v, long lo, long hi, long *out)
{
    if (!v) {
        fprintf(stderr, "pmatch serve: %s needs a value\n", opt);
        return -1;
    }
    errno = 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        fprintf(stderr, "pmatch serve: %s: expected an integer %ld..%ld, got '%s'\n", opt, lo, hi,
                v);
        return -1;
    }
    *out = n;
    return 0;
}

static uint64_t wall_seconds(void)
{
    return (uint64_t)time(NULL);
}

static void do_refresh(srv *s, const char *why)
{
    double t0 = now_monotonic();
    int changed = 0;
    uint64_t before = lm_matcher_generation(s->matcher);
    lm_status st = lm_matcher_refresh(s->matcher, &changed);
    double secs = now_monotonic() - t0;
    atomic_fetch_add(&s->metrics.refreshes, 1);
    atomic_store(&s->metrics.last_refresh_us, (uint64_t)(secs * 1e6));
    if (st != LM_OK) {
        atomic_fetch_add(&s->metrics.refresh_failures, 1);
        srv_log("error", "refresh",
                json_pack("{s:s, s:s, s:f}", "trigger", why, "error", lm_strerror(st), "seconds",
                          secs));
        return;
    }
    atomic_store(&s->metrics.last_refresh_end, wall_seconds());
    if (changed)
        atomic_fetch_add(&s->metrics.refresh_swaps, 1);
#ifdef __GLIBC__
    /* The old snapshot is freed when its last reader returns: give the pages back. */
    if (changed)
        malloc_trim(0);
#endif
    srv_log("info", "refresh",
            json_pack("{s:s, s:b, s:I, s:I, s:I, s:f}", "trigger", why, "changed", changed,
                      "generation_before", (json_int_t)before, "generation",
                      (json_int_t)lm_matcher_generation(s->matcher), "index_hashes",
                      (json_int_t)lm_matcher_size(s->matcher), "seconds", secs));
}

static void *refresh_thread(void *arg)
{
    srv *s = arg;
    pthread_mutex_lock(&s->refresh_lock);
    for (;;) {
        if (s->refresh_stop)
            break;
        if (!s->refresh_requested) {
            if (s->cfg.refresh_s > 0) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += s->cfg.refresh_s;
                int rc = 0;
                while (!s->refresh_stop && !s->refresh_requested && rc != ETIMEDOUT)
                    rc = pthread_cond_timedwait(&s->refresh_cond, &s->refresh_lock, &ts);
                if (s->refresh_stop)
                    break;
                if (!s->refresh_requested && rc == ETIMEDOUT) {
                    pthread_mutex_unlock(&s->refresh_lock);
                    do_refresh(s, "timer");
                    pthread_mutex_lock(&s->refresh_lock);
                    continue;
                }
            } else {
                while (!s->refresh_stop && !s->refresh_requested)
                    pthread_cond_wait(&s->refresh_cond, &s->refresh_lock);
                if (s->refresh_stop)
                    break;
            }
        }
        s->refresh_requested = 0;
        pthread_mutex_unlock(&s->refresh_lock);
        do_refresh(s, "sighup");
        pthread_mutex_lock(&s->refresh_lock);
    }
    pthread_mutex_unlock(&s->refresh_lock);
    return NULL;
}

int cmd_serve(int argc, char **argv)
{
    static srv S; /* one service per process; zeroed */
    srv *s = &S;
    srv_config *c = &s->cfg;
    c->listen_addr = "127.0.0.1";
    c->port = 5100;
    c->workers = 2;
    c->max_body = 32u << 20;
    c->max_concurrent = 64;
    c->max_connections = 1024;
    c->request_timeout_s = 60;
    c->idle_timeout_s = 15;
    c->refresh_s = 60;
    c->grace_s = 30;
    c->max_batch = 10000;
    c->max_distance = LM_DEFAULT_MAX_DISTANCE;
    c->url_timeout_s = 30;
    c->max_url_fetches = 8;
    static addr_guard guard;
    addr_guard_init(&guard);
    s->url_guard = &guard;
    const char *db_flag = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--db") && v) {
            db_flag = v;
            i++;
        } else if (!strcmp(a, "--listen") && v) {
            c->listen_addr = v;
            i++;
        } else if (!strcmp(a, "--port-file") && v) {
            c->port_file = v;
            i++;
        } else if (!strcmp(a, "--tokens") && v) {
            c->token_file = v;
            i++;
        } else if (!strcmp(a, "--port")) {
            if (num_arg(a, v, 0, 65535, &n))
                return 2;
            c->port = (int)n;
            i++;
        } else if (!strcmp(a, "--workers")) {
            if (num_arg(a, v, 1, 256, &n))
                return 2;
            c->workers = (int)n;
            i++;
        } else if (!strcmp(a, "--max-body")) {
            if (num_arg(a, v, 1024, 1L << 32, &n))
                return 2;
            c->max_body = (uint64_t)n;
            i++;
        } else if (!strcmp(a, "--max-concurrent")) {
            if (num_arg(a, v, 1, 100000, &n))
                return 2;
            c->max_concurrent = (int)n;
            i++;
        } else if (!strcmp(a, "--max-connections")) {
            if (num_arg(a, v, 1, 1000000, &n))
                return 2;
            c->max_connections = (int)n;
            i++;
        } else if (!strcmp(a, "--request-timeout")) {
            if (num_arg(a, v, 1, 86400, &n))
                return 2;
            c->request_timeout_s = (int)n;
            i++;
        } else if (!strcmp(a, "--idle-timeout")) {
            if (num_arg(a, v, 1, 86400, &n))
                return 2;
            c->idle_timeout_s = (int)n;
            i++;
        } else if (!strcmp(a, "--refresh-seconds")) {
            if (num_arg(a, v, 0, 86400 * 30, &n))
                return 2;
            c->refresh_s = (int)n;
            i++;
        } else if (!strcmp(a, "--grace")) {
            if (num_arg(a, v, 0, 3600, &n))
                return 2;
            c->grace_s = (int)n;
            i++;
        } else if (!strcmp(a, "--max-batch")) {
            if (num_arg(a, v, 1, 1000000, &n))
                return 2;
            c->max_batch = (int)n;
            i++;
        } else if (!strcmp(a, "--allow-url")) {
            c->allow_url = 1;
        } else if (!strcmp(a, "--allow-private")) {
            guard.allow_private = 1;
        } else if (!strcmp(a, "--allow-net") && v) {
            int rc = addr_guard_allow_net(&guard, v);
            if (rc != 0) {
                fprintf(stderr, "pmatch serve: --allow-net: %s: %s\n", v,
                        rc == -2 ? "too many networks" : "not an address or CIDR network");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--url-timeout")) {
            if (num_arg(a, v, 1, 3600, &n))
                return 2;
            c->url_timeout_s = (int)n;
            i++;
        } else if (!strcmp(a, "--max-url-fetches")) {
            if (num_arg(a, v, 1, 10000, &n))
                return 2;
            c->max_url_fetches = (int)n;
            i++;
        } else if (!strcmp(a, "--distance")) {
            if (num_arg(a, v, 0, 256, &n))
                return 2;
            c->max_distance = (int)n;
            i++;
        } else {
            fprintf(stderr, "pmatch serve: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    char *db = pmatch_default_db_path(db_flag);
    if (!db) {
        fprintf(stderr, "pmatch serve: no hash list: use --db PATH or set PMATCH_DB\n");
        return 2;
    }
    c->db_path = db;

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)c->port);
    if (inet_pton(AF_INET, c->listen_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "pmatch serve: --listen: not an IPv4 address: %s\n", c->listen_addr);
        free(db);
        return 2;
    }

#ifdef __GLIBC__
    /* A fixed mmap threshold (glibc raises it after every large free, so the next index
     * would land in the heap and never be returned): each refresh's index arrays are
     * mmapped and go back to the system when the old snapshot is freed. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    metrics_init(&s->metrics);
    pthread_mutex_init(&s->refresh_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->refresh_cond, &ca);
    pthread_condattr_destroy(&ca);
    s->started = (int64_t)time(NULL);
    if (c->token_file) {
        char err[512];
        if (tokens_load(c->token_file, &s->tokens, err, sizeof err) != 0) {
            fprintf(stderr, "pmatch serve: --tokens: %s\n", err);
            free(db);
            return 2;
        }
        if (err[0])
            srv_log("warn", "tokens", json_pack("{s:s}", "message", err));
        s->auth_enabled = 1;
    }

    if (c->allow_url && url_global_init() != 0) {
        fprintf(stderr, "pmatch serve: --allow-url: libcurl cannot be initialised\n");
        tokens_free(&s->tokens);
        free(db);
        return 2;
    }

    /* Signals go to the main thread only (sigwait below): block them before any thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The list is opened once (LMDB: one handle per process) and the matcher is built on it;
     * for writing only when some token may administer it. */
    double t0 = now_monotonic();
    int want_write = s->auth_enabled && tokens_have_admin(&s->tokens);
    lm_status st = lm_db_open(db, want_write ? LM_DB_WRITE : LM_DB_READONLY, &s->db);
    if (st != LM_OK && want_write && st != LM_E_NOT_FOUND && st != LM_E_DB_SCHEMA) {
        srv_log("warn", "list_read_only",
                json_pack("{s:s, s:s}", "db", db, "error", lm_db_last_error(s->db)));
        lm_db_close(s->db);
        s->db = NULL;
        want_write = 0;
        st = lm_db_open(db, LM_DB_READONLY, &s->db);
    }
    if (st == LM_OK)
        st = lm_matcher_open_db(s->db, 0, &s->matcher);
    if (st != LM_OK) {
        const char *detail = s->db ? lm_db_last_error(s->db) : "";
        fprintf(stderr, "pmatch serve: %s: %s%s%s\n", db, lm_strerror(st), detail[0] ? ": " : "",
                detail);
        lm_db_close(s->db);
        tokens_free(&s->tokens);
        free(db);
        return 2;
    }
    s->db_writable = want_write;
    atomic_store(&s->metrics.last_refresh_end, wall_seconds());
    atomic_store(&s->metrics.last_refresh_us, (uint64_t)((now_monotonic() - t0) * 1e6));
    srv_log("info", "list_opened",
            json_pack("{s:s, s:b, s:I, s:I, s:f}", "db", db, "writable", s->db_writable,
                      "generation", (json_int_t)lm_matcher_generation(s->matcher), "index_hashes",
                      (json_int_t)lm_matcher_size(s->matcher), "seconds", now_monotonic() - t0));

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME; /* ?url= fetches suspend their connection */
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &sa},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)serve_http_completed, s},
        {MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, c->max_connections, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 128 * 1024, NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
        {c->workers > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, c->workers, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, serve_http_handler, s,
                                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "pmatch serve: cannot listen on %s:%d: %s\n", c->listen_addr, c->port,
                strerror(errno));
        lm_matcher_close(s->matcher);
        lm_db_close(s->db);
        tokens_free(&s->tokens);
        free(db);
        return 2;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info ? info->port : c->port;
    if (c->port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", c->port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, c->port_file)) {
            fprintf(stderr, "pmatch serve: --port-file %s: %s\n", c->port_file, strerror(errno));
            MHD_stop_daemon(d);
            lm_matcher_close(s->matcher);
            lm_db_close(s->db);
            tokens_free(&s->tokens);
            free(db);
            return 2;
        }
    }
    pthread_t rt;
    int have_rt = pthread_create(&rt, NULL, refresh_thread, s) == 0;
    atomic_store(&s->ready, 1);
    srv_log("info", "listening",
            json_pack("{s:s, s:i, s:i, s:b, s:i, s:I}", "address", c->listen_addr, "port", port,
                      "workers", c->workers, "auth", s->auth_enabled, "refresh_seconds",
                      c->refresh_s, "max_body", (json_int_t)c->max_body));
    if (c->allow_url)
        srv_log("info", "url_lookups",
                json_pack("{s:b, s:b, s:i, s:i}", "enabled", 1, "allow_private",
                          guard.allow_private, "allow_nets", (int)guard.nnets, "timeout_seconds",
                          c->url_timeout_s));

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            pthread_mutex_lock(&s->refresh_lock);
            s->refresh_requested = 1;
            pthread_cond_signal(&s->refresh_cond);
            pthread_mutex_unlock(&s->refresh_lock);
            continue;
        }
        break;
    }

    /* Graceful stop: no new connections, new requests on open ones get 503, in-flight finish. */
    atomic_store(&s->shutting_down, 1);
    srv_log("info", "shutdown",
            json_pack("{s:i}", "in_flight", atomic_load(&s->metrics.in_flight)));
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    double until = now_monotonic() + c->grace_s;
    while (atomic_load(&s->metrics.in_flight) > 0 && now_monotonic() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&s->metrics.in_flight);
    /* A fetch thread resumes its connection when it ends: none may outlive the daemon
     * (each is bounded by --url-timeout). */
    url_wait_idle(s, c->url_timeout_s + 5);
    MHD_stop_daemon(d);
    pthread_mutex_lock(&s->refresh_lock);
    s->refresh_stop = 1;
    pthread_cond_signal(&s->refresh_cond);
    pthread_mutex_unlock(&s->refresh_lock);
    if (have_rt)
        pthread_join(rt, NULL);
    srv_log("info", "stopped", json_pack("{s:i}", "in_flight_abandoned", left));
    lm_matcher_close(s->matcher);
    lm_db_close(s->db);
    tokens_free(&s->tokens);
    metrics_destroy(&s->metrics);
    pthread_mutex_destroy(&s->refresh_lock);
    pthread_cond_destroy(&s->refresh_cond);
    free(db);
    return 0;
}
