/*
 * paths.h — what test_value_paths.c and test_event_paths.c share: each is
 * built twice (a writer's fast paths on, and off) and prints every status
 * it gets, with the message of a failure, so that value_paths.py and
 * event_paths.py can compare what the two builds said. Header-only; each
 * test is one program that includes it once.
 */
#ifndef CTREC_TEST_PATHS_H
#define CTREC_TEST_PATHS_H

#include <stdio.h>

#include "ctrec/ctrec.h"

static ctrec_writer *w; /* the writer the statuses are of */
static int calls;       /* the calls made, numbering the lines printed */

/* Every status is printed (with the message of a failure): the two builds
 * must say the same. */
static void st(const char *what, ctrec_status s)
{
    calls++;
    if (s) printf("%d %s: %s: %s\n", calls, what, ctrec_status_name(s), ctrec_writer_errmsg(w));
}
#define T(call) st(#call, (call))
#define S(lit) (lit), sizeof(lit) - 1

#endif
