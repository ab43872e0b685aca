/* A handle-owned error message: every handle embeds one, nothing is global. */
#ifndef LM_CORE_ERRBUF_H
#define LM_CORE_ERRBUF_H

#include <stddef.h>

#define LM_ERRBUF_SIZE 256

typedef struct lm_errbuf {
    char msg[LM_ERRBUF_SIZE];
} lm_errbuf;

/* printf-style; truncates safely. Returns status so callers can `return lm_err(...)`. */
int lm_errbuf_set(lm_errbuf *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void lm_errbuf_clear(lm_errbuf *e)
{
    if (e)
        e->msg[0] = '\0';
}

#endif
