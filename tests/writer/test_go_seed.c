/*
 * test_go_seed.c — the Go seed's trace_record test scenario through the C
 * API, without ctrec_start: explicit paths, an Int type as id 0, a
 * top-level call (Function + Call only), then a call with an argument, which
 * gets the reference's argument Value and definition-line Step before the
 * Call.
 */
#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const char *const expected[] = {
    "{\"Path\":\"/home/alexander92/example_workdir/path0.txt\"}",
    "{\"Path\":\"/home/alexander92/example_workdir/path1.txt\"}",
    "{\"Type\":{\"kind\":7,\"lang_type\":\"Int\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"Function\":{\"path_id\":0,\"line\":0,\"name\":\"<toplevel>\"}}",
    "{\"Call\":{\"function_id\":0,\"args\":[]}}",
    "{\"Step\":{\"path_id\":0,\"line\":1}}",
    "{\"VariableName\":\"a\"}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":0}}}",
    "{\"Function\":{\"path_id\":1,\"line\":1,\"name\":\"example\"}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":0}}}",
    "{\"Step\":{\"path_id\":1,\"line\":1}}",
    ("{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":0,\"value\":{\"kind\":\"Int\","
     "\"i\":1,\"type_id\":0}}]}}"),
    "{\"Event\":{\"kind\":2,\"metadata\":\"write_bytes: #52\",\"content\":\"0000x\"}}",
    "{\"Return\":{\"return_value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":0}}}",
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);

    ctrec_writer_options o;
    ctrec_writer_options_init(&o); /* copy_sources on: these paths do not exist */
    o.program = "example";
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));

    ctrec_id p0 = 9, p1 = 9, int_t = 9, top = 9, example = 9, a = 9;
    CHECK_OK(ctrec_path_new(w, S("/home/alexander92/example_workdir/path0.txt"), &p0));
    CHECK_OK(ctrec_path_new(w, S("/home/alexander92/example_workdir/path1.txt"), &p1));
    CHECK_U64(p0, 0);
    CHECK_U64(p1, 1);
    CHECK_OK(ctrec_type_new(w, CTREC_TYPE_INT, S("Int"), &int_t));
    CHECK_U64(int_t, 0);
    CHECK_OK(ctrec_function(w, S("<toplevel>"), p0, 0, &top));
    CHECK_U64(top, 0);
    CHECK_OK(ctrec_call(w, top));
    CHECK_OK(ctrec_step(w, p0, 1));
    CHECK_OK(ctrec_variable_int(w, S("a"), 1, int_t));
    CHECK_OK(ctrec_function(w, S("example"), p1, 1, &example));
    CHECK_U64(example, 1);
    CHECK_OK(ctrec_begin_call(w, example));
    CHECK_OK(ctrec_arg_named(w, S("a")));
    CHECK_OK(ctrec_int(w, 1, int_t));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_variable(w, S("a"), &a));
    CHECK_U64(a, 0);
    CHECK_OK(ctrec_event(w, CTREC_EVENT_WRITE_OTHER, S("write_bytes: #52"), S("0000x")));
    CHECK_OK(ctrec_begin_return(w));
    CHECK_OK(ctrec_int(w, 1, int_t));
    CHECK_OK(ctrec_end(w));
    CHECK_U64(ctrec_writer_event_count(w), NEXPECTED);
    CHECK_OK(ctrec_writer_close(w));

    CHECK_TRACE_JSON(dir, expected, NEXPECTED);
    CHECK_PY(dir, (long)NEXPECTED, NULL);
    size_t n;
    char *paths = read_file(pathf("%s/trace_paths.json", dir), &n);
    CHECK_STR(paths, "[\"/home/alexander92/example_workdir/path0.txt\","
                     "\"/home/alexander92/example_workdir/path1.txt\"]\n");
    free(paths);
    /* the sources do not exist: files/ has nothing */
    CHECK(!path_exists(pathf("%s/files/home", dir)));

    rm_rf(tmp);
    return check_done("writer_go_seed");
}
