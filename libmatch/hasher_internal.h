/* The hasher handle's insides (its options are read by lm_check and the video API). */
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

#endif
