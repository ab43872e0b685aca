/*
 * pmatch serve: the routes. Native ones under /v1 (check an upload, look up
 * hashes one by one or in batches) and HMA 2.x-compatible ones (/h, /m, /c,
 * /status) with the response shapes HMA's clients parse. Everything goes
 * through the public matcher API; a lookup confirms every candidate in LMDB.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

#define MAX_FILTER 32
#define LOOKUP_CAP 256 /* matches reported per looked-up hash */

static const char *const dihedral_names[8] = {"original", "rotate90", "rotate180", "rotate270",
                                              "flipx",    "flipy",    "flip+1",    "flip-1"};

static const char *verdict_name(lm_verdict v)
{
    switch (v) {
    case LM_VERDICT_MATCH: return "match";
    case LM_VERDICT_LOW_QUALITY: return "low_quality";
    case LM_VERDICT_NOT_IMAGE: return "not_image";
    case LM_VERDICT_SUPPRESSED: return "suppressed";
    default: return "no_match";
    }
}

static void url_refused(srv *s, srv_reply *r);

/* ---- routing ------------------------------------------------------------- */

int routes_find(const char *url, const char *method, int *needed_role, int *method_ok)
{
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    int put = strcmp(method, "PUT") == 0;
    int del = strcmp(method, "DELETE") == 0;
    *needed_role = ROLE_MATCH;
    *method_ok = 0;
    static const struct {
        const char *path;
        int route, role, get, post;
    } fixed[] = {
        {"/healthz", R_HEALTHZ, ROLE_NONE, 1, 0},
        {"/readyz", R_READYZ, ROLE_NONE, 1, 0},
        {"/metrics", R_METRICS, ROLE_NONE, 1, 0},
        {"/openapi.json", R_OPENAPI, ROLE_NONE, 1, 0},
        {"/status", R_STATUS, ROLE_NONE, 1, 0},
        {"/v1/check", R_CHECK, ROLE_MATCH, 1, 1},
        {"/v1/lookup", R_LOOKUP, ROLE_MATCH, 1, 1},
        {"/v1/pdq", R_PDQ_BATCH, ROLE_MATCH, 0, 1},
        {"/h/hash", R_HMA_HASH, ROLE_MATCH, 1, 1},
        {"/m/lookup", R_HMA_LOOKUP, ROLE_MATCH, 1, 1},
        {"/m/raw_lookup", R_HMA_RAW_LOOKUP, ROLE_MATCH, 1, 0},
        {"/m/compare", R_HMA_COMPARE, ROLE_MATCH, 0, 1},
        {"/m/index/status", R_HMA_INDEX_STATUS, ROLE_MATCH, 1, 0},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(url, fixed[i].path) == 0) {
            *needed_role = fixed[i].role;
            *method_ok = (get && fixed[i].get) || (post && fixed[i].post);
            return fixed[i].route;
        }
    if (strcmp(url, "/c/banks") == 0) {
        *needed_role = post ? ROLE_ADMIN : ROLE_MATCH;
        *method_ok = get || post;
        return R_HMA_BANKS;
    }
    if (strncmp(url, "/c/bank/", 8) == 0 && url[8]) {
        *needed_role = get ? ROLE_MATCH : ROLE_ADMIN;
        *method_ok = get || post || put || del;
        return R_HMA_BANK;
    }
    if (strncmp(url, "/v1/admin/", 10) == 0 && url[10]) {
        *needed_role = ROLE_ADMIN;
        *method_ok = get || post || put || del;
        return R_ADMIN;
    }
    return R_UNKNOWN;
}

/* ---- small helpers ------------------------------------------------------- */

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int a = hex_val((unsigned char)s[2 * i]), b = hex_val((unsigned char)s[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

static const char *arg(srv_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static int parse_bool(const char *v, int dflt, int *out)
{
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
    if (!v || !*v)
        return -1;
    errno = 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* A comma-separated list filter ("lists" natively, "banks" for HMA). */
typedef struct filter {
    int n;
    char names[MAX_FILTER][64];
} filter;

static int filter_parse(const char *v, filter *f)
{
    f->n = 0;
    if (!v)
        return 0;
    const char *p = v;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > 0) {
            if (f->n == MAX_FILTER || l >= sizeof f->names[0])
                return -1;
            memcpy(f->names[f->n], p, l);
            f->names[f->n][l] = '\0';
            f->n++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int filter_json(json_t *v, filter *f)
{
    f->n = 0;
    if (!v)
        return 0;
    if (json_is_string(v))
        return filter_parse(json_string_value(v), f);
    if (!json_is_array(v))
        return -1;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x) || f->n == MAX_FILTER ||
            strlen(json_string_value(x)) >= sizeof f->names[0])
            return -1;
        snprintf(f->names[f->n++], sizeof f->names[0], "%s", json_string_value(x));
    }
    return 0;
}

static int filter_allows(const filter *f, const char *list)
{
    if (f->n == 0)
        return 1;
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->names[i], list) == 0)
            return 1;
    return 0;
}

/* ---- matches as JSON ----------------------------------------------------- */

static const char *variant_name(int v)
{
    if (v & LM_VARIANT_FEATURES)
        return "features";
    switch (v & (LM_VARIANT_TRIMMED | LM_VARIANT_COMPANION)) {
    case LM_VARIANT_TRIMMED: return "trimmed";
    case LM_VARIANT_COMPANION: return "companion";
    case LM_VARIANT_TRIMMED | LM_VARIANT_COMPANION: return "trimmed+companion";
    default: return "plain";
    }
}

/* One match with its entry's list and label; NULL when the filter drops it (or the entry was
 * removed meanwhile and a filter is set). */
static json_t *match_json(srv *s, const lm_match *mt, const filter *f, lm_entry_info *info_out)
{
    lm_entry_info info;
    int have = lm_matcher_entry(s->matcher, mt->entry_id, &info) == LM_OK;
    if (!have) {
        if (f->n)
            return NULL;
        memset(&info, 0, sizeof info);
    } else if (!filter_allows(f, info.list)) {
        return NULL;
    }
    json_t *o = json_pack("{s:I, s:s}", "entry_id", (json_int_t)mt->entry_id, "type",
                          lm_hash_type_name(mt->type));
    if (mt->type == LM_HASH_PDQ) {
        json_object_set_new(o, "distance", json_integer(mt->distance));
        json_object_set_new(o, "orientation", json_string(dihedral_names[mt->dihedral & 7]));
        json_object_set_new(o, "variant", json_string(variant_name(mt->variant)));
        json_object_set_new(o, "region", json_string(lm_region_name(mt->region)));
    } else {
        json_object_set_new(o, "distance", json_integer(0));
    }
    if (mt->variant & LM_VARIANT_FEATURES)
        json_object_set_new(o, "score", json_integer(mt->score));
    if (mt->frame >= 0)
        json_object_set_new(o, "frame", json_integer(mt->frame));
    if (mt->type == LM_HASH_VPDQ) {
        json_object_set_new(o, "query_percent", json_real(mt->query_percent));
        json_object_set_new(o, "stored_percent", json_real(mt->stored_percent));
    }
    if (mt->flags & LM_MATCH_NEGATIVE)
        json_object_set_new(o, "negative", json_true());
    if (mt->flags & LM_MATCH_SUPPRESSED)
        json_object_set_new(o, "suppressed", json_true());
    if (have) {
        json_object_set_new(o, "list", json_string(info.list));
        json_object_set_new(o, "label", json_string(info.label));
        json_object_set_new(o, "reference", json_string(info.reference));
        json_object_set_new(o, "hash", json_string(info.hash_hex));
    }
    if (info_out)
        *info_out = info;
    return o;
}

/* ---- checks of uploaded bytes --------------------------------------------- */

typedef struct check_params {
    lm_check_options opts;
    filter f;
} check_params;

static int check_params_parse(srv *s, srv_request *rq, srv_reply *r, check_params *p,
                              const char *filter_name)
{
    lm_check_options_init(&p->opts);
    p->opts.max_distance = s->cfg.max_distance;
    p->opts.max_bytes = s->cfg.max_body;
    long n;
    const char *v = arg(rq, "distance");
    if (v) {
        if (parse_int(v, 0, 256, &n) != 0) {
            reply_error(r, 400, "bad_parameter", "distance: an integer 0..256");
            return -1;
        }
        p->opts.max_distance = (int)n;
    }
    int b;
    if (parse_bool(arg(rq, "dihedral"), p->opts.dihedral, &b) != 0) {
        reply_error(r, 400, "bad_parameter", "dihedral: true or false");
        return -1;
    }
    p->opts.dihedral = b;
    if (parse_bool(arg(rq, "trim"), p->opts.trim_borders, &b) != 0) {
        reply_error(r, 400, "bad_parameter", "trim: true or false");
        return -1;
    }
    p->opts.trim_borders = b;
    if (parse_bool(arg(rq, "exact"), p->opts.exact, &b) != 0) {
        reply_error(r, 400, "bad_parameter", "exact: true or false");
        return -1;
    }
    p->opts.exact = b;
    if (filter_parse(arg(rq, filter_name), &p->f) != 0) {
        reply_error(r, 400, "bad_parameter", "%s: at most %d comma-separated list names",
                    filter_name, MAX_FILTER);
        return -1;
    }
    return 0;
}

static int status_http(lm_status st)
{
    switch (st) {
    case LM_E_LIMIT_BYTES:
    case LM_E_LIMIT_PIXELS:
    case LM_E_LIMIT_DIMENSION:
    case LM_E_LIMIT_FRAMES:
    case LM_E_LIMIT_DURATION: return 413;
    case LM_E_INVALID_ARG:
    case LM_E_PARSE: return 400;
    case LM_E_NOMEM: return 503;
    default: return 500;
    }
}

/* lm_check of the request's bytes into a new result (to be freed); NULL when r holds the
 * error reply. */
static lm_check_result *run_check(srv *s, srv_request *rq, srv_reply *r, const check_params *p)
{
    if (rq->body_len == 0) {
        reply_error(r, 400, "empty_body", "no bytes to check (POST the file, raw or multipart)");
        return NULL;
    }
    lm_check_result *res = malloc(sizeof *res);
    if (!res) {
        reply_error(r, 503, "no_memory", "out of memory");
        return NULL;
    }
    res->struct_size = sizeof *res;
    lm_status st = lm_check(s->matcher, rq->body, rq->body_len, &p->opts, res);
    if (st != LM_OK) {
        reply_error(r, status_http(st), "check_failed", "%s", lm_strerror(st));
        free(res);
        return NULL;
    }
    atomic_fetch_add(&s->metrics.verdicts[(unsigned)res->verdict < 5 ? res->verdict : 0], 1);
    return res;
}

/* The verdict JSON of /v1/check: digests, hashes, quality, matches with list and label. */
static void route_check(srv *s, srv_request *rq, srv_reply *r)
{
    if (!rq->from_url && rq->body_len == 0 && arg(rq, "url")) {
        url_refused(s, r);
        return;
    }
    if (!rq->from_url && strcmp(rq->method, "POST") != 0) {
        reply_error(r, 405, "method_not_allowed", "GET /v1/check takes ?url=; POST the bytes");
        return;
    }
    check_params p;
    if (check_params_parse(s, rq, r, &p, "lists") != 0)
        return;
    lm_check_result *res = run_check(s, rq, r, &p);
    if (!res)
        return;
    char hex[129];
    json_t *o = json_object();
    json_object_set_new(o, "size", json_integer((json_int_t)rq->body_len));
    hex_of(res->md5, 16, hex);
    json_object_set_new(o, "md5", json_string(hex));
    hex_of(res->sha1, 20, hex);
    json_object_set_new(o, "sha1", json_string(hex));
    hex_of(res->sha256, 32, hex);
    json_object_set_new(o, "sha256", json_string(hex));
    if (res->decoded) {
        lm_pdq_to_hex(&res->image.pdq, hex);
        if (res->is_video) {
            json_object_set_new(o, "media", json_string("video"));
            json_object_set_new(o, "frames_hashed", json_integer((json_int_t)res->frames_hashed));
            json_object_set_new(o, "first_frame_pdq", json_string(hex));
        } else {
            json_object_set_new(o, "media", json_string("image"));
            json_object_set_new(o, "pdq", json_string(hex));
            json_object_set_new(o, "quality", json_integer(res->image.quality));
            json_object_set_new(o, "width", json_integer(res->image.width));
            json_object_set_new(o, "height", json_integer(res->image.height));
            json_object_set_new(o, "format", json_string(lm_format_name(res->image.format)));
            if (res->has_trimmed) {
                lm_pdq_to_hex(&res->trimmed.pdq, hex);
                json_object_set_new(o, "trimmed_pdq", json_string(hex));
                json_object_set_new(o, "trimmed_quality", json_integer(res->trimmed.quality));
            }
        }
    } else {
        json_object_set_new(o, "media", json_string("unknown"));
        json_object_set_new(o, "decode_status", json_integer(res->decode_status));
        json_object_set_new(o, "decode_error", json_string(lm_strerror(res->decode_status)));
    }
    json_t *arr = json_array();
    int ordinary = 0, negative = 0;
    for (size_t i = 0; i < res->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
        lm_entry_info info;
        json_t *m = match_json(s, &res->matches[i], &p.f, &info);
        if (!m)
            continue;
        json_array_append_new(arr, m);
        int fl = res->matches[i].flags;
        if (fl & LM_MATCH_NEGATIVE)
            negative++;
        else if (!(fl & LM_MATCH_SUPPRESSED)) {
            ordinary++;
            if (info.list[0])
                metrics_list_match(&s->metrics, info.list);
        }
    }
    lm_verdict v = res->verdict;
    if (p.f.n) { /* the verdict over the lists asked for */
        if (ordinary)
            v = LM_VERDICT_MATCH;
        else if (v == LM_VERDICT_SUPPRESSED && negative)
            v = LM_VERDICT_SUPPRESSED;
        else if (v == LM_VERDICT_MATCH || v == LM_VERDICT_SUPPRESSED)
            v = LM_VERDICT_NO_MATCH;
    }
    json_object_set_new(o, "verdict", json_string(verdict_name(v)));
    json_object_set_new(o, "matches", arr);
    json_object_set_new(
        o, "match_count",
        json_integer(p.f.n ? (json_int_t)json_array_size(arr) : (json_int_t)res->match_count));
    json_object_set_new(o, "list_generation",
                        json_integer((json_int_t)lm_matcher_generation(s->matcher)));
    r->status = 200;
    r->json = o;
    r->verdict = verdict_name(v);
    r->matches = (int)json_array_size(arr);
    free(res);
}

/* ---- hash lookups -------------------------------------------------------- */

typedef struct lookup_ctx {
    srv *s;
    lm_check_options opts;
    filter f;
    json_t *results;
    int count;
    int matched;
    srv_reply *r;
    double deadline;
    int failed; /* a reply_error was set */
} lookup_ctx;

/* The lm_hash_type of a type name (native and HMA names); 0 if unknown. */
static lm_hash_type type_of(const char *name)
{
    if (!strcmp(name, "pdq"))
        return LM_HASH_PDQ;
    if (!strcmp(name, "md5") || !strcmp(name, "video_md5"))
        return LM_HASH_MD5;
    if (!strcmp(name, "sha1"))
        return LM_HASH_SHA1;
    if (!strcmp(name, "sha256"))
        return LM_HASH_SHA256;
    return 0;
}

static size_t digest_len(lm_hash_type t)
{
    return t == LM_HASH_MD5 ? 16 : t == LM_HASH_SHA1 ? 20 : t == LM_HASH_SHA256 ? 32 : 0;
}

/* Match one hash given as text; matches[] (cap LOOKUP_CAP) and *found. -1: not a valid hash. */
static int match_text(srv *s, lm_hash_type t, const char *text, const lm_check_options *opts,
                      lm_match *matches, size_t *found, char norm[65])
{
    size_t len = strlen(text);
    lm_status st;
    if (t == LM_HASH_PDQ) {
        lm_pdq_hash h;
        if (len != 64 || lm_pdq_from_hex(text, len, &h) != LM_OK)
            return -1;
        lm_pdq_to_hex(&h, norm);
        st = lm_match_pdq(s->matcher, &h, -1, opts, matches, LOOKUP_CAP, found);
    } else {
        uint8_t d[32];
        size_t n = digest_len(t);
        if (!n || hex_decode(text, len, d, n) != 0)
            return -1;
        hex_of(d, n, norm);
        st = lm_match_digest(s->matcher, t, d, n, matches, LOOKUP_CAP, found);
    }
    return st == LM_OK ? 0 : -2;
}

/*
 * The matches of one HMA signal (matches[] of LOOKUP_CAP, *found), to be freed;
 * NULL when r already holds the error reply (no memory, invalid hash, failure).
 */
static lm_match *hma_match_signal(srv *s, lm_hash_type t, const char *sig, srv_reply *r,
                                  size_t *found)
{
    lm_check_options opts;
    lm_check_options_init(&opts);
    opts.max_distance = s->cfg.max_distance;
    lm_match *matches = malloc(LOOKUP_CAP * sizeof *matches);
    if (!matches) {
        reply_error(r, 503, "no_memory", "out of memory");
        return NULL;
    }
    char norm[65];
    int rc = match_text(s, t, sig, &opts, matches, found, norm);
    if (rc == 0)
        return matches;
    if (rc == -1)
        reply_error(r, 400, "invalid_hash", "invalid signal: not a %s hash", lm_hash_type_name(t));
    else
        reply_error(r, 500, "lookup_failed", "the lookup failed");
    free(matches);
    return NULL;
}

/*
 * The HMA lookup arguments signal, signal_type and banks (into *f), then the matches
 * as hma_match_signal gives them; NULL when r already holds the error reply
 * (`missing`: the message when signal or signal_type is absent).
 */
static lm_match *hma_signal_args_match(srv *s, srv_request *rq, srv_reply *r, const char *missing,
                                       filter *f, size_t *found)
{
    const char *sig = arg(rq, "signal"), *stype = arg(rq, "signal_type");
    if (!sig || !stype) {
        reply_error(r, 400, "bad_parameter", "%s", missing);
        return NULL;
    }
    lm_hash_type t = type_of(stype);
    if (!t) {
        reply_error(r, 400, "bad_parameter", "No such SignalType '%.64s'", stype);
        return NULL;
    }
    if (filter_parse(arg(rq, "banks"), f) != 0) {
        reply_error(r, 400, "bad_parameter", "banks: at most %d names", MAX_FILTER);
        return NULL;
    }
    return hma_match_signal(s, t, sig, r, found);
}

static void lookup_add(lookup_ctx *lc, lm_hash_type t, const char *text)
{
    if (lc->failed)
        return;
    if (++lc->count > lc->s->cfg.max_batch) {
        reply_error(lc->r, 413, "too_many_hashes", "more than %d hashes in one request",
                    lc->s->cfg.max_batch);
        lc->failed = 1;
        return;
    }
    if (now_monotonic() > lc->deadline) {
        reply_error(lc->r, 503, "deadline_exceeded", "the request ran past its time limit");
        lc->failed = 1;
        return;
    }
    lm_match *matches = malloc(LOOKUP_CAP * sizeof *matches);
    if (!matches) {
        reply_error(lc->r, 503, "no_memory", "out of memory");
        lc->failed = 1;
        return;
    }
    size_t found = 0;
    char norm[65];
    int rc = match_text(lc->s, t, text, &lc->opts, matches, &found, norm);
    json_t *o;
    if (rc == -1) {
        o = json_pack("{s:s, s:s, s:s}", "type", lm_hash_type_name(t), "hash", "", "error",
                      "invalid_hash");
        json_object_set_new(o, "hash", json_stringn(text, strlen(text) > 300 ? 300 : strlen(text)));
    } else if (rc == -2) {
        o = json_pack("{s:s, s:s, s:s}", "type", lm_hash_type_name(t), "hash", norm, "error",
                      "lookup_failed");
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < found && i < LOOKUP_CAP; i++) {
            lm_entry_info info;
            json_t *m = match_json(lc->s, &matches[i], &lc->f, &info);
            if (!m)
                continue;
            json_array_append_new(arr, m);
            if (!(matches[i].flags & (LM_MATCH_NEGATIVE | LM_MATCH_SUPPRESSED)) && info.list[0])
                metrics_list_match(&lc->s->metrics, info.list);
        }
        if (json_array_size(arr))
            lc->matched++;
        o = json_pack("{s:s, s:s, s:b, s:o}", "type", lm_hash_type_name(t), "hash", norm, "match",
                      json_array_size(arr) > 0, "matches", arr);
    }
    json_array_append_new(lc->results, o);
    free(matches);
}

static int lookup_ctx_init(srv *s, srv_request *rq, srv_reply *r, lookup_ctx *lc)
{
    memset(lc, 0, sizeof *lc);
    lc->s = s;
    lc->r = r;
    lc->deadline = rq->deadline;
    lm_check_options_init(&lc->opts);
    lc->opts.max_distance = s->cfg.max_distance;
    const char *v = arg(rq, "distance");
    long n;
    if (v) {
        if (parse_int(v, 0, 256, &n) != 0) {
            reply_error(r, 400, "bad_parameter", "distance: an integer 0..256");
            return -1;
        }
        lc->opts.max_distance = (int)n;
    }
    if (filter_parse(arg(rq, "lists"), &lc->f) != 0) {
        reply_error(r, 400, "bad_parameter", "lists: at most %d comma-separated list names",
                    MAX_FILTER);
        return -1;
    }
    lc->results = json_array();
    return 0;
}

static void lookup_finish(lookup_ctx *lc, srv_reply *r)
{
    if (lc->failed) {
        json_decref(lc->results);
        return;
    }
    if (lc->count == 0) {
        json_decref(lc->results);
        reply_error(r, 400, "no_hashes", "no hashes given (pdq, md5, sha1, sha256)");
        return;
    }
    r->status = 200;
    r->json = json_pack("{s:o, s:i, s:i, s:I}", "results", lc->results, "count", lc->count,
                        "matched", lc->matched, "list_generation",
                        (json_int_t)lm_matcher_generation(lc->s->matcher));
    r->verdict = lc->matched ? "match" : "no_match";
    r->matches = lc->matched;
}

/* Each value of a query argument may hold several comma-separated hashes. */
static void lookup_add_list(lookup_ctx *lc, lm_hash_type t, const char *v)
{
    char one[320];
    const char *p = v;
    while (!lc->failed) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l >= sizeof one)
            l = sizeof one - 1;
        memcpy(one, p, l);
        one[l] = '\0';
        if (l)
            lookup_add(lc, t, one);
        if (!e)
            break;
        p = e + 1;
    }
}

static enum MHD_Result get_arg_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    lookup_ctx *lc = cls;
    (void)kind;
    lm_hash_type t = type_of(key);
    if (t && value && strcmp(key, "video_md5") != 0)
        lookup_add_list(lc, t, value);
    return lc->failed ? MHD_NO : MHD_YES;
}

static json_t *parse_json_body(srv_request *rq, srv_reply *r)
{
    if (rq->body_len == 0) {
        reply_error(r, 400, "empty_body", "a JSON body is required");
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb((const char *)rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        reply_error(r, 400, "bad_json", "malformed JSON at line %d column %d: %s", err.line,
                    err.column, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        reply_error(r, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

static int add_json_hashes(lookup_ctx *lc, lm_hash_type t, json_t *v, const char *key)
{
    if (json_is_string(v)) {
        lookup_add(lc, t, json_string_value(v));
        return 0;
    }
    if (!json_is_array(v)) {
        reply_error(lc->r, 400, "bad_json", "%s: a hash or an array of hashes", key);
        lc->failed = 1;
        return -1;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x)) {
            reply_error(lc->r, 400, "bad_json", "%s[%zu]: not a string", key, i);
            lc->failed = 1;
            return -1;
        }
        lookup_add(lc, t, json_string_value(x));
        if (lc->failed)
            return -1;
    }
    return 0;
}

/* Options in a JSON body override the query's: "lists", "distance". */
static int json_options(lookup_ctx *lc, json_t *j)
{
    json_t *l = json_object_get(j, "lists");
    if (l && filter_json(l, &lc->f) != 0) {
        reply_error(lc->r, 400, "bad_json", "lists: an array of at most %d list names", MAX_FILTER);
        lc->failed = 1;
        return -1;
    }
    json_t *d = json_object_get(j, "distance");
    if (d) {
        if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > 256) {
            reply_error(lc->r, 400, "bad_json", "distance: an integer 0..256");
            lc->failed = 1;
            return -1;
        }
        lc->opts.max_distance = (int)json_integer_value(d);
    }
    return 0;
}

/* GET /v1/lookup?pdq=..&md5=..  or POST {"pdq": [...], "md5": [...], "lists": [...]} */
static void route_lookup(srv *s, srv_request *rq, srv_reply *r)
{
    lookup_ctx lc;
    if (lookup_ctx_init(s, rq, r, &lc) != 0)
        return;
    if (strcmp(rq->method, "POST") == 0) {
        json_t *j = parse_json_body(rq, r);
        if (!j) {
            json_decref(lc.results);
            return;
        }
        if (json_options(&lc, j) == 0) {
            const char *key;
            json_t *v;
            json_object_foreach(j, key, v)
            {
                if (!strcmp(key, "lists") || !strcmp(key, "distance"))
                    continue;
                lm_hash_type t = type_of(key);
                if (!t) {
                    reply_error(r, 400, "bad_json",
                                "unknown key '%.64s' (pdq, md5, sha1, sha256, lists, distance)",
                                key);
                    lc.failed = 1;
                    break;
                }
                if (add_json_hashes(&lc, t, v, key) != 0)
                    break;
            }
        }
        json_decref(j);
    } else {
        MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, get_arg_iter, &lc);
    }
    lookup_finish(&lc, r);
}

/* POST /v1/pdq {"hashes": ["<64 hex PDQ>" | "<32 hex MD5>" | "<40 hex SHA-1>", ...]}: the batch
 * endpoint (as Arachnid Shield's), typed by length; SHA-256 needs /v1/lookup. */
static void route_pdq_batch(srv *s, srv_request *rq, srv_reply *r)
{
    lookup_ctx lc;
    if (lookup_ctx_init(s, rq, r, &lc) != 0)
        return;
    json_t *j = parse_json_body(rq, r);
    if (!j) {
        json_decref(lc.results);
        return;
    }
    json_t *h = json_object_get(j, "hashes");
    if (json_options(&lc, j) == 0) {
        if (!json_is_array(h)) {
            reply_error(r, 400, "bad_json", "hashes: an array of hex hashes");
            lc.failed = 1;
        } else {
            size_t i;
            json_t *x;
            json_array_foreach(h, i, x)
            {
                if (!json_is_string(x)) {
                    reply_error(r, 400, "bad_json", "hashes[%zu]: not a string", i);
                    lc.failed = 1;
                    break;
                }
                size_t l = strlen(json_string_value(x));
                lm_hash_type t = l == 32 ? LM_HASH_MD5 : l == 40 ? LM_HASH_SHA1 : LM_HASH_PDQ;
                lookup_add(&lc, t, json_string_value(x));
                if (lc.failed)
                    break;
            }
        }
    }
    json_decref(j);
    lookup_finish(&lc, r);
}

/* ---- HMA-compatible routes ----------------------------------------------- */

static void url_refused(srv *s, srv_reply *r)
{
    (void)s;
    reply_error(r, 403, "url_lookups_disabled",
                "URL lookups (?url=) are not enabled on this service (pmatch serve --allow-url); "
                "upload the bytes");
}

/* {"BANK": [{"bank_content_id": id, "distance": "N"}]} from a match array. */
static void bank_add(json_t *banks, srv *s, const lm_match *mt, const filter *f, int *n)
{
    if (mt->flags & LM_MATCH_SUPPRESSED)
        return;
    lm_entry_info info;
    if (lm_matcher_entry(s->matcher, mt->entry_id, &info) != LM_OK || !filter_allows(f, info.list))
        return;
    json_t *arr = json_object_get(banks, info.list);
    if (!arr) {
        arr = json_array();
        json_object_set_new(banks, info.list, arr);
    }
    char d[16];
    snprintf(d, sizeof d, "%d", mt->distance);
    json_array_append_new(
        arr, json_pack("{s:I, s:s}", "bank_content_id", (json_int_t)mt->entry_id, "distance", d));
    if (!(mt->flags & LM_MATCH_NEGATIVE))
        metrics_list_match(&s->metrics, info.list);
    (*n)++;
}

/* GET /m/lookup?signal_type=pdq&signal=HEX[&banks=A,B] */
static void hma_lookup_post(srv *s, srv_request *rq, srv_reply *r);

static void hma_lookup_get(srv *s, srv_request *rq, srv_reply *r)
{
    if (rq->from_url) {
        hma_lookup_post(s, rq, r);
        return;
    }
    if (arg(rq, "url")) {
        url_refused(s, r);
        return;
    }
    filter f;
    size_t found = 0;
    lm_match *matches = hma_signal_args_match(
        s, rq, r, "Either url or both signal and signal_type are required", &f, &found);
    if (matches) {
        json_t *banks = json_object();
        int n = 0;
        for (size_t i = 0; i < found && i < LOOKUP_CAP; i++)
            bank_add(banks, s, &matches[i], &f, &n);
        r->status = 200;
        r->json = banks;
        r->verdict = n ? "match" : "no_match";
        r->matches = n;
    }
    free(matches);
}

/* GET /m/raw_lookup?signal_type=&signal=[&include_distance=true][&banks=] */
static void hma_raw_lookup(srv *s, srv_request *rq, srv_reply *r)
{
    int with_dist;
    if (parse_bool(arg(rq, "include_distance"), 0, &with_dist) != 0) {
        reply_error(r, 400, "bad_parameter", "include_distance: true or false");
        return;
    }
    filter f;
    size_t found = 0;
    lm_match *matches =
        hma_signal_args_match(s, rq, r, "signal and signal_type are required", &f, &found);
    if (matches) {
        json_t *arr = json_array();
        for (size_t i = 0; i < found && i < LOOKUP_CAP; i++) {
            const lm_match *mt = &matches[i];
            if (mt->flags & LM_MATCH_SUPPRESSED)
                continue;
            if (f.n) {
                lm_entry_info info;
                if (lm_matcher_entry(s->matcher, mt->entry_id, &info) != LM_OK ||
                    !filter_allows(&f, info.list))
                    continue;
            }
            if (with_dist) {
                char d[16];
                snprintf(d, sizeof d, "%d", mt->distance);
                json_array_append_new(arr, json_pack("{s:I, s:s}", "bank_content_id",
                                                     (json_int_t)mt->entry_id, "distance", d));
            } else {
                json_array_append_new(arr, json_integer((json_int_t)mt->entry_id));
            }
        }
        r->matches = (int)json_array_size(arr);
        r->verdict = r->matches ? "match" : "no_match";
        r->status = 200;
        r->json = json_pack("{s:o}", "matches", arr);
    }
    free(matches);
}

/* POST /h/hash (multipart photo=@file or video=@file, or the raw bytes): {"pdq": "..."} for an
 * image, {"video_md5": "..."} for a video; ?types=pdq,md5,sha1,sha256 selects. */
static void hma_hash(srv *s, srv_request *rq, srv_reply *r)
{
    if (!rq->from_url &&
        (strcmp(rq->method, "POST") != 0 || (rq->body_len == 0 && arg(rq, "url")))) {
        if (arg(rq, "url"))
            url_refused(s, r);
        else
            reply_error(r, 400, "bad_parameter", "url is required");
        return;
    }
    if (rq->multipart && rq->field && strcmp(rq->field, "photo") != 0 &&
        strcmp(rq->field, "video") != 0 && strcmp(rq->field, "file") != 0 &&
        strcmp(rq->field, "image") != 0) {
        reply_error(r, 400, "bad_parameter", "no such content_type: '%.32s' (photo or video)",
                    rq->field);
        return;
    }
    check_params p;
    if (check_params_parse(s, rq, r, &p, "banks") != 0)
        return;
    p.opts.dihedral = 0;
    p.opts.trim_borders = 0;
    p.opts.exact = 1; /* the reference's hash, as HMA computes it */
    lm_check_result *res = run_check(s, rq, r, &p);
    if (!res)
        return;
    int want_pdq = 0, want_md5 = 0, want_sha1 = 0, want_sha256 = 0, want_vmd5 = 0;
    const char *types = arg(rq, "types");
    if (types) {
        filter tf;
        if (filter_parse(types, &tf) != 0) {
            reply_error(r, 400, "bad_parameter", "types: pdq, md5, video_md5, sha1, sha256");
            free(res);
            return;
        }
        for (int i = 0; i < tf.n; i++) {
            const char *t = tf.names[i];
            if (!strcmp(t, "pdq"))
                want_pdq = 1;
            else if (!strcmp(t, "md5"))
                want_md5 = 1;
            else if (!strcmp(t, "video_md5"))
                want_vmd5 = 1;
            else if (!strcmp(t, "sha1"))
                want_sha1 = 1;
            else if (!strcmp(t, "sha256"))
                want_sha256 = 1;
            else {
                reply_error(r, 400, "bad_parameter", "signal type '%.64s' doesn't exist", t);
                free(res);
                return;
            }
        }
    } else if (res->decoded && res->is_video) {
        want_vmd5 = 1;
    } else {
        want_pdq = 1;
    }
    json_t *o = json_object();
    char hex[65];
    if (want_pdq && res->decoded && !res->is_video) {
        lm_pdq_to_hex(&res->image.pdq, hex);
        json_object_set_new(o, "pdq", json_string(hex));
    }
    hex_of(res->md5, 16, hex);
    if (want_md5)
        json_object_set_new(o, "md5", json_string(hex));
    if (want_vmd5)
        json_object_set_new(o, "video_md5", json_string(hex));
    if (want_sha1) {
        hex_of(res->sha1, 20, hex);
        json_object_set_new(o, "sha1", json_string(hex));
    }
    if (want_sha256) {
        hex_of(res->sha256, 32, hex);
        json_object_set_new(o, "sha256", json_string(hex));
    }
    if (want_pdq && !types && !res->decoded) {
        json_decref(o);
        reply_error(r, 400, "not_image", "could not hash: %s", lm_strerror(res->decode_status));
        free(res);
        return;
    }
    r->status = 200;
    r->json = o;
    free(res);
}

/* POST /m/lookup: hash and match an upload; {"pdq": {"BANK": [...]}} (a video: "video_md5" for
 * its MD5 and "pdq" for frames matching images). ?include_hashes=true adds "hashes". */
static void hma_lookup_post(srv *s, srv_request *rq, srv_reply *r)
{
    check_params p;
    if (check_params_parse(s, rq, r, &p, "banks") != 0)
        return;
    int include_hashes;
    if (parse_bool(arg(rq, "include_hashes"), 0, &include_hashes) != 0) {
        reply_error(r, 400, "bad_parameter", "include_hashes: true or false");
        return;
    }
    lm_check_result *res = run_check(s, rq, r, &p);
    if (!res)
        return;
    int video = res->decoded && res->is_video;
    json_t *o = json_object();
    json_t *pdq = json_object(), *md5 = json_object(), *other = json_object();
    int n = 0;
    for (size_t i = 0; i < res->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
        const lm_match *mt = &res->matches[i];
        json_t *dst = mt->type == LM_HASH_PDQ ? pdq : mt->type == LM_HASH_MD5 ? md5 : NULL;
        if (!dst) {
            const char *tn = lm_hash_type_name(mt->type);
            dst = json_object_get(other, tn);
            if (!dst) {
                dst = json_object();
                json_object_set_new(other, tn, dst);
            }
        }
        bank_add(dst, s, mt, &p.f, &n);
    }
    if (!video || json_object_size(pdq))
        json_object_set(o, "pdq", pdq);
    if (video)
        json_object_set(o, "video_md5", md5);
    else if (json_object_size(md5))
        json_object_set(o, "md5", md5);
    json_object_update(o, other);
    json_decref(pdq);
    json_decref(md5);
    json_decref(other);
    if (include_hashes) {
        char hex[65];
        json_t *h = json_object();
        if (res->decoded && !video) {
            lm_pdq_to_hex(&res->image.pdq, hex);
            json_object_set_new(h, "pdq", json_string(hex));
        }
        hex_of(res->md5, 16, hex);
        json_object_set_new(h, video ? "video_md5" : "md5", json_string(hex));
        hex_of(res->sha256, 32, hex);
        json_object_set_new(h, "sha256", json_string(hex));
        json_object_set_new(o, "hashes", h);
    }
    r->status = 200;
    r->json = o;
    r->verdict =
        n ? "match"
          : verdict_name(res->verdict == LM_VERDICT_MATCH ? LM_VERDICT_NO_MATCH : res->verdict);
    r->matches = n;
    free(res);
}

/* POST /m/compare {"pdq": ["hex", "hex"], "md5": [...]} -> {"pdq": [true, {"distance": 9}]} */
static void hma_compare(srv *s, srv_request *rq, srv_reply *r)
{
    json_t *j = parse_json_body(rq, r);
    if (!j)
        return;
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        lm_hash_type t = type_of(key);
        if (!t) {
            reply_error(r, 400, "bad_parameter", "No such SignalType '%.64s'", key);
            goto fail;
        }
        if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_string(json_array_get(v, 0)) ||
            !json_is_string(json_array_get(v, 1))) {
            reply_error(r, 400, "bad_json", "Comparison hash list length must be exactly 2");
            goto fail;
        }
        const char *a = json_string_value(json_array_get(v, 0));
        const char *b = json_string_value(json_array_get(v, 1));
        if (t == LM_HASH_PDQ) {
            lm_pdq_hash ha, hb;
            if (strlen(a) != 64 || strlen(b) != 64 || lm_pdq_from_hex(a, 64, &ha) != LM_OK ||
                lm_pdq_from_hex(b, 64, &hb) != LM_OK) {
                reply_error(r, 400, "invalid_hash", "Invalid %s hash", key);
                goto fail;
            }
            int d = lm_pdq_distance(&ha, &hb);
            json_object_set_new(out, key,
                                json_pack("[b, {s:i}]", d <= s->cfg.max_distance, "distance", d));
        } else {
            uint8_t da[32], db[32];
            size_t n = digest_len(t);
            if (hex_decode(a, strlen(a), da, n) != 0 || hex_decode(b, strlen(b), db, n) != 0) {
                reply_error(r, 400, "invalid_hash", "Invalid %s hash", key);
                goto fail;
            }
            int eq = memcmp(da, db, n) == 0;
            json_object_set_new(out, key, json_pack("[b, {s:i}]", eq, "distance", eq ? 0 : 1));
        }
    }
    json_decref(j);
    r->status = 200;
    r->json = out;
    return;
fail:
    json_decref(out);
    json_decref(j);
}

/* GET /m/index/status[?signal_type=pdq] */
static void hma_index_status(srv *s, srv_request *rq, srv_reply *r)
{
    const char *only = arg(rq, "signal_type");
    static const char *const types[] = {"pdq", "video_md5"};
    if (only && strcmp(only, "pdq") != 0 && strcmp(only, "video_md5") != 0) {
        reply_error(r, 400, "bad_parameter", "No such signal type '%.64s'", only);
        return;
    }
    json_t *o = json_object();
    uint64_t built = atomic_load(&s->metrics.last_refresh_end);
    for (int i = 0; i < 2; i++) {
        if (only && strcmp(only, types[i]) != 0)
            continue;
        json_t *st = json_pack("{s:b, s:I, s:I}", "present", 1, "built_to",
                               (json_int_t)(built ? (int64_t)built : s->started), "generation",
                               (json_int_t)lm_matcher_generation(s->matcher));
        if (i == 0)
            json_object_set_new(st, "size", json_integer((json_int_t)lm_matcher_size(s->matcher)));
        json_object_set_new(o, types[i], st);
    }
    r->status = 200;
    r->json = o;
}

/* ---- dispatch ------------------------------------------------------------ */

void routes_dispatch(srv *s, int route, srv_request *rq, srv_reply *r)
{
    switch (route) {
    case R_HEALTHZ:
        r->status = 200;
        r->json = json_pack("{s:s}", "status", "ok");
        return;
    case R_READYZ:
        if (atomic_load(&s->ready) && !atomic_load(&s->shutting_down)) {
            r->status = 200;
            r->json = json_pack("{s:s, s:I, s:I}", "status", "ready", "list_generation",
                                (json_int_t)lm_matcher_generation(s->matcher), "index_hashes",
                                (json_int_t)lm_matcher_size(s->matcher));
        } else {
            reply_error(r, 503, "not_ready", "the service is not ready");
        }
        return;
    case R_STATUS:
        /* HMA answers plain text. */
        if (atomic_load(&s->ready) && !atomic_load(&s->shutting_down)) {
            r->status = 200;
            r->text = strdup("I-AM-ALIVE");
        } else {
            r->status = 503;
            r->text = strdup("NOT-READY");
        }
        r->text_len = r->text ? strlen(r->text) : 0;
        return;
    case R_METRICS:
        r->text = metrics_render(&s->metrics, s->matcher, &r->text_len);
        r->status = r->text ? 200 : 503;
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
        if (!r->text)
            reply_error(r, 503, "no_memory", "out of memory");
        return;
    case R_OPENAPI:
        r->text = malloc(srv_openapi_json_len);
        if (!r->text) {
            reply_error(r, 503, "no_memory", "out of memory");
            return;
        }
        memcpy(r->text, srv_openapi_json, srv_openapi_json_len);
        r->text_len = srv_openapi_json_len;
        r->content_type = "application/json";
        r->status = 200;
        return;
    case R_CHECK: route_check(s, rq, r); return;
    case R_LOOKUP: route_lookup(s, rq, r); return;
    case R_PDQ_BATCH: route_pdq_batch(s, rq, r); return;
    case R_HMA_HASH: hma_hash(s, rq, r); return;
    case R_HMA_LOOKUP:
        if (strcmp(rq->method, "POST") == 0)
            hma_lookup_post(s, rq, r);
        else
            hma_lookup_get(s, rq, r);
        return;
    case R_HMA_RAW_LOOKUP: hma_raw_lookup(s, rq, r); return;
    case R_HMA_COMPARE: hma_compare(s, rq, r); return;
    case R_HMA_INDEX_STATUS: hma_index_status(s, rq, r); return;
    case R_HMA_BANKS:
    case R_HMA_BANK:
    case R_ADMIN: admin_dispatch(s, route, rq, r); return;
    default: reply_error(r, 404, "not_found", "no such route"); return;
    }
}
