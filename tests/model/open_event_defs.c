/*
 * Definitions made while a value event is open land before it; abandoning
 * an event keeps the definitions made inside it; CBOR array counts of 24 and
 * more (whose header grows) stay right when a definition is inserted in
 * front of the open event. Writes one trace per format; check_defs.py
 * compares them with the expected events.
 */
#include <stdio.h>
#include <string.h>

#include "ctrec/ctrec.h"

#define OK(call)                                                                     \
    do {                                                                             \
        ctrec_status st_ = (call);                                                   \
        if (st_ != CTREC_OK) {                                                       \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,      \
                    ctrec_status_name(st_), ctrec_writer_errmsg(w));                 \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static int record(const char *dir, ctrec_format fmt)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = fmt;
    o.copy_sources = 0;
    ctrec_writer *w;
    OK(ctrec_writer_open(dir, &o, &w));
    ctrec_id v, seq, in, str, tup;
    OK(ctrec_start(w, "/a.src", 6, 1));
    OK(ctrec_variable_z(w, "v", &v));
    OK(ctrec_begin_value(w, v));
    OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "seq", &seq)); /* inside the open event */
    OK(ctrec_begin_sequence(w, 0, seq));
    OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &in)); /* inside an open sequence */
    for (int i = 0; i < 30; i++) OK(ctrec_int(w, i, in));
    OK(ctrec_end_sequence(w));
    OK(ctrec_end(w));
    /* An event that fails after defining a type: the type stays. */
    OK(ctrec_begin_value(w, v));
    OK(ctrec_type_z(w, CTREC_TYPE_STRING, "str", &str));
    if (ctrec_end_tuple(w) != CTREC_E_STATE) {
        fprintf(stderr, "ctrec_end_tuple without begin did not give CTREC_E_STATE\n");
        return 1;
    }
    /* A definition while a tuple with 25 items is open. */
    OK(ctrec_begin_return(w));
    OK(ctrec_type_z(w, CTREC_TYPE_TUPLE, "tuple", &tup));
    OK(ctrec_begin_tuple(w, tup));
    for (int i = 0; i < 24; i++) OK(ctrec_int(w, i, in));
    OK(ctrec_variable_z(w, "late", NULL));
    OK(ctrec_string(w, "x", 1, str));
    OK(ctrec_end_tuple(w));
    OK(ctrec_end(w));
    OK(ctrec_step(w, 0, 2));
    OK(ctrec_writer_close(w));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: open_event_defs JSON_DIR BIN_DIR\n");
        return 2;
    }
    if (record(argv[1], CTREC_FORMAT_JSON)) return 1;
    return record(argv[2], CTREC_FORMAT_BIN);
}
