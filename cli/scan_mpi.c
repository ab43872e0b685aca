/*
 * pmatch scan --mpi (see scan_mpi.h). The protocol, all on MPI_COMM_WORLD:
 *
 *   worker -> 0  TAG_RESULT  results of its last batch (maybe none), which is
 *                            also a request for one more batch:
 *                            repeated [u64 seq][u8 category][record text]['\0']
 *   0 -> worker  TAG_WORK    a batch: repeated [u64 seq][path]['\0'];
 *                            an empty message means "no more work"
 *
 * Each worker keeps PREFETCH requests outstanding, so it has the next batch at
 * hand while its results travel. Rank 0 keeps at most WINDOW items between the
 * oldest unprinted one and the newest handed out (memory stays bounded however
 * large the tree), prints records as soon as they are next in walk order, and
 * checks files itself one at a time between polls. Records are formatted by the
 * rank that checked the file, with the same code as a single-process scan.
 *
 * Failures: a file that cannot be read or decoded is an error record as usual.
 * A rank that dies or runs out of memory ends the whole job (MPI's default
 * MPI_ERRORS_ARE_FATAL, or MPI_Abort here): the output is then incomplete and
 * the exit code non-zero, never a hang.
 */
#include "scan_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"

#ifndef PMATCH_HAVE_MPI

int scan_mpi_main(const scan_config *cfg, const char *db_flag, char **roots, int nroots)
{
    (void)cfg, (void)db_flag, (void)roots, (void)nroots;
    fprintf(stderr, "pmatch scan: --mpi: this pmatch was built without MPI support (install "
                    "libopenmpi-dev and openmpi-bin, then rebuild), or use --shard K/N\n");
    return PMATCH_EXIT_ERROR;
}

#else

#include <mpi.h>

#include "lazy_lib.h"
#include "lazy_mpi.h"

#include "progress.h"

enum { TAG_WORK = 1, TAG_RESULT = 2 };
enum { BATCH = 16, PREFETCH = 2 };

static void die(const char *what)
{
    fprintf(stderr, "pmatch scan --mpi: %s: aborting the job\n", what);
    MPI_Abort(MPI_COMM_WORLD, PMATCH_EXIT_ERROR);
    exit(PMATCH_EXIT_ERROR);
}

/* A growable byte buffer for messages. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap < b->len + n)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np)
            die("out of memory");
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* Receive one message of any size from src with tag; returns a malloc'ed buffer. */
static char *recv_any(int src, int tag, int *from, int *len)
{
    MPI_Status st;
    /* Poll with short sleeps rather than MPI_Probe, which spins a core that
       another rank on the same machine could use. */
    for (int flag = 0, spins = 0; MPI_Iprobe(src, tag, MPI_COMM_WORLD, &flag, &st), !flag;)
        if (++spins > 100) {
            struct timespec ts = {0, 100 * 1000};
            nanosleep(&ts, NULL);
        }
    MPI_Get_count(&st, MPI_BYTE, len);
    char *p = malloc(*len > 0 ? (size_t)*len : 1);
    if (!p)
        die("out of memory");
    MPI_Recv(p, *len, MPI_BYTE, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *from = st.MPI_SOURCE;
    return p;
}

/* Format one record (as a single-process scan prints it) into a malloc'ed string. */
static char *format_item(const lm_matcher *m, const scan_config *cfg, const item_result *r,
                         size_t *len)
{
    char *text = NULL;
    FILE *mem = open_memstream(&text, len);
    if (!mem)
        die("out of memory");
    scan_print_item(mem, m, cfg, r);
    if (fclose(mem) != 0)
        die("out of memory");
    return text;
}

/* ---- workers -------------------------------------------------------------- */

static void worker(const lm_matcher *m, const scan_config *cfg)
{
    buf out = {0};
    MPI_Request pending = MPI_REQUEST_NULL;
    for (int i = 0; i < PREFETCH; i++)
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    int outstanding = PREFETCH;
    item_result items[BATCH];
    while (outstanding > 0) {
        int from, len;
        char *msg = recv_any(0, TAG_WORK, &from, &len);
        outstanding--;
        int n = 0;
        for (int off = 0; off < len && n < BATCH; n++) {
            const char *nul =
                off + 8 < len ? memchr(msg + off + 8, '\0', (size_t)(len - off - 8)) : NULL;
            if (!nul)
                die("malformed work message");
            memset(&items[n], 0, sizeof items[n]);
            memcpy(&items[n].seq, msg + off, 8);
            items[n].path = msg + off + 8;
            off = (int)(nul - msg) + 1;
        }
        if (n == 0) { /* no more work */
            free(msg);
            continue;
        }
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
        for (int i = 0; i < n; i++)
            scan_check_item(m, cfg, &items[i]);
        MPI_Wait(&pending, MPI_STATUS_IGNORE); /* out is free again */
        out.len = 0;
        for (int i = 0; i < n; i++) {
            size_t tlen;
            char *text = format_item(m, cfg, &items[i], &tlen);
            uint8_t cat = (uint8_t)scan_category_of(&items[i]);
            buf_add(&out, &items[i].seq, 8);
            buf_add(&out, &cat, 1);
            buf_add(&out, text, tlen + 1);
            free(text);
        }
        free(msg);
        if (out.len > (size_t)INT32_MAX)
            die("result message too large");
        MPI_Isend(out.p, (int)out.len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD, &pending);
        outstanding++;
    }
    MPI_Wait(&pending, MPI_STATUS_IGNORE);
    free(out.p);
}

/* ---- rank 0 ---------------------------------------------------------------- */

typedef struct slot {
    int ready;
    uint8_t cat;
    char *text;
} slot;

typedef struct sent {
    MPI_Request req;
    buf b;
} sent;

typedef struct coordinator {
    const lm_matcher *m;
    const scan_config *cfg;
    walk *w;
    int walk_done;
    uint64_t next_seq, print_seq; /* handed out / printed so far */
    slot *ring;
    uint64_t window;
    uint64_t counts[CAT_COUNT], printed;
    progress prog;
    /* rank 0's own batch */
    item_result local[BATCH];
    int local_n, local_pos;
    /* requests not yet answered, FIFO */
    int *idle;
    int idle_head, idle_n, idle_cap;
    sent *sends; /* in-flight work messages, one per outstanding request at most */
    int nsends;
} coordinator;

static slot *slot_of(coordinator *c, uint64_t seq)
{
    return &c->ring[seq % c->window];
}

static void set_ready(coordinator *c, uint64_t seq, uint8_t cat, char *text)
{
    if (seq < c->print_seq || seq >= c->next_seq || cat >= CAT_COUNT || slot_of(c, seq)->ready)
        die("unexpected result from a worker");
    slot *s = slot_of(c, seq);
    s->ready = 1;
    s->cat = cat;
    s->text = text;
}

/* Pull walk items for one batch (paths to check); walk problems become records at once. */
static int fill_batch(coordinator *c, buf *b, item_result *local)
{
    int n = 0;
    const char *path, *reason;
    walk_kind kind;
    while (n < BATCH && !c->walk_done && c->next_seq - c->print_seq < c->window) {
        if (!walk_next(c->w, &path, &kind, &reason)) {
            c->walk_done = 1;
            break;
        }
        uint64_t seq = c->next_seq++;
        if (kind != WALK_FILE) {
            char *text = NULL;
            size_t len;
            FILE *mem = open_memstream(&text, &len);
            if (!mem)
                die("out of memory");
            scan_category cat =
                scan_print_walk_problem(mem, c->cfg, path, kind, reason, walk_last_code(c->w));
            if (fclose(mem) != 0)
                die("out of memory");
            set_ready(c, seq, (uint8_t)cat, text);
            continue;
        }
        if (local) {
            memset(&local[n], 0, sizeof local[n]);
            local[n].seq = seq;
            if (!(local[n].path = strdup(path)))
                die("out of memory");
        } else {
            buf_add(b, &seq, 8);
            buf_add(b, path, strlen(path) + 1);
        }
        n++;
    }
    return n;
}

static void flush_ready(coordinator *c)
{
    while (c->print_seq < c->next_seq && slot_of(c, c->print_seq)->ready) {
        slot *s = slot_of(c, c->print_seq);
        fputs(s->text, stdout);
        free(s->text);
        c->counts[s->cat]++;
        c->printed++;
        memset(s, 0, sizeof *s);
        c->print_seq++;
    }
    progress_update(&c->prog, c->printed, c->counts[CAT_MATCH], c->counts[CAT_ERROR]);
}

static void reap_sends(coordinator *c)
{
    for (int i = 0; i < c->nsends;) {
        int done = 0;
        MPI_Test(&c->sends[i].req, &done, MPI_STATUS_IGNORE);
        if (done) {
            free(c->sends[i].b.p);
            c->sends[i] = c->sends[--c->nsends];
        } else {
            i++;
        }
    }
}

static void parse_results(coordinator *c, const char *msg, int len)
{
    for (int off = 0; off < len;) {
        if (len - off < 10)
            die("malformed result message");
        const char *nul = memchr(msg + off + 9, '\0', (size_t)(len - off - 9));
        if (!nul)
            die("malformed result message");
        uint64_t seq;
        memcpy(&seq, msg + off, 8);
        char *text = strdup(msg + off + 9);
        if (!text)
            die("out of memory");
        set_ready(c, seq, (uint8_t)msg[off + 8], text);
        off = (int)(nul - msg) + 1;
    }
}

static int coordinate(coordinator *c, int nranks)
{
    int stops_needed = (nranks - 1) * PREFETCH, stops_sent = 0;
    for (;;) {
        int busy = 0, flag, from, len;
        MPI_Status st;
        /* 1. results (each also asks for more work) */
        while (MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st), flag) {
            char *msg = recv_any(st.MPI_SOURCE, TAG_RESULT, &from, &len);
            parse_results(c, msg, len);
            free(msg);
            if (c->idle_n == c->idle_cap)
                die("more requests than expected");
            c->idle[(c->idle_head + c->idle_n++) % c->idle_cap] = from;
            busy = 1;
        }
        /* 2. answer waiting workers: a batch, or "no more work" once the walk is over */
        reap_sends(c);
        while (c->idle_n > 0) {
            sent *s = &c->sends[c->nsends];
            memset(s, 0, sizeof *s);
            int n = fill_batch(c, &s->b, NULL);
            if (n == 0 && !c->walk_done)
                break; /* window full: wait for the oldest items */
            int to = c->idle[c->idle_head];
            c->idle_head = (c->idle_head + 1) % c->idle_cap;
            c->idle_n--;
            if (n == 0)
                stops_sent++;
            if (s->b.len > (size_t)INT32_MAX)
                die("work message too large");
            MPI_Isend(s->b.p, (int)s->b.len, MPI_BYTE, to, TAG_WORK, MPI_COMM_WORLD, &s->req);
            c->nsends++;
            busy = 1;
        }
        /* 3. rank 0's own share: one file at a time, so requests are answered quickly */
        if (c->local_pos == c->local_n) {
            c->local_pos = 0;
            c->local_n = fill_batch(c, NULL, c->local);
        }
        if (c->local_pos < c->local_n) {
            item_result *r = &c->local[c->local_pos++];
            scan_check_item(c->m, c->cfg, r);
            size_t tlen;
            char *text = format_item(c->m, c->cfg, r, &tlen);
            set_ready(c, r->seq, (uint8_t)scan_category_of(r), text);
            free((char *)r->path);
            busy = 1;
        }
        flush_ready(c);
        if (c->walk_done && stops_sent == stops_needed && c->print_seq == c->next_seq &&
            c->local_pos == c->local_n)
            break;
        if (!busy) {
            struct timespec ts = {0, 200 * 1000}; /* waiting for workers: do not spin */
            nanosleep(&ts, NULL);
        }
    }
    while (c->nsends > 0)
        reap_sends(c);
    fflush(stdout);
    return scan_exit_code(c->counts);
}

int scan_mpi_main(const scan_config *cfg_in, const char *db_flag, char **roots, int nroots)
{
    int provided, rank, nranks;
    const char *load_why = NULL;
    if (pmatch_load_mpi(&load_why) != 0) {
        fprintf(stderr, "pmatch scan --mpi: MPI could not be loaded: %s\n", load_why);
        return PMATCH_EXIT_ERROR;
    }
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    scan_config cfg = *cfg_in;
    if (cfg.jobs == 0)
        cfg.jobs = 1; /* one rank per core is the usual layout */

    /* Every rank opens the list read-only; if any cannot, nobody scans. */
    char err[512] = "";
    lm_matcher *m = NULL;
    char *db_path = pmatch_default_db_path(db_flag);
    if (!db_path) {
        snprintf(err, sizeof err, "no hash list: give --db PATH or set PMATCH_DB");
    } else {
        char why[256] = "";
        lm_status st = lm_matcher_open(db_path, &m, why, sizeof why);
        if (st != LM_OK)
            snprintf(err, sizeof err, "cannot open hash list %s: %s%s%s", db_path, lm_strerror(st),
                     why[0] ? ": " : "", why);
    }
    free(db_path);
    int failed = err[0] != '\0', any_failed = 0;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_failed) {
        char host[MPI_MAX_PROCESSOR_NAME] = "";
        int hl;
        MPI_Get_processor_name(host, &hl);
        char line[sizeof err + MPI_MAX_PROCESSOR_NAME + 32] = "";
        if (failed)
            snprintf(line, sizeof line, "rank %d (%s): %s", rank, host, err);
        char *all = rank == 0 ? calloc((size_t)nranks, sizeof line) : NULL;
        if (rank == 0 && !all)
            die("out of memory");
        MPI_Gather(line, (int)sizeof line, MPI_CHAR, all, (int)sizeof line, MPI_CHAR, 0,
                   MPI_COMM_WORLD);
        for (int i = 0; rank == 0 && i < nranks; i++)
            if (all[i * sizeof line])
                fprintf(stderr, "pmatch scan --mpi: %s\n", all + i * sizeof line);
        free(all);
        lm_matcher_close(m);
        MPI_Finalize();
        return PMATCH_EXIT_ERROR;
    }

    int code = PMATCH_EXIT_OK;
    if (rank != 0) {
        worker(m, &cfg);
    } else {
        coordinator c = {.m = m, .cfg = &cfg};
        c.window = (uint64_t)nranks * PREFETCH * BATCH * 4;
        if (c.window < 4096)
            c.window = 4096;
        c.idle_cap = nranks * PREFETCH + 1;
        c.ring = calloc(c.window, sizeof *c.ring);
        c.idle = calloc((size_t)c.idle_cap, sizeof *c.idle);
        c.sends = calloc((size_t)c.idle_cap, sizeof *c.sends);
        c.w = walk_open(roots, nroots, &cfg.walk);
        if (!c.ring || !c.idle || !c.sends || !c.w)
            die("out of memory");
        progress_init(&c.prog, !cfg.quiet);
        code = coordinate(&c, nranks);
        progress_finish(&c.prog);
        char label[64];
        snprintf(label, sizeof label, " (%d MPI ranks)", nranks);
        scan_print_summary(stderr, "pmatch scan", c.counts, progress_now() - c.prog.start, label);
        walk_close(c.w);
        free(c.ring);
        free(c.idle);
        free(c.sends);
    }
    lm_matcher_close(m);
    MPI_Finalize();
    return code;
}

#endif
