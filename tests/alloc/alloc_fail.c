#include "alloc_fail.h"

#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static atomic_long countdown; /* allocations left before the failure; 0: disarmed */
static atomic_int failed;
static atomic_long live;

/*
 * The blocks we handed out, so that free() of memory allocated elsewhere
 * (strdup, getline, a library) is not miscounted. Open addressing, no deletes
 * shrink it: tombstones are fine for a test.
 */
#define SLOTS (1u << 20)
#define TOMBSTONE ((void *)1)
static void *slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (size_t)(x & (SLOTS - 1));
}

static void track(void *p)
{
    pthread_mutex_lock(&slots_lock);
    for (size_t i = slot_of(p);; i = (i + 1) & (SLOTS - 1))
        if (slots[i] == NULL || slots[i] == TOMBSTONE) {
            slots[i] = p;
            break;
        }
    atomic_fetch_add(&live, 1);
    pthread_mutex_unlock(&slots_lock);
}

static void untrack(void *p)
{
    pthread_mutex_lock(&slots_lock);
    for (size_t i = slot_of(p); slots[i] != NULL; i = (i + 1) & (SLOTS - 1))
        if (slots[i] == p) {
            slots[i] = TOMBSTONE;
            atomic_fetch_sub(&live, 1);
            break;
        }
    pthread_mutex_unlock(&slots_lock);
}

void alloc_fail_at(long nth)
{
    atomic_store(&failed, 0);
    atomic_store(&countdown, nth);
}

int alloc_failed(void)
{
    return atomic_load(&failed);
}

long alloc_live(void)
{
    return atomic_load(&live);
}

/* 1 when this allocation must fail. */
static int should_fail(void)
{
    long c = atomic_load(&countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&countdown, &c, c - 1)) {
            if (c == 1) {
                atomic_store(&failed, 1);
                /* LM_ALLOC_TRACE=1 prints where each injected failure hit. */
                const char *t = getenv("LM_ALLOC_TRACE");
                if (t && *t == '1') {
                    void *frames[24];
                    backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
                }
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __real_malloc(n);
    if (p)
        track(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = __real_calloc(n, size);
    if (p)
        track(p);
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __real_realloc(old, n);
    if (p) {
        if (old)
            untrack(old);
        track(p);
    }
    return p;
}

void __wrap_free(void *p)
{
    if (p)
        untrack(p);
    __real_free(p);
}
