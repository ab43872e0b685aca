#include "evidence.h"

#include <inttypes.h>

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

static void matches(FILE *out, const lm_matcher *m, const lm_check_result *c)
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
        return;
    }
    fprintf(out,
            ",\"media\":\"image\",\"pdq\":\"%s\",\"quality\":%d,\"width\":%u,\"height\":%u,"
            "\"format\":\"%s\"",
            h, c->image.quality, c->image.width, c->image.height, lm_format_name(c->image.format));
}

void evidence_write(FILE *out, const lm_matcher *m, const url_item *it)
{
    static const char *const kinds[] = {"url", "page", "media"};
    const fetch_result *f = &it->f;
    fprintf(out, "{\"record\":\"%s\",\"pmatch_version\":\"%s\"", kinds[it->kind], PMATCH_VERSION);
    str_field(out, "requested_url", f->url);
    if (it->kind == URL_ITEM_MEDIA)
        str_field(out, "page_url", it->page_url);
    str_field(out, "final_url", f->final_url);
    fprintf(out, ",\"redirects\":%ld,\"http_status\":%ld", f->redirects, f->status);
    str_field(out, "content_type", f->content_type[0] ? f->content_type : NULL);
    str_field(out, "server_ip", f->ip[0] ? f->ip : NULL);
    fprintf(out, ",\"server_port\":%ld", f->port);
    str_field(out, "time", f->time_utc);
    fprintf(out, ",\"duration_ms\":%.0f", f->seconds * 1000.0);
    fprintf(out, ",\"verdict\":\"%s\"", url_item_verdict(it));
    if (it->checked) {
        fprintf(out, ",\"size\":%" PRIu64, it->size);
        hex(out, "sha256", it->check.sha256, sizeof it->check.sha256);
        hex(out, "md5", it->check.md5, sizeof it->check.md5);
        hex(out, "sha1", it->check.sha1, sizeof it->check.sha1);
        if (it->kind == URL_ITEM_PAGE)
            fputs(",\"media\":\"html\"", out);
        else
            hashes(out, &it->check);
        matches(out, m, &it->check);
    }
    if (it->kind == URL_ITEM_PAGE) {
        fputs(",\"media_items\":[", out);
        for (size_t i = 0; i < it->media.count; i++) {
            fprintf(out, "%s{\"url\":", i ? "," : "");
            json_string(out, it->media.urls[i]);
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
    }
    fputs("}\n", out);
}
