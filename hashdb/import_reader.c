/* A bounded line reader over a FILE or a memory buffer. */
#include <string.h>

#include "import.h"

static int refill(db_reader *r)
{
    r->pos = 0;
    if (r->mem) {
        size_t n = r->mem_len - r->mem_pos;
        if (n > sizeof r->chunk)
            n = sizeof r->chunk;
        memcpy(r->chunk, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        r->len = n;
    } else {
        r->len = fread(r->chunk, 1, sizeof r->chunk, r->f);
        if (r->len == 0 && ferror(r->f))
            r->error = 1;
    }
    if (r->len == 0)
        r->eof = 1;
    return (int)(r->len > 0);
}

int db_reader_next(db_reader *r, const char **line, size_t *len, int *flags)
{
    size_t n = 0;
    int got = 0;
    *flags = 0;
    for (;;) {
        if (r->pos == r->len && !r->eof && !refill(r))
            break;
        if (r->eof)
            break;
        got = 1;
        const char *start = r->chunk + r->pos;
        size_t avail = r->len - r->pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        size_t room = LM_DB_MAX_LINE - n;
        if (take > room) {
            *flags |= DB_LINE_TOO_LONG;
            memcpy(r->line + n, start, room);
            n += room;
        } else {
            memcpy(r->line + n, start, take);
            n += take;
        }
        r->pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (r->error)
        return -1;
    if (!got)
        return 0;
    r->line_no++;
    if (n > 0 && r->line[n - 1] == '\r')
        n--;
    r->line[n] = '\0';
    if (memchr(r->line, '\0', n))
        *flags |= DB_LINE_HAS_NUL;
    *line = r->line;
    *len = n;
    return 1;
}
