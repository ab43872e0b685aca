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
    if (r->line_no == 0 && n >= 3 && memcmp(r->line, "\xef\xbb\xbf", 3) == 0) {
        memmove(r->line, r->line + 3, n - 3); /* a UTF-8 byte order mark (Windows editors) */
        n -= 3;
    }
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

size_t db_reader_read(db_reader *r, void *buf, size_t cap)
{
    if (r->pos == r->len && !r->eof && !refill(r))
        return 0;
    if (r->eof || r->error)
        return 0;
    size_t n = r->len - r->pos;
    if (n > cap)
        n = cap;
    memcpy(buf, r->chunk + r->pos, n);
    r->pos += n;
    return n;
}

int db_reader_peek(db_reader *r)
{
    if (r->pos == r->len && !r->eof && !refill(r))
        return -1;
    size_t i = r->pos;
    if (r->len - i >= 3 && memcmp(r->chunk + i, "\xef\xbb\xbf", 3) == 0)
        i += 3;
    for (; i < r->len; i++) {
        char c = r->chunk[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return (unsigned char)c;
    }
    return -1;
}
