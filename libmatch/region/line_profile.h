/*
 * Sharp pixel lines across a candidate side (region.c's insets), counted at three positions
 * at once: the kernel of the insets' full-resolution side test, with its scalar reference.
 */
#ifndef LM_REGION_LINE_PROFILE_H
#define LM_REGION_LINE_PROFILE_H

#include <stdint.h>

/* The two thresholds of a sharp step (region.c's EDGE_INSET and MARK_SHARP). */
#define LM_LINE_EDGE 8.0f
#define LM_LINE_SHARP 2.0f

/*
 * A side line of the w x h float luma l at position p: a boundary between rows p - 1 and p
 * (vertical == 0; the pixel lines across it are the n = w columns) or between columns
 * (vertical == 1; n = h rows). For each o of 0, 1, 2 and P = p - 1 + o, pre[o][0..n] gets
 * prefix counts of the pixel lines i at which the step over three pixels across P,
 * d = |L(P + 1) - L(P - 2)|, exceeds LM_LINE_EDGE and LM_LINE_SHARP times the smaller of the
 * steps three pixels beyond it, |L(P - 2) - L(P - 5)| and |L(P + 4) - L(P + 1)|
 * (pre[o][i + 1] - pre[o][i] is 1 there, else 0); all zero when P < 5 or P + 4 is past the
 * image. lm_line_profile3 runs four lanes at a time (GCC/clang vector types: SSE2 on any
 * x86-64); lm_line_profile3_ref is the scalar reference, equal to it in every count.
 */
void lm_line_profile3(const float *l, uint32_t w, uint32_t h, int vertical, uint32_t p,
                      uint32_t *pre[3]);
void lm_line_profile3_ref(const float *l, uint32_t w, uint32_t h, int vertical, uint32_t p,
                          uint32_t *pre[3]);

#endif
