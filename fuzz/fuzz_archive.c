/*
 * libFuzzer harness: pmatch scan's archive member reader (cli/archive_members.c)
 * over tar/zip in any libarchive compression, from memory, with small bounds.
 * Each input is read both as a container and as a compressed stream.
 */
#include <stdlib.h>

#include "archive_members.h"
#include "fuzz_common.h"

static int take(void *ctx, const char *name, uint8_t *data, size_t len, const char *code,
                lm_status st, const char *msg)
{
    size_t *sum = ctx;
    (void)name, (void)st, (void)msg, (void)code;
    for (size_t i = 0; i < len; i += 4096) /* touch the bytes: ASan sees bad lengths */
        *sum += data[i];
    free(data);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    archive_limits lim = {.max_bytes = 1u << 20, .max_members = 256, .max_total = 8u << 20};
    for (int kind = ARCHIVE_CONTAINER; kind <= ARCHIVE_COMPRESSED; kind++) {
        struct archive *a = archive_reader_new();
        if (!a)
            return 0;
        size_t sum = 0;
        uint64_t members;
        if (archive_read_open_memory(a, data, size) == ARCHIVE_OK)
            (void)archive_each_member(a, kind, &lim, take, &sum, &members);
        archive_read_free(a);
    }
    return 0;
}
