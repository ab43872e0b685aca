/*
 * Inset proposals (libmatch/region, find_insets) on the bench's inset layout
 * (tests/common/synth_layout: a picture at 45% of an unrelated generated
 * scene), JPEG q90, not resampled: for each case an inset proposal within one
 * pixel of the picture on every side (JPEG spreads a sharp edge over two
 * pixels). These cases were missed by the detector that needed coarse marks
 * along 80% of each side and marked ends (57.7% of the bench's insets); the
 * sides tested on the full-resolution luma find them. Seeds 13-40 were missed
 * before the candidate lines were ranked against their weaker neighbour, the
 * rectangles by all four sides, and the best grown to the outermost passing
 * nest (2026-12-05). Then a fixed grid of 400 seeds: at least 325 within one
 * pixel (330 today, 311 before those three changes).
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "region_test.h"
#include "synth.h"
#include "synth_layout.h"

/* 1 when an inset proposal of seed ps's image lies within a pixel of the picture. */
static int inset_found(uint64_t ps, int verbose)
{
    synth_image pic, out;
    synth_rect wh;
    CHECK_EQ_INT(
        synth_make(&pic, 180 + (uint32_t)(ps % 3) * 20, 160 + (uint32_t)(ps % 4) * 15, 900 + ps),
        0);
    CHECK_EQ_INT(synth_inset(&pic, &out, ps, &wh), 0);
    uint8_t *jpeg;
    size_t len;
    CHECK_EQ_INT(synth_encode_jpeg(&out, 90, &jpeg, &len), 0);
    lm_region_proposal p[LM_REGION_MAX_PROPOSALS];
    uint32_t w, h;
    size_t n = region_test_propose(jpeg, len, p, &w, &h);
    CHECK(w == out.w && h == out.h); /* not resampled */
    CHECK(n <= LM_REGION_MAX_PROPOSALS);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= p[i].kind == LM_REGION_KIND_INSET && region_test_within(p[i].rect, wh, 1);
    if (!found && verbose) {
        fprintf(stderr, "  seed %lu: want inset %u,%u %ux%u (+-1); proposals:", (unsigned long)ps,
                wh.x, wh.y, wh.w, wh.h);
        region_test_print(p, n);
    }
    free(jpeg);
    synth_free(&pic);
    synth_free(&out);
    return found;
}

int main(void)
{
    static const uint64_t seeds[] = {2, 12, 22, 23, 24, 13, 25, 27, 33, 36, 40};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++)
        CHECK(inset_found(seeds[k], 1));
    unsigned hits = 0;
    for (uint64_t ps = 0; ps < 400; ps++)
        hits += (unsigned)inset_found(ps, 0);
    fprintf(stderr, "  %u of 400 insets found within a pixel\n", hits);
    CHECK(hits >= 325);
    return check_report("test_region_inset");
}
