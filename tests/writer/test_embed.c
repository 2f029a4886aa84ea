/*
 * test_embed.c — what a first embedder hit (issue 14, failures 1, 3, 9):
 * the writer refuses a Return with no open call; the writer's event size
 * bound is the readers' (CTREC_MAX_EVENT_BYTES) and an event over it is
 * CTREC_E_SIZE; ctrec_end returns the first error of a failed event with
 * its message; NULL `_z` strings and a NULL char are CTREC_E_ARG; negative
 * lines are refused; every *_name function names an unknown number "?";
 * SIGXFSZ does what ctrec.h says (failure 6).
 * The trace written around the errors holds exactly the valid events.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>

#include "check.h"

#include "ctrec/ctrec_check.h"
#include "ctrec/ctrec_reader.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* An error: exact status, message, and no event written. */
#define REFUSED(w, expr, want, needle)                                \
    do {                                                              \
        uint64_t n_ = ctrec_writer_event_count(w);                    \
        CHECK_ERR((w), (expr), (want), (needle));                     \
        CHECK_U64(ctrec_writer_event_count(w), n_);                   \
    } while (0)

static const char *const returns_expected[] = {
    "{\"Path\":\"/m.x\"}",
    "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
    "{\"Call\":{\"function_id\":0,\"args\":[]}}",
    "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"Function\":{\"path_id\":0,\"line\":3,\"name\":\"f\"}}",
    "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"VariableName\":\"a\"}",
    "{\"Step\":{\"path_id\":0,\"line\":3}}",
    "{\"Call\":{\"function_id\":1,\"args\":[]}}",
    "{\"Return\":{\"return_value\":{\"kind\":\"Int\",\"i\":7,\"type_id\":1}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":1}}}",
    "{\"Step\":{\"path_id\":0,\"line\":3}}",
    "{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":1}}]}}",
    "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
};

/* Failure 1: a Return with no open call is refused; the top-level call
 * of ctrec_start counts as open. */
static void test_returns(const char *tmp, ctrec_writer_options o)
{
    LOCAL_PATH(dir, "%s/returns", tmp);
    ctrec_writer *w = NULL;
    ctrec_id f, t, a;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    REFUSED(w, ctrec_return_none(w, 0), CTREC_E_UNDEFINED, "type id 0"); /* nothing yet */
    CHECK_OK(ctrec_start(w, S("/m.x"), 1));
    CHECK_OK(ctrec_function_z(w, "f", 0, 3, &f));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t));
    CHECK_OK(ctrec_variable_z(w, "a", &a));
    CHECK_OK(ctrec_call(w, f));
    CHECK_OK(ctrec_begin_return(w));
    CHECK_OK(ctrec_int(w, 7, t));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_begin_call(w, f));
    CHECK_OK(ctrec_arg(w, a));
    CHECK_OK(ctrec_int(w, 1, t));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_return_none(w, 0)); /* from f */
    CHECK_OK(ctrec_return_none(w, 0)); /* from the top level */
    REFUSED(w, ctrec_return_none(w, 0), CTREC_E_STATE, "a Return with no open call");
    REFUSED(w, ctrec_begin_return(w), CTREC_E_STATE, "ctrec_begin_return: a Return with no open call");
    /* the refused begin opened nothing */
    REFUSED(w, ctrec_int(w, 1, t), CTREC_E_STATE, "a Return with no open call");
    CHECK_ST(ctrec_end(w), CTREC_E_STATE);
    CHECK_HAS(ctrec_writer_errmsg(w), "a Return with no open call");
    CHECK_OK(ctrec_writer_close(w));
    CHECK_TRACE_JSON(dir, returns_expected, sizeof returns_expected / sizeof *returns_expected);
    CHECK_PY(dir, (long)(sizeof returns_expected / sizeof *returns_expected), NULL);
}

/* Failure 3: ctrec_end returns the event's first error with its message. */
static void test_first_error(const char *tmp, ctrec_writer_options o)
{
    LOCAL_PATH(dir, "%s/first", tmp);
    ctrec_writer *w = NULL;
    ctrec_id t, seq;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/m.x"), 1));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "seq", &seq));
    CHECK_OK(ctrec_variable_z(w, "x", NULL));
    uint64_t n = ctrec_writer_event_count(w);

    /* the case */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_ERR(w, ctrec_int(w, 1, 999), CTREC_E_UNDEFINED, "type id 999");
    CHECK_ERR(w, ctrec_end(w), CTREC_E_UNDEFINED, "type id 999 is not defined");
    /* the event is over: a second end is the plain misuse */
    CHECK_ERR(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end without an open event");

    /* inside a compound: later value calls return the first status and
     * leave the message alone */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, seq));
    CHECK_OK(ctrec_int(w, 1, t));
    CHECK_ERR(w, ctrec_float(w, 1.5, 42), CTREC_E_UNDEFINED, "type id 42");
    CHECK_ST(ctrec_int(w, 2, t), CTREC_E_UNDEFINED);
    CHECK_ST(ctrec_char(w, NULL, 0, t), CTREC_E_UNDEFINED);
    CHECK_ST(ctrec_end_sequence(w), CTREC_E_UNDEFINED);
    CHECK_HAS(ctrec_writer_errmsg(w), "type id 42");
    CHECK_ERR(w, ctrec_end(w), CTREC_E_UNDEFINED, "type id 42");

    /* in a call's arguments */
    CHECK_OK(ctrec_function_z(w, "g", 0, 2, NULL));
    n = ctrec_writer_event_count(w);
    CHECK_OK(ctrec_begin_call(w, 1));
    CHECK_ERR(w, ctrec_arg(w, 77), CTREC_E_UNDEFINED, "variable id 77");
    CHECK_ST(ctrec_int(w, 1, t), CTREC_E_UNDEFINED);
    CHECK_ST(ctrec_arg(w, 0), CTREC_E_UNDEFINED);
    CHECK_ERR(w, ctrec_end(w), CTREC_E_UNDEFINED, "variable id 77");
    CHECK_U64(ctrec_writer_event_count(w), n);

    /* too deep: E_DEPTH, not "ctrec_end while a sequence is still open" */
    CHECK_OK(ctrec_begin_value(w, 0));
    for (int i = 0; i < 60; i++) CHECK_OK(ctrec_begin_sequence(w, 0, seq));
    CHECK_ST(ctrec_begin_sequence(w, 0, seq), CTREC_E_DEPTH);
    for (int i = 0; i < 60; i++) CHECK_ST(ctrec_end_sequence(w), CTREC_E_DEPTH);
    CHECK_ERR(w, ctrec_end(w), CTREC_E_DEPTH, "deeper than 60");

    /* a new event may begin right after the failure, without ctrec_end */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_ST(ctrec_int(w, 1, 999), CTREC_E_UNDEFINED);
    CHECK_OK(ctrec_step(w, 0, 2));
    CHECK_ERR(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end without an open event");
    /* ctrec_abandon forgets the failed event */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_ST(ctrec_int(w, 1, 999), CTREC_E_UNDEFINED);
    ctrec_abandon(w);
    CHECK_ERR(w, ctrec_end(w), CTREC_E_STATE, "ctrec_end without an open event");
    CHECK_OK(ctrec_variable_int(w, S("x"), 5, t));
    CHECK_OK(ctrec_writer_close(w));
    static const char *const want[] = {
        "{\"Path\":\"/m.x\"}",
        "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Type\":{\"kind\":0,\"lang_type\":\"seq\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"VariableName\":\"x\"}",
        "{\"Function\":{\"path_id\":0,\"line\":2,\"name\":\"g\"}}",
        "{\"Step\":{\"path_id\":0,\"line\":2}}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":5,\"type_id\":1}}}",
    };
    CHECK_TRACE_JSON(dir, want, sizeof want / sizeof *want);
}

/* Failure 1: the writer's size bound is the readers'. */
static void test_sizes(const char *tmp, ctrec_writer_options o)
{
    ctrec_writer_options d;
    ctrec_writer_options_init(&d);
    CHECK_U64(d.max_event_bytes, CTREC_MAX_EVENT_BYTES);
    CHECK_U64(CTREC_MAX_EVENT_BYTES, 64u * 1024u * 1024u);
    ctrec_reader_options ro;
    ctrec_reader_options_init(&ro);
    CHECK_U64(ro.max_event_bytes, CTREC_MAX_EVENT_BYTES);
    CHECK_STR(ctrec_status_name(CTREC_E_SIZE), "CTREC_E_SIZE");

    for (int bin = 0; bin < 2; bin++) {
        LOCAL_PATH(dir, "%s/size%d", tmp, bin);
        o.format = bin ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON;
        ctrec_writer *w = NULL;
        ctrec_id t, s, seq;
        CHECK_OK(ctrec_writer_open(dir, &o, &w));
        CHECK_OK(ctrec_start(w, S("/m.x"), 1));
        CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", &t));
        CHECK_OK(ctrec_type_z(w, CTREC_TYPE_STRING, "str", &s));
        CHECK_OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "seq", &seq));
        CHECK_OK(ctrec_variable_z(w, "x", NULL));
        CHECK_OK(ctrec_function_z(w, "g", 0, 2, NULL));

        /* the 70 MB string, under the default bound */
        size_t big = 70u * 1000u * 1000u;
        char *text = malloc(big);
        memset(text, 'a', big);
        uint64_t n = ctrec_writer_event_count(w);
        CHECK_OK(ctrec_begin_value(w, 0));
        CHECK_ERR(w, ctrec_string(w, text, big, s), CTREC_E_SIZE, "more than max_event_bytes (67108864");
        CHECK_ERR(w, ctrec_end(w), CTREC_E_SIZE, "CTREC_MAX_EVENT_BYTES");
        REFUSED(w, ctrec_event(w, CTREC_EVENT_WRITE, "", 0, text, big), CTREC_E_SIZE, "max_event_bytes");
        REFUSED(w, ctrec_variable(w, text, big, NULL), CTREC_E_SIZE, "max_event_bytes");
        /* many parts, each small: refused at ctrec_end */
        CHECK_OK(ctrec_begin_value(w, 0));
        CHECK_OK(ctrec_begin_sequence(w, 0, seq));
        for (int i = 0; i < 5; i++) CHECK_OK(ctrec_string(w, text, 14u * 1000u * 1000u, s));
        CHECK_OK(ctrec_end_sequence(w));
        CHECK_ERR(w, ctrec_end(w), CTREC_E_SIZE, "more than max_event_bytes");
        /* a call whose arguments together are too large */
        CHECK_OK(ctrec_begin_call(w, 1));
        for (int i = 0; i < 5; i++) {
            CHECK_OK(ctrec_arg(w, 0));
            CHECK_OK(ctrec_string(w, text, 14u * 1000u * 1000u, s));
        }
        CHECK_ERR(w, ctrec_end(w), CTREC_E_SIZE, "more than max_event_bytes");
        CHECK_U64(ctrec_writer_event_count(w), n);
        /* just under the bound: written, and the readers read it */
        CHECK_OK(ctrec_begin_value(w, 0));
        CHECK_OK(ctrec_string(w, text, 60u * 1000u * 1000u, s));
        CHECK_OK(ctrec_end(w));
        free(text);
        CHECK_OK(ctrec_writer_close(w));

        ctrec_reader *r = NULL;
        CHECK_OK(ctrec_reader_open(dir, NULL, &r));
        const ctrec_ev *ev = NULL;
        uint64_t k = 0;
        ctrec_status st;
        while ((st = ctrec_reader_next(r, &ev)) == CTREC_OK && ev) k++;
        CHECK_OK(st);
        CHECK_U64(k, n + 1);
        CHECK(ctrec_reader_complete(r));
        ctrec_reader_close(r);
    }

    /* a smaller bound is honoured */
    LOCAL_PATH(dir, "%s/small", tmp);
    o.format = CTREC_FORMAT_JSON;
    o.max_event_bytes = 100;
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    CHECK_OK(ctrec_start(w, S("/m.x"), 1));
    CHECK_OK(ctrec_variable_z(w, "x", NULL));
    char t90[91];
    memset(t90, 'b', 90);
    t90[90] = 0;
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_string(w, t90, 90, 0));
    CHECK_ERR(w, ctrec_end(w), CTREC_E_SIZE, "more than max_event_bytes (100;");
    CHECK_OK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, t90, 90)); /* 90 < 100: the check is the text's */
    CHECK_OK(ctrec_writer_close(w));
}

/* Failure 9. */
static void test_args(const char *tmp, ctrec_writer_options o)
{
    LOCAL_PATH(dir, "%s/args", tmp);
    ctrec_writer *w = NULL;
    ctrec_id id = 12345;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    REFUSED(w, ctrec_start(w, S("/m.x"), -1), CTREC_E_ARG, "ctrec_start: line -1 is negative");
    CHECK_OK(ctrec_start(w, S("/m.x"), 1));
    REFUSED(w, ctrec_path_z(w, NULL, &id), CTREC_E_ARG, "ctrec_path_z: NULL string");
    CHECK_U64(id, 12345);
    CHECK_U64(ctrec_path_count(w), 1);
    REFUSED(w, ctrec_function_z(w, NULL, 0, 1, &id), CTREC_E_ARG, "ctrec_function_z: NULL string");
    REFUSED(w, ctrec_type_z(w, CTREC_TYPE_INT, NULL, &id), CTREC_E_ARG, "ctrec_type_z: NULL string");
    REFUSED(w, ctrec_variable_z(w, NULL, &id), CTREC_E_ARG, "ctrec_variable_z: NULL string");
    REFUSED(w, ctrec_function_z(w, "f", 0, -3, &id), CTREC_E_ARG, "line -3 is negative");
    REFUSED(w, ctrec_step(w, 0, -1), CTREC_E_ARG, "ctrec_step: line -1 is negative");
    CHECK_OK(ctrec_step(w, 0, 0));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_CHAR, "char", &id));
    CHECK_OK(ctrec_variable_z(w, "c", NULL));
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_ERR(w, ctrec_char(w, NULL, 1, id), CTREC_E_ARG, "ctrec_char: NULL character");
    CHECK_ERR(w, ctrec_end(w), CTREC_E_ARG, "NULL character");
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_ERR(w, ctrec_char(w, "ab", 2, id), CTREC_E_VALUE, "exactly one UTF-8 character");
    ctrec_abandon(w);
    CHECK_OK(ctrec_writer_close(w));

    /* unknown numbers are "?" in every *_name function */
    CHECK_STR(ctrec_status_name((ctrec_status)999), "?");
    CHECK_STR(ctrec_event_type_name((ctrec_event_type)999), "?");
    CHECK_STR(ctrec_value_kind_name((ctrec_value_kind)999), "?");
    CHECK_STR(ctrec_check_target_name((ctrec_check_target)999), "?");
    CHECK_STR(ctrec_check_severity_name((ctrec_check_severity)999), "?");
    CHECK_STR(ctrec_check_severity_name(CTREC_CHECK_WARNING), "warning");
}

/* Friction: version number, options struct_size, depth marker, _z. */
static void test_friction(const char *tmp)
{
    CHECK_U64(CTREC_VERSION_NUMBER, CTREC_VERSION_MAJOR * 10000 + CTREC_VERSION_MINOR * 100 +
                                        CTREC_VERSION_PATCH);
    CHECK_U64(ctrec_version_number(), CTREC_VERSION_NUMBER);
#if CTREC_VERSION_NUMBER < 100
#error "CTREC_VERSION_NUMBER is usable in #if"
#endif

    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    CHECK_U64(o.struct_size, sizeof o);
    ctrec_writer *w = NULL;
    LOCAL_PATH(d0, "%s/opts", tmp);
    o.struct_size = 0; /* not initialised */
    CHECK_ST(ctrec_writer_open(d0, &o, &w), CTREC_E_ARG);
    CHECK_HAS(ctrec_writer_errmsg(w), "initialise the options with ctrec_writer_options_init()");
    ctrec_writer_close(w);
    CHECK(!path_exists(d0));
    o.struct_size = sizeof o + 8; /* from a newer header */
    CHECK_ST(ctrec_writer_open(d0, &o, &w), CTREC_E_ARG);
    ctrec_writer_close(w);
    /* an older caller: fields past its struct_size get their defaults */
    ctrec_writer_options_init(&o);
    o.copy_sources = 0;
    o.struct_size = offsetof(ctrec_writer_options, max_event_bytes);
    o.max_event_bytes = 5;   /* past its struct: not read */
    o.flush_interval_ms = 0;
    CHECK_OK(ctrec_writer_open(d0, &o, &w));
    CHECK_OK(ctrec_start_z(w, "/z.x", 3));
    CHECK_OK(ctrec_variable_z(w, "s", NULL));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_STRING, "str", NULL));
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_string_z(w, "more than five bytes", 1));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_event_z(w, CTREC_EVENT_WRITE, "stdout", "hi\n"));
    REFUSED(w, ctrec_start_z(w, NULL, 1), CTREC_E_ARG, "ctrec_start_z: NULL string");
    REFUSED(w, ctrec_event_z(w, CTREC_EVENT_WRITE, NULL, "x"), CTREC_E_ARG, "ctrec_event_z (metadata): NULL");
    REFUSED(w, ctrec_event_z(w, CTREC_EVENT_WRITE, "", NULL), CTREC_E_ARG, "ctrec_event_z (content): NULL");
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_ERR(w, ctrec_string_z(w, NULL, 1), CTREC_E_ARG, "ctrec_string_z: NULL string");
    CHECK_ERR(w, ctrec_end(w), CTREC_E_ARG, "ctrec_string_z: NULL string");
    CHECK_OK(ctrec_writer_close(w));
    static const char *const want_z[] = {
        "{\"Path\":\"/z.x\"}",
        "{\"Function\":{\"path_id\":0,\"line\":3,\"name\":\"<toplevel>\"}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"VariableName\":\"s\"}",
        "{\"Type\":{\"kind\":9,\"lang_type\":\"str\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"String\",\"text\":\"more than five bytes\",\"type_id\":1}}}",
        "{\"Event\":{\"kind\":0,\"metadata\":\"stdout\",\"content\":\"hi\\n\"}}",
    };
    CHECK_TRACE_JSON(d0, want_z, 8);

    /* depth_marker: the compound at the bound becomes a Raw marker */
    LOCAL_PATH(d1, "%s/marker", tmp);
    ctrec_writer_options_init(&o);
    o.copy_sources = 0;
    o.max_depth = 2;
    o.depth_marker = 1;
    CHECK_OK(ctrec_writer_open(d1, &o, &w));
    CHECK_OK(ctrec_start_z(w, "/m.x", 1));
    CHECK_OK(ctrec_variable_z(w, "deep", NULL));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "list", NULL));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "int", NULL));
    CHECK_U64(ctrec_value_depth(w), 0);
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, 1));
    CHECK_OK(ctrec_begin_sequence(w, 0, 1));
    CHECK_U64(ctrec_value_depth(w), 2);
    CHECK_OK(ctrec_begin_sequence(w, 0, 1)); /* the marker */
    CHECK_U64(ctrec_value_depth(w), 3);
    CHECK_OK(ctrec_int(w, 1, 2));            /* dropped */
    CHECK_OK(ctrec_begin_tuple(w, 1));       /* dropped */
    CHECK_OK(ctrec_string_z(w, "x", 2));     /* dropped */
    CHECK_OK(ctrec_end_tuple(w));
    CHECK_OK(ctrec_end_sequence(w));         /* the marker's end */
    CHECK_U64(ctrec_value_depth(w), 2);
    CHECK_OK(ctrec_int(w, 7, 2));
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end(w));
    CHECK_U64(ctrec_value_depth(w), 0);
    CHECK_OK(ctrec_writer_close(w));
    static const char *const want_m[] = {
        "{\"Path\":\"/m.x\"}",
        "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
        "{\"Call\":{\"function_id\":0,\"args\":[]}}",
        "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"VariableName\":\"deep\"}",
        "{\"Type\":{\"kind\":0,\"lang_type\":\"list\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Type\":{\"kind\":7,\"lang_type\":\"int\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Sequence\",\"elements\":[{\"kind\":\"Sequence\","
        "\"elements\":[{\"kind\":\"Raw\",\"r\":\"<truncated: deeper than 2 levels>\",\"type_id\":1},"
        "{\"kind\":\"Int\",\"i\":7,\"type_id\":2}],\"is_slice\":false,\"type_id\":1}],\"is_slice\":false,"
        "\"type_id\":1}}}",
    };
    CHECK_TRACE_JSON(d1, want_m, 8);
}

/* Failure 6: what ctrec.h says of SIGXFSZ. With the default options (the
 * background threads on) and SIGXFSZ at its default action, a write over
 * RLIMIT_FSIZE ends the process with SIGXFSZ; with SIGXFSZ ignored, the
 * process lives and the writer reports CTREC_E_IO. Both formats. */
static void xfsz_child(const char *dir, int bin, int ignore)
{
    if (ignore) signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {16384, 16384};
    if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(99);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.copy_sources = 0;
    o.format = bin ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON;
    o.frame_size = 4096;
    ctrec_writer *w = NULL;
    if (ctrec_writer_open(dir, &o, &w) || ctrec_start(w, S("/x"), 1)) _exit(98);
    ctrec_status st = CTREC_OK;
    for (int64_t i = 0; i < 300000 && !st; i++) st = ctrec_step(w, 0, i % 1000);
    ctrec_status cs = ctrec_writer_close(w);
    _exit((st == CTREC_E_IO || st == CTREC_E_FAILED) && cs == CTREC_E_IO ? 0 : 97);
}

static void test_sigxfsz(const char *tmp)
{
    for (int bin = 0; bin < 2; bin++) {
        for (int ignore = 0; ignore < 2; ignore++) {
            LOCAL_PATH(dir, "%s/xfsz-%d-%d", tmp, bin, ignore);
            fflush(stderr);
            pid_t pid = fork();
            if (pid == 0) xfsz_child(dir, bin, ignore);
            int status = 0;
            CHECK(waitpid(pid, &status, 0) == pid);
            if (ignore) {
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            } else {
                CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
            }
        }
    }
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    ctrec_writer_options o = test_options();
    test_returns(tmp, o);
    test_first_error(tmp, o);
    test_sizes(tmp, o);
    test_args(tmp, o);
    test_sigxfsz(tmp);
    test_friction(tmp);
    rm_rf(tmp);
    return check_done("writer_embed");
}
