/*
 * libmatch: recognise known images by perceptual hash (PDQ), bit-compatible
 * with Meta's reference implementation.
 *
 * This is the only installed header. Every public name starts with lm_ or LM_.
 *
 * Conventions used throughout:
 *  - Functions return an lm_status (LM_OK == 0) unless documented otherwise.
 *  - Handles are opaque, made by the create/open calls and released by the
 *    destroy/close calls, which accept NULL.
 *  - The library never prints, never exits and keeps no mutable global state.
 *  - A handle's detail message (lm_*_last_error) is owned by the handle and
 *    valid until the next call on that handle.
 */
#ifndef LIBMATCH_H
#define LIBMATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LM_VERSION_MAJOR 0
#define LM_VERSION_MINOR 1
#define LM_VERSION_PATCH 0
#define LM_VERSION_NUMBER (LM_VERSION_MAJOR * 10000 + LM_VERSION_MINOR * 100 + LM_VERSION_PATCH)

#if defined(LM_BUILDING_LIBRARY) && defined(__GNUC__)
#define LM_API __attribute__((visibility("default")))
#else
#define LM_API
#endif

/* ------------------------------------------------------------------------ */
/* Status codes. Values are part of the ABI: never renumbered or reused.    */
/* ------------------------------------------------------------------------ */
typedef enum lm_status {
    LM_OK = 0,
    LM_E_INVALID_ARG = 1,      /* a NULL pointer, a bad size or an out-of-range value */
    LM_E_NOMEM = 2,            /* an allocation failed */
    LM_E_IO = 3,               /* a file could not be opened or read */
    LM_E_FORMAT = 4,           /* not a format this build can decode */
    LM_E_CORRUPT = 5,          /* malformed or truncated input */
    LM_E_LIMIT_BYTES = 6,      /* input larger than the max-bytes limit */
    LM_E_LIMIT_PIXELS = 7,     /* image declares more pixels than the max-pixels limit */
    LM_E_LIMIT_DIMENSION = 8,  /* image width or height beyond the max-dimension limit */
    LM_E_PARSE = 9,            /* text that is not a valid hash */
    LM_E_UNKNOWN_OPTION = 10,  /* an option id this version does not know */
    LM_E_DB = 11,              /* the hash-list database failed (detail in last_error) */
    LM_E_DB_SCHEMA = 12,       /* the database has an unknown schema version */
    LM_E_NOT_FOUND = 13,       /* no such entry, list or file */
    LM_E_EXISTS = 14,          /* the thing to create already exists */
    LM_E_LIMIT_FRAMES = 15,    /* video has more frames than the max-frames limit */
    LM_E_LIMIT_DURATION = 16,  /* video longer than the max-duration limit */
    LM_E_UNSUPPORTED = 17,     /* a feature this build or this input does not support */
    LM_E_TOO_SMALL = 18,       /* image too small to hash meaningfully (under 1x1) */
    LM_E_IMPORT = 19,          /* a hash-list import had bad lines and nothing was written */
    LM_E_INTERNAL = 20         /* a bug: please report it */
} lm_status;

/* Static English text for a status code; never NULL. Thread-safe. */
LM_API const char *lm_strerror(int status);

/* Version of the linked library, as "MAJOR.MINOR.PATCH" and as LM_VERSION_NUMBER. */
LM_API const char *lm_version(void);
LM_API unsigned lm_version_number(void);

/* ------------------------------------------------------------------------ */
/* Hash values                                                              */
/* ------------------------------------------------------------------------ */
#define LM_PDQ_BYTES 32
#define LM_PDQ_HEX_CHARS 64

/*
 * A 256-bit PDQ hash. b[0] is the first byte of the hexadecimal form that
 * Meta's tools print ("d8f8..." has b[0] == 0xd8), so hex round-trips and
 * byte order match other PDQ implementations.
 */
typedef struct lm_pdq_hash {
    uint8_t b[LM_PDQ_BYTES];
} lm_pdq_hash;

/*
 * Parse exactly 64 hex digits (either case) from hex[0..len). Leading and
 * trailing whitespace is not accepted. Returns LM_OK or LM_E_PARSE.
 */
LM_API lm_status lm_pdq_from_hex(const char *hex, size_t len, lm_pdq_hash *out);

/* Write 64 lowercase hex digits and a NUL into out[65]. */
LM_API void lm_pdq_to_hex(const lm_pdq_hash *hash, char out[LM_PDQ_HEX_CHARS + 1]);

/* Number of differing bits, 0..256. */
LM_API int lm_pdq_distance(const lm_pdq_hash *a, const lm_pdq_hash *b);

/* The 8 dihedral transforms, in the order of Meta's reference (dihedral[i]). */
typedef enum lm_dihedral {
    LM_DIH_ORIGINAL = 0,
    LM_DIH_ROTATE_90 = 1,
    LM_DIH_ROTATE_180 = 2,
    LM_DIH_ROTATE_270 = 3,
    LM_DIH_FLIP_X = 4,     /* mirror left-right */
    LM_DIH_FLIP_Y = 5,     /* mirror top-bottom */
    LM_DIH_FLIP_PLUS_1 = 6,  /* transpose (mirror about the main diagonal) */
    LM_DIH_FLIP_MINUS_1 = 7  /* anti-transpose */
} lm_dihedral;

/* Image formats found by sniffing magic bytes (never by file name). */
typedef enum lm_format {
    LM_FORMAT_UNKNOWN = 0,
    LM_FORMAT_JPEG = 1,
    LM_FORMAT_PNG = 2,
    LM_FORMAT_GIF = 3,
    LM_FORMAT_WEBP = 4,
    LM_FORMAT_BMP = 5,
    LM_FORMAT_TIFF = 6,
    LM_FORMAT_OTHER = 7  /* decoded through libavcodec by probing */
} lm_format;

/* Short lowercase name ("jpeg", "png", ...); never NULL. */
LM_API const char *lm_format_name(lm_format format);

/* The result of hashing one image. A plain value: copy it freely. */
typedef struct lm_image_hash {
    lm_pdq_hash pdq;                 /* the PDQ hash (same as dihedral[0]) */
    int quality;                     /* PDQ quality, 0..100 */
    lm_pdq_hash dihedral[8];         /* valid when the hasher's DIHEDRAL option is on */
    uint32_t width, height;          /* decoded image size, before any resizing */
    lm_format format;                /* sniffed input format */
} lm_image_hash;

/* ------------------------------------------------------------------------ */
/* Hasher: decode and hash images                                           */
/* ------------------------------------------------------------------------ */

/* Options for lm_hasher_set_option. Values are part of the ABI. */
typedef enum lm_option {
    LM_OPT_MAX_BYTES = 1,       /* largest input accepted, bytes (default 256 MiB) */
    LM_OPT_MAX_PIXELS = 2,      /* largest declared width*height (default 100 megapixels) */
    LM_OPT_MAX_DIMENSION = 3,   /* largest declared width or height (default 65535) */
    LM_OPT_DIHEDRAL = 4,        /* 1: also compute the 8 dihedral hashes (default 0) */
    LM_OPT_EXIF_ORIENT = 5,     /* 1: apply EXIF orientation before hashing (default 0, like the reference) */
    LM_OPT_ALPHA_BACKGROUND = 6 /* grey level 0..255 that alpha is composited onto (default 255, white) */
} lm_option;

typedef struct lm_hasher lm_hasher;

/*
 * Create a hasher with safe default limits. Returns NULL when out of memory.
 * A hasher may be used by one thread at a time; make one per thread (they are
 * cheap: no pixel buffers are kept between calls).
 */
LM_API lm_hasher *lm_hasher_create(void);
LM_API void lm_hasher_destroy(lm_hasher *h);

/* Set an option. Returns LM_OK, LM_E_UNKNOWN_OPTION or LM_E_INVALID_ARG (value out of range). */
LM_API lm_status lm_hasher_set_option(lm_hasher *h, lm_option option, int64_t value);
LM_API lm_status lm_hasher_get_option(const lm_hasher *h, lm_option option, int64_t *value);

/*
 * Decode an image held in memory and hash it.
 *  [in]  data, len  the encoded bytes; not retained after the call.
 *  [out] out        filled on LM_OK; untouched otherwise.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_FORMAT, LM_E_CORRUPT,
 * LM_E_LIMIT_BYTES, LM_E_LIMIT_PIXELS, LM_E_LIMIT_DIMENSION, LM_E_TOO_SMALL.
 */
LM_API lm_status lm_hash_memory(lm_hasher *h, const void *data, size_t len, lm_image_hash *out);

/* As lm_hash_memory, reading the file at path (also LM_E_IO). */
LM_API lm_status lm_hash_file(lm_hasher *h, const char *path, lm_image_hash *out);

/*
 * Hash an 8-bit RGB (channels == 3) or grey (channels == 1) pixel buffer as
 * given, with no resizing. stride is the byte distance between rows.
 */
LM_API lm_status lm_hash_pixels(lm_hasher *h, const uint8_t *pixels, uint32_t width,
                                uint32_t height, size_t stride, int channels,
                                lm_image_hash *out);

/* Detail of the last failure on this hasher (e.g. the decoder's message); "" if none. */
LM_API const char *lm_hasher_last_error(const lm_hasher *h);

#ifdef __cplusplus
}
#endif

#endif /* LIBMATCH_H */
