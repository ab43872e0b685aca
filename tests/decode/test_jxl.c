/*
 * JPEG XL stills through libjxl, on images this test generates and encodes
 * (libjxl's encoder is linked into the tests only): lossless files decode to
 * exactly the pixels (and hash) of the same image as PNG, grey and alpha
 * included; lossy ones stay within the codec's loss; the orientation field is
 * applied only with the orientation option; both signatures (bare codestream,
 * container) are sniffed; hostile files give exact error codes: declared
 * sizes beyond the limits (hand-written headers, nothing behind them),
 * truncation, animation, damaged copies.
 *
 *   test_decode_jxl           the tests
 *   test_decode_jxl missing   run with LM_DISABLE_LIBS=libjxl: LM_E_UNSUPPORTED
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
#include "synth_jxl.h"

static lm_status decode_with(const uint8_t *d, size_t n, int orient, uint64_t max_pixels,
                             uint32_t max_dim, lm_pixels *px, int quiet)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    o.exif_orient = orient;
    if (max_pixels)
        o.max_pixels = max_pixels;
    if (max_dim)
        o.max_dimension = max_dim;
    lm_errbuf err = {{0}};
    lm_status st = lm_decode_image(d, n, &o, px, &err);
    if (st != LM_OK && !quiet)
        fprintf(stderr, "  decode: %s (%s)\n", lm_strerror(st), err.msg);
    return st;
}

static lm_status decode(const uint8_t *d, size_t n, int orient, lm_pixels *px)
{
    return decode_with(d, n, orient, 0, 0, px, 0);
}

/* channels 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA: PNG colour types 0, 4, 2, 6. */
static int make(uint32_t w, uint32_t h, int channels, uint64_t seed, synth_image *out)
{
    synth_image rgb, grey;
    if (synth_make(&rgb, w, h, seed))
        return -1;
    int r = 0;
    if (channels == 3) {
        *out = rgb;
        return 0;
    }
    if (channels == 4) {
        r = synth_add_alpha(&rgb, out, seed + 1);
    } else {
        r = synth_grey(&rgb, &grey);
        if (!r && channels == 2) {
            r = synth_add_alpha(&grey, out, seed + 2);
            synth_free(&grey);
        } else if (!r) {
            *out = grey;
        }
    }
    synth_free(&rgb);
    return r;
}

/* Lossless JXL: same pixels and the same hash as the PNG of the image. */
static void lossless_equals_png(uint32_t w, uint32_t h, int channels, int container)
{
    static const int ct[] = {0, 0, 4, 2, 6};
    synth_image img;
    CHECK(make(w, h, channels, 40 + channels, &img) == 0);
    uint8_t *jxl = NULL, *png = NULL;
    size_t jn = 0, pn = 0;
    CHECK(synth_encode_jxl(&img, 1, 0, 1, container, 1, &jxl, &jn) == 0);
    CHECK(synth_encode_png(&img, ct[channels], 8, 0, &png, &pn) == 0);
    CHECK_EQ_INT(lm_detect_format(jxl, jn), LM_FORMAT_JXL);
    CHECK(jn >= 12 && (container ? jxl[0] == 0 && memcmp(jxl + 4, "JXL ", 4) == 0
                                 : jxl[0] == 0xFF && jxl[1] == 0x0A));
    char what[64], hex[LM_PDQ_HEX_CHARS + 1];
    snprintf(what, sizeof what, "jxl %ux%ux%d", w, h, channels);
    lm_image_hash ha;
    int d = lossless_as_png(what, jxl, jn, LM_FORMAT_JXL, png, pn, w, h, &ha, hex);
    printf("jxl lossless %ux%ux%d%s (%zu bytes): %s (png distance %d)\n", w, h, channels,
           container ? " container" : "", jn, hex, d);
    free(jxl);
    free(png);
    synth_free(&img);
}

static void lossy_near_png(void)
{
    synth_image img;
    CHECK(make(800, 600, 3, 7, &img) == 0);
    uint8_t *jxl = NULL, *png = NULL;
    size_t jn = 0, pn = 0;
    CHECK(synth_encode_jxl(&img, 0, 1.0f, 1, 0, 1, &jxl, &jn) == 0);
    CHECK(synth_encode_png(&img, 2, 8, 0, &png, &pn) == 0);
    lm_image_hash ha, hb;
    hash_of(jxl, jn, &ha);
    hash_of(png, pn, &hb);
    int d = lm_pdq_distance(&ha.pdq, &hb.pdq);
    printf("jxl lossy (distance 1.0, %zu bytes): png distance %d\n", jn, d);
    CHECK(d <= 16);
    free(jxl);
    free(png);
    synth_free(&img);
}

/* The orientation field: ignored by default, applied (after resampling) with the option. */
static void orientation(void)
{
    synth_image img;
    CHECK(make(700, 300, 3, 11, &img) == 0);
    uint8_t *plain = NULL, *rot = NULL;
    size_t pn = 0, rn = 0;
    CHECK(synth_encode_jxl(&img, 1, 0, 1, 0, 1, &plain, &pn) == 0);
    for (int orient = 2; orient <= 8; orient++) {
        CHECK(synth_encode_jxl(&img, 1, 0, orient, 0, 1, &rot, &rn) == 0);
        lm_pixels a, b, c;
        CHECK_EQ_INT(decode(plain, pn, 1, &a), LM_OK);
        CHECK_EQ_INT(decode(rot, rn, 0, &b), LM_OK);
        CHECK(same_pixels(&a, &b)); /* stored pixels without the option */
        CHECK_EQ_INT(decode(rot, rn, 1, &c), LM_OK);
        lm_errbuf err = {{0}};
        CHECK_EQ_INT(lm_orient_pixels(&a, orient, &err), LM_OK);
        CHECK(same_pixels(&a, &c));
        lm_pixels_free(&a);
        lm_pixels_free(&b);
        lm_pixels_free(&c);
        free(rot);
    }
    printf("jxl orientation 2..8: applied only with the option, as lm_orient_pixels\n");
    free(plain);
    synth_free(&img);
}

/* A bare codestream header, bits least significant first (ISO/IEC 18181-1). */
struct bits {
    uint8_t b[32];
    size_t n;
};

static void put(struct bits *w, uint32_t v, int nbits)
{
    for (int i = 0; i < nbits; i++, w->n++)
        if (v >> i & 1)
            w->b[w->n / 8] |= (uint8_t)(1u << (w->n % 8));
}

/* U32(Bits(9)+1, Bits(13)+1, Bits(18)+1, Bits(30)+1), the SizeHeader's sides. */
static void put_side(struct bits *w, uint32_t v)
{
    static const int nb[] = {9, 13, 18, 30};
    int sel = v <= 512 ? 0 : v <= 8192 ? 1 : v <= 262144 ? 2 : 3;
    put(w, (uint32_t)sel, 2);
    put(w, v - 1, nb[sel]);
}

/* Signature, SizeHeader (div8 0, ratio 0), all-default ImageMetadata; nothing after. */
static size_t header_only(uint32_t w, uint32_t h, uint8_t *out)
{
    struct bits b;
    memset(&b, 0, sizeof b);
    put(&b, 0xFF, 8);
    put(&b, 0x0A, 8);
    put(&b, 0, 1); /* div8 */
    put_side(&b, h);
    put(&b, 0, 3); /* ratio: width given */
    put_side(&b, w);
    put(&b, 1, 1); /* metadata all_default */
    size_t n = (b.n + 7) / 8 + 4;
    memcpy(out, b.b, n);
    return n;
}

static void hostile(void)
{
    lm_pixels px;
    uint8_t hdr[64];
    /* Declared sizes beyond the limits, checked before anything is allocated. */
    size_t n = header_only(40000, 40000, hdr);
    CHECK_EQ_INT(lm_detect_format(hdr, n), LM_FORMAT_JXL);
    CHECK_EQ_INT(decode_with(hdr, n, 0, 0, 0, &px, 1), LM_E_LIMIT_PIXELS);
    n = header_only(70000, 16, hdr);
    CHECK_EQ_INT(decode_with(hdr, n, 0, 0, 0, &px, 1), LM_E_LIMIT_DIMENSION);
    n = header_only(16, 1u << 30, hdr);
    CHECK_EQ_INT(decode_with(hdr, n, 0, 0, 0, &px, 1), LM_E_LIMIT_DIMENSION);
    /* Within the limits, but no frame behind the header. */
    n = header_only(640, 480, hdr);
    CHECK_EQ_INT(decode_with(hdr, n, 0, 0, 0, &px, 1), LM_E_CORRUPT);
    /* Signatures with nothing or garbage after them. */
    CHECK_EQ_INT(decode_with((const uint8_t *)"\xff\x0a", 2, 0, 0, 0, &px, 1), LM_E_CORRUPT);
    CHECK_EQ_INT(decode_with((const uint8_t *)"\0\0\0\x0cJXL \r\n\x87\n", 12, 0, 0, 0, &px, 1),
                 LM_E_CORRUPT);

    synth_image img;
    CHECK(make(96, 64, 3, 3, &img) == 0);
    uint8_t *jxl = NULL;
    size_t jn = 0;
    CHECK(synth_encode_jxl(&img, 1, 0, 1, 0, 1, &jxl, &jn) == 0);
    /* Limits on a real file: the declared size decides, before decoding. */
    CHECK_EQ_INT(decode_with(jxl, jn, 0, 96 * 64 - 1, 0, &px, 1), LM_E_LIMIT_PIXELS);
    CHECK_EQ_INT(decode_with(jxl, jn, 0, 0, 95, &px, 1), LM_E_LIMIT_DIMENSION);
    CHECK_EQ_INT(decode_with(jxl, jn, 0, 96 * 64, 96, &px, 1), LM_OK);
    lm_pixels_free(&px);
    /* Truncated anywhere: corrupt, never a partial image. */
    for (size_t cut = 2; cut < jn; cut += jn / 23 + 1) {
        lm_status st = decode_with(jxl, cut, 0, 0, 0, &px, 1);
        if (st != LM_E_CORRUPT)
            fprintf(stderr, "cut at %zu of %zu: %s\n", cut, jn, lm_strerror(st));
        CHECK_EQ_INT(st, LM_E_CORRUPT);
    }
    /* Damaged copies: an error code or an image, never a crash (ASan/fuzz_jxl look closer). */
    uint8_t *copy = malloc(jn);
    uint64_t rng = 0x2545F4914F6CDD1Du;
    int ok = 0, bad = 0;
    for (int t = 0; t < 300; t++) {
        memcpy(copy, jxl, jn);
        for (int k = 0; k < 1 + t % 4; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            copy[2 + rng % (jn - 2)] ^= (uint8_t)(1u << (rng >> 40) % 8);
        }
        lm_status st = decode_with(copy, jn, t & 1, 0, 0, &px, 1);
        CHECK(st == LM_OK || st == LM_E_CORRUPT || st == LM_E_UNSUPPORTED ||
              st == LM_E_LIMIT_PIXELS || st == LM_E_LIMIT_DIMENSION);
        if (st == LM_OK) {
            ok++;
            lm_pixels_free(&px);
        } else {
            bad++;
        }
    }
    printf("jxl damaged copies: %d decoded, %d refused\n", ok, bad);
    free(copy);
    free(jxl);
    /* Animated JPEG XL is refused with its own code. */
    CHECK(synth_encode_jxl(&img, 1, 0, 1, 0, 3, &jxl, &jn) == 0);
    CHECK_EQ_INT(decode_with(jxl, jn, 0, 0, 0, &px, 1), LM_E_UNSUPPORTED);
    free(jxl);
    synth_free(&img);
}

static void sniffing(void)
{
    CHECK_EQ_INT(lm_detect_format((const uint8_t *)"\xff\x0a\x00\x00", 4), LM_FORMAT_JXL);
    CHECK_EQ_INT(lm_detect_format((const uint8_t *)"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\0", 16),
                 LM_FORMAT_JXL);
    CHECK_EQ_INT(lm_detect_format((const uint8_t *)"\0\0\0\x0cJXL \r\n\x87\x0b\0\0\0\0", 16) ==
                     LM_FORMAT_JXL,
                 0);
    CHECK_EQ_INT(lm_detect_format((const uint8_t *)"\xff\xd8\xff\xe0", 4), LM_FORMAT_JPEG);
    CHECK_EQ_INT(strcmp(lm_format_name(LM_FORMAT_JXL), "jxl"), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "missing") == 0) {
        /* LM_DISABLE_LIBS=libjxl: the library counts as missing. */
        uint8_t hdr[64];
        size_t n = header_only(64, 64, hdr);
        lm_decode_opts o;
        lm_decode_opts_default(&o);
        lm_pixels px;
        lm_errbuf err = {{0}};
        CHECK_EQ_INT(lm_decode_image(hdr, n, &o, &px, &err), LM_E_UNSUPPORTED);
        printf("without libjxl: %s\n", err.msg);
        CHECK(strstr(err.msg, "libjxl") != NULL);
        return check_report("decode_jxl_missing");
    }
    sniffing();
    if (!synth_jxl_can_encode()) {
        printf("decode_jxl: no libjxl encoder in this build, skipping\n");
        return check_report("decode_jxl");
    }
    lossless_equals_png(640, 480, 3, 0);
    lossless_equals_png(640, 480, 3, 1);
    lossless_equals_png(300, 200, 3, 0);
    lossless_equals_png(1000, 700, 1, 0);
    lossless_equals_png(600, 520, 4, 0);
    lossless_equals_png(530, 300, 2, 1);
    lossy_near_png();
    orientation();
    hostile();
    return check_report("decode_jxl");
}
