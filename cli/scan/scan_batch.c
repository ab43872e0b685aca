/* A batch of pmatch scan: checked in parallel, reported in order (see scan_batch.h). */
#include "scan_batch.h"

#include <stdlib.h>

#include "archive_scan.h"
#include "hash_cache.h"
#include "scan_item.h"
#include "scan_report.h"

void scan_report(const lm_matcher *m, const scan_config *cfg, item_result *r, scan_totals *t)
{
    if (r->archive) {
        int kind = r->archive;
        r->archive = 0;
        r->cache = NULL;
        if (scan_archive(m, cfg, r, kind, t) != 0) {
            /* Not an archive after all (a compressed single file): check it as a file. */
            scan_config plain = *cfg;
            plain.no_archives = 1;
            scan_check_item(m, &plain, r);
        }
    }
    scan_report_record(m, cfg, r, t);
}

void scan_run_batch(const lm_matcher *m, const scan_config *cfg, item_result *items, int n,
                    scan_totals *t)
{
    cache_slot *slots = NULL;
    if (cfg->cache && n > 0 && (slots = calloc((size_t)n, sizeof *slots)) != NULL) {
        for (int i = 0; i < n; i++)
            items[i].cache = &slots[i];
        hash_cache_lookup(cfg->cache, &cfg->check, items, n);
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(cfg->jobs) schedule(dynamic, 1)
#endif
    for (int i = 0; i < n; i++)
        scan_check_item(m, cfg, &items[i]);
    if (slots)
        hash_cache_store(cfg->cache, &cfg->check, items, n);
    for (int i = 0; i < n; i++) {
        scan_report(m, cfg, &items[i], t);
        free((char *)items[i].path);
        items[i].path = NULL;
        items[i].cache = NULL;
    }
    free(slots);
}
