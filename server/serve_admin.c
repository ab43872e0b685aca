/*
 * pmatch serve: list administration through the public list API (lm_db_*),
 * natively under /v1/admin and as HMA's curation routes (/c/banks, /c/bank/...).
 * Reads need a match token, writes an admin token (routes_find). Additions are
 * visible after the refresh each write triggers; removals and disables at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const char *arg(srv_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static int http_of(lm_status st)
{
    switch (st) {
    case LM_E_NOT_FOUND: return 404;
    case LM_E_EXISTS: return 409;
    case LM_E_INVALID_ARG:
    case LM_E_PARSE:
    case LM_E_IMPORT:
    case LM_E_FORMAT:
    case LM_E_CORRUPT:
    case LM_E_TOO_SMALL: return 400;
    case LM_E_LIMIT_BYTES:
    case LM_E_LIMIT_PIXELS:
    case LM_E_LIMIT_DIMENSION: return 413;
    case LM_E_UNSUPPORTED: return 501;
    case LM_E_NOMEM: return 503;
    default: return 500;
    }
}

static const char *code_of(lm_status st)
{
    switch (st) {
    case LM_E_NOT_FOUND: return "not_found";
    case LM_E_EXISTS: return "exists";
    case LM_E_PARSE: return "invalid_hash";
    case LM_E_IMPORT: return "import_failed";
    case LM_E_FORMAT:
    case LM_E_CORRUPT:
    case LM_E_TOO_SMALL: return "not_image";
    case LM_E_INVALID_ARG: return "bad_parameter";
    default: return "list_error";
    }
}

static void db_error(srv *s, srv_reply *r, lm_status st)
{
    const char *detail = lm_db_last_error(s->db);
    reply_error(r, http_of(st), code_of(st), "%s%s%s", lm_strerror(st),
                detail && detail[0] ? ": " : "", detail ? detail : "");
}

/* Writes must go through a list opened for writing. */
static int need_writable(srv *s, srv_reply *r)
{
    if (s->db_writable)
        return 0;
    reply_error(r, 403, "read_only_list",
                "the list is open read-only (no admin token in --tokens, or not writable)");
    return -1;
}

static void request_refresh(srv *s)
{
    pthread_mutex_lock(&s->refresh_lock);
    s->refresh_requested = 1;
    pthread_cond_signal(&s->refresh_cond);
    pthread_mutex_unlock(&s->refresh_lock);
}

static json_t *parse_object(srv_request *rq, srv_reply *r)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j || !json_is_object(j)) {
        if (j)
            json_decref(j);
        reply_error(r, 400, "bad_json", "the body must be a JSON object%s%s", j ? "" : ": ",
                    j ? "" : err.text);
        return NULL;
    }
    return j;
}

/* Find a list by name; 0, or -1 with a 404 reply. */
static int find_list(srv *s, srv_reply *r, const char *name, lm_db_list_info *out)
{
    size_t count = 0;
    lm_status st = lm_db_lists(s->db, NULL, 0, &count);
    if (st != LM_OK) {
        db_error(s, r, st);
        return -1;
    }
    lm_db_list_info *v = calloc(count ? count : 1, sizeof *v);
    if (!v) {
        reply_error(r, 503, "no_memory", "out of memory");
        return -1;
    }
    size_t n = 0;
    st = lm_db_lists(s->db, v, count, &n);
    int found = -1;
    for (size_t i = 0; st == LM_OK && i < n && i < count; i++)
        if (strcmp(v[i].name, name) == 0) {
            *out = v[i];
            found = 0;
        }
    free(v);
    if (st != LM_OK) {
        db_error(s, r, st);
        return -1;
    }
    if (found != 0)
        reply_error(r, 404, "not_found", "bank '%.64s' not found", name);
    return found;
}

static json_t *list_json(srv *s, const lm_db_list_info *li, int hma)
{
    lm_db_list_attrs a;
    int have = lm_db_get_list_attrs(s->db, li->id, &a) == LM_OK;
    int enabled = have ? a.enabled : 1;
    if (hma)
        return json_pack("{s:s, s:f}", "name", li->name, "matching_enabled_ratio",
                         enabled ? 1.0 : 0.0);
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "id", (int)li->id, "name",
                          li->name, "source", li->source, "version", li->version, "created",
                          (json_int_t)li->created, "imported", (json_int_t)li->imported, "entries",
                          (json_int_t)li->entries, "enabled", enabled);
    if (have) {
        json_object_set_new(
            o, "kind",
            json_string(lm_db_list_kind_name(a.kind) ? lm_db_list_kind_name(a.kind) : "normal"));
        json_object_set_new(o, "distance", a.distance < 0 ? json_null() : json_integer(a.distance));
    }
    return o;
}

static void all_lists(srv *s, srv_reply *r, int hma)
{
    size_t count = 0;
    lm_status st = lm_db_lists(s->db, NULL, 0, &count);
    lm_db_list_info *v = NULL;
    size_t n = 0;
    if (st == LM_OK) {
        v = calloc(count ? count : 1, sizeof *v);
        if (!v) {
            reply_error(r, 503, "no_memory", "out of memory");
            return;
        }
        st = lm_db_lists(s->db, v, count, &n);
    }
    if (st != LM_OK) {
        free(v);
        db_error(s, r, st);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n && i < count; i++)
        json_array_append_new(arr, list_json(s, &v[i], hma));
    free(v);
    r->status = 200;
    r->json = hma ? arr : json_pack("{s:o}", "lists", arr);
}

/* Create an empty list (an import of nothing under its name). */
static lm_status create_list(srv *s, const char *name)
{
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = name;
    o.format = LM_DB_FORMAT_HEX;
    return lm_db_import_memory(s->db, "", 0, &o, NULL);
}

static int valid_list_name(const char *n)
{
    size_t l = strlen(n);
    if (l == 0 || l > LM_DB_MAX_LIST_NAME)
        return 0;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)n[i] < 0x21 || n[i] == 0x7f || n[i] == '/')
            return 0;
    return 1;
}

/* PUT /c/bank/NAME or /v1/admin/lists/NAME: {"enabled": b, "enabled_ratio": x, "distance": n,
 * "kind": "normal"|"negative"} */
static void set_attrs(srv *s, srv_request *rq, srv_reply *r, const char *name, int hma)
{
    if (need_writable(s, r))
        return;
    lm_db_list_info li;
    if (find_list(s, r, name, &li) != 0)
        return;
    json_t *j = parse_object(rq, r);
    if (!j)
        return;
    lm_db_list_attrs a;
    memset(&a, 0, sizeof a);
    unsigned which = 0;
    json_t *v;
    if ((v = json_object_get(j, "name")) &&
        !(json_is_string(v) && !strcmp(json_string_value(v), name))) {
        reply_error(r, 400, "bad_parameter", "renaming a list is not supported");
        goto out;
    }
    if ((v = json_object_get(j, "enabled"))) {
        if (!json_is_boolean(v)) {
            reply_error(r, 400, "bad_json", "enabled: true or false");
            goto out;
        }
        a.enabled = json_is_true(v);
        which |= LM_DB_ATTR_ENABLED;
    }
    if ((v = json_object_get(j, "enabled_ratio"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
            reply_error(r, 400, "bad_json", "enabled_ratio: 0..1 (libmatch lists are on or off)");
            goto out;
        }
        a.enabled = json_number_value(v) > 0;
        which |= LM_DB_ATTR_ENABLED;
    }
    if ((v = json_object_get(j, "distance"))) {
        if (json_is_null(v))
            a.distance = -1;
        else if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 256)
            a.distance = (int)json_integer_value(v);
        else {
            reply_error(r, 400, "bad_json", "distance: 0..256 or null");
            goto out;
        }
        which |= LM_DB_ATTR_DISTANCE;
    }
    if ((v = json_object_get(j, "kind"))) {
        if (!json_is_string(v) || lm_db_list_kind_parse(json_string_value(v), &a.kind) != LM_OK) {
            reply_error(r, 400, "bad_json", "kind: normal or negative");
            goto out;
        }
        which |= LM_DB_ATTR_KIND;
    }
    if (!which) {
        reply_error(r, 400, "bad_json", "nothing to change (enabled, distance, kind)");
        goto out;
    }
    lm_status st = lm_db_set_list_attrs(s->db, name, &a, which);
    if (st != LM_OK) {
        db_error(s, r, st);
        goto out;
    }
    request_refresh(s); /* distance and kind take effect at the next refresh */
    r->status = 200;
    r->json = list_json(s, &li, hma);
out:
    json_decref(j);
}

static lm_hash_type type_name(const char *n)
{
    if (!strcmp(n, "video_md5"))
        return LM_HASH_MD5;
    lm_hash_type t;
    return lm_hash_type_parse(n, &t) == LM_OK ? t : (lm_hash_type)0;
}

/* POST /c/bank/NAME/signal {"pdq": "hex", "md5": "hex"} (HMA) -> {"id", "signals"} */
static void hma_add_signals(srv *s, srv_request *rq, srv_reply *r, const char *bank)
{
    if (need_writable(s, r))
        return;
    lm_db_list_info li;
    if (find_list(s, r, bank, &li) != 0)
        return;
    json_t *j = parse_object(rq, r);
    if (!j)
        return;
    if (json_object_size(j) == 0) {
        reply_error(r, 400, "bad_json", "No signals given");
        json_decref(j);
        return;
    }
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = bank;
    json_t *signals = json_object();
    uint64_t first = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        lm_hash_type t = type_name(key);
        if (!t || !json_is_string(v)) {
            reply_error(r, 400, "bad_parameter", "No such signal type %.64s", key);
            goto fail;
        }
        uint64_t id = 0;
        const char *hex = json_string_value(v);
        lm_status st = lm_db_add_hash(s->db, hex, strlen(hex), t, -1, &o, &id);
        if (st != LM_OK && st != LM_E_EXISTS) {
            if (st == LM_E_PARSE)
                reply_error(r, 400, "invalid_hash", "Invalid %.64s signal: %s", key,
                            lm_db_last_error(s->db));
            else
                db_error(s, r, st);
            goto fail;
        }
        if (!first)
            first = id;
        lm_entry_info info;
        if (lm_db_entry(s->db, id, &info, NULL) == LM_OK)
            json_object_set_new(signals, key, json_string(info.hash_hex));
    }
    json_decref(j);
    request_refresh(s);
    r->status = 200;
    r->json = json_pack("{s:I, s:o}", "id", (json_int_t)first, "signals", signals);
    return;
fail:
    json_decref(signals);
    json_decref(j);
}

/* POST /c/bank/NAME/content (multipart photo=@file) or /v1/admin/lists/NAME/images (raw or
 * multipart; ?label=&reference=) */
static void add_image(srv *s, srv_request *rq, srv_reply *r, const char *list, int hma)
{
    if (need_writable(s, r))
        return;
    lm_db_list_info li;
    if (hma && find_list(s, r, list, &li) != 0)
        return;
    if (hma && arg(rq, "url") && !rq->from_url) {
        reply_error(r, 403, "url_lookups_disabled",
                    "URL fetches are not enabled (pmatch serve --allow-url); upload the file");
        return;
    }
    if (rq->body_len == 0) {
        reply_error(r, 400, "empty_body", "Neither `url` nor multipart file upload was received");
        return;
    }
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    o.list = list;
    o.label = arg(rq, "label");
    o.reference = arg(rq, "reference");
    o.max_bytes = s->cfg.max_body;
    uint64_t id = 0;
    lm_status st = lm_db_add_image(s->db, rq->body, rq->body_len, &o, &id);
    if (st != LM_OK && !(st == LM_E_EXISTS && hma)) {
        db_error(s, r, st);
        if (st == LM_E_EXISTS && r->json)
            json_object_set_new(r->json, "entry_id", json_integer((json_int_t)id));
        return;
    }
    request_refresh(s);
    lm_entry_info info;
    size_t companions = 0;
    json_t *sig = json_object();
    if (lm_db_entry(s->db, id, &info, &companions) == LM_OK)
        json_object_set_new(sig, "pdq", json_string(info.hash_hex));
    r->status = 200;
    if (hma)
        r->json = json_pack("{s:I, s:o}", "id", (json_int_t)id, "signals", sig);
    else
        r->json = json_pack("{s:I, s:o, s:I}", "entry_id", (json_int_t)id, "signals", sig,
                            "companions", (json_int_t)companions);
}

static int parse_id(const char *t, uint64_t *out)
{
    if (!t || !*t || *t == '-')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(t, &end, 10);
    if (errno || *end || v == 0)
        return -1;
    *out = v;
    return 0;
}

/* bank: HMA's routes name the bank; an entry of another bank is not touched ({"deleted": 0},
 * as HMA removes only content of the bank named). */
static void remove_entry(srv *s, srv_reply *r, const char *idtext, int hma, const char *bank)
{
    if (need_writable(s, r))
        return;
    uint64_t id;
    if (parse_id(idtext, &id) != 0) {
        reply_error(r, 400, "bad_parameter", "an entry id is a positive integer");
        return;
    }
    lm_entry_info info;
    if (bank && lm_db_entry(s->db, id, &info, NULL) == LM_OK && strcmp(info.list, bank) != 0) {
        r->status = 200;
        r->json = json_pack("{s:i}", "deleted", 0);
        return;
    }
    lm_status st = lm_db_remove(s->db, id);
    if (st != LM_OK && !(hma && st == LM_E_NOT_FOUND)) {
        db_error(s, r, st);
        return;
    }
    r->status = 200;
    r->json = hma ? json_pack("{s:i}", "deleted", st == LM_OK ? 1 : 0)
                  : json_pack("{s:I, s:b}", "entry_id", (json_int_t)id, "removed", 1);
}

/* GET /c/bank/NAME/content?page_size=N&page_token=T (HMA: a bank's contents, a page at a
 * time, with a token for the next page) and GET /v1/admin/lists/NAME/entries (the same).
 * Entries in id order (the order they were added); the token is opaque to clients. */
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

static void list_page(srv *s, srv_request *rq, srv_reply *r, const char *list, int hma)
{
    long size = PAGE_DEFAULT;
    const char *v = arg(rq, "page_size");
    if (v) {
        errno = 0;
        char *end;
        size = strtol(v, &end, 10);
        if (errno || end == v || *end || size < 1 || size > PAGE_MAX) {
            reply_error(r, 400, "bad_parameter", "page_size: an integer 1..%d", PAGE_MAX);
            return;
        }
    }
    uint64_t after = 0;
    const char *tok = arg(rq, "page_token");
    if (tok && parse_id(tok, &after) != 0) {
        reply_error(r, 400, "bad_parameter",
                    "page_token: not a token this service gave (next_page_token)");
        return;
    }
    lm_entry_info *page = malloc((size_t)size * sizeof *page);
    if (!page) {
        reply_error(r, 503, "no_memory", "out of memory");
        return;
    }
    size_t n = 0;
    uint64_t next = 0;
    lm_status st = lm_db_list_entries(s->db, list, after, page, (size_t)size, &n, &next);
    if (st != LM_OK) {
        free(page);
        if (st == LM_E_NOT_FOUND)
            reply_error(r, 404, "not_found", "%s '%.64s' not found", hma ? "bank" : "list", list);
        else
            db_error(s, r, st);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const lm_entry_info *e = &page[i];
        json_t *o = json_pack("{s:I, s:{s:s}, s:s, s:s, s:I}", "id", (json_int_t)e->id, "signals",
                              lm_hash_type_name(e->type), e->hash_hex, "label", e->label,
                              "reference", e->reference, "added", (json_int_t)e->added);
        if (e->type == LM_HASH_PDQ && e->quality >= 0)
            json_object_set_new(o, "quality", json_integer(e->quality));
        json_array_append_new(arr, o);
    }
    free(page);
    char nt[32];
    snprintf(nt, sizeof nt, "%" PRIu64, next);
    r->status = 200;
    r->json =
        json_pack("{s:o, s:o, s:i}", hma ? "bank_contents" : "entries", arr, "next_page_token",
                  next ? json_string(nt) : json_null(), "page_size", (int)size);
}

/* DELETE /c/bank/NAME (HMA: {"message": "Done"}) and DELETE /v1/admin/lists/NAME: the list
 * and every entry in it, one transaction; they stop matching at once. */
static void delete_list(srv *s, srv_reply *r, const char *list, int hma)
{
    if (need_writable(s, r))
        return;
    uint64_t removed = 0;
    lm_status st = lm_db_delete_list(s->db, list, &removed);
    if (st == LM_E_NOT_FOUND) {
        reply_error(r, 404, "not_found", "%s '%.64s' not found", hma ? "bank" : "list", list);
        return;
    }
    if (st != LM_OK) {
        db_error(s, r, st);
        return;
    }
    request_refresh(s); /* drop them from the index too */
    r->status = 200;
    r->json = hma ? json_pack("{s:s, s:I}", "message", "Done", "deleted", (json_int_t)removed)
                  : json_pack("{s:s, s:b, s:I}", "list", list, "deleted", 1, "entries_removed",
                              (json_int_t)removed);
}

static void entry_json(srv *s, srv_reply *r, const char *idtext, const char *bank)
{
    uint64_t id;
    if (parse_id(idtext, &id) != 0) {
        reply_error(r, 400, "bad_parameter", "an entry id is a positive integer");
        return;
    }
    lm_entry_info info;
    size_t companions = 0;
    lm_status st = lm_db_entry(s->db, id, &info, &companions);
    if (st == LM_OK && bank && strcmp(info.list, bank) != 0) {
        reply_error(r, 404, "not_found", "content '%llu' not found in bank '%.64s'",
                    (unsigned long long)id, bank);
        return;
    }
    if (st != LM_OK) {
        db_error(s, r, st);
        return;
    }
    r->status = 200;
    r->json = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:I}", "entry_id",
                        (json_int_t)info.id, "type", lm_hash_type_name(info.type), "quality",
                        info.quality, "hash", info.hash_hex, "list", info.list, "label", info.label,
                        "reference", info.reference, "added", (json_int_t)info.added, "companions",
                        (json_int_t)companions);
}

/* POST /v1/admin/entries/disable|enable {"ids": [..]} */
static void set_disabled(srv *s, srv_request *rq, srv_reply *r, int disabled)
{
    if (need_writable(s, r))
        return;
    json_t *j = parse_object(rq, r);
    if (!j)
        return;
    json_t *ids = json_object_get(j, "ids");
    size_t n = json_is_array(ids) ? json_array_size(ids) : 0;
    if (!n || n > (size_t)s->cfg.max_batch) {
        reply_error(r, 400, "bad_json", "ids: an array of 1..%d entry ids", s->cfg.max_batch);
        json_decref(j);
        return;
    }
    uint64_t *v = malloc(n * sizeof *v);
    if (!v) {
        json_decref(j);
        reply_error(r, 503, "no_memory", "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(ids, i);
        if (!json_is_integer(x) || json_integer_value(x) <= 0) {
            reply_error(r, 400, "bad_json", "ids[%zu]: a positive integer", i);
            free(v);
            json_decref(j);
            return;
        }
        v[i] = (uint64_t)json_integer_value(x);
    }
    size_t changed = 0;
    lm_status st = lm_db_set_disabled(s->db, v, n, disabled, &changed);
    free(v);
    json_decref(j);
    if (st != LM_OK) {
        db_error(s, r, st);
        return;
    }
    r->status = 200;
    r->json = json_pack("{s:I, s:b}", "changed", (json_int_t)changed, "disabled", disabled);
}

/* POST /v1/admin/lists/NAME/import?format=&type=&skip_bad=&replace=&source=&version= */
static void import_list(srv *s, srv_request *rq, srv_reply *r, const char *list)
{
    if (need_writable(s, r))
        return;
    if (!valid_list_name(list)) {
        reply_error(r, 400, "bad_parameter", "a list name is 1..%d printable bytes, no '/'",
                    LM_DB_MAX_LIST_NAME);
        return;
    }
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.list = list;
    const char *v;
    if ((v = arg(rq, "format")) && lm_db_format_parse(v, &o.format) != LM_OK) {
        reply_error(r, 400, "bad_parameter",
                    "format: hex, pdq-csv, csv, tsv, hma-csv, te-csv, ...");
        return;
    }
    if ((v = arg(rq, "type")) && lm_hash_type_parse(v, &o.type) != LM_OK) {
        reply_error(r, 400, "bad_parameter", "type: pdq, md5, sha1, sha256");
        return;
    }
    o.skip_bad = (v = arg(rq, "skip_bad")) && (!strcmp(v, "1") || !strcmp(v, "true"));
    o.replace = (v = arg(rq, "replace")) && (!strcmp(v, "1") || !strcmp(v, "true"));
    o.source = arg(rq, "source");
    o.version = arg(rq, "version");
    lm_db_import_result res;
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    lm_status st = lm_db_import_memory(s->db, rq->body, rq->body_len, &o, &res);
    if (st != LM_OK) {
        db_error(s, r, st);
        if (r->json && st == LM_E_IMPORT)
            json_object_set_new(r->json, "bad_lines", json_integer((json_int_t)res.bad));
        return;
    }
    request_refresh(s);
    r->status = 200;
    r->json = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "list", list, "format",
                        lm_db_format_name(res.format), "lines", (json_int_t)res.lines, "added",
                        (json_int_t)res.added, "duplicates", (json_int_t)res.duplicates, "bad",
                        (json_int_t)res.bad, "removed", (json_int_t)res.removed, "updated",
                        (json_int_t)res.updated, "not_found", (json_int_t)res.not_found);
}

static void stats(srv *s, srv_reply *r)
{
    lm_db_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    lm_status rc = lm_db_get_stats(s->db, &st);
    if (rc != LM_OK) {
        lm_db_stats_free(&st);
        db_error(s, r, rc);
        return;
    }
    json_t *by = json_object();
    for (int t = 1; t < LM_DB_TYPE_SLOTS; t++)
        json_object_set_new(by, lm_hash_type_name((lm_hash_type)t),
                            json_integer((json_int_t)st.by_type[t]));
    json_t *lists = json_array();
    for (size_t i = 0; i < st.list_count; i++)
        json_array_append_new(lists, json_pack("{s:s, s:I, s:I}", "name", st.lists[i].info.name,
                                               "entries", (json_int_t)st.lists[i].info.entries,
                                               "disabled", (json_int_t)st.lists[i].disabled));
    r->status = 200;
    r->json = json_pack("{s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:I, s:I}", "generation",
                        (json_int_t)st.generation, "entries", (json_int_t)st.entries, "by_type", by,
                        "disabled", (json_int_t)st.disabled, "file_bytes",
                        (json_int_t)st.file_bytes, "shared_hashes", (json_int_t)st.shared_hashes,
                        "lists", lists, "index_hashes", (json_int_t)lm_matcher_size(s->matcher),
                        "index_generation", (json_int_t)lm_matcher_generation(s->matcher));
    lm_db_stats_free(&st);
}

/* Split "/prefix/A/B/C" after prefix into up to 3 segments (copied, bounded). */
static int segments(const char *rest, char seg[3][128])
{
    int n = 0;
    while (*rest && n < 3) {
        const char *e = strchr(rest, '/');
        size_t l = e ? (size_t)(e - rest) : strlen(rest);
        if (l == 0 || l >= 128)
            return -1;
        memcpy(seg[n], rest, l);
        seg[n][l] = '\0';
        n++;
        if (!e)
            return n;
        rest = e + 1;
    }
    return *rest ? -1 : n;
}

void admin_dispatch(srv *s, int route, srv_request *rq, srv_reply *r)
{
    const char *m = rq->method;
    int get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), post = !strcmp(m, "POST"),
        put = !strcmp(m, "PUT"), del = !strcmp(m, "DELETE");
    char seg[3][128];
    if (route == R_HMA_BANKS) {
        if (get) {
            all_lists(s, r, 1);
            return;
        }
        if (need_writable(s, r))
            return;
        json_t *j = parse_object(rq, r);
        if (!j)
            return;
        json_t *name = json_object_get(j, "name");
        if (!json_is_string(name) || !valid_list_name(json_string_value(name))) {
            reply_error(r, 400, "bad_json", "name: 1..%d printable bytes", LM_DB_MAX_LIST_NAME);
            json_decref(j);
            return;
        }
        char nm[LM_DB_MAX_LIST_NAME + 1];
        snprintf(nm, sizeof nm, "%s", json_string_value(name));
        json_decref(j);
        lm_db_list_info li;
        srv_reply probe = {0};
        if (find_list(s, &probe, nm, &li) == 0) {
            reply_error(r, 403, "exists", "Bank already exists");
            return;
        }
        if (probe.json)
            json_decref(probe.json);
        lm_status st = create_list(s, nm);
        if (st != LM_OK || find_list(s, r, nm, &li) != 0) {
            if (st != LM_OK)
                db_error(s, r, st);
            return;
        }
        r->status = 201;
        r->json = list_json(s, &li, 1);
        return;
    }
    if (route == R_HMA_BANK) {
        int n = segments(rq->url + strlen("/c/bank/"), seg);
        if (n == 1 && get) {
            lm_db_list_info li;
            if (find_list(s, r, seg[0], &li) == 0) {
                r->status = 200;
                r->json = list_json(s, &li, 1);
            }
            return;
        }
        if (n == 1 && put) {
            set_attrs(s, rq, r, seg[0], 1);
            return;
        }
        if (n == 1 && del) {
            delete_list(s, r, seg[0], 1);
            return;
        }
        if (n == 2 && !strcmp(seg[1], "content") && get) {
            list_page(s, rq, r, seg[0], 1);
            return;
        }
        if (n == 2 && !strcmp(seg[1], "content") && post) {
            add_image(s, rq, r, seg[0], 1);
            return;
        }
        if (n == 2 && !strcmp(seg[1], "signal") && post) {
            hma_add_signals(s, rq, r, seg[0]);
            return;
        }
        if (n == 3 && !strcmp(seg[1], "content") && del) {
            remove_entry(s, r, seg[2], 1, seg[0]);
            return;
        }
        if (n == 3 && !strcmp(seg[1], "content") && get) {
            entry_json(s, r, seg[2], seg[0]);
            return;
        }
        reply_error(r, n > 0 ? 405 : 404, n > 0 ? "method_not_allowed" : "not_found",
                    "no such bank route or method");
        return;
    }
    /* /v1/admin/... */
    int n = segments(rq->url + strlen("/v1/admin/"), seg);
    if (n == 1 && !strcmp(seg[0], "lists") && get) {
        all_lists(s, r, 0);
        return;
    }
    if (n == 1 && !strcmp(seg[0], "stats") && get) {
        stats(s, r);
        return;
    }
    if (n == 1 && !strcmp(seg[0], "refresh") && post) {
        request_refresh(s);
        r->status = 202;
        r->json = json_pack("{s:s, s:I}", "refresh", "requested", "generation",
                            (json_int_t)lm_matcher_generation(s->matcher));
        return;
    }
    if (n == 2 && !strcmp(seg[0], "lists") && del) {
        delete_list(s, r, seg[1], 0);
        return;
    }
    if (n == 3 && !strcmp(seg[0], "lists") && !strcmp(seg[2], "entries") && get) {
        list_page(s, rq, r, seg[1], 0);
        return;
    }
    if (n == 2 && !strcmp(seg[0], "lists") && put) {
        set_attrs(s, rq, r, seg[1], 0);
        return;
    }
    if (n == 3 && !strcmp(seg[0], "lists") && !strcmp(seg[2], "import") && post) {
        import_list(s, rq, r, seg[1]);
        return;
    }
    if (n == 3 && !strcmp(seg[0], "lists") && !strcmp(seg[2], "images") && post) {
        add_image(s, rq, r, seg[1], 0);
        return;
    }
    if (n == 3 && !strcmp(seg[0], "lists") && !strcmp(seg[2], "hashes") && post) {
        /* {"hashes": [{"hash", "type", "quality", "label", "reference"}]} */
        if (need_writable(s, r))
            return;
        json_t *j = parse_object(rq, r);
        if (!j)
            return;
        json_t *hs = json_object_get(j, "hashes");
        size_t cnt = json_is_array(hs) ? json_array_size(hs) : 0;
        if (!cnt || cnt > (size_t)s->cfg.max_batch) {
            reply_error(r, 400, "bad_json", "hashes: an array of 1..%d objects", s->cfg.max_batch);
            json_decref(j);
            return;
        }
        json_t *out = json_array();
        for (size_t i = 0; i < cnt; i++) {
            json_t *h = json_array_get(hs, i);
            const char *hex = json_string_value(json_object_get(h, "hash"));
            const char *tn = json_string_value(json_object_get(h, "type"));
            json_t *q = json_object_get(h, "quality");
            lm_hash_type t = tn ? type_name(tn) : (lm_hash_type)0;
            if (!json_is_object(h) || !hex || (tn && !t) || (q && !json_is_integer(q))) {
                reply_error(r, 400, "bad_json",
                            "hashes[%zu]: {hash, type?, quality?, label?, "
                            "reference?}",
                            i);
                json_decref(out);
                json_decref(j);
                return;
            }
            lm_list_add_options o;
            lm_list_add_options_init(&o);
            o.list = seg[1];
            o.label = json_string_value(json_object_get(h, "label"));
            o.reference = json_string_value(json_object_get(h, "reference"));
            uint64_t id = 0;
            lm_status st = lm_db_add_hash(s->db, hex, strlen(hex), t,
                                          q ? (int)json_integer_value(q) : -1, &o, &id);
            if (st != LM_OK && st != LM_E_EXISTS) {
                db_error(s, r, st);
                json_decref(out);
                json_decref(j);
                return;
            }
            json_array_append_new(out, json_pack("{s:I, s:b}", "entry_id", (json_int_t)id,
                                                 "existed", st == LM_E_EXISTS));
        }
        json_decref(j);
        request_refresh(s);
        r->status = 200;
        r->json = json_pack("{s:o}", "entries", out);
        return;
    }
    if (n == 2 && !strcmp(seg[0], "entries") && get) {
        entry_json(s, r, seg[1], NULL);
        return;
    }
    if (n == 2 && !strcmp(seg[0], "entries") && del) {
        remove_entry(s, r, seg[1], 0, NULL);
        return;
    }
    if (n == 2 && !strcmp(seg[0], "entries") && post &&
        (!strcmp(seg[1], "disable") || !strcmp(seg[1], "enable"))) {
        set_disabled(s, rq, r, !strcmp(seg[1], "disable"));
        return;
    }
    reply_error(r, 404, "not_found", "no such admin route or method (see /openapi.json)");
}
