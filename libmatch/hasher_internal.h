/* The hashing pipeline without a hasher handle, for callers with per-call options (lm_check). */
#ifndef LM_HASHER_INTERNAL_H
#define LM_HASHER_INTERNAL_H

#include "decode.h"
#include "errbuf.h"
#include "libmatch.h"
#include "video.h"

struct lm_hasher {
    lm_decode_opts decode;
    lm_video_opts video;
    int dihedral;
    lm_errbuf err;
};

/* Decode data with opts and hash it; dihedral fills out->dihedral. Same codes as lm_hash_memory. */
lm_status lm_image_hash_compute(const lm_decode_opts *opts, int dihedral, const void *data,
                                size_t len, lm_image_hash *out, lm_errbuf *err);

#endif
