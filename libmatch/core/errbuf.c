#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>

int lm_errbuf_set(lm_errbuf *e, int status, const char *fmt, ...)
{
    if (!e)
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return status;
}
