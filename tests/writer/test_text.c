/*
 * test_text.c — bytes from the recorded program that are not clean text:
 * embedded NUL and invalid UTF-8 in String values, names, paths, event text
 * and every other text field. trace.json must stay parseable by python's
 * json: U+FFFD per bad byte, \u0000 for NUL, valid UTF-8 kept as is.
 * `writer_text gen json|bin DIR` writes the same for bin_check.py, whose
 * cbor2 decoder insists on valid UTF-8 text strings.
 */
#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)
#define FFFD "\xef\xbf\xbd"

/* trace.json lines, exact bytes */
static const char *const expected[] = {
    "{\"Path\":\"/t/" FFFD "\\u0000.x\"}",
    "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}",
    "{\"Call\":{\"function_id\":0,\"args\":[]}}",
    "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"Type\":{\"kind\":9,\"lang_type\":\"T" FFFD "\",\"specific_info\":{\"kind\":\"None\"}}}",
    "{\"Type\":{\"kind\":6,\"lang_type\":\"S\",\"specific_info\":{\"kind\":\"Struct\",\"fields\":"
    "[{\"name\":\"" FFFD "\\u0000\",\"type_id\":1}]}}}",
    "{\"Function\":{\"path_id\":0,\"line\":2,\"name\":\"f" FFFD "\"}}",
    "{\"Step\":{\"path_id\":0,\"line\":1}}",
    "{\"VariableName\":\"n\\u0000" FFFD "\"}",
#define V(val) "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"String\",\"text\":\"" val "\",\"type_id\":1}}}"
    V("a\\u0000b"),
    V(FFFD),
    V(FFFD FFFD),                 /* truncated 3-byte sequence */
    V(FFFD FFFD),                 /* overlong */
    V(FFFD FFFD FFFD),            /* surrogate */
    V(FFFD FFFD FFFD FFFD),       /* above U+10FFFF */
    V("ok \xe2\x82\xac \xf0\x9f\x98\x80"),
    V("\\u0001\\u001f\x7f"),
    V("\xe2\x82\xac" FFFD "\xe2\x82\xac"),
    V("\\u0000\\u0000"),
#undef V
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Struct\",\"field_values\":[{\"kind\":"
    "\"Raw\",\"r\":\"\\u0000" FFFD "\",\"type_id\":1}],\"type_id\":2}}}",
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Variant\",\"discriminator\":\"" FFFD
    "\",\"contents\":{\"kind\":\"Error\",\"msg\":\"" FFFD "\",\"type_id\":1},\"type_id\":1}}}",
    "{\"Event\":{\"kind\":0,\"metadata\":\"m" FFFD "\",\"content\":\"\\u0000" FFFD "\"}}",
    "{\"Asm\":[\"" FFFD "\",\"\\u0000\"]}",
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

/* the same events as python's json.dumps(ensure_ascii=True) prints them */
static const char *const py_expected =
    "{\"Path\":\"/t/\\ufffd\\u0000.x\"}\n"
    "{\"Function\":{\"path_id\":0,\"line\":1,\"name\":\"<toplevel>\"}}\n"
    "{\"Call\":{\"function_id\":0,\"args\":[]}}\n"
    "{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}\n"
    "{\"Type\":{\"kind\":9,\"lang_type\":\"T\\ufffd\",\"specific_info\":{\"kind\":\"None\"}}}\n"
    "{\"Type\":{\"kind\":6,\"lang_type\":\"S\",\"specific_info\":{\"kind\":\"Struct\",\"fields\":"
    "[{\"name\":\"\\ufffd\\u0000\",\"type_id\":1}]}}}\n"
    "{\"Function\":{\"path_id\":0,\"line\":2,\"name\":\"f\\ufffd\"}}\n"
    "{\"Step\":{\"path_id\":0,\"line\":1}}\n"
    "{\"VariableName\":\"n\\u0000\\ufffd\"}\n"
#define PV(val) "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"String\",\"text\":\"" val "\",\"type_id\":1}}}\n"
    PV("a\\u0000b")
    PV("\\ufffd")
    PV("\\ufffd\\ufffd")
    PV("\\ufffd\\ufffd")
    PV("\\ufffd\\ufffd\\ufffd")
    PV("\\ufffd\\ufffd\\ufffd\\ufffd")
    PV("ok \\u20ac \\ud83d\\ude00")
    PV("\\u0001\\u001f\\u007f")
    PV("\\u20ac\\ufffd\\u20ac")
    PV("\\u0000\\u0000")
#undef PV
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Struct\",\"field_values\":[{\"kind\":"
    "\"Raw\",\"r\":\"\\u0000\\ufffd\",\"type_id\":1}],\"type_id\":2}}}\n"
    "{\"Value\":{\"variable_id\":0,\"value\":{\"kind\":\"Variant\",\"discriminator\":\"\\ufffd\","
    "\"contents\":{\"kind\":\"Error\",\"msg\":\"\\ufffd\",\"type_id\":1},\"type_id\":1}}}\n"
    "{\"Event\":{\"kind\":0,\"metadata\":\"m\\ufffd\",\"content\":\"\\u0000\\ufffd\"}}\n"
    "{\"Asm\":[\"\\ufffd\",\"\\u0000\"]}\n";

static void str_value(ctrec_writer *w, const char *p, size_t n)
{
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_string(w, p, n, 1));
    CHECK_OK(ctrec_end(w));
}

static void record(ctrec_writer *w)
{
    ctrec_id id = 99;
    CHECK_OK(ctrec_start(w, S("/t/\xff\x00.x"), 1));
    CHECK_OK(ctrec_path(w, S("/t/\xff\x00.x"), &id)); /* same bytes: same path */
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_type(w, CTREC_TYPE_STRING, S("T\xfe"), &id));
    CHECK_U64(id, 1);
    ctrec_field fld = {S("\xff\x00"), 1};
    CHECK_OK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("S"), &fld, 1, &id));
    CHECK_U64(id, 2);
    CHECK_OK(ctrec_function(w, S("f\xff"), 0, 2, &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_step(w, 0, 1));
    CHECK_OK(ctrec_variable(w, S("n\x00\xc3"), &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_variable(w, S("n\x00\xc3"), &id));
    CHECK_U64(id, 0);
    str_value(w, S("a\x00" "b"));
    str_value(w, S("\xff"));
    str_value(w, S("\xe2\x82"));
    str_value(w, S("\xc0\xaf"));
    str_value(w, S("\xed\xa0\x80"));
    str_value(w, S("\xf4\x90\x80\x80"));
    str_value(w, S("ok \xe2\x82\xac \xf0\x9f\x98\x80"));
    str_value(w, S("\x01\x1f\x7f"));
    str_value(w, S("\xe2\x82\xac\xff\xe2\x82\xac"));
    str_value(w, S("\x00\x00"));
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_struct(w, 2));
    CHECK_OK(ctrec_raw(w, S("\x00\xff"), 1));
    CHECK_OK(ctrec_end_struct(w));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_variant(w, S("\x80"), 1));
    CHECK_OK(ctrec_error(w, S("\xc3"), 1));
    CHECK_OK(ctrec_end_variant(w));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_event(w, CTREC_EVENT_WRITE, S("m\xff"), S("\x00\xfe")));
    ctrec_str ins[2] = {{S("\xff")}, {S("\x00")}};
    CHECK_OK(ctrec_asm(w, ins, 2));
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen")) { /* generator for bin_check.py */
        ctrec_writer_options o;
        ctrec_writer_options_init(&o);
        if (!strcmp(argv[2], "bin")) o.format = CTREC_FORMAT_BIN;
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(argv[3], &o, &w));
        record(w);
        CHECK_OK(ctrec_writer_close(w));
        return check_done("writer_text gen");
    }
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    LOCAL_PATH(dir, "%s/trace", tmp);
    ctrec_writer_options o;
    ctrec_writer_options_init(&o); /* copy_sources on: these paths must be harmless */
    ctrec_writer *w = NULL;
    CHECK_OK(ctrec_writer_open(dir, &o, &w));
    record(w);
    CHECK_U64(ctrec_writer_event_count(w), NEXPECTED);
    CHECK_OK(ctrec_writer_close(w));

    CHECK_TRACE_JSON(dir, expected, NEXPECTED);
    char *paths = read_file(pathf("%s/trace_paths.json", dir), NULL);
    CHECK_STR(paths, "[\"/t/" FFFD "\\u0000.x\"]\n");
    free(paths);
    LOCAL_PATH(pyexp, "%s/expected.txt", tmp);
    CHECK(write_text_file(pyexp, py_expected) == 0);
    CHECK_PY(dir, (long)NEXPECTED, pyexp);
    CHECK(!path_exists(pathf("%s/files/t", dir)));

    rm_rf(tmp);
    return check_done("writer_text");
}
