/* Status text and version: the only strings the library hands out statically. */
#include "libmatch.h"

const char *lm_strerror(int status)
{
    switch (status) {
    case LM_OK: return "success";
    case LM_E_INVALID_ARG: return "invalid argument";
    case LM_E_NOMEM: return "out of memory";
    case LM_E_IO: return "input/output error";
    case LM_E_FORMAT: return "unsupported or unrecognised format";
    case LM_E_CORRUPT: return "malformed or truncated input";
    case LM_E_LIMIT_BYTES: return "input exceeds the byte limit";
    case LM_E_LIMIT_PIXELS: return "image exceeds the pixel limit";
    case LM_E_LIMIT_DIMENSION: return "image exceeds the dimension limit";
    case LM_E_PARSE: return "not a valid hash";
    case LM_E_UNKNOWN_OPTION: return "unknown option";
    case LM_E_DB: return "hash-list database error";
    case LM_E_DB_SCHEMA: return "unsupported hash-list schema version";
    case LM_E_NOT_FOUND: return "not found";
    case LM_E_EXISTS: return "already exists";
    case LM_E_LIMIT_FRAMES: return "video exceeds the frame limit";
    case LM_E_LIMIT_DURATION: return "video exceeds the duration limit";
    case LM_E_UNSUPPORTED: return "not supported";
    case LM_E_TOO_SMALL: return "image too small to hash";
    case LM_E_IMPORT: return "import rejected: bad lines, nothing written";
    case LM_E_INTERNAL: return "internal error";
    default: return "unknown status code";
    }
}

#define LM_STR2(x) #x
#define LM_STR(x) LM_STR2(x)

const char *lm_version(void)
{
    return LM_STR(LM_VERSION_MAJOR) "." LM_STR(LM_VERSION_MINOR) "." LM_STR(LM_VERSION_PATCH);
}

unsigned lm_version_number(void)
{
    return LM_VERSION_NUMBER;
}

const char *lm_format_name(lm_format format)
{
    switch (format) {
    case LM_FORMAT_JPEG: return "jpeg";
    case LM_FORMAT_PNG: return "png";
    case LM_FORMAT_GIF: return "gif";
    case LM_FORMAT_WEBP: return "webp";
    case LM_FORMAT_BMP: return "bmp";
    case LM_FORMAT_TIFF: return "tiff";
    case LM_FORMAT_OTHER: return "other";
    case LM_FORMAT_HEIF: return "heif";
    case LM_FORMAT_AVIF: return "avif";
    case LM_FORMAT_JXL: return "jxl";
    default: return "unknown";
    }
}

const char *lm_hash_type_name(lm_hash_type type)
{
    switch (type) {
    case LM_HASH_PDQ: return "pdq";
    case LM_HASH_MD5: return "md5";
    case LM_HASH_SHA1: return "sha1";
    case LM_HASH_SHA256: return "sha256";
    case LM_HASH_VPDQ: return "vpdq";
    default: return "unknown";
    }
}
