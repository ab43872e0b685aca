/*
 * Geometric verification of descriptor matches: a similarity transform
 * (uniform scale, rotation, shift) from the stored image to the query,
 * hypothesised from every two of the closest pairs (deterministic, no random
 * sampling), kept when the keypoints' own orientations agree with its
 * rotation, scored by the distinct pairs it maps within a few pixels, and
 * refined by least squares on its inliers. The inliers must also spread across
 * the query (LM_FEAT_MIN_SPREAD): unrelated pictures agree by chance along a text line,
 * a UI bar or in one patch, a real copy over the picture.
 *
 * Bounds: LM_FEAT_MAX_PAIRS pairs per entry, HYP_PAIRS of them as hypothesis
 * seeds (HYP_PAIRS * (HYP_PAIRS - 1) / 2 hypotheses, each checked against every pair).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "local_features.h"

#define HYP_PAIRS 40
#define TOLERANCE 5.0f      /* query level-0 pixels (of a 320-pixel side) */
#define MIN_SEED_SPAN 12.0f /* stored pixels between a hypothesis' two points */
#define MAX_ROTATION 20.0f  /* degrees: small rotations only (dihedral covers 90s) */
#define ANGLE_TOLERANCE 32  /* 256ths of a turn (45 degrees) for a keypoint's own angle */
#define MIN_SCALE (1.0f / 3)
#define MAX_SCALE 3.0f

typedef struct sim {
    float a, b, tx, ty; /* q = [a -b; b a] s + t */
} sim;

static int angle_ok(const lm_features *q, const lm_feature *s, const lm_feat_pair *p, int rot256)
{
    int d = (int)q->f[p->qi].angle - (int)s[p->si].angle - rot256;
    d = ((d % 256) + 256 + 128) % 256 - 128;
    return d >= -ANGLE_TOLERANCE && d <= ANGLE_TOLERANCE;
}

/*
 * A keypoint found at stored level ls appears at about 1.25^ls * scale in the query:
 * its query level should be within 1.5 levels of ls + log_1.25(scale).
 */
static int level_ok(const lm_features *q, const lm_feature *s, const lm_feat_pair *p,
                    float log_scale)
{
    float d = (float)q->f[p->qi].level - (float)s[p->si].level - log_scale;
    return d >= -1.5f && d <= 1.5f;
}

static float log_scale_of(const sim *t)
{
    return logf(sqrtf(t->a * t->a + t->b * t->b)) / logf(LM_FEAT_SCALE);
}

static int rot256_of(const sim *t)
{
    return (int)lroundf(atan2f(t->b, t->a) * 128.0f / (float)M_PI);
}

static int is_inlier(const lm_features *q, const lm_feature *s, const lm_feat_pair *p, const sim *t,
                     int rot256)
{
    float sx = s[p->si].x / 16.0f, sy = s[p->si].y / 16.0f;
    float px = t->a * sx - t->b * sy + t->tx, py = t->b * sx + t->a * sy + t->ty;
    float dx = px - q->f[p->qi].x / 16.0f, dy = py - q->f[p->qi].y / 16.0f;
    return dx * dx + dy * dy <= TOLERANCE * TOLERANCE && angle_ok(q, s, p, rot256) &&
           level_ok(q, s, p, log_scale_of(t));
}

/* Inliers of t; with mark, each query and stored keypoint counts once (closest pair first). */
static int count_inliers(const lm_features *q, const lm_feature *s, size_t ns,
                         const lm_feat_pair *pairs, size_t n, const sim *t, uint8_t *qused,
                         uint8_t *sused)
{
    int rot = rot256_of(t), c = 0;
    if (qused) {
        memset(qused, 0, LM_FEAT_MAX);
        memset(sused, 0, ns);
    }
    for (size_t k = 0; k < n; k++) {
        if (!is_inlier(q, s, &pairs[k], t, rot))
            continue;
        if (qused) {
            if (qused[pairs[k].qi] || sused[pairs[k].si])
                continue;
            qused[pairs[k].qi] = sused[pairs[k].si] = 1;
        }
        c++;
    }
    return c;
}

/*
 * How far the inliers of t (each keypoint once, as count_inliers counts them) spread in
 * the query: the standard deviation of their positions along the narrowest axis (the
 * square root of the smaller eigenvalue of the covariance), as a share of the query's
 * shorter side.
 */
static float inlier_spread(const lm_features *q, const lm_feature *s, size_t ns,
                           const lm_feat_pair *pairs, size_t n, const sim *t, uint8_t *qused,
                           uint8_t *sused)
{
    int rot = rot256_of(t);
    memset(qused, 0, LM_FEAT_MAX);
    memset(sused, 0, ns);
    double m = 0, mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
    for (size_t k = 0; k < n; k++) {
        if (!is_inlier(q, s, &pairs[k], t, rot) || qused[pairs[k].qi] || sused[pairs[k].si])
            continue;
        qused[pairs[k].qi] = sused[pairs[k].si] = 1;
        double x = q->f[pairs[k].qi].x / 16.0, y = q->f[pairs[k].qi].y / 16.0;
        m++, mx += x, my += y, xx += x * x, yy += y * y, xy += x * y;
    }
    if (m < 2)
        return 0;
    mx /= m, my /= m;
    double a = xx / m - mx * mx, c = yy / m - my * my, b = xy / m - mx * my;
    double h = (a - c) / 2, lmin = (a + c) / 2 - sqrt(h * h + b * b);
    double side = q->width < q->height ? q->width : q->height;
    return lmin > 0 && side > 0 ? (float)(sqrt(lmin) / side) : 0.0f;
}

static int plausible(const sim *t)
{
    float sc = sqrtf(t->a * t->a + t->b * t->b);
    float rot = fabsf(atan2f(t->b, t->a)) * 180.0f / (float)M_PI;
    return sc >= MIN_SCALE && sc <= MAX_SCALE && rot <= MAX_ROTATION;
}

/* Least squares similarity over the inliers of t (complex form: a = sum conj(ds) dq / sum |ds|^2).
 */
static int refine(const lm_features *q, const lm_feature *s, const lm_feat_pair *pairs, size_t n,
                  const sim *t, sim *out)
{
    int rot = rot256_of(t);
    double msx = 0, msy = 0, mqx = 0, mqy = 0;
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (is_inlier(q, s, &pairs[k], t, rot)) {
            msx += s[pairs[k].si].x / 16.0;
            msy += s[pairs[k].si].y / 16.0;
            mqx += q->f[pairs[k].qi].x / 16.0;
            mqy += q->f[pairs[k].qi].y / 16.0;
            m++;
        }
    if (m < 2)
        return -1;
    msx /= m, msy /= m, mqx /= m, mqy /= m;
    double re = 0, im = 0, den = 0;
    for (size_t k = 0; k < n; k++)
        if (is_inlier(q, s, &pairs[k], t, rot)) {
            double sx = s[pairs[k].si].x / 16.0 - msx, sy = s[pairs[k].si].y / 16.0 - msy;
            double qx = q->f[pairs[k].qi].x / 16.0 - mqx, qy = q->f[pairs[k].qi].y / 16.0 - mqy;
            re += sx * qx + sy * qy;
            im += sx * qy - sy * qx;
            den += sx * sx + sy * sy;
        }
    if (den <= 0)
        return -1;
    out->a = (float)(re / den);
    out->b = (float)(im / den);
    out->tx = (float)(mqx - (out->a * msx - out->b * msy));
    out->ty = (float)(mqy - (out->b * msx + out->a * msy));
    return 0;
}

void lm_feat_verify(const lm_features *q, const lm_feature *s, size_t ns, const lm_feat_pair *pairs,
                    size_t n, lm_feat_transform *out)
{
    memset(out, 0, sizeof *out);
    if (n > LM_FEAT_MAX_PAIRS)
        n = LM_FEAT_MAX_PAIRS;
    if (n < 2 || ns == 0 || ns > LM_FEAT_MAX)
        return;
    size_t seeds = n < HYP_PAIRS ? n : HYP_PAIRS;
    sim best = {0};
    int best_n = 0;
    for (size_t i = 0; i < seeds; i++)
        for (size_t j = i + 1; j < seeds; j++) {
            const lm_feat_pair *pi = &pairs[i], *pj = &pairs[j];
            if (pi->qi == pj->qi || pi->si == pj->si)
                continue;
            float s1x = s[pi->si].x / 16.0f, s1y = s[pi->si].y / 16.0f;
            float s2x = s[pj->si].x / 16.0f, s2y = s[pj->si].y / 16.0f;
            float q1x = q->f[pi->qi].x / 16.0f, q1y = q->f[pi->qi].y / 16.0f;
            float q2x = q->f[pj->qi].x / 16.0f, q2y = q->f[pj->qi].y / 16.0f;
            float dsx = s2x - s1x, dsy = s2y - s1y, dqx = q2x - q1x, dqy = q2y - q1y;
            float d2 = dsx * dsx + dsy * dsy;
            if (d2 < MIN_SEED_SPAN * MIN_SEED_SPAN)
                continue;
            sim t;
            t.a = (dsx * dqx + dsy * dqy) / d2;
            t.b = (dsx * dqy - dsy * dqx) / d2;
            t.tx = q1x - (t.a * s1x - t.b * s1y);
            t.ty = q1y - (t.b * s1x + t.a * s1y);
            if (!plausible(&t))
                continue;
            int rot = rot256_of(&t);
            if (!angle_ok(q, s, pi, rot) || !angle_ok(q, s, pj, rot))
                continue;
            int c = count_inliers(q, s, ns, pairs, n, &t, NULL, NULL);
            if (c > best_n) {
                best_n = c;
                best = t;
            }
        }
    if (best_n < 2)
        return;
    uint8_t qused[LM_FEAT_MAX], sused[LM_FEAT_MAX];
    int c = count_inliers(q, s, ns, pairs, n, &best, qused, sused);
    sim r;
    for (int it = 0; it < 2 && refine(q, s, pairs, n, &best, &r) == 0 && plausible(&r); it++) {
        int c2 = count_inliers(q, s, ns, pairs, n, &r, qused, sused);
        if (c2 < c)
            break;
        c = c2;
        best = r;
    }
    out->inliers = c;
    out->spread = inlier_spread(q, s, ns, pairs, n, &best, qused, sused);
    if (out->spread < LM_FEAT_MIN_SPREAD)
        out->inliers = 0; /* a line or a patch of agreement, not the picture */
    out->scale = sqrtf(best.a * best.a + best.b * best.b);
    out->rotation = atan2f(best.b, best.a) * 180.0f / (float)M_PI;
    out->tx = best.tx;
    out->ty = best.ty;
}
