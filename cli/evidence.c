#include "evidence.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "verdict.h"

static const char *const orientation[8] = {"original", "rotate90", "rotate180", "rotate270",
                                           "flipx",    "flipy",    "flip+1",    "flip-1"};

const char *url_item_verdict(const url_item *it)
{
    if (it->error_code)
        return "error";
    if (it->kind == URL_ITEM_PAGE) {
        if (it->media_matched || (it->checked && it->check.verdict == LM_VERDICT_MATCH))
            return "match";
        return it->media_failed ? "error" : "no_match";
    }
    return verdict_name(it->check.verdict);
}

void evidence_lists_load(evidence_lists *l, const char *db_path, const lm_matcher *m)
{
    memset(l, 0, sizeof *l);
    lm_db *db = NULL;
    if (!db_path || lm_db_open(db_path, LM_DB_READONLY, &db) != LM_OK) {
        lm_db_close(db); /* a failed handle holds the error only */
        return;
    }
    uint64_t g0 = 0, g1 = 1;
    size_t n = 0;
    if (lm_db_generation(db, &g0) == LM_OK && lm_db_lists(db, NULL, 0, &n) == LM_OK && n > 0 &&
        n < 100000 && (l->lists = calloc(n, sizeof *l->lists)) &&
        lm_db_lists(db, l->lists, n, &l->count) == LM_OK && lm_db_generation(db, &g1) == LM_OK &&
        g0 == g1 && g0 == lm_matcher_generation(m)) {
        l->valid = 1; /* the lists as the matcher's snapshot saw them */
        l->generation = g0;
        if (l->count > n)
            l->count = n;
    } else {
        free(l->lists);
        memset(l, 0, sizeof *l);
    }
    lm_db_close(db);
}

void evidence_lists_free(evidence_lists *l)
{
    if (l)
        free(l->lists);
}

char *evidence_redact_url(const char *url)
{
    if (!url)
        return NULL;
    size_t n = strlen(url);
    if (strncmp(url, "data:", 5) == 0) {
        const char *comma = strchr(url, ',');
        size_t keep = comma ? (size_t)(comma - url) + 1 : n;
        if (keep > 200)
            keep = 200; /* a media type is short; a data URL's header has no business longer */
        char *r = malloc(keep + 1);
        if (r) {
            memcpy(r, url, keep);
            r[keep] = 0;
        }
        return r;
    }
    /* scheme://[userinfo@]host...: the authority runs to the first '/', '?' or '#' (a '\\'
     * does not end it here, so more is removed rather than less); its userinfo to the last
     * '@' in it. */
    const char *sep = strstr(url, "://");
    const char *cut_from = NULL, *cut_to = NULL;
    if (sep && strcspn(url, "/?#") == (size_t)(sep - url) + 1) {
        const char *auth = sep + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = NULL;
        for (size_t i = 0; i < alen; i++)
            if (auth[i] == '@')
                at = auth + i;
        if (at) {
            cut_from = auth;
            cut_to = at + 1;
        }
    }
    size_t out_len = cut_from ? n - (size_t)(cut_to - cut_from) : n;
    char *r = malloc(out_len + 1);
    if (!r)
        return NULL;
    if (cut_from) {
        size_t head = (size_t)(cut_from - url);
        memcpy(r, url, head);
        memcpy(r + head, cut_to, n - (size_t)(cut_to - url) + 1);
    } else {
        memcpy(r, url, n + 1);
    }
    return r;
}

/* A URL field, redacted. */
static void url_field(FILE *out, const char *key, const char *url)
{
    fprintf(out, ",\"%s\":", key);
    char *r = url ? evidence_redact_url(url) : NULL;
    if (r)
        json_string(out, r);
    else
        fputs(url ? "\"\"" : "null", out);
    free(r);
}

static void hex(FILE *out, const char *key, const uint8_t *b, size_t n)
{
    fprintf(out, ",\"%s\":\"", key);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", b[i]);
    fputc('"', out);
}

static void str_field(FILE *out, const char *key, const char *value)
{
    fprintf(out, ",\"%s\":", key);
    if (value)
        json_string(out, value);
    else
        fputs("null", out);
}

static const lm_db_list_info *list_named(const evidence_lists *l, const char *name)
{
    for (size_t i = 0; l && l->valid && i < l->count; i++)
        if (strcmp(l->lists[i].name, name) == 0)
            return &l->lists[i];
    return NULL;
}

static void matches(FILE *out, const lm_matcher *m, const evidence_lists *lists,
                    const lm_check_result *c)
{
    fputs(",\"matches\":[", out);
    for (size_t i = 0; i < c->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
        const lm_match *mt = &c->matches[i];
        fprintf(out, "%s{\"entry_id\":%" PRIu64 ",\"type\":\"%s\"", i ? "," : "", mt->entry_id,
                lm_hash_type_name(mt->type));
        if (mt->type == LM_HASH_PDQ)
            fprintf(out, ",\"distance\":%d,\"orientation\":\"%s\"", mt->distance,
                    orientation[mt->dihedral & 7]);
        if (mt->frame >= 0)
            fprintf(out, ",\"frame\":%" PRId64, mt->frame);
        lm_entry_info info;
        if (lm_matcher_entry(m, mt->entry_id, &info) == LM_OK) {
            str_field(out, "list", info.list);
            str_field(out, "label", info.label);
            str_field(out, "reference", info.reference);
            const lm_db_list_info *li = list_named(lists, info.list);
            if (li) {
                str_field(out, "list_version", li->version);
                str_field(out, "list_source", li->source);
            }
        }
        fputc('}', out);
    }
    fprintf(out, "],\"match_count\":%zu", c->match_count);
}

static void hashes(FILE *out, const lm_check_result *c)
{
    if (!c->decoded) {
        fprintf(out, ",\"media\":\"other\",\"decode_status\":%d", (int)c->decode_status);
        str_field(out, "decode_error", lm_strerror(c->decode_status));
        return;
    }
    char h[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&c->image.pdq, h);
    if (c->is_video) {
        fprintf(out, ",\"media\":\"video\",\"frames_hashed\":%zu,\"first_frame_pdq\":\"%s\"",
                c->frames_hashed, h);
        fputs(",\"matched_frames\":[", out);
        int first = 1;
        for (size_t i = 0; i < c->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
            int64_t f = c->matches[i].frame;
            int seen = f < 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = c->matches[j].frame == f;
            if (!seen) {
                fprintf(out, "%s%" PRId64, first ? "" : ",", f);
                first = 0;
            }
        }
        fputc(']', out);
        if (check_truncated(c))
            fputs(",\"truncated\":true", out);
        return;
    }
    fprintf(out,
            ",\"media\":\"image\",\"pdq\":\"%s\",\"quality\":%d,\"width\":%u,\"height\":%u,"
            "\"format\":\"%s\"",
            h, c->image.quality, c->image.width, c->image.height, lm_format_name(c->image.format));
    if (check_truncated(c))
        fputs(",\"truncated\":true", out);
}

static void tls_object(FILE *out, const fetch_tls *t)
{
    fputs("{\"subject\":", out);
    json_string(out, t->subject);
    fputs(",\"issuer\":", out);
    json_string(out, t->issuer);
    fprintf(out, ",\"sha256\":\"%s\"}", t->sha256);
}

/* Where the bytes came from: each request, the sockets opened or refused, the certificate. */
static void provenance(FILE *out, const fetch_result *f)
{
    if (f->content_encoding[0])
        str_field(out, "content_encoding", f->content_encoding);
    fputs(",\"redirect_chain\":[", out);
    for (size_t i = 0; i < f->nhops; i++) {
        const fetch_hop *h = &f->hops[i];
        fputs(i ? ",{\"url\":" : "{\"url\":", out);
        char *u = h->url ? evidence_redact_url(h->url) : NULL;
        json_string(out, u ? u : "");
        free(u);
        fprintf(out, ",\"http_status\":%ld", h->status);
        str_field(out, "server_ip", h->ip[0] ? h->ip : NULL);
        fprintf(out, ",\"server_port\":%ld", h->port);
        if (h->tls.present) {
            fputs(",\"tls\":", out);
            tls_object(out, &h->tls);
        }
        fputc('}', out);
    }
    fputs("],\"addresses_tried\":[", out);
    for (size_t i = 0; i < f->naddrs; i++) {
        const fetch_addr *a = &f->addrs[i];
        fprintf(out, "%s{\"address\":", i ? "," : "");
        json_string(out, a->ip);
        fprintf(out, ",\"port\":%u,\"allowed\":%s,\"class\":\"%s\"}", a->port,
                a->allowed ? "true" : "false", addr_class_name(a->cls));
    }
    fputc(']', out);
    if (f->addrs_dropped)
        fprintf(out, ",\"addresses_not_recorded\":%zu", f->addrs_dropped);
    if (f->tls.present) {
        fputs(",\"tls\":", out);
        tls_object(out, &f->tls);
    }
}

void evidence_write(FILE *out, const lm_matcher *m, const evidence_lists *lists, const url_item *it)
{
    static const char *const kinds[] = {"url", "page", "media"};
    const fetch_result *f = &it->f;
    fprintf(out, "{\"record\":\"%s\",\"pmatch_version\":\"%s\"", kinds[it->kind], PMATCH_VERSION);
    url_field(out, "requested_url", f->url);
    if (it->kind == URL_ITEM_MEDIA)
        url_field(out, "page_url", it->page_url);
    url_field(out, "final_url", f->final_url);
    fprintf(out, ",\"redirects\":%ld,\"http_status\":%ld", f->redirects, f->status);
    str_field(out, "content_type", f->content_type[0] ? f->content_type : NULL);
    str_field(out, "server_ip", f->ip[0] ? f->ip : NULL);
    fprintf(out, ",\"server_port\":%ld", f->port);
    str_field(out, "time", f->time_utc);
    fprintf(out, ",\"duration_ms\":%.0f", f->seconds * 1000.0);
    provenance(out, f);
    fprintf(out, ",\"verdict\":\"%s\"", url_item_verdict(it));
    if (it->checked) {
        fprintf(out, ",\"list_generation\":%" PRIu64, it->list_generation);
        fprintf(out, ",\"size\":%" PRIu64, it->size);
        hex(out, "sha256", it->check.sha256, sizeof it->check.sha256);
        hex(out, "md5", it->check.md5, sizeof it->check.md5);
        hex(out, "sha1", it->check.sha1, sizeof it->check.sha1);
        if (it->kind == URL_ITEM_PAGE)
            fputs(",\"media\":\"html\"", out);
        else
            hashes(out, &it->check);
        matches(out, m, lists, &it->check);
    }
    if (it->kind == URL_ITEM_PAGE) {
        fputs(",\"media_items\":[", out);
        for (size_t i = 0; i < it->media.count; i++) {
            fputs(i ? ",{\"url\":" : "{\"url\":", out);
            char *u = evidence_redact_url(it->media.urls[i]);
            json_string(out, u ? u : "");
            free(u);
            fprintf(out, ",\"verdict\":\"%s\"}", url_item_verdict(&it->media_items[i]));
        }
        fprintf(out,
                "],\"media_count\":%zu,\"media_truncated\":%s,"
                "\"media_matched\":%zu,\"media_errors\":%zu",
                it->media.count, it->media_truncated ? "true" : "false", it->media_matched,
                it->media_failed);
    }
    if (it->error_code) {
        str_field(out, "error_code", it->error_code);
        str_field(out, "error", it->error);
        if (f->error_code && strcmp(f->error_code, "address_not_allowed") == 0) {
            str_field(out, "refused_address", f->refused_ip);
            str_field(out, "refused_class", addr_class_name(f->refused_class));
        }
    }
    fputs("}\n", out);
}
