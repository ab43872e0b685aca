/*
 * Shared by the region tests: the proposals of an encoded image as lm_check's
 * decoding sees it, and the "within tol pixels on every side" comparison.
 */
#ifndef LM_TEST_REGION_TEST_H
#define LM_TEST_REGION_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "decode.h"
#include "pdq.h"
#include "region.h"
#include "synth_layout.h"

/* The proposals of data (decoded with the default options); *w, *h: the decoded size. */
static inline size_t region_test_propose(const uint8_t *data, size_t len, lm_region_proposal *p,
                                         uint32_t *w, uint32_t *h)
{
    lm_decode_opts o;
    lm_decode_opts_default(&o);
    lm_pixels px;
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_decode_image(data, len, &o, &px, &err), LM_OK);
    float *l = malloc(sizeof(float) * px.width * px.height);
    if (!l)
        abort();
    lm_pdq_luma_from_rgb(px.data, (int)px.height, (int)px.width, px.stride, l);
    size_t n = lm_region_propose(l, px.width, px.height, NULL, p);
    *w = px.width;
    *h = px.height;
    free(l);
    lm_pixels_free(&px);
    return n;
}

/* 1 when q's sides are each within tol pixels of r's. */
static inline int region_test_within(lm_rect q, synth_rect r, int tol)
{
    return abs((int)q.x - (int)r.x) <= tol && abs((int)q.y - (int)r.y) <= tol &&
           abs((int)(q.x + q.w) - (int)(r.x + r.w)) <= tol &&
           abs((int)(q.y + q.h) - (int)(r.y + r.h)) <= tol;
}

/* " [kind x,y wxh]" for each proposal, on stderr, then a newline. */
static inline void region_test_print(const lm_region_proposal *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " [%d %u,%u %ux%u]", p[i].kind, p[i].rect.x, p[i].rect.y, p[i].rect.w,
                p[i].rect.h);
    fputc('\n', stderr);
}

#endif
