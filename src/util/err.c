#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

ctrec_status err_set(err *e, ctrec_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->status = st;
    return st;
}

ctrec_status err_sys(err *e, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", strerror(errnum));
    e->status = errnum == ENOMEM ? CTREC_E_NOMEM : CTREC_E_IO;
    return e->status;
}
