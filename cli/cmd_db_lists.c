/*
 * pmatch db lists | list | disable | enable | hits | watch: list management,
 * per-entry switches, the hit report and watching the list's generation.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "db_manage.h"
#include "libmatch.h"

int db_manage_command(const char *sub)
{
    static const char *const subs[] = {"lists", "list", "disable", "enable", "hits", "watch"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(sub, subs[i]) == 0)
            return 1;
    return 0;
}

static int fail(lm_db *db, const char *what, lm_status st)
{
    db_print_error("pmatch db", what, st, db);
    lm_db_close(db);
    return PMATCH_EXIT_ERROR;
}

static void format_time(char *buf, size_t cap, int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t > 0 && gmtime_r(&tt, &tm))
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(buf, cap, "-");
}

static void print_attrs_row(const lm_db_list_info *l, const lm_db_list_attrs *a)
{
    char dist[16];
    if (a->distance >= 0)
        snprintf(dist, sizeof dist, "%d", a->distance);
    else
        snprintf(dist, sizeof dist, "default");
    printf("%-5u %-24s %10llu  %-8s  %-8s  %-8s  %s%s%s\n", l->id, l->name,
           (unsigned long long)l->entries, lm_db_list_kind_name(a->kind),
           a->enabled ? "enabled" : "disabled", dist, l->source, *l->version ? " " : "",
           l->version);
}

static const char header[] =
    "id    name                        entries  kind      state     distance  source "
    "version\n";

static int do_lists(lm_db *db, const char *only)
{
    size_t n = 0;
    lm_status st = lm_db_lists(db, NULL, 0, &n);
    lm_db_list_info *l = st == LM_OK && n ? calloc(n, sizeof *l) : NULL;
    if (st == LM_OK && n && !l)
        st = LM_E_NOMEM;
    if (st == LM_OK && n)
        st = lm_db_lists(db, l, n, &n);
    if (st) {
        free(l);
        return fail(db, "lists", st);
    }
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(l[i].name, only) != 0)
            continue;
        lm_db_list_attrs a;
        if ((st = lm_db_get_list_attrs(db, l[i].id, &a)) != LM_OK) {
            free(l);
            return fail(db, "lists", st);
        }
        if (!shown++)
            fputs(header, stdout);
        print_attrs_row(&l[i], &a);
    }
    free(l);
    if (only && !shown) {
        fprintf(stderr, "pmatch db list: no list named '%s'\n", only);
        lm_db_close(db);
        return PMATCH_EXIT_ERROR;
    }
    if (!shown)
        printf("no lists\n");
    lm_db_close(db);
    return PMATCH_EXIT_OK;
}

/* Days since 1970-01-01 of "YYYY-MM-DD"; 0 on a bad date. */
static uint32_t parse_day(const char *s)
{
    struct tm tm = {0};
    char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return 0;
    time_t t = timegm(&tm);
    return t > 0 ? (uint32_t)(t / 86400) : 0;
}

static int do_hits(lm_db *db, const lm_db_flood_opts *o, int flood_only, int64_t limit)
{
    lm_db_hit_row *rows;
    size_t n;
    lm_status st = lm_db_hit_report(db, o, &rows, &n);
    if (st)
        return fail(db, "hits", st);
    size_t flagged = 0, shown = 0;
    for (size_t i = 0; i < n; i++)
        flagged += rows[i].flood != 0;
    printf("%-10s %-20s %10s %8s %8s %8s  %-20s  %-20s\n", "entry", "list", "total", "today",
           "median", "list", "first", "last");
    for (size_t i = 0; i < n && (limit == 0 || (int64_t)shown < limit); i++) {
        const lm_db_hit_row *r = &rows[i];
        if (flood_only && !r->flood)
            continue;
        char f[32], l[32];
        format_time(f, sizeof f, r->first);
        format_time(l, sizeof l, r->last);
        printf("%-10llu %-20s %10llu %8llu %8.1f %8.1f  %-20s  %-20s%s\n",
               (unsigned long long)r->entry_id, r->list, (unsigned long long)r->total,
               (unsigned long long)r->today, r->entry_median, r->list_typical, f, l,
               r->flood ? "  FLOOD" : "");
        shown++;
    }
    printf("%zu entries with hits, %zu flooding (today >= %llu hits and >= %g x both the entry's "
           "median daily hits over %d days and its list's typical entry)\n",
           n, flagged, (unsigned long long)o->min_hits, o->factor, o->days);
    lm_db_hit_rows_free(rows);
    lm_db_close(db);
    return flood_only && flagged ? PMATCH_EXIT_MATCH : PMATCH_EXIT_OK;
}

static int parse_ids(char **v, int n, uint64_t **ids)
{
    *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof **ids);
    if (!*ids)
        return -1;
    for (int i = 0; i < n; i++) {
        int64_t x;
        if (parse_int_arg("ID", v[i], 1, INT64_MAX, &x)) {
            free(*ids);
            return -1;
        }
        (*ids)[i] = (uint64_t)x;
    }
    return 0;
}

static int do_watch(lm_db *db, int64_t interval, int64_t count)
{
    uint64_t last = 0;
    for (int64_t i = 0; count == 0 || i < count; i++) {
        uint64_t g;
        lm_status st = lm_db_generation(db, &g);
        if (st)
            return fail(db, "watch", st);
        if (i == 0 || g != last) {
            char t[32];
            format_time(t, sizeof t, (int64_t)time(NULL));
            printf("%s generation %llu%s\n", t, (unsigned long long)g, i ? " (changed)" : "");
            fflush(stdout);
            last = g;
        }
        if (count == 0 || i + 1 < count)
            sleep((unsigned)interval);
    }
    lm_db_close(db);
    return PMATCH_EXIT_OK;
}

int cmd_db_manage(int argc, char **argv)
{
    enum {
        O_DB = 256,
        O_DIST,
        O_ENABLE,
        O_DISABLE,
        O_KIND,
        O_FLOOD,
        O_DAYS,
        O_FACTOR,
        O_MINH,
        O_TODAY,
        O_LIMIT,
        O_INTERVAL,
        O_COUNT
    };
    static const struct option options[] = {
        {"db", required_argument, NULL, O_DB},
        {"distance", required_argument, NULL, O_DIST},
        {"enable", no_argument, NULL, O_ENABLE},
        {"disable", no_argument, NULL, O_DISABLE},
        {"kind", required_argument, NULL, O_KIND},
        {"flood", no_argument, NULL, O_FLOOD},
        {"days", required_argument, NULL, O_DAYS},
        {"factor", required_argument, NULL, O_FACTOR},
        {"min-hits", required_argument, NULL, O_MINH},
        {"today", required_argument, NULL, O_TODAY},
        {"limit", required_argument, NULL, O_LIMIT},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"count", required_argument, NULL, O_COUNT},
        {NULL, 0, NULL, 0},
    };
    const char *sub = argv[1], *db_flag = NULL;
    lm_db_list_attrs attrs = {.distance = -1, .enabled = 1};
    unsigned which = 0;
    lm_db_flood_opts fo;
    lm_db_flood_opts_init(&fo);
    int flood = 0;
    int64_t v, limit = 0, interval = 2, count = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", options, NULL)) != -1) {
        switch (c) {
        case O_DB: db_flag = optarg; break;
        case O_DIST:
            if (strcmp(optarg, "default") == 0)
                attrs.distance = -1;
            else if (parse_int_arg("--distance", optarg, 0, 256, &v))
                return PMATCH_EXIT_ERROR;
            else
                attrs.distance = (int)v;
            which |= LM_DB_ATTR_DISTANCE;
            break;
        case O_ENABLE:
        case O_DISABLE:
            attrs.enabled = c == O_ENABLE;
            which |= LM_DB_ATTR_ENABLED;
            break;
        case O_KIND:
            if (lm_db_list_kind_parse(optarg, &attrs.kind) != LM_OK) {
                fprintf(stderr, "pmatch db list: --kind is normal or negative, not '%s'\n", optarg);
                return PMATCH_EXIT_ERROR;
            }
            which |= LM_DB_ATTR_KIND;
            break;
        case O_FLOOD: flood = 1; break;
        case O_DAYS:
            if (parse_int_arg("--days", optarg, 1, 3650, &v))
                return PMATCH_EXIT_ERROR;
            fo.days = (int)v;
            break;
        case O_FACTOR:
            if (parse_int_arg("--factor", optarg, 1, 1000000, &v))
                return PMATCH_EXIT_ERROR;
            fo.factor = (double)v;
            break;
        case O_MINH:
            if (parse_int_arg("--min-hits", optarg, 0, INT64_MAX, &v))
                return PMATCH_EXIT_ERROR;
            fo.min_hits = (uint64_t)v;
            break;
        case O_TODAY:
            if (!(fo.today = parse_day(optarg))) {
                fprintf(stderr, "pmatch db hits: --today expects YYYY-MM-DD, got '%s'\n", optarg);
                return PMATCH_EXIT_ERROR;
            }
            break;
        case O_LIMIT:
            if (parse_int_arg("--limit", optarg, 0, INT64_MAX, &limit))
                return PMATCH_EXIT_ERROR;
            break;
        case O_INTERVAL:
            if (parse_int_arg("--interval", optarg, 1, 86400, &interval))
                return PMATCH_EXIT_ERROR;
            break;
        case O_COUNT:
            if (parse_int_arg("--count", optarg, 0, INT64_MAX, &count))
                return PMATCH_EXIT_ERROR;
            break;
        default:
            fprintf(stderr, "pmatch db %s: see 'pmatch db --help'\n", sub);
            return PMATCH_EXIT_ERROR;
        }
    }
    char **rest = argv + 1 + optind;
    int nrest = argc - 1 - optind;
    int is_ids = strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0;
    int is_list = strcmp(sub, "list") == 0;
    if ((is_ids && nrest < 1) || (is_list && nrest != 1) || (!is_ids && !is_list && nrest != 0)) {
        fprintf(stderr, "pmatch db %s: wrong number of arguments (see 'pmatch db --help')\n", sub);
        return PMATCH_EXIT_ERROR;
    }
    int writes = is_ids || (is_list && which);
    lm_db *db;
    if (db_open_cli(db_flag, writes ? LM_DB_WRITE : LM_DB_READONLY, &db))
        return PMATCH_EXIT_ERROR;
    if (strcmp(sub, "lists") == 0)
        return do_lists(db, NULL);
    if (is_list) {
        if (which) {
            lm_status st = lm_db_set_list_attrs(db, rest[0], &attrs, which);
            if (st)
                return fail(db, rest[0], st);
        }
        return do_lists(db, rest[0]);
    }
    if (is_ids) {
        uint64_t *ids;
        if (parse_ids(rest, nrest, &ids)) {
            lm_db_close(db);
            return PMATCH_EXIT_ERROR;
        }
        size_t changed = 0;
        int dis = strcmp(sub, "disable") == 0;
        lm_status st = lm_db_set_disabled(db, ids, (size_t)nrest, dis, &changed);
        free(ids);
        if (st)
            return fail(db, sub, st);
        printf("%s %zu entr%s (%zu already %s)\n", dis ? "disabled" : "enabled", changed,
               changed == 1 ? "y" : "ies", (size_t)nrest - changed, dis ? "disabled" : "enabled");
        lm_db_close(db);
        return PMATCH_EXIT_OK;
    }
    if (strcmp(sub, "hits") == 0)
        return do_hits(db, &fo, flood, limit);
    return do_watch(db, interval, count);
}
