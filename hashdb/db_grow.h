/* Growing arrays in hashdb: room for one more element. */
#ifndef LM_HASHDB_DB_GROW_H
#define LM_HASHDB_DB_GROW_H

#include <stdint.h>
#include <stdlib.h>

/*
 * The array v of *cap elements of size bytes, n of them used, with room for one more:
 * v itself while n < *cap, else v reallocated to twice *cap elements (first when empty),
 * *cap updated. NULL when out of memory or when that would pass max elements; v and *cap
 * are unchanged then.
 */
static inline void *db_grow(void *v, size_t *cap, size_t n, size_t size, size_t first, size_t max)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : first;
    if (nc > max || nc > SIZE_MAX / size)
        return NULL;
    void *nv = realloc(v, nc * size);
    if (nv)
        *cap = nc;
    return nv;
}

#endif
