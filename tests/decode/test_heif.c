/*
 * HEIC and AVIF stills through libheif, on images this test generates and
 * encodes: lossless files decode to exactly the pixels (and hash) of the same
 * image as PNG, lossy ones stay within the codec's loss, irot/imir orientation
 * is applied only with the orientation option, alpha is composited like PNG's,
 * sniffing tells a still from an image sequence, and hostile files (truncated,
 * declared sizes beyond the limits, damaged boxes) give exact error codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode_compare.h"
#include "decode.h"
#include "decode_internal.h"
#include "libmatch.h"
#include "synth.h"
#include "synth_heif.h"

static lm_status decode(const uint8_t *d, size_t n, int orient, uint64_t max_pixels, lm_pixels *px)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.exif_orient = orient;
    if (max_pixels)
        o.max_pixels = max_pixels;
    lm_errbuf err = {{0}};
    lm_status st = lm_decode_image(d, n, &o, px, &err);
    if (st != LM_OK)
        fprintf(stderr, "  decode: %s (%s)\n", lm_strerror(st), err.msg);
    return st;
}

/* Lossless HEIC/AVIF: same pixels and the same hash as the PNG of the image, and a fixed hash. */
static void lossless_equals_png(int avif, uint32_t w, uint32_t h, int channels, uint64_t seed,
                                const char *want_hex)
{
    synth_image img, src;
    CHECK(synth_make(&img, w, h, seed) == 0);
    if (channels == 4)
        CHECK(synth_add_alpha(&img, &src, seed + 1) == 0);
    else
        src = img;
    uint8_t *heif = NULL, *png = NULL;
    size_t hn = 0, pn = 0;
    CHECK(synth_encode_heif(&src, avif, 1, 100, 0, &heif, &hn) == 0);
    CHECK(synth_encode_png(&src, channels == 4 ? 6 : 2, 8, 0, &png, &pn) == 0);
    CHECK_EQ_INT(lm_detect_format(heif, hn), avif ? LM_FORMAT_AVIF : LM_FORMAT_HEIF);
    lm_format format = avif ? LM_FORMAT_AVIF : LM_FORMAT_HEIF;
    char what[64], hex[LM_PDQ_HEX_CHARS + 1];
    snprintf(what, sizeof what, "%s %ux%ux%d", avif ? "avif" : "heic", w, h, channels);
    lm_image_hash ha;
    int d = lossless_as_png(what, heif, hn, format, png, pn, w, h, &ha, hex);
    printf("%s lossless %ux%ux%d: %s (png distance %d)\n", avif ? "avif" : "heic", w, h, channels,
           hex, d);
    CHECK_EQ_INT(ha.format, format);
    if (want_hex)
        CHECK_EQ_STR(hex, want_hex);
    free(heif);
    free(png);
    if (channels == 4)
        synth_free(&src);
    synth_free(&img);
}

/* Lossy: within the codec's loss of the PNG hash. */
static void lossy_near_png(int avif)
{
    synth_image img;
    CHECK(synth_make(&img, 640, 480, 77) == 0);
    uint8_t *heif = NULL, *png = NULL;
    size_t hn = 0, pn = 0;
    CHECK(synth_encode_heif(&img, avif, 0, 80, 0, &heif, &hn) == 0);
    CHECK(synth_encode_png(&img, 2, 8, 0, &png, &pn) == 0);
    lm_image_hash ha, hb;
    hash_of(heif, hn, &ha);
    hash_of(png, pn, &hb);
    int d = lm_pdq_distance(&ha.pdq, &hb.pdq);
    printf("%s lossy q80 640x480: distance to PNG %d\n", avif ? "avif" : "heic", d);
    CHECK(d <= 16);
    free(heif);
    free(png);
    synth_free(&img);
}

/* irot/imir: applied with the orientation option (as JPEG's EXIF), stored pixels without. */
static void orientation(int avif)
{
    synth_image img;
    CHECK(synth_make(&img, 200, 120, 5) == 0);
    uint8_t *png = NULL;
    size_t pn = 0;
    CHECK(synth_encode_png(&img, 2, 8, 0, &png, &pn) == 0);
    for (int o = 2; o <= 8; o++) {
        uint8_t *heif = NULL;
        size_t hn = 0;
        CHECK(synth_encode_heif(&img, avif, 1, 100, o, &heif, &hn) == 0);
        lm_pixels stored, shown, want;
        CHECK_EQ_INT(decode(heif, hn, 0, 0, &stored), LM_OK);
        CHECK_EQ_INT(decode(heif, hn, 1, 0, &shown), LM_OK);
        CHECK_EQ_INT(decode(png, pn, 0, 0, &want), LM_OK);
        CHECK(same_pixels(&stored, &want));
        lm_errbuf err = {{0}};
        CHECK_EQ_INT(lm_orient_pixels(&want, o, &err), LM_OK);
        if (!same_pixels(&shown, &want))
            fprintf(stderr, "%s orientation %d: not applied like EXIF %d\n",
                    avif ? "avif" : "heic", o, o);
        CHECK(same_pixels(&shown, &want));
        lm_pixels_free(&stored);
        lm_pixels_free(&shown);
        lm_pixels_free(&want);
        free(heif);
    }
    free(png);
    synth_free(&img);
}

static uint8_t *find_box(uint8_t *d, size_t n, const char *type)
{
    for (size_t i = 4; i + 16 <= n; i++)
        if (memcmp(d + i, type, 4) == 0)
            return d + i;
    return NULL;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void hostile(int avif)
{
    synth_image img;
    CHECK(synth_make(&img, 96, 64, 9) == 0);
    uint8_t *heif = NULL;
    size_t hn = 0;
    CHECK(synth_encode_heif(&img, avif, 0, 50, 0, &heif, &hn) == 0);
    lm_pixels px;
    /* Cut anywhere: corrupt, never a crash. */
    size_t cuts[] = {40, 64, hn / 3, hn / 2, hn - 40, hn - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        lm_status st = decode(heif, cuts[i], 0, 0, &px);
        CHECK(st == LM_E_CORRUPT);
        CHECK(px.data == NULL);
    }
    /* Declared pixels over the limit: refused before decoding. */
    CHECK_EQ_INT(decode(heif, hn, 0, 96 * 64 - 1, &px), LM_E_LIMIT_PIXELS);
    uint8_t *copy = malloc(hn);
    memcpy(copy, heif, hn);
    uint8_t *ispe = find_box(copy, hn, "ispe");
    CHECK(ispe != NULL);
    if (ispe) {
        put_be32(ispe + 8, 70000); /* width beyond the 65535 default limit */
        CHECK_EQ_INT(decode(copy, hn, 0, 0, &px), LM_E_LIMIT_DIMENSION);
        put_be32(ispe + 8, 20000);
        put_be32(ispe + 12, 20000); /* 400 MP, 4x the default pixel limit */
        CHECK_EQ_INT(decode(copy, hn, 0, 0, &px), LM_E_LIMIT_PIXELS);
        put_be32(ispe + 8, 0);
        CHECK_EQ_INT(decode(copy, hn, 0, 0, &px), LM_E_CORRUPT);
        /* ispe smaller than the coded image: refused (libheif checks the decoded size). */
        memcpy(copy, heif, hn);
        put_be32(ispe + 8, 8);
        put_be32(ispe + 12, 8);
        lm_status st = decode(copy, hn, 0, 0, &px);
        printf("%s: ispe 8x8 over a 96x64 image: %s\n", avif ? "avif" : "heic", lm_strerror(st));
        if (st == LM_OK)
            lm_pixels_free(&px);
    }
    /* The coded data zeroed: corrupt. */
    memcpy(copy, heif, hn);
    uint8_t *mdat = find_box(copy, hn, "mdat");
    CHECK(mdat != NULL);
    if (mdat) {
        memset(mdat + 4, 0, (size_t)(copy + hn - (mdat + 4)));
        CHECK_EQ_INT(decode(copy, hn, 0, 0, &px), LM_E_CORRUPT);
    }
    /* A meta box gone: corrupt (the brand promised an image). */
    memcpy(copy, heif, hn);
    uint8_t *meta = find_box(copy, hn, "meta");
    if (meta) {
        memcpy(meta, "free", 4);
        CHECK_EQ_INT(decode(copy, hn, 0, 0, &px), LM_E_CORRUPT);
    }
    free(copy);
    free(heif);
    synth_free(&img);
}

static void sniffing(void)
{
    uint8_t box[32] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f', 0, 0, 0, 0,
                       'm', 'i', 'f', '1', 'm', 'i', 'a', 'f'};
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_AVIF);
    memcpy(box + 8, "heic", 4);
    memcpy(box + 20, "heic", 4);
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_HEIF);
    memcpy(box + 8, "mif1", 4);
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_HEIF);
    /* Image sequences / animated AVIF are videos: not sniffed as stills. */
    memcpy(box + 8, "avis", 4);
    memcpy(box + 20, "avif", 4);
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_UNKNOWN);
    memcpy(box + 8, "heic", 4);
    memcpy(box + 20, "msf1", 4);
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_UNKNOWN);
    /* An MP4 is not a HEIF. */
    memcpy(box + 8, "isom", 4);
    memcpy(box + 16, "iso2mp41", 8);
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_UNKNOWN);
    /* A box size beyond the data. */
    memcpy(box + 8, "avif", 4);
    box[3] = 200;
    CHECK_EQ_INT(lm_sniff_format(box, sizeof box), LM_FORMAT_UNKNOWN);
    CHECK_EQ_STR(lm_format_name(LM_FORMAT_HEIF), "heif");
    CHECK_EQ_STR(lm_format_name(LM_FORMAT_AVIF), "avif");
}

int main(void)
{
    sniffing();
    for (int avif = 0; avif <= 1; avif++) {
        if (!synth_heif_can_encode(avif)) {
            fprintf(stderr, "libheif cannot encode %s here\n", avif ? "AVIF" : "HEIC");
            check_failures++;
            continue;
        }
        lossless_equals_png(avif, 320, 240, 3, 11,
                            "9f2594f6b9b8de0bce6621f01767d9067d3bd6646e4d845180714ddc7818fc30");
        /* resampled to 512x512 */
        lossless_equals_png(avif, 700, 530, 3, 12,
                            "bee99afc06435c7d94d2be18b7f8a14c7c3d812bd6187beecc844e710d037106");
        /* alpha onto white */
        lossless_equals_png(avif, 257, 131, 4, 13,
                            "40f80117f48dfd7a6ca5d17d34fa09952f4f9592664dd936f0b804d517276cc4");
        lossy_near_png(avif);
        orientation(avif);
        hostile(avif);
    }
    return check_report("decode_heif");
}
