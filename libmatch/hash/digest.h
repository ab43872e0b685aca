/*
 * Cryptographic digests of the raw input bytes, for exact-match lists
 * (MD5, SHA-1, SHA-256 lists). All three in one pass over the data, through
 * OpenSSL libcrypto's EVP interface.
 */
#ifndef LM_HASH_DIGEST_H
#define LM_HASH_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

#define LM_MD5_BYTES 16
#define LM_SHA1_BYTES 20
#define LM_SHA256_BYTES 32

typedef struct lm_digests {
    uint8_t md5[LM_MD5_BYTES];
    uint8_t sha1[LM_SHA1_BYTES];
    uint8_t sha256[LM_SHA256_BYTES];
} lm_digests;

/* Streaming state; opaque. One thread at a time. */
typedef struct lm_digest_ctx lm_digest_ctx;

/* A fresh context ready for updates; NULL when out of memory (or libcrypto refuses an algorithm).
 */
lm_digest_ctx *lm_digest_new(void);

/* Feed bytes (len may be 0). Returns LM_OK, LM_E_INVALID_ARG or LM_E_INTERNAL. */
lm_status lm_digest_update(lm_digest_ctx *ctx, const void *data, size_t len);

/*
 * Write the three digests and reset ctx for a new message.
 * Returns LM_OK, LM_E_INVALID_ARG or LM_E_INTERNAL.
 */
lm_status lm_digest_final(lm_digest_ctx *ctx, lm_digests *out);

/* Accepts NULL. */
void lm_digest_free(lm_digest_ctx *ctx);

/* One-shot: all three digests of data[0..len). LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_INTERNAL.
 */
lm_status lm_digest_bytes(const void *data, size_t len, lm_digests *out);

/* Lowercase hex of n bytes into out[2n + 1]. */
void lm_digest_to_hex(const uint8_t *bytes, size_t n, char *out);

#endif
