/* pmatch match: match hashes given as text (for partners who exchange hashes, not images). */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "json.h"
#include "libmatch.h"
#include "list_refresh.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: pmatch match [OPTIONS] HASHFILE|-\n"
        "\n"
        "Each line holds a hash, optionally followed by ',quality[,name]' as 'pmatch hash'\n"
        "prints it. 64 hex digits are PDQ unless --type says otherwise; 32 are MD5, 40 SHA-1.\n"
        "  --db PATH          hash list (see 'pmatch scan --help' for the default)\n"
        "  --type T           pdq|md5|sha1|sha256 for every line (default: by length, PDQ for 64)\n"
        "  --distance N       PDQ match distance (default 31)\n"
        "  --min-quality N    do not match PDQ hashes below this quality (default 50; lines\n"
        "                     without a quality are not filtered)\n"
        "  --json             JSON Lines output: one record per query, with its \"line\" in\n"
        "                     HASHFILE (--nearest records end with \"count\" and \"k\"), as\n"
        "                     'pmatch merge --lists' reads them for a sharded list\n"
        "  --nearest K        for each PDQ hash, the K nearest active entries (exact; within\n"
        "                     --distance when given, else at any distance) instead of matches;\n"
        "                     status 1 when one is within the match distance (default 31)\n"
        "  --refresh-seconds N  pick up hash-list changes every N seconds (long inputs)\n"
        "Exit status: 1 something matched, 0 nothing matched, 2 error (bad lines are\n"
        "reported on stderr and make the status 2 when nothing matched).\n");
}

static int parse_type(const char *s, lm_hash_type *t)
{
    static const lm_hash_type all[] = {LM_HASH_PDQ, LM_HASH_MD5, LM_HASH_SHA1, LM_HASH_SHA256};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(s, lm_hash_type_name(all[i])) == 0) {
            *t = all[i];
            return 0;
        }
    return -1;
}

static size_t digest_len(lm_hash_type t)
{
    return t == LM_HASH_MD5 ? 16 : t == LM_HASH_SHA1 ? 20 : 32;
}

static int hex_to_bytes(const char *hex, size_t nhex, uint8_t *out)
{
    for (size_t i = 0; i < nhex / 2; i++) {
        unsigned v;
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]) ||
            sscanf(pair, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The matched entry's list and label (when it is known) and the end of its JSON object. */
static void json_entry_end(int have, const lm_entry_info *info)
{
    if (have) {
        fputs(",\"list\":", stdout);
        json_string(stdout, info->list);
        fputs(",\"label\":", stdout);
        json_string(stdout, info->label);
    }
    putchar('}');
}

/* --nearest: the k nearest entries of one hash. */
static void print_nearest(const lm_matcher *m, const char *hash_text, size_t lineno, int k,
                          int json, const lm_match *mt, size_t found)
{
    if (json) {
        fputs("{\"hash\":", stdout);
        json_string(stdout, hash_text);
        printf(",\"line\":%zu,\"nearest\":[", lineno);
    } else {
        printf("NEAREST    %s", hash_text);
    }
    for (size_t i = 0; i < found; i++) {
        lm_entry_info info;
        int have = lm_matcher_entry(m, mt[i].entry_id, &info) == LM_OK;
        if (json) {
            printf("%s{\"entry_id\":%llu,\"distance\":%d", i ? "," : "",
                   (unsigned long long)mt[i].entry_id, mt[i].distance);
            if (mt[i].flags & LM_MATCH_NEGATIVE)
                fputs(",\"negative\":true", stdout);
            json_entry_end(have, &info);
        } else {
            printf("%s entry %llu (distance %d%s%s%s)", i ? ";" : " :",
                   (unsigned long long)mt[i].entry_id, mt[i].distance, have ? ", list " : "",
                   have ? info.list : "", (mt[i].flags & LM_MATCH_NEGATIVE) ? ", negative" : "");
        }
    }
    if (json)
        printf("],\"count\":%zu,\"k\":%d}\n", found, k); /* k: pmatch merge --lists checks it */
    else
        printf("%s\n", found ? "" : " : none");
}

static void print_line(const lm_matcher *m, const char *hash_text, size_t lineno, int json,
                       const lm_match *mt, size_t shown, size_t found)
{
    int active = found > 0 && mt[0].flags == 0; /* ordinary matches sort first */
    if (json) {
        fputs("{\"hash\":", stdout);
        json_string(stdout, hash_text);
        printf(",\"line\":%zu,\"verdict\":\"%s\",\"matches\":[", lineno,
               active  ? "match"
               : found ? "suppressed"
                       : "no_match");
    } else {
        printf("%s  %s", active ? "MATCH    " : found ? "SUPPRESSED" : "no match ", hash_text);
    }
    for (size_t i = 0; i < shown; i++) {
        lm_entry_info info;
        int have = lm_matcher_entry(m, mt[i].entry_id, &info) == LM_OK;
        if (json) {
            printf("%s{\"entry_id\":%llu,\"type\":\"%s\",\"distance\":%d", i ? "," : "",
                   (unsigned long long)mt[i].entry_id, lm_hash_type_name(mt[i].type),
                   mt[i].distance);
            if (mt[i].flags & LM_MATCH_NEGATIVE)
                fputs(",\"negative\":true", stdout);
            if (mt[i].flags & LM_MATCH_SUPPRESSED)
                fputs(",\"suppressed\":true", stdout);
            json_entry_end(have, &info);
        } else {
            printf("%s entry %llu (%s distance %d%s%s%s)", i ? ";" : " :",
                   (unsigned long long)mt[i].entry_id, lm_hash_type_name(mt[i].type),
                   mt[i].distance, have ? ", list " : "", have ? info.list : "",
                   (mt[i].flags & LM_MATCH_NEGATIVE)     ? ", negative list"
                   : (mt[i].flags & LM_MATCH_SUPPRESSED) ? ", suppressed"
                                                         : "");
        }
    }
    if (json)
        printf("],\"match_count\":%zu}\n", found);
    else
        putchar('\n');
}

int cmd_match(int argc, char **argv)
{
    enum { O_DB = 256, O_TYPE, O_DIST, O_MINQ, O_JSON, O_REFRESH, O_NEAREST };
    static const struct option options[] = {
        {"db", required_argument, NULL, O_DB},
        {"type", required_argument, NULL, O_TYPE},
        {"distance", required_argument, NULL, O_DIST},
        {"min-quality", required_argument, NULL, O_MINQ},
        {"json", no_argument, NULL, O_JSON},
        {"refresh-seconds", required_argument, NULL, O_REFRESH},
        {"nearest", required_argument, NULL, O_NEAREST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    lm_check_options opts;
    lm_check_options_init(&opts);
    const char *db_flag = NULL;
    int json = 0, forced_type = 0, distance_given = 0;
    int64_t nearest = 0;
    lm_hash_type type = LM_HASH_PDQ;
    int64_t v, refresh_seconds = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case O_DB: db_flag = optarg; break;
        case O_TYPE:
            if (parse_type(optarg, &type)) {
                fprintf(stderr, "pmatch match: unknown --type '%s'\n", optarg);
                return PMATCH_EXIT_ERROR;
            }
            forced_type = 1;
            break;
        case O_DIST:
            if (parse_int_arg("--distance", optarg, 0, 256, &v))
                return PMATCH_EXIT_ERROR;
            opts.max_distance = (int)v;
            distance_given = 1;
            break;
        case O_NEAREST:
            if (parse_int_arg("--nearest", optarg, 1, 1000, &nearest))
                return PMATCH_EXIT_ERROR;
            break;
        case O_MINQ:
            if (parse_int_arg("--min-quality", optarg, 0, 101, &v))
                return PMATCH_EXIT_ERROR;
            opts.min_quality = (int)v;
            break;
        case O_JSON: json = 1; break;
        case O_REFRESH:
            if (parse_int_arg("--refresh-seconds", optarg, 1, 86400 * 365, &refresh_seconds))
                return PMATCH_EXIT_ERROR;
            break;
        case 'h': usage(stdout); return PMATCH_EXIT_OK;
        default: usage(stderr); return PMATCH_EXIT_ERROR;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }
    const char *input = argv[optind];
    FILE *f = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
    if (!f) {
        perror(input);
        return PMATCH_EXIT_ERROR;
    }
    char *db_path = pmatch_default_db_path(db_flag);
    lm_matcher *m = NULL;
    char errbuf[256] = "";
    lm_status st =
        db_path ? lm_matcher_open_with(db_path, LM_MATCHER_WRITABLE, &m, errbuf, sizeof errbuf)
                : LM_E_NOT_FOUND;
    if (st != LM_OK) {
        fprintf(stderr, "pmatch match: cannot open hash list %s: %s%s%s%s\n",
                db_path ? db_path : "(none)", lm_strerror(st), errbuf[0] ? ": " : "", errbuf,
                errbuf[0] ? db_open_hint(st) : "");
        free(db_path);
        if (f != stdin)
            fclose(f);
        return PMATCH_EXIT_ERROR;
    }

    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int matched = 0, bad = 0;
    unsigned long long hits = 0;
    list_refresh lr;
    list_refresh_init(&lr, (double)refresh_seconds, "pmatch match", db_path);
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        list_refresh_tick(&lr, m);
        while (n > 0 && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        size_t hlen = strcspn(line, ",\t ");
        int quality = -1;
        if (line[hlen] == ',' || line[hlen] == '\t') {
            char *end;
            long q = strtol(line + hlen + 1, &end, 10);
            if (end != line + hlen + 1 && q >= 0 && q <= 100)
                quality = (int)q;
        }
        line[hlen] = '\0';
        lm_hash_type t = forced_type  ? type
                         : hlen == 32 ? LM_HASH_MD5
                         : hlen == 40 ? LM_HASH_SHA1
                                      : LM_HASH_PDQ;
        lm_match mt[LM_CHECK_MAX_MATCHES];
        size_t found = 0;
        if (nearest && t == LM_HASH_PDQ) {
            lm_pdq_hash h;
            lm_match *near = malloc((size_t)nearest * sizeof *near);
            st = near ? lm_pdq_from_hex(line, hlen, &h) : LM_E_NOMEM;
            if (st == LM_OK)
                st = lm_match_nearest(m, &h, (int)nearest, distance_given ? opts.max_distance : 256,
                                      near, &found);
            if (st == LM_OK) {
                print_nearest(m, line, lineno, (int)nearest, json, near, found);
                matched |= found > 0 && near[0].distance <= opts.max_distance &&
                           !(near[0].flags & LM_MATCH_NEGATIVE);
            } else {
                fprintf(stderr, "%s:%zu: %s\n", input, lineno, lm_strerror(st));
                if (st == LM_E_DB)
                    list_report_damage(&lr);
                bad = 1;
            }
            free(near);
            continue;
        }
        if (t == LM_HASH_PDQ) {
            lm_pdq_hash h;
            st = lm_pdq_from_hex(line, hlen, &h);
            if (st == LM_OK)
                st = lm_match_pdq(m, &h, quality, &opts, mt, LM_CHECK_MAX_MATCHES, &found);
        } else {
            uint8_t d[32];
            st = hlen != 2 * digest_len(t) || hex_to_bytes(line, hlen, d) ? LM_E_PARSE : LM_OK;
            if (st == LM_OK)
                st = lm_match_digest(m, t, d, digest_len(t), mt, LM_CHECK_MAX_MATCHES, &found);
        }
        if (st != LM_OK) {
            fprintf(stderr, "%s:%zu: %s\n", input, lineno, lm_strerror(st));
            if (st == LM_E_DB)
                list_report_damage(&lr);
            bad = 1;
            continue;
        }
        if (quality >= 0 && quality < opts.min_quality && t == LM_HASH_PDQ && !json)
            printf("LOW-Q      %s: quality %d below %d, not matched\n", line, quality,
                   opts.min_quality);
        else
            print_line(m, line, lineno, json, mt,
                       found < LM_CHECK_MAX_MATCHES ? found : LM_CHECK_MAX_MATCHES, found);
        matched |= found > 0 && mt[0].flags == 0; /* ordinary matches sort first */
        hits += found;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    list_flush_hits(&lr, m, hits);
    lm_matcher_close(m);
    free(db_path);
    return matched ? PMATCH_EXIT_MATCH : bad ? PMATCH_EXIT_ERROR : PMATCH_EXIT_OK;
}
