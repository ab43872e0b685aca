/*
 * Cryptographic digests of the raw input bytes, for exact-match lists
 * (MD5, SHA-1, SHA-256 lists). All three in one pass over the data, through
 * OpenSSL libcrypto's EVP interface (digest.c). Internal helpers only here.
 */
#ifndef LM_HASH_DIGEST_H
#define LM_HASH_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

/*
 * The streaming digest API (lm_digest_new/update/final/free, lm_digest_bytes,
 * lm_digests) is public: libmatch.h, version node LIBMATCH_1.2 (issue 15).
 */

/* Lowercase hex of n bytes into out[2n + 1]. */
void lm_digest_to_hex(const uint8_t *bytes, size_t n, char *out);

#endif
