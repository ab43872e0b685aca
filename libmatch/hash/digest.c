/* MD5, SHA-1 and SHA-256 of the raw bytes in one pass, with OpenSSL EVP. */
#include "digest.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct lm_digest_ctx {
    EVP_MD_CTX *md[3]; /* MD5, SHA-1, SHA-256 */
};

/* Chunk size for the interleaved pass: each chunk stays in cache for all three. */
#define LM_DIGEST_CHUNK ((size_t)64 * 1024)

static const EVP_MD *algorithm(int i)
{
    switch (i) {
    case 0: return EVP_md5();
    case 1: return EVP_sha1();
    default: return EVP_sha256();
    }
}

static int reset(lm_digest_ctx *ctx)
{
    for (int i = 0; i < 3; i++)
        if (EVP_DigestInit_ex(ctx->md[i], algorithm(i), NULL) != 1)
            return 0;
    return 1;
}

lm_digest_ctx *lm_digest_new(void)
{
    lm_digest_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    for (int i = 0; i < 3; i++)
        if (!(ctx->md[i] = EVP_MD_CTX_new())) {
            lm_digest_free(ctx);
            return NULL;
        }
    if (!reset(ctx)) {
        lm_digest_free(ctx);
        return NULL;
    }
    return ctx;
}

lm_status lm_digest_update(lm_digest_ctx *ctx, const void *data, size_t len)
{
    if (!ctx || (!data && len))
        return LM_E_INVALID_ARG;
    const unsigned char *p = data;
    while (len) {
        size_t n = len < LM_DIGEST_CHUNK ? len : LM_DIGEST_CHUNK;
        for (int i = 0; i < 3; i++)
            if (EVP_DigestUpdate(ctx->md[i], p, n) != 1)
                return LM_E_INTERNAL;
        p += n;
        len -= n;
    }
    return LM_OK;
}

lm_status lm_digest_final(lm_digest_ctx *ctx, lm_digests *out)
{
    if (!ctx || !out)
        return LM_E_INVALID_ARG;
    unsigned char *dst[3] = {out->md5, out->sha1, out->sha256};
    static const unsigned expect[3] = {LM_MD5_BYTES, LM_SHA1_BYTES, LM_SHA256_BYTES};
    for (int i = 0; i < 3; i++) {
        unsigned char buf[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (EVP_DigestFinal_ex(ctx->md[i], buf, &n) != 1 || n != expect[i])
            return LM_E_INTERNAL;
        for (unsigned k = 0; k < n; k++)
            dst[i][k] = buf[k];
    }
    return reset(ctx) ? LM_OK : LM_E_INTERNAL;
}

void lm_digest_free(lm_digest_ctx *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; i < 3; i++)
        EVP_MD_CTX_free(ctx->md[i]);
    free(ctx);
}

lm_status lm_digest_bytes(const void *data, size_t len, lm_digests *out)
{
    if ((!data && len) || !out)
        return LM_E_INVALID_ARG;
    lm_digest_ctx *ctx = lm_digest_new();
    if (!ctx)
        return LM_E_NOMEM;
    lm_status st = lm_digest_update(ctx, data, len);
    if (st == LM_OK)
        st = lm_digest_final(ctx, out);
    lm_digest_free(ctx);
    return st;
}

void lm_digest_to_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}
