/* Batch hashing: many files, OpenMP workers, read-ahead so I/O overlaps hashing. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmatch.h"

/* Ask the kernel to start reading a file we will need soon; failures do not matter. */
static void read_ahead(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
        close(fd);
    }
}

lm_status lm_hash_files(const lm_hasher *config, const char *const *paths, size_t n, int nthreads,
                        lm_image_hash *results, lm_status *statuses)
{
    if (!config || (n && (!paths || !results || !statuses)))
        return LM_E_INVALID_ARG;
    enum { NOPT = 7 };
    int64_t opt[NOPT];
    static const lm_option ids[NOPT] = {LM_OPT_MAX_BYTES,      LM_OPT_MAX_PIXELS,
                                        LM_OPT_MAX_DIMENSION,  LM_OPT_DIHEDRAL,
                                        LM_OPT_EXIF_ORIENT,    LM_OPT_ALPHA_BACKGROUND,
                                        LM_OPT_FAST};
    for (int i = 0; i < NOPT; i++)
        lm_hasher_get_option(config, ids[i], &opt[i]);
    if (nthreads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = cores > 0 ? (int)cores : 1;
    }
    const long count = (long)n;
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
    {
        /* One hasher per worker: hashers are single-threaded, and cheap. */
        lm_hasher *h = lm_hasher_create();
        for (int i = 0; h && i < NOPT; i++)
            lm_hasher_set_option(h, ids[i], opt[i]);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (long i = 0; i < count; i++) {
            if (i + nthreads < count)
                read_ahead(paths[i + nthreads]);
            statuses[i] = h ? lm_hash_file(h, paths[i], &results[i]) : LM_E_NOMEM;
        }
        lm_hasher_destroy(h);
    }
    return LM_OK;
}
