/*
 * OpenMP is optional: LM_OMP(...) emits the pragma only when OpenMP is on, so
 * a build without it is serial and free of unknown-pragma warnings.
 */
#ifndef LM_SEARCH_OMP_THREADS_H
#define LM_SEARCH_OMP_THREADS_H

#ifdef _OPENMP
#include <omp.h>
#define LM_OMP(directive) _Pragma(#directive)
#else
#define LM_OMP(directive)
#endif

/* Threads to use for a caller's count: <= 0 means all cores; 1 without OpenMP. */
static inline int lm_omp_threads(int nthreads)
{
#ifdef _OPENMP
    return nthreads > 0 ? nthreads : omp_get_max_threads();
#else
    (void)nthreads;
    return 1;
#endif
}

/* This thread's number inside a parallel region (0 when serial). */
static inline int lm_omp_thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

#endif
