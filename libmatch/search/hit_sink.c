/* Bounded best-hits collection (see hit_sink.h). */
#include "hit_sink.h"

#include <stdlib.h>

int lm_hit_cmp(const void *a, const void *b)
{
    const lm_search_hit *x = a, *y = b;
    return lm_hit_less(*x, *y) ? -1 : lm_hit_less(*y, *x) ? 1 : 0;
}

static void sift_up(lm_search_hit *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!lm_hit_less(h[p], h[i]))
            break;
        lm_search_hit t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static void sift_down(lm_search_hit *h, size_t len, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < len && lm_hit_less(h[m], h[l]))
            m = l;
        if (r < len && lm_hit_less(h[m], h[r]))
            m = r;
        if (m == i)
            return;
        lm_search_hit t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

void lm_hit_sink_push(lm_hit_sink *s, uint32_t pos, int distance)
{
    lm_search_hit hit = {pos, distance};
    s->total++;
    if (s->len < s->cap) {
        s->hits[s->len] = hit;
        sift_up(s->hits, s->len++);
    } else if (s->cap > 0 && lm_hit_less(hit, s->hits[0])) {
        s->hits[0] = hit;
        sift_down(s->hits, s->len, 0);
    }
}

void lm_hit_sink_finish(lm_hit_sink *s)
{
    if (s->len > 1)
        qsort(s->hits, s->len, sizeof *s->hits, lm_hit_cmp);
}
