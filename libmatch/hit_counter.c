/* In-memory hit counters (see hit_counter.h). */
#include "hit_counter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A key packs entry id and day: ids stay far below 2^47, days fit 16 bits modulo
 * 65536 and are recovered relative to the flush time (179 years of range). */
#define ID_BITS 47
#define MIN_SLOTS 1024

typedef struct slot {
    _Atomic uint64_t key; /* 0: empty */
    _Atomic uint64_t count;
    _Atomic int64_t first, last;
} slot;

typedef struct table {
    size_t cap; /* power of two */
    _Atomic size_t used;
    slot *slots;
} table;

struct hit_counter {
    pthread_rwlock_t lock; /* shared: counting; exclusive: grow and take */
    table *t;
};

static table *table_new(size_t cap)
{
    table *t = malloc(sizeof *t);
    slot *s = calloc(cap, sizeof *s);
    if (!t || !s) {
        free(t);
        free(s);
        return NULL;
    }
    t->cap = cap;
    atomic_init(&t->used, 0);
    t->slots = s;
    return t;
}

static void table_free(table *t)
{
    if (t) {
        free(t->slots);
        free(t);
    }
}

hit_counter *hit_counter_create(void)
{
    hit_counter *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (!(h->t = table_new(MIN_SLOTS))) {
        free(h);
        return NULL;
    }
    pthread_rwlock_init(&h->lock, NULL);
    return h;
}

void hit_counter_free(hit_counter *h)
{
    if (!h)
        return;
    table_free(h->t);
    pthread_rwlock_destroy(&h->lock);
    free(h);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* 1 counted, 0 table full. */
static int table_add(table *t, uint64_t key, uint64_t count, int64_t first, int64_t last)
{
    size_t mask = t->cap - 1;
    for (size_t i = mix(key) & mask, probes = 0; probes < t->cap; i = (i + 1) & mask, probes++) {
        slot *s = &t->slots[i];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_acquire);
        if (k == 0) {
            if (atomic_load_explicit(&t->used, memory_order_relaxed) * 4 >= t->cap * 3)
                return 0; /* keep probes short: grow first */
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong(&s->key, &expected, key))
                atomic_fetch_add(&t->used, 1);
            k = atomic_load_explicit(&s->key, memory_order_acquire);
        }
        if (k != key)
            continue;
        atomic_fetch_add_explicit(&s->count, count, memory_order_relaxed);
        int64_t f = atomic_load_explicit(&s->first, memory_order_relaxed);
        while ((f == 0 || first < f) &&
               !atomic_compare_exchange_weak_explicit(&s->first, &f, first, memory_order_relaxed,
                                                      memory_order_relaxed))
            ;
        int64_t l = atomic_load_explicit(&s->last, memory_order_relaxed);
        while (last > l && !atomic_compare_exchange_weak_explicit(
                               &s->last, &l, last, memory_order_relaxed, memory_order_relaxed))
            ;
        return 1;
    }
    return 0;
}

/* Double the table (exclusive lock held). */
static int grow(hit_counter *h)
{
    table *o = h->t, *n = table_new(o->cap * 2);
    if (!n)
        return -1;
    for (size_t i = 0; i < o->cap; i++) {
        slot *s = &o->slots[i];
        uint64_t k = atomic_load(&s->key);
        if (k)
            table_add(n, k, atomic_load(&s->count), atomic_load(&s->first), atomic_load(&s->last));
    }
    h->t = n;
    table_free(o);
    return 0;
}

static lm_status add_key(hit_counter *h, uint64_t key, uint64_t count, int64_t first, int64_t last)
{
    for (;;) {
        pthread_rwlock_rdlock(&h->lock);
        size_t cap = h->t->cap;
        int ok = table_add(h->t, key, count, first, last);
        pthread_rwlock_unlock(&h->lock);
        if (ok)
            return LM_OK;
        pthread_rwlock_wrlock(&h->lock);
        int failed = h->t->cap == cap && grow(h) != 0; /* another thread may have grown it */
        pthread_rwlock_unlock(&h->lock);
        if (failed)
            return LM_E_NOMEM;
    }
}

lm_status hit_counter_add(hit_counter *h, uint64_t entry_id, int64_t now)
{
    if (!h || entry_id == 0 || entry_id >> ID_BITS || now < 0)
        return LM_E_INVALID_ARG;
    uint64_t day = (uint64_t)now / 86400;
    return add_key(h, entry_id << 16 | (day & 0xffff), 1, now, now);
}

lm_status hit_counter_take(hit_counter *h, lm_db_hit_delta **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    table *fresh = table_new(MIN_SLOTS);
    if (!fresh)
        return LM_E_NOMEM;
    pthread_rwlock_wrlock(&h->lock);
    table *t = h->t;
    size_t used = atomic_load(&t->used);
    lm_db_hit_delta *d = used ? malloc(used * sizeof *d) : NULL;
    if (used && !d) {
        pthread_rwlock_unlock(&h->lock);
        table_free(fresh);
        return LM_E_NOMEM;
    }
    h->t = fresh;
    pthread_rwlock_unlock(&h->lock);
    size_t k = 0;
    for (size_t i = 0; i < t->cap && k < used; i++) {
        slot *s = &t->slots[i];
        uint64_t key = atomic_load(&s->key);
        if (!key)
            continue;
        int64_t last = atomic_load(&s->last);
        /* The day is the one of `last` with the same low 16 bits. */
        uint32_t lday = (uint32_t)((uint64_t)last / 86400);
        uint32_t day = (lday & ~0xffffu) | (uint32_t)(key & 0xffff);
        d[k++] = (lm_db_hit_delta){.entry_id = key >> 16,
                                   .day = day,
                                   .count = atomic_load(&s->count),
                                   .first = atomic_load(&s->first),
                                   .last = last};
    }
    table_free(t);
    *out = d;
    *n = k;
    return LM_OK;
}

void hit_counter_put_back(hit_counter *h, const lm_db_hit_delta *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add_key(h, d[i].entry_id << 16 | (d[i].day & 0xffff), d[i].count, d[i].first, d[i].last);
}
