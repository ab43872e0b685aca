/*
 * hashdb list management (internal API, included by hashdb.h): per-list match
 * distance, enabled switch and kind; per-entry enable/disable; hit counters and
 * the flood report. Same conventions as hashdb.h.
 */
#ifndef LM_HASHDB_MANAGE_H
#define LM_HASHDB_MANAGE_H

/* ---- list attributes (db_list_attrs.c) ----------------------------------- */

/* lm_db_list_kind, lm_db_list_attrs, LM_DB_ATTR_* and lm_db_list_kind_name/parse
 * are in libmatch.h. */

/* Change the fields in `which` of the named list (one transaction; bumps the
 * generation). LM_E_NOT_FOUND for an unknown list, LM_E_INVALID_ARG for values
 * out of range. */
lm_status lm_hashdb_set_list_attrs(lm_hashdb *db, const char *list, const lm_db_list_attrs *a,
                                   unsigned which);
/* Attributes of one list (defaults when none were set). */
lm_status lm_hashdb_get_list_attrs(lm_hashdb *db, uint32_t list_id, lm_db_list_attrs *out);
/* Attributes of every list, by list id, in one snapshot; *generation (may be NULL) is
 * that snapshot's generation. Free *out with free(). */
lm_status lm_hashdb_all_list_attrs(lm_hashdb *db, lm_db_list_attrs **out, size_t *n,
                                   uint64_t *generation);

/* ---- disabled entries (db_disabled.c) ------------------------------------- */

/* Disable (disabled = 1) or enable entries, in one transaction. An id naming no
 * entry is LM_E_NOT_FOUND and nothing changes. *changed (may be NULL): entries
 * whose state changed. */
lm_status lm_hashdb_set_disabled(lm_hashdb *db, const uint64_t *ids, size_t n, int disabled,
                                 size_t *changed);
/* 1 when the entry is disabled, 0 when not (or absent). */
lm_status lm_hashdb_is_disabled(lm_hashdb *db, uint64_t id, int *disabled);

typedef struct lm_db_entry_state {
    int alive;        /* the entry exists */
    int active;       /* alive, not disabled, and its list is enabled */
    uint32_t list_id; /* when alive */
} lm_db_entry_state;

/* For the matcher's confirmation of candidates: the state of each id, in one snapshot. */
lm_status lm_hashdb_entry_states(lm_hashdb *db, const uint64_t *ids, size_t n,
                                 lm_db_entry_state *out);

/* ---- hit counters (db_hits.c) ---------------------------------------------- */

#define LM_DB_HIT_KEEP_DAYS 90 /* per-day buckets older than this are pruned at flush */

/* Hits of one entry on one day (days since 1970-01-01 UTC), first/last Unix times. */
typedef struct lm_db_hit_delta {
    uint64_t entry_id;
    uint32_t day;
    uint64_t count;
    int64_t first, last;
} lm_db_hit_delta;

/*
 * Add hit counts in one transaction that does not bump the generation. Deltas
 * of entries that no longer exist are dropped (*dropped, may be NULL). Day
 * buckets older than keep_days before the newest day of each entry are pruned.
 */
lm_status lm_hashdb_add_hits(lm_hashdb *db, const lm_db_hit_delta *d, size_t n, uint32_t keep_days,
                             size_t *dropped);

/* lm_db_flood_opts, lm_db_flood_opts_init and lm_db_hit_row are in libmatch.h. */

/* Every entry with hit records, by id, with its flood judgement. Free *rows with free(). */
lm_status lm_hashdb_hit_report(lm_hashdb *db, const lm_db_flood_opts *o, lm_db_hit_row **rows,
                               size_t *n);

/* The flood rule on one entry's numbers (exposed for tests). */
int lm_db_flood_rule(const lm_db_flood_opts *o, uint64_t today, double entry_median,
                     double list_typical);

/* Median of n values (sorts v in place); 0 for n == 0. */
double lm_db_median(double *v, size_t n);

#endif
