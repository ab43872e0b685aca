/*
 * Hex round trip, Hamming distance, hasher option setters, and the raw-byte
 * digests (MD5, SHA-1, SHA-256) against published test vectors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "digest.h"
#include "libmatch.h"

static void test_hex(void)
{
    uint64_t st = check_test_seed(31);
    char hex[LM_PDQ_HEX_CHARS + 1];
    for (int iter = 0; iter < 200; iter++) {
        lm_pdq_hash a, b;
        for (int i = 0; i < LM_PDQ_BYTES; i++)
            a.b[i] = (uint8_t)check_rand(&st);
        lm_pdq_to_hex(&a, hex);
        CHECK_EQ_INT(strlen(hex), 64);
        CHECK_EQ_INT(lm_pdq_from_hex(hex, 64, &b), LM_OK);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        for (int i = 0; i < 64; i++) /* upper case parses too */
            if (hex[i] >= 'a')
                hex[i] = (char)(hex[i] - 'a' + 'A');
        memset(&b, 0, sizeof b);
        CHECK_EQ_INT(lm_pdq_from_hex(hex, 64, &b), LM_OK);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
    /* the reference's printed form: b[0] is the first byte */
    const char *ref = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    lm_pdq_hash h;
    CHECK_EQ_INT(lm_pdq_from_hex(ref, strlen(ref), &h), LM_OK);
    CHECK_EQ_INT(h.b[0], 0xd8);
    CHECK_EQ_INT(h.b[31], 0x22);
    lm_pdq_to_hex(&h, hex);
    CHECK_EQ_STR(hex, ref);

    /* bad input: length, characters, whitespace; out untouched */
    lm_pdq_hash keep = h;
    CHECK_EQ_INT(lm_pdq_from_hex(ref, 63, &h), LM_E_PARSE);
    CHECK_EQ_INT(lm_pdq_from_hex(ref, 0, &h), LM_E_PARSE);
    char bad[70];
    memcpy(bad, ref, 65);
    bad[10] = 'g';
    CHECK_EQ_INT(lm_pdq_from_hex(bad, 64, &h), LM_E_PARSE);
    memcpy(bad, ref, 65);
    bad[0] = ' ';
    CHECK_EQ_INT(lm_pdq_from_hex(bad, 64, &h), LM_E_PARSE);
    CHECK_EQ_INT(lm_pdq_from_hex(
                     " d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22", 65, &h),
                 LM_E_PARSE);
    CHECK(memcmp(&h, &keep, sizeof h) == 0);
    CHECK_EQ_INT(lm_pdq_from_hex(NULL, 64, &h), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_pdq_from_hex(ref, 64, NULL), LM_E_INVALID_ARG);
}

static void test_distance(void)
{
    uint64_t st = check_test_seed(32);
    lm_pdq_hash zero, ones;
    memset(&zero, 0, sizeof zero);
    memset(&ones, 0xff, sizeof ones);
    CHECK_EQ_INT(lm_pdq_distance(&zero, &zero), 0);
    CHECK_EQ_INT(lm_pdq_distance(&zero, &ones), 256);
    for (int iter = 0; iter < 200; iter++) {
        lm_pdq_hash a, b;
        int expect = 0;
        for (int i = 0; i < LM_PDQ_BYTES; i++) {
            a.b[i] = (uint8_t)check_rand(&st);
            b.b[i] = (uint8_t)check_rand(&st);
            for (int k = 0; k < 8; k++)
                expect += ((a.b[i] ^ b.b[i]) >> k) & 1;
        }
        CHECK_EQ_INT(lm_pdq_distance(&a, &b), expect);
        CHECK_EQ_INT(lm_pdq_distance(&b, &a), expect);
        CHECK_EQ_INT(lm_pdq_distance(&a, &a), 0);
        /* one flipped bit anywhere is distance 1 */
        lm_pdq_hash c = a;
        int bit = (int)(check_rand(&st) % 256);
        c.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_EQ_INT(lm_pdq_distance(&a, &c), 1);
    }
}

static void test_options(void)
{
    lm_hasher *h = lm_hasher_create();
    CHECK(h != NULL);
    int64_t v = -1;
    /* defaults */
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_MAX_BYTES, &v), LM_OK);
    CHECK(v > 0);
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_MAX_PIXELS, &v), LM_OK);
    CHECK(v > 0);
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_MAX_DIMENSION, &v), LM_OK);
    CHECK(v > 0);
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_DIHEDRAL, &v), LM_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_EXIF_ORIENT, &v), LM_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_ALPHA_BACKGROUND, &v), LM_OK);
    CHECK_EQ_INT(v, 255);

    /* set then get */
    static const struct {
        lm_option opt;
        int64_t good, bad;
    } cases[] = {
        {LM_OPT_MAX_BYTES, 1000, 0},     {LM_OPT_MAX_PIXELS, 12345, -1},
        {LM_OPT_MAX_DIMENSION, 4096, 0}, {LM_OPT_DIHEDRAL, 1, 2},
        {LM_OPT_EXIF_ORIENT, 1, -1},     {LM_OPT_ALPHA_BACKGROUND, 0, 256},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(lm_hasher_set_option(h, cases[i].opt, cases[i].good), LM_OK);
        CHECK_EQ_INT(lm_hasher_get_option(h, cases[i].opt, &v), LM_OK);
        CHECK_EQ_INT(v, cases[i].good);
        CHECK_EQ_INT(lm_hasher_set_option(h, cases[i].opt, cases[i].bad), LM_E_INVALID_ARG);
        CHECK_EQ_INT(lm_hasher_get_option(h, cases[i].opt, &v), LM_OK);
        CHECK_EQ_INT(v, cases[i].good); /* a rejected value changes nothing */
    }
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_MAX_DIMENSION, (int64_t)UINT32_MAX + 1),
                 LM_E_INVALID_ARG);

    /* unknown options */
    CHECK_EQ_INT(lm_hasher_set_option(h, (lm_option)0, 1), LM_E_UNKNOWN_OPTION);
    CHECK_EQ_INT(lm_hasher_set_option(h, (lm_option)999, 1), LM_E_UNKNOWN_OPTION);
    CHECK_EQ_INT(lm_hasher_get_option(h, (lm_option)999, &v), LM_E_UNKNOWN_OPTION);
    CHECK_EQ_INT(lm_hasher_set_option(h, (lm_option)-3, 1), LM_E_UNKNOWN_OPTION);

    /* NULL arguments */
    CHECK_EQ_INT(lm_hasher_set_option(NULL, LM_OPT_DIHEDRAL, 1), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_hasher_get_option(NULL, LM_OPT_DIHEDRAL, &v), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_hasher_get_option(h, LM_OPT_DIHEDRAL, NULL), LM_E_INVALID_ARG);

    /* the pixel limit applies to lm_hash_pixels */
    uint8_t px[200 * 100];
    memset(px, 7, sizeof px);
    lm_image_hash out;
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_MAX_PIXELS, 19999), LM_OK);
    CHECK_EQ_INT(lm_hash_pixels(h, px, 200, 100, 200, 1, &out), LM_E_LIMIT_PIXELS);
    CHECK(strlen(lm_hasher_last_error(h)) > 0);
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_MAX_PIXELS, 20000), LM_OK);
    CHECK_EQ_INT(lm_hash_pixels(h, px, 200, 100, 200, 1, &out), LM_OK);
    /* bad pixel arguments */
    CHECK_EQ_INT(lm_hash_pixels(h, px, 200, 100, 199, 1, &out), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_hash_pixels(h, px, 200, 100, 200, 2, &out), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_hash_pixels(h, px, 0, 100, 200, 1, &out), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_hash_pixels(h, NULL, 200, 100, 200, 1, &out), LM_E_INVALID_ARG);
    lm_hasher_destroy(h);
    lm_hasher_destroy(NULL);
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    lm_digest_to_hex(b, n, out);
}

static void check_digests(const void *data, size_t len, const char *md5, const char *sha1,
                          const char *sha256)
{
    lm_digests d;
    char hex[2 * LM_SHA256_BYTES + 1];
    CHECK_EQ_INT(lm_digest_bytes(data, len, &d), LM_OK);
    hex_of(d.md5, LM_MD5_BYTES, hex);
    CHECK_EQ_STR(hex, md5);
    hex_of(d.sha1, LM_SHA1_BYTES, hex);
    CHECK_EQ_STR(hex, sha1);
    hex_of(d.sha256, LM_SHA256_BYTES, hex);
    CHECK_EQ_STR(hex, sha256);
}

static void test_digests(void)
{
    check_digests("", 0, "d41d8cd98f00b204e9800998ecf8427e",
                  "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_digests(NULL, 0, "d41d8cd98f00b204e9800998ecf8427e",
                  "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_digests("abc", 3, "900150983cd24fb0d6963f7d28e17f72",
                  "a9993e364706816aba3e25717850c26c9cd0d89d",
                  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    check_digests(fox, strlen(fox), "9e107d9d372bb6826bd81d3542a419d6",
                  "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
                  "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
    /* one million 'a': crosses the internal chunk size */
    size_t n = 1000000;
    char *a = malloc(n);
    memset(a, 'a', n);
    check_digests(a, n, "7707d6ae4e027c70eea2a935c2296f21",
                  "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
                  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* streaming in uneven pieces gives the same, and final resets the context */
    lm_digest_ctx *ctx = lm_digest_new();
    CHECK(ctx != NULL);
    lm_digests one, streamed, again;
    CHECK_EQ_INT(lm_digest_bytes(a, n, &one), LM_OK);
    uint64_t st = check_test_seed(33);
    for (size_t off = 0; off < n;) {
        size_t piece = (size_t)(check_rand(&st) % 100000);
        if (piece > n - off)
            piece = n - off;
        CHECK_EQ_INT(lm_digest_update(ctx, a + off, piece), LM_OK);
        off += piece;
    }
    CHECK_EQ_INT(lm_digest_final(ctx, &streamed), LM_OK);
    CHECK(memcmp(&one, &streamed, sizeof one) == 0);
    CHECK_EQ_INT(lm_digest_update(ctx, a, n), LM_OK);
    CHECK_EQ_INT(lm_digest_final(ctx, &again), LM_OK);
    CHECK(memcmp(&one, &again, sizeof one) == 0);
    CHECK_EQ_INT(lm_digest_update(ctx, NULL, 5), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_digest_update(NULL, a, 5), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_digest_final(ctx, NULL), LM_E_INVALID_ARG);
    CHECK_EQ_INT(lm_digest_bytes(NULL, 5, &one), LM_E_INVALID_ARG);
    lm_digest_free(ctx);
    lm_digest_free(NULL);
    free(a);
}

int main(void)
{
    test_hex();
    test_distance();
    test_options();
    test_digests();
    return check_report("test-hash-api");
}
