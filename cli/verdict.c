#include "verdict.h"

#include <inttypes.h>

#include "json.h"

static const char *dihedral_names[8] = {"original", "rotate90", "rotate180", "rotate270",
                                        "flipx",    "flipy",    "flip+1",    "flip-1"};

const char *verdict_name(lm_verdict v)
{
    switch (v) {
    case LM_VERDICT_MATCH: return "match";
    case LM_VERDICT_LOW_QUALITY: return "low_quality";
    case LM_VERDICT_NOT_IMAGE: return "not_image";
    case LM_VERDICT_SUPPRESSED: return "suppressed";
    default: return "no_match";
    }
}

static void hex_bytes(FILE *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", b[i]);
}

void print_item_text(FILE *out, const lm_matcher *m, const item_result *r, int min_quality)
{
    if (r->failed) {
        fputs("ERROR     ", out);
        text_name(out, r->path);
        fputs(": ", out);
        text_name(out, r->error);
        fputc('\n', out);
        return;
    }
    const lm_check_result *c = &r->check;
    if (r->archive_record && c->verdict != LM_VERDICT_MATCH &&
        c->verdict != LM_VERDICT_SUPPRESSED) {
        fputs("ARCHIVE   ", out);
        text_name(out, r->path);
        fprintf(out, ": %llu entries, %llu members checked, %s (digests checked)\n",
                (unsigned long long)r->archive_entries, (unsigned long long)r->archive_members,
                r->archive_status ? r->archive_status : "ok");
        return;
    }
    switch (c->verdict) {
    case LM_VERDICT_MATCH:
    case LM_VERDICT_SUPPRESSED:
        /* SUPPRESSED: only a negative list (known false positives) explains the matches. */
        fprintf(out, "%s ", c->verdict == LM_VERDICT_MATCH ? "MATCH    " : "SUPPRESSED");
        text_name(out, r->path);
        for (size_t i = 0; i < c->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
            const lm_match *mt = &c->matches[i];
            lm_entry_info info;
            int have = lm_matcher_entry(m, mt->entry_id, &info) == LM_OK;
            fprintf(out, "%s entry %" PRIu64 " (%s", i ? ";" : " :", mt->entry_id,
                    lm_hash_type_name(mt->type));
            if (mt->type == LM_HASH_PDQ)
                fprintf(out, " distance %d%s%s%s%s%s", mt->distance, mt->dihedral ? " " : "",
                        mt->dihedral ? dihedral_names[mt->dihedral & 7] : "",
                        mt->variant & LM_VARIANT_TRIMMED ? " trimmed" : "",
                        mt->region ? " companion " : "",
                        mt->region ? lm_region_name(mt->region) : "");
            if (mt->type == LM_HASH_PDQ && (mt->variant & LM_VARIANT_REGION))
                fprintf(out, " in region %u,%u %ux%u", mt->rect.x, mt->rect.y, mt->rect.w,
                        mt->rect.h);
            if (mt->variant & LM_VARIANT_FEATURES)
                fprintf(out, " local features, score %d", mt->score);
            if (mt->frame >= 0)
                fprintf(out, " at frame %" PRId64, mt->frame);
            if (mt->type == LM_HASH_VPDQ)
                fprintf(out, " video: %.1f%% of query frames, %.1f%% of stored frames",
                        mt->query_percent, mt->stored_percent);
            if (have)
                fprintf(out, ", list %s%s%s", info.list, info.label[0] ? ", label " : "",
                        info.label);
            if (mt->flags & LM_MATCH_NEGATIVE)
                fputs(", negative list", out);
            else if (mt->flags & LM_MATCH_SUPPRESSED)
                fputs(", suppressed", out);
            fputc(')', out);
        }
        if (c->match_count > LM_CHECK_MAX_MATCHES)
            fprintf(out, " and %zu more", c->match_count - LM_CHECK_MAX_MATCHES);
        if (check_truncated(c))
            fputs(" [truncated file]", out);
        fputc('\n', out);
        break;
    case LM_VERDICT_LOW_QUALITY:
        fputs("LOW-Q     ", out);
        text_name(out, r->path);
        fprintf(out, ": PDQ quality %d below %d, not matched (digests checked)\n", c->image.quality,
                min_quality);
        break;
    case LM_VERDICT_NOT_IMAGE:
        fputs("SKIPPED   ", out);
        text_name(out, r->path);
        fprintf(out, ": not a decodable image: %s%s", lm_strerror(c->decode_status),
                c->detail[0] ? ": " : "");
        text_name(out, c->detail);
        fputs(" (digests checked)\n", out);
        break;
    default:
        fputs("no match  ", out);
        text_name(out, r->path);
        if (check_truncated(c))
            fputs(" [truncated file]", out);
        fputc('\n', out);
        break;
    }
}

/* "mechanism": the LM_VARIANT_* flags' names joined by '+' ("plain" for none), and "score". */
static void print_mechanism(FILE *out, const lm_match *mt)
{
    fputs(",\"mechanism\":\"", out);
    int any = 0;
    for (int bit = 1; bit < (1 << 30) && bit > 0; bit <<= 1)
        if (mt->variant & bit) {
            fprintf(out, "%s%s", any ? "+" : "", lm_variant_name(bit));
            any = 1;
        }
    fprintf(out, "%s\",\"score\":%d", any ? "" : "plain", mt->score);
}

void print_item_json(FILE *out, const lm_matcher *m, const item_result *r)
{
    fputc('{', out);
    json_name(out, "path", r->path);
    if (r->failed) {
        fprintf(out, ",\"verdict\":\"error\",\"status\":%d,", r->status);
        if (r->code)
            fprintf(out, "\"code\":\"%s\",", r->code);
        fputs("\"error\":", out);
        json_string(out, r->error);
        fputs("}\n", out);
        return;
    }
    const lm_check_result *c = &r->check;
    fprintf(out, ",\"verdict\":\"%s\",\"size\":%" PRIu64 ",\"md5\":\"", verdict_name(c->verdict),
            r->size);
    hex_bytes(out, c->md5, sizeof c->md5);
    fputs("\",\"sha1\":\"", out);
    hex_bytes(out, c->sha1, sizeof c->sha1);
    fputs("\",\"sha256\":\"", out);
    hex_bytes(out, c->sha256, sizeof c->sha256);
    fputc('"', out);
    if (c->decoded) {
        char hex[LM_PDQ_HEX_CHARS + 1];
        lm_pdq_to_hex(&c->image.pdq, hex);
        if (c->is_video)
            fprintf(out, ",\"media\":\"video\",\"frames_hashed\":%zu,\"first_frame_pdq\":\"%s\"",
                    c->frames_hashed, hex);
        else
            fprintf(out,
                    ",\"media\":\"image\",\"pdq\":\"%s\",\"quality\":%d,\"width\":%u,"
                    "\"height\":%u,\"format\":\"%s\"",
                    hex, c->image.quality, c->image.width, c->image.height,
                    lm_format_name(c->image.format));
        if (check_truncated(c))
            fputs(",\"truncated\":true", out); /* the file's tail is missing (verdict.h) */
    } else {
        fprintf(out, ",\"decode_status\":%d,\"decode_error\":", (int)c->decode_status);
        json_string(out, lm_strerror(c->decode_status));
    }
    if (r->archive_record)
        fprintf(out,
                ",\"archive\":{\"entries\":%" PRIu64 ",\"members\":%" PRIu64
                ",\"depth\":%d,\"status\":\"%s\"}",
                r->archive_entries, r->archive_members, r->archive_depth,
                r->archive_status ? r->archive_status : "ok");
    fputs(",\"matches\":[", out);
    for (size_t i = 0; i < c->match_count && i < LM_CHECK_MAX_MATCHES; i++) {
        const lm_match *mt = &c->matches[i];
        fprintf(out, "%s{\"entry_id\":%" PRIu64 ",\"type\":\"%s\"", i ? "," : "", mt->entry_id,
                lm_hash_type_name(mt->type));
        if (mt->type == LM_HASH_PDQ) {
            fprintf(out, ",\"distance\":%d,\"orientation\":\"%s\",\"trimmed\":%s,\"companion\":\"%s\"",
                    mt->distance, dihedral_names[mt->dihedral & 7],
                    mt->variant & LM_VARIANT_TRIMMED ? "true" : "false", lm_region_name(mt->region));
            fprintf(out, ",\"region\":{\"x\":%u,\"y\":%u,\"w\":%u,\"h\":%u}", mt->rect.x,
                    mt->rect.y, mt->rect.w, mt->rect.h);
        }
        print_mechanism(out, mt);
        if (mt->frame >= 0)
            fprintf(out, ",\"frame\":%" PRId64, mt->frame);
        if (mt->type == LM_HASH_VPDQ)
            fprintf(out, ",\"query_percent\":%.3f,\"stored_percent\":%.3f", mt->query_percent,
                    mt->stored_percent);
        if (mt->flags & LM_MATCH_NEGATIVE)
            fputs(",\"negative\":true", out);
        if (mt->flags & LM_MATCH_SUPPRESSED)
            fputs(",\"suppressed\":true", out);
        lm_entry_info info;
        if (lm_matcher_entry(m, mt->entry_id, &info) == LM_OK) {
            fputs(",\"list\":", out);
            json_string(out, info.list);
            fputs(",\"label\":", out);
            json_string(out, info.label);
            fputs(",\"reference\":", out);
            json_string(out, info.reference);
        }
        fputc('}', out);
    }
    fprintf(out, "],\"match_count\":%zu}\n", c->match_count);
}
