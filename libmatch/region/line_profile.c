/* Sharp pixel lines across a candidate side, at three positions at once (line_profile.h). */
#include "line_profile.h"

#include <stddef.h>
#include <string.h>

static float absf(float v)
{
    return v < 0 ? -v : v;
}

/* One position P = p: the scalar definition. */
static void profile_ref(const float *l, uint32_t w, uint32_t h, int vertical, uint32_t p,
                        uint32_t *pre)
{
    uint32_t lim = vertical ? w : h, n = vertical ? h : w;
    pre[0] = 0;
    if (p < 5 || p + 4 >= lim) {
        memset(pre, 0, (size_t)(n + 1) * sizeof *pre);
        return;
    }
    size_t st = vertical ? 1 : w, across = vertical ? w : 1;
    const float *q = l + (vertical ? (size_t)p : (size_t)p * w);
    for (uint32_t i = 0; i < n; i++, q += across) {
        float d = absf(q[st] - q[-2 * (ptrdiff_t)st]);
        float out = absf(q[-2 * (ptrdiff_t)st] - q[-5 * (ptrdiff_t)st]);
        float in = absf(q[4 * st] - q[st]);
        float m = out < in ? out : in;
        pre[i + 1] = pre[i] + (d > LM_LINE_EDGE && d > LM_LINE_SHARP * m);
    }
}

void lm_line_profile3_ref(const float *l, uint32_t w, uint32_t h, int vertical, uint32_t p,
                          uint32_t *pre[3])
{
    for (uint32_t o = 0; o < 3; o++)
        profile_ref(l, w, h, vertical, p - 1 + o, pre[o]);
}

typedef float f4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16)));

static f4 load4(const float *p)
{
    f4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* |v| by its sign bit cleared: -0 becomes +0, which no comparison below tells apart */
static f4 abs4(f4 v)
{
    return (f4)((i4)v & 0x7fffffff); /* vector casts keep the bits */
}

/* Lanes where the step d is sharp: -1, else 0 (the scalar test, lane by lane; C has no
   vector ?:, so the smaller step is chosen by mask) */
static i4 sharp4(f4 d, f4 out, f4 in)
{
    i4 lt = out < in;
    f4 m = (f4)(((i4)out & lt) | ((i4)in & ~lt));
    return (d > LM_LINE_EDGE) & (d > LM_LINE_SHARP * m);
}

/*
 * Four columns at a time across a row boundary. D(r) = |R(r) - R(r - 3)| for row r; at
 * P = p - 1 + o the step is D(p + o), the steps beyond it D(p - 3 + o) and D(p + 3 + o).
 */
static void rows_across(const float *l, uint32_t w, uint32_t p, uint32_t *pre[3])
{
    const float *r[12]; /* rows p - 6 .. p + 5 */
    for (int k = 0; k < 12; k++)
        r[k] = l + (size_t)(p - 6 + (uint32_t)k) * w;
    for (int o = 0; o < 3; o++)
        pre[o][0] = 0;
    uint32_t i = 0;
    for (; i + 4 <= w; i += 4) {
        f4 d[9]; /* d[k] = D(p - 3 + k) */
#pragma GCC unroll 9
        for (int k = 0; k < 9; k++)
            d[k] = abs4(load4(r[k + 3] + i) - load4(r[k] + i));
#pragma GCC unroll 3
        for (int o = 0; o < 3; o++) {
            i4 m = sharp4(d[3 + o], d[o], d[6 + o]);
            uint32_t *q = pre[o] + i, c = q[0];
            q[1] = c -= (uint32_t)m[0];
            q[2] = c -= (uint32_t)m[1];
            q[3] = c -= (uint32_t)m[2];
            q[4] = c - (uint32_t)m[3];
        }
    }
    for (; i < w; i++)
        for (int o = 0; o < 3; o++) {
            float dd[3];
            for (int k = 0; k < 3; k++) { /* D(p - 3 + o), D(p + o), D(p + 3 + o) */
                int at = 3 * k + o;
                dd[k] = absf(r[at + 3][i] - r[at][i]);
            }
            float m = dd[0] < dd[2] ? dd[0] : dd[2];
            pre[o][i + 1] = pre[o][i] + (dd[1] > LM_LINE_EDGE && dd[1] > LM_LINE_SHARP * m);
        }
}

/*
 * One row at a time across a column boundary, the three positions in three lanes: columns
 * p - 6 .. p + 6 are read as four vectors of four (lane 3 unused).
 */
static void cols_across(const float *l, uint32_t w, uint32_t h, uint32_t p, uint32_t *pre[3])
{
    uint32_t *p0 = pre[0], *p1 = pre[1], *p2 = pre[2], c0 = 0, c1 = 0, c2 = 0;
    p0[0] = p1[0] = p2[0] = 0;
    const float *q = l + p;
    for (uint32_t i = 0; i < h; i++, q += w) {
        f4 a = load4(q - 6), b = load4(q - 3), c = load4(q), e = load4(q + 3);
        i4 m = sharp4(abs4(c - b), abs4(b - a), abs4(e - c));
        p0[i + 1] = c0 -= (uint32_t)m[0];
        p1[i + 1] = c1 -= (uint32_t)m[1];
        p2[i + 1] = c2 -= (uint32_t)m[2];
    }
}

void lm_line_profile3(const float *l, uint32_t w, uint32_t h, int vertical, uint32_t p,
                      uint32_t *pre[3])
{
    uint32_t lim = vertical ? w : h;
    /* every position inside (P - 5 >= 0, P + 4 < lim) and, across columns, column p + 6 too */
    if (p < 6 || p + 5 >= lim || (vertical && p + 6 >= w)) {
        lm_line_profile3_ref(l, w, h, vertical, p, pre);
        return;
    }
    if (vertical)
        cols_across(l, w, h, p, pre);
    else
        rows_across(l, w, p, pre);
}
