/* Huge-page-backed allocation for large arrays (see big_alloc.h). */
#include "big_alloc.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *lm_big_alloc(size_t size, size_t *bytes)
{
    if (size < HUGE_PAGE) {
        *bytes = size;
        return malloc(size ? size : 1);
    }
    size_t rounded = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure leaves normal pages */
#endif
    *bytes = rounded;
    return p;
}
