/* err.h — a status with its message, filled where the failure happens. */
#ifndef CTREC_UTIL_ERR_H
#define CTREC_UTIL_ERR_H

#include "ctrec/ctrec.h"

#define ERR_MSG_MAX 512

typedef struct err {
    ctrec_status status;
    char msg[ERR_MSG_MAX];
    /* 1: the failure is a reader's bound on one event (max_event_bytes),
     * not damage: a larger bound may read on (ctrec_reader_event_too_large) */
    int bound;
} err;

#if defined(__GNUC__)
#define ERR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ERR_PRINTF(a, b)
#endif

/* Sets status and message; returns the status. */
ctrec_status err_set(err *e, ctrec_status st, const char *fmt, ...) ERR_PRINTF(3, 4);
/* A reader's bound on one event stopped the read: CTREC_E_FORMAT with the
 * message, and bound set. */
ctrec_status err_bound(err *e, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Same as err_set, with ": strerror(errnum)" appended. */
ctrec_status err_sys(err *e, int errnum, const char *fmt, ...) ERR_PRINTF(3, 4);

#endif
