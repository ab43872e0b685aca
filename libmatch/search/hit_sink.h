/*
 * Collects search hits into a caller's fixed buffer: keeps the cap best by
 * (distance, pos) in a max-heap while counting all, then sorts. Lets range and
 * k-NN queries run with no allocation whatever the number of matches.
 */
#ifndef LM_SEARCH_HIT_SINK_H
#define LM_SEARCH_HIT_SINK_H

#include <stddef.h>

#include "index.h"

typedef struct lm_hit_sink {
    lm_search_hit *hits;
    size_t cap;
    size_t len;
    size_t total;
    /* Range queries: the least distance above the radius among the candidates the
       search computed anyway (257: none). Not every entry near the radius is a
       candidate, so this is a hint (lm_index_range_near_miss), never an answer. */
    int beyond;
} lm_hit_sink;

static inline void lm_hit_sink_init(lm_hit_sink *s, lm_search_hit *hits, size_t cap)
{
    s->hits = hits;
    s->cap = hits ? cap : 0;
    s->len = 0;
    s->total = 0;
    s->beyond = 257;
}

/* A candidate at distance d > the radius: keep the least (see beyond). */
static inline void lm_hit_sink_note_beyond(lm_hit_sink *s, int d)
{
    if (d < s->beyond)
        s->beyond = d;
}

static inline int lm_hit_less(lm_search_hit a, lm_search_hit b)
{
    return a.distance < b.distance || (a.distance == b.distance && a.pos < b.pos);
}

void lm_hit_sink_push(lm_hit_sink *s, uint32_t pos, int distance);

/* Sorts the kept hits by (distance, pos). */
void lm_hit_sink_finish(lm_hit_sink *s);

int lm_hit_cmp(const void *a, const void *b);

#endif
