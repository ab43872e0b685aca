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
 *
 * Errors, one rule: the lm_status a call returns is the contract (values never
 * change); the human-readable detail lives with whoever owns the call's state:
 *  - handles one thread uses at a time (lm_hasher, lm_db) keep it in the handle,
 *    lm_*_last_error(handle), valid until the next call on that handle (SQLite's
 *    sqlite3_errmsg; lm_db_open returns a handle holding the error even when the
 *    open fails, as sqlite3_open does);
 *  - the matcher is shared by threads, so a handle-wide message would race: a
 *    check's detail is in its result (lm_check_result.detail), and the other
 *    matcher calls fail only with argument, memory or list errors whose status
 *    says it all;
 *  - before any handle exists (lm_matcher_open, lm_list_add_image) an optional
 *    caller buffer (errbuf, errbuf_size) receives it.
 * Options: settings live where the state lives. Calls on the thread-shared matcher
 * and on lists take a size-stamped options struct per call family (struct_size
 * first, filled by its *_init function; NULL for defaults): per-call settings
 * cannot live on a handle other threads use. The hasher is a single-thread handle
 * reused for many images, so it holds its settings as parameters (lm_hasher_set,
 * LM_OPT_*), as TurboJPEG 3's tj3Set does. Their defaults differ on purpose: the
 * hasher computes the reference's hash (exact decoding, no dihedral hashes), a
 * check matches (fast decoding, dihedral matching).
 * Results that may grow (lm_check_result, lm_db_import_result, lm_db_stats) are
 * size-stamped the same way: the caller sets struct_size, the library writes no more.
 */
#ifndef LIBMATCH_H
#define LIBMATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
    LM_DIH_ROTATE_90 = 1,  /* counter-clockwise */
    LM_DIH_ROTATE_180 = 2,
    LM_DIH_ROTATE_270 = 3,
    LM_DIH_FLIP_X = 4,     /* mirror top-bottom (about the x axis), as Meta's bridge-5-flipx */
    LM_DIH_FLIP_Y = 5,     /* mirror left-right (about the y axis) */
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
    LM_FORMAT_OTHER = 7, /* decoded through libavcodec by probing */
    LM_FORMAT_HEIF = 8,  /* HEIF/HEIC still image (libheif); image sequences are videos */
    LM_FORMAT_AVIF = 9,  /* AVIF still image (libheif); animated AVIF is a video */
    LM_FORMAT_JXL = 10   /* JPEG XL still image (libjxl); animated JPEG XL is refused */
} lm_format;

/* Short lowercase name ("jpeg", "png", ...); never NULL. */
LM_API const char *lm_format_name(lm_format format);

/*
 * Sniff the format of data from its magic bytes (never a file name); formats
 * without a signature here are probed with libavformat (LM_FORMAT_OTHER, which
 * includes video containers). LM_FORMAT_UNKNOWN when nothing recognises it.
 */
LM_API lm_format lm_detect_format(const void *data, size_t len);

/* The result of hashing one image. A plain value: copy it freely. */
typedef struct lm_image_hash {
    lm_pdq_hash pdq;                 /* the PDQ hash (same as dihedral[0]) */
    int quality;                     /* PDQ quality, 0..100 */
    lm_pdq_hash dihedral[8];         /* valid when the hasher's DIHEDRAL option is on */
    uint32_t width, height;          /* decoded image size, before any resizing */
    lm_format format;                /* sniffed input format */
    int truncated;                   /* 1: every row decoded but the file ends early (JPEG
                                        without EOI, PNG without IEND); files with rows
                                        missing are refused as LM_E_CORRUPT */
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
    LM_OPT_ALPHA_BACKGROUND = 6, /* grey level 0..255 that alpha is composited onto (default 255, white) */
    LM_OPT_FAST = 7,            /* 1: fast decoding (JPEG DCT-domain downscaling); hashes may differ
                                   from the reference by a few bits (default 0: exact) */
    /* Video (lm_hash_video_*): */
    LM_OPT_VIDEO_SAMPLING = 8,        /* lm_video_sampling (default LM_SAMPLE_ALL_FRAMES, as vPDQ) */
    LM_OPT_VIDEO_INTERVAL_MS = 9,     /* for LM_SAMPLE_INTERVAL: one frame per this many ms (1000) */
    LM_OPT_VIDEO_MAX_FRAMES = 10,     /* frames hashed; LM_E_LIMIT_FRAMES beyond (default 200000) */
    LM_OPT_VIDEO_MAX_DURATION_S = 11, /* seconds; LM_E_LIMIT_DURATION beyond (default 4 hours) */
    LM_OPT_VIDEO_SCALE = 12           /* 0: frames at native size (default); N: resized to NxN
                                         first, like vPDQ's downsample option (e.g. 128) */
} lm_option;

/* How video frames are chosen for hashing. */
typedef enum lm_video_sampling {
    LM_SAMPLE_ALL_FRAMES = 0, /* every frame: what Meta's vPDQ does */
    LM_SAMPLE_KEYFRAMES = 1,  /* key frames only; the others are never decoded (fastest) */
    LM_SAMPLE_INTERVAL = 2    /* the first frame in each interval, by timestamp (right for VFR) */
} lm_video_sampling;

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

/* ------------------------------------------------------------------------ */
/* Video: vPDQ, one PDQ hash per sampled frame                              */
/* ------------------------------------------------------------------------ */

/* One hashed frame, as vPDQ's lines "frame_number,quality,hash,timestamp". */
typedef struct lm_video_frame {
    lm_pdq_hash pdq;
    int quality;            /* 0..100 */
    int64_t frame_number;   /* 0-based, in decoding output order */
    double timestamp;       /* seconds from the start of the stream */
} lm_video_frame;

typedef struct lm_video_hash lm_video_hash; /* the frames of one video */

/*
 * Decode a video (any container and codec FFmpeg reads; animated GIF/APNG/WebP too)
 * and hash its sampled frames, with the hasher's video options. Still images
 * are not videos: LM_E_FORMAT.
 *  [out] out  on LM_OK, and also on LM_E_CORRUPT and the LM_E_LIMIT_* codes when
 *             frames were hashed before the problem (a partial result); else NULL.
 *             Free with lm_video_hash_free.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_IO, LM_E_FORMAT, LM_E_CORRUPT,
 * LM_E_UNSUPPORTED, LM_E_LIMIT_BYTES, LM_E_LIMIT_PIXELS, LM_E_LIMIT_DURATION,
 * LM_E_LIMIT_FRAMES.
 */
LM_API lm_status lm_hash_video_memory(lm_hasher *h, const void *data, size_t len,
                                      lm_video_hash **out);
LM_API lm_status lm_hash_video_file(lm_hasher *h, const char *path, lm_video_hash **out);
/*
 * An image or a video, decided once as lm_check decides (magic bytes, a GIF's image
 * blocks, WebP's animation flag, else one libavformat probe): a video (a container,
 * an animated GIF or WebP) gives its frames in *video, as lm_hash_video_memory; a
 * still gives *image, as lm_hash_memory, and *video stays NULL. A "video" that yields
 * no frame at all is read as a still. Status as the call it amounts to.
 * (Version node LIBMATCH_1.2.)
 */
LM_API lm_status lm_hash_media_memory(lm_hasher *h, const void *data, size_t len,
                                      lm_image_hash *image, lm_video_hash **video);
LM_API size_t lm_video_hash_count(const lm_video_hash *v);
/* The frames, in order; valid until lm_video_hash_free. */
LM_API const lm_video_frame *lm_video_hash_frames(const lm_video_hash *v);
LM_API void lm_video_hash_free(lm_video_hash *v);

/* Video-to-video comparison as vPDQ scores it. Initialise with lm_vpdq_options_init. */
typedef struct lm_vpdq_options {
    uint32_t struct_size;    /* sizeof(lm_vpdq_options) */
    int max_distance;        /* frames match within this distance (default 31) */
    int min_quality;         /* frames below this quality are ignored (default 50) */
    double query_threshold;  /* % of the query's unique frames that must match (default 0) */
    double stored_threshold; /* % of the stored video's unique frames that must match (default 80) */
} lm_vpdq_options;

typedef struct lm_vpdq_result {
    size_t query_unique, stored_unique;   /* unique frames after the quality filter */
    size_t query_matched, stored_matched; /* of those, frames with a partner */
    double query_percent, stored_percent;
    int match;                            /* both thresholds reached */
} lm_vpdq_result;

LM_API void lm_vpdq_options_init(lm_vpdq_options *opts);
LM_API lm_status lm_vpdq_compare(const lm_video_frame *query, size_t nq,
                                 const lm_video_frame *stored, size_t ns,
                                 const lm_vpdq_options *opts, lm_vpdq_result *result);

/*
 * Hash many files in parallel with the options of `config` (which is only read).
 *  [in]  paths       n file paths
 *  [in]  nthreads    worker threads (0: all cores; 1: serial; ignored without OpenMP)
 *  [out] results     n results; results[i] is valid when statuses[i] == LM_OK
 *  [out] statuses    n status codes, one per path (as lm_hash_file returns)
 * Returns LM_OK when every path was attempted (check statuses), or LM_E_INVALID_ARG.
 * While a worker hashes one file the kernel is asked to read ahead the next ones,
 * so I/O overlaps computation. Safe to call from several threads with one config.
 */
LM_API lm_status lm_hash_files(const lm_hasher *config, const char *const *paths, size_t n,
                               int nthreads, lm_image_hash *results, lm_status *statuses);


/* ------------------------------------------------------------------------ */
/* Digests of raw bytes: MD5, SHA-1, SHA-256 (version node LIBMATCH_1.2)     */
/* ------------------------------------------------------------------------ */

#define LM_MD5_BYTES 16
#define LM_SHA1_BYTES 20
#define LM_SHA256_BYTES 32

/* The three digests exact-match lists hold (lm_check computes them of its input). */
typedef struct lm_digests {
    uint8_t md5[LM_MD5_BYTES];
    uint8_t sha1[LM_SHA1_BYTES];
    uint8_t sha256[LM_SHA256_BYTES];
} lm_digests;

/*
 * Streaming state for bytes that arrive in pieces (a file read in chunks, a
 * pipe): all three digests in one pass. Opaque; one thread at a time per
 * context, any number of contexts at once.
 */
typedef struct lm_digest_ctx lm_digest_ctx;

/* A fresh context; NULL when out of memory (or libcrypto refuses an algorithm). */
LM_API lm_digest_ctx *lm_digest_new(void);
/* Feed len bytes (len may be 0; data may be NULL only then).
   LM_OK, LM_E_INVALID_ARG, LM_E_INTERNAL. */
LM_API lm_status lm_digest_update(lm_digest_ctx *ctx, const void *data, size_t len);
/* The digests of everything fed since lm_digest_new or the last final; ctx is reset for a new
   message. LM_OK, LM_E_INVALID_ARG, LM_E_INTERNAL. */
LM_API lm_status lm_digest_final(lm_digest_ctx *ctx, lm_digests *out);
/* Accepts NULL. */
LM_API void lm_digest_free(lm_digest_ctx *ctx);
/* One shot: the digests of data[0..len). LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_INTERNAL. */
LM_API lm_status lm_digest_bytes(const void *data, size_t len, lm_digests *out);


/* ------------------------------------------------------------------------ */
/* Matching against a hash list                                             */
/* ------------------------------------------------------------------------ */

/* Kinds of hash a list can hold. Values are stored on disk: never renumbered. */
typedef enum lm_hash_type {
    LM_HASH_PDQ = 1,     /* 256-bit PDQ perceptual hash */
    LM_HASH_MD5 = 2,     /* MD5 of the file bytes */
    LM_HASH_SHA1 = 3,    /* SHA-1 of the file bytes */
    LM_HASH_SHA256 = 4,  /* SHA-256 of the file bytes */
    LM_HASH_VPDQ = 5     /* a stored video: its vPDQ frame hashes (the entry's hash is the
                            SHA-256 of its frame list); matched video to video */
} lm_hash_type;

/* "pdq", "md5", "sha1", "sha256", "vpdq"; "unknown" otherwise. */
LM_API const char *lm_hash_type_name(lm_hash_type type);

#define LM_DEFAULT_MAX_DISTANCE 31 /* PDQ match threshold Meta recommends */
#define LM_DEFAULT_MIN_QUALITY 50  /* PDQ hashes below this quality are not matched */

/* Per-call options. Initialise with lm_check_options_init, then change fields. */
typedef struct lm_check_options {
    uint32_t struct_size;     /* sizeof(lm_check_options): lets the struct grow compatibly */
    int max_distance;         /* PDQ Hamming distance for a match, 0..256 (default 31) */
    int min_quality;          /* query PDQ hashes below this are not matched (default 50) */
    int dihedral;             /* 1 (default): also match the 8 rotations/flips of the query;
                                 0: the image as decoded only */
    uint64_t max_bytes;       /* 0: library default (256 MiB) */
    uint64_t max_pixels;      /* 0: library default (100 megapixels) */
    int exact;                /* 1: decode exactly as the reference; 0 (default): fast mode,
                                 within a few bits of it (see LM_OPT_FAST); a fast query
                                 that matched nothing but came within 10 bits of the
                                 distance (among the entries the search compared) is
                                 decoded again exactly */
    int video_sampling;       /* videos: lm_video_sampling (default LM_SAMPLE_KEYFRAMES) */
    int video_interval_ms;    /* for LM_SAMPLE_INTERVAL (default 1000) */
    /* Video-to-video matching against stored videos (LM_HASH_VPDQ entries), as vPDQ: */
    double video_query_threshold;  /* % of the query's unique frames matched (default 0) */
    double video_stored_threshold; /* % of the stored video's unique frames matched (default 80) */
    int trim_borders;         /* 1 (default): also match the hash of the content inside
                                 uniform borders / letterbox bands, when the image has any */
    int features;             /* 1 (default): when no hash matched a still image, match its
                                 local features against the entries that carry them (lists
                                 built from images; LM_VARIANT_FEATURES); 0: off */
    int regions;              /* 1 (default): also match the region proposals of a still
                                 image (pictures inside captions, UI frames, collages,
                                 insets; lm_check_result.regions); 0: off */
} lm_check_options;

LM_API void lm_check_options_init(lm_check_options *opts);

/*
 * Regions of an image whose PDQ hashes are stored as companions of a list
 * entry (lm_list_add_image), so that crops of the image still match. Values
 * are stored on disk: never renumbered. Percentages are of each side.
 */
typedef enum lm_region {
    LM_REGION_WHOLE = 0,           /* the entry's own (whole-image) hash */
    LM_REGION_CENTER_90 = 1,       /* the centred 90% */
    LM_REGION_CENTER_80 = 2,
    LM_REGION_TOP_LEFT_90 = 3,     /* the 90% anchored at the top-left corner */
    LM_REGION_TOP_RIGHT_90 = 4,
    LM_REGION_BOTTOM_LEFT_90 = 5,
    LM_REGION_BOTTOM_RIGHT_90 = 6,
    LM_REGION_TRIMMED = 7,         /* the content inside the image's own borders */
    LM_REGION_CENTER_95 = 8,
    LM_REGION_TOP_LEFT_95 = 9,
    LM_REGION_TOP_RIGHT_95 = 10,
    LM_REGION_BOTTOM_LEFT_95 = 11,
    LM_REGION_BOTTOM_RIGHT_95 = 12,
    LM_REGION_CENTER_85 = 13,
    LM_REGION_TOP_90 = 14,         /* full width, the top 90% of the height */
    LM_REGION_BOTTOM_90 = 15,
    LM_REGION_LEFT_90 = 16,        /* full height, the left 90% of the width */
    LM_REGION_RIGHT_90 = 17,
    LM_REGION_TOP_95 = 18,
    LM_REGION_BOTTOM_95 = 19,
    LM_REGION_LEFT_95 = 20,
    LM_REGION_RIGHT_95 = 21
} lm_region;

/* "whole", "center95", "top-left90", "trimmed", ...; "unknown" otherwise. Never NULL. */
LM_API const char *lm_region_name(int region);

/* Which of the query's hashes matched (lm_match.variant): flags. */
#define LM_VARIANT_PLAIN 0     /* the query's plain hash against the entry's own hash */
#define LM_VARIANT_TRIMMED 1   /* the hash of the query's content inside its borders */
#define LM_VARIANT_COMPANION 2 /* against a companion of the entry (lm_match.region says which) */
#define LM_VARIANT_REGION 4    /* a region proposal of the query (lm_match.rect says where) */

/* "plain", "trimmed", "companion", "region" for one LM_VARIANT_* flag (0: "plain"). Never NULL. */
LM_API const char *lm_variant_name(int variant_flag);

/* A rectangle of an image in pixels. */
typedef struct lm_rect {
    uint32_t x, y, w, h;
} lm_rect;
#define LM_VARIANT_FEATURES 8  /* the query's local features against the entry's, geometrically
                                  verified (no hash matched; lm_match.score: inliers; distance:
                                  the plain hash's, for information) */

/* One matching list entry. */
typedef struct lm_match {
    uint64_t entry_id;        /* the entry's id in the hash list */
    lm_hash_type type;        /* which hash matched: PDQ, or an exact digest */
    int distance;             /* PDQ Hamming distance (0 for digests) */
    int dihedral;             /* lm_dihedral orientation of the query that matched */
    int flags;                /* LM_MATCH_NEGATIVE, LM_MATCH_SUPPRESSED (0: an ordinary match);
                                 sits in what was padding: the struct's size is unchanged */
    int64_t frame;            /* for a video: the frame number that matched; -1 otherwise */
    /* type LM_HASH_VPDQ (a query video matched a stored video; distance 0, frame -1): */
    double query_percent;     /* share of the query's unique frames with a stored partner */
    double stored_percent;    /* share of the stored video's unique frames with a query partner */
    int variant;              /* LM_VARIANT_* flags: plain, trimmed query, companion */
    int region;               /* lm_region of the entry's hash that matched (0: whole image) */
    int score;                /* confidence 0..100: PDQ 100 - 100 * distance / 64 (at least
                                 0; 52 at the default distance 31), digests 100, stored
                                 videos the lower of the two percentages; LM_VARIANT_FEATURES:
                                 keypoint pairs consistent with one similarity transform (at
                                 least 22, at most 100). Read with variant: region and feature
                                 matches are weaker evidence than plain ones */
    lm_rect rect;             /* PDQ: the query's rectangle that matched, in pixels of the
                                 image as decoded (source size, after orientation when
                                 applied): the whole image for plain matches */
} lm_match;

/* lm_match.flags */
#define LM_MATCH_NEGATIVE 1   /* the entry is on a negative list (a known false positive) */
#define LM_MATCH_SUPPRESSED 2 /* suppressed by a negative match of the same image (or frame) */

typedef enum lm_verdict {
    LM_VERDICT_NO_MATCH = 0,
    LM_VERDICT_MATCH = 1,
    LM_VERDICT_LOW_QUALITY = 2, /* no digest matched; PDQ not compared: quality below min_quality */
    LM_VERDICT_NOT_IMAGE = 3,   /* no digest matched; the bytes are not a decodable image */
    LM_VERDICT_SUPPRESSED = 4   /* only known false positives: an entry of a negative list
                                   matched, and every other match of the same image (for a
                                   video: frame) was suppressed. matches[] holds the negative
                                   matches (LM_MATCH_NEGATIVE), then the suppressed ones */
} lm_verdict;

#define LM_CHECK_MAX_MATCHES 16
#define LM_CHECK_MAX_REGIONS 8 /* region proposals per image, at most (see libmatch/region) */

/* How a region proposal was found (lm_query_region.kind). */
#define LM_REGION_KIND_BANDS 1 /* inside bands uniform apart from text/UI: captions, frames */
#define LM_REGION_KIND_SPLIT 2 /* a cell of a collage cut along straight seams */
#define LM_REGION_KIND_INSET 3 /* a rectangle bounded by straight edges: inset, picture in a UI */

/* "bands", "split", "inset"; "unknown" otherwise. Never NULL. */
LM_API const char *lm_region_kind_name(int kind);

/* One region proposal of a query image and its hash. */
typedef struct lm_query_region {
    lm_rect rect;       /* in pixels of the image as decoded (as lm_match.rect) */
    int kind;           /* LM_REGION_KIND_* */
    lm_image_hash hash; /* pdq, quality, dihedral (with the dihedral option), format */
} lm_query_region;

/*
 * The outcome of lm_check: a plain value owned by the caller. Set struct_size
 * before the call, e.g. `lm_check_result r = {.struct_size = sizeof r};`: the
 * library accepts LM_CHECK_RESULT_MIN_SIZE..sizeof(lm_check_result) and writes
 * no more than struct_size bytes, so that fields added at the end in later
 * versions never break a program built against this header (any other value:
 * LM_E_INVALID_ARG, nothing written). Results passed back in (lm_check_hashes)
 * are read up to their own struct_size.
 */
typedef struct lm_check_result {
    uint32_t struct_size;             /* sizeof(lm_check_result), set by the caller */
    lm_verdict verdict;
    int decoded;                      /* 1 when the input decoded as an image; then image is valid */
    int is_video;                     /* 1 for a video: its sampled frames were each matched, and
                                         image holds the first frame's hash */
    size_t frames_hashed;             /* video frames hashed */
    lm_status decode_status;          /* why it did not decode, when decoded == 0 */
    lm_image_hash image;
    int has_trimmed;                  /* 1: the image has uniform borders or letterbox bands
                                         (trim_borders option) and trimmed is valid */
    lm_image_hash trimmed;            /* the hash of the content inside them (pdq, quality,
                                         dihedral, format; width and height 0) */
    uint8_t md5[16], sha1[20], sha256[32]; /* digests of the input bytes */
    size_t match_count;               /* total matches (may exceed LM_CHECK_MAX_MATCHES) */
    lm_match matches[LM_CHECK_MAX_MATCHES]; /* ordinary matches first, then negative, then
                                         suppressed; within each digests first, then stored
                                         videos (LM_HASH_VPDQ), then PDQ by distance */
    char detail[256];                 /* human-readable detail (decoder message), "" if none */
    lm_rect trimmed_rect;             /* with has_trimmed: where the content is, in pixels of
                                         the image as decoded */
    size_t region_count;              /* region proposals hashed (regions option), best first */
    lm_query_region regions[LM_CHECK_MAX_REGIONS];
    /* Fields added after LIBMATCH_1.2 go here, at the end; the library writes them
       only when struct_size covers them. */
    int video_truncated;              /* with is_video: 1 when the frames end before the stream
                                         does, the file being cut short or damaged (a read error,
                                         demuxing stopped on an error, the container's sample
                                         index reaching past the end of the file, or packets
                                         ending well before the declared duration); the frames
                                         before the cut were matched and detail says why. 0
                                         otherwise. (Still images: image.truncated.) */
} lm_check_result;

/* The smallest struct_size accepted: lm_check_result as LIBMATCH_1.2 defined it. */
#define LM_CHECK_RESULT_MIN_SIZE                                                              \
    (offsetof(lm_check_result, regions) + LM_CHECK_MAX_REGIONS * sizeof(lm_query_region))

/* Descriptive fields of a list entry, for verdicts and evidence records. */
typedef struct lm_entry_info {
    uint64_t id;
    lm_hash_type type;
    int quality;                      /* PDQ quality recorded with the hash, -1 if unknown */
    char hash_hex[LM_PDQ_HEX_CHARS + 1]; /* the stored hash in hex */
    char list[64];                    /* the list's name */
    char label[128];                  /* label / category */
    char reference[256];              /* external reference (e.g. the supplier's id) */
    int64_t added;                    /* Unix time the entry was added */
} lm_entry_info;

typedef struct lm_matcher lm_matcher;

/*
 * Open the hash list at db_path read-only and build the in-memory index.
 * A matcher is immutable and may be shared by any number of threads.
 * Returns LM_OK, LM_E_NOT_FOUND, LM_E_DB, LM_E_DB_SCHEMA, LM_E_NOMEM.
 * On failure *out is NULL; when errbuf is non-NULL it receives a detail message.
 */
LM_API lm_status lm_matcher_open(const char *db_path, lm_matcher **out, char *errbuf,
                                 size_t errbuf_size);
LM_API void lm_matcher_close(lm_matcher *m);

/* Number of PDQ hashes in the index: entries' own hashes plus their crop companions
 * (stored videos' frames are not counted). */
LM_API size_t lm_matcher_size(const lm_matcher *m);

/*
 * Check one input held in memory: digest it, decode and hash it, and match
 * both against the list. A video's sampled frames are each matched against the
 * PDQ entries (known images inside it), and the whole video against the stored
 * videos (LM_HASH_VPDQ entries, scored as vPDQ: a match when both
 * video_query_threshold and video_stored_threshold are reached; the match
 * carries both percentages). Thread-safe on a shared matcher.
 *  [in]  opts  NULL for defaults.
 *  [out] out   always filled (verdict NO_MATCH / NOT_IMAGE on undecodable input).
 * Returns LM_OK when the check ran (whatever the verdict), or LM_E_INVALID_ARG,
 * LM_E_NOMEM, LM_E_DB, LM_E_LIMIT_BYTES.
 */
LM_API lm_status lm_check(const lm_matcher *m, const void *data, size_t len,
                          const lm_check_options *opts, lm_check_result *out);

/*
 * Match one PDQ hash given directly (hash-sharing partners). quality < 0 means
 * unknown (not filtered). Writes up to cap matches, best first, and the total
 * in *found. Thread-safe.
 */
LM_API lm_status lm_match_pdq(const lm_matcher *m, const lm_pdq_hash *hash, int quality,
                              const lm_check_options *opts, lm_match *matches, size_t cap,
                              size_t *found);

/*
 * The k PDQ entries nearest to *hash within max_distance (0..256), exact, for
 * an analyst's "closest known hashes" triage: only entries active now (removed,
 * disabled and disabled-list entries are skipped, even when they were removed
 * after the matcher was opened), closest first, ties by entry order; a crop
 * companion stands for its entry (region set). Negative-list entries are
 * included and flagged LM_MATCH_NEGATIVE; no hits are counted.
 *  [out] matches  room for k (may be NULL when k == 0); *found: how many (<= k).
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_DB. Thread-safe.
 */
LM_API lm_status lm_match_nearest(const lm_matcher *m, const lm_pdq_hash *hash, int k,
                                  int max_distance, lm_match *matches, size_t *found);

/* Match an exact digest (type MD5/SHA1/SHA256, len 16/20/32 bytes). */
LM_API lm_status lm_match_digest(const lm_matcher *m, lm_hash_type type, const uint8_t *digest,
                                 size_t len, lm_match *matches, size_t cap, size_t *found);

/*
 * Re-run matching from the hashes of an earlier lm_check result, without the
 * bytes: for caches of computed hashes (re-scans after a list update). The
 * digests, decoded/decode_status/detail, image (pdq, quality, and the
 * dihedral hashes when opts->dihedral), the trimmed hash and its rectangle and
 * the region proposals (regions, region_count) of *hashes are used; its verdict and
 * matches are ignored and recomputed against m under opts, exactly as lm_check
 * would (same verdict, matches and order), provided *hashes came from lm_check
 * with the same exact/dihedral/max_pixels options. Thread-safe on a shared matcher.
 *  [in]  hashes  an earlier result (any matcher); not modified; must not be out.
 *  [in]  opts    NULL for defaults.
 *  [out] out     the new result, filled on LM_OK.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_DB, or LM_E_UNSUPPORTED for a
 * video (is_video: its frame hashes are not part of a result; check the bytes again).
 */
LM_API lm_status lm_check_hashes(const lm_matcher *m, const lm_check_result *hashes,
                                 const lm_check_options *opts, lm_check_result *out);

/*
 * Entries of the matcher's current snapshot that carry local features (added
 * from images with lm_list_add_image; LM_VARIANT_FEATURES). lm_check_hashes
 * cannot run that stage (it needs the pixels): callers caching hashes should
 * decode again when this is non-zero. 0 for NULL.
 */
LM_API size_t lm_matcher_feature_entries(const lm_matcher *m);

/* Describe an entry (labels, list) for a verdict. LM_E_NOT_FOUND if it was removed. */
LM_API lm_status lm_matcher_entry(const lm_matcher *m, uint64_t entry_id, lm_entry_info *out);

/* ------------------------------------------------------------------------ */
/* Building lists from images                                               */
/* ------------------------------------------------------------------------ */

/* Options of lm_list_add_image. Initialise with lm_list_add_options_init. */
typedef struct lm_list_add_options {
    uint32_t struct_size;  /* sizeof(lm_list_add_options) */
    const char *list;      /* list name (NULL: "manual"); created when absent */
    const char *label;     /* NULL or printable text (at most 127 bytes) */
    const char *reference; /* NULL or printable text (at most 255 bytes) */
    int companions;        /* 1 (default): also store the crop companions; 0: the plain hash only */
    uint64_t max_bytes;    /* 0: library default (256 MiB) */
    uint64_t max_pixels;   /* 0: library default (100 megapixels) */
    int features;          /* 1 (default): also store the image's local features (up to 256
                              keypoints, ~9.7 KB; crops at any offset, small rotations and
                              boxes match, LM_VARIANT_FEATURES); 0: none */
} lm_list_add_options;

LM_API void lm_list_add_options_init(lm_list_add_options *opts);

/*
 * Add an image to the hash list at db_path (opened for writing, then closed):
 * one PDQ entry holding the image's standard, reference-compatible hash
 * (decoded exactly as the reference), and, unless opts->companions is 0, the
 * PDQ hashes of a fixed set of 18 sub-regions (centred, the four corners and
 * the four sides, each at 95% and 90% of the side; plus the content inside the
 * image's own borders when it has any) stored as companions of that entry,
 * all in one transaction. A matcher
 * matches the entry when a query is within distance of its hash or of any
 * companion; exports write the standard hash only; removing the entry removes
 * its companions.
 *  [in]  data, len  the encoded image; not retained. Videos are LM_E_FORMAT.
 *  [in]  opts       NULL for defaults.
 *  [out] entry_id   the new entry's id; with LM_E_EXISTS the id of the entry
 *                   of that list already holding the hash (nothing is written). May be NULL.
 *  [out] errbuf     when non-NULL, a detail message on failure.
 * Returns LM_OK, LM_E_EXISTS, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_NOT_FOUND (no
 * database), LM_E_DB, LM_E_DB_SCHEMA, and the decoding codes of lm_hash_memory.
 * Not to be called while the same process holds the database open elsewhere.
 */
LM_API lm_status lm_list_add_image(const char *db_path, const void *data, size_t len,
                                   const lm_list_add_options *opts, uint64_t *entry_id,
                                   char *errbuf, size_t errbuf_size);

/* ------------------------------------------------------------------------ */
/* List rules, live updates and hit counters                                */
/* ------------------------------------------------------------------------ */
/*
 * List rules (set with 'pmatch db list', 'pmatch db disable'): each list has its
 * own PDQ distance (unset: the caller's max_distance), an enabled switch and a
 * kind (normal, or negative: known false positives whose match suppresses the
 * image's other matches, see LM_VERDICT_SUPPRESSED); entries can be disabled.
 *
 * When changes reach an open matcher:
 *  - immediately: entry removal, entry disable/enable, list disable/enable
 *    (every candidate is confirmed against the list at query time);
 *  - at the next lm_matcher_refresh: added entries, list distance and kind.
 */

/* Flags for lm_matcher_open_with. */
#define LM_MATCHER_WRITABLE 1u /* also open the list for writing so that
                                  lm_matcher_flush_hits can store hit counters; when the
                                  list cannot be written the matcher opens read-only */

/* lm_matcher_open with flags (0 or LM_MATCHER_WRITABLE). Same codes as lm_matcher_open. */
LM_API lm_status lm_matcher_open_with(const char *db_path, unsigned flags, lm_matcher **out,
                                      char *errbuf, size_t errbuf_size);

/*
 * Pick up a newer list generation without stopping queries. When the list
 * changed since the matcher's snapshot, a new index is built beside the current
 * one (memory for both is held meanwhile) and swapped in atomically; queries
 * running during the swap finish on the snapshot they started with, which is
 * freed when the last of them returns. Safe to call from any thread while
 * others query; concurrent refreshes are serialised.
 *  [out] changed  (may be NULL) 1 when a new snapshot was swapped in, else 0.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_DB (the old snapshot stays in
 * use on failure).
 */
LM_API lm_status lm_matcher_refresh(lm_matcher *m, int *changed);

/* The list generation of the matcher's current snapshot (0 for NULL). */
LM_API uint64_t lm_matcher_generation(const lm_matcher *m);

/*
 * Hit counters: every match a query reports (ordinary or negative; not the
 * suppressed ones) is counted in memory, per entry and day, with atomics and no
 * list write on the query path. This writes the counts into the list's hit
 * table (total, first/last time, per-day buckets for the last 90 days) in one
 * transaction that does not change the generation, and restarts the counts.
 *  [out] flushed  (may be NULL) hits written.
 * Returns LM_OK, LM_E_UNSUPPORTED (the matcher is read-only: open it with
 * LM_MATCHER_WRITABLE on a writable list; the counts are kept), LM_E_DB,
 * LM_E_NOMEM (counts kept for the next flush). Thread-safe.
 */
LM_API lm_status lm_matcher_flush_hits(lm_matcher *m, size_t *flushed);

/* ------------------------------------------------------------------------ */
/* Hash lists: open, import, export, edit and inspect a list (lm_db_*)      */
/* ------------------------------------------------------------------------ */
/*
 * A hash list is an LMDB environment: a directory holding data.mdb and
 * lock.mdb. An lm_db handle is the one way to change a list; matchers can be
 * built on the same handle (lm_matcher_open_db).
 *
 * Threads: a handle may be shared by any number of threads. Reads run in
 * their own read transaction and see one consistent snapshot; writes are
 * serialised (also across processes). Open a list at most once per process
 * and share that handle (a second handle on the same path in one process
 * would break LMDB's locking); other processes may open it at the same time.
 *
 * Durability: every write is one transaction, committed with a full sync. A
 * crash or kill at any point leaves the list as of the last commit. Every
 * committed write bumps the list's generation.
 *
 * Errors: every call returns an lm_status. lm_db_last_error(db) then says
 * what is wrong (a message owned by the handle, valid until the next call on
 * it; with concurrent failing calls it describes one of them), and
 * lm_db_last_hint(db) names what would help, for the caller to word in its
 * own terms (a command, a flag, a button). Functions taking a handle return
 * LM_E_INVALID_ARG for a NULL handle or one whose open failed.
 */
typedef struct lm_db lm_db;

/* Text limits of list records, in bytes without the NUL (they fit lm_entry_info). */
#define LM_DB_MAX_LIST_NAME 63
#define LM_DB_MAX_LABEL 127
#define LM_DB_MAX_REFERENCE 255
#define LM_DB_MAX_SOURCE 255
#define LM_DB_MAX_VERSION 63
#define LM_DB_MAX_HASH_BYTES 32 /* the longest hash (PDQ, SHA-256) */
#define LM_DB_TYPE_SLOTS 6      /* by_type[] arrays: indexed by lm_hash_type, 0 unused */

/* Flags of lm_db_open. */
enum {
    LM_DB_READONLY = 0,
    LM_DB_WRITE = 1,    /* open an existing list for writing */
    LM_DB_CREATE = 2,   /* implies WRITE: create the directory and an empty list when absent */
    LM_DB_CHECK = 4,    /* check every page of the file at open (reads it all), then read
                           through LMDB directly. Without it an open checks the meta pages
                           and the table directory only; every read then checks the pages it
                           visits, a call reading a whole list (stats, export, verify) checks
                           every page first, and the first write checks every page before it
                           writes anything. Either way a damaged file is LM_E_DB, never a
                           crash inside LMDB, and is never written */
    LM_DB_EXCLUSIVE = 8 /* with CREATE: LM_E_EXISTS when a list is already there */
};

/* What would help after a failure (lm_db_last_hint). Values are part of the ABI. */
typedef enum lm_db_hint {
    LM_DB_HINT_NONE = 0,
    LM_DB_HINT_VERIFY = 1,   /* the list is damaged: lm_db_verify says what and where */
    LM_DB_HINT_CREATE = 2,   /* there is no list at the path: open with LM_DB_CREATE */
    LM_DB_HINT_SKIP_BAD = 3, /* the input has bad lines: lm_db_import_opts.skip_bad skips them */
    LM_DB_HINT_FORMAT = 4,   /* the format chosen holds other hashes: choose another format
                                or hash type */
    LM_DB_HINT_VPDQ = 5      /* a video: video entries come from vPDQ frame files
                                (LM_DB_FORMAT_VPDQ) */
} lm_db_hint;

/*
 * Open the list at path. Without LM_DB_CREATE a missing or empty list is
 * LM_E_NOT_FOUND (hint CREATE). A list of another schema version is
 * LM_E_DB_SCHEMA; a damaged file is LM_E_DB.
 *  [in]  path   the list's directory; copied.
 *  [in]  flags  LM_DB_* flags.
 *  [out] out    the handle; close it with lm_db_close. On failure other than
 *               LM_E_INVALID_ARG and LM_E_NOMEM *out is a failed handle that only
 *               holds the error (lm_db_last_error, lm_db_last_hint) and must be
 *               closed too (as SQLite's sqlite3_open); else NULL.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_NOT_FOUND, LM_E_EXISTS, LM_E_IO,
 * LM_E_DB, LM_E_DB_SCHEMA. Thread-safe (different paths).
 */
LM_API lm_status lm_db_open(const char *path, unsigned flags, lm_db **out);
/* Close a handle (NULL is fine). No call on it, and no matcher built on it, may be running. */
LM_API void lm_db_close(lm_db *db);
/* What the last failing call on db found wrong; "" if none; static text for NULL. */
LM_API const char *lm_db_last_error(const lm_db *db);
/* What would help after the last failing call on db (LM_DB_HINT_NONE if nothing). */
LM_API lm_db_hint lm_db_last_hint(const lm_db *db);
/* [out] out: the list's generation, changed by every committed write. */
LM_API lm_status lm_db_generation(lm_db *db, uint64_t *out);

/* "pdq", "md5", "sha1"/"sha-1", "sha256"/"sha-256" (case-insensitive) -> type.
 * Returns LM_OK, LM_E_PARSE, LM_E_INVALID_ARG. Thread-safe. */
LM_API lm_status lm_hash_type_parse(const char *name, lm_hash_type *out);

/* ---- import -------------------------------------------------------------- */

/* List formats. Values are part of the ABI: never renumbered. */
typedef enum lm_db_format {
    LM_DB_FORMAT_AUTO = 0,      /* decided from the first content line */
    LM_DB_FORMAT_HEX = 1,       /* one hex hash per line */
    LM_DB_FORMAT_PDQ_CSV = 2,   /* hash,quality,path as 'pmatch hash' prints it (Meta's) */
    LM_DB_FORMAT_CSV = 3,       /* header naming columns: hash, type, quality, label,
                                   reference */
    LM_DB_FORMAT_TSV = 4,       /* the same, tab-separated */
    LM_DB_FORMAT_HMA_CSV = 5,   /* hasher-matcher-actioner: hash,indicator_id,timestamp,tags */
    LM_DB_FORMAT_TE_CSV = 6,    /* ThreatExchange: signal_type,signal_str,collab,category,tags */
    LM_DB_FORMAT_VPDQ = 7,      /* Meta's vPDQ frame,quality,hash,timestamp: one file = one
                                   video entry */
    LM_DB_FORMAT_NCMEC_XML = 8, /* NCMEC hash-sharing XML (deleted* entries remove) */
    LM_DB_FORMAT_STOPNCII_JSON = 9, /* StopNCII records: signalType, hashValue, hashStatus */
    LM_DB_FORMAT_TAT_JSON = 10,     /* Tech Against Terrorism: hash_digest, algorithm, deleted */
    LM_DB_FORMAT_MD5 = 11,          /* hex with the type forced: a plain MD5 list */
    LM_DB_FORMAT_SHA1 = 12,         /* a plain SHA-1 list */
    LM_DB_FORMAT_SHA256 = 13        /* a plain SHA-256 list */
} lm_db_format;
#define LM_DB_FORMAT_LAST LM_DB_FORMAT_SHA256

/* "auto", "hex", "pdq-csv", "csv", "tsv", "hma-csv", "te-csv", "vpdq", "ncmec-xml",
 * "stopncii-json", "tat-json", "md5", "sha1", "sha256"; "unknown" otherwise. Thread-safe. */
LM_API const char *lm_db_format_name(lm_db_format f);
/* A name above (case-insensitive) or an alias: "meta-pdq" (= pdq-csv),
 * "threatexchange-csv" (= te-csv), "plain" (= hex), "sha-1", "sha-256".
 * Returns LM_OK, LM_E_PARSE, LM_E_INVALID_ARG. Thread-safe. */
LM_API lm_status lm_db_format_parse(const char *name, lm_db_format *out);

typedef enum lm_db_line_kind {
    LM_DB_LINE_BAD = 1,       /* rejected: the reason says why */
    LM_DB_LINE_DUPLICATE = 2, /* already in the list (or earlier in the input): not added */
    LM_DB_LINE_NOT_FOUND = 3, /* a removal of a hash the list does not hold: nothing to do */
    LM_DB_LINE_SKIPPED = 4    /* a record of a kind this build does not store (e.g. PhotoDNA) */
} lm_db_line_kind;

/* Called for each notable input line (or record), in input order, lines numbered from 1;
 * reason is valid during the call only. Called on the importing thread. */
typedef void (*lm_db_line_fn)(void *ctx, uint64_t line, lm_db_line_kind kind, const char *reason);

/* Import options. Initialise with lm_db_import_opts_init, then change fields. */
typedef struct lm_db_import_opts {
    uint32_t struct_size;  /* sizeof(lm_db_import_opts) */
    lm_db_format format;   /* AUTO: decided from the first content line */
    lm_hash_type type;     /* 0: from a type column, or by length (64 hex digits: PDQ) */
    const char *list;      /* list name (NULL: "default"); created when absent */
    const char *source;    /* provenance, stored with the list (NULL: keep) */
    const char *version;   /* the supplier's list version (NULL: keep) */
    int skip_bad;          /* 1: skip bad lines; 0: any bad line fails the import */
    int replace;           /* 1: the list's entries become exactly the input's */
    lm_db_line_fn on_line; /* NULL or a reporter for bad, duplicate, not-found, skipped lines */
    void *ctx;             /* passed to on_line */
    const char *label;     /* vpdq: the video entry's label (NULL: none) */
    const char *reference; /* vpdq: its reference (NULL: name) */
    const char *name;      /* the input's name (a path), for vpdq references; may be NULL */
} lm_db_import_opts;

/* What an import did. Set struct_size (sizeof) before the call: the library writes
 * no more than that, so the struct can grow. */
typedef struct lm_db_import_result {
    uint32_t struct_size; /* sizeof(lm_db_import_result) */
    lm_db_format format;  /* the format used (after detection) */
    uint64_t lines;       /* lines read */
    uint64_t added;       /* entries written */
    uint64_t duplicates;  /* lines not added: already present */
    uint64_t bad;         /* bad lines (skipped or fatal) */
    uint64_t removed;     /* entries removed: by replace, or by deletion records */
    uint32_t list_id;
    uint64_t updated;   /* entries whose label, reference or quality a record changed */
    uint64_t not_found; /* deletion records for hashes the list did not hold */
    uint64_t skipped;   /* records of unsupported kinds (LM_DB_LINE_SKIPPED) */
} lm_db_import_result;

LM_API void lm_db_import_opts_init(lm_db_import_opts *o);

/*
 * Import a list in one transaction: all of it or nothing (a kill during the
 * import leaves the list as it was). Records carry additions and deletions
 * (NCMEC deleted entries, StopNCII withdrawn/deleted, TAT deleted); a record
 * for a hash the list holds with another label, reference or quality updates
 * that entry. Per hash the records apply in input order. `replace` first
 * empties the list. Bad lines go to on_line; without skip_bad any bad line is
 * LM_E_IMPORT (hint SKIP_BAD) and nothing is written.
 *  [in]  db      opened with LM_DB_WRITE or LM_DB_CREATE.
 *  [in]  data, len / path / in   the input; not retained (in is read to its end, not closed).
 *  [in]  opts    NULL for defaults.
 *  [out] result  may be NULL.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_IMPORT, LM_E_IO, LM_E_NOMEM, LM_E_DB,
 * LM_E_NOT_FOUND (no file at path). Thread-safe (imports are serialised).
 */
LM_API lm_status lm_db_import_memory(lm_db *db, const void *data, size_t len,
                                     const lm_db_import_opts *opts, lm_db_import_result *result);
LM_API lm_status lm_db_import_path(lm_db *db, const char *path, const lm_db_import_opts *opts,
                                   lm_db_import_result *result);
LM_API lm_status lm_db_import_stream(lm_db *db, FILE *in, const lm_db_import_opts *opts,
                                     lm_db_import_result *result);

/* ---- export -------------------------------------------------------------- */

/* Export options. Initialise with lm_db_export_opts_init, then change fields. */
typedef struct lm_db_export_opts {
    uint32_t struct_size; /* sizeof(lm_db_export_opts) */
    lm_db_format format;  /* AUTO means CSV */
    const char *list;     /* NULL: every list */
    lm_hash_type type;    /* 0: every type (PDQ_CSV always exports PDQ only) */
    uint64_t entry;       /* VPDQ: the video entry to write as vPDQ text (required) */
} lm_db_export_opts;

LM_API void lm_db_export_opts_init(lm_db_export_opts *o);

/*
 * Write entries in id order from one snapshot to out (not closed). Importing
 * canonical text (as exported) into an empty list and exporting it gives the
 * same bytes. Video entries are left out of the line formats; LM_DB_FORMAT_VPDQ
 * writes the frames of video entry opts->entry. LM_DB_FORMAT_HMA_CSV writes
 * hash,indicator_id(reference),timestamp(added),tags(label). NCMEC XML and the
 * JSON formats are import-only (LM_E_UNSUPPORTED).
 *  [out] written  entries written (may be NULL).
 * Returns LM_OK, LM_E_INVALID_ARG (hint FORMAT: a format and type that do not fit),
 * LM_E_NOT_FOUND (unknown list or entry), LM_E_IO (writing failed), LM_E_DB,
 * LM_E_UNSUPPORTED, LM_E_NOMEM. Thread-safe.
 */
LM_API lm_status lm_db_export(lm_db *db, FILE *out, const lm_db_export_opts *opts,
                              uint64_t *written);

/* ---- entries ------------------------------------------------------------- */

/*
 * Add one hash given as hex text.
 *  [in]  hex, len  the hash's hex digits (either case), no white space.
 *  [in]  type      0: by length (64: PDQ, 32: MD5, 40: SHA-1); else the type (PDQ, MD5,
 *                  SHA1, SHA256).
 *  [in]  quality   PDQ quality 0..100, or -1 for unknown.
 *  [in]  opts      list (NULL: "manual", created when absent), label, reference; the
 *                  other fields are not used. NULL for defaults.
 *  [out] entry_id  the new entry's id; with LM_E_EXISTS the id of the entry of that
 *                  list already holding the hash (nothing written). May be NULL.
 * Returns LM_OK, LM_E_EXISTS, LM_E_PARSE (the detail says what is wrong with the text),
 * LM_E_INVALID_ARG (bad label, reference, list name or quality), LM_E_NOMEM, LM_E_DB.
 */
LM_API lm_status lm_db_add_hash(lm_db *db, const char *hex, size_t len, lm_hash_type type,
                                int quality, const lm_list_add_options *opts, uint64_t *entry_id);

/*
 * Add an image as lm_list_add_image does (its standard PDQ hash plus crop
 * companions, one transaction), on an open handle. Videos and animations are
 * LM_E_FORMAT with hint VPDQ; other undecodable input LM_E_FORMAT/LM_E_CORRUPT.
 * Same parameters and codes as lm_list_add_image; the detail is lm_db_last_error.
 * lm_db_add_image_file reads the file first (up to opts->max_bytes; also LM_E_IO).
 */
LM_API lm_status lm_db_add_image(lm_db *db, const void *data, size_t len,
                                 const lm_list_add_options *opts, uint64_t *entry_id);
LM_API lm_status lm_db_add_image_file(lm_db *db, const char *path, const lm_list_add_options *opts,
                                      uint64_t *entry_id);

/* Remove entry id (and its companions). Returns LM_OK, LM_E_NOT_FOUND, LM_E_DB. */
LM_API lm_status lm_db_remove(lm_db *db, uint64_t id);
/* Remove every entry holding this hash (hex, type as lm_db_add_hash), only in list when
 * non-NULL. [out] removed (may be NULL). LM_E_NOT_FOUND when none holds it or there is
 * no such list; LM_E_PARSE for bad hex. */
LM_API lm_status lm_db_remove_hash(lm_db *db, const char *hex, size_t len, lm_hash_type type,
                                   const char *list, size_t *removed);
/* Describe entry id. [out] companions (may be NULL): its crop companion hashes.
 * Returns LM_OK, LM_E_NOT_FOUND, LM_E_DB. */
LM_API lm_status lm_db_entry(lm_db *db, uint64_t id, lm_entry_info *out, size_t *companions);
/*
 * A page of the entries of one list (NULL: of every list) in id order, those with ids above
 * after (0 for the first page), from one snapshot.
 *  [out] out[0..*n)  up to cap (>= 1) entries, described as lm_db_entry does.
 *  [out] next        the after of the next page; 0 when there is none.
 * A call steps over at most 1,000,000 entries of other lists: then *n may be below cap
 * while *next is not 0 (go on from there). Returns LM_OK, LM_E_NOT_FOUND (no such list),
 * LM_E_INVALID_ARG, LM_E_DB. Thread-safe.
 */
LM_API lm_status lm_db_list_entries(lm_db *db, const char *list, uint64_t after,
                                    lm_entry_info *out, size_t cap, size_t *n, uint64_t *next);
/* Delete list name: every entry in it (with companions, features, video frames), its
 * attributes and its record, in one transaction. A matcher stops matching them at once
 * (candidates are confirmed in LMDB) and drops them from its index at the next refresh.
 * [out] removed (may be NULL): entries removed. Returns LM_OK, LM_E_NOT_FOUND, LM_E_DB. */
LM_API lm_status lm_db_delete_list(lm_db *db, const char *name, uint64_t *removed);
/* The local features stored with entry id (lm_list_add_options.features): [out] keypoints
 * and record bytes (each may be NULL), 0 when it has none. Returns LM_OK, LM_E_DB. */
LM_API lm_status lm_db_entry_features(lm_db *db, uint64_t id, size_t *keypoints, size_t *bytes);
/* Disable (disabled = 1) or enable n entries in one transaction; a disabled entry never
 * matches. An id naming no entry is LM_E_NOT_FOUND and nothing changes.
 * [out] changed (may be NULL): entries whose state changed. */
LM_API lm_status lm_db_set_disabled(lm_db *db, const uint64_t *ids, size_t n, int disabled,
                                    size_t *changed);

/* ---- lists and their attributes ------------------------------------------ */

/* One list: a small fixed-layout value. */
typedef struct lm_db_list_info {
    uint32_t id;
    char name[LM_DB_MAX_LIST_NAME + 1];
    char source[LM_DB_MAX_SOURCE + 1];
    char version[LM_DB_MAX_VERSION + 1];
    int64_t created;  /* Unix time the list was first made */
    int64_t imported; /* Unix time of the last import into it */
    uint64_t entries; /* entries it holds */
} lm_db_list_info;

/* Up to cap lists (out may be NULL with cap 0), by id, and the total in *count. */
LM_API lm_status lm_db_lists(lm_db *db, lm_db_list_info *out, size_t cap, size_t *count);

/* Values are stored on disk: never renumbered. */
typedef enum lm_db_list_kind {
    LM_DB_LIST_NORMAL = 0,
    LM_DB_LIST_NEGATIVE = 1 /* known false positives: a match suppresses the image's other
                               matches (LM_VERDICT_SUPPRESSED) */
} lm_db_list_kind;

/* A list's match rules: a small fixed-layout value. */
typedef struct lm_db_list_attrs {
    uint32_t list_id;
    int distance; /* PDQ match distance 0..256 for this list; -1: the caller's max_distance */
    int enabled;  /* 0: the list never matches */
    lm_db_list_kind kind;
} lm_db_list_attrs;

/* Which fields lm_db_set_list_attrs changes. */
enum { LM_DB_ATTR_DISTANCE = 1, LM_DB_ATTR_ENABLED = 2, LM_DB_ATTR_KIND = 4 };

/* "normal", "negative"; NULL for other values. Thread-safe. */
LM_API const char *lm_db_list_kind_name(lm_db_list_kind k);
/* Returns LM_OK, LM_E_PARSE, LM_E_INVALID_ARG. */
LM_API lm_status lm_db_list_kind_parse(const char *name, lm_db_list_kind *out);
/* Change the fields in `which` of the named list (one transaction). LM_E_NOT_FOUND for an
 * unknown list, LM_E_INVALID_ARG for values out of range. */
LM_API lm_status lm_db_set_list_attrs(lm_db *db, const char *list, const lm_db_list_attrs *a,
                                      unsigned which);
/* The attributes of list list_id (defaults when none were set). */
LM_API lm_status lm_db_get_list_attrs(lm_db *db, uint32_t list_id, lm_db_list_attrs *out);

/* ---- stats, verify, hits ------------------------------------------------- */

typedef struct lm_db_list_stats {
    lm_db_list_info info;
    uint64_t by_type[LM_DB_TYPE_SLOTS]; /* indexed by lm_hash_type (0 unused) */
    uint64_t disabled;                  /* entries disabled */
    uint64_t quality_hist[11];          /* PDQ quality of its entries, as lm_db_stats */
    uint64_t quality_unknown;
    uint64_t duplicates; /* entries whose hash is also in another list */
} lm_db_list_stats;

/* Set struct_size (sizeof) before lm_db_get_stats: the library writes no more. */
typedef struct lm_db_stats {
    uint32_t struct_size; /* sizeof(lm_db_stats) */
    uint32_t schema_version;
    uint64_t generation;
    uint64_t entries;
    uint64_t by_type[LM_DB_TYPE_SLOTS]; /* indexed by lm_hash_type */
    uint64_t quality_hist[11];          /* PDQ quality: [0..9], [10..19], ..., [90..99], [100] */
    uint64_t quality_unknown;           /* PDQ entries without a quality */
    size_t list_count;
    lm_db_list_stats *lists; /* list_count items, owned by the struct: lm_db_stats_free */
    uint64_t file_bytes;     /* size of data.mdb */
    uint64_t disabled;       /* entries disabled */
    uint64_t shared_hashes;  /* distinct hashes present in more than one list */
} lm_db_stats;

/* Counts of one snapshot. Free with lm_db_stats_free (also after a failure). */
LM_API lm_status lm_db_get_stats(lm_db *db, lm_db_stats *out);
LM_API void lm_db_stats_free(lm_db_stats *s);

/* Called once per problem found, with a one-line description valid during the call. */
typedef void (*lm_db_problem_fn)(void *ctx, const char *problem);

/*
 * Check the list's structural consistency in one snapshot: every LMDB page
 * (bounds, links, free list), then schema and counters, every record, every
 * index both ways, list references and counts.
 *  [out] problems  problems found (0: consistent); fn (may be NULL) hears each.
 * Returns LM_OK when the check ran, else LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_DB.
 */
LM_API lm_status lm_db_verify(lm_db *db, lm_db_problem_fn fn, void *ctx, uint64_t *problems);

/* The flood rule of lm_db_hit_report. Initialise with lm_db_flood_opts_init. */
typedef struct lm_db_flood_opts {
    uint32_t today;    /* day to judge (days since 1970-01-01 UTC); 0: today */
    int days;          /* history window before today, in days (default 14) */
    double factor;     /* flagged when today >= factor x both baselines (default 10) */
    uint64_t min_hits; /* ... and today >= min_hits (default 20) */
} lm_db_flood_opts;

LM_API void lm_db_flood_opts_init(lm_db_flood_opts *o);

/* One entry's hit counters (lm_matcher_flush_hits) and its flood judgement. */
typedef struct lm_db_hit_row {
    uint64_t entry_id;
    uint32_t list_id;
    char list[LM_DB_MAX_LIST_NAME + 1];
    uint64_t total;
    int64_t first, last;
    uint64_t today;      /* hits on opts.today */
    double entry_median; /* median daily hits of this entry over the window */
    double list_typical; /* median, over the list's entries with hits in the window, of
                            their mean daily hits over the window */
    int flood;           /* today >= min_hits and >= factor x max(1, each baseline) */
} lm_db_hit_row;

/* Every entry with hit records, by id. [out] rows: free with lm_db_hit_rows_free. */
LM_API lm_status lm_db_hit_report(lm_db *db, const lm_db_flood_opts *o, lm_db_hit_row **rows,
                                  size_t *n);
LM_API void lm_db_hit_rows_free(lm_db_hit_row *rows);

/*
 * Build a matcher on an open list handle instead of a path: the matcher
 * borrows db (it does not close it; close db only after the matcher). With
 * LM_MATCHER_WRITABLE the matcher flushes hit counters when db was opened for
 * writing. Failure detail: lm_db_last_error(db).
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_DB. Thread-safe.
 */
LM_API lm_status lm_matcher_open_db(lm_db *db, unsigned flags, lm_matcher **out);

/*
 * Build the list's search index and write it beside the list ("pdq.index"
 * next to data.mdb) so that matchers open it by mmap instead of rebuilding
 * (pmatch db import runs it after each import). Nothing is written when the
 * file is already fresh. nthreads: build threads (<= 0: all cores). A stale
 * or missing file is never wrong, only slower: matchers then build in memory.
 * Returns LM_OK, LM_E_INVALID_ARG, LM_E_NOMEM, LM_E_DB, LM_E_IO. Not to be
 * called from several threads on one handle at once.
 */
LM_API lm_status lm_db_build_index(lm_db *db, int nthreads);

/*
 * lm_db_import_path (path), or lm_db_import_stream (in, when path is NULL), then
 * lm_db_build_index, as `pmatch db import` runs them, with the same results and files;
 * faster when the list holds no PDQ entry before the import (a new list): the index is then
 * built from the parsed hashes on another thread while the entries are written, and put in
 * place once the import has committed (a kill leaves the list and its index consistent).
 *  [in]  db, path, in, opts   as lm_db_import_path / lm_db_import_stream.
 *  [out] result        may be NULL.
 *  [in]  nthreads      index build threads (<= 0: all cores).
 *  [out] index_status  may be NULL: the index write's status (LM_OK when the import failed);
 *                      a failed write leaves the list usable (matchers build in memory).
 * Returns the import's status (lm_db_import_path's). Not to be called from several threads
 * on one handle at once.
 */
LM_API lm_status lm_db_import_indexed(lm_db *db, const char *path, FILE *in,
                                      const lm_db_import_opts *opts, lm_db_import_result *result,
                                      int nthreads, lm_status *index_status);

#ifdef __cplusplus
}
#endif

#endif /* LIBMATCH_H */
