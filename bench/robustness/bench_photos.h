/* The photographs of Meta's test data that the robustness benches start from (bench_photos.c). */
#ifndef LM_BENCH_PHOTOS_H
#define LM_BENCH_PHOTOS_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"
#include "synth.h"

/* Paths relative to the test-data folder (../shared/testdata). */
extern const char *const bench_photos[];
extern const size_t bench_photo_count;

/* Decode dir/rel as the reference does into an RGB synth image. 0, or -1 when unreadable. */
int bench_load_photo(const char *dir, const char *rel, synth_image *out);

/* A generated picture of PDQ quality >= 50 (hashed with h), from *seed upward; *seed is
 * advanced past it. 0, or -1 when out of memory. */
int bench_make_picture(lm_hasher *h, uint64_t *seed, synth_image *img);

#endif
