/*
 * bench-region-trust: false matches of the query-side mechanisms (dihedral,
 * border trimming, region proposals) between distinct images. Prints figures;
 * asserts nothing.
 *
 * A list of L distinct generated pictures (their plain PDQ hashes: a hash-only
 * list) and Q unrelated generated query images, a fifth each plain, with a
 * caption, in a screenshot, as an inset and in a 2x2 collage (whose other
 * cells are unrelated too). Seeds of the two sets never overlap.
 *  1. Every query through lm_check (defaults, fast decoding) against the list:
 *     the number of MATCH verdicts (each one a false match).
 *  2. Every (query, entry) pair, L x Q pairs: the pair's distance is the least
 *     over every hash lm_check searched for the query (plain, trimmed, each
 *     proposal; 8 orientations each) against the entry's hash. The share at or
 *     under 31 is the false-match rate; the closest distances are listed, with
 *     the same for the plain hash alone beside them.
 *
 *   bench-region-trust [--list L] [--queries Q]     (defaults 1000, 1000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hashdb.h"
#include "libmatch.h"
#include "bench_photos.h"
#include "scratch.h"
#include "synth.h"
#include "synth_layout.h"

#define DIST LM_DEFAULT_MAX_DISTANCE

static int parse_count(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* A picture of quality >= 50 from seed upward; *seed is advanced past it. */
static int make_picture(uint64_t *seed, synth_image *img)
{
    lm_hasher *h = lm_hasher_create();
    int rc = h ? bench_make_picture(h, seed, img) : -1;
    lm_hasher_destroy(h);
    return rc;
}

int main(int argc, char **argv)
{
    int nlist = 1000, nq = 1000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0 && i + 1 < argc && parse_count(argv[i + 1], &nlist) == 0)
            i++;
        else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc &&
                 parse_count(argv[i + 1], &nq) == 0)
            i++;
        else {
            fprintf(stderr, "usage: bench-region-trust [--list L] [--queries Q]\n");
            return 2;
        }
    }
    char *dir = scratch_dir("bench-region-trust");
    if (!dir)
        return 1;
    char dbpath[600], err[256];
    snprintf(dbpath, sizeof dbpath, "%s/db", dir);
    lm_hashdb *db;
    if (lm_hashdb_init(dbpath, err, sizeof err) != LM_OK ||
        lm_hashdb_open(dbpath, LM_DB_WRITE, &db, err, sizeof err) != LM_OK) {
        fprintf(stderr, "list: %s\n", err);
        return 1;
    }
    lm_pdq_hash *list = calloc((size_t)nlist, sizeof *list);
    lm_hasher *h = lm_hasher_create();
    uint64_t seed = 1000000; /* the list's pictures */
    for (int i = 0; i < nlist; i++) {
        synth_image img;
        uint8_t *buf;
        size_t len;
        lm_image_hash ih;
        if (make_picture(&seed, &img) || synth_encode_jpeg(&img, 95, &buf, &len) ||
            lm_hash_memory(h, buf, len, &ih) != LM_OK)
            return 1;
        synth_free(&img);
        free(buf);
        list[i] = ih.pdq;
        lm_db_new_entry ne = {.type = LM_HASH_PDQ, .hash = ih.pdq.b, .quality = ih.quality};
        if (lm_hashdb_add(db, &ne, NULL) != LM_OK && lm_hashdb_add(db, &ne, NULL) != LM_E_EXISTS)
            return 1;
    }
    lm_hashdb_close(db);
    lm_matcher *m;
    if (lm_matcher_open(dbpath, &m, err, sizeof err) != LM_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }

    static const char *layout_names[5] = {"plain", "caption", "screenshot", "inset", "collage"};
    size_t matches[5] = {0}, per_layout[5] = {0}, with_regions[5] = {0}, hashes_searched = 0;
    /* closest distances: a histogram of 0..256 for the full query and the plain hash alone */
    uint64_t hist_all[257] = {0}, hist_plain[257] = {0};
    uint64_t pairs = 0, fm_all = 0, fm_plain = 0;
    double t_check = 0;
    seed = 5000000; /* the queries' pictures: never the list's */
    for (int q = 0; q < nq; q++) {
        synth_image pic, out;
        synth_rect where;
        if (make_picture(&seed, &pic))
            return 1;
        int k = q % 5, rc = 0;
        switch (k) {
        case 0: out = pic; break;
        case 1: rc = synth_caption(&pic, &out, seed, &where); break;
        case 2: rc = synth_screenshot(&pic, &out, seed, &where); break;
        case 3: rc = synth_inset(&pic, &out, seed, &where); break;
        default: rc = synth_collage(&pic, &out, seed + (uint64_t)q, &where); break;
        }
        if (k != 0)
            synth_free(&pic);
        uint8_t *buf;
        size_t len;
        if (rc || synth_encode_jpeg(&out, 90, &buf, &len))
            return 1;
        synth_free(&out);
        lm_check_result r = {.struct_size = sizeof r};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        lm_status st = lm_check(m, buf, len, NULL, &r);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        t_check += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        free(buf);
        if (st != LM_OK || !r.decoded)
            continue;
        per_layout[k]++;
        matches[k] += r.verdict == LM_VERDICT_MATCH;
        with_regions[k] += r.region_count > 0;
        /* every hash lm_check searched (quality permitting), all 8 orientations */
        const lm_image_hash *qh[2 + LM_CHECK_MAX_REGIONS];
        size_t nh = 0;
        if (r.image.quality >= LM_DEFAULT_MIN_QUALITY)
            qh[nh++] = &r.image;
        if (r.has_trimmed && r.trimmed.quality >= LM_DEFAULT_MIN_QUALITY)
            qh[nh++] = &r.trimmed;
        for (size_t i = 0; i < r.region_count; i++)
            if (r.regions[i].hash.quality >= LM_DEFAULT_MIN_QUALITY)
                qh[nh++] = &r.regions[i].hash;
        hashes_searched += nh;
        for (int e = 0; e < nlist; e++) {
            int best = 256, plain = 256;
            for (size_t i = 0; i < nh; i++)
                for (int d = 0; d < 8; d++) {
                    int dist = lm_pdq_distance(&qh[i]->dihedral[d], &list[e]);
                    best = dist < best ? dist : best;
                    if (qh[i] == &r.image)
                        plain = dist < plain ? dist : plain;
                }
            if (nh == 0)
                continue;
            pairs++;
            hist_all[best]++;
            hist_plain[plain]++;
            fm_all += best <= DIST;
            fm_plain += plain <= DIST;
        }
    }
    printf("list: %d distinct generated pictures (hash-only); queries: %d unrelated generated "
           "images\n",
           nlist, nq);
    printf("1. lm_check (defaults: dihedral, trimming, regions; fast decoding), false MATCH "
           "verdicts:\n");
    size_t total_m = 0, total_q = 0;
    for (int k = 0; k < 5; k++) {
        printf("  %-11s %5zu of %5zu (%zu with region proposals)\n", layout_names[k], matches[k],
               per_layout[k], with_regions[k]);
        total_m += matches[k];
        total_q += per_layout[k];
    }
    printf("  all         %5zu of %5zu; %.2f hashes searched per query (x 8 orientations); "
           "lm_check mean %.2f ms\n",
           total_m, total_q, (double)hashes_searched / (double)(total_q ? total_q : 1),
           1000 * t_check / (double)(nq ? nq : 1));
    printf("2. %llu (query, entry) pairs of distinct images: false-match rate at distance %d\n",
           (unsigned long long)pairs, DIST);
    printf("  every query hash: %llu pairs (%.3g); the plain hash alone (dihedral): %llu (%.3g)\n",
           (unsigned long long)fm_all, pairs ? (double)fm_all / (double)pairs : 0.0,
           (unsigned long long)fm_plain, pairs ? (double)fm_plain / (double)pairs : 0.0);
    printf("  closest non-matching pairs: distance, pairs at it (every query hash / plain alone), "
           "cumulative\n");
    uint64_t ca = 0, cp = 0;
    int shown = 0;
    for (int d = 0; d <= 256 && shown < 16; d++) {
        ca += hist_all[d];
        cp += hist_plain[d];
        if (ca == 0 && cp == 0)
            continue;
        printf("    %3d  %8llu / %8llu   cumulative %8llu (%.2e) / %8llu (%.2e)\n", d,
               (unsigned long long)hist_all[d], (unsigned long long)hist_plain[d],
               (unsigned long long)ca, (double)ca / (double)pairs, (unsigned long long)cp,
               (double)cp / (double)pairs);
        shown++;
    }
    lm_matcher_close(m);
    lm_hasher_destroy(h);
    free(list);
    scratch_remove(dir);
    free(dir);
    return 0;
}
