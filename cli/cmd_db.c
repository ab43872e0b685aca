/* pmatch db: create, import into, export, edit and check the hash-list database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "db_add_media.h"
#include "db_manage.h"
#include "libmatch.h"

#define MAX_PRINTED_LINES 1000

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: pmatch db COMMAND [--db PATH] [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  init                         create an empty database\n"
        "  import FILE|-                import a hash list (one transaction: all or nothing)\n"
        "      --format F               auto (default), hex, pdq-csv (alias meta-pdq), csv, tsv,\n"
        "                               md5, sha1, sha256 (plain lists), hma-csv, te-csv, vpdq,\n"
        "                               ncmec-xml, stopncii-json, tat-json\n"
        "      --type T                 pdq, md5, sha1, sha256 (default: type column, or by\n"
        "                               length: 64 hex digits = pdq, 32 = md5, 40 = sha1)\n"
        "      --list NAME              list to import into (default 'default'; created)\n"
        "      --source S               where the list came from (stored with the list)\n"
        "      --list-version V         the supplier's version of the list\n"
        "      --replace                the list becomes exactly this file's hashes\n"
        "      --label L --reference R  vpdq: the video entry's label and reference\n"
        "                               (default reference: the file name)\n"
        "      --skip-bad               skip bad lines (default: any bad line fails the import)\n"
        "      -v, --verbose            also print duplicate, not-found and skipped records\n"
        "  export [-o FILE]             write entries (default format csv) to FILE or stdout\n"
        "      --format F --list NAME --type T   (csv, tsv, hex, pdq-csv, md5, sha1, sha256,\n"
        "                               hma-csv; videos are left out of these)\n"
        "      --format vpdq --entry ID one video entry's frames as vPDQ text\n"
        "  add HASH|IMAGE...            add hashes, or images (sniffed): an image is added as\n"
        "                               its PDQ hash plus crop companion hashes of the same\n"
        "                               entry, so that cropped copies match too, and its\n"
        "                               local features (offset crops, small rotations, boxes;\n"
        "                               --no-features: none, ~9 KB less per image)\n"
        "      --type T --list NAME (default 'manual') --label L --reference R --quality N\n"
        "  remove ID                    remove entry ID\n");
    fprintf(out,
        "  remove --hash HEX            remove every entry with this hash [--type T] [--list "
        "NAME]\n"
        "  show ID                      print one entry\n"
        "  stats                        per list: counts by type, disabled, PDQ quality\n"
        "                               histogram, hashes also in other lists\n"
        "  lists                        the lists: entries, kind, state, match distance\n"
        "  list NAME                    show one list, or change it with:\n"
        "      --distance N|default     its PDQ match distance (default: the caller's)\n"
        "      --enable | --disable     a disabled list never matches\n"
        "      --kind normal|negative   negative: known false positives; their match\n"
        "                               suppresses the image's matches on other lists\n"
        "  disable ID... | enable ID... a disabled entry never matches\n"
        "  hits [--flood]               hit counters flushed by 'pmatch scan'; --flood shows\n"
        "                               entries matching far more than usual (exit 1 if any):\n"
        "                               today >= --min-hits (20) and >= --factor (10) x both\n"
        "                               the entry's median daily hits over --days (14) and\n"
        "                               its list's typical entry [--today YYYY-MM-DD --limit N]\n"
        "  watch [--interval S --count N]  print the list generation when it changes"
        "  verify                       check the database's consistency\n"
        "\n"
        "Formats: hex is one hash per line; pdq-csv is 'hash,quality,path' as 'pmatch hash'\n"
        "prints it (Meta's format); csv/tsv need a header naming columns hash, type, quality,\n"
        "label, reference (other columns are ignored); hma-csv is hash,indicator_id,\n"
        "timestamp,tags; te-csv is signal_type,signal_str,collab,category,tags; vpdq is\n"
        "frame,quality,hash,timestamp (one file = one video entry); ncmec-xml, stopncii-json\n"
        "and tat-json carry deletions, which remove. A record for a hash the list holds\n"
        "with another label/reference updates it. Blank lines and lines starting with '#'\n"
        "are skipped. Bad lines are reported as FILE:LINE: reason (details: hashdb/README.md).\n"
        "\n"
        "The database is --db PATH, else $PMATCH_DB, else $XDG_DATA_HOME/pmatch/hashes.lmdb,\n"
        "else ~/.local/share/pmatch/hashes.lmdb (a directory).\n"
        "Exit status: 0 success, 2 error (verify: 2 when it finds problems).\n");
}

typedef struct db_args {
    const char *db_flag, *format, *type, *list, *source, *version, *label, *reference, *output,
        *hash;
    int skip_bad, replace, verbose, quality_set;
    int64_t quality, entry;
    int no_features; /* db add IMAGE --no-features: no local features (issue 14) */
} db_args;

/* The error line, with the list's detail and what to run about it. */
static int fail(const char *what, lm_status st, const lm_db *db)
{
    db_print_error("pmatch db", what, st, db);
    return PMATCH_EXIT_ERROR;
}

static int open_db(const db_args *a, unsigned flags, lm_db **db)
{
    return db_open_cli(a->db_flag, flags, db);
}

static int parse_type(const char *s, lm_hash_type *t)
{
    *t = 0;
    if (s && lm_hash_type_parse(s, t) != LM_OK) {
        fprintf(stderr, "pmatch db: unknown hash type '%s' (pdq, md5, sha1, sha256)\n", s);
        return -1;
    }
    return 0;
}

static int parse_format(const char *s, lm_db_format *f)
{
    *f = LM_DB_FORMAT_AUTO;
    if (s && lm_db_format_parse(s, f) != LM_OK) {
        fprintf(stderr,
                "pmatch db: unknown format '%s' (auto, hex, pdq-csv, csv, tsv, md5, sha1, sha256, "
                "hma-csv, te-csv, vpdq, ncmec-xml, stopncii-json, tat-json)\n",
                s);
        return -1;
    }
    return 0;
}

static int do_init(const db_args *a)
{
    char *path = pmatch_default_db_path(a->db_flag);
    if (!path) {
        fprintf(stderr, "pmatch db: no database path: use --db PATH or set PMATCH_DB\n");
        return PMATCH_EXIT_ERROR;
    }
    lm_db *db;
    lm_status st = lm_db_open(path, LM_DB_CREATE | LM_DB_EXCLUSIVE, &db);
    if (st) {
        fail(path, st, db);
        lm_db_close(db);
        free(path);
        return PMATCH_EXIT_ERROR;
    }
    lm_db_close(db);
    printf("created %s\n", path);
    free(path);
    return PMATCH_EXIT_OK;
}

typedef struct line_report {
    const char *name;
    int verbose;
    uint64_t printed;
} line_report;

static void on_line(void *ctx, uint64_t line, lm_db_line_kind kind, const char *reason)
{
    line_report *r = ctx;
    if (kind != LM_DB_LINE_BAD && !r->verbose)
        return;
    if (++r->printed > MAX_PRINTED_LINES) {
        if (r->printed == MAX_PRINTED_LINES + 1)
            fprintf(stderr, "%s: (further lines not shown)\n", r->name);
        return;
    }
    fprintf(stderr, "%s:%llu: %s%s\n", r->name, (unsigned long long)line,
            kind == LM_DB_LINE_DUPLICATE ? "duplicate: " : "", reason);
}

static int do_import(const db_args *a, const char *file)
{
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    if (parse_format(a->format, &o.format) || parse_type(a->type, &o.type))
        return PMATCH_EXIT_ERROR;
    int is_stdin = strcmp(file, "-") == 0;
    line_report rep = {is_stdin ? "<stdin>" : file, a->verbose, 0};
    o.list = a->list;
    o.source = a->source;
    o.version = a->version;
    o.skip_bad = a->skip_bad;
    o.replace = a->replace;
    o.on_line = on_line;
    o.ctx = &rep;
    o.label = a->label;
    o.reference = a->reference;
    o.name = is_stdin ? NULL : file;
    lm_db *db;
    if (open_db(a, LM_DB_WRITE, &db))
        return PMATCH_EXIT_ERROR;
    lm_db_import_result r = {.struct_size = sizeof r};
    /* The search index is built with the list, so the next matcher opens it ready. */
    lm_status ist;
    lm_status st =
        lm_db_import_indexed(db, is_stdin ? NULL : file, is_stdin ? stdin : NULL, &o, &r, 0, &ist);
    if (st) {
        fail(rep.name, st, db);
        lm_db_close(db);
        return PMATCH_EXIT_ERROR;
    }
    printf("imported %llu entries into list '%s' from %s (%s): %llu duplicates, %llu bad lines "
           "skipped, %llu removed, %llu updated, %llu deletions not found, %llu unsupported "
           "skipped\n",
           (unsigned long long)r.added, a->list ? a->list : "default", rep.name,
           lm_db_format_name(r.format), (unsigned long long)r.duplicates, (unsigned long long)r.bad,
           (unsigned long long)r.removed, (unsigned long long)r.updated,
           (unsigned long long)r.not_found, (unsigned long long)r.skipped);
    if (ist != LM_OK)
        fprintf(stderr,
                "pmatch db import: search index not written (%s): the next match "
                "builds it\n",
                lm_strerror(ist));
    lm_db_close(db);
    return PMATCH_EXIT_OK;
}

static int do_export(const db_args *a)
{
    lm_db_export_opts o;
    lm_db_export_opts_init(&o);
    if (parse_format(a->format, &o.format) || parse_type(a->type, &o.type))
        return PMATCH_EXIT_ERROR;
    o.list = a->list;
    o.entry = (uint64_t)a->entry;
    lm_db *db;
    if (open_db(a, LM_DB_READONLY, &db))
        return PMATCH_EXIT_ERROR;
    FILE *out = stdout;
    if (a->output && strcmp(a->output, "-") != 0 && !(out = fopen(a->output, "w"))) {
        perror(a->output);
        lm_db_close(db);
        return PMATCH_EXIT_ERROR;
    }
    uint64_t n;
    lm_status st = lm_db_export(db, out, &o, &n);
    if (out != stdout && fclose(out) != 0 && st == LM_OK)
        st = LM_E_IO;
    int rc = st ? fail("export", st, db) : PMATCH_EXIT_OK;
    lm_db_close(db);
    return rc;
}

/* A hash argument the list rejected as text: "pmatch db: 'HEX': why". */
static int fail_hash(const char *what, const char *hex, lm_status st, const lm_db *db)
{
    if (st != LM_E_PARSE)
        return fail(what, st, db);
    fprintf(stderr, "pmatch db: '%s': %s\n", hex, lm_db_last_error(db));
    return PMATCH_EXIT_ERROR;
}

static int do_add_one(const db_args *a, const char *hex)
{
    lm_hash_type type;
    if (parse_type(a->type, &type))
        return PMATCH_EXIT_ERROR;
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = a->list;
    o.label = a->label;
    o.reference = a->reference;
    lm_db *db;
    if (open_db(a, LM_DB_WRITE, &db))
        return PMATCH_EXIT_ERROR;
    uint64_t id = 0;
    lm_status st =
        lm_db_add_hash(db, hex, strlen(hex), type, a->quality_set ? (int)a->quality : -1, &o, &id);
    int rc = PMATCH_EXIT_OK;
    if (st)
        rc = fail_hash("add", hex, st, db);
    else
        printf("added entry %llu\n", (unsigned long long)id);
    lm_db_close(db);
    return rc;
}

/* Each argument is a media file when one exists by that name, else a hash. */
static int do_add(const db_args *a, char **args, int n)
{
    int rc = PMATCH_EXIT_OK;
    for (int i = 0; i < n; i++) {
        int r;
        if (db_arg_is_file(args[i])) {
            lm_db *db;
            if (open_db(a, LM_DB_WRITE, &db))
                return PMATCH_EXIT_ERROR;
            r = db_add_media(db, args[i], a->list, a->label, a->reference, !a->no_features);
            lm_db_close(db);
        } else {
            r = do_add_one(a, args[i]);
        }
        if (r != PMATCH_EXIT_OK)
            rc = r;
    }
    return rc;
}

static int do_remove(const db_args *a, const char *id_text)
{
    lm_db *db;
    int64_t id = 0;
    lm_hash_type type = 0;
    if (a->hash) {
        if (id_text) {
            fprintf(stderr, "pmatch db remove: give an ID or --hash, not both\n");
            return PMATCH_EXIT_ERROR;
        }
        if (parse_type(a->type, &type))
            return PMATCH_EXIT_ERROR;
    } else if (!id_text || parse_int_arg("ID", id_text, 1, INT64_MAX, &id)) {
        if (!id_text)
            fprintf(stderr, "pmatch db remove: give an entry ID or --hash HEX\n");
        return PMATCH_EXIT_ERROR;
    }
    if (open_db(a, LM_DB_WRITE, &db))
        return PMATCH_EXIT_ERROR;
    size_t removed = 1;
    lm_status st = a->hash
                       ? lm_db_remove_hash(db, a->hash, strlen(a->hash), type, a->list, &removed)
                       : lm_db_remove(db, (uint64_t)id);
    int rc = PMATCH_EXIT_OK;
    if (st)
        rc = a->hash ? fail_hash("remove", a->hash, st, db) : fail("remove", st, db);
    else
        printf("removed %zu entr%s\n", removed, removed == 1 ? "y" : "ies");
    lm_db_close(db);
    return rc;
}

static void print_time(const char *label, int64_t t)
{
    char buf[32] = "-";
    struct tm tm;
    time_t tt = (time_t)t;
    if (t > 0 && gmtime_r(&tt, &tm))
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s%s", label, buf);
}

static int do_show(const db_args *a, const char *id_text)
{
    int64_t id;
    if (!id_text || parse_int_arg("ID", id_text, 1, INT64_MAX, &id))
        return PMATCH_EXIT_ERROR;
    lm_db *db;
    if (open_db(a, LM_DB_READONLY, &db))
        return PMATCH_EXIT_ERROR;
    lm_entry_info e;
    size_t ncomp = 0;
    lm_status st = lm_db_entry(db, (uint64_t)id, &e, &ncomp);
    int rc = PMATCH_EXIT_OK;
    if (st) {
        rc = fail("show", st, db);
    } else {
        printf("id %llu\ntype %s\nhash %s\nquality ", (unsigned long long)e.id,
               lm_hash_type_name(e.type), e.hash_hex);
        if (e.quality >= 0)
            printf("%d\n", e.quality);
        else
            printf("-\n");
        printf("list %s\nlabel %s\nreference %s\n", e.list, e.label, e.reference);
        print_time("added ", e.added);
        printf("\n");
        if (ncomp)
            printf("companions %zu\n", ncomp); /* crop companions (added from an image) */
        size_t kp = 0, bytes = 0;
        if (lm_db_entry_features(db, (uint64_t)id, &kp, &bytes) == LM_OK && kp)
            printf("features %zu keypoints, %zu bytes\n", kp, bytes); /* local features */
    }
    lm_db_close(db);
    return rc;
}

static int do_stats(const db_args *a)
{
    lm_db *db;
    if (open_db(a, LM_DB_READONLY, &db))
        return PMATCH_EXIT_ERROR;
    lm_db_stats s = {.struct_size = sizeof s};
    lm_status st = lm_db_get_stats(db, &s);
    if (st) {
        lm_db_stats_free(&s);
        fail("stats", st, db);
        lm_db_close(db);
        return PMATCH_EXIT_ERROR;
    }
    printf("schema version %u, generation %llu, file %.1f MiB\n", s.schema_version,
           (unsigned long long)s.generation, (double)s.file_bytes / (1 << 20));
    printf("entries %llu: pdq %llu, md5 %llu, sha1 %llu, sha256 %llu, vpdq %llu\n",
           (unsigned long long)s.entries, (unsigned long long)s.by_type[LM_HASH_PDQ],
           (unsigned long long)s.by_type[LM_HASH_MD5], (unsigned long long)s.by_type[LM_HASH_SHA1],
           (unsigned long long)s.by_type[LM_HASH_SHA256],
           (unsigned long long)s.by_type[LM_HASH_VPDQ]);
    printf("lists %zu:\n", s.list_count);
    for (size_t i = 0; i < s.list_count; i++) {
        const lm_db_list_stats *l = &s.lists[i];
        printf("  %s: %llu entries (pdq %llu, md5 %llu, sha1 %llu, sha256 %llu)", l->info.name,
               (unsigned long long)l->info.entries, (unsigned long long)l->by_type[LM_HASH_PDQ],
               (unsigned long long)l->by_type[LM_HASH_MD5],
               (unsigned long long)l->by_type[LM_HASH_SHA1],
               (unsigned long long)l->by_type[LM_HASH_SHA256]);
        if (*l->info.source)
            printf(" source '%s'", l->info.source);
        if (*l->info.version)
            printf(" version '%s'", l->info.version);
        print_time(" imported ", l->info.imported);
        printf("\n    disabled %llu, also in other lists %llu, pdq quality:",
               (unsigned long long)l->disabled, (unsigned long long)l->duplicates);
        for (int q = 0; q < 10; q++)
            printf(" %d-%d:%llu", q * 10, q * 10 + 9, (unsigned long long)l->quality_hist[q]);
        printf(" 100:%llu unknown:%llu\n", (unsigned long long)l->quality_hist[10],
               (unsigned long long)l->quality_unknown);
    }
    printf("disabled entries %llu, hashes in more than one list %llu\n",
           (unsigned long long)s.disabled, (unsigned long long)s.shared_hashes);
    printf("pdq quality:");
    for (int i = 0; i < 10; i++)
        printf(" %d-%d:%llu", i * 10, i * 10 + 9, (unsigned long long)s.quality_hist[i]);
    printf(" 100:%llu unknown:%llu\n", (unsigned long long)s.quality_hist[10],
           (unsigned long long)s.quality_unknown);
    lm_db_stats_free(&s);
    lm_db_close(db);
    return PMATCH_EXIT_OK;
}

static void on_problem(void *ctx, const char *problem)
{
    (void)ctx;
    printf("problem: %s\n", problem);
}

static int do_verify(const db_args *a)
{
    lm_db *db;
    /* A file too damaged to open is a verify finding, reported like the others. */
    if (open_db(a, LM_DB_READONLY, &db)) {
        printf("problem: the database cannot be opened (reason above)\n");
        return PMATCH_EXIT_ERROR;
    }
    uint64_t problems = 0;
    lm_status st = lm_db_verify(db, on_problem, NULL, &problems);
    int rc = PMATCH_EXIT_OK;
    if (st)
        rc = fail("verify", st, db);
    else if (problems) {
        printf("%llu problem(s) found\n", (unsigned long long)problems);
        rc = PMATCH_EXIT_ERROR;
    } else {
        printf("ok\n");
    }
    lm_db_close(db);
    return rc;
}

int cmd_db(int argc, char **argv)
{
    enum {
        OPT_DB = 256,
        OPT_FORMAT,
        OPT_TYPE,
        OPT_LIST,
        OPT_SOURCE,
        OPT_VERSION,
        OPT_SKIP_BAD,
        OPT_REPLACE,
        OPT_LABEL,
        OPT_REFERENCE,
        OPT_QUALITY,
        OPT_HASH,
        OPT_ENTRY,
        OPT_NO_FEATURES
    };
    static const struct option options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"type", required_argument, NULL, OPT_TYPE},
        {"list", required_argument, NULL, OPT_LIST},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"list-version", required_argument, NULL, OPT_VERSION},
        {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
        {"replace", no_argument, NULL, OPT_REPLACE},
        {"label", required_argument, NULL, OPT_LABEL},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"quality", required_argument, NULL, OPT_QUALITY},
        {"hash", required_argument, NULL, OPT_HASH},
        {"entry", required_argument, NULL, OPT_ENTRY},
        {"no-features", no_argument, NULL, OPT_NO_FEATURES},
        {"output", required_argument, NULL, 'o'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? PMATCH_EXIT_ERROR : PMATCH_EXIT_OK;
    }
    const char *sub = argv[1];
    if (db_manage_command(sub))
        return cmd_db_manage(argc, argv);
    db_args a = {0};
    int c;
    optind = 1;
    /* argv + 1: getopt sees the sub-command as its program name. */
    while ((c = getopt_long(argc - 1, argv + 1, "o:vh", options, NULL)) != -1) {
        switch (c) {
        case OPT_DB: a.db_flag = optarg; break;
        case OPT_FORMAT: a.format = optarg; break;
        case OPT_TYPE: a.type = optarg; break;
        case OPT_LIST: a.list = optarg; break;
        case OPT_SOURCE: a.source = optarg; break;
        case OPT_VERSION: a.version = optarg; break;
        case OPT_SKIP_BAD: a.skip_bad = 1; break;
        case OPT_REPLACE: a.replace = 1; break;
        case OPT_LABEL: a.label = optarg; break;
        case OPT_REFERENCE: a.reference = optarg; break;
        case OPT_QUALITY:
            if (parse_int_arg("--quality", optarg, 0, 100, &a.quality))
                return PMATCH_EXIT_ERROR;
            a.quality_set = 1;
            break;
        case OPT_HASH: a.hash = optarg; break;
        case OPT_ENTRY:
            if (parse_int_arg("--entry", optarg, 1, INT64_MAX, &a.entry))
                return PMATCH_EXIT_ERROR;
            break;
        case OPT_NO_FEATURES: a.no_features = 1; break;
        case 'o': a.output = optarg; break;
        case 'v': a.verbose = 1; break;
        case 'h': usage(stdout); return PMATCH_EXIT_OK;
        default: usage(stderr); return PMATCH_EXIT_ERROR;
        }
    }
    char **rest = argv + 1 + optind;
    int nrest = argc - 1 - optind;
    const char *arg = nrest > 0 ? rest[0] : NULL;
    int want_arg =
        strcmp(sub, "import") == 0 || strcmp(sub, "add") == 0 || strcmp(sub, "show") == 0;
    int is_add = strcmp(sub, "add") == 0; /* takes one or more */
    if ((nrest > 1 && !is_add) || (nrest == 1 && !want_arg && strcmp(sub, "remove") != 0) ||
        (want_arg && nrest != 1 && !(is_add && nrest >= 1))) {
        fprintf(stderr, "pmatch db %s: wrong number of arguments\n\n", sub);
        usage(stderr);
        return PMATCH_EXIT_ERROR;
    }
    if (strcmp(sub, "init") == 0)
        return do_init(&a);
    if (strcmp(sub, "import") == 0)
        return do_import(&a, arg);
    if (strcmp(sub, "export") == 0)
        return do_export(&a);
    if (strcmp(sub, "add") == 0)
        return do_add(&a, rest, nrest);
    if (strcmp(sub, "remove") == 0)
        return do_remove(&a, arg);
    if (strcmp(sub, "show") == 0)
        return do_show(&a, arg);
    if (strcmp(sub, "stats") == 0)
        return do_stats(&a);
    if (strcmp(sub, "verify") == 0)
        return do_verify(&a);
    fprintf(stderr, "pmatch db: unknown command '%s'\n\n", sub);
    usage(stderr);
    return PMATCH_EXIT_ERROR;
}
