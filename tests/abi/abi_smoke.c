/*
 * Links the shared library through the public header only, as a partner's
 * program would: header and library versions agree, and the basic value
 * functions work across the ABI boundary.
 */
#include <stdio.h>
#include <string.h>

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
    return check_report("abi_smoke");
}
