/*
 * test_events.c — every event variant and every ValueRecord kind, against
 * the exact JSON text, with the default options and with small buffers and
 * no background threads. The same recording is written as trace.bin by
 * `writer_events gen bin DIR` (`gen bin1 DIR`: no compression thread, zstd
 * level 19) and as JSON by `gen json DIR`, which bin_check.py decodes
 * independently and compares with the JSON.
 *
 * Expected lines are written with ' for " (converted at run time) to keep
 * them readable.
 */
#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* ---- expected lines ---- */

static char *exp_lines[512];
static size_t nexp;

static void E(const char *q)
{
    char *s = malloc(strlen(q) + 1);
    size_t i = 0;
    for (; q[i]; i++) s[i] = q[i] == '\'' ? '"' : q[i];
    s[i] = 0;
    exp_lines[nexp++] = s;
}

/* {"kind":"Int","i":k,"type_id":1} for k in [0, n), comma-separated */
static void ints_json(char *out, int n)
{
    size_t w = 0;
    for (int k = 0; k < n; k++)
        w += (size_t)sprintf(out + w, "%s{'kind':'Int','i':%d,'type_id':1}", k ? "," : "", k);
}

static void expected_events(void)
{
    static char big[8192], line[9000];
    E("{'Path':'/src/main.x'}");
    E("{'Function':{'path_id':0,'line':1,'name':'<toplevel>'}}");
    E("{'Call':{'function_id':0,'args':[]}}");
    E("{'Type':{'kind':30,'lang_type':'None','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':7,'lang_type':'i64','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':8,'lang_type':'f64','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':12,'lang_type':'bool','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':9,'lang_type':'str','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':0,'lang_type':'seq','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':27,'lang_type':'tup','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':6,'lang_type':'Point','specific_info':{'kind':'Struct','fields':"
      "[{'name':'x','type_id':1},{'name':'y','type_id':2}]}}}");
    E("{'Type':{'kind':28,'lang_type':'Option','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':14,'lang_type':'&i64','specific_info':{'kind':'Pointer',"
      "'dereference_type_id':1}}}");
    E("{'Type':{'kind':16,'lang_type':'raw','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':11,'lang_type':'char','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':33,'lang_type':'BigInt','specific_info':{'kind':'None'}}}");
    E("{'Type':{'kind':6,'lang_type':'Unit','specific_info':{'kind':'Struct','fields':[]}}}");
    E("{'Step':{'path_id':0,'line':1}}");
    E("{'VariableName':'v'}");
#define V(val) E("{'Value':{'variable_id':0,'value':" val "}}")
    V("{'kind':'Int','i':42,'type_id':1}");
    V("{'kind':'Int','i':-9223372036854775808,'type_id':1}");
    V("{'kind':'Int','i':9223372036854775807,'type_id':1}");
    V("{'kind':'Float','f':'2.5','type_id':2}");
    V("{'kind':'Float','f':'-inf','type_id':2}");
    V("{'kind':'Float','f':'1e300','type_id':2}");
    V("{'kind':'Bool','b':true,'type_id':3}");
    V("{'kind':'Bool','b':false,'type_id':3}");
    V("{'kind':'String','text':'hi \\'q\\' \\\\ \\n\\t\\u0001','type_id':4}");
    V("{'kind':'String','text':'','type_id':4}");
    V("{'kind':'Sequence','elements':[{'kind':'Int','i':1,'type_id':1},"
      "{'kind':'Int','i':2,'type_id':1}],'is_slice':false,'type_id':5}");
    V("{'kind':'Sequence','elements':[],'is_slice':true,'type_id':5}");
    ints_json(big, 30);
    snprintf(line, sizeof line,
             "{'Value':{'variable_id':0,'value':{'kind':'Sequence','elements':[%s],"
             "'is_slice':false,'type_id':5}}}",
             big);
    E(line);
    V("{'kind':'Tuple','elements':[{'kind':'Int','i':1,'type_id':1},"
      "{'kind':'String','text':'a','type_id':4}],'type_id':6}");
    V("{'kind':'Struct','field_values':[{'kind':'Int','i':3,'type_id':1},"
      "{'kind':'Float','f':'0.5','type_id':2}],'type_id':7}");
    V("{'kind':'Struct','field_values':[],'type_id':13}");
    V("{'kind':'Variant','discriminator':'Some','contents':{'kind':'Int','i':5,'type_id':1},"
      "'type_id':8}");
    V("{'kind':'Reference','dereferenced':{'kind':'Int','i':7,'type_id':1},"
      "'address':18446744073709551615,'mutable':true,'type_id':9}");
    V("{'kind':'Reference','dereferenced':{'kind':'None','type_id':0},"
      "'address':0,'mutable':false,'type_id':9}");
    V("{'kind':'Raw','r':'0xdead','type_id':10}");
    V("{'kind':'Error','msg':'boom','type_id':0}");
    V("{'kind':'None','type_id':0}");
    V("{'kind':'Cell','place':-3}");
    V("{'kind':'BigInt','b':'AQA=','negative':false,'type_id':12}");
    V("{'kind':'BigInt','b':'/w==','negative':true,'type_id':12}");
    V("{'kind':'BigInt','b':'AQID','negative':false,'type_id':12}");
    V("{'kind':'BigInt','b':'','negative':false,'type_id':12}");
    V("{'kind':'Char','c':'x','type_id':11}");
    V("{'kind':'Char','c':'\xc3\xa9','type_id':11}");
    V("{'kind':'Char','c':'\xf0\x9f\x98\x80','type_id':11}");
    V("{'kind':'Sequence','elements':[{'kind':'Tuple','elements':[{'kind':'Struct',"
      "'field_values':[{'kind':'Int','i':-1,'type_id':1},{'kind':'Float','f':'-0','type_id':2}],"
      "'type_id':7},{'kind':'Variant','discriminator':'None','contents':{'kind':'None',"
      "'type_id':0},'type_id':8}],'type_id':6},{'kind':'Reference','dereferenced':{'kind':"
      "'Sequence','elements':[],'is_slice':false,'type_id':5},'address':4096,'mutable':false,"
      "'type_id':9}],'is_slice':false,'type_id':5}");
    V("{'kind':'String','text':'bad \xef\xbf\xbd\xef\xbf\xbd end','type_id':4}");
#undef V
    E("{'Asm':['mov r1, r2','']}");
    E("{'Asm':[]}");
    E("{'BindVariable':{'variable_id':0,'place':7}}");
    E("{'Assignment':{'to':0,'pass_by':'Reference','from':{'kind':'Simple','0':0}}}");
    E("{'Assignment':{'to':0,'pass_by':'Value','from':{'kind':'Compound','0':[]}}}");
    E("{'DropVariables':[0]}");
    E("{'DropVariables':[]}");
    E("{'CompoundValue':{'place':5,'value':{'kind':'Sequence','elements':[{'kind':'Cell',"
      "'place':1},{'kind':'Cell','place':2}],'is_slice':false,'type_id':5}}}");
    E("{'CellValue':{'place':1,'value':{'kind':'Int','i':10,'type_id':1}}}");
    E("{'AssignCompoundItem':{'place':5,'index':1,'item_place':3}}");
    E("{'AssignCell':{'place':3,'new_value':{'kind':'String','text':'z','type_id':4}}}");
    E("{'VariableCell':{'variable_id':0,'place':3}}");
    E("{'DropVariable':0}");
    E("{'ThreadStart':1}");
    E("{'ThreadSwitch':18446744073709551615}");
    E("{'ThreadExit':1}");
    E("'DropLastStep'");
    E("{'Event':{'kind':13,'metadata':'m','content':'c'}}");
    E("{'Event':{'kind':4,'metadata':'/etc/x','content':'line\\n'}}");
    E("{'Step':{'path_id':0,'line':0}}");
    E("{'Step':{'path_id':0,'line':1000000}}");
    E("{'Function':{'path_id':0,'line':0,'name':'f'}}");
    E("{'VariableName':'w'}");
    ints_json(big, 25);
    snprintf(line, sizeof line,
             "{'Value':{'variable_id':0,'value':{'kind':'Sequence','elements':[%s],"
             "'is_slice':false,'type_id':5}}}",
             big);
    E(line);
    E("{'Value':{'variable_id':1,'value':{'kind':'Bool','b':true,'type_id':3}}}");
    E("{'Step':{'path_id':0,'line':0}}");
    snprintf(line, sizeof line,
             "{'Call':{'function_id':1,'args':[{'variable_id':0,'value':{'kind':'Sequence',"
             "'elements':[%s],'is_slice':false,'type_id':5}},{'variable_id':1,'value':"
             "{'kind':'Bool','b':true,'type_id':3}}]}}",
             big);
    E(line);
    E("{'Return':{'return_value':{'kind':'Int','i':0,'type_id':1}}}");
    E("{'Return':{'return_value':{'kind':'None','type_id':0}}}");
    E("{'Step':{'path_id':0,'line':0}}");
    E("{'Call':{'function_id':1,'args':[]}}");
    E("{'Return':{'return_value':{'kind':'None','type_id':0}}}");

    /* sizes past the short CBOR heads and past the output buffer */
    static char seq300[300 * 40], huge[70100];
    ints_json(seq300, 300);
    char *l = malloc(strlen(seq300) + 200);
    sprintf(l, "{'Value':{'variable_id':0,'value':{'kind':'Sequence','elements':[%s],"
               "'is_slice':false,'type_id':5}}}", seq300);
    E(l);
    free(l);
    memset(huge, 'h', 70000);
    huge[70000] = 0;
    l = malloc(70200);
    sprintf(l, "{'Value':{'variable_id':0,'value':{'kind':'String','text':'%s','type_id':4}}}", huge);
    E(l);
    free(l);
    /* a call with 20 arguments */
    char args[4096];
    size_t k = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(line, sizeof line, "{'Value':{'variable_id':%d,'value':{'kind':'Int','i':%d,'type_id':1}}}",
                 i % 2, i);
        E(line);
        k += (size_t)sprintf(args + k, "%s{'variable_id':%d,'value':{'kind':'Int','i':%d,'type_id':1}}",
                             i ? "," : "", i % 2, i);
    }
    E("{'Step':{'path_id':0,'line':0}}");
    snprintf(line, sizeof line, "{'Call':{'function_id':1,'args':[%s]}}", args);
    E(line);
}

/* ---- the recording ---- */

#define VAL(w, body)                           \
    do {                                       \
        CHECK_OK(ctrec_begin_value((w), 0));   \
        body;                                  \
        CHECK_OK(ctrec_end(w));                \
    } while (0)

static void ints(ctrec_writer *w, int n)
{
    for (int k = 0; k < n; k++) CHECK_OK(ctrec_int(w, k, 1));
}

static void record_all(ctrec_writer *w)
{
    ctrec_id id = 99;
    CHECK_OK(ctrec_start(w, S("/src/main.x"), 1));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_INT, S("i64"), &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_type(w, CTREC_TYPE_FLOAT, S("f64"), &id));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_BOOL, S("bool"), &id));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_STRING, S("str"), &id));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_SEQ, S("seq"), &id));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_TUPLE, S("tup"), &id));
    CHECK_U64(id, 6);
    ctrec_field fields[2] = {{S("x"), 1}, {S("y"), 2}};
    CHECK_OK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Point"), fields, 2, &id));
    CHECK_U64(id, 7);
    CHECK_OK(ctrec_type(w, CTREC_TYPE_VARIANT, S("Option"), &id));
    CHECK_OK(ctrec_type_pointer(w, CTREC_TYPE_REF, S("&i64"), 1, &id));
    CHECK_U64(id, 9);
    CHECK_OK(ctrec_type(w, CTREC_TYPE_RAW, S("raw"), &id));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_CHAR, S("char"), &id));
    CHECK_OK(ctrec_type(w, CTREC_TYPE_SLICE, S("BigInt"), &id));
    CHECK_U64(id, 12);
    CHECK_OK(ctrec_type_struct(w, CTREC_TYPE_STRUCT, S("Unit"), NULL, 0, &id));
    CHECK_U64(id, 13);
    CHECK_OK(ctrec_step(w, 0, 1));
    CHECK_OK(ctrec_variable(w, S("v"), &id));
    CHECK_U64(id, 0);

    VAL(w, CHECK_OK(ctrec_int(w, 42, 1)));
    VAL(w, CHECK_OK(ctrec_int(w, INT64_MIN, 1)));
    VAL(w, CHECK_OK(ctrec_int(w, INT64_MAX, 1)));
    VAL(w, CHECK_OK(ctrec_float(w, 2.5, 2)));
    VAL(w, CHECK_OK(ctrec_float(w, -1.0 / 0.0, 2)));
    VAL(w, CHECK_OK(ctrec_float(w, 1e300, 2)));
    VAL(w, CHECK_OK(ctrec_bool(w, 7, 3))); /* any non-zero is true */
    VAL(w, CHECK_OK(ctrec_bool(w, 0, 3)));
    VAL(w, CHECK_OK(ctrec_string(w, S("hi \"q\" \\ \n\t\x01"), 4)));
    VAL(w, CHECK_OK(ctrec_string(w, NULL, 0, 4)));
    VAL(w, {
        CHECK_OK(ctrec_begin_sequence(w, 0, 5));
        CHECK_OK(ctrec_int(w, 1, 1));
        CHECK_OK(ctrec_int(w, 2, 1));
        CHECK_OK(ctrec_end_sequence(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_sequence(w, 1, 5));
        CHECK_OK(ctrec_end_sequence(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_sequence(w, 0, 5));
        ints(w, 30);
        CHECK_OK(ctrec_end_sequence(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_tuple(w, 6));
        CHECK_OK(ctrec_int(w, 1, 1));
        CHECK_OK(ctrec_string(w, S("a"), 4));
        CHECK_OK(ctrec_end_tuple(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_struct(w, 7));
        CHECK_OK(ctrec_int(w, 3, 1));
        CHECK_OK(ctrec_float(w, 0.5, 2));
        CHECK_OK(ctrec_end_struct(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_struct(w, 13));
        CHECK_OK(ctrec_end_struct(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_variant(w, S("Some"), 8));
        CHECK_OK(ctrec_int(w, 5, 1));
        CHECK_OK(ctrec_end_variant(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_reference(w, UINT64_MAX, 1, 9));
        CHECK_OK(ctrec_int(w, 7, 1));
        CHECK_OK(ctrec_end_reference(w));
    });
    VAL(w, {
        CHECK_OK(ctrec_begin_reference(w, 0, 0, 9));
        CHECK_OK(ctrec_none(w, 0));
        CHECK_OK(ctrec_end_reference(w));
    });
    VAL(w, CHECK_OK(ctrec_raw(w, S("0xdead"), 10)));
    VAL(w, CHECK_OK(ctrec_error(w, S("boom"), 0)));
    VAL(w, CHECK_OK(ctrec_none(w, 0)));
    VAL(w, CHECK_OK(ctrec_cell(w, -3)));
    static const uint8_t m1[] = {0x01, 0x00}, m2[] = {0xff}, m3[] = {1, 2, 3};
    VAL(w, CHECK_OK(ctrec_bigint(w, m1, 2, 0, 12)));
    VAL(w, CHECK_OK(ctrec_bigint(w, m2, 1, 1, 12)));
    VAL(w, CHECK_OK(ctrec_bigint(w, m3, 3, 0, 12)));
    VAL(w, CHECK_OK(ctrec_bigint(w, NULL, 0, 0, 12)));
    VAL(w, CHECK_OK(ctrec_char(w, S("x"), 11)));
    VAL(w, CHECK_OK(ctrec_char(w, S("\xc3\xa9"), 11)));
    VAL(w, CHECK_OK(ctrec_char(w, S("\xf0\x9f\x98\x80"), 11)));
    VAL(w, {
        CHECK_OK(ctrec_begin_sequence(w, 0, 5));
        CHECK_OK(ctrec_begin_tuple(w, 6));
        CHECK_OK(ctrec_begin_struct(w, 7));
        CHECK_OK(ctrec_int(w, -1, 1));
        CHECK_OK(ctrec_float(w, -0.0, 2));
        CHECK_OK(ctrec_end_struct(w));
        CHECK_OK(ctrec_begin_variant(w, S("None"), 8));
        CHECK_OK(ctrec_none(w, 0));
        CHECK_OK(ctrec_end_variant(w));
        CHECK_OK(ctrec_end_tuple(w));
        CHECK_OK(ctrec_begin_reference(w, 4096, 0, 9));
        CHECK_OK(ctrec_begin_sequence(w, 0, 5));
        CHECK_OK(ctrec_end_sequence(w));
        CHECK_OK(ctrec_end_reference(w));
        CHECK_OK(ctrec_end_sequence(w));
    });
    VAL(w, CHECK_OK(ctrec_string(w, S("bad \xff\xfe end"), 4)));

    ctrec_str ins[2] = {{S("mov r1, r2")}, {NULL, 0}};
    CHECK_OK(ctrec_asm(w, ins, 2));
    CHECK_OK(ctrec_asm(w, NULL, 0));
    CHECK_OK(ctrec_bind_variable(w, 0, 7));
    ctrec_id v0 = 0;
    CHECK_OK(ctrec_assign(w, 0, CTREC_PASS_BY_REFERENCE, 0, &v0, 1));
    CHECK_OK(ctrec_assign(w, 0, CTREC_PASS_BY_VALUE, 1, NULL, 0));
    CHECK_OK(ctrec_drop_variables(w, &v0, 1));
    CHECK_OK(ctrec_drop_variables(w, NULL, 0));
    CHECK_OK(ctrec_begin_compound_value(w, 5));
    CHECK_OK(ctrec_begin_sequence(w, 0, 5));
    CHECK_OK(ctrec_cell(w, 1));
    CHECK_OK(ctrec_cell(w, 2));
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_begin_cell_value(w, 1));
    CHECK_OK(ctrec_int(w, 10, 1));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_assign_compound_item(w, 5, 1, 3));
    CHECK_OK(ctrec_begin_assign_cell(w, 3));
    CHECK_OK(ctrec_string(w, S("z"), 4));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_variable_cell(w, 0, 3));
    CHECK_OK(ctrec_drop_variable(w, 0));
    CHECK_OK(ctrec_thread_start(w, 1));
    CHECK_OK(ctrec_thread_switch(w, UINT64_MAX));
    CHECK_OK(ctrec_thread_exit(w, 1));
    CHECK_OK(ctrec_drop_last_step(w));
    CHECK_OK(ctrec_event(w, CTREC_EVENT_EVM, S("m"), S("c")));
    CHECK_OK(ctrec_event(w, CTREC_EVENT_READ_FILE, S("/etc/x"), S("line\n")));
    CHECK_ST(ctrec_step(w, 0, -5), CTREC_E_ARG); /* lines are never negative */
    CHECK_OK(ctrec_step(w, 0, 0));
    CHECK_OK(ctrec_step(w, 0, 1000000));

    ctrec_id f = 99;
    CHECK_OK(ctrec_function(w, S("f"), 0, 0, &f));
    CHECK_U64(f, 1);
    CHECK_OK(ctrec_begin_call(w, f));
    CHECK_OK(ctrec_arg(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, 5));
    ints(w, 25);
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_arg_named(w, S("w"))); /* its VariableName lands before the call */
    CHECK_OK(ctrec_bool(w, 1, 3));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_begin_return(w));
    CHECK_OK(ctrec_int(w, 0, 1));
    CHECK_OK(ctrec_end(w));
    CHECK_OK(ctrec_return_none(w, 0)); /* the same as the three calls below */
    CHECK_OK(ctrec_call(w, f)); /* a Return needs an open call */
    CHECK_OK(ctrec_begin_return(w));
    CHECK_OK(ctrec_none(w, 0));
    CHECK_OK(ctrec_end(w));

    VAL(w, {
        CHECK_OK(ctrec_begin_sequence(w, 0, 5));
        ints(w, 300);
        CHECK_OK(ctrec_end_sequence(w));
    });
    char *huge = malloc(70000);
    memset(huge, 'h', 70000);
    VAL(w, CHECK_OK(ctrec_string(w, huge, 70000, 4)));
    free(huge);
    CHECK_OK(ctrec_begin_call(w, f));
    for (int i = 0; i < 20; i++) {
        CHECK_OK(ctrec_arg(w, (ctrec_id)(i % 2)));
        CHECK_OK(ctrec_int(w, i, 1));
    }
    CHECK_OK(ctrec_end(w));
}

/* variant 0: defaults; 1: small buffers, no background threads, zstd 19 */
static ctrec_writer_options gen_options(int bin, int variant)
{
    ctrec_writer_options o = test_options();
    o.program = "main.x";
    if (bin) {
        o.format = CTREC_FORMAT_BIN;
        o.frame_size = 1024; /* several frames */
    }
    if (variant) {
        o.buffer_size = 1024;
        o.io_thread = 0;
        o.compress_thread = 0;
        o.zstd_level = 19;
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen")) {
        /* generator for bin_check.py */
        ctrec_writer_options o = gen_options(!strncmp(argv[2], "bin", 3), strchr(argv[2], '1') != NULL);
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(argv[3], &o, &w));
        record_all(w);
        CHECK_OK(ctrec_writer_close(w));
        return check_done("writer_events gen");
    }
    check_init(argc, argv);
    expected_events();

    char tmp[64];
    make_tmpdir(tmp);
    ctrec_writer_options o;
    ctrec_writer *w = NULL;
    for (int variant = 0; variant < 2; variant++) {
        LOCAL_PATH(dir, "%s/trace%d", tmp, variant);
        o = gen_options(0, variant);
        CHECK_OK(ctrec_writer_open(dir, &o, &w));
        record_all(w);
        CHECK_U64(ctrec_writer_event_count(w), nexp);
        CHECK_OK(ctrec_writer_close(w));
        CHECK_TRACE_JSON(dir, (const char *const *)exp_lines, nexp);
        CHECK_PY(dir, (long)nexp, NULL);
    }
    o = gen_options(0, 0);

    /* interning keys: paths and variables by text, functions by name only,
     * types by lang_type only; the _new functions always define */
    LOCAL_PATH(idir, "%s/intern", tmp);
    CHECK_OK(ctrec_writer_open(idir, &o, &w));
    ctrec_id id = 99;
    CHECK_OK(ctrec_path_z(w, "/a", &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_path(w, S("/a"), &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_path_new(w, S("/a"), &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_path(w, S("/a"), &id)); /* the key now points to the new id */
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_function_z(w, "g", 0, 10, &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_function_z(w, "g", 1, 20, &id)); /* same name, other place */
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_function_new(w, S("g"), 1, 20, &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "T", &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_FLOAT, "T", &id)); /* same lang_type, other kind */
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_type_new(w, CTREC_TYPE_FLOAT, S("T"), &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_variable_z(w, "x", &id));
    CHECK_OK(ctrec_variable(w, S("x"), &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_variable_new(w, S("x"), &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_variable(w, S("x"), &id)); /* found before: not the old id */
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_variable(w, S("x"), NULL)); /* id pointer is optional */
    CHECK_U64(ctrec_path_count(w), 2);
    CHECK_U64(ctrec_function_count(w), 2);
    CHECK_U64(ctrec_type_count(w), 2);
    CHECK_U64(ctrec_variable_count(w), 2);
    CHECK_U64(ctrec_writer_event_count(w), 8);
    CHECK_OK(ctrec_writer_close(w));
    static const char *const iexp[] = {
        "{\"Path\":\"/a\"}",
        "{\"Path\":\"/a\"}",
        "{\"Function\":{\"path_id\":0,\"line\":10,\"name\":\"g\"}}",
        "{\"Function\":{\"path_id\":1,\"line\":20,\"name\":\"g\"}}",
        "{\"Type\":{\"kind\":7,\"lang_type\":\"T\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"Type\":{\"kind\":8,\"lang_type\":\"T\",\"specific_info\":{\"kind\":\"None\"}}}",
        "{\"VariableName\":\"x\"}",
        "{\"VariableName\":\"x\"}",
    };
    CHECK_TRACE_JSON(idir, iexp, 8);

    /* an empty trace is an empty array */
    LOCAL_PATH(edir, "%s/empty", tmp);
    CHECK_OK(ctrec_writer_open(edir, &o, &w));
    CHECK_OK(ctrec_writer_close(w));
    char *txt = read_file(pathf("%s/trace.json", edir), NULL);
    CHECK_STR(txt, "[\n]\n");
    free(txt);
    txt = read_file(pathf("%s/trace_paths.json", edir), NULL);
    CHECK_STR(txt, "[]\n");
    free(txt);
    /* an empty trace.bin: the header and a seek table of no frames */
    LOCAL_PATH(ebdir, "%s/empty-bin", tmp);
    o.format = CTREC_FORMAT_BIN;
    CHECK_OK(ctrec_writer_open(ebdir, &o, &w));
    CHECK_OK(ctrec_writer_close(w));
    size_t blen = 0;
    txt = read_file(pathf("%s/trace.bin", ebdir), &blen);
    static const char empty_bin[] = "\xc0\xde\x72\xac\xe2\x01\x00\x00"
                                    "\x5e\x2a\x4d\x18\x09\x00\x00\x00"
                                    "\x00\x00\x00\x00\x00\xb1\xea\x92\x8f";
    CHECK(txt && blen == sizeof empty_bin - 1 && memcmp(txt, empty_bin, blen) == 0);
    free(txt);
    CHECK_BIN("count", ebdir, 0);

    for (size_t i = 0; i < nexp; i++) free(exp_lines[i]);
    rm_rf(tmp);
    return check_done("writer_events");
}
