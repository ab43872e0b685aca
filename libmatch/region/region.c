/*
 * Region proposals (see region.h and README.md). Three detectors on one luma
 * image, all bounded in work by the image (at most 512x512 here):
 *  - bands: from each side inward, lines that are mostly one colour apart from
 *    text or thin UI, ending at a sharp edge; several rounds (a caption band,
 *    then a frame);
 *  - split: a collage cut along straight seams spanning the whole picture,
 *    twice at most (2x1, 1x2, 2x2 and 3-cell layouts);
 *  - inset: rectangles whose four sides are sharp straight steps with a
 *    picture inside (picture-in-picture, a picture inside a UI).
 * Edges are found on a coarse copy (blocks of s x s pixels averaged, at most
 * 128x128) and every side is then placed exactly on the full-resolution luma.
 */
#include "region.h"
#include "line_profile.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Bands (full resolution, luma levels 0..255). */
#define BG_TOL 10.0f    /* a pixel has the band's colour within this many levels */
#define PURE_PCT 95     /* a plain band line: at least this % of its pixels of the band colour */
#define MOSTLY_PCT 50   /* a band line crossing text or UI: at least this % */
#define MAX_TAIL 2      /* lines allowed between the last plain line and content (JPEG blur) */
#define MIN_KEEP_PCT 20 /* every proposal keeps at least this % of each side of the image */
#define BAND_ROUNDS 4

/* Edges. */
#define COARSE_MAX 128  /* the coarse copy's longer side is at most this */
#define EDGE_FULL 20.0f /* the same at full resolution, to place a side exactly */
#ifndef CUT_PCT
#define CUT_PCT 80 /* a collage seam: an edge along at least this % of the span */
#endif
#ifndef CUT_SPIKE_PCT
#define CUT_SPIKE_PCT 35 /* ... and along this % more than the boundaries three cells away */
#endif
#ifndef CUT_HINT_SPIKE_PCT
#define CUT_HINT_SPIKE_PCT 15 /* the same where the other half of a collage has its seam */
#endif
#define CUT_MIN_PCT 20 /* each collage cell keeps at least this % of the side cut */
#define EDGE_INSET                                                                                 \
    LM_LINE_EDGE /* 8 levels: the same for inset sides (an inset's colours may be near its host's) \
                  */
#define MARK_SHARP                                                                                 \
    LM_LINE_SHARP /* 2: a mark (seams, insets): its step over this times the one beyond */
#define SEG_GAP 3 /* coarse cells of gap allowed inside a straight edge */
#ifndef INSET_SIDE_PCT
#define INSET_SIDE_PCT 80 /* a candidate line: a run of marks along this % of the least side */
#endif
#ifndef INSET_MIN_PCT
#define INSET_MIN_PCT 15 /* an inset is at least this % of each side */
#endif
#ifndef MAX_LINES
#define MAX_LINES 16 /* candidate rows and columns for inset sides */
#endif
/* inset proposals: the best by its sides, its outermost nest, the largest, the next best */
#define MAX_INSETS 4
#ifndef INSET_COARSE_PCT
#define INSET_COARSE_PCT 80 /* a candidate's sides on the coarse copy: marks along this % */
#endif
#ifndef INSET_WEAK_PCT
#define INSET_WEAK_PCT 55 /* ... or one of them along this % */
#endif
#ifndef INSET_END_PM
#define INSET_END_PM 200 /* ... and along this per mille of each end eighth (a corner) */
#endif
#ifndef INSET_SHIFT_PM
#define INSET_SHIFT_PM 0 /* a side moved by a pixel: sharp along this per mille more there */
#endif
#ifndef INSET_RUN_PM
#define INSET_RUN_PM 500 /* a side running on past both corners along this per mille: none */
#endif
#ifndef INSET_FULL_PM
#define INSET_FULL_PM 600 /* each side at full resolution: sharp along this per mille */
#endif
/* positions tried per inset side: 3 coarse cells (s <= 16: a luma up to 2048 px) */
#define PLACE_STEP 4 /* every this many pixel lines across a side vote for its position */
#define PLACE_MAX 48

typedef struct view {
    const float *l;
    uint32_t w, h;
} view;

static uint32_t max_u(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

static uint32_t diff_u(uint32_t a, uint32_t b)
{
    return a > b ? a - b : b - a;
}

static float absf(float v)
{
    return __builtin_fabsf(v);
}

/* ---- bands ---- */

/* Line i inward from side (0 top, 1 bottom, 2 left, 3 right) of r. */
static const float *line_of(const view *v, lm_rect r, int side, uint32_t i, size_t *step,
                            uint32_t *n)
{
    size_t w = v->w;
    *step = side < 2 ? 1 : w;
    *n = side < 2 ? r.w : r.h;
    switch (side) {
    case 0: return v->l + (size_t)(r.y + i) * w + r.x;
    case 1: return v->l + (size_t)(r.y + r.h - 1 - i) * w + r.x;
    case 2: return v->l + (size_t)r.y * w + r.x + i;
    default: return v->l + (size_t)r.y * w + r.x + r.w - 1 - i;
    }
}

/* The line's dominant colour: the mean of the pixels near its most common 8-level bin. */
static float band_colour(const float *p, size_t step, uint32_t n)
{
    uint32_t hist[32] = {0};
    for (uint32_t i = 0; i < n; i++) {
        int b = (int)(p[i * step] * (1.0f / 8.0f));
        hist[b < 0 ? 0 : b > 31 ? 31 : b]++;
    }
    int mode = 0;
    for (int b = 1; b < 32; b++)
        if (hist[b] > hist[mode])
            mode = b;
    float lo = (float)(mode - 1) * 8.0f, hi = (float)(mode + 2) * 8.0f, sum = 0;
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < n; i++) {
        float x = p[i * step];
        if (x >= lo && x < hi) {
            sum += x;
            cnt++;
        }
    }
    return cnt ? sum / (float)cnt : 0;
}

/*
 * The pixels of the line within BG_TOL of ref; once fewer than pct% can be, stops and
 * returns a count still under pct% (what may remain), so that the caller's tests against
 * pct% and more are as with the full count.
 */
static uint32_t count_near(const float *p, size_t step, uint32_t n, float ref, uint32_t pct)
{
    uint64_t need = ((uint64_t)pct * n + 99) / 100; /* c * 100 >= pct * n */
    uint32_t c = 0, miss = 0, max_miss = n - (uint32_t)need;
    for (uint32_t i = 0; i < n; i++) {
        if (absf(p[i * step] - ref) <= BG_TOL)
            c++;
        else if (++miss > max_miss)
            return n - miss;
    }
    return c;
}

/*
 * Depth of the band at side of r: its outermost line plain (PURE_PCT of one
 * colour), then lines of that colour crossing text (MOSTLY_PCT), ending at the
 * last plain line, which must be followed within MAX_TAIL lines by content
 * (less than MOSTLY_PCT of the colour): a sharp edge, not a fading sky. At
 * most limit lines; 0 when there is no band.
 */
static uint32_t side_band(const view *v, lm_rect r, int side, uint32_t limit)
{
    size_t step;
    uint32_t n;
    const float *p = line_of(v, r, side, 0, &step, &n);
    if (n == 0 || limit < 2)
        return 0;
    float ref = band_colour(p, step, n);
    if ((uint64_t)count_near(p, step, n, ref, PURE_PCT) * 100 < (uint64_t)PURE_PCT * n)
        return 0;
    uint32_t last_pure = 0, i = 1;
    for (; i < limit; i++) {
        p = line_of(v, r, side, i, &step, &n);
        uint64_t c = count_near(p, step, n, ref, MOSTLY_PCT);
        if (c * 100 < (uint64_t)MOSTLY_PCT * n)
            break;
        if (c * 100 >= (uint64_t)PURE_PCT * n)
            last_pure = i;
    }
    if (i >= limit || i - (last_pure + 1) > MAX_TAIL)
        return 0;
    return last_pure + 1;
}

/*
 * Trim bands from r in rounds (every side each round, each band one colour);
 * *first receives r after the first round. Bands thinner than 1% of the image's
 * side are ignored unless thin (a collage cell's separator: 4 px of a 500 px
 * collage is under 1%, and left in the cell it moved the cell's hash 30-40 bits).
 * Returns the number of rounds that trimmed something.
 */
static int band_trim(const view *v, lm_rect *r, uint32_t min_w, uint32_t min_h, int rounds,
                     lm_rect *first, int thin)
{
    uint32_t min_band_y = thin ? 2 : max_u(2, v->h / 100),
             min_band_x = thin ? 2 : max_u(2, v->w / 100);
    int done = 0;
    for (int round = 0; round < rounds; round++) {
        int changed = 0;
        for (int side = 0; side < 4; side++) {
            uint32_t depth = side < 2 ? r->h : r->w, keep = side < 2 ? min_h : min_w;
            if (depth <= keep)
                continue;
            uint32_t k = side_band(v, *r, side, depth - keep);
            if (k < (side < 2 ? min_band_y : min_band_x))
                continue;
            switch (side) {
            case 0:
                r->y += k;
                r->h -= k;
                break;
            case 1: r->h -= k; break;
            case 2:
                r->x += k;
                r->w -= k;
                break;
            default: r->w -= k; break;
            }
            changed = 1;
        }
        if (!changed)
            break;
        if (round == 0 && first)
            *first = *r;
        done++;
    }
    return done;
}

/* ---- coarse edges ---- */

/* The insets' marks (find_insets): a step over INSET_STEP levels that also stands out. */
#ifndef INSET_STEP
#define INSET_STEP 5.0f
#endif
#ifndef INSET_TEXTURE
#define INSET_TEXTURE 10.0f
#endif

/* The longest run of marks along a line, gaps of at most SEG_GAP cells bridged (a side is one
   long run, texture scatters its marks), kept while the line's mark prefix is made: run_add
   for each mark at i, once prefix[i + 1] is set. */
typedef struct mark_run {
    uint32_t best, start, last, have;
} mark_run;

static void run_add(mark_run *r, uint32_t i, const uint32_t *prefix)
{
    if (!r->have || i - r->last > SEG_GAP + 1) {
        r->start = prefix[i]; /* marks before the run */
        r->have = 1;
    }
    r->last = i;
    uint32_t len = prefix[i + 1] - r->start;
    r->best = len > r->best ? len : r->best;
}

typedef struct coarse {
    float *c;
    uint32_t w, h, s;
    /* Evidence along the boundaries between coarse cells, made once as prefix counts:
       hp[y * (w + 1) + x], the cells left of x whose step across the boundary above row y
       exceeds EDGE_INSET; vp[x * (h + 1) + y], those above y across the boundary left of
       column x. mh, mv the same for seam marks and ih, iv for inset marks: the step (across
       that boundary or the next one: a side inside a cell splits its step) stands out from
       the steps one cell beyond, over EDGE_INSET and INSET_STEP levels (lines within 2
       cells of the border: none). rows[y], cols[x]: the longest run of inset marks along
       each line (mark_run). */
    uint32_t *hp, *vp, *mh, *mv, *ih, *iv, *rows, *cols;
    /* |steps|, made once: dh[y * w + x] across the boundary above row y (row 0: 0),
       dv[y * w + x] across the boundary left of column x (column 0: 0) */
    float *dh, *dv;
} coarse;

/* acc[x] += row[x], four lanes at a time (GCC/clang vector types: SSE2 on any x86-64) */
typedef float f4 __attribute__((vector_size(16)));
static void add_row(float *acc, const float *row, uint32_t n)
{
    uint32_t x = 0;
    for (; x + 4 <= n; x += 4) {
        f4 a, b;
        memcpy(&a, acc + x, sizeof a);
        memcpy(&b, row + x, sizeof b);
        a += b;
        memcpy(acc + x, &a, sizeof a);
    }
    for (; x < n; x++)
        acc[x] += row[x];
}

/* out[x] = the mean of in[x * s .. x * s + s) times inv (the usual s of 1..4 unrolled). */
static void sum_cells(const float *in, float *out, uint32_t n, uint32_t s, float inv)
{
    switch (s) {
    case 1:
        for (uint32_t x = 0; x < n; x++)
            out[x] = in[x] * inv;
        return;
    case 2:
        for (uint32_t x = 0; x < n; x++)
            out[x] = (in[2 * x] + in[2 * x + 1]) * inv;
        return;
    case 4:
        for (uint32_t x = 0; x < n; x++) {
            const float *p = in + 4 * x;
            out[x] = (((p[0] + p[1]) + p[2]) + p[3]) * inv;
        }
        return;
    default:
        for (uint32_t x = 0; x < n; x++) {
            float sum = 0;
            for (uint32_t k = 0; k < s; k++)
                sum += in[x * s + k];
            out[x] = sum * inv;
        }
    }
}

/* A step that stands out: over MARK_SHARP times the smaller of the steps beyond it. */
static int sharp(float st, float out, float in)
{
    return st > MARK_SHARP * (out < in ? out : in);
}

/* Zeroes the lines of one direction's planes (n + 1 lines of len entries) that carry no
   evidence: marks and inset marks on the two lines nearest each border, steps on the border. */
static void clear_edge_lines(uint32_t *steps, uint32_t *marks, uint32_t *insets, uint32_t n,
                             size_t len)
{
    for (uint32_t k = 0; k <= n; k++)
        if (k < 2 || k + 2 >= n) {
            size_t at = (size_t)k * len;
            memset(marks + at, 0, len * sizeof *marks);
            memset(insets + at, 0, len * sizeof *insets);
            if (k == 0 || k == n)
                memset(steps + at, 0, len * sizeof *steps);
        }
}

static int coarse_make(const view *v, coarse *c)
{
    uint32_t s = max_u(1, (max_u(v->w, v->h) + COARSE_MAX - 1) / COARSE_MAX);
    memset(c, 0, sizeof *c);
    c->s = s;
    c->w = v->w / s;
    c->h = v->h / s;
    if (c->w < 16 || c->h < 16)
        return -1;
    uint32_t w = c->w, h = c->h;
    size_t plane = (size_t)(w + 1) * (h + 1);
    c->c = malloc(((size_t)w * h * 3 + v->w) * sizeof *c->c);
    c->hp = malloc((plane * 6 + w + h + 2) * sizeof *c->hp);
    if (!c->c || !c->hp) {
        free(c->c);
        free(c->hp);
        c->c = NULL;
        c->hp = NULL;
        return -1;
    }
    c->dh = c->c + (size_t)w * h;
    c->dv = c->dh + (size_t)w * h;
    float *acc = c->dv + (size_t)w * h; /* s rows summed (vectorises), then s columns at a time */
    float inv = 1.0f / (float)(s * s);
    for (uint32_t cy = 0; cy < h; cy++) {
        const float *row = v->l + (size_t)cy * s * v->w;
        memcpy(acc, row, (size_t)v->w * sizeof *acc);
        for (uint32_t k = 1; k < s; k++) {
            row += v->w;
            add_row(acc, row, v->w);
        }
        sum_cells(acc, c->c + (size_t)cy * w, w, s, inv);
    }
    c->vp = c->hp + plane;
    c->mh = c->vp + plane;
    c->mv = c->mh + plane;
    c->ih = c->mv + plane;
    c->iv = c->ih + plane;
    c->rows = c->iv + plane;
    c->cols = c->rows + h + 1;
    /* lines without evidence (the border's, those near it) are zero; the others are set
       below, each from its first entry (0) on */
    clear_edge_lines(c->hp, c->mh, c->ih, h, w + 1);
    clear_edge_lines(c->vp, c->mv, c->iv, w, h + 1);
    for (uint32_t x = 1; x < w; x++) {
        c->vp[(size_t)x * (h + 1)] = 0;
        if (x >= 2 && x + 2 < w)
            c->mv[(size_t)x * (h + 1)] = c->iv[(size_t)x * (h + 1)] = 0;
    }
    memset(c->rows, 0, (size_t)(w + h + 2) * sizeof *c->rows);
    memset(c->dh, 0, (size_t)w * sizeof *c->dh);
    for (uint32_t y = 1; y < h; y++) {
        const float *a = c->c + (size_t)(y - 1) * w, *b = a + w;
        float *d = c->dh + (size_t)y * w;
        uint32_t *p = c->hp + (size_t)y * (w + 1);
        p[0] = 0;
        for (uint32_t x = 0; x < w; x++) {
            d[x] = absf(b[x] - a[x]);
            p[x + 1] = p[x] + (d[x] > EDGE_INSET);
        }
    }
    for (uint32_t y = 0; y < h; y++) {
        const float *row = c->c + (size_t)y * w;
        float *d = c->dv + (size_t)y * w;
        d[0] = 0;
        for (uint32_t x = 1; x < w; x++) {
            d[x] = absf(row[x] - row[x - 1]);
            uint32_t *p = c->vp + (size_t)x * (h + 1);
            p[y + 1] = p[y] + (d[x] > EDGE_INSET);
        }
    }
    /* Marks, both kinds in one pass: a seam mark over the seams' 8 levels (texture's steps
       over 8 levels are everywhere in a busy picture and hid seams between unrelated
       pictures), an inset mark over INSET_STEP (an inset's colours may be near its host's). */
    for (uint32_t y = 2; y + 2 < h; y++) {
        const float *d = c->dh + (size_t)y * w, *d0 = d - w, *d1 = d + w, *d2 = d1 + w;
        uint32_t *pm = c->mh + (size_t)y * (w + 1), *pi = c->ih + (size_t)y * (w + 1);
        pm[0] = pi[0] = 0;
        mark_run run = {0, 0, 0, 0};
        for (uint32_t x = 0; x < w; x++) {
            float st = d[x] > d1[x] ? d[x] : d1[x];
            int sh = sharp(st, d0[x], d2[x]);
            uint32_t m = sh && st > INSET_STEP;
            pm[x + 1] = pm[x] + (sh && st > EDGE_INSET);
            pi[x + 1] = pi[x] + m;
            if (m)
                run_add(&run, x, pi);
        }
        c->rows[y] = run.best;
    }
    mark_run runs[COARSE_MAX];
    memset(runs, 0, sizeof runs);
    for (uint32_t y = 0; y < h; y++) {
        const float *d = c->dv + (size_t)y * w;
        for (uint32_t x = 2; x + 2 < w; x++) {
            float st = d[x] > d[x + 1] ? d[x] : d[x + 1];
            int sh = sharp(st, d[x - 1], d[x + 2]);
            uint32_t m = sh && st > INSET_STEP;
            uint32_t *pm = c->mv + (size_t)x * (h + 1), *pi = c->iv + (size_t)x * (h + 1);
            pm[y + 1] = pm[y] + (sh && st > EDGE_INSET);
            pi[y + 1] = pi[y] + m;
            if (m)
                run_add(&runs[x], y, pi);
        }
    }
    for (uint32_t x = 2; x + 2 < w; x++)
        c->cols[x] = runs[x].best;
    return 0;
}

static void coarse_free(coarse *c)
{
    free(c->c);
    free(c->hp);
}

/* Evidence (kind 0 edges, 1 marks) along the boundary above coarse row y, over [x0, x1). */
static uint32_t h_support(const coarse *c, int kind, uint32_t y, uint32_t x0, uint32_t x1)
{
    const uint32_t *p = (kind ? c->mh : c->hp) + (size_t)y * (c->w + 1);
    return p[x1] - p[x0];
}

/* The same along the boundary left of coarse column x, over rows [y0, y1). */
static uint32_t v_support(const coarse *c, int kind, uint32_t x, uint32_t y0, uint32_t y1)
{
    const uint32_t *p = (kind ? c->mv : c->vp) + (size_t)x * (c->h + 1);
    return p[y1] - p[y0];
}

/* The full-resolution row boundary (above row) near coarse boundary cy with the most edge. */
static uint32_t refine_h(const view *v, const coarse *c, uint32_t cy, uint32_t x0, uint32_t x1,
                         uint32_t lo, uint32_t hi, uint32_t reach)
{
    uint32_t centre = cy * c->s, best = centre, best_n = 0;
    uint32_t from = centre > reach * c->s ? centre - reach * c->s : 1, to = centre + reach * c->s;
    from = from < lo ? lo : from;
    to = to > hi ? hi : to;
    for (uint32_t y = from; y <= to && y < v->h; y++) {
        if (y == 0)
            continue;
        const float *a = v->l + (size_t)(y - 1) * v->w, *b = a + v->w;
        uint32_t n = 0;
        for (uint32_t x = x0; x < x1; x++)
            n += absf(b[x] - a[x]) > EDGE_FULL;
        if (n > best_n) {
            best_n = n;
            best = y;
        }
    }
    return best;
}

static uint32_t refine_v(const view *v, const coarse *c, uint32_t cx, uint32_t y0, uint32_t y1,
                         uint32_t lo, uint32_t hi, uint32_t reach)
{
    uint32_t centre = cx * c->s, best = centre, best_n = 0;
    uint32_t from = centre > reach * c->s ? centre - reach * c->s : 1, to = centre + reach * c->s;
    from = from < lo ? lo : from;
    to = to > hi ? hi : to;
    for (uint32_t x = from; x <= to && x < v->w; x++) {
        if (x == 0)
            continue;
        uint32_t n = 0;
        for (uint32_t y = y0; y < y1; y++) {
            const float *row = v->l + (size_t)y * v->w;
            n += absf(row[x] - row[x - 1]) > EDGE_FULL;
        }
        if (n > best_n) {
            best_n = n;
            best = x;
        }
    }
    return best;
}

/* ---- split (collages) ---- */

/*
 * Per mille of the pixel lines across r at which full-resolution boundary p
 * (a column boundary when vertical: between p-1 and p) is a sharp step: the
 * step over three pixels (JPEG spreads an edge over two) exceeds EDGE_INSET
 * and MARK_SHARP times the smaller of the steps three pixels beyond it, the
 * same test as the coarse marks. The coarse copy cannot see a seam that falls
 * inside its cells (a 500 px collage cut at 250 with 4 px cells splits the
 * step between two coarse boundaries), so the middle of r is looked at here.
 */
static uint32_t seam_permille(const view *v, lm_rect r, int vertical, uint32_t p)
{
    uint32_t lo = vertical ? r.x : r.y, hi = vertical ? r.x + r.w : r.y + r.h;
    uint32_t n = vertical ? r.h : r.w, hit = 0;
    if (p < lo + 5 || p + 4 >= hi || n == 0)
        return 0;
    size_t st = vertical ? 1 : v->w, across = vertical ? v->w : 1;
    const float *q = v->l + (vertical ? (size_t)r.y * v->w + p : (size_t)p * v->w + r.x);
    for (uint32_t i = 0; i < n; i++, q += across) {
        float d = absf(q[st] - q[-2 * (ptrdiff_t)st]);
        float out = absf(q[-2 * (ptrdiff_t)st] - q[-5 * (ptrdiff_t)st]);
        float in = absf(q[4 * st] - q[st]);
        hit += d > EDGE_INSET && sharp(d, out, in);
    }
    return (uint32_t)((uint64_t)hit * 1000 / n);
}

#ifndef MID_SEAM_PM
#define MID_SEAM_PM 800 /* a seam at the middle: sharp along this per mille of the span */
#endif
#ifndef MID_SPIKE_PM
#define MID_SPIKE_PM 350 /* ... and this much more than the lines 6 pixels away */
#endif

#ifndef GRID_SEAM_PM
#define GRID_SEAM_PM 600 /* both seams of a 2x2 grid at the middle: each along this per mille */
#endif
#ifndef GRID_SPIKE_PM
#define GRID_SPIKE_PM 200
#endif

/* A seam across r within s pixels of its middle (full resolution); 1 and *pos if one. */
static int mid_seam(const view *v, const coarse *c, lm_rect r, int vertical, uint32_t min_pm,
                    uint32_t min_spike, uint32_t *pos)
{
    uint32_t lo = vertical ? r.x : r.y, len = vertical ? r.w : r.h, mid = lo + len / 2;
    uint32_t win = max_u(2, c->s), best = 0, at = 0;
    for (uint32_t p = mid - win; p <= mid + win; p++) {
        uint32_t m = seam_permille(v, r, vertical, p);
        if (m > best) {
            best = m;
            at = p;
        }
    }
    uint32_t a = seam_permille(v, r, vertical, at - 6), b = seam_permille(v, r, vertical, at + 6);
    if (best < min_pm)
        return 0;
    if (best < (a > b ? a : b) + min_spike)
        return 0;
    *pos = at;
    return 1;
}

/*
 * The strongest seam across r (full-resolution rect): a coarse boundary with
 * an edge along CUT_PCT of the span, leaving CUT_MIN_PCT on each side.
 * Returns 1 and sets *vertical and *pos (full resolution) when there is one.
 */
static int find_cut(const view *v, const coarse *c, lm_rect r, int allow, int64_t hint,
                    int *vertical, uint32_t *pos)
{
    /* hint >= 0: the sibling cell's seam (full resolution); look near it, with less evidence;
       -2: anywhere with less evidence (the second seam of a grid) */
    int64_t spike_min = hint != -1 ? CUT_HINT_SPIKE_PCT * 10 : CUT_SPIKE_PCT * 10;
    int64_t hc = hint >= 0 ? hint / c->s : -1;
    uint32_t s = c->s;
    uint32_t x0 = (r.x + s - 1) / s, y0 = (r.y + s - 1) / s;
    uint32_t x1 = (r.x + r.w) / s, y1 = (r.y + r.h) / s;
    if (x1 <= x0 + 8 || y1 <= y0 + 8)
        return 0;
    uint32_t cw = x1 - x0, ch = y1 - y0;
    int64_t best = 0; /* spike * 1000 / span */
    int found = 0;
    uint32_t my = max_u(3, ch * CUT_MIN_PCT / 100), mx = max_u(3, cw * CUT_MIN_PCT / 100);
    for (int kind = 0; kind < 2; kind++)
        for (uint32_t y = y0 + my; (allow & 1) && y + my <= y1; y++) {
            int64_t n = h_support(c, kind, y, x0, x1),
                    a = y >= 4 ? h_support(c, kind, y - 3, x0, x1) : 0,
                    b = y + 3 < c->h ? h_support(c, kind, y + 3, x0, x1) : 0;
            int64_t spike = (n - (a > b ? a : b)) * 1000 / cw;
            if ((hc < 0 || (y + 2 >= hc && y <= hc + 2)) && n * 100 >= (int64_t)CUT_PCT * cw &&
                spike >= spike_min && spike > best) {
                best = spike;
                *vertical = 0;
                *pos = y;
                found = 1;
            }
        }
    for (int kind = 0; kind < 2; kind++)
        for (uint32_t x = x0 + mx; (allow & 2) && x + mx <= x1; x++) {
            int64_t n = v_support(c, kind, x, y0, y1),
                    a = x >= 4 ? v_support(c, kind, x - 3, y0, y1) : 0,
                    b = x + 3 < c->w ? v_support(c, kind, x + 3, y0, y1) : 0;
            int64_t spike = (n - (a > b ? a : b)) * 1000 / ch;
            if ((hc < 0 || (x + 2 >= hc && x <= hc + 2)) && n * 100 >= (int64_t)CUT_PCT * ch &&
                spike >= spike_min && spike > best) {
                best = spike;
                *vertical = 1;
                *pos = x;
                found = 1;
            }
        }
    if (!found) {
        /* a seam the coarse copy could not see: at the middle (a 2x2 grid's cuts), with
           less evidence for a grid's second seam */
        if (hint >= 0)
            return 0;
        uint32_t pm = hint == -2 ? GRID_SEAM_PM : MID_SEAM_PM,
                 sp = hint == -2 ? GRID_SPIKE_PM : MID_SPIKE_PM;
        for (int vert = 1; vert >= 0; vert--)
            if ((allow & (vert ? 2 : 1)) && mid_seam(v, c, r, vert, pm, sp, pos)) {
                *vertical = vert;
                return 1;
            }
        return 0;
    }
    if (*vertical)
        *pos = refine_v(v, c, *pos, r.y, r.y + r.h, r.x + 1, r.x + r.w - 1, 1);
    else
        *pos = refine_h(v, c, *pos, r.x, r.x + r.w, r.y + 1, r.y + r.h - 1, 1);
    return 1;
}

/* r cut at full-resolution pos: a before, b after. */
static void cut_rect(lm_rect r, int vertical, uint32_t pos, lm_rect *a, lm_rect *b)
{
    *a = *b = r;
    if (vertical) {
        a->w = pos - r.x;
        b->x = pos;
        b->w = r.x + r.w - pos;
    } else {
        a->h = pos - r.y;
        b->y = pos;
        b->h = r.y + r.h - pos;
    }
}

/*
 * Cut r into at most 4 cells: one seam across r, then in each half one seam
 * across the first (1x2, 2x1, 2x2 and three-cell layouts); a half's seam makes
 * the other half's seam at the same place likelier (a grid). Returns the number
 * of cells written (0: no seam).
 */
static size_t split_cells(const view *v, const coarse *c, lm_rect r, lm_rect cells[4])
{
    int vertical, va, vb;
    uint32_t pos, pa = 0, pb = 0;
    if (!find_cut(v, c, r, 3, -1, &vertical, &pos)) {
        /* a 2x2 grid whose seams are fainter: both at the middle, together */
        uint32_t px, py;
        if (!mid_seam(v, c, r, 1, GRID_SEAM_PM, GRID_SPIKE_PM, &px) ||
            !mid_seam(v, c, r, 0, GRID_SEAM_PM, GRID_SPIKE_PM, &py))
            return 0;
        cut_rect(r, 1, px, &cells[0], &cells[2]);
        cut_rect(cells[0], 0, py, &cells[0], &cells[1]);
        cut_rect(cells[2], 0, py, &cells[2], &cells[3]);
        return 4;
    }
    lm_rect half[2];
    cut_rect(r, vertical, pos, &half[0], &half[1]);
    int across = vertical ? 1 : 2;
    /* a grid: a seam across the whole of r the other way, where the first one makes it likely */
    int vg;
    uint32_t pg;
    if (find_cut(v, c, r, across, -2, &vg, &pg)) {
        size_t n = 0;
        for (int k = 0; k < 2; k++) {
            cut_rect(half[k], !vertical, pg, &cells[n], &cells[n + 1]);
            n += 2;
        }
        return n;
    }
    int ca = find_cut(v, c, half[0], across, -1, &va, &pa);
    int cb = find_cut(v, c, half[1], across, ca ? (int64_t)pa : -1, &vb, &pb);
    if (!ca && cb)
        ca = find_cut(v, c, half[0], across, (int64_t)pb, &va, &pa);
    if (!cb && ca)
        cb = find_cut(v, c, half[1], across, (int64_t)pa, &vb, &pb);
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        if (k == 0 ? ca : cb) {
            cut_rect(half[k], !vertical, k == 0 ? pa : pb, &cells[n], &cells[n + 1]);
            n += 2;
        } else {
            cells[n++] = half[k];
        }
    }
    return n;
}

/* ---- insets ---- */

/*
 * A pasted picture's sides are sharp straight steps: along each side, the step
 * across it stands out from the steps one cell beyond it on the flatter side
 * (texture and soft edges change gradually), and that holds along almost all
 * of the side. Marks: a cell of coarse boundary y when the step across it (or
 * across y+1: a side inside a block splits its step between the two
 * boundaries) exceeds INSET_STEP and MARK_SHARP times the smaller of the
 * steps at the boundaries beyond; the same for columns. Candidate rows and
 * columns: the MAX_LINES lines whose longest run of marks (gaps of SEG_GAP
 * bridged) stands out most from the weaker of the two lines two cells away
 * (a side is one long run; a texture's creases scatter marks along the whole
 * line, and counting all of them let textured lines crowd the sides out; the
 * weaker, not the mean: a side 2-3 cells from a stronger edge of its own
 * picture is still a line of its own); a rectangle of
 * candidates needs marks along INSET_SIDE_PCT of each of its four sides (the
 * image border is no side: a picture touching it is the bands' or the split's
 * job) and a picture inside it (mean step of the coarse copy at least
 * INSET_TEXTURE levels: a flat or merely shaded shape is no picture). Of the
 * rectangles whose sides then hold at full resolution, the best (rank_add),
 * the outermost nest of it (widest_nest), the largest and the next best are
 * kept (a picture's own rectangles lie inside it). All of it on
 * the coarse copy (at most 128x128 cells) with prefix sums; a plain photograph
 * usually has fewer than two candidate lines one way and stops there. The
 * sides are then placed on the full-resolution luma (place_side).
 */
static float cstep_h(const coarse *c, uint32_t y, uint32_t x) /* boundary above row y */
{
    return c->dh[(size_t)y * c->w + x];
}

static float cstep_v(const coarse *c, uint32_t y, uint32_t x) /* boundary left of column x */
{
    return c->dv[(size_t)y * c->w + x];
}

static size_t top_lines(const uint32_t *counts, uint32_t n, uint32_t min_count, uint32_t *out,
                        size_t cap)
{
    int32_t strength[MAX_LINES];
    size_t m = 0;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t a = k >= 3 ? counts[k - 2] : 0, b = k + 2 < n ? counts[k + 2] : 0;
        int32_t st = (int32_t)counts[k] - (int32_t)(a < b ? a : b);
        if (counts[k] < min_count || st <= (int32_t)min_count / 2)
            continue;
        /* keep the strongest cap, one per neighbourhood (k-1 and k+1 are the same edge) */
        size_t q = 0;
        for (; q < m; q++)
            if (diff_u(out[q], k) <= 1)
                break;
        if (q < m) {
            if (strength[q] < st) {
                strength[q] = st;
                out[q] = k;
            }
            continue;
        }
        if (m < cap) {
            out[m] = k;
            strength[m++] = st;
        } else {
            size_t w = 0;
            for (size_t r = 1; r < m; r++)
                if (strength[r] < strength[w])
                    w = r;
            if (strength[w] < st) {
                out[w] = k;
                strength[w] = st;
            }
        }
    }
    return m;
}

/*
 * Place an inset's side exactly on the full-resolution luma: the side found
 * at coarse line k (a row boundary when !vertical) spanning coarse cells
 * [a, b), with prefix its marks (prefix[i]: marks of cells before i). A mark
 * at k means a sharp step across boundary k or k+1, so the side lies within
 * ((k-1)s, (k+2)s). Each pixel line across the side within a marked cell
 * of the span (the end cells left out: corners) votes for the position in
 * that window where its step is largest; the side goes where most votes are.
 * No level threshold: only the marked cells vote, so where the side is faint
 * (under 20 levels, say) texture or an edge of the picture nearby does not
 * pull it away, and a contrasty part of the side does not outweigh the rest.
 */
static uint32_t place_side2(const view *v, const coarse *c, int vertical, const uint32_t *prefix,
                            uint32_t k, uint32_t a, uint32_t b, uint32_t *second)
{
    *second = 0;
    uint32_t s = c->s, lim = vertical ? v->w : v->h, len = vertical ? v->h : v->w;
    uint32_t from = k > 1 ? (k - 1) * s + 1 : 1, to = (k + 2) * s - 1;
    if (to > lim - 1)
        to = lim - 1;
    uint32_t best = k * s < lim ? k * s : lim - 1;
    if (to < from || to - from + 1 > PLACE_MAX)
        return best;
    uint32_t votes[PLACE_MAX] = {0};
    for (uint32_t i = a + 1; i + 1 < b; i++) {
        if (prefix[i + 1] == prefix[i])
            continue; /* not a mark */
        uint32_t q0 = i * s, q1 = (i + 1) * s > len ? len : (i + 1) * s;
        for (uint32_t q = q0; q < q1; q += PLACE_STEP) {
            /* this pixel line's vote: where its step across the window is largest */
            float top = 0;
            uint32_t arg = 0;
            for (uint32_t p = from; p <= to; p++) {
                float d = vertical
                              ? absf(v->l[(size_t)q * v->w + p] - v->l[(size_t)q * v->w + p - 1])
                              : absf(v->l[(size_t)p * v->w + q] - v->l[(size_t)(p - 1) * v->w + q]);
                if (d > top) {
                    top = d;
                    arg = p - from + 1;
                }
            }
            if (arg)
                votes[arg - 1]++;
        }
    }
    uint32_t most = 0;
    for (uint32_t p = from; p <= to; p++)
        if (votes[p - from] > most) {
            most = votes[p - from];
            best = p;
        }
    /* another edge along part of the line (an inset's side beside a longer edge of its
       host): the most votes at least 3 pixels away, if a third of the best's */
    uint32_t next = 0;
    for (uint32_t p = from; p <= to; p++)
        if (diff_u(p, best) >= 3 && votes[p - from] * 2 >= most && votes[p - from] > next) {
            next = votes[p - from];
            *second = p;
        }
    return best;
}

/*
 * A candidate side line at full resolution. Its position p is placed once
 * over the whole line (place_side, from the marked cells); then, for p and the
 * positions one pixel before and after, prefix counts of the pixel lines
 * across it at which the step is sharp (seam_permille's test: over three
 * pixels, over EDGE_INSET levels and MARK_SHARP times the steps beyond it).
 * Any rectangle's side on that line is then measured over its own span in
 * O(1) without the coarse cells' averaging, where texture on either side of
 * the side blurs its step.
 */
/* A mark in each end (an eighth, at least 2 cells) of the coarse side [a, b): a cheap look at
   its corners before the full-resolution test, which asks more. */
static int ends_marked(const uint32_t *prefix, uint32_t a, uint32_t b)
{
    uint32_t e = max_u(2, (b - a) / 8);
    return prefix[a + e] > prefix[a] && prefix[b] > prefix[b - e];
}

typedef struct line_prof {
    uint32_t n;          /* positions: 0 until the line is first used, then 1 or 2 */
    uint32_t pos[2];     /* p: the best placed, and another edge along part of the line */
    uint32_t *pre[2][3]; /* pre[q][o][i]: the sharp lines before i at pos[q] - 1 + o */
} line_prof;

/* Places coarse line `line` at full resolution and counts its sharp lines (first use only);
   mem: 6 * (n + 1) entries, n the line's length. */
static void prof_make(const view *v, const coarse *c, int vertical, uint32_t line, line_prof *lp,
                      uint32_t *mem)
{
    if (lp->n)
        return;
    uint32_t len = vertical ? v->h : v->w;
    const uint32_t *prefix =
        vertical ? c->iv + (size_t)line * (c->h + 1) : c->ih + (size_t)line * (c->w + 1);
    lp->pos[0] = place_side2(v, c, vertical, prefix, line, 0, vertical ? c->h : c->w, &lp->pos[1]);
    lp->n = lp->pos[1] ? 2 : 1;
    for (uint32_t q = 0; q < lp->n; q++) {
        for (int o = 0; o < 3; o++) {
            lp->pre[q][o] = mem;
            mem += len + 1;
        }
        lm_line_profile3(v->l, v->w, v->h, vertical, lp->pos[q], lp->pre[q]);
    }
}

/*
 * Side [a, b) (full resolution, its corners' two pixels left out) on line lp
 * of n pixels: the per mille of its pixel lines that are sharp at the best of
 * the three positions (*at), or 0 unless the side is sharp along
 * INSET_FULL_PM of it, and unless it runs on past both corners (sharp along
 * INSET_RUN_PM of an eighth beyond each): a line across the whole rectangle is
 * an edge of something larger, a bar or a frame, not a side of this picture.
 * *ends: bit 0 when the side is sharp along INSET_END_PM of its first eighth,
 * bit 1 of its last (corner evidence, weighed per corner by the caller).
 */
static uint32_t side_test(const line_prof *lp, uint32_t q, uint32_t n, uint32_t a, uint32_t b,
                          uint32_t *at, unsigned *ends)
{
    if (b < a + 16)
        return 0;
    uint32_t len = b - a, e = len / 8, pm[3];
    for (int o = 0; o < 3; o++)
        pm[o] = (lp->pre[q][o][b] - lp->pre[q][o][a]) * 1000 / len;
    /* a pixel off the placed position only when clearly sharper there (a blurred edge): on a
       sharp edge the three are about equal and the placed one is right */
    uint32_t bo = 1, best = pm[1];
    for (int o = 0; o < 3; o += 2)
        if (pm[o] > best + INSET_SHIFT_PM && pm[o] > pm[2 - o]) {
            bo = (uint32_t)o;
            best = pm[o];
        }
    const uint32_t *pre = lp->pre[q][bo];
    if (best < INSET_FULL_PM)
        return 0;
    uint32_t c0 = a - 2, c1 = b + 2; /* the corners */
    if (c0 >= 2 + e && c1 + 2 + e <= n &&
        (pre[c0 - 2] - pre[c0 - 2 - e]) * 1000 >= INSET_RUN_PM * e &&
        (pre[c1 + 2 + e] - pre[c1 + 2]) * 1000 >= INSET_RUN_PM * e)
        return 0;
    *ends = ((pre[a + e] - pre[a]) * 1000 >= INSET_END_PM * e) |
            ((pre[b] - pre[b - e]) * 1000 >= INSET_END_PM * e) << 1;
    *at = lp->pos[q] - 1 + bo;
    return best;
}

/* pg[y][x]: the sum of the coarse steps above and left of the cells before (x, y), a
   (w + 1) x (h + 1) table; made when a rectangle first passes the marks' tests. */
static int texture_prefix(const coarse *c, float *pg)
{
    size_t stride = (size_t)c->w + 1;
    memset(pg, 0, stride * sizeof *pg);
    for (uint32_t y = 0; y < c->h; y++) {
        float rowsum = 0;
        pg[(size_t)(y + 1) * stride] = 0;
        for (uint32_t x = 0; x < c->w; x++) {
            float g = (y ? cstep_h(c, y, x) : 0) + (x ? cstep_v(c, y, x) : 0);
            rowsum += g;
            pg[(size_t)(y + 1) * stride + x + 1] = pg[(size_t)y * stride + x + 1] + rowsum;
        }
    }
    return 1;
}

/*
 * The rectangles kept, best first: by their weakest side's sharpness, then the next weakest
 * and so on (two rectangles sharing their weakest side are told apart by the others), then
 * the larger. Rectangles within 1% of the image of one another are one (as the proposals'
 * own test): the better stays.
 */
#define RANKED_MAX 4
typedef struct ranked_rect {
    lm_rect rect;
    uint64_t key;
} ranked_rect;
typedef struct ranked {
    ranked_rect r[RANKED_MAX];
    size_t n;
    const view *v;
} ranked;

static int near_rect(lm_rect a, lm_rect b, const view *v)
{
    uint32_t tx = max_u(2, v->w / 100), ty = max_u(2, v->h / 100);
    return diff_u(a.x, b.x) <= tx && diff_u(a.y, b.y) <= ty && diff_u(a.x + a.w, b.x + b.w) <= tx &&
           diff_u(a.y + a.h, b.y + b.h) <= ty;
}

static void rank_add(ranked *k, lm_rect r, const uint32_t side_pm[4])
{
    uint32_t s[4] = {side_pm[0], side_pm[1], side_pm[2], side_pm[3]};
    for (int i = 1; i < 4; i++) /* ascending */
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
            uint32_t t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    uint64_t area = (uint64_t)r.w * r.h; /* < 2^18 * 2^18 at most 512 x 512 here */
    uint64_t key = (uint64_t)s[0] << 54 | (uint64_t)s[1] << 44 | (uint64_t)s[2] << 34 |
                   (uint64_t)(s[3] >> 2) << 26 | (area > 0x3ffffff ? 0x3ffffff : area);
    size_t at = k->n;
    for (size_t i = 0; i < k->n; i++)
        if (near_rect(k->r[i].rect, r, k->v)) {
            if (k->r[i].key >= key)
                return;
            at = i; /* replaced: moved up below */
            break;
        }
    if (at == k->n) {
        if (k->n == RANKED_MAX) {
            if (k->r[RANKED_MAX - 1].key >= key)
                return;
            at = RANKED_MAX - 1;
        } else
            k->n++;
    }
    k->r[at] = (ranked_rect){r, key};
    for (; at > 0 && k->r[at - 1].key < k->r[at].key; at--) {
        ranked_rect t = k->r[at];
        k->r[at] = k->r[at - 1];
        k->r[at - 1] = t;
    }
}

/*
 * The best rectangle grown side by side while it stays one that passed: a passing rectangle
 * with three sides where the current one's are (within 1% of the image) and the fourth
 * further out replaces it. A picture's own straight edges near its border make rectangles
 * inside it that pass as well and can be sharper (an edge of its content 2-10 pixels from
 * its side); the picture is the outermost of them.
 */
#define MAX_PASSED 64
static lm_rect widest_nest(lm_rect r, const lm_rect *passed, size_t n, const view *v)
{
    uint32_t tx = max_u(2, v->w / 100), ty = max_u(2, v->h / 100);
    for (;;) {
        size_t pick = n;
        uint64_t least = UINT64_MAX, area = (uint64_t)r.w * r.h;
        for (size_t i = 0; i < n; i++) {
            lm_rect q = passed[i];
            int l = diff_u(q.x, r.x) <= tx, t = diff_u(q.y, r.y) <= ty;
            int rr = diff_u(q.x + q.w, r.x + r.w) <= tx, b = diff_u(q.y + q.h, r.y + r.h) <= ty;
            int out_l = q.x + tx < r.x, out_t = q.y + ty < r.y;
            int out_r = q.x + q.w > r.x + r.w + tx, out_b = q.y + q.h > r.y + r.h + ty;
            uint64_t qa = (uint64_t)q.w * q.h;
            if (((out_l && t && rr && b) || (out_t && l && rr && b) || (out_r && l && t && b) ||
                 (out_b && l && t && rr)) &&
                qa - area < least) {
                least = qa - area;
                pick = i;
            }
        }
        if (pick == n)
            return r;
        r = passed[pick]; /* the nearest side further out first: a host's edge lies beyond */
    }
}

/* Candidate lines in increasing order (at most MAX_LINES: insertion sort). */
static void sort_lines(uint32_t *l, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t v = l[i];
        size_t j = i;
        for (; j > 0 && l[j - 1] > v; j--)
            l[j] = l[j - 1];
        l[j] = v;
    }
}

static size_t find_insets(const view *v, const coarse *c, lm_rect *out, size_t cap)
{
    uint32_t cw = c->w, ch = c->h;
    if (cw < 8 || ch < 8)
        return 0;
    uint32_t minw = max_u(6, cw * INSET_MIN_PCT / 100), minh = max_u(6, ch * INSET_MIN_PCT / 100);
    size_t stride = (size_t)cw + 1, vstride = (size_t)ch + 1;
    /* ph[y][x]: marks of line y left of x; pv[x][y]: marks of column line x above y */
    const uint32_t *ph = c->ih, *pv = c->iv, *rows = c->rows, *cols = c->cols;
    float *pg = NULL; /* 2D prefix of |steps|, made when a rectangle may be tried */
    uint32_t *pre = NULL;
    size_t n = 0;
    uint32_t ys[MAX_LINES], xs[MAX_LINES];
    size_t ny = top_lines(rows, ch - 1, minw * INSET_SIDE_PCT / 100, ys, MAX_LINES);
    size_t nx = top_lines(cols, cw - 1, minh * INSET_SIDE_PCT / 100, xs, MAX_LINES);
    if (ny < 2 || nx < 2)
        goto done; /* a plain photograph usually stops here */
    pg = malloc(stride * (ch + 1) * sizeof *pg);
    pre = malloc(((size_t)ny * (v->w + 1) + (size_t)nx * (v->h + 1)) * 6 * sizeof *pre);
    if (!pg || !pre)
        goto done;
    int have_pg = 0;
    /* the candidate lines at full resolution, made when a rectangle first needs them */
    line_prof py[MAX_LINES], px[MAX_LINES];
    memset(py, 0, sizeof py);
    memset(px, 0, sizeof px);
    uint32_t *ymem = pre, *xmem = pre + (size_t)ny * 6 * (v->w + 1);
    /* Of the rectangles of candidate lines with marks along INSET_COARSE_PCT of each side on
       the coarse copy, a picture inside and every side holding at full resolution
       (side_test): the best by its weakest side (ties: the larger) and the largest; a
       picture's own rectangles lie inside it and may be as sharp, while text or UI beside a
       screenshot's picture can make a larger one. */
    lm_rect largest = {0, 0, 0, 0};
    ranked kept = {.n = 0, .v = v};
    lm_rect passed[MAX_PASSED];
    size_t npass = 0;
    /* In order, each rectangle is tried once (top above bottom, left before right), and the
       coarse marks along its sides are differences of the lines' prefix counts at the other
       lines, gathered once: hc[a][i] along row line a up to column line i, vc[i] along column
       line i between the two rows tried. A side holds marks along P% of its n cells when
       100 * count >= P * n (the integer test of count * 1000 / n >= 10 P). */
    sort_lines(ys, ny);
    sort_lines(xs, nx);
    uint32_t hc[MAX_LINES][MAX_LINES], vc[MAX_LINES];
    for (size_t a = 0; a < ny; a++)
        for (size_t i = 0; i < nx; i++)
            hc[a][i] = ph[(size_t)ys[a] * stride + xs[i]];
    for (size_t a = 0; a < ny; a++)
        for (size_t b = a + 1; b < ny; b++) {
            uint32_t y0 = ys[a], y1 = ys[b];
            if (y1 < y0 + minh)
                continue;
            uint32_t h = y1 - y0, weak_h = INSET_WEAK_PCT * h, full_h = INSET_COARSE_PCT * h;
            for (size_t i = 0; i < nx; i++)
                vc[i] = (pv[(size_t)xs[i] * vstride + y1] - pv[(size_t)xs[i] * vstride + y0]) * 100;
            for (size_t l = 0; l < nx; l++) {
                uint32_t x0 = xs[l];
                if (vc[l] < weak_h)
                    continue;
                for (size_t r = l + 1; r < nx; r++) {
                    uint32_t x1 = xs[r];
                    if (x1 < x0 + minw)
                        continue;
                    uint32_t w = x1 - x0, weak_w = INSET_WEAK_PCT * w,
                             full_w = INSET_COARSE_PCT * w;
                    uint32_t dt = (hc[a][r] - hc[a][l]) * 100, db = (hc[b][r] - hc[b][l]) * 100;
                    /* one side may be weaker: where host and picture meet in like colours */
                    if (vc[r] < weak_h || dt < weak_w || db < weak_w ||
                        (vc[l] < full_h) + (vc[r] < full_h) + (dt < full_w) + (db < full_w) > 1)
                        continue;
                    if (!ends_marked(pv + (size_t)x0 * vstride, y0, y1) ||
                        !ends_marked(pv + (size_t)x1 * vstride, y0, y1) ||
                        !ends_marked(ph + (size_t)y0 * stride, x0, x1) ||
                        !ends_marked(ph + (size_t)y1 * stride, x0, x1))
                        continue;
                    if (!have_pg)
                        have_pg = texture_prefix(c, pg);
                    float area = (float)w * (float)h;
                    float gsum = pg[(size_t)y1 * stride + x1] - pg[(size_t)y0 * stride + x1] -
                                 pg[(size_t)y1 * stride + x0] + pg[(size_t)y0 * stride + x0];
                    if (gsum < INSET_TEXTURE * area)
                        continue; /* a flat shape, not a picture */
                    const line_prof *lt = &py[a], *lb = &py[b], *ll = &px[l], *lr = &px[r];
                    prof_make(v, c, 0, y0, &py[a], ymem + a * 6 * (v->w + 1));
                    prof_make(v, c, 0, y1, &py[b], ymem + b * 6 * (v->w + 1));
                    prof_make(v, c, 1, x0, &px[l], xmem + l * 6 * (v->h + 1));
                    prof_make(v, c, 1, x1, &px[r], xmem + r * 6 * (v->h + 1));
                    /* full resolution, every placing of the four lines: each side over the
                       span between the other two, the corners' two pixels left out (JPEG
                       blurs them) */
                    for (uint32_t qt = 0; qt < lt->n; qt++)
                        for (uint32_t qb = 0; qb < lb->n; qb++)
                            for (uint32_t ql = 0; ql < ll->n; ql++)
                                for (uint32_t qr = 0; qr < lr->n; qr++) {
                                    uint32_t fx0 = ll->pos[ql], fx1 = lr->pos[qr],
                                             fy0 = lt->pos[qt], fy1 = lb->pos[qb];
                                    uint32_t s[4], at[4];
                                    unsigned e[4];
                                    if (fx1 < fx0 + 20 || fy1 < fy0 + 20 ||
                                        !(s[0] = side_test(lt, qt, v->w, fx0 + 2, fx1 - 2, &at[0],
                                                           &e[0])) ||
                                        !(s[1] = side_test(lb, qb, v->w, fx0 + 2, fx1 - 2, &at[1],
                                                           &e[1])) ||
                                        !(s[2] = side_test(ll, ql, v->h, fy0 + 2, fy1 - 2, &at[2],
                                                           &e[2])) ||
                                        !(s[3] = side_test(lr, qr, v->h, fy0 + 2, fy1 - 2, &at[3],
                                                           &e[3])))
                                        continue;
                                    /* each corner sharp at the end of one of its two sides at
                                       least (where host and picture meet in like colours, the
                                       other side fades there); sides top, bottom, left, right */
                                    if (!((e[0] | e[2]) & 1) || !((e[0] >> 1 | e[3]) & 1) ||
                                        !((e[1] | e[2] >> 1) & 1) || !((e[1] | e[3]) >> 1 & 1))
                                        continue;
                                    lm_rect fr = {at[2], at[0], at[3] - at[2], at[1] - at[0]};
                                    rank_add(&kept, fr, s);
                                    if (npass < MAX_PASSED)
                                        passed[npass++] = fr;
                                    if ((uint64_t)fr.w * fr.h > (uint64_t)largest.w * largest.h)
                                        largest = fr;
                                }
                }
            }
        }
    if (kept.n && n < cap)
        out[n++] = kept.r[0].rect;
    if (kept.n && n < cap) {
        lm_rect outer = widest_nest(kept.r[0].rect, passed, npass, v);
        if (!near_rect(outer, kept.r[0].rect, v) && !near_rect(outer, largest, v))
            out[n++] = outer;
    }
    if (kept.n && n < cap && !near_rect(largest, kept.r[0].rect, v))
        out[n++] = largest;
    for (size_t i = 1; i < kept.n && n < cap; i++)
        if (!near_rect(kept.r[i].rect, largest, v))
            out[n++] = kept.r[i].rect;
done:
    free(pg);
    free(pre);
    return n;
}

/* ---- proposals ---- */

typedef struct plist {
    lm_region_proposal *p;
    size_t n;
    size_t cap;
    uint32_t tol_x, tol_y, min_w, min_h;
} plist;

static int same_rect(const plist *l, lm_rect a, lm_rect b)
{
    return diff_u(a.x, b.x) <= l->tol_x && diff_u(a.y, b.y) <= l->tol_y &&
           diff_u(a.x + a.w, b.x + b.w) <= l->tol_x && diff_u(a.y + a.h, b.y + b.h) <= l->tol_y;
}

static void add(plist *l, lm_rect r, int kind)
{
    if (l->n >= l->cap || r.w < l->min_w || r.h < l->min_h)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (same_rect(l, l->p[i].rect, r))
            return;
    l->p[l->n].rect = r;
    l->p[l->n].kind = kind;
    l->n++;
}

size_t lm_region_propose(const float *luma, uint32_t width, uint32_t height, const lm_rect *skip,
                         lm_region_proposal out[LM_REGION_MAX_PROPOSALS])
{
    if (!luma || width < 32 || height < 32)
        return 0;
    view v = {luma, width, height};
    /* Slots 0 and 1 hold the whole image and skip so that nothing equal to them is added. */
    lm_region_proposal all[LM_REGION_MAX_PROPOSALS + 2];
    plist l = {all,
               0,
               0,
               max_u(2, width / 100),
               max_u(2, height / 100),
               max_u(16, width * MIN_KEEP_PCT / 100),
               max_u(16, height * MIN_KEEP_PCT / 100)};
    lm_rect whole = {0, 0, width, height};
    all[l.n++] = (lm_region_proposal){whole, 0};
    if (skip)
        all[l.n++] = (lm_region_proposal){*skip, 0};
    size_t fixed = l.n;
    l.cap = fixed + LM_REGION_MAX_PROPOSALS;

    /* Bands: caption, then frame. */
    lm_rect r = whole, first = whole;
    if (band_trim(&v, &r, l.min_w, l.min_h, BAND_ROUNDS, &first, 0) > 0) {
        add(&l, r, LM_REGION_KIND_BANDS);
        add(&l, first, LM_REGION_KIND_BANDS);
    }

    coarse c;
    if (coarse_make(&v, &c) == 0) {
        /* Collage cells, of the whole image or of what the bands left. */
        lm_rect cells[4];
        size_t nc = split_cells(&v, &c, r, cells);
        if (nc == 0 && (r.w != width || r.h != height))
            nc = split_cells(&v, &c, whole, cells);
        for (size_t i = 0; i < nc; i++) {
            lm_rect cell = cells[i];
            /* seams and margins are bands of the cell */
            band_trim(&v, &cell, max_u(16, cell.w / 2), max_u(16, cell.h / 2), 2, NULL, 1);
            add(&l, cell, LM_REGION_KIND_SPLIT);
        }
        lm_rect ins[MAX_INSETS];
        size_t free_slots = l.cap - l.n;
        size_t ni = find_insets(&v, &c, ins, free_slots < MAX_INSETS ? free_slots : MAX_INSETS);
        for (size_t i = 0; i < ni; i++)
            add(&l, ins[i], LM_REGION_KIND_INSET);
        coarse_free(&c);
    }
    size_t n = l.n - fixed;
    memcpy(out, all + fixed, n * sizeof *out);
    return n;
}

const char *lm_region_kind_name(int kind)
{
    switch (kind) {
    case LM_REGION_KIND_BANDS: return "bands";
    case LM_REGION_KIND_SPLIT: return "split";
    case LM_REGION_KIND_INSET: return "inset";
    default: return "unknown";
    }
}
