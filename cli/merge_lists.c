/*
 * Merging the match outputs of a sharded list. Every shard answers every query,
 * so the files are read in lock step, one record each. A match record of the
 * whole list is the shards' matches together, ordered as the matcher orders
 * them (match_item_cmp); a negative-list match in any shard suppresses every
 * other match of the query, as it does inside one list (libmatch/match_rules.c),
 * and the verdict follows. Only the 16 best are printed, and each shard printed
 * its own 16 best in the same order, so the best 16 of the union are among
 * them; match_count is the sum. A nearest record is the K best of the shards' K
 * best by (distance, entry id): the index orders ties by position, which is
 * entry-id order for a list without image companions (README.md, "A list too
 * large for one machine").
 */
#include "merge_lists.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "libmatch.h"
#include "match_record.h"

typedef struct shard_in {
    const char *name;
    FILE *f;
    match_reader rd;
    match_record *rec;
    const char *line; /* the current record's text (match_item spans point into it) */
} shard_in;

typedef struct merged_item {
    match_item it;
    const char *src; /* the line its spans point into */
} merged_item;

typedef struct merger {
    shard_in *in;
    int n;
    int distance;
    merged_item *all; /* room for n * MATCH_RECORD_MAX_ITEMS */
    uint64_t *ids;
    uint64_t records;
    uint64_t last_line;
    int k; /* of the first --nearest record (0: none yet), and where it is */
    const char *k_file;
    unsigned long long k_line;
    int matched;
} merger;

static int cmp_match(const void *pa, const void *pb)
{
    return match_item_cmp(&((const merged_item *)pa)->it, &((const merged_item *)pb)->it);
}

static int cmp_nearest(const void *pa, const void *pb)
{
    const match_item *a = &((const merged_item *)pa)->it, *b = &((const merged_item *)pb)->it;
    if (a->distance != b->distance)
        return a->distance - b->distance;
    return a->entry_id < b->entry_id ? -1 : a->entry_id > b->entry_id;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Read one line of every file: 1 a record each, 0 all ended, -1 refused (printed). */
static int next_step(merger *m)
{
    int ended = -1, have = -1;
    for (int i = 0; i < m->n; i++) {
        shard_in *s = &m->in[i];
        size_t len;
        match_read_status st = match_reader_next(&s->rd, &s->line, &len);
        unsigned long long at = (unsigned long long)s->rd.lineno + 1;
        switch (st) {
        case MATCH_READ_LINE: break;
        case MATCH_READ_END: s->line = NULL; break;
        case MATCH_READ_TOO_LONG:
            fprintf(stderr, "pmatch merge: %s:%llu: line longer than %u bytes\n", s->name, at,
                    MATCH_RECORD_MAX_LINE);
            return -1;
        case MATCH_READ_NO_NEWLINE:
            fprintf(stderr,
                    "pmatch merge: %s:%llu: last line has no newline (the match did not "
                    "finish)\n",
                    s->name, at);
            return -1;
        case MATCH_READ_NOMEM: fprintf(stderr, "pmatch merge: out of memory\n"); return -1;
        default: fprintf(stderr, "pmatch merge: %s: %s\n", s->name, strerror(errno)); return -1;
        }
        if (!s->line) {
            ended = i;
            continue;
        }
        have = i;
        char why[160];
        if (match_record_parse(s->line, len, s->rec, why, sizeof why)) {
            fprintf(stderr, "pmatch merge: %s:%llu: %s\n", s->name,
                    (unsigned long long)s->rd.lineno, why);
            return -1;
        }
    }
    if (have < 0)
        return 0;
    if (ended >= 0) {
        fprintf(stderr,
                "pmatch merge: %s ends after %llu records but %s has a record for query line "
                "%llu (an output is truncated, or a query failed on one shard)\n",
                m->in[ended].name, (unsigned long long)m->records, m->in[have].name,
                (unsigned long long)m->in[have].rec->line);
        return -1;
    }
    return 1;
}

/* The records of one step answer the same query the same way; it follows the last. (A
 * --nearest run prints match records for digests: the kind may change from line to line.) */
static int check_step(merger *m)
{
    const shard_in *a = &m->in[0];
    const match_record *ra = a->rec;
    unsigned long long at = (unsigned long long)a->rd.lineno;
    if (ra->kind == MATCH_RECORD_NEAREST && m->k == 0) {
        m->k = ra->k;
        m->k_file = a->name;
        m->k_line = at;
    }
    for (int i = 1; i < m->n; i++) {
        const shard_in *b = &m->in[i];
        const match_record *rb = b->rec;
        if (rb->kind != ra->kind) {
            fprintf(stderr,
                    "pmatch merge: %s:%llu: a %s record where %s:%llu has a %s record (the "
                    "shards ran different commands)\n",
                    b->name, at, rb->kind == MATCH_RECORD_NEAREST ? "--nearest" : "match",
                    a->name, at, ra->kind == MATCH_RECORD_NEAREST ? "--nearest" : "match");
            return -1;
        }
    }
    for (int i = 0; i < m->n; i++) {
        const shard_in *b = &m->in[i];
        const match_record *rb = b->rec;
        if (rb->kind == MATCH_RECORD_NEAREST && rb->k != m->k) {
            fprintf(stderr,
                    "pmatch merge: %s:%llu: k %d where %s:%llu has k %d (the shards ran a "
                    "different --nearest)\n",
                    b->name, at, rb->k, m->k_file, m->k_line, m->k);
            return -1;
        }
        if (rb->line != ra->line) {
            fprintf(stderr,
                    "pmatch merge: %s:%llu is query line %llu but %s:%llu is query line %llu "
                    "(a query failed on one shard, or the outputs come from different "
                    "query files)\n",
                    a->name, at, (unsigned long long)ra->line, b->name, at,
                    (unsigned long long)rb->line);
            return -1;
        }
        if (rb->hash_len != ra->hash_len ||
            memcmp(b->line + rb->hash, a->line + ra->hash, ra->hash_len) != 0) {
            fprintf(stderr,
                    "pmatch merge: query line %llu is %.*s in %s but %.*s in %s (the shards "
                    "matched different query files)\n",
                    (unsigned long long)ra->line, (int)ra->hash_len, a->line + ra->hash, a->name,
                    (int)rb->hash_len, b->line + rb->hash, b->name);
            return -1;
        }
    }
    if (m->records > 0 && ra->line <= m->last_line) {
        fprintf(stderr,
                "pmatch merge: %s:%llu: query line %llu after query line %llu (records out of "
                "order)\n",
                a->name, at, (unsigned long long)ra->line, (unsigned long long)m->last_line);
        return -1;
    }
    m->last_line = ra->line;
    return 0;
}

/* Gather the shards' entries of this step into m->all; an entry in two shards is refused. */
static int gather(merger *m, size_t *count)
{
    size_t t = 0;
    for (int i = 0; i < m->n; i++) {
        const match_record *r = m->in[i].rec;
        for (size_t j = 0; j < r->n; j++) {
            m->all[t].it = r->items[j];
            m->all[t].src = m->in[i].line;
            m->ids[t++] = r->items[j].entry_id;
        }
    }
    qsort(m->ids, t, sizeof *m->ids, cmp_u64);
    for (size_t j = 1; j < t; j++)
        if (m->ids[j] == m->ids[j - 1]) {
            fprintf(stderr,
                    "pmatch merge: query line %llu: entry %llu is in two shards (the shards "
                    "overlap, or come from different lists)\n",
                    (unsigned long long)m->in[0].rec->line, (unsigned long long)m->ids[j]);
            return -1;
        }
    *count = t;
    return 0;
}

static void print_item(const merged_item *e, int with_type)
{
    const match_item *it = &e->it;
    printf("{\"entry_id\":%llu", (unsigned long long)it->entry_id);
    if (with_type)
        printf(",\"type\":\"%s\"", lm_hash_type_name((lm_hash_type)it->type));
    printf(",\"distance\":%d%s%s", it->distance, it->negative ? ",\"negative\":true" : "",
           it->suppressed ? ",\"suppressed\":true" : "");
    fwrite(e->src + it->tail, 1, it->tail_len, stdout);
    putchar('}');
}

static void print_head(const merger *m)
{
    const match_record *r = m->in[0].rec;
    fputs("{\"hash\":", stdout);
    fwrite(m->in[0].line + r->hash, 1, r->hash_len, stdout);
    printf(",\"line\":%llu", (unsigned long long)r->line);
}

static int merge_match(merger *m, int emit)
{
    size_t t;
    if (gather(m, &t))
        return -1;
    uint64_t total = 0;
    int negative = 0;
    for (int i = 0; i < m->n; i++) {
        total += m->in[i].rec->count;
        negative |= m->in[i].rec->verdict == MATCH_VERDICT_SUPPRESSED;
    }
    /* the whole list's rule: one negative match suppresses all the others */
    for (size_t j = 0; j < t; j++)
        m->all[j].it.suppressed = negative && !m->all[j].it.negative;
    int matched = total > 0 && !negative;
    m->matched |= matched;
    if (!emit)
        return 0;
    qsort(m->all, t, sizeof *m->all, cmp_match);
    size_t shown = t < MATCH_RECORD_MAX_SHOWN ? t : MATCH_RECORD_MAX_SHOWN;
    print_head(m);
    printf(",\"verdict\":\"%s\",\"matches\":[", matched ? "match"
                                                : total ? "suppressed"
                                                        : "no_match");
    for (size_t j = 0; j < shown; j++) {
        if (j)
            putchar(',');
        print_item(&m->all[j], 1);
    }
    printf("],\"match_count\":%llu}\n", (unsigned long long)total);
    return 0;
}

static int merge_nearest(merger *m, int emit)
{
    size_t t;
    if (gather(m, &t))
        return -1;
    qsort(m->all, t, sizeof *m->all, cmp_nearest);
    size_t shown = t < (size_t)m->k ? t : (size_t)m->k;
    m->matched |= shown > 0 && m->all[0].it.distance <= m->distance && !m->all[0].it.negative;
    if (!emit)
        return 0;
    print_head(m);
    fputs(",\"nearest\":[", stdout);
    for (size_t j = 0; j < shown; j++) {
        if (j)
            putchar(',');
        print_item(&m->all[j], 0);
    }
    printf("],\"count\":%zu,\"k\":%d}\n", shown, m->k);
    return 0;
}

/* One pass over the files: check (emit 0) or print (emit 1). 0 or -1 (printed). */
static int pass(merger *m, int emit)
{
    m->records = 0;
    m->matched = 0;
    m->k = 0;
    for (int i = 0; i < m->n; i++)
        if (match_reader_rewind(&m->in[i].rd)) {
            fprintf(stderr, "pmatch merge: %s: cannot read it twice: %s\n", m->in[i].name,
                    strerror(errno));
            return -1;
        }
    int rc;
    while ((rc = next_step(m)) == 1) {
        if (check_step(m))
            return -1;
        if ((m->in[0].rec->kind == MATCH_RECORD_NEAREST ? merge_nearest : merge_match)(m, emit))
            return -1;
        m->records++;
    }
    return rc;
}

int merge_lists(char *const *files, int n, int distance)
{
    merger m = {.n = n, .distance = distance};
    m.in = calloc((size_t)n, sizeof *m.in);
    m.all = malloc((size_t)n * MATCH_RECORD_MAX_ITEMS * sizeof *m.all);
    m.ids = malloc((size_t)n * MATCH_RECORD_MAX_ITEMS * sizeof *m.ids);
    int rc = m.in && m.all && m.ids ? 0 : -1;
    if (rc)
        fprintf(stderr, "pmatch merge: out of memory\n");
    for (int i = 0; i < n && rc == 0; i++) {
        shard_in *s = &m.in[i];
        s->name = files[i];
        if (strcmp(s->name, "-") == 0) {
            fprintf(stderr, "pmatch merge: '-': give the shard outputs as files\n");
            rc = -1;
        } else if (!(s->f = fopen(s->name, "rb"))) {
            fprintf(stderr, "pmatch merge: %s: %s\n", s->name, strerror(errno));
            rc = -1;
        } else if (!(s->rec = malloc(sizeof *s->rec))) {
            fprintf(stderr, "pmatch merge: out of memory\n");
            rc = -1;
        } else {
            match_reader_init(&s->rd, s->f);
        }
    }
    if (rc == 0)
        rc = pass(&m, 0);
    if (rc == 0)
        rc = pass(&m, 1);
    if (rc == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "pmatch merge: writing the output: %s\n", strerror(errno));
        rc = -1;
    }
    for (int i = 0; m.in && i < n; i++) {
        match_reader_free(&m.in[i].rd);
        free(m.in[i].rec);
        if (m.in[i].f)
            fclose(m.in[i].f);
    }
    free(m.in);
    free(m.all);
    free(m.ids);
    if (rc)
        return PMATCH_EXIT_ERROR;
    return m.matched ? PMATCH_EXIT_MATCH : PMATCH_EXIT_OK;
}
