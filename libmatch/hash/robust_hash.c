/*
 * Trimmed and companion hashes from one decode. Both work on the decoded
 * buffer the plain hash is computed from (at most 512x512 after the
 * reference's nearest-neighbour step), so memory stays bounded by that buffer
 * and one float luma copy of it; PDQ downsamples to 64x64 anyway, so a
 * 512-pixel working image loses nothing the hash would keep.
 */
#include "robust_hash.h"

#include <stdlib.h>
#include <string.h>

#include "local_features.h"
#include "pdq.h"
#include "pixel_hash.h"
#include "region.h"

/* Region rectangles in thousandths of each side: x0, y0, x1, y1. Codes are stored on disk. */
static const uint16_t region_table[LM_REGION_MAX_CODE + 1][4] = {
    [LM_REGION_CENTER_90] = {50, 50, 950, 950},
    [LM_REGION_CENTER_80] = {100, 100, 900, 900},
    [LM_REGION_TOP_LEFT_90] = {0, 0, 900, 900},
    [LM_REGION_TOP_RIGHT_90] = {100, 0, 1000, 900},
    [LM_REGION_BOTTOM_LEFT_90] = {0, 100, 900, 1000},
    [LM_REGION_BOTTOM_RIGHT_90] = {100, 100, 1000, 1000},
    [LM_REGION_CENTER_95] = {25, 25, 975, 975},
    [LM_REGION_TOP_LEFT_95] = {0, 0, 950, 950},
    [LM_REGION_TOP_RIGHT_95] = {50, 0, 1000, 950},
    [LM_REGION_BOTTOM_LEFT_95] = {0, 50, 950, 1000},
    [LM_REGION_BOTTOM_RIGHT_95] = {50, 50, 1000, 1000},
    [LM_REGION_CENTER_85] = {75, 75, 925, 925},
    [LM_REGION_TOP_90] = {0, 0, 1000, 900},
    [LM_REGION_BOTTOM_90] = {0, 100, 1000, 1000},
    [LM_REGION_LEFT_90] = {0, 0, 900, 1000},
    [LM_REGION_RIGHT_90] = {100, 0, 1000, 1000},
    [LM_REGION_TOP_95] = {0, 0, 1000, 950},
    [LM_REGION_BOTTOM_95] = {0, 50, 1000, 1000},
    [LM_REGION_LEFT_95] = {0, 0, 950, 1000},
    [LM_REGION_RIGHT_95] = {50, 0, 1000, 1000},
};

/*
 * Chosen with bench/robustness: PDQ moves by 30+ bits for a 2% shift of the
 * frame, so a companion helps only for crops within about 1% of it. The nine
 * usual anchors (centred, four corners, four single sides) at 95% and 90%
 * catch 5% and 10% crops made that way; fewer sets left one of them near 50%.
 */
const uint8_t lm_default_companion_regions[] = {
    LM_REGION_CENTER_95,      LM_REGION_TOP_LEFT_95,     LM_REGION_TOP_RIGHT_95,
    LM_REGION_BOTTOM_LEFT_95, LM_REGION_BOTTOM_RIGHT_95, LM_REGION_TOP_95,
    LM_REGION_BOTTOM_95,      LM_REGION_LEFT_95,         LM_REGION_RIGHT_95,
    LM_REGION_CENTER_90,      LM_REGION_TOP_LEFT_90,     LM_REGION_TOP_RIGHT_90,
    LM_REGION_BOTTOM_LEFT_90, LM_REGION_BOTTOM_RIGHT_90, LM_REGION_TOP_90,
    LM_REGION_BOTTOM_90,      LM_REGION_LEFT_90,         LM_REGION_RIGHT_90,
};
const size_t lm_default_companion_count = sizeof lm_default_companion_regions;

const char *lm_region_name(int region)
{
    static const char *const names[LM_REGION_MAX_CODE + 1] = {
        [LM_REGION_WHOLE] = "whole",
        [LM_REGION_CENTER_90] = "center90",
        [LM_REGION_CENTER_80] = "center80",
        [LM_REGION_TOP_LEFT_90] = "top-left90",
        [LM_REGION_TOP_RIGHT_90] = "top-right90",
        [LM_REGION_BOTTOM_LEFT_90] = "bottom-left90",
        [LM_REGION_BOTTOM_RIGHT_90] = "bottom-right90",
        [LM_REGION_TRIMMED] = "trimmed",
        [LM_REGION_CENTER_95] = "center95",
        [LM_REGION_TOP_LEFT_95] = "top-left95",
        [LM_REGION_TOP_RIGHT_95] = "top-right95",
        [LM_REGION_BOTTOM_LEFT_95] = "bottom-left95",
        [LM_REGION_BOTTOM_RIGHT_95] = "bottom-right95",
        [LM_REGION_CENTER_85] = "center85",
        [LM_REGION_TOP_90] = "top90",
        [LM_REGION_BOTTOM_90] = "bottom90",
        [LM_REGION_LEFT_90] = "left90",
        [LM_REGION_RIGHT_90] = "right90",
        [LM_REGION_TOP_95] = "top95",
        [LM_REGION_BOTTOM_95] = "bottom95",
        [LM_REGION_LEFT_95] = "left95",
        [LM_REGION_RIGHT_95] = "right95",
    };
    return region >= 0 && region <= LM_REGION_MAX_CODE && names[region] ? names[region] : "unknown";
}

int lm_region_rect(int code, uint32_t width, uint32_t height, uint32_t *x, uint32_t *y, uint32_t *w,
                   uint32_t *h)
{
    if (code < 1 || code > LM_REGION_MAX_CODE || region_table[code][2] == 0)
        return -1;
    const uint16_t *r = region_table[code];
    uint64_t x0 = ((uint64_t)width * r[0] + 500) / 1000, x1 = ((uint64_t)width * r[2] + 500) / 1000;
    uint64_t y0 = ((uint64_t)height * r[1] + 500) / 1000,
             y1 = ((uint64_t)height * r[3] + 500) / 1000;
    if (x1 <= x0 || y1 <= y0)
        return -1;
    *x = (uint32_t)x0;
    *y = (uint32_t)y0;
    *w = (uint32_t)(x1 - x0);
    *h = (uint32_t)(y1 - y0);
    return 0;
}

lm_status lm_hash_subimage(const lm_pixels *px, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                           int dihedral, lm_image_hash *out, lm_errbuf *err)
{
    if (w == 0 || h == 0 || x > px->width || y > px->height || w > px->width - x ||
        h > px->height - y)
        return lm_errbuf_set(err, LM_E_INTERNAL, "sub-image outside the image");
    const uint8_t *origin = px->data + (size_t)y * px->stride + (size_t)x * (size_t)px->channels;
    if (lm_pdq_hash_pixels(origin, w, h, px->stride, px->channels, dihedral, NULL, out) != LM_OK)
        return lm_errbuf_set(err, LM_E_NOMEM, "no memory for %ux%u luma", w, h);
    return LM_OK;
}

/* The content rectangle inside detected bands; 0 when there are none or it is too small. */
static int trimmed_rect(const lm_pixels *px, lm_border_bands *b, uint32_t *x, uint32_t *y,
                        uint32_t *w, uint32_t *h)
{
    if (!lm_border_detect(&lm_border_image, px->data, px->width, px->height, px->stride,
                          px->channels, b))
        return 0;
    *x = b->left;
    *y = b->top;
    *w = px->width - b->left - b->right;
    *h = px->height - b->top - b->bottom;
    return *w >= LM_PDQ_MIN_DIM && *h >= LM_PDQ_MIN_DIM;
}

/*
 * Keypoints on a caption band or a screenshot's UI are dropped: bars, page and
 * text-like strokes recur across unrelated images in the same place, so two
 * different memes or screenshots of one app verified 16-33 inliers on them
 * (bench-feature-trust). The content rectangle is the innermost proposal of
 * kind bands (region/region.c) of the decoded buffer; keypoints whose level-0
 * position maps outside it are removed (order kept). Out of memory: none dropped.
 */
static void drop_band_keypoints(const lm_pixels *px, lm_features *f)
{
    if (f->count == 0 || f->width == 0 || f->height == 0)
        return;
    size_t n = (size_t)px->width * px->height;
    float *luma = malloc(n * sizeof *luma);
    if (!luma)
        return;
    lm_pdq_luma_from_pixels(px->data, px->width, px->height, px->stride, px->channels, luma);
    lm_region_proposal p[LM_REGION_MAX_PROPOSALS];
    size_t np = lm_region_propose(luma, px->width, px->height, NULL, p);
    free(luma);
    const lm_rect *in = NULL;
    for (size_t i = 0; i < np; i++)
        if (p[i].kind == LM_REGION_KIND_BANDS &&
            (!in || (uint64_t)p[i].rect.w * p[i].rect.h < (uint64_t)in->w * in->h))
            in = &p[i].rect;
    if (!in)
        return;
    /* the working image is the whole buffer resampled: level-0 x * width / f->width */
    double sx = (double)px->width / (16.0 * f->width), sy = (double)px->height / (16.0 * f->height);
    uint16_t k = 0;
    for (uint16_t i = 0; i < f->count; i++) {
        double x = f->f[i].x * sx, y = f->f[i].y * sy;
        if (x >= in->x && x < (double)in->x + in->w && y >= in->y && y < (double)in->y + in->h)
            f->f[k++] = f->f[i];
    }
    f->count = k;
}

/* The local features of a decoded image (their own working image, see local_features.h). */
static lm_status pixel_features(const lm_pixels *px, lm_features *f, lm_errbuf *err)
{
    lm_status st = lm_features_compute(px->data, px->width, px->height, px->stride, px->channels,
                                       px->source_width, px->source_height, f);
    if (st != LM_OK)
        return (lm_status)lm_errbuf_set(err, st, "no memory for the local features");
    drop_band_keypoints(px, f);
    return LM_OK;
}

lm_rect lm_rect_to_source(const lm_pixels *px, lm_rect r)
{
    uint64_t sw = px->source_width ? px->source_width : px->width;
    uint64_t sh = px->source_height ? px->source_height : px->height;
    if (px->width == sh && px->height == sw && sw != sh) { /* oriented by EXIF: sides swapped */
        uint64_t t = sw;
        sw = sh;
        sh = t;
    }
    uint64_t x0 = r.x * sw / px->width, x1 = (uint64_t)(r.x + r.w) * sw / px->width;
    uint64_t y0 = r.y * sh / px->height, y1 = (uint64_t)(r.y + r.h) * sh / px->height;
    lm_rect out = {(uint32_t)x0, (uint32_t)y0, (uint32_t)(x1 - x0), (uint32_t)(y1 - y0)};
    return out;
}

lm_status lm_query_hashes_compute(const lm_decode_opts *opts, int dihedral, int trim, int regions,
                                  const void *data, size_t len, lm_query_hashes *out,
                                  lm_errbuf *err)
{
    return lm_query_hashes_compute_ex(opts, dihedral, trim, regions, NULL, data, len, out, err);
}

lm_status lm_query_features(const lm_pixels *px, lm_features *f, lm_errbuf *err)
{
    f->count = 0;
    return pixel_features(px, f, err);
}

lm_status lm_query_hashes_compute_ex(const lm_decode_opts *opts, int dihedral, int trim,
                                     int regions, lm_pixels *keep, const void *data, size_t len,
                                     lm_query_hashes *out, lm_errbuf *err)
{
    memset(out, 0, sizeof *out);
    lm_pixels px;
    lm_status st = lm_decode_image(data, len, opts, &px, err);
    if (st != LM_OK)
        return st;
    /* One luma of the whole image; each rectangle is a copy of part of it, hashed in place. */
    size_t n = (size_t)px.width * px.height;
    float *luma = malloc(n * 3 * sizeof(float));
    if (!luma) {
        lm_pixels_free(&px);
        return lm_errbuf_set(err, LM_E_NOMEM, "no memory for %ux%u luma", px.width, px.height);
    }
    float *work = luma + n; /* a rectangle's copy and its scratch */
    lm_pdq_luma_from_pixels(px.data, px.width, px.height, px.stride, px.channels, luma);
    uint32_t x, y, w, h;
    lm_rect trect = {0, 0, 0, 0};
    if (trim && trimmed_rect(&px, &out->bands, &x, &y, &w, &h)) {
        trect = (lm_rect){x, y, w, h};
        lm_pdq_hash_luma_rect(luma, px.width, trect, work, dihedral, &out->trimmed);
        out->trimmed.format = px.format;
        out->trimmed_rect = lm_rect_to_source(&px, trect);
        out->has_trimmed = 1;
    }
    if (regions) {
        lm_region_proposal p[LM_REGION_MAX_PROPOSALS];
        size_t np =
            lm_region_propose(luma, px.width, px.height, out->has_trimmed ? &trect : NULL, p);
        for (size_t i = 0; i < np; i++) {
            lm_query_region *q = &out->regions[out->region_count++];
            lm_pdq_hash_luma_rect(luma, px.width, p[i].rect, work, dihedral, &q->hash);
            q->hash.format = px.format;
            q->rect = lm_rect_to_source(&px, p[i].rect);
            q->kind = p[i].kind;
        }
    }
    /* The whole image last: hashing overwrites the luma. */
    lm_image_hash *im = &out->image;
    lm_pdq_hash_luma_image(luma, work, px.width, px.height, dihedral, im);
    free(luma);
    im->width = px.source_width;
    im->height = px.source_height;
    im->format = px.format;
    im->truncated = px.truncated; /* lm_check's records and the scan hash cache carry it */
    out->inexact = px.inexact;
    if (keep)
        *keep = px; /* the caller's now (lazy local features) */
    else
        lm_pixels_free(&px);
    return LM_OK;
}

static int already_have(const lm_companion_hashes *c, const lm_pdq_hash *hash)
{
    if (memcmp(&c->image.pdq, hash, sizeof *hash) == 0)
        return 1;
    for (size_t i = 0; i < c->count; i++)
        if (memcmp(&c->hash[i], hash, sizeof *hash) == 0)
            return 1;
    return 0;
}

lm_status lm_companions_compute(const lm_decode_opts *opts, const uint8_t *regions, size_t nregions,
                                int trimmed, const void *data, size_t len, lm_companion_hashes *out,
                                lm_errbuf *err)
{
    return lm_companions_compute_ex(opts, regions, nregions, trimmed, NULL, data, len, out, err);
}

lm_status lm_companions_compute_ex(const lm_decode_opts *opts, const uint8_t *regions,
                                   size_t nregions, int trimmed, lm_features *features,
                                   const void *data, size_t len, lm_companion_hashes *out,
                                   lm_errbuf *err)
{
    memset(out, 0, sizeof *out);
    if (features)
        features->count = 0;
    lm_pixels px;
    lm_status st = lm_hash_image_data(opts, 0, data, len, &px, &out->image, err);
    if (st != LM_OK)
        return st;
    if (features && (st = pixel_features(&px, features, err)) != LM_OK) {
        lm_pixels_free(&px);
        return st;
    }
    for (size_t i = 0; st == LM_OK && i <= nregions && out->count < LM_MAX_COMPANIONS; i++) {
        uint32_t x, y, w, h;
        int code;
        lm_border_bands b;
        if (i < nregions) {
            code = regions[i];
            if (lm_region_rect(code, px.width, px.height, &x, &y, &w, &h) != 0)
                continue;
        } else {
            code = LM_REGION_TRIMMED;
            if (!trimmed || !trimmed_rect(&px, &b, &x, &y, &w, &h))
                continue;
        }
        if (w < LM_PDQ_MIN_DIM || h < LM_PDQ_MIN_DIM)
            continue;
        lm_image_hash sub;
        st = lm_hash_subimage(&px, x, y, w, h, 0, &sub, err);
        if (st == LM_OK && !already_have(out, &sub.pdq)) {
            out->region[out->count] = (uint8_t)code;
            out->hash[out->count] = sub.pdq;
            out->quality[out->count] = sub.quality;
            out->count++;
        }
    }
    lm_pixels_free(&px);
    return st;
}
