/* Issue 14's list-side families for bench-robustness (bench_features.c). */
#ifndef LM_BENCH_FEATURES_H
#define LM_BENCH_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"
#include "synth.h"

typedef struct bench_item {
    const synth_image *img; /* the original's pixels */
    uint64_t entry;         /* its entry in the image-built list */
    uint64_t hash_entry;    /* its entry in the hash-only list */
    lm_pdq_hash plain;      /* its standard hash */
    const uint8_t *jpeg;    /* as stored (quality 95) */
    size_t jpeg_len;
} bench_item;

/*
 * Offset crops 5/10/20%, a centred crop, rotations of 1/3/5 degrees both ways,
 * white boxes 10/25% and the combined edit against the image-built list at
 * dbpath (matcher m), split by the mechanism that matched, with the plain hash
 * and the hash-only list hm (may be NULL) beside; nfalse < 0: only that table. False matches of
 * nfalse unrelated generated images; query cost; storage and index memory
 * per entry (a second list without features is built in dir). With npairs
 * > 0, also a list of npairs unrelated images queried by npairs others
 * (npairs^2 pairs): false matches, the closest non-matching pairs.
 */
void bench_features(const char *dir, const char *dbpath, lm_matcher *m, lm_matcher *hm,
                    const bench_item *items, size_t n, int nfalse, int npairs, uint64_t seed);

/* Only the npairs x npairs false-match figure (bench-robustness --pairs-only N). */
void bench_feature_pairs(const char *dir, int npairs, uint64_t seed);

#endif
