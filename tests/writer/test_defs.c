/*
 * test_defs.c — definitions (Path, Function, Type, VariableName) made while
 * an event is open land in front of it, also when the open event is the
 * first of the trace, sits inside nested compounds (CBOR array heads patched
 * after the insertion), is a call, outgrows the output buffer, or is then
 * abandoned (the definitions stay). Exact JSON; `writer_defs gen json|bin
 * DIR` writes the same for bin_check.py.
 */
#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static char *exp_lines[512];
static size_t nexp;

static void E(const char *q) /* ' stands for " */
{
    char *s = malloc(strlen(q) + 1);
    size_t i = 0;
    for (; q[i]; i++) s[i] = q[i] == '\'' ? '"' : q[i];
    s[i] = 0;
    exp_lines[nexp++] = s;
}

static void Ef(const char *fmt, int a)
{
    char line[256];
    snprintf(line, sizeof line, fmt, a);
    E(line);
}

static void ints(ctrec_writer *w, int from, int to, ctrec_id t)
{
    for (int k = from; k < to; k++) CHECK_OK(ctrec_int(w, k, t));
}

static void ints_json(char *out, int from, int to)
{
    size_t k = strlen(out);
    for (int i = from; i < to; i++)
        k += (size_t)sprintf(out + k, "%s{'kind':'Int','i':%d,'type_id':0}", i ? "," : "", i);
}

static void record(ctrec_writer *w, int expect)
{
    ctrec_id id = 99;
    /* a: the first event of the trace is open (a CompoundValue: a Return
     * would need a Call first) */
    CHECK_OK(ctrec_begin_compound_value(w, 0));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "Int", &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_int(w, 5, 0));
    CHECK_OK(ctrec_path_z(w, "/p", &id));
    CHECK_U64(id, 0);
    CHECK_OK(ctrec_end(w));
    if (expect) {
        E("{'Type':{'kind':7,'lang_type':'Int','specific_info':{'kind':'None'}}}");
        E("{'Path':'/p'}");
        E("{'CompoundValue':{'place':0,'value':{'kind':'Int','i':5,'type_id':0}}}");
    }
    CHECK_U64(ctrec_writer_event_count(w), 3);

    /* b: abandoned after a definition: the definition stays */
    CHECK_OK(ctrec_begin_compound_value(w, 0));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_STRING, "T2", &id));
    CHECK_ST(ctrec_int(w, 1, 99), CTREC_E_UNDEFINED);
    if (expect) E("{'Type':{'kind':9,'lang_type':'T2','specific_info':{'kind':'None'}}}");
    CHECK_U64(ctrec_writer_event_count(w), 4);

    /* c: definitions in the middle of a long sequence */
    CHECK_OK(ctrec_variable_z(w, "v", &id));
    CHECK_U64(id, 0);
    if (expect) E("{'VariableName':'v'}");
    CHECK_OK(ctrec_begin_value(w, 0));
    ctrec_id seq;
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_SEQ, "S", &seq));
    CHECK_U64(seq, 2);
    CHECK_OK(ctrec_begin_sequence(w, 0, seq));
    ints(w, 0, 12, 0);
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, "mid", &id));
    CHECK_U64(id, 3);
    CHECK_OK(ctrec_variable_z(w, "w", &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_function_z(w, "f", 0, 7, &id));
    CHECK_U64(id, 0);
    ints(w, 12, 30, 0);
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end(w));
    if (expect) {
        E("{'Type':{'kind':0,'lang_type':'S','specific_info':{'kind':'None'}}}");
        E("{'Type':{'kind':7,'lang_type':'mid','specific_info':{'kind':'None'}}}");
        E("{'VariableName':'w'}");
        E("{'Function':{'path_id':0,'line':7,'name':'f'}}");
        static char line[4096];
        strcpy(line, "{'Value':{'variable_id':0,'value':{'kind':'Sequence','elements':[");
        ints_json(line, 0, 30);
        strcat(line, "],'is_slice':false,'type_id':2}}}");
        E(line);
    }

    /* d: nested compounds, a definition at each level */
    ctrec_id tup;
    CHECK_OK(ctrec_begin_value(w, 1));
    CHECK_OK(ctrec_begin_sequence(w, 1, seq));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_TUPLE, "Tup", &tup));
    CHECK_OK(ctrec_begin_tuple(w, tup));
    CHECK_OK(ctrec_int(w, 1, 0));
    CHECK_OK(ctrec_path_z(w, "/q", &id));
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_int(w, 2, 0));
    CHECK_OK(ctrec_end_tuple(w));
    CHECK_OK(ctrec_begin_sequence(w, 0, seq));
    ints(w, 0, 20, 0);
    CHECK_OK(ctrec_variable_z(w, "deep", &id));
    ints(w, 20, 25, 0);
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end_sequence(w));
    CHECK_OK(ctrec_end(w));
    if (expect) {
        E("{'Type':{'kind':27,'lang_type':'Tup','specific_info':{'kind':'None'}}}");
        E("{'Path':'/q'}");
        E("{'VariableName':'deep'}");
        static char line[4096];
        strcpy(line, "{'Value':{'variable_id':1,'value':{'kind':'Sequence','elements':["
                     "{'kind':'Tuple','elements':[{'kind':'Int','i':1,'type_id':0},"
                     "{'kind':'Int','i':2,'type_id':0}],'type_id':4},"
                     "{'kind':'Sequence','elements':[");
        ints_json(line, 0, 25);
        strcat(line, "],'is_slice':false,'type_id':2}],'is_slice':true,'type_id':2}}}");
        E(line);
    }

    /* e: inside a call: the definitions come before the argument Values */
    CHECK_OK(ctrec_function_z(w, "g", 0, 9, &id)); /* id 0 would be the top-level call */
    CHECK_U64(id, 1);
    CHECK_OK(ctrec_begin_call(w, 1));
    CHECK_OK(ctrec_arg_named(w, S("newarg")));
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_BOOL, "B", &id));
    CHECK_U64(id, 5);
    CHECK_OK(ctrec_bool(w, 1, id));
    CHECK_OK(ctrec_end(w));
    if (expect) {
        E("{'Function':{'path_id':0,'line':9,'name':'g'}}");
        E("{'VariableName':'newarg'}");
        E("{'Type':{'kind':12,'lang_type':'B','specific_info':{'kind':'None'}}}");
        E("{'Value':{'variable_id':3,'value':{'kind':'Bool','b':true,'type_id':5}}}");
        E("{'Step':{'path_id':0,'line':9}}");
        E("{'Call':{'function_id':1,'args':[{'variable_id':3,'value':{'kind':'Bool','b':true,"
          "'type_id':5}}]}}");
    }

    /* f: abandoned inside a compound after a definition (CBOR marks) */
    CHECK_OK(ctrec_begin_value(w, 0));
    CHECK_OK(ctrec_begin_sequence(w, 0, seq));
    ints(w, 0, 25, 0);
    CHECK_OK(ctrec_type_z(w, CTREC_TYPE_RAW, "late", &id));
    CHECK_ST(ctrec_end(w), CTREC_E_STATE);
    if (expect) E("{'Type':{'kind':16,'lang_type':'late','specific_info':{'kind':'None'}}}");

    /* g: definitions outgrow the 1024-byte output buffer while open */
    CHECK_OK(ctrec_begin_value(w, 0));
    for (int i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof name, "type_number_%02d", i);
        CHECK_OK(ctrec_type_z(w, CTREC_TYPE_INT, name, &id));
        if (expect)
            Ef("{'Type':{'kind':7,'lang_type':'type_number_%02d','specific_info':{'kind':'None'}}}", i);
    }
    CHECK_OK(ctrec_int(w, 60, id));
    CHECK_OK(ctrec_end(w));
    if (expect) Ef("{'Value':{'variable_id':0,'value':{'kind':'Int','i':60,'type_id':%d}}}", (int)id);

    /* then an ordinary event */
    CHECK_OK(ctrec_step(w, 1, 3));
    if (expect) E("{'Step':{'path_id':1,'line':3}}");
}

static ctrec_writer_options gen_options(int bin)
{
    ctrec_writer_options o = test_options();
    o.buffer_size = 1024;
    if (bin) {
        o.format = CTREC_FORMAT_BIN;
        o.frame_size = 1024;
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen")) {
        ctrec_writer_options o = gen_options(!strcmp(argv[2], "bin"));
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(argv[3], &o, &w));
        record(w, 0);
        CHECK_OK(ctrec_writer_close(w));
        return check_done("writer_defs gen");
    }
    check_init(argc, argv);
    char tmp[64];
    make_tmpdir(tmp);
    for (int io_thread = 0; io_thread < 2; io_thread++) {
        LOCAL_PATH(dir, "%s/trace%d", tmp, io_thread);
        ctrec_writer_options o = gen_options(0);
        o.io_thread = io_thread;
        ctrec_writer *w = NULL;
        CHECK_OK(ctrec_writer_open(dir, &o, &w));
        nexp = 0;
        record(w, 1);
        CHECK_U64(ctrec_writer_event_count(w), nexp);
        CHECK_OK(ctrec_writer_close(w));
        CHECK_TRACE_JSON(dir, (const char *const *)exp_lines, nexp);
        CHECK_PY(dir, (long)nexp, NULL);
        for (size_t i = 0; i < nexp; i++) free(exp_lines[i]);
    }
    rm_rf(tmp);
    return check_done("writer_defs");
}
