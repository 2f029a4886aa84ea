/*
 * test_ref47.c — the Rust reference writer's test_simple_trace script
 * (codetracer_trace_writer/src/lib.rs) driven through the C API: exactly 47
 * events, in the reference order, with the exact JSON text.
 */
#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const char *const expected[] = {
    /* start("/test/path.small", 1) */
    "{\"Path\":\"/test/path.small\"}",
    "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
    "{\"Call\":{\"function_id\":0,\"args\":[]}}",
    "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
    /* 5 */
    "{\"Step\":{\"path_id\":0,\"line\":1}}",
    "{\"Step\":{\"path_id\":0,\"line\":2}}",
    "{\"Asm\":[\"asm0\",\"asm1\"]}",
    "{\"Event\":{\"kind\":0,\"metadata\":\"\",\"content\":\"test\"}}",
    "{\"Event\":{\"kind\":0,\"metadata\":\"\",\"content\":\"test2\"}}",
    /* 10 */
    "{\"Event\":{\"kind\":11,\"metadata\":\"\",\"content\":\"testError\"}}",
    "{\"Function\":{\"path_id\":0,\"line\":3,\"name\":\"function\"}}",
    "{\"Step\":{\"path_id\":0,\"line\":3}}",
    "\"DropLastStep\"",
    "{\"VariableName\":\"a\"}",
    /* 15 */
    "{\"VariableName\":\"b\"}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"Value\":{\"variable_id\":1,\"value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"Step\":{\"path_id\":0,\"line\":3}}",
    "{\"Call\":{\"function_id\":1,\"args\":[{\"variable_id\":0,\"value\":{\"kind\":\"None\","
    "\"type_id\":0}},{\"variable_id\":1,\"value\":{\"kind\":\"None\",\"type_id\":0}}]}}",
    /* 20 */
    "{\"Type\":{\"kind\":7,\"lang_type\":\"Int\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"VariableName\":\"test_variable\"}",
    "{\"Value\":{\"variable_id\":2,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":1}}}",
    "{\"VariableName\":\"test_variable2\"}",
    "{\"Value\":{\"variable_id\":3,\"value\":{\"kind\":\"Error\",\"msg\":\"not supported\","
    "\"type_id\":0}}}",
    /* 25 */
    "{\"CellValue\":{\"place\":0,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":1}}}",
    "{\"Type\":{\"kind\":0,\"lang_type\":\"Vector<Int>\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"CompoundValue\":{\"place\":1,\"value\":{\"kind\":\"Sequence\",\"elements\":[{\"kind\":"
    "\"Cell\",\"place\":0}],\"is_slice\":false,\"type_id\":2}}}",
    "{\"VariableName\":\"test_variable3\"}",
    "{\"VariableCell\":{\"variable_id\":4,\"place\":1}}",
    /* 30 */
    "{\"AssignCell\":{\"place\":1,\"new_value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":1}}}",
    "{\"CellValue\":{\"place\":2,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":1}}}",
    "{\"AssignCompoundItem\":{\"place\":0,\"index\":0,\"item_place\":2}}",
    "{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}",
    "{\"DropVariable\":4}",
    /* 35 */
    "{\"VariableName\":\"variable1\"}",
    "{\"BindVariable\":{\"variable_id\":5,\"place\":1}}",
    "{\"VariableName\":\"variable2\"}",
    "{\"BindVariable\":{\"variable_id\":6,\"place\":2}}",
    "{\"VariableName\":\"variable3\"}",
    /* 40 */
    "{\"BindVariable\":{\"variable_id\":7,\"place\":3}}",
    "{\"Value\":{\"variable_id\":5,\"value\":{\"kind\":\"Int\",\"i\":1,\"type_id\":1}}}",
    "{\"Value\":{\"variable_id\":6,\"value\":{\"kind\":\"Int\",\"i\":2,\"type_id\":1}}}",
    "{\"Value\":{\"variable_id\":7,\"value\":{\"kind\":\"Int\",\"i\":3,\"type_id\":1}}}",
    "{\"Assignment\":{\"to\":5,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Simple\",\"0\":6}}}",
    /* 45 */
    "{\"Assignment\":{\"to\":5,\"pass_by\":\"Value\",\"from\":{\"kind\":\"Compound\",\"0\":[6,7]}}}",
    "{\"Type\":{\"kind\":23,\"lang_type\":\"MyReference<Int>\",\"specific_info\":{\"kind\":"
    "\"Pointer\",\"dereference_type_id\":1}}}",
    "{\"DropVariables\":[5,6,7]}",
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

/* register_variable_with_full_value(name, Int i) */
static void full_int(ctrec_writer *w, const char *name, int64_t i, ctrec_id int_t)
{
    CHECK_OK(ctrec_begin_value_named(w, name, strlen(name)));
    CHECK_OK(ctrec_int(w, i, int_t));
    CHECK_OK(ctrec_end(w));
}

static void script(ctrec_writer *w)
{
    const char *path = "/test/path.small";
    size_t pn = strlen(path);
    CHECK_OK(ctrec_start(w, path, pn, 1));
    CHECK_U64(ctrec_writer_event_count(w), 4);
    CHECK_OK(ctrec_step_path(w, path, pn, 1));
    CHECK_OK(ctrec_step_path(w, path, pn, 2));
    ctrec_str ins[2] = {{S("asm0")}, {S("asm1")}};
    CHECK_OK(ctrec_asm(w, ins, 2));
    CHECK_OK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, S("test")));
    CHECK_OK(ctrec_event(w, CTREC_EVENT_WRITE, "", 0, S("test2")));
    CHECK_OK(ctrec_event(w, CTREC_EVENT_ERROR, "", 0, S("testError")));

    ctrec_id path_id = 99, fn = 99;
    CHECK_OK(ctrec_path(w, path, pn, &path_id));
    CHECK_U64(path_id, 0);
    CHECK_OK(ctrec_function(w, S("function"), path_id, 3, &fn));
    CHECK_U64(fn, 1);

    uint64_t before = ctrec_writer_event_count(w);
    CHECK_OK(ctrec_step_path(w, path, pn, 3));
    CHECK_OK(ctrec_drop_last_step(w));
    CHECK_U64(ctrec_writer_event_count(w), before + 2);

    /* args a, b = None: arg() interns the names first */
    ctrec_id a = 99, b = 99;
    CHECK_OK(ctrec_variable(w, S("a"), &a));
    CHECK_OK(ctrec_variable(w, S("b"), &b));
    CHECK_U64(a, 0);
    CHECK_U64(b, 1);
    CHECK_OK(ctrec_begin_call(w, fn));
    CHECK_OK(ctrec_arg(w, a));
    CHECK_OK(ctrec_none(w, 0));
    CHECK_OK(ctrec_arg(w, b));
    CHECK_OK(ctrec_none(w, 0));
    CHECK_OK(ctrec_end(w));
    CHECK_U64(ctrec_writer_event_count(w), 19);

    ctrec_id int_t = 99, again = 99;
    CHECK_OK(ctrec_type(w, CTREC_TYPE_INT, S("Int"), &int_t));
    CHECK_U64(int_t, 1);
    CHECK_OK(ctrec_type(w, CTREC_TYPE_INT, S("Int"), &again)); /* int_value_2, _3 */
    CHECK_U64(again, 1);
    CHECK_U64(ctrec_writer_event_count(w), 20);

    full_int(w, "test_variable", 1, int_t);
    CHECK_OK(ctrec_begin_value_named(w, S("test_variable2")));
    CHECK_OK(ctrec_error(w, S("not supported"), 0));
    CHECK_OK(ctrec_end(w));

    CHECK_OK(ctrec_begin_cell_value(w, 0));
    CHECK_OK(ctrec_int(w, 1, int_t));
    CHECK_OK(ctrec_end(w));
    ctrec_id vec_t = 99;
    CHECK_OK(ctrec_type(w, CTREC_TYPE_SEQ, S("Vector<Int>"), &vec_t));
    CHECK_U64(vec_t, 2);
    CHECK_OK(ctrec_begin_compound_value(w, 1));
    CHECK_OK(ctrec_begin_sequence(w, 0, vec_t));
    CHECK_OK(ctrec_cell(w, 0));
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end(w));

    ctrec_id v3 = 99;
    CHECK_OK(ctrec_variable(w, S("test_variable3"), &v3)); /* register_variable */
    CHECK_U64(v3, 4);
    CHECK_OK(ctrec_variable_cell(w, v3, 1));
    CHECK_OK(ctrec_begin_assign_cell(w, 1));
    CHECK_OK(ctrec_int(w, 2, int_t));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_begin_cell_value(w, 2));
    CHECK_OK(ctrec_int(w, 2, int_t));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_assign_compound_item(w, 0, 0, 2));

    CHECK_OK(ctrec_begin_return(w));
    CHECK_OK(ctrec_none(w, 0));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_variable(w, S("test_variable3"), &v3)); /* drop_variable by name */
    CHECK_OK(ctrec_drop_variable(w, v3));

    ctrec_id v[3];
    const char *names[3] = {"variable1", "variable2", "variable3"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(ctrec_variable(w, names[i], strlen(names[i]), &v[i]));
        CHECK_U64(v[i], 5 + i);
        CHECK_OK(ctrec_bind_variable(w, v[i], i + 1));
    }
    for (int i = 0; i < 3; i++) full_int(w, names[i], i + 1, int_t);

    CHECK_OK(ctrec_assign(w, v[0], CTREC_PASS_BY_VALUE, 0, &v[1], 1));
    CHECK_OK(ctrec_assign(w, v[0], CTREC_PASS_BY_VALUE, 1, &v[1], 2));

    uint64_t n = ctrec_writer_event_count(w);
    CHECK_OK(ctrec_type(w, CTREC_TYPE_INT, S("Int"), &again)); /* exists: no event */
    CHECK_U64(again, int_t);
    CHECK_U64(ctrec_writer_event_count(w), n);
    ctrec_id ref_t = 99;
    CHECK_OK(ctrec_type_pointer(w, CTREC_TYPE_POINTER, S("MyReference<Int>"), int_t, &ref_t));
    CHECK_U64(ref_t, 3);

    CHECK_OK(ctrec_drop_variables(w, v, 3));
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);

    ctrec_writer_options o = test_options();
    o.program = "path.small";
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    script(w);
    CHECK_U64(ctrec_writer_event_count(w), 47);
    CHECK_U64(ctrec_path_count(w), 1);
    CHECK_U64(ctrec_function_count(w), 2);
    CHECK_U64(ctrec_type_count(w), 4);
    CHECK_U64(ctrec_variable_count(w), 8);
    CHECK_ST(ctrec_writer_status(w), CTREC_OK);
    CHECK_STR(ctrec_writer_errmsg(w), "");
    CHECK_OK(ctrec_writer_close(w));

    CHECK(NEXPECTED == 47);
    CHECK_TRACE_JSON(dir, expected, NEXPECTED);
    CHECK_PY(dir, 47, NULL);

    /* The same script in trace.bin counts 47 events too. */
    LOCAL_PATH(bdir, "%s/trace-bin", tmp);
    o.format = CTREC_FORMAT_BIN;
    CHECK_OK(ctrec_writer_open(bdir, &o, &w));
    script(w);
    CHECK_U64(ctrec_writer_event_count(w), 47);
    CHECK_OK(ctrec_writer_close(w));
    CHECK(path_exists(pathf("%s/trace.bin", bdir)));
    CHECK(!path_exists(pathf("%s/trace.json", bdir)));
    CHECK_BIN("count", bdir, 47);

    rm_rf(tmp);
    return check_done("writer_ref47");
}
