/* The local pmatch scan: list, output, the walk in batches, then URLs (see scan_run.h). */
#include "scan_run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "commands.h"
#include "hash_cache.h"
#include "list_refresh.h"
#include "progress.h"
#include "scan_batch.h"
#include "scan_report.h"
#include "scan_shard.h"
#include "walk_count.h"

int scan_run(scan_config *cfg, const scan_job *job)
{
    char **paths = job->paths, **urls = job->urls;
    int npaths = job->npaths, nurls = job->nurls;
    scan_url_config *url_cfg = job->url_cfg;
    char *db_path = pmatch_default_db_path(job->db_flag);
    if (!db_path) {
        fprintf(stderr, "pmatch scan: no hash list: give --db PATH or set PMATCH_DB\n");
        return PMATCH_EXIT_ERROR;
    }
    checkpoint cp;
    int resumed = 0;
    if (checkpoint_open_output(cfg, job->output, job->ckpt_file, db_path, paths, npaths, &cp, &resumed) != 0) {
        free(db_path);
        return PMATCH_EXIT_ERROR;
    }
    /* Before the matcher: the cache check forks, best done before any thread exists. */
    if (job->cache_dir)
        cfg->cache = hash_cache_open(job->cache_dir, &cfg->check); /* NULL: warned, scan without it */
    lm_matcher *m = NULL;
    char errbuf[256] = "";
    /* A shard opens the list read-only, as MPI ranks do: many workers may share one copy,
     * and none of them must be able to change it (hit counters are not kept for shards). */
    unsigned open_flags = cfg->shard.count ? 0u : LM_MATCHER_WRITABLE;
    lm_status st = lm_matcher_open_with(db_path, open_flags, &m, errbuf, sizeof errbuf);
    if (st != LM_OK) {
        hash_cache_close(cfg->cache);
        fprintf(stderr, "pmatch scan: cannot open hash list %s: %s%s%s%s\n", db_path,
                lm_strerror(st), errbuf[0] ? ": " : "", errbuf, db_open_hint(st));
        free(db_path);
        if (job->output)
            fclose(cfg->out);
        return PMATCH_EXIT_ERROR;
    }

    progress prog;
    progress_init(&prog, !cfg->quiet);
    walk_count *counter =
        prog.enabled && npaths > 0 ? walk_count_start(paths, npaths, &cfg->walk) : NULL;
    scan_totals t = {0};
    uint64_t items_done = 0;
    if (resumed) {
        t = cp.totals;
        t.decoded = t.cache_hits = 0; /* per run */
        items_done = cp.items;
        prog.base = cp.items;
    }
    list_refresh lr;
    list_refresh_init(&lr, (double)job->refresh_seconds, "pmatch scan", db_path);
    item_result *items = calloc(SCAN_BATCH, sizeof *items);
    walk *w = walk_open(paths, npaths, &cfg->walk);
    char *last_path = malloc(PATH_MAX);
    int oom = !items || !w || !last_path, io_failed = 0;
    int n = 0, last_root = -1;
    uint64_t seq = 0; /* index in the full walk: every shard numbers items alike */
    const char *path;
    walk_kind kind;
    const char *reason;
    while (!oom && !io_failed && !t.oom && walk_next(w, &path, &kind, &reason)) {
        uint64_t item_seq = seq++;
        /* Shard mode: skip other shards' items; the rest keep their order. */
        if (cfg->shard.count && shard_of(path, cfg->shard.count) != cfg->shard.index)
            continue;
        if (job->ckpt_file) {
            int root = walk_root_index(w);
            const char *rel = walk_relative(path, paths[root]);
            if (resumed && walk_order_cmp(root, rel, cp.root, cp.path) <= 0)
                continue; /* done before the kill */
            last_root = root;
            snprintf(last_path, PATH_MAX, "%s", rel);
        }
        items_done++;
        if (kind != WALK_FILE && strcmp(path, "-") != 0) {
            scan_run_batch(m, cfg, items, n, &t); /* keep job->output in walk order */
            n = 0;
            scan_report_walk_problem(cfg, item_seq, path, kind, reason, walk_last_code(w), &t);
            continue;
        }
        memset(&items[n], 0, sizeof items[n]);
        items[n].seq = item_seq;
        if (!(items[n].path = strdup(path))) {
            oom = 1;
            break;
        }
        if (++n == SCAN_BATCH) {
            scan_run_batch(m, cfg, items, n, &t);
            n = 0;
            if (job->ckpt_file)
                io_failed = checkpoint_after_batch(cfg, job->ckpt_file, &cp, items_done, last_root,
                                            last_path, &t);
            else if (fflush(cfg->out) != 0)
                io_failed = 1;
            uint64_t total;
            if (walk_count_total(counter, &total))
                progress_set_total(&prog, total);
            progress_update(&prog, items_done, t.counts[CAT_MATCH], t.counts[CAT_ERROR]);
            list_refresh_tick(&lr, m);
        }
    }
    if (!oom && !io_failed) {
        scan_run_batch(m, cfg, items, n, &t);
        n = 0;
        if (job->ckpt_file && last_root >= 0)
            io_failed = checkpoint_after_batch(cfg, job->ckpt_file, &cp, items_done, last_root, last_path,
                                        &t);
    }
    walk_count_stop(counter);
    progress_finish(&prog);
    walk_close(w);
    for (int i = 0; i < n; i++)
        free((char *)items[i].path);
    free(items);
    free(last_path);
    double secs = progress_now() - prog.start;
    oom |= t.oom;
    char label[64] = "";
    if (cfg->shard.count) {
        snprintf(label, sizeof label, " (shard %u/%u)", cfg->shard.index, cfg->shard.count);
        /* Written only by a shard that finished: pmatch merge refuses a shard without it. */
        if (!oom && !io_failed)
            scan_shard_print_summary(cfg, &t, seq, scan_fingerprint(cfg, paths, npaths));
    }
    if (fflush(cfg->out) != 0 || (job->output && fsync(fileno(cfg->out)) != 0))
        io_failed = 1;
    if (job->output && fclose(cfg->out) != 0)
        io_failed = 1;
    hash_cache_close(cfg->cache);
    if (npaths > 0)
        scan_print_summary(stderr, "pmatch scan", t.counts, secs, label);
    if (cfg->cache || t.archives)
        fprintf(stderr,
                "pmatch scan: this run: %llu decoded, %llu from the hash cache; %llu archives, "
                "%llu members\n",
                (unsigned long long)t.decoded, (unsigned long long)t.cache_hits,
                (unsigned long long)t.archives, (unsigned long long)t.members);
    scan_url_totals ut = {0};
    url_cfg->db_path = db_path; /* list versions for the evidence records */
    if (!oom && !io_failed && (nurls > 0 || url_cfg->url_list) &&
        scan_urls(m, &cfg->check, cfg->json, cfg->quiet, cfg->jobs, url_cfg, urls, (size_t)nurls,
                  &ut) != 0)
        ut.failed++;
    t.counts[CAT_MATCH] += ut.matched;
    t.counts[CAT_ERROR] += ut.failed;
    if (t.db_errors)
        list_report_damage(&lr);
    if (!cfg->shard.count) /* shards are read-only by design: nothing to warn about */
        list_flush_hits(&lr, m,
                        (unsigned long long)(t.counts[CAT_MATCH] + t.counts[CAT_SUPPRESSED]));
    lm_matcher_close(m);
    free(db_path);
    if (oom) {
        fprintf(stderr, "pmatch scan: out of memory\n");
        return PMATCH_EXIT_ERROR;
    }
    if (io_failed) {
        fprintf(stderr, "pmatch scan: cannot write the results or the checkpoint: %s\n",
                strerror(errno));
        return PMATCH_EXIT_ERROR;
    }
    return scan_exit_code(t.counts);
}
