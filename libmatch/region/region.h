/*
 * Region proposals: the stage between decode and hash. Given the decoded
 * pixels' luma (the bounded buffer the plain hash is computed from, at most
 * 512x512), return a few rectangles that may hold a picture shown inside a
 * larger one: the content inside bands that are uniform apart from text or
 * thin UI (a caption band, then a frame: screenshots), the cells of a collage
 * split along strong straight seams, and insets bounded by strong straight
 * edges (picture-in-picture). Knows nothing of hashes; see README.md for the
 * thresholds and why.
 *
 * The same folder holds the border detector the rest of the library uses
 * (border.h): strict uniform borders of images and dark bars of video frames,
 * one detector with a parameter set for each.
 */
#ifndef LM_REGION_REGION_H
#define LM_REGION_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

/* At most this many rectangles per image (each costs one PDQ hash and its searches). */
#define LM_REGION_MAX_PROPOSALS LM_CHECK_MAX_REGIONS

/* One proposal: a rectangle of the buffer given, and how it was found (LM_REGION_KIND_*). */
typedef struct lm_region_proposal {
    lm_rect rect;
    int kind;
} lm_region_proposal;

/*
 * Find the proposals of a width x height float luma image (row-major, values
 * 0..255, as PDQ's luma). skip: a rectangle already hashed (the strict border
 * trim) or NULL; proposals equal to it, to the whole image or to one another
 * (every side within 1% of the image) are left out. Fills out[] (best first)
 * and returns their number, 0..LM_REGION_MAX_PROPOSALS. Allocates only a
 * coarse copy (at most 128x128 cells) with its steps and marks, about 0.7 MB
 * at most; returns 0 when out of memory.
 */
size_t lm_region_propose(const float *luma, uint32_t width, uint32_t height, const lm_rect *skip,
                         lm_region_proposal out[LM_REGION_MAX_PROPOSALS]);

#endif
