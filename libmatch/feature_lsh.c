/*
 * Multi-probe bit-sampling LSH over rBRIEF descriptors (see feature_lsh.h).
 *
 * Memory: the descriptors (32 bytes each, contiguous, so that the Hamming
 * kernels of search/ confirm a bucket's candidates), and per table 4 bytes per
 * descriptor (its position, in key order) and 4 bytes per bucket (offsets; at
 * most about n / 2 buckets): at most about 32 + 8 x LM_FLSH_TABLES bytes per descriptor.
 *
 * Bits are chosen greedily, table by table, over a sample of the stored
 * descriptors: each next bit is the one that leaves the fewest pairs of sampled
 * descriptors sharing a key (ties: the bit whose ones and zeros are most even,
 * then the lower bit). That is the expected bucket size a query drawn like the
 * stored descriptors meets, which is what the query cost grows with.
 */
#include "feature_lsh.h"

#include <stdlib.h>
#include <string.h>

#include "hamming.h"

#define SAMPLE 8192 /* descriptors the bits are chosen on */
/* Directory: about n / 2^DIR_SLACK buckets per table. */
#define DIR_SLACK 1
#define MAX_DIR_BITS 24
/* A table's key grows until a query drawn like the stored descriptors meets about this
 * many of them in its bucket (the sample's estimate), or until it has LM_FLSH_MAX_KEY_BITS. */
#define TARGET_BUCKET 32.0
/* A table whose bits are too poor to get its bucket below this is not made. */
#define WORST_BUCKET 4096.0

_Static_assert(LM_FLSH_TABLES *LM_FLSH_MAX_KEY_BITS <= 256, "tables use disjoint bits");

struct lm_feat_lsh {
    lm_pdq_hash *desc; /* [n] */
    size_t n;
    const lm_ham_kernels *kern;
    int tables;                                         /* made (<= LM_FLSH_TABLES) */
    int dir_bits;                                       /* 2^dir_bits buckets per table */
    int k[LM_FLSH_TABLES];                              /* key bits of each table */
    uint8_t bits[LM_FLSH_TABLES][LM_FLSH_MAX_KEY_BITS]; /* descriptor bit of each key bit */
    uint32_t *offsets[LM_FLSH_TABLES];                  /* [2^dir_bits + 1] */
    uint32_t *pos[LM_FLSH_TABLES];                      /* [n] positions in bucket order */
};

static inline unsigned bit_of(const lm_pdq_hash *d, unsigned b)
{
    return (d->b[b >> 3] >> (b & 7)) & 1u;
}

static uint32_t key_of(const lm_feat_lsh *x, int t, const lm_pdq_hash *d)
{
    uint32_t key = 0;
    for (int j = 0; j < x->k[t]; j++)
        key |= (uint32_t)bit_of(d, x->bits[t][j]) << j;
    return key;
}

/* Keys longer than the directory share buckets (Fibonacci hashing); the distance check
 * sorts them out. */
static uint32_t bucket_of(const lm_feat_lsh *x, uint32_t key)
{
    return (uint32_t)(key * 2654435769u) >> (32 - x->dir_bits);
}

void lm_feat_lsh_free(lm_feat_lsh *x)
{
    if (!x)
        return;
    for (int t = 0; t < LM_FLSH_TABLES; t++) {
        free(x->offsets[t]);
        free(x->pos[t]);
    }
    free(x->desc);
    free(x);
}

size_t lm_feat_lsh_bytes(const lm_feat_lsh *x)
{
    if (!x)
        return 0;
    return sizeof *x + x->n * sizeof *x->desc +
           (size_t)x->tables * (((size_t)1 << x->dir_bits) + 1 + x->n) * sizeof(uint32_t);
}

int lm_feat_lsh_tables(const lm_feat_lsh *x)
{
    return x ? x->tables : 0;
}

int lm_feat_lsh_key_bits(const lm_feat_lsh *x, int t)
{
    return x && t >= 0 && t < x->tables ? x->k[t] : 0;
}

static int dir_bits_for(size_t n)
{
    int lg = 0;
    while (lg < 63 && ((size_t)2 << lg) <= n)
        lg++;
    int d = lg - DIR_SLACK;
    return d < 1 ? 1 : d > MAX_DIR_BITS ? MAX_DIR_BITS : d;
}

/* Scratch of the greedy choice: the sample's bits by column, and the partition by key so far. */
typedef struct chooser {
    size_t s;         /* sampled descriptors */
    uint8_t *col;     /* [256 * s]: col[b * s + i] = bit b of sample i */
    uint32_t *part;   /* [s] key class of sample i among those still sharing one */
    uint32_t *active; /* [s] samples whose key class holds another sample */
    uint32_t *cnt;    /* [2 * s] */
    size_t nactive, nparts;
} chooser;

/* Pairs of active samples that would share a key class with bit c added. */
static uint64_t collisions(chooser *c, unsigned bit)
{
    const uint8_t *col = c->col + (size_t)bit * c->s;
    memset(c->cnt, 0, 2 * c->nparts * sizeof *c->cnt);
    for (size_t a = 0; a < c->nactive; a++) {
        uint32_t i = c->active[a];
        c->cnt[2 * c->part[i] + col[i]]++;
    }
    uint64_t pairs = 0;
    for (size_t v = 0; v < 2 * c->nparts; v++)
        pairs += (uint64_t)c->cnt[v] * (c->cnt[v] - (c->cnt[v] > 0));
    return pairs / 2;
}

/* Split the key classes by bit; classes left with one sample drop out. Returns the pairs
 * of samples still sharing a key. */
static uint64_t split(chooser *c, unsigned bit)
{
    uint64_t pairs = collisions(c, bit); /* fills cnt */
    const uint8_t *col = c->col + (size_t)bit * c->s;
    size_t np = 0;
    for (size_t v = 0; v < 2 * c->nparts; v++) /* class v's new number, or UINT32_MAX */
        c->cnt[v] = c->cnt[v] >= 2 ? (uint32_t)np++ : UINT32_MAX;
    size_t na = 0;
    for (size_t a = 0; a < c->nactive; a++) {
        uint32_t i = c->active[a], v = c->cnt[2 * c->part[i] + col[i]];
        if (v != UINT32_MAX) {
            c->part[i] = v;
            c->active[na++] = i;
        }
    }
    c->nactive = na;
    c->nparts = np;
    return pairs;
}

static lm_status choose_bits(lm_feat_lsh *x)
{
    chooser c = {0};
    c.s = x->n < SAMPLE ? x->n : SAMPLE;
    c.col = malloc(256 * c.s);
    c.part = malloc(c.s * sizeof *c.part);
    c.active = malloc(c.s * sizeof *c.active);
    c.cnt = malloc(2 * c.s * sizeof *c.cnt);
    if (!c.col || !c.part || !c.active || !c.cnt) {
        free(c.col), free(c.part), free(c.active), free(c.cnt);
        return LM_E_NOMEM;
    }
    /* An even spread of the stored descriptors (entries are in id order). */
    for (size_t i = 0; i < c.s; i++) {
        const lm_pdq_hash *d = &x->desc[(size_t)((uint64_t)i * x->n / c.s)];
        for (unsigned b = 0; b < 256; b++)
            c.col[b * c.s + i] = (uint8_t)bit_of(d, b);
    }
    size_t unevenness[256];
    for (unsigned b = 0; b < 256; b++) {
        size_t ones = 0;
        for (size_t i = 0; i < c.s; i++)
            ones += c.col[b * c.s + i];
        unevenness[b] = ones * 2 > c.s ? ones * 2 - c.s : c.s - ones * 2;
    }
    uint8_t used[256] = {0};
    int left = 256;
    /* The expected bucket of a query drawn like the stored descriptors: n times the chance
     * that two sampled descriptors share the key. */
    double all_pairs = (double)c.s * (double)(c.s - 1) / 2;
    double per_pair = all_pairs > 0 ? (double)x->n / all_pairs : 0;
    for (int t = 0; t < LM_FLSH_TABLES && left > 0; t++) {
        for (size_t i = 0; i < c.s; i++)
            c.part[i] = 0, c.active[i] = (uint32_t)i;
        c.nactive = c.s;
        c.nparts = 1;
        double bucket = (double)x->n;
        int j = 0;
        for (; j < LM_FLSH_MAX_KEY_BITS && left > 0 && bucket > TARGET_BUCKET; j++) {
            int best = -1;
            uint64_t best_pairs = 0;
            for (unsigned b = 0; b < 256; b++) {
                if (used[b])
                    continue;
                uint64_t p = c.nactive ? collisions(&c, b) : 0;
                if (best < 0 || p < best_pairs ||
                    (p == best_pairs && unevenness[b] < unevenness[best])) {
                    best = (int)b;
                    best_pairs = p;
                }
            }
            used[best] = 1;
            left--;
            x->bits[t][j] = (uint8_t)best;
            bucket = c.nactive ? (double)split(&c, (unsigned)best) * per_pair : 0;
        }
        if (t > 0 && bucket > WORST_BUCKET)
            break; /* the bits left are too poor; this table would cost more than it finds */
        x->k[t] = j;
        x->tables = t + 1;
    }
    free(c.col), free(c.part), free(c.active), free(c.cnt);
    return LM_OK;
}

lm_status lm_feat_lsh_build(lm_pdq_hash *desc, size_t n, lm_feat_lsh **out)
{
    *out = NULL;
    if ((!desc && n) || n >= UINT32_MAX) {
        free(desc);
        return LM_E_INVALID_ARG;
    }
    lm_feat_lsh *x = calloc(1, sizeof *x);
    if (!x) {
        free(desc);
        return LM_E_NOMEM;
    }
    x->desc = desc;
    x->n = n;
    x->kern = lm_ham_kernels_best();
    if (n == 0) {
        *out = x;
        return LM_OK;
    }
    x->dir_bits = dir_bits_for(n);
    size_t nb = (size_t)1 << x->dir_bits;
    uint32_t *keys = malloc(n * sizeof *keys);
    lm_status st = keys ? choose_bits(x) : LM_E_NOMEM;
    for (int t = 0; st == LM_OK && t < x->tables; t++) {
        x->offsets[t] = calloc(nb + 1, sizeof *x->offsets[t]);
        x->pos[t] = malloc(n * sizeof *x->pos[t]);
        if (!x->offsets[t] || !x->pos[t]) {
            st = LM_E_NOMEM;
            break;
        }
        /* Counting sort by key; positions ascending within a bucket. */
        uint32_t *off = x->offsets[t];
        for (size_t i = 0; i < n; i++) {
            keys[i] = bucket_of(x, key_of(x, t, &desc[i]));
            off[keys[i] + 1]++;
        }
        for (size_t b = 0; b < nb; b++)
            off[b + 1] += off[b];
        for (size_t i = 0; i < n; i++)
            x->pos[t][off[keys[i]]++] = (uint32_t)i;
        for (size_t b = nb; b > 0; b--) /* back to bucket starts */
            off[b] = off[b - 1];
        off[0] = 0;
    }
    free(keys);
    if (st != LM_OK) {
        lm_feat_lsh_free(x);
        return st;
    }
    *out = x;
    return LM_OK;
}

/* hits[0..*nh) sorted by (distance, pos), at most cap, each pos once: add (pos, d). */
static void keep_closest(lm_flsh_hit *hits, size_t *nh, size_t cap, uint32_t pos, uint16_t d)
{
    size_t n = *nh;
    if (n == cap &&
        (d > hits[n - 1].distance || (d == hits[n - 1].distance && pos >= hits[n - 1].pos)))
        return;
    for (size_t i = 0; i < n; i++)
        if (hits[i].pos == pos)
            return; /* found again through another table */
    size_t at = n < cap ? n : cap - 1;
    while (at > 0 &&
           (hits[at - 1].distance > d || (hits[at - 1].distance == d && hits[at - 1].pos > pos))) {
        hits[at] = hits[at - 1];
        at--;
    }
    hits[at] = (lm_flsh_hit){pos, d};
    if (n < cap)
        *nh = n + 1;
}

#define CHUNK 256 /* candidates confirmed per kernel call */

size_t lm_feat_lsh_query(const lm_feat_lsh *x, const lm_pdq_hash *q, int max_distance,
                         lm_flsh_hit *hits, size_t cap)
{
    size_t nh = 0;
    if (!x || x->n == 0 || cap == 0)
        return 0;
    uint16_t d[CHUNK];
    for (int t = 0; t < x->tables; t++) {
        const uint32_t *off = x->offsets[t], *pos = x->pos[t];
        uint32_t key = key_of(x, t, q);
        for (int p = -1; p < x->k[t]; p++) { /* the key itself, then each key bit flipped */
            uint32_t probe = bucket_of(x, p < 0 ? key : key ^ ((uint32_t)1 << p));
            for (uint32_t r = off[probe]; r < off[probe + 1]; r += CHUNK) {
                size_t m = off[probe + 1] - r < CHUNK ? off[probe + 1] - r : CHUNK;
                x->kern->dist_gather(q, x->desc, pos + r, m, d);
                for (size_t i = 0; i < m; i++)
                    if (d[i] <= max_distance)
                        keep_closest(hits, &nh, cap, pos[r + i], d[i]);
            }
        }
    }
    return nh;
}
