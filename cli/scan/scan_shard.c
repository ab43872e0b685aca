/* A shard's part of pmatch scan: the scan's fingerprint and the shard's closing summary. */
#include "scan_shard.h"

#include <stdio.h>
#include <string.h>

#include "scan_report.h"

uint64_t scan_fingerprint(const scan_config *cfg, char **roots, int nroots)
{
    uint64_t h = SHARD_FNV_INIT;
    for (int i = 0; i < nroots; i++)
        h = shard_fnv(h, roots[i], strlen(roots[i]) + 1);
    const lm_check_options *o = &cfg->check;
    char opts[256];
    int n = snprintf(opts, sizeof opts, "d%d q%d h%d x%d v%d i%d b%llu p%llu f%d m%d j%d",
                     o->max_distance, o->min_quality, o->dihedral, o->exact, o->video_sampling,
                     o->video_interval_ms, (unsigned long long)o->max_bytes,
                     (unsigned long long)o->max_pixels, cfg->walk.follow_symlinks,
                     cfg->walk.max_depth, cfg->json);
    return shard_fnv(h, opts, n > 0 ? (size_t)n : 0);
}

/* The last record of a shard's output: JSON for pmatch merge, or a comment line in text mode. */
void scan_shard_print_summary(const scan_config *cfg, const scan_totals *t, uint64_t walk_items,
                              uint64_t scan_id)
{
    shard_summary s = {.shard = cfg->shard, .walk_items = walk_items, .records = t->records,
                       .scan_id = scan_id};
    memcpy(s.counts, t->counts, sizeof s.counts);
    if (cfg->json) {
        shard_print_summary_json(cfg->out, &s);
    } else {
        char who[64];
        snprintf(who, sizeof who, "# shard %u/%u complete", cfg->shard.index, cfg->shard.count);
        scan_print_summary(cfg->out, who, t->counts, -1, "");
    }
}
