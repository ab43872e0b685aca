/*
 * pmatch merge: combine the JSON Lines outputs of 'pmatch scan --shard K/N --json'
 * into the stream a single-process scan prints (same records, same order), after
 * checking that every shard 1..N of one scan is there exactly once and finished.
 *
 * Two passes: the first reads every file to the end and checks it (records in
 * increasing walk order, a summary as the last line that agrees with them, the
 * same scan and shard count everywhere); nothing is printed unless all of that
 * holds. The second is a k-way merge on the walk index, which must then run
 * 0, 1, 2, ... without a gap or a repeat.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "merge_lists.h"
#include "libmatch.h"
#include "scan_report.h"
#include "shard.h"

#define MERGE_MAX_LINE (1u << 20) /* a record is a few KB at most */

static void usage(FILE *out)
{
    fprintf(out, "usage: pmatch merge FILE...\n"
                 "       pmatch merge --lists [--distance N] FILE...\n"
                 "\n"
                 "Combines the outputs of 'pmatch scan --shard K/N --json' (one file per shard,\n"
                 "in any order) into one JSON Lines stream in the order a single-process scan\n"
                 "prints, with the summary on stderr. Refuses (exit 2, nothing printed) when a\n"
                 "shard is missing, given twice, unfinished, or from a different scan.\n"
                 "Exit status: 1 something matched; otherwise 2 if some item failed or the\n"
                 "shards are refused; 0 nothing matched.\n"
                 "\n"
                 "--lists: combines the outputs of 'pmatch match --json [--nearest K]' run with\n"
                 "the same queries and options on each shard of a list (lists holding disjoint\n"
                 "parts of its entries, each entry with its id in the whole list) into what the\n"
                 "match on the whole list prints: the union of the matches, a negative-list match\n"
                 "in any shard suppressing the others, the K nearest of the shards' K nearest.\n"
                 "Refuses (exit 2, nothing printed) outputs that are unfinished or truncated,\n"
                 "answer other queries, or ran another K. --distance N: the match distance of\n"
                 "--nearest records for the exit status (default 31), as given to pmatch match.\n"
                 "Exit status: 1 something matched, 0 nothing matched, 2 refused.\n");
}

typedef struct input {
    const char *name;
    FILE *f;
    char *line;
    size_t cap;
    uint64_t lineno;
    shard_summary sum;
    /* second pass: the current record */
    int have;
    shard_line cur;
    size_t len;
} input;

/* Read one line (without the newline) into in->line. 1 line, 0 end, -1 error (printed). */
static int read_line(input *in, size_t *len)
{
    size_t n = 0;
    int c;
    while ((c = getc(in->f)) != EOF && c != '\n') {
        if (n + 1 >= in->cap) {
            if (in->cap >= MERGE_MAX_LINE) {
                fprintf(stderr, "pmatch merge: %s:%llu: line longer than %u bytes\n", in->name,
                        (unsigned long long)in->lineno + 1, MERGE_MAX_LINE);
                return -1;
            }
            size_t ncap = in->cap ? in->cap * 2 : 4096;
            char *nl = realloc(in->line, ncap);
            if (!nl) {
                fprintf(stderr, "pmatch merge: out of memory\n");
                return -1;
            }
            in->line = nl;
            in->cap = ncap;
        }
        in->line[n++] = (char)c;
    }
    if (ferror(in->f)) {
        fprintf(stderr, "pmatch merge: %s: %s\n", in->name, strerror(errno));
        return -1;
    }
    if (c == EOF && n == 0)
        return 0;
    if (c == EOF) {
        fprintf(stderr,
                "pmatch merge: %s:%llu: last line has no newline (the shard did not finish)\n",
                in->name, (unsigned long long)in->lineno + 1);
        return -1;
    }
    in->lineno++;
    *len = n;
    return 1;
}

static int parse(input *in, size_t len, shard_line *out)
{
    char why[128];
    if (shard_parse_line(in->line, len, out, why, sizeof why) == 0)
        return 0;
    fprintf(stderr, "pmatch merge: %s:%llu: %s\n", in->name, (unsigned long long)in->lineno, why);
    return -1;
}

/* First pass over one file: check it and keep its summary. */
static int check_file(input *in)
{
    uint64_t counts[CAT_COUNT] = {0}, records = 0, last = 0;
    int have_summary = 0, rc;
    size_t len;
    shard_line l;
    while ((rc = read_line(in, &len)) == 1) {
        if (parse(in, len, &l))
            return -1;
        if (have_summary) {
            fprintf(stderr, "pmatch merge: %s:%llu: text after the shard summary\n", in->name,
                    (unsigned long long)in->lineno);
            return -1;
        }
        if (l.kind == SHARD_LINE_SUMMARY) {
            in->sum = l.summary;
            have_summary = 1;
            continue;
        }
        if (records > 0 && l.seq <= last) {
            fprintf(stderr, "pmatch merge: %s:%llu: records out of walk order\n", in->name,
                    (unsigned long long)in->lineno);
            return -1;
        }
        last = l.seq;
        records++;
        counts[l.category]++;
    }
    if (rc < 0)
        return -1;
    if (!have_summary) {
        fprintf(stderr,
                "pmatch merge: %s: no shard summary at the end (the shard did not finish)\n",
                in->name);
        return -1;
    }
    if (in->sum.records != records || memcmp(in->sum.counts, counts, sizeof counts) != 0 ||
        (records > 0 && last >= in->sum.walk_items)) {
        fprintf(stderr, "pmatch merge: %s: the shard summary does not agree with its records\n",
                in->name);
        return -1;
    }
    return 0;
}

/* Second pass: the next record of in (in->have = 0 at the end). */
static int advance(input *in)
{
    size_t len;
    int rc = read_line(in, &len);
    if (rc < 0)
        return -1;
    in->have = 0;
    if (rc == 0)
        return 0;
    if (parse(in, len, &in->cur))
        return -1;
    if (in->cur.kind == SHARD_LINE_RECORD) {
        in->have = 1;
        in->len = len;
    }
    return 0;
}

/* Min-heap of inputs by their current record's walk index. */
static int heap_less(input **h, int a, int b)
{
    return h[a]->cur.seq < h[b]->cur.seq;
}

static void heap_down(input **h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_less(h, l, m))
            m = l;
        if (r < n && heap_less(h, r, m))
            m = r;
        if (m == i)
            return;
        input *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int merge(input *in, int n, uint64_t walk_items, uint64_t counts[CAT_COUNT])
{
    input **heap = calloc((size_t)n, sizeof *heap);
    if (!heap) {
        fprintf(stderr, "pmatch merge: out of memory\n");
        return -1;
    }
    int hn = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rewind(in[i].f);
        in[i].lineno = 0;
        rc = advance(&in[i]);
        if (rc == 0 && in[i].have)
            heap[hn++] = &in[i];
    }
    for (int i = hn / 2 - 1; i >= 0; i--)
        heap_down(heap, hn, i);
    uint64_t want = 0;
    while (rc == 0 && hn > 0) {
        input *top = heap[0];
        if (top->cur.seq != want) {
            fprintf(stderr, "pmatch merge: %s:%llu: walk item %llu %s\n", top->name,
                    (unsigned long long)top->lineno, (unsigned long long)want,
                    top->cur.seq < want ? "appears twice (the shards walked different trees)"
                                        : "is missing (the shards walked different trees)");
            rc = -1;
            break;
        }
        putchar('{');
        fwrite(top->line + top->cur.body, 1, top->len - top->cur.body, stdout);
        putchar('\n');
        counts[top->cur.category]++;
        want++;
        rc = advance(top);
        if (!top->have)
            heap[0] = heap[--hn];
        heap_down(heap, hn, 0);
    }
    if (rc == 0 && want != walk_items) {
        fprintf(stderr, "pmatch merge: the shards hold %llu of the %llu walked items\n",
                (unsigned long long)want, (unsigned long long)walk_items);
        rc = -1;
    }
    free(heap);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    enum { O_LISTS = 256, O_DIST };
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"lists", no_argument, NULL, O_LISTS},
        {"distance", required_argument, NULL, O_DIST},
        {NULL, 0, NULL, 0},
    };
    int c, lists = 0;
    int64_t distance = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return PMATCH_EXIT_OK;
        }
        if (c == O_LISTS) {
            lists = 1;
            continue;
        }
        if (c == O_DIST) {
            if (parse_int_arg("--distance", optarg, 0, 256, &distance))
                return PMATCH_EXIT_ERROR;
            continue;
        }
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }
    int n = argc - optind;
    if (n < 1) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }
    if (distance >= 0 && !lists) {
        fprintf(stderr, "pmatch merge: --distance goes with --lists\n");
        return PMATCH_EXIT_ERROR;
    }
    if (lists) /* merge_lists.c: the match outputs of a sharded list */
        return merge_lists(argv + optind, n,
                           distance >= 0 ? (int)distance : LM_DEFAULT_MAX_DISTANCE);
    input *in = calloc((size_t)n, sizeof *in);
    const char **by_shard = NULL;
    int rc = in ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++) {
        in[i].name = argv[optind + i];
        if (strcmp(in[i].name, "-") == 0) {
            fprintf(stderr, "pmatch merge: '-': give the shard outputs as files\n");
            rc = -1;
        } else if (!(in[i].f = fopen(in[i].name, "rb"))) {
            fprintf(stderr, "pmatch merge: %s: %s\n", in[i].name, strerror(errno));
            rc = -1;
        } else {
            rc = check_file(&in[i]);
        }
    }
    /* Every file: the same scan, the same N; together: each shard 1..N exactly once. */
    const shard_summary *first = rc == 0 ? &in[0].sum : NULL;
    for (int i = 1; i < n && rc == 0; i++) {
        const shard_summary *s = &in[i].sum;
        if (s->shard.count != first->shard.count) {
            fprintf(stderr, "pmatch merge: %s is shard %u/%u but %s is shard %u/%u\n", in[0].name,
                    first->shard.index, first->shard.count, in[i].name, s->shard.index,
                    s->shard.count);
            rc = -1;
        } else if (s->scan_id != first->scan_id || s->walk_items != first->walk_items) {
            fprintf(stderr,
                    "pmatch merge: %s and %s come from different scans (other paths, options or "
                    "tree)\n",
                    in[0].name, in[i].name);
            rc = -1;
        }
    }
    if (rc == 0 && !(by_shard = calloc(first->shard.count + 1u, sizeof *by_shard)))
        rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        uint32_t k = in[i].sum.shard.index;
        if (by_shard[k]) {
            fprintf(stderr, "pmatch merge: shard %u/%u given twice: %s and %s\n", k,
                    first->shard.count, by_shard[k], in[i].name);
            rc = -1;
        }
        by_shard[k] = in[i].name;
    }
    for (uint32_t k = 1; rc == 0 && k <= first->shard.count; k++)
        if (!by_shard[k]) {
            fprintf(stderr, "pmatch merge: shard %u/%u is missing\n", k, first->shard.count);
            rc = -1;
        }
    uint64_t counts[CAT_COUNT] = {0};
    if (rc == 0)
        rc = merge(in, n, first->walk_items, counts);
    if (rc == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "pmatch merge: writing the output: %s\n", strerror(errno));
        rc = -1;
    }
    int code = PMATCH_EXIT_ERROR;
    if (rc == 0) {
        char label[64];
        snprintf(label, sizeof label, " (%u shards merged)", first->shard.count);
        scan_print_summary(stderr, "pmatch merge", counts, -1, label);
        code = scan_exit_code(counts);
    } else if (!in) {
        fprintf(stderr, "pmatch merge: out of memory\n");
    }
    for (int i = 0; in && i < n; i++) {
        if (in[i].f)
            fclose(in[i].f);
        free(in[i].line);
    }
    free(in);
    free(by_shard);
    return code;
}
