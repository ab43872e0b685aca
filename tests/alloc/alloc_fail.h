/*
 * Allocation-failure injection for tests. The test executable is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so every
 * allocation made by libmatch's own code (the static library linked into the
 * test) goes through these wrappers; third-party shared libraries are not
 * affected. Arm a failure at the Nth allocation, run a public call, and check
 * that it returned LM_E_NOMEM and that every block it allocated was freed.
 */
#ifndef LM_TEST_ALLOC_FAIL_H
#define LM_TEST_ALLOC_FAIL_H

#include <stddef.h>

/* Fail the nth allocation from now on (1-based); 0 disarms. */
void alloc_fail_at(long nth);
/* Whether the armed failure has happened. */
int alloc_failed(void);
/* Blocks allocated through the wrappers and not yet freed. */
long alloc_live(void);

#endif
