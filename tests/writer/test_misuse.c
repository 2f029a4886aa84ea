/*
 * test_misuse.c — every misuse of the API returns its documented status
 * with a specific message, discards the open event whole, and leaves the
 * writer ready: after each error a valid event is written, and the final
 * trace.json holds exactly the valid events (python parses it).
 * `writer_misuse gen json|bin DIR` writes the same for bin_check.py.
 */
#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static char *exp_lines[512];
static size_t nexp;

static void expect(const char *line)
{
    exp_lines[nexp] = malloc(strlen(line) + 1);
    strcpy(exp_lines[nexp++], line);
}

static int64_t marker;

/* A valid event after each error: Value x = Int marker. */
static void ok_event(ctrec_writer *w)
{
    uint64_t n = ctrec_writer_event_count(w);
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_int(w, marker, 1));
    CHECK_OK(ctrec_end(w));
    CHECK_U64(ctrec_writer_event_count(w), n + 1);
    char line[128];
    snprintf(line, sizeof line,
             "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":%lld,\"type_id\":1}}}",
             (long long)marker);
    expect(line);
    marker++;
}

/* An error: exact status, specific message, no event written. */
#define MISUSE(w, expr, want, needle)                                 \
    do {                                                              \
        uint64_t n_ = ctrec_writer_event_count(w);                    \
        CHECK_ERR((w), (expr), (want), (needle));                     \
        CHECK_U64(ctrec_writer_event_count(w), n_);                   \
    } while (0)

static void record(ctrec_writer *w)
{
    ctrec_id id;
    CHECK_OK(ctrec_start(w, S("/m.x"), 1));
    expect("{\"Path\":\"/m.x\"}");
    expect("{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}");
    expect("{\"Call\":{\"function_id\":0,\"args\":[]}}");
    expect("{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}");
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &id));
    expect("{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}");
    ctrec_field f2[2] = {{S("a"), 1}, {S("b"), 1}};
    CHECK_OK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Pair"), f2, 2, &id));
    CHECK_U64(id, 2);
    expect("{\"Type\":{\"kind\":6,\"lang_type\":\"Pair\",\"specific_info\":{\"kind\":\"Struct\","
           "\"fields\":[{\"name\":\"a\",\"type_id\":1},{\"name\":\"b\",\"type_id\":1}]}}}");
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "seq", &id));
    CHECK_U64(id, 3);
    expect("{\"Type\":{\"kind\":0,\"lang_type\":\"seq\",\"specific_info\":{\"kind\":\"None\"}}}");
    CHECK_OK(ctrec_variable_z(w, "x", &id));
    expect("{\"VariableName\":\"x\"}");
    CHECK_OK(ctrec_function_z(w, "g", 0, 5, &id));
    CHECK_U64(id, 1);
    expect("{\"Function\":{\"path_id\":0,\"line\":5,\"name\":\"g\"}}");
    CHECK_OK(ctrec_step(w, 0, 1));
    expect("{\"Step\":{\"path_id\":0,\"line\":1}}");
    ok_event(w);

    /* end without begin */
    MISUSE(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end without an open event");
    ok_event(w);

    /* struct with too few / too many field values, or a non-struct type */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_struct(w, 2));
    CHECK_OK(ctrec_int(w, 1, 1));
    MISUSE(w, ctrec_end_struct(w), CTREC_E_VALUE, "1 field values for a type with 2 fields");
    /* discarded; ctrec_end says why (the event's first error) */
    MISUSE(w, ctrec_end(w), CTREC_E_VALUE, "1 field values for a type with 2 fields");
    MISUSE(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end without an open event");
    ok_event(w);
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_struct(w, 2));
    CHECK_OK(ctrec_int(w, 1, 1));
    CHECK_OK(ctrec_int(w, 2, 1));
    MISUSE(w, ctrec_int(w, 3, 1), CTREC_E_VALUE, "the struct's type has only 2 fields");
    ok_event(w);
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_begin_struct(w, 1), CTREC_E_VALUE, "type 1 has no Struct fields");
    ok_event(w);

    /* depth: 60 nested sequences are fine, the 61st is refused */
    CHECK_OK(ctrec_begin_value(w, 0));
    for (int i = 0; i < 60; i++) CHECK_OK(ctrec_begin_sequence(w, 0, 3));
    CHECK_OK(ctrec_int(w, 60, 1));
    for (int i = 0; i < 60; i++) CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end(w));
    {
        static char line[8192];
        size_t k = (size_t)sprintf(line, "{\"Value\":{\"variable_id\":0,\"value\":");
        for (int i = 0; i < 60; i++) k += (size_t)sprintf(line + k, "{\"kind\":\"Sequence\",\"elements\":[");
        k += (size_t)sprintf(line + k, "{\"kind\":\"Int\",\"i\":60,\"type_id\":1}");
        for (int i = 0; i < 60; i++) k += (size_t)sprintf(line + k, "],\"is_slice\":false,\"type_id\":3}");
        sprintf(line + k, "}}");
        expect(line);
    }
    CHECK_OK(ctrec_begin_value(w, 0));
    for (int i = 0; i < 60; i++) CHECK_OK(ctrec_begin_sequence(w, 0, 3));
    MISUSE(w, ctrec_begin_sequence(w, 0, 3), CTREC_E_DEPTH,
           "ctrec_begin_sequence: values nest deeper than 60 levels");
    MISUSE(w, ctrec_end_sequence(w), CTREC_E_DEPTH, "values nest deeper than 60 levels");
    MISUSE(w, ctrec_end(w), CTREC_E_DEPTH, "values nest deeper than 60 levels");
    MISUSE(w, ctrec_end_sequence(w), CTREC_E_STATE, "ctrec_end_sequence outside an event");
    ok_event(w);

    /* leaves and compounds outside an event */
    MISUSE(w, ctrec_int(w, 1, 1), CTREC_E_STATE, "ctrec_int outside an event");
    MISUSE(w, ctrec_none(w, 0), CTREC_E_STATE, "ctrec_none outside an event");
    MISUSE(w, ctrec_begin_tuple(w, 3), CTREC_E_STATE, "ctrec_begin_tuple outside an event");
    MISUSE(w, ctrec_cell(w, 1), CTREC_E_STATE, "ctrec_cell outside an event");
    ok_event(w);

    /* undefined ids */
    uint64_t ntypes = ctrec_type_count(w);
    MISUSE(w, ctrec_step(w, 7, 1), CTREC_E_UNDEFINED, "path id 7 is not defined (1 defined)");
    MISUSE(w, ctrec_begin_value(w, 99), CTREC_E_UNDEFINED, "variable id 99 is not defined (1 defined)");
    MISUSE(w, ctrec_begin_call(w, 9), CTREC_E_UNDEFINED, "function id 9 is not defined (2 defined)");
    MISUSE(w, ctrec_call(w, 2), CTREC_E_UNDEFINED, "function id 2 is not defined");
    MISUSE(w, ctrec_return_none(w, ntypes), CTREC_E_UNDEFINED, "type id");
    MISUSE(w, ctrec_function_z(w, "h", 3, 1, NULL), CTREC_E_UNDEFINED, "path id 3 is not defined");
    f2[1].type_id = 77;
    MISUSE(w, ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Bad"), f2, 2, NULL), CTREC_E_UNDEFINED,
           "field type id 77 is not defined");
    MISUSE(w, ctrec_type_pointer(w, CTREC_TYPE_POINTER, S("*x"), 88, NULL), CTREC_E_UNDEFINED,
           "dereference type id 88 is not defined");
    CHECK_U64(ctrec_type_count(w), ntypes);
    MISUSE(w, ctrec_bind_variable(w, 5, 1), CTREC_E_UNDEFINED, "variable id 5 is not defined");
    MISUSE(w, ctrec_variable_cell(w, 5, 1), CTREC_E_UNDEFINED, "variable id 5 is not defined");
    MISUSE(w, ctrec_drop_variable(w, 4), CTREC_E_UNDEFINED, "variable id 4 is not defined");
    ctrec_id ids[2] = {0, 6};
    MISUSE(w, ctrec_drop_variables(w, ids, 2), CTREC_E_UNDEFINED, "variable id 6 is not defined");
    MISUSE(w, ctrec_assign(w, 0, CTREC_PASS_BY_VALUE, 1, ids, 2), CTREC_E_UNDEFINED,
           "variable id 6 is not defined");
    MISUSE(w, ctrec_assign(w, 3, CTREC_PASS_BY_VALUE, 0, ids, 1), CTREC_E_UNDEFINED,
           "variable id 3 is not defined");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_int(w, 1, 42), CTREC_E_UNDEFINED, "type id 42 is not defined (4 defined)");
    MISUSE(w, ctrec_end(w), CTREC_E_UNDEFINED, "type id 42 is not defined (4 defined)");
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, 3));
    MISUSE(w, ctrec_begin_sequence(w, 0, 50), CTREC_E_UNDEFINED, "type id 50 is not defined");
    ok_event(w);

    /* variant / reference without their value, or with two */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_variant(w, S("Some"), 1));
    MISUSE(w, ctrec_end_variant(w), CTREC_E_VALUE, "the variant has no contents");
    ok_event(w);
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_variant(w, S("Some"), 1));
    CHECK_OK(ctrec_int(w, 1, 1));
    MISUSE(w, ctrec_int(w, 2, 1), CTREC_E_VALUE, "ctrec_int: the variant already has its value");
    ok_event(w);
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_reference(w, 16, 0, 1));
    MISUSE(w, ctrec_end_reference(w), CTREC_E_VALUE, "the reference has no dereferenced value");
    ok_event(w);

    /* a Value event with two values, or none */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_int(w, 1, 1));
    MISUSE(w, ctrec_int(w, 2, 1), CTREC_E_VALUE, "ctrec_int: the event already has its value");
    ok_event(w);
    CHECK_OK(ctrec_begin_return(w));
    CHECK_OK(ctrec_none(w, 0));
    MISUSE(w, ctrec_begin_sequence(w, 0, 3), CTREC_E_VALUE, "the event already has its value");
    ok_event(w);
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_end(w), CTREC_E_VALUE, "the event has no value");
    ok_event(w);

    /* events that may not interrupt an open one; the open one is dropped */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_int(w, 1, 1));
    MISUSE(w, ctrec_step(w, 0, 2), CTREC_E_STATE, "ctrec_step while an event is open");
    MISUSE(w, ctrec_end(w), CTREC_E_STATE, "ctrec_step while an event is open");
    CHECK_OK(ctrec_begin_cell_value(w, 1));
    MISUSE(w, ctrec_begin_value(w, 0), CTREC_E_STATE, "ctrec_begin_value while an event is open");
    CHECK_OK(ctrec_begin_call(w, 1));
    MISUSE(w, ctrec_event(w, CTREC_EVENT_WRITE, S("m"), S("c")), CTREC_E_STATE,
           "ctrec_event while an event is open");
    CHECK_OK(ctrec_begin_assign_cell(w, 1));
    MISUSE(w, ctrec_drop_last_step(w), CTREC_E_STATE, "ctrec_drop_last_step while an event is open");
    CHECK_OK(ctrec_begin_compound_value(w, 1));
    MISUSE(w, ctrec_start(w, S("/m.x"), 1), CTREC_E_STATE, "ctrec_start while an event is open");
    CHECK_OK(ctrec_begin_return(w));
    MISUSE(w, ctrec_return_none(w, 0), CTREC_E_STATE, "ctrec_return_none while an event is open");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_call(w, 1), CTREC_E_STATE, "ctrec_call while an event is open");
    ok_event(w);

    /* flush while an event is open: refused, the event dropped (a flush
     * must never put a partial event in the file) */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_int(w, 1, 1));
    MISUSE(w, ctrec_writer_flush(w), CTREC_E_STATE, "ctrec_writer_flush while an event is open");
    MISUSE(w, ctrec_end(w), CTREC_E_STATE, "ctrec_writer_flush while an event is open");
    CHECK_OK(ctrec_begin_call(w, 1));
    MISUSE(w, ctrec_writer_flush(w), CTREC_E_STATE, "ctrec_writer_flush while an event is open");
    CHECK_OK(ctrec_writer_flush(w));
    ok_event(w);

    /* closing the wrong thing */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, 3));
    MISUSE(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end while a sequence value is still open");
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_tuple(w, 3));
    MISUSE(w, ctrec_end_sequence(w), CTREC_E_STATE, "ctrec_end_sequence while a tuple is open");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_end_struct(w), CTREC_E_STATE, "ctrec_end_struct without a matching begin");
    ok_event(w);

    /* calls: arguments out of place; a failed call writes nothing (no
     * argument Values, no Step) */
    MISUSE(w, ctrec_arg(w, 0), CTREC_E_STATE, "ctrec_arg outside ctrec_begin_call");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_arg(w, 0), CTREC_E_STATE, "ctrec_arg outside ctrec_begin_call");
    CHECK_OK(ctrec_begin_call(w, 1));
    MISUSE(w, ctrec_int(w, 1, 1), CTREC_E_STATE, "ctrec_int in a call without ctrec_arg first");
    CHECK_OK(ctrec_begin_call(w, 1));
    CHECK_OK(ctrec_arg(w, 0));
    MISUSE(w, ctrec_arg(w, 0), CTREC_E_VALUE, "argument 0 has no value");
    CHECK_OK(ctrec_begin_call(w, 1));
    CHECK_OK(ctrec_arg(w, 0));
    CHECK_OK(ctrec_int(w, 1, 1));
    CHECK_OK(ctrec_arg(w, 0));
    MISUSE(w, ctrec_end(w), CTREC_E_VALUE, "argument 1 has no value");
    CHECK_OK(ctrec_begin_call(w, 1));
    CHECK_OK(ctrec_arg(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, 3));
    MISUSE(w, ctrec_arg(w, 0), CTREC_E_STATE, "ctrec_arg while a sequence value is open");
    CHECK_OK(ctrec_begin_call(w, 1));
    CHECK_OK(ctrec_arg(w, 0));
    MISUSE(w, ctrec_int(w, 1, 42), CTREC_E_UNDEFINED, "type id 42 is not defined");
    MISUSE(w, ctrec_end(w), CTREC_E_UNDEFINED, "type id 42 is not defined");
    ok_event(w);

    /* Char takes exactly one UTF-8 character */
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_char(w, S("ab"), 1), CTREC_E_VALUE, "exactly one UTF-8 character");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_char(w, S("\xff"), 1), CTREC_E_VALUE, "exactly one UTF-8 character");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_char(w, NULL, 0, 1), CTREC_E_ARG, "ctrec_char: NULL character");
    ok_event(w);

    /* bad arguments */
    MISUSE(w, ctrec_event(w, (ctrec_event_kind)14, S(""), S("")), CTREC_E_ARG,
           "event kind 14 is not an EventLogKind");
    MISUSE(w, ctrec_type_z(w, (ctrec_type_kind)34, "t", NULL), CTREC_E_ARG,
           "type kind 34 is not a TypeKind");
    MISUSE(w, ctrec_assign(w, 0, (ctrec_pass_by)2, 0, ids, 1), CTREC_E_ARG, "pass_by 2");
    MISUSE(w, ctrec_assign(w, 0, CTREC_PASS_BY_VALUE, 0, ids, 2), CTREC_E_ARG,
           "a Simple rvalue takes exactly one id, not 2");
    MISUSE(w, ctrec_path(w, NULL, 2, NULL), CTREC_E_ARG, "NULL text with length 2");
    MISUSE(w, ctrec_asm(w, NULL, 3), CTREC_E_ARG, "NULL instructions with count 3");
    {
        ctrec_str ins[2] = {{S("nop")}, {NULL, 4}};
        MISUSE(w, ctrec_asm(w, ins, 2), CTREC_E_ARG, "instruction 1 is NULL with length 4");
        ctrec_field nf[2] = {{S("a"), 1}, {NULL, 1, 1}};
        MISUSE(w, ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Bad"), nf, 2, NULL), CTREC_E_ARG,
               "field 1 has a NULL name");
        CHECK_U64(ctrec_type_count(w), ntypes);
    }
    MISUSE(w, ctrec_step_column(w, 0, 2, 0), CTREC_E_ARG, "ctrec_step_column: column 0 is not >= 1");
    MISUSE(w, ctrec_step_column(w, 0, 2, -3), CTREC_E_ARG, "ctrec_step_column: column -3 is not >= 1");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_begin_variant(w, NULL, 2, 1), CTREC_E_ARG, "NULL discriminator with length 2");
    MISUSE(w, ctrec_end(w), CTREC_E_ARG, "NULL discriminator with length 2");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_string(w, NULL, 3, 1), CTREC_E_ARG, "NULL text with length 3");
    CHECK_OK(ctrec_begin_value(w, 0));
    MISUSE(w, ctrec_bigint(w, NULL, 2, 0, 1), CTREC_E_ARG, "NULL magnitude with length 2");
    MISUSE(w, ctrec_start(w, S("/m.x"), 1), CTREC_E_STATE,
           "ctrec_start must come before any function or type is defined");
    ok_event(w);

    /* definitions made while an event is open stay when it fails */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_variable_z(w, "y", &id));
    CHECK_U64(id, 1);
    expect("{\"VariableName\":\"y\"}");
    MISUSE(w, ctrec_int(w, 1, 42), CTREC_E_UNDEFINED, "type id 42");
    CHECK_OK(ctrec_variable_z(w, "y", &id)); /* still defined: no second event */
    CHECK_U64(id, 1);
    ok_event(w);

    /* ctrec_abandon drops the open event without an error */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_int(w, 1, 1));
    ctrec_abandon(w);
    MISUSE(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end without an open event");
    ctrec_abandon(w); /* nothing open: harmless */
    ok_event(w);

    /* an event still open at close is discarded */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_int(w, 1, 1));
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen")) { /* generator for bin_check.py */
        ctrec_writer_options o = test_options();
        if (!strcmp(argv[2], "bin")) o.format = CTREC_FORMAT_BIN;
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(argv[3], &o, &w));
        record(w);
        CHECK_OK(ctrec_writer_close(w));
        return check_done("writer_misuse gen");
    }
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o = test_options();
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    record(w);
    CHECK_U64(ctrec_writer_event_count(w), nexp);
    CHECK_OK(ctrec_writer_close(w)); /* misuse is not a failure of the trace */
    CHECK_TRACE_JSON(dir, (const char *const *)exp_lines, nexp);
    CHECK_PY(dir, (long)nexp, NULL);

    /* a NULL writer */
    CHECK_ST(ctrec_step(NULL, 0, 1), CTREC_E_ARG);
    CHECK_ST(ctrec_int(NULL, 1, 0), CTREC_E_ARG);
    CHECK_ST(ctrec_end(NULL), CTREC_E_ARG);
    CHECK_ST(ctrec_writer_flush(NULL), CTREC_E_ARG);
    CHECK_ST(ctrec_writer_status(NULL), CTREC_E_ARG);
    CHECK_HAS(ctrec_writer_errmsg(NULL), "NULL");
    CHECK_OK(ctrec_writer_close(NULL));
    ctrec_abandon(NULL);
    CHECK_ST(ctrec_writer_open(dir, &o, NULL), CTREC_E_ARG);
    CHECK_STR(ctrec_status_name(CTREC_E_DEPTH), "CTREC_E_DEPTH");
    CHECK_STR(ctrec_status_name(CTREC_OK), "CTREC_OK");

    /* max_depth: a smaller bound is honoured; 0 and 61 are refused */
    LOCAL_PATH(ddir, "%s/depth", tmp);
    o.max_depth = 2;
    CHECK_OK(ctrec_writer_open(ddir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/d"), 1));
    CHECK_OK(ctrec_variable_z(w, "v", NULL));
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_tuple(w, 0));
    CHECK_OK(ctrec_begin_tuple(w, 0));
    CHECK_ERR(w, ctrec_begin_tuple(w, 0), CTREC_E_DEPTH, "deeper than 2 levels");
    CHECK_U64(ctrec_writer_event_count(w), 5);
    CHECK_OK(ctrec_writer_close(w));
    CHECK_PY(ddir, 5, NULL);
    o.max_depth = 61;
    CHECK_ERR(w, ctrec_writer_open(ddir, &o, &w), CTREC_E_ARG, "max_depth must be 1..60, not 61");
    CHECK_ST(ctrec_step(w, 0, 1), CTREC_E_FAILED);
    CHECK_ST(ctrec_writer_close(w), CTREC_E_ARG);
    o.max_depth = 0;
    CHECK_ERR(w, ctrec_writer_open(ddir, &o, &w), CTREC_E_ARG, "max_depth must be 1..60, not 0");
    CHECK_ST(ctrec_writer_close(w), CTREC_E_ARG);
    o.max_depth = 60;
    o.format = (ctrec_format)3;
    CHECK_ERR(w, ctrec_writer_open(ddir, &o, &w), CTREC_E_ARG, "unknown format 3");
    CHECK_ST(ctrec_writer_close(w), CTREC_E_ARG);
    o.format = CTREC_FORMAT_JSON;
    o.float_encoding = (ctrec_float_encoding)5;
    CHECK_ERR(w, ctrec_writer_open(ddir, &o, &w), CTREC_E_ARG, "unknown float encoding 5");
    CHECK_ST(ctrec_writer_close(w), CTREC_E_ARG);
    o.float_encoding = CTREC_FLOAT_STRING;
    o.nargs = 2;
    o.args = NULL;
    CHECK_ERR(w, ctrec_writer_open(ddir, &o, &w), CTREC_E_ARG, "nargs > 0 with no args");
    CHECK_ST(ctrec_writer_close(w), CTREC_E_ARG);

    for (size_t i = 0; i < nexp; i++) free(exp_lines[i]);
    rm_rf(tmp);
    return check_done("writer_misuse");
}
