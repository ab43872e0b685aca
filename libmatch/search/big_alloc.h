/*
 * Allocation of the index's large arrays on transparent huge pages where the
 * OS offers them: queries touch a few random cache lines in each of hundreds
 * of buckets, and with 4 KiB pages nearly every one is also a TLB miss; the
 * build's counting-sort scatter suffers the same way.
 */
#ifndef LM_SEARCH_BIG_ALLOC_H
#define LM_SEARCH_BIG_ALLOC_H

#include <stddef.h>

/* Like malloc (free with free()); *bytes receives the size really reserved. */
void *lm_big_alloc(size_t size, size_t *bytes);

#endif
