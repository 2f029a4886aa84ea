/*
 * ctrec-lua — runs a Lua 5.4 script as `lua5.4 script.lua args...` would,
 * and records it as a CodeTracer trace folder.
 *
 *   ctrec-lua [options] script.lua [args...]
 *
 * The script sees what lua5.4 gives it: arg[0] = script, arg[-1] = "lua5.4",
 * arg[1..] and `...` = args; LUA_INIT(_5_4) runs first. Output, error
 * messages (with "lua5.4:" and the traceback) and exit status are those of
 * lua5.4. The running part mirrors lua.c (pmain, docall, msghandler); the
 * recording is set up by recorder_open/recorder_install (hooks.c) just
 * before the script's main chunk is called, and finished after it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "recorder.h"

/* The name lua.c prints its messages with (argv[0] of `lua5.4 ...`). */
static const char *progname = "lua5.4";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ctrec-lua [options] script.lua [args...]\n"
            "Runs a Lua 5.4 script like lua5.4 and records a CodeTracer trace.\n"
            "  -o DIR                trace folder (default ./ctrec-trace)\n"
            "  --format ct|json|bin  trace.ct (CTFS, what CodeTracer loads first;\n"
            "                        the default), trace.json or trace.bin\n"
            "  --values all|none     record locals, arguments and return values\n"
            "                        (default all)\n"
            "  --max-depth N         table nesting recorded (default 3, at most 25)\n"
            "  --max-elements N      elements recorded per value (default 100)\n"
            "  --max-string N        bytes of a string recorded, then a marker\n"
            "                        '<M more bytes>' (default 1000; 0: no limit)\n"
            "  --max-event-mib N     largest event written, in MiB (default 64, what the\n"
            "                        readers accept by default); a local's value that is\n"
            "                        larger is recorded as the marker <too large>\n"
            "  --compress-thread on|off\n"
            "                        compress on a thread of its own (on) or on the\n"
            "                        recording thread (off); default on (which is\n"
            "                        faster depends on the machine and the\n"
            "                        program: see the README)\n"
            "  --no-upvalues         do not record the upvalues of the running\n"
            "                        function at each step\n"
            "  --activation-path FILE  record from the first call of a function of\n"
            "                        FILE (its main chunk or another) until that\n"
            "                        call returns\n"
            "  --c-calls             record calls of C functions too\n"
            "  --trace-filter FILE   a trace filter (TOML, as CodeTracer's Python\n"
            "                        recorder's); repeatable, or FILE::FILE...; after\n"
            "                        .codetracer/trace-filter.toml found above the\n"
            "                        script and CTREC_LUA_TRACE_FILTER (same syntax)\n"
            "  --floor hooks|locals|reads|calls|values|lua\n"
            "                        benchmark only: install the hooks (locals: and\n"
            "                        read every local at each line; reads: and every\n"
            "                        element a step records; calls: and the source of\n"
            "                        each called function; values: reads, and the\n"
            "                        arguments and returned values; lua: no hook at\n"
            "                        all, the Lua library alone) but record nothing\n"
            "  --stats               benchmark: print the number of Lua values\n"
            "                        recorded (elements included) to stderr at the end\n"
            "                        (with --floor reads|values: the number read)\n"
            "  -h, --help            this help\n");
}

/* ---- as lua.c ---------------------------------------------------------- */

static void l_message(const char *pname, const char *msg)
{
    if (pname) lua_writestringerror("%s: ", pname);
    lua_writestringerror("%s\n", msg);
}

static int report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        l_message(progname, msg);
        lua_pop(L, 1);
    }
    return status;
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Ctrl-C, as lua.c handles it: the next hook event of the main thread
 * raises "interrupted!" (an ordinary error: the trace gets its Error event
 * and is finished), and a second SIGINT before that ends the process. The
 * recorder's hook is put back first, so that a script that catches the
 * error goes on being recorded. */
static lua_State *globalL;

static void lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    recorder *R = recorder_current();
    if (R && R->main_L == L) recorder_install(R, L);
    luaL_error(L, "interrupted!");
}

static void laction(int i)
{
    int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
    signal(i, SIG_DFL); /* if another SIGINT happens, terminate the process */
    lua_sethook(globalL, lstop, flag, 1);
}

static int docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    globalL = L;
    signal(SIGINT, laction);
    int status = lua_pcall(L, narg, nres, base);
    signal(SIGINT, SIG_DFL);
    lua_remove(L, base);
    return status;
}

static int dochunk(lua_State *L, int status)
{
    if (status == LUA_OK) status = docall(L, 0, 0);
    return report(L, status);
}

static int handle_luainit(lua_State *L)
{
    const char *name = "=LUA_INIT_5_4";
    const char *init = getenv(name + 1);
    if (init == NULL) {
        name = "=LUA_INIT";
        init = getenv(name + 1);
    }
    if (init == NULL) return LUA_OK;
    if (init[0] == '@') return dochunk(L, luaL_loadfile(L, init + 1));
    return dochunk(L, luaL_loadbuffer(L, init, strlen(init), name));
}

static int pushargs(lua_State *L)
{
    if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    int i;
    for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -i);
    return n;
}

/* ---- the recorded run -------------------------------------------------- */

typedef struct run {
    recorder *R;
    char **argv; /* "lua5.4", script, args... */
    int argc;
} run;

static int handle_script(lua_State *L, run *r)
{
    const char *fname = r->argv[1];
    int status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = pushargs(L);
        recorder_install(r->R, L);
        status = docall(L, n, LUA_MULTRET);
    }
    if (status != LUA_OK) {
        size_t len;
        const char *msg = lua_tolstring(L, -1, &len);
        if (msg) recorder_error(r->R, msg, len);
    }
    return report(L, status);
}

static int pmain(lua_State *L)
{
    run *r = (run *)lua_touserdata(L, 1);
    luaL_checkversion(L);
    luaL_openlibs(L);
    /* createargtable: arg[-1] = interpreter, arg[0] = script, arg[i] = args */
    lua_createtable(L, r->argc - 2, 2);
    for (int i = 0; i < r->argc; i++) {
        lua_pushstring(L, r->argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCGEN, 0, 0);
    /* before LUA_INIT: an os.exit there must finish the trace too */
    if (r->R->opt.floor == FLOOR_NONE) {
        iowrap_install(L);
        scripthook_install(L);
        ctrecmod_install(L);
    }
    if (handle_luainit(L) != LUA_OK) return 0;
    if (handle_script(L, r) != LUA_OK) return 0;
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- options ----------------------------------------------------------- */

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (unsigned)v;
    return 0;
}

/* --trace-filter values, in order */
#define MAX_FILTER_ARGS 64
static const char *filter_args[MAX_FILTER_ARGS];
static int filter_arg_count;

/* Returns the index of the script in argv, or -1 (message printed). */
static int parse_options(int argc, char **argv, recorder_options *o)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) break;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--c-calls") == 0) {
            o->c_calls = 1;
            continue;
        }
        if (strcmp(a, "--stats") == 0) {
            o->stats = 1;
            continue;
        }
        if (strcmp(a, "--no-upvalues") == 0) {
            o->upvalues = 0;
            continue;
        }
        /* options with a value: "--opt value" or "--opt=value" */
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
#define IS(name) (nlen == strlen(name) && strncmp(a, name, nlen) == 0)
        int bad = 0;
        if (!(IS("-o") || IS("--out") || IS("--format") || IS("--values") || IS("--floor") ||
              IS("--max-depth") || IS("--max-elements") || IS("--max-string") ||
              IS("--max-event-mib") || IS("--activation-path") || IS("--trace-filter") ||
              IS("--compress-thread"))) {
            fprintf(stderr, "ctrec-lua: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (!v) {
            fprintf(stderr, "ctrec-lua: %s needs a value\n", a);
            return -1;
        }
        if (IS("-o") || IS("--out")) o->out_dir = v;
        else if (IS("--activation-path")) o->activation_path = v;
        else if (IS("--trace-filter")) {
            if (filter_arg_count < MAX_FILTER_ARGS) filter_args[filter_arg_count++] = v;
            else bad = 1;
        }
        else if (IS("--format")) {
            if (strcmp(v, "json") == 0) o->format = CTREC_FORMAT_JSON;
            else if (strcmp(v, "bin") == 0) o->format = CTREC_FORMAT_BIN;
            else if (strcmp(v, "ct") == 0) o->format = CTREC_FORMAT_CT;
            else bad = 1;
        } else if (IS("--compress-thread")) {
            if (strcmp(v, "on") == 0) o->compress_thread = 1;
            else if (strcmp(v, "off") == 0) o->compress_thread = 0;
            else bad = 1;
        } else if (IS("--values")) {
            if (strcmp(v, "all") == 0) o->values = 1;
            else if (strcmp(v, "none") == 0) o->values = 0;
            else bad = 1;
        } else if (IS("--floor")) {
            if (strcmp(v, "hooks") == 0) o->floor = FLOOR_HOOKS;
            else if (strcmp(v, "locals") == 0) o->floor = FLOOR_LOCALS;
            else if (strcmp(v, "reads") == 0) o->floor = FLOOR_READS;
            else if (strcmp(v, "calls") == 0) o->floor = FLOOR_CALLS;
            else if (strcmp(v, "values") == 0) o->floor = FLOOR_VALUES;
            else if (strcmp(v, "lua") == 0) o->floor = FLOOR_LUA;
            else bad = 1;
        } else if (IS("--max-depth")) bad = parse_uint(v, 1, 25, &o->max_depth) != 0;
        else if (IS("--max-elements")) bad = parse_uint(v, 1, 1000000, &o->max_elements) != 0;
        else if (IS("--max-string")) {
            unsigned ms;
            bad = parse_uint(v, 0, 1000000000, &ms) != 0;
            o->max_string = ms;
        }
        else if (IS("--max-event-mib")) bad = parse_uint(v, 1, 4096, &o->max_event_mib) != 0;
        else {
            fprintf(stderr, "ctrec-lua: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
#undef IS
        if (bad) {
            fprintf(stderr, "ctrec-lua: bad value for %.*s: %s\n", (int)nlen, a, v);
            return -1;
        }
        if (!eq) i++;
    }
    if (i >= argc) {
        usage(stderr);
        return -1;
    }
    if (strcmp(argv[i], "-") == 0) {
        fprintf(stderr, "ctrec-lua: reading the script from stdin is not supported\n");
        return -1;
    }
    return i;
}

/* The chain of trace filters, composed as the Python recorder's CLI does:
 * the .codetracer/trace-filter.toml found walking up from the script's
 * directory, then the files of CTREC_LUA_TRACE_FILTER, then those of each
 * --trace-filter, in order ("::" separates several in one value). */
typedef struct filter_load {
    trace_filter *f;
    char err[1024];
    int added; /* files added by the current list */
} filter_load;

static int add_filter(void *ctx, const char *path)
{
    filter_load *fl = ctx;
    fl->added++;
    return filter_add_file(fl->f, path, fl->err, sizeof fl->err);
}

/* A "::"-separated list that must name at least one file (as the Python
 * recorder requires). */
static int add_list(filter_load *fl, const char *list, const char *from)
{
    fl->added = 0;
    int rc = filter_split_list(list, add_filter, fl);
    if (!rc && !fl->added) {
        snprintf(fl->err, sizeof fl->err, "%s '%s' names no trace filter file", from, list);
        rc = -1;
    }
    return rc;
}

static int load_filters(const char *script, recorder_options *o, char **meta)
{
    char *found = filter_discover(script);
    const char *env = getenv("CTREC_LUA_TRACE_FILTER");
    int any = found || (env && *env) || filter_arg_count;
    if (!any) return 0;
    filter_load fl = {filter_new(), "", 0};
    if (!fl.f) {
        free(found);
        fprintf(stderr, "ctrec-lua: out of memory\n");
        return -1;
    }
    int rc = found ? add_filter(&fl, found) : 0;
    free(found);
    if (!rc && env && *env) rc = add_list(&fl, env, "CTREC_LUA_TRACE_FILTER");
    for (int i = 0; !rc && i < filter_arg_count; i++) rc = add_list(&fl, filter_args[i], "--trace-filter");
    if (!rc) rc = filter_finish(fl.f, fl.err, sizeof fl.err);
    if (!rc && !(*meta = filter_metadata_json(fl.f))) {
        snprintf(fl.err, sizeof fl.err, "out of memory");
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "ctrec-lua: %s\n", fl.err);
        filter_free(fl.f);
        return -1;
    }
    o->filter = fl.f;
    o->filter_metadata = *meta;
    return 0;
}

int main(int argc, char **argv)
{
    recorder_options o = {
        .out_dir = "ctrec-trace",
        .format = CTREC_FORMAT_CT,
        .values = 1,
        .max_depth = 3,
        .max_elements = 100,
        .max_string = 1000,
        .upvalues = 1,
        .compress_thread = -1,
        .floor = FLOOR_NONE,
    };
    int script = parse_options(argc, argv, &o);
    if (script < 0) return 1;
    /* trace filters: refused before anything is written, so that a bad
     * one leaves an earlier trace in the output folder as it was */
    char *filter_meta = NULL;
    if (o.floor == FLOOR_NONE && load_filters(argv[script], &o, &filter_meta)) return 1;

    /* argv as lua.c sees it: "lua5.4 script args..." */
    run r;
    r.argc = argc - script + 1;
    r.argv = malloc(sizeof(char *) * (size_t)(r.argc + 1));
    if (!r.argv) return 1;
    r.argv[0] = (char *)progname;
    for (int i = script; i <= argc; i++) r.argv[i - script + 1] = argv[i];

    static recorder rec;
    r.R = &rec;
    if (recorder_open(&rec, &o, argv[script], (const char *const *)argv + script + 1,
                      (size_t)(argc - script - 1)))
        return 1;

    lua_State *L = luaL_newstate();
    if (L == NULL) {
        l_message(argv[0], "cannot create state: not enough memory");
        return EXIT_FAILURE;
    }
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, &pmain);
    lua_pushlightuserdata(L, &r);
    int status = lua_pcall(L, 1, 1, 0);
    int result = lua_toboolean(L, -1);
    report(L, status);
    /* lua_close runs the pending finalizers, whose output is recorded */
    lua_close(L);
    recorder_lua_closed(&rec);
    uint64_t nvalues = rec.nvalues;
    int trace_failed = recorder_finish(&rec);
    if (o.stats)
        fprintf(stderr, "ctrec-lua: %llu values %s\n", (unsigned long long)nvalues,
                o.floor == FLOOR_NONE ? "recorded" : "read");
    free(r.argv);
    filter_free(o.filter);
    free(filter_meta);
    (void)trace_failed; /* the exit status stays lua5.4's */
    return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
