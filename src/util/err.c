#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

static ctrec_status err_vset(err *e, ctrec_status st, int bound, const char *fmt, va_list ap)
{
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    e->status = st;
    e->bound = bound;
    return st;
}

ctrec_status err_set(err *e, ctrec_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, st, 0, fmt, ap);
    va_end(ap);
    return st;
}

ctrec_status err_bound(err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, CTREC_E_FORMAT, 1, fmt, ap);
    va_end(ap);
    return CTREC_E_FORMAT;
}

ctrec_status err_sys(err *e, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    /* strerror_r, not strerror: writers and readers in several threads at
     * once share no buffer (ctrec.h promises separate writers are
     * independent). */
    char sys[128];
#ifdef _GNU_SOURCE
    const char *what = strerror_r(errnum, sys, sizeof sys);
#else
    const char *what = strerror_r(errnum, sys, sizeof sys) == 0 ? sys : "unknown error";
#endif
    if ((size_t)n < sizeof e->msg) snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", what);
    e->status = errnum == ENOMEM ? CTREC_E_NOMEM : CTREC_E_IO;
    e->bound = 0;
    return e->status;
}
