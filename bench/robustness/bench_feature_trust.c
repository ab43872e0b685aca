/*
 * bench-feature-trust: false matches of the local-feature stage (issue 14,
 * LM_VARIANT_FEATURES) between distinct images, its recall at that list size,
 * and its query cost in instructions. Prints figures; asserts nothing.
 *
 * A list of L distinct generated pictures added with lm_list_add_image
 * (companions and features; every fifth with a caption band and every fifth
 * in a screenshot frame, as lists of re-shared material hold them: text-like
 * strokes and UI bars are where unrelated images look most alike), and Q
 * unrelated generated queries, a sixth each plain, with a caption, in a
 * screenshot, as an inset, in a 2x2 collage and rotated by 3 degrees after a
 * 10% offset crop. Seeds of the two sets never overlap.
 *  1. Every query through lm_check (defaults) against the list: MATCH
 *     verdicts (each one false), those through features, the highest score.
 *  2. Every (query, entry) pair, Q x L: the query's features (as lm_check
 *     computes them) searched as lm_check searches them (lm_feature_search, the
 *     same approximate descriptor search) and verified against every entry with
 *     at least 2 candidate pairs (lm_check verifies only the 16 with the most,
 *     and only those with 22): the inlier-count distribution's tail, its
 *     maximum, and how far the inliers of the closest pairs spread.
 *  3. Recall at this list size: R plain list entries, cropped by 20% at a
 *     random offset or rotated by +5 / -5 degrees, through lm_check, with the
 *     distribution of their scores and the true entries' inlier spread.
 *  4. --cost N: lm_check on N unrelated and N edited (feature-matched) queries,
 *     features off then on, each pass its own function, so that
 *       valgrind --tool=callgrind --instr-atstart=no bench-feature-trust --db DIR --cost N
 *     (after one run without valgrind that built DIR) counts the instructions of
 *     the passes only (callgrind_annotate --inclusive=yes: cost_pass_*).
 *
 *   bench-feature-trust [--list L] [--queries Q] [--recall R] [--cost N] [--db DIR [--reuse]]
 *   (defaults 1000, 1000, 150, 0; --db DIR: build the list there and keep it, or, when
 *   DIR already holds one, only run --cost against it; --reuse: run every part against
 *   the list this bench kept in DIR, of however many entries, instead of building one)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "decode.h"
#include "feature_match.h"
#include "hashdb.h"
#include "libmatch.h"
#include "list_add_image.h"
#include "local_features.h"
#include "robust_hash.h"
#include "bench_photos.h"
#include "scratch.h"
#include "synth.h"
#include "synth_layout.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#define LIST_SEED 7000000u
#define QUERY_SEED 9000000u
#define MAXS 101 /* inlier counts 0..100 */

static int parse_count(const char *s, int *out, int min)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < min || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

static uint64_t rng = 14;
static double rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* p of each axis removed, split between its two ends at random. */
static int offset_crop(const synth_image *in, synth_image *out, double p)
{
    uint32_t cw = (uint32_t)lround(in->w * (1 - p)), ch = (uint32_t)lround(in->h * (1 - p));
    uint32_t x = (uint32_t)lround((in->w - cw) * rnd()), y = (uint32_t)lround((in->h - ch) * rnd());
    return synth_crop(in, out, x, y, cw, ch);
}

/* List entry i: its picture in its layout (every fifth captioned, every fifth a screenshot). */
static int list_image(int i, const synth_image *pic, synth_image *out)
{
    synth_rect where;
    switch (i % 5) {
    case 0: return synth_caption(pic, out, LIST_SEED + 500000u + (uint64_t)i, &where);
    case 1: return synth_screenshot(pic, out, LIST_SEED + 500000u + (uint64_t)i, &where);
    default: return synth_crop(pic, out, 0, 0, pic->w, pic->h);
    }
}

static const char *qnames[6] = {"plain", "caption", "screenshot",
                                "inset", "collage", "crop10+rot3"};

/* Unrelated query q from its own picture. */
static int query_image(int q, uint64_t seed, const synth_image *pic, synth_image *out)
{
    synth_rect where;
    switch (q % 6) {
    case 0: return synth_crop(pic, out, 0, 0, pic->w, pic->h);
    case 1: return synth_caption(pic, out, seed, &where);
    case 2: return synth_screenshot(pic, out, seed, &where);
    case 3: return synth_inset(pic, out, seed, &where);
    case 4: return synth_collage(pic, out, seed + (uint64_t)q, &where);
    default: {
        synth_image c;
        if (offset_crop(pic, &c, 0.10))
            return -1;
        int rc = synth_rotate(&c, out, q % 12 < 6 ? 3 : -3);
        synth_free(&c);
        return rc;
    }
    }
}

/* The query's features as lm_check computes them (fast decoding, the same bounded buffer). */
static int query_features(const uint8_t *buf, size_t len, lm_features *f)
{
    lm_decode_opts dec;
    lm_decode_opts_default(&dec);
    dec.jpeg_dct_scale = 1;
    lm_pixels px;
    lm_errbuf eb = {{0}};
    if (lm_decode_image(buf, len, &dec, &px, &eb) != LM_OK)
        return -1;
    lm_status st = lm_query_features(&px, f, &eb);
    lm_pixels_free(&px);
    return st == LM_OK ? 0 : -1;
}

static void print_tail(const char *what, const uint64_t *hist, uint64_t total)
{
    int top = 0;
    for (int k = 0; k < MAXS; k++)
        if (hist[k])
            top = k;
    printf(
        "  %s: highest %d; pairs at each inlier count from the top (cumulative share of %llu):\n",
        what, top, (unsigned long long)total);
    uint64_t cum = 0;
    for (int k = top; k >= 2; k--) {
        cum += hist[k];
        if (hist[k])
            printf("    %3d  %9llu   >= %d: %llu (%.2e)\n", k, (unsigned long long)hist[k], k,
                   (unsigned long long)cum, total ? (double)cum / (double)total : 0.0);
    }
    printf("    0-1  %9llu   (no two candidate pairs, or nothing consistent)\n",
           (unsigned long long)(total - cum));
}

/* Unrelated pairs with at least SPREAD_FROM inliers: how far their inliers spread. */
#define SPREAD_FROM 12
#define MAX_CLOSE 4096
typedef struct close_pair {
    int inliers;
    float spread;
} close_pair;

static int cmp_close(const void *pa, const void *pb)
{
    const close_pair *a = pa, *b = pb;
    if (a->inliers != b->inliers)
        return b->inliers - a->inliers;
    return a->spread < b->spread ? -1 : a->spread > b->spread;
}

static void print_spreads(close_pair *c, size_t n)
{
    qsort(c, n, sizeof *c, cmp_close);
    printf("  the %zu pairs with >= %d inliers, inliers:spread (the inliers' standard deviation "
           "along their narrowest axis, a share of the query's shorter side; match: >= %.2f):",
           n, SPREAD_FROM, LM_FEAT_MIN_SPREAD);
    for (size_t i = 0; i < n && i < 40; i++)
        printf(" %d:%.3f", c[i].inliers, c[i].spread);
    printf("\n");
}

/* ---- cost: each pass its own function, so that callgrind's inclusive counts separate them --- */

typedef struct qset {
    uint8_t **buf;
    size_t *len;
    int n;
} qset;

__attribute__((noinline, noipa)) static size_t cost_pass(lm_matcher *m, const qset *s,
                                                         const lm_check_options *o)
{
    size_t matches = 0;
    for (int i = 0; i < s->n; i++) {
        lm_check_result r = {.struct_size = sizeof r};
        if (lm_check(m, s->buf[i], s->len[i], o, &r) == LM_OK)
            matches += r.verdict == LM_VERDICT_MATCH;
    }
    return matches;
}
__attribute__((noinline, noipa)) static size_t cost_pass_unrelated_off(lm_matcher *m, const qset *s,
                                                                       const lm_check_options *o)
{
    return cost_pass(m, s, o);
}
__attribute__((noinline, noipa)) static size_t cost_pass_unrelated_on(lm_matcher *m, const qset *s,
                                                                      const lm_check_options *o)
{
    return cost_pass(m, s, o);
}
__attribute__((noinline, noipa)) static size_t cost_pass_edited_off(lm_matcher *m, const qset *s,
                                                                    const lm_check_options *o)
{
    return cost_pass(m, s, o);
}
__attribute__((noinline, noipa)) static size_t cost_pass_edited_on(lm_matcher *m, const qset *s,
                                                                   const lm_check_options *o)
{
    return cost_pass(m, s, o);
}

static void run_cost(lm_matcher *m, int n)
{
    lm_hasher *h = lm_hasher_create();
    qset un = {calloc((size_t)n, sizeof(uint8_t *)), calloc((size_t)n, sizeof(size_t)), 0};
    qset ed = {calloc((size_t)n, sizeof(uint8_t *)), calloc((size_t)n, sizeof(size_t)), 0};
    uint64_t seed = QUERY_SEED + 3000000u;
    for (int i = 0; i < n; i++) {
        synth_image pic;
        if (bench_make_picture(h, &seed, &pic) == 0) {
            if (synth_encode_jpeg(&pic, 90, &un.buf[un.n], &un.len[un.n]) == 0)
                un.n++;
            synth_free(&pic);
        }
    }
    /* Edited list entries: the first n plain ones (i % 5 >= 2), cropped 20% or rotated 5. */
    seed = LIST_SEED;
    rng = 99;
    for (int i = 0; ed.n < n; i++) {
        synth_image pic, e;
        if (bench_make_picture(h, &seed, &pic))
            break;
        int rc = -1;
        if (i % 5 >= 2)
            rc = ed.n % 2 ? synth_rotate(&pic, &e, ed.n % 4 == 1 ? 5 : -5)
                          : offset_crop(&pic, &e, 0.20);
        synth_free(&pic);
        if (rc == 0) {
            if (synth_encode_jpeg(&e, 90, &ed.buf[ed.n], &ed.len[ed.n]) == 0)
                ed.n++;
            synth_free(&e);
        }
    }
    lm_check_options off, on;
    lm_check_options_init(&off);
    lm_check_options_init(&on);
    off.features = 0;
    /* one warm-up query (lazy one-time work outside the passes) */
    cost_pass(m, &(qset){un.buf, un.len, un.n ? 1 : 0}, &on);
    double t[4];
    size_t mt[4];
    CALLGRIND_START_INSTRUMENTATION;
    t[0] = bench_thread_cpu_s();
    mt[0] = cost_pass_unrelated_off(m, &un, &off);
    t[1] = bench_thread_cpu_s();
    mt[1] = cost_pass_unrelated_on(m, &un, &on);
    t[2] = bench_thread_cpu_s();
    mt[2] = cost_pass_edited_off(m, &ed, &off);
    t[3] = bench_thread_cpu_s();
    mt[3] = cost_pass_edited_on(m, &ed, &on);
    double t4 = bench_thread_cpu_s();
    CALLGRIND_STOP_INSTRUMENTATION;
    printf("4. cost passes (%d unrelated queries, %d edited list entries; CPU time of this thread; "
           "count instructions with callgrind):\n"
           "  unrelated, features off: %zu matches, %.1f ms per lm_check\n"
           "  unrelated, features on:  %zu matches, %.1f ms\n"
           "  edited, features off:    %zu matches, %.1f ms\n"
           "  edited, features on:     %zu matches, %.1f ms\n",
           un.n, ed.n, mt[0], 1000 * (t[1] - t[0]) / (un.n ? un.n : 1), mt[1],
           1000 * (t[2] - t[1]) / (un.n ? un.n : 1), mt[2],
           1000 * (t[3] - t[2]) / (ed.n ? ed.n : 1), mt[3], 1000 * (t4 - t[3]) / (ed.n ? ed.n : 1));
    for (int i = 0; i < un.n; i++)
        free(un.buf[i]);
    for (int i = 0; i < ed.n; i++)
        free(ed.buf[i]);
    free(un.buf), free(un.len), free(ed.buf), free(ed.len);
    lm_hasher_destroy(h);
}

/* The feature index as the matcher builds it at open, and its build time (CPU seconds). */
static lm_feature_index *build_index(lm_hashdb *db, lm_db_pdq_set *set, double *cpu_s)
{
    lm_feature_index *fx = NULL;
    if (lm_hashdb_load_pdq(db, set) != LM_OK)
        return NULL;
    double t0 = bench_thread_cpu_s();
    if (lm_feature_index_build(db, set->ids, set->hashes, set->count, &fx) != LM_OK)
        fx = NULL;
    *cpu_s = bench_thread_cpu_s() - t0;
    return fx;
}

static void print_index(const lm_feature_index *fx, double cpu_s)
{
    size_t ne = lm_feature_index_entries(fx), nk = lm_feature_index_keypoints(fx);
    printf("feature index: %zu entries, %zu keypoints, %zu bytes (%.0f per entry, %.1f per "
           "keypoint), built in %.3f s CPU (loading the features from the list included)\n",
           ne, nk, lm_feature_index_bytes(fx),
           (double)lm_feature_index_bytes(fx) / (double)(ne ? ne : 1),
           (double)lm_feature_index_bytes(fx) / (double)(nk ? nk : 1), cpu_s);
}

static int has_list(const char *dir)
{
    char f[700];
    snprintf(f, sizeof f, "%.600s/data.mdb", dir);
    struct stat st;
    return stat(f, &st) == 0;
}

int main(int argc, char **argv)
{
    int nlist = 1000, nq = 1000, nrecall = 150, ncost = 0, reuse = 0;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0 && i + 1 < argc &&
            parse_count(argv[i + 1], &nlist, 1) == 0)
            i++;
        else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc &&
                 parse_count(argv[i + 1], &nq, 0) == 0)
            i++;
        else if (strcmp(argv[i], "--recall") == 0 && i + 1 < argc &&
                 parse_count(argv[i + 1], &nrecall, 0) == 0)
            i++;
        else if (strcmp(argv[i], "--cost") == 0 && i + 1 < argc &&
                 parse_count(argv[i + 1], &ncost, 0) == 0)
            i++;
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc && strlen(argv[i + 1]) < 500)
            keep = argv[++i];
        else if (strcmp(argv[i], "--reuse") == 0)
            reuse = 1;
        else {
            fprintf(stderr, "usage: bench-feature-trust [--list L] [--queries Q] [--recall R] "
                            "[--cost N] [--db DIR [--reuse]]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *tmp = NULL; /* the scratch directory of the list, without --db */
    char dbpath[600], err[256];
    if (keep) {
        snprintf(dbpath, sizeof dbpath, "%s", keep);
        if (has_list(dbpath) && !reuse) { /* only the cost passes against a kept list */
            lm_matcher *m;
            if (lm_matcher_open(dbpath, &m, err, sizeof err) != LM_OK) {
                fprintf(stderr, "open: %s\n", err);
                return 1;
            }
            printf("list %s: %zu hashes, %zu entries with features\n", dbpath, lm_matcher_size(m),
                   lm_matcher_feature_entries(m));
            lm_hashdb *db;
            if (lm_hashdb_open(dbpath, LM_DB_READONLY, &db, err, sizeof err) == LM_OK) {
                lm_db_pdq_set set;
                double cpu_s = 0;
                lm_feature_index *fx = build_index(db, &set, &cpu_s);
                if (fx)
                    print_index(fx, cpu_s);
                lm_feature_index_free(fx);
                lm_db_pdq_set_free(&set);
                lm_hashdb_close(db);
            }
            run_cost(m, ncost);
            lm_matcher_close(m);
            return 0;
        }
        if (!has_list(dbpath))
            reuse = 0, mkdir(dbpath, 0700);
    } else {
        reuse = 0;
        tmp = scratch_dir("bench-feature-trust");
        if (!tmp)
            return 1;
        snprintf(dbpath, sizeof dbpath, "%s/db", tmp);
    }
    lm_hashdb *db;
    if ((!reuse && lm_hashdb_init(dbpath, err, sizeof err) != LM_OK) ||
        lm_hashdb_open(dbpath, reuse ? LM_DB_READONLY : LM_DB_WRITE, &db, err, sizeof err) !=
            LM_OK) {
        fprintf(stderr, "list: %s\n", err);
        return 1;
    }
    lm_hasher *h = lm_hasher_create();
    lm_list_add_options ao;
    lm_list_add_options_init(&ao);
    uint64_t *entry = NULL;
    if (reuse) { /* a list this bench built: its entries in order, all with features */
        lm_db_feature_set fs;
        if (lm_hashdb_load_features(db, &fs) != LM_OK || fs.count == 0)
            return 1;
        nlist = (int)fs.count;
        entry = calloc(fs.count, sizeof *entry);
        for (size_t i = 0; entry && i < fs.count; i++)
            entry[i] = fs.ids[i];
        lm_db_feature_set_free(&fs);
    } else {
        entry = calloc((size_t)nlist, sizeof *entry);
    }
    if (!entry)
        return 1;
    double t0 = bench_wall_s();
    uint64_t seed = LIST_SEED;
    for (int i = 0; i < nlist && !reuse; i++) {
        synth_image pic, img;
        uint8_t *buf;
        size_t len;
        if (bench_make_picture(h, &seed, &pic) || list_image(i, &pic, &img) ||
            synth_encode_jpeg(&img, 95, &buf, &len))
            return 1;
        synth_free(&pic);
        synth_free(&img);
        if (lm_list_add_image_db(db, buf, len, &ao, &entry[i], err, sizeof err) != LM_OK) {
            fprintf(stderr, "add %d: %s\n", i, err);
            return 1;
        }
        free(buf);
    }
    double t_add = bench_wall_s() - t0;
    lm_db_pdq_set set;
    double t_index = 0;
    lm_feature_index *fx = build_index(db, &set, &t_index);
    if (!fx) {
        fprintf(stderr, "feature index failed\n");
        return 1;
    }
    lm_hashdb_close(db);
    size_t nfe = lm_feature_index_entries(fx);
    lm_matcher *m;
    if (lm_matcher_open(dbpath, &m, err, sizeof err) != LM_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    char mdb[700];
    snprintf(mdb, sizeof mdb, "%.600s/data.mdb", dbpath);
    struct stat st;
    long long mdb_size = stat(mdb, &st) == 0 ? (long long)st.st_size : -1;
    printf("list: %d distinct generated pictures added with lm_list_add_image (every fifth with a "
           "caption, every fifth in a screenshot), %zu with features, %zu keypoints (%.1f s to "
           "add); data.mdb %lld bytes (%.0f per entry)\n",
           nlist, nfe, lm_feature_index_keypoints(fx), t_add, mdb_size, (double)mdb_size / nlist);
    print_index(fx, t_index);

    /* 1 and 2: unrelated queries. */
    size_t per[6] = {0}, verdicts[6] = {0}, via_feat[6] = {0};
    int max_feat_score = 0;
    uint64_t hist[MAXS] = {0}, best_hist[MAXS] = {0}, pairs = 0, nfq = 0;
    close_pair close[MAX_CLOSE];
    size_t nclose = 0;
    lm_features *qf = malloc(sizeof *qf);
    lm_feature_hit *hits = malloc(set.count * sizeof *hits);
    double t_check = 0, t_all = 0;
    seed = QUERY_SEED;
    rng = 14;
    for (int q = 0; q < nq; q++) {
        synth_image pic, img;
        uint8_t *buf;
        size_t len;
        if (bench_make_picture(h, &seed, &pic) || query_image(q, seed, &pic, &img) ||
            synth_encode_jpeg(&img, 90, &buf, &len))
            return 1;
        synth_free(&pic);
        synth_free(&img);
        int k = q % 6;
        lm_check_result r = {.struct_size = sizeof r};
        double a = bench_wall_s();
        lm_status cs = lm_check(m, buf, len, NULL, &r);
        t_check += bench_wall_s() - a;
        if (cs == LM_OK && r.decoded) {
            per[k]++;
            verdicts[k] += r.verdict == LM_VERDICT_MATCH;
            for (size_t i = 0; i < r.match_count && i < LM_CHECK_MAX_MATCHES; i++)
                if (r.matches[i].variant & LM_VARIANT_FEATURES) {
                    via_feat[k]++;
                    max_feat_score =
                        r.matches[i].score > max_feat_score ? r.matches[i].score : max_feat_score;
                }
        }
        a = bench_wall_s();
        if (query_features(buf, len, qf) == 0) {
            size_t nh = 0;
            if (qf->count >= 2)
                lm_feature_search(fx, qf, NULL, &(lm_feature_search_opts){2, set.count}, hits, &nh);
            int best = 0;
            for (size_t i = 0; i < nh; i++) {
                int v = hits[i].t.inliers < MAXS ? hits[i].t.inliers : MAXS - 1;
                hist[v]++;
                if (v >= SPREAD_FROM && nclose < MAX_CLOSE)
                    close[nclose++] = (close_pair){v, hits[i].t.spread};
                best = v > best ? v : best;
            }
            best_hist[best]++;
            pairs += nfe;
            nfq++;
        }
        t_all += bench_wall_s() - a;
        free(buf);
    }
    printf("1. %d unrelated generated queries through lm_check (defaults) against the list: false "
           "MATCH verdicts (of them through features); lm_check mean %.1f ms\n",
           nq, 1000 * t_check / (nq ? nq : 1));
    size_t tv = 0, tf = 0, tq = 0;
    for (int k = 0; k < 6; k++) {
        printf("  %-12s %4zu of %4zu (%zu)\n", qnames[k], verdicts[k], per[k], via_feat[k]);
        tv += verdicts[k], tf += via_feat[k], tq += per[k];
    }
    printf("  all          %4zu of %4zu (%zu); highest features score seen %d (match: >= %d)\n", tv,
           tq, tf, max_feat_score, LM_FEAT_MIN_INLIERS);
    printf("2. %llu (query, entry-with-features) pairs (%llu queries x %zu entries), every entry "
           "with >= 2 candidate pairs verified (%.1f ms per query): inliers of the verified "
           "transform\n",
           (unsigned long long)pairs, (unsigned long long)nfq, nfe,
           1000 * t_all / (double)(nfq ? nfq : 1));
    print_tail("every pair", hist, pairs);
    print_tail("the closest entry per query", best_hist, nfq);
    print_spreads(close, nclose);

    /* 3: recall at this list size. */
    if (nrecall > 0) {
        static const char *rn[3] = {"crop 20% offset", "rotate +5 deg", "rotate -5 deg"};
        size_t tried[3] = {0}, hit[3] = {0}, feat[3] = {0};
        uint64_t score_hist[MAXS] = {0};
        float min_spread = 1e9f;
        close_pair low[64];
        size_t nlow = 0;
        seed = LIST_SEED;
        rng = 77;
        int done = 0;
        for (int i = 0; i < nlist && done < nrecall; i++) {
            synth_image pic, e;
            if (bench_make_picture(h, &seed, &pic))
                break;
            if (i % 5 < 2) { /* plain entries only */
                synth_free(&pic);
                continue;
            }
            int k = done % 3;
            int rc = k == 0 ? offset_crop(&pic, &e, 0.20) : synth_rotate(&pic, &e, k == 1 ? 5 : -5);
            synth_free(&pic);
            uint8_t *buf;
            size_t len;
            if (rc || synth_encode_jpeg(&e, 90, &buf, &len))
                return 1;
            synth_free(&e);
            done++;
            tried[k]++;
            if (query_features(buf, len, qf) == 0) {
                size_t nh = 0;
                lm_feature_search(fx, qf, NULL, &(lm_feature_search_opts){2, set.count}, hits, &nh);
                for (size_t j = 0; j < nh; j++)
                    if (hits[j].entry_id == entry[i]) {
                        float sp = hits[j].t.spread;
                        min_spread = sp < min_spread ? sp : min_spread;
                        if (hits[j].t.inliers < 40 && nlow < 64)
                            low[nlow++] = (close_pair){hits[j].t.inliers, sp};
                    }
            }
            lm_check_result r = {.struct_size = sizeof r};
            if (lm_check(m, buf, len, NULL, &r) == LM_OK)
                for (size_t j = 0; j < r.match_count && j < LM_CHECK_MAX_MATCHES; j++)
                    if (r.matches[j].entry_id == entry[i]) {
                        hit[k]++;
                        if (r.matches[j].variant & LM_VARIANT_FEATURES) {
                            feat[k]++;
                            score_hist[r.matches[j].score < MAXS ? r.matches[j].score : MAXS - 1]++;
                        }
                        break;
                    }
            free(buf);
        }
        printf(
            "3. recall at this list size (%d entries), plain entries edited, lm_check defaults:\n",
            nlist);
        for (int k = 0; k < 3; k++)
            printf("  %-16s %5.1f%% (%zu of %zu; %zu through features)\n", rn[k],
                   100.0 * (double)hit[k] / (double)(tried[k] ? tried[k] : 1), hit[k], tried[k],
                   feat[k]);
        printf("  scores of the feature matches (inliers: matches):");
        for (int k = 0; k < MAXS; k++)
            if (score_hist[k])
                printf(" %d:%llu", k, (unsigned long long)score_hist[k]);
        printf("\n  the true entry's inlier spread: lowest %.3f; those under 40 inliers "
               "(inliers:spread):",
               min_spread);
        qsort(low, nlow, sizeof *low, cmp_close);
        for (size_t j = 0; j < nlow; j++)
            printf(" %d:%.3f", low[j].inliers, low[j].spread);
        printf("\n");
    }
    if (ncost > 0)
        run_cost(m, ncost);
    free(qf);
    free(hits);
    free(entry);
    lm_feature_index_free(fx);
    lm_db_pdq_set_free(&set);
    lm_matcher_close(m);
    lm_hasher_destroy(h);
    if (tmp)
        scratch_remove(tmp);
    free(tmp);
    return 0;
}
