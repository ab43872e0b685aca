/*
 * Links the shared library through the public header only, as a partner's
 * program would: header and library versions agree, and the basic value
 * functions work across the ABI boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "libmatch.h"

int main(void)
{
    CHECK_EQ_INT(lm_version_number(), LM_VERSION_NUMBER);
    CHECK_EQ_STR(lm_strerror(LM_OK), "success");
    CHECK_EQ_STR(lm_strerror(12345), "unknown status code");

    const char *hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    lm_pdq_hash a, b;
    CHECK_EQ_INT(lm_pdq_from_hex(hex, strlen(hex), &a), LM_OK);
    CHECK_EQ_INT(a.b[0], 0xd8);
    CHECK_EQ_INT(a.b[31], 0x22);
    char back[LM_PDQ_HEX_CHARS + 1];
    lm_pdq_to_hex(&a, back);
    CHECK_EQ_STR(back, hex);
    b = a;
    b.b[5] ^= 0x81;
    CHECK_EQ_INT(lm_pdq_distance(&a, &b), 2);
    CHECK_EQ_INT(lm_pdq_from_hex(hex, 63, &b), LM_E_PARSE);
    CHECK_EQ_INT(lm_pdq_from_hex("zz", 2, &b), LM_E_PARSE);

    lm_hasher *h = lm_hasher_create();
    CHECK(h != NULL);
    CHECK_EQ_INT(lm_hasher_set_option(h, (lm_option)999, 1), LM_E_UNKNOWN_OPTION);
    lm_hasher_destroy(h);
    lm_hasher_destroy(NULL);
    lm_matcher_close(NULL);

    /* The list API (version node LIBMATCH_1.1): a failed open still carries its error. */
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_db_open("/nonexistent/lm-abi-smoke", LM_DB_READONLY, &db), LM_E_NOT_FOUND);
    CHECK(db != NULL);
    CHECK_EQ_INT(lm_db_last_hint(db), LM_DB_HINT_CREATE);
    CHECK(*lm_db_last_error(db) != '\0');
    lm_db_close(db);
    lm_db_format f;
    CHECK_EQ_INT(lm_db_format_parse("ncmec-xml", &f), LM_OK);
    CHECK_EQ_STR(lm_db_format_name(f), "ncmec-xml");
    /* lm_check_result is size-stamped (version node LIBMATCH_1.2): a size the library does
       not accept writes nothing; a caller built against an older, shorter header gets
       exactly its own part of the result, nothing beyond it. */
    char dir[] = "/tmp/lm-abi-smoke-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK_EQ_INT(lm_db_open(dir, LM_DB_CREATE, &db), LM_OK);
    lm_matcher *m = NULL;
    CHECK_EQ_INT(lm_matcher_open_db(db, 0, &m), LM_OK);
    static const char bytes[] = "not an image";
    lm_check_result whole = {.struct_size = sizeof whole};
    CHECK_EQ_INT(lm_check(m, bytes, sizeof bytes, NULL, &whole), LM_OK);
    CHECK_EQ_INT(whole.verdict, LM_VERDICT_NOT_IMAGE);
    CHECK_EQ_INT(whole.struct_size, sizeof whole);
    CHECK_EQ_INT(whole.sha256[0] | whole.sha256[1] | whole.sha256[2] ? 1 : 0, 1);

    union {
        lm_check_result r;
        unsigned char b[sizeof(lm_check_result) + 64];
    } u;
    const uint32_t bad_sizes[] = {0, 4, (uint32_t)LM_CHECK_RESULT_MIN_SIZE - 1,
                                  (uint32_t)sizeof(lm_check_result) + 1, 0xABABABABu};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++) {
        memset(u.b, 0xAB, sizeof u.b);
        u.r.struct_size = bad_sizes[i];
        CHECK_EQ_INT(lm_check(m, bytes, sizeof bytes, NULL, &u.r), LM_E_INVALID_ARG);
        CHECK_EQ_INT(lm_check_hashes(m, &whole, NULL, &u.r), LM_E_INVALID_ARG);
        CHECK_EQ_INT(u.r.struct_size, bad_sizes[i]);
        CHECK_EQ_INT(u.b[sizeof u.r.struct_size], 0xAB);
    }
    memset(u.b, 0xAB, sizeof u.b);
    u.r.struct_size = (uint32_t)LM_CHECK_RESULT_MIN_SIZE;
    CHECK_EQ_INT(lm_check(m, bytes, sizeof bytes, NULL, &u.r), LM_OK);
    CHECK_EQ_INT(u.r.struct_size, LM_CHECK_RESULT_MIN_SIZE);
    CHECK_EQ_INT(memcmp((char *)&u.r + 4, (char *)&whole + 4, LM_CHECK_RESULT_MIN_SIZE - 4), 0);
    size_t untouched = 0;
    for (size_t i = LM_CHECK_RESULT_MIN_SIZE; i < sizeof u.b; i++)
        untouched += u.b[i] == 0xAB;
    CHECK_EQ_INT(untouched, sizeof u.b - LM_CHECK_RESULT_MIN_SIZE);
    /* The short result goes back in too: read up to its own size. */
    lm_check_result again = {.struct_size = sizeof again};
    CHECK_EQ_INT(lm_check_hashes(m, &u.r, NULL, &again), LM_OK);
    CHECK_EQ_INT(again.verdict, LM_VERDICT_NOT_IMAGE);
    CHECK_EQ_INT(memcmp(again.sha256, whole.sha256, sizeof whole.sha256), 0);
    lm_matcher_close(m);
    lm_db_close(db);
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    /* Streaming digests (version node LIBMATCH_1.2): FIPS 180 / RFC 1321 "abc" vectors, fed
       in pieces, reset by final, the one-shot call agreeing. */
    {
        static const uint8_t md5[LM_MD5_BYTES] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
                                                  0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72};
        static const uint8_t sha1[LM_SHA1_BYTES] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
                                                    0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
                                                    0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
        static const uint8_t sha256[LM_SHA256_BYTES] = {
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
            0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
            0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
        lm_digest_ctx *ctx = lm_digest_new();
        CHECK(ctx != NULL);
        lm_digests d, d2, once;
        CHECK_EQ_INT(lm_digest_update(ctx, "a", 1), LM_OK);
        CHECK_EQ_INT(lm_digest_update(ctx, NULL, 0), LM_OK);
        CHECK_EQ_INT(lm_digest_update(ctx, "bc", 2), LM_OK);
        CHECK_EQ_INT(lm_digest_final(ctx, &d), LM_OK);
        CHECK(memcmp(d.md5, md5, sizeof md5) == 0);
        CHECK(memcmp(d.sha1, sha1, sizeof sha1) == 0);
        CHECK(memcmp(d.sha256, sha256, sizeof sha256) == 0);
        CHECK_EQ_INT(lm_digest_update(ctx, "abc", 3), LM_OK);
        CHECK_EQ_INT(lm_digest_final(ctx, &d2), LM_OK);
        CHECK(memcmp(&d, &d2, sizeof d) == 0);
        CHECK_EQ_INT(lm_digest_bytes("abc", 3, &once), LM_OK);
        CHECK(memcmp(&d, &once, sizeof d) == 0);
        CHECK_EQ_INT(lm_digest_update(ctx, NULL, 1), LM_E_INVALID_ARG);
        CHECK_EQ_INT(lm_digest_update(NULL, "a", 1), LM_E_INVALID_ARG);
        CHECK_EQ_INT(lm_digest_final(ctx, NULL), LM_E_INVALID_ARG);
        lm_digest_free(ctx);
        lm_digest_free(NULL);
        CHECK_EQ_INT(sizeof(lm_digests), LM_MD5_BYTES + LM_SHA1_BYTES + LM_SHA256_BYTES);
    }
    return check_report("abi_smoke");
}
