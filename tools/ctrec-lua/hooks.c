/*
 * hooks.c — turns lua_sethook events into trace events.
 *
 * The hook gets LUA_HOOKCALL, LUA_HOOKTAILCALL, LUA_HOOKRET and LUA_HOOKLINE
 * for every Lua and C function of every thread (coroutines inherit the hook
 * of the thread that creates them: lua_newthread copies it in Lua 5.4).
 *
 * Shadow call stacks. Each thread has a shadow stack with one frame per
 * activation, C functions included, so that it mirrors the real stack. A
 * frame is identified by lua_Debug.i_ci, the CallInfo of the activation.
 * lua.h lists i_ci in the "private part" of lua_Debug; we never dereference
 * it, we only compare it, and it is what lua_getlocal/lua_getinfo use
 * themselves. Live activations of a thread have distinct CallInfos, so:
 *   - line event: the current frame must be the top of the shadow stack;
 *   - return event: the returning frame must be the top;
 *   - call event: the caller (lua_getstack level 1) must be the top.
 * When that is not so, an error unwound frames without return events (a
 * pcall, xpcall or coroutine boundary caught it): the frames above the one
 * that is really running are popped and get a Return (value None). Each
 * check is one pointer compare in the common case; the public-API
 * alternative, comparing lua_getstack depths, costs O(depth) per event.
 *
 * Coroutines. The trace has a single call stack. The running threads form
 * a chain (main thread, the coroutine it resumed, the one that one resumed,
 * ...); the trace's call stack is their shadow stacks one on top of the
 * other. When an event comes from a thread that is not the top of the
 * chain, control moved: a resume (the new thread is pushed on the chain and
 * its frames get Calls again: "materialized"), or a yield, return or error
 * back to a thread below (the threads above it are popped and their frames
 * get Returns). A yielded coroutine keeps its shadow stack for its next
 * resume; a dead one loses it. So every Call has its Return, and the steps
 * of a coroutine sit inside its own function's call.
 *
 * Tail calls. The callee replaces the caller: the caller gets a Return
 * (None) and the callee a Call, so Calls and Returns stay balanced.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "recorder.h"

/* Kept out of line: the hook and its handlers' fast paths then save no
 * registers for the paths they do not take. */
#define NOINLINE __attribute__((noinline))
/* Inlined even when large: emit_locals into step_values (no second call
 * and prologue at each step). */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static recorder *g_rec;

recorder *recorder_current(void)
{
    return g_rec;
}

void recorder_fast_update(recorder *R)
{
    lua_State *L = R->closed || R->failed || R->script_hooks || !R->active ? NULL : R->cur_L;
    R->fast_L = R->opt.filter ? NULL : L;
    R->filter_L = R->opt.filter ? L : NULL;
}

void recorder_fail(recorder *R, const char *what)
{
    if (R->failed) return;
    R->failed = 1;
    recorder_fast_update(R);
    fprintf(stderr, "ctrec-lua: recording stopped: %s: %s\n", what, ctrec_writer_errmsg(R->w));
}

/* Evaluates a ctrec call (or takes a status); on failure stops recording,
 * saying `what` failed, and returns. */
#define W_AS(status, what)                                                       \
    do {                                                                         \
        if ((status) != CTREC_OK) {                                              \
            recorder_fail(R, (what));                                            \
            return;                                                              \
        }                                                                        \
    } while (0)
#define W(call) W_AS(call, #call)

/* ---- interning --------------------------------------------------------- */

ctrec_id recorder_var(recorder *R, const char *name, size_t len)
{
    uint64_t id;
    if (strmap_get(&R->vars, name, len, &id)) return id;
    if (ctrec_variable(R->w, name, len, &id) != CTREC_OK) {
        recorder_fail(R, "ctrec_variable");
        return 0;
    }
    strmap_put(&R->vars, name, len, id);
    return id;
}

/* The path of a chunk whose source is "@file": absolute, so that the writer
 * finds the file to copy wherever the trace is opened. */
static char *resolve_path(const char *file)
{
    char *abs = realpath(file, NULL);
    if (abs) return abs;
    if (file[0] == '/') return strdup(file);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return strdup(file);
    size_t n = strlen(cwd) + strlen(file) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", cwd, file);
    return p;
}

static int path_id(recorder *R, const char *source, ctrec_id *id)
{
    size_t len = strlen(source);
    if (strmap_get(&R->paths, source, len, id)) return 0;
    char *abs = resolve_path(source + 1);
    if (!abs) return -1;
    ctrec_status st = ctrec_path_z(R->w, abs, id);
    if (st == CTREC_OK && R->activation_abs && strcmp(abs, R->activation_abs) == 0)
        R->activation_path_id = (int64_t)*id;
    free(abs);
    if (st != CTREC_OK) {
        recorder_fail(R, "ctrec_path");
        return -1;
    }
    strmap_put(&R->paths, source, len, *id);
    return 0;
}

static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The name of a function that was called from C (pcall(f), table.sort's
 * comparator...): "mod.field" or "field" of _G, searched in package.loaded
 * as luaL_traceback does. Pushes nothing; returns 1 with the name in buf. */
static int global_name(lua_State *L, lua_Debug *ar, char *buf, size_t size)
{
    int found = 0;
    if (!lua_checkstack(L, 6)) return 0;
    int top = lua_gettop(L);
    lua_getinfo(L, "f", ar);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_type(L, -1) != LUA_TTABLE) goto out;
    lua_pushnil(L);
    while (!found && lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TTABLE) {
            const char *mod = lua_tostring(L, -2);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) == LUA_TSTRING && lua_rawequal(L, -1, top + 1)) {
                    const char *field = lua_tostring(L, -2);
                    if (strcmp(mod, LUA_GNAME) == 0)
                        snprintf(buf, size, "%s", field);
                    else
                        snprintf(buf, size, "%s.%s", mod, field);
                    found = 1;
                    lua_pop(L, 2);
                    break;
                }
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
out:
    lua_settop(L, top);
    return found;
}

/* The name of a function called from C (pcall(f), table.sort(t, cmp)) that
 * the nearest Lua frame below holds in a local or an upvalue: "f", "cmp".
 * Pushes nothing; returns 1 with the name in buf. */
static int local_name(lua_State *L, lua_Debug *ar, char *buf, size_t size)
{
    if (!lua_checkstack(L, 4)) return 0;
    int top = lua_gettop(L);
    lua_getinfo(L, "f", ar); /* the function, at top + 1 */
    lua_Debug up;
    int found = 0;
    for (int level = 1; !found && level <= 4 && lua_getstack(L, level, &up); level++) {
        lua_getinfo(L, "Sf", &up); /* pushes the frame's function, at top + 2 */
        if (up.what[0] == 'C') {
            lua_settop(L, top + 1);
            continue;
        }
        const char *name;
        for (int n = 1; !found && (name = lua_getlocal(L, &up, n)); n++) {
            if (name[0] != '(' && lua_rawequal(L, -1, top + 1)) {
                snprintf(buf, size, "%s", name);
                found = 1;
            }
            lua_pop(L, 1);
        }
        for (int n = 1; !found && (name = lua_getupvalue(L, top + 2, n)); n++) {
            if (name[0] && lua_rawequal(L, -1, top + 1)) {
                snprintf(buf, size, "%s", name);
                found = 1;
            }
            lua_pop(L, 1);
        }
        lua_settop(L, top + 1);
        break; /* only the nearest Lua frame */
    }
    lua_settop(L, top);
    return found;
}

/*
 * Function names. The debugger shows the name, and the writer keys
 * functions by name only, so each definition site gets its own name:
 *   - the name lua_getinfo "n" gives at the first call ("fib", "new"); for
 *     a function first called from C (pcall(f)), the global name or the
 *     local/upvalue of the nearest Lua frame that holds it; otherwise
 *     "<anonymous> file.lua:12";
 *     or "<main chunk> mod.lua" for a required module's chunk;
 *   - when that name is already used by another definition site, the site
 *     is appended: "helper mod_util.lua:3" (and "helper /full/path.lua:3"
 *     if even that is taken).
 */
static fn_info *fn_new(recorder *R, lua_State *L, lua_Debug *ar, int is_c)
{
    fn_info *fn = calloc(1, sizeof *fn);
    if (!fn) return NULL;
    fn->source = ar->source;
    fn->srclen = ar->srclen;
    if (!is_c) {
        if (!(fn->src = malloc(ar->srclen ? ar->srclen : 1))) {
            free(fn);
            return NULL;
        }
        memcpy(fn->src, ar->source, ar->srclen);
    }
    fn->linedefined = ar->linedefined;
    char path_buf[PATH_MAX];
    const char *path;
    int line = ar->linedefined > 0 ? ar->linedefined : 1;
    if (is_c) {
        fn->recorded = 1;
        path = "[C]";
        if (ctrec_path_z(R->w, path, &fn->path_id) != CTREC_OK) recorder_fail(R, "ctrec_path");
        snprintf(path_buf, sizeof path_buf, "[C]");
    } else {
        fn->recorded = fn->has_lines = ar->source[0] == '@';
        if (!fn->recorded) return fn; /* a chunk loaded from a string */
        snprintf(path_buf, sizeof path_buf, "%s", ar->source + 1);
    }
    path = path_buf;

    char global[512];
    char *base;
    lua_getinfo(L, "n", ar);
    if (ar->name && strcmp(ar->namewhat, "metamethod") == 0)
        base = dup_printf("__%s", ar->name); /* "index" -> "__index" */
    else if (ar->name)
        base = dup_printf("%s", ar->name);
    else if (global_name(L, ar, global, sizeof global) ||
             local_name(L, ar, global, sizeof global))
        base = dup_printf("%s", global);
    else if (is_c)
        base = dup_printf("<C function>");
    else if (ar->what[0] == 'm')
        base = dup_printf("<main chunk> %s", base_name(path));
    else
        base = dup_printf("<anonymous> %s:%d", base_name(path), line);
    if (!base) {
        fn->recorded = fn->has_lines = 0;
        return fn;
    }
    if (!is_c && rfilter_classify(R, L, ar, fn, base)) { /* skipped: nothing defined */
        fn->recorded = fn->has_lines = 0;
        free(base);
        return fn;
    }
    if (!is_c && path_id(R, ar->source, &fn->path_id)) {
        free(base);
        return fn;
    }

    uint64_t site = ((uint64_t)fn->path_id << 32) | (uint32_t)line, other;
    char *name = dup_printf("%s", base);
    if (name && !is_c && strmap_get(&R->function_names, name, strlen(name), &other) &&
        other != site) {
        free(name);
        name = dup_printf("%s %s:%d", base, base_name(path), line);
        if (name && strmap_get(&R->function_names, name, strlen(name), &other) && other != site) {
            free(name);
            name = dup_printf("%s %s:%d", base, path, line);
        }
    }
    if (!name || ctrec_function_new(R->w, name, strlen(name), fn->path_id, line,
                                    &fn->function_id) != CTREC_OK) {
        recorder_fail(R, "ctrec_function");
        fn->recorded = fn->has_lines = 0;
    } else {
        strmap_put(&R->function_names, name, strlen(name), site);
    }
    free(name);
    free(base);
    return fn;
}

/* Is fn the Lua function of chunk source `ar->source`, defined at line k? */
static int same_site(const fn_info *fn, const lua_Debug *ar, intptr_t k)
{
    return fn->linedefined == k && fn->srclen == ar->srclen &&
           memcmp(fn->src, ar->source, ar->srclen) == 0;
}

/* The fn_info of the function whose activation `ar` describes ("S" filled);
 * NULL for a C function without --c-calls. A Lua function is one
 * definition site: its chunk's source text and its definition line, found
 * by the source pointer and checked by the text (a chunk's source string
 * is freed with the chunk, and another chunk's may get its address). A C
 * function is its lua_CFunction (C closures come and go; the function they
 * run stays). */
static fn_info *fn_lookup_slow(recorder *R, lua_State *L, lua_Debug *ar);

/* `caller` is the fn_info of the activation that made this call when the
 * shadow stack's top frame is proven to be it (on_call: its CallInfo is
 * the caller's), else NULL. A running activation keeps its prototype, and
 * so its chunk's source string, alive: if the caller's function was found
 * by the same source pointer, that pointer is still the string whose text
 * its fn_info holds, and a recursive call (the function found last is
 * the caller's, same pointer and line) needs no text compare. */
static inline fn_info *fn_lookup(recorder *R, lua_State *L, lua_Debug *ar, const fn_info *caller)
{
    fn_info *last = R->last_fn; /* recursion and loops call the same function */
    if (last && last->source == ar->source && ar->what[0] != 'C' &&
        ((last == caller && last->linedefined == ar->linedefined) ||
         same_site(last, ar, ar->linedefined)))
        return last;
    return fn_lookup_slow(R, L, ar);
}

static fn_info *fn_lookup_slow(recorder *R, lua_State *L, lua_Debug *ar)
{
    const void *key = ar->source;
    intptr_t k = ar->linedefined;
    int is_c = ar->what[0] == 'C';
    if (is_c) {
        if (!R->opt.c_calls) return NULL;
        lua_getinfo(L, "f", ar);
        lua_CFunction cf = lua_tocfunction(L, -1);
        lua_pop(L, 1);
        memcpy(&key, &cf, sizeof key < sizeof cf ? sizeof key : sizeof cf);
        k = -1;
    }
    fn_info *fn = ptrmap_get(&R->functions, key, k);
    if (!fn || (!is_c && !same_site(fn, ar, k))) {
        fn = fn_new(R, L, ar, is_c);
        if (fn) ptrmap_put(&R->functions, key, k, fn);
    }
    if (fn && !is_c) R->last_fn = fn;
    return fn;
}

/* ---- trace events ------------------------------------------------------ */

/* The frame belongs in the trace (its Call is written when recording). */
static int recorded(const frame *f)
{
    return f->fn && f->fn->recorded && !f->toplevel;
}

/* A writer call of a hook's fast path failed (`what` names it, as W
 * does): the recorder is g_rec, so that the fast paths keep no register
 * for it across their last call. */
static NOINLINE __attribute__((cold)) void fail_event(const char *what)
{
    recorder_fail(g_rec, what);
}

/* W for the fast paths: on failure fail_event, with the same message. */
#define W_FAST(call)                                                             \
    do {                                                                         \
        if ((call) != CTREC_OK) fail_event(#call);                               \
    } while (0)

static NOINLINE void emit_return_none(recorder *R)
{
    W_FAST(ctrec_return_none(R->w, 0)); /* nil: the None type 0 (values.c) */
}

/* The variable id of local `n` (1-based) of fn named `name`: one pointer
 * compare when the slot had that name last time (Lua keeps local names in
 * the function's prototype, so the pointer is stable). */
static ctrec_id local_var(recorder *R, fn_info *fn, int n, const char *name)
{
    if (n <= FN_LOCAL_SLOTS && fn->slot_name[n - 1] == name) return fn->slot_var[n - 1];
    ctrec_id var = recorder_var(R, name, strlen(name));
    if (n <= FN_LOCAL_SLOTS) {
        fn->slot_name[n - 1] = name;
        fn->slot_var[n - 1] = var;
    }
    return var;
}

static NOINLINE void emit_call_values(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn);

/* Call event for the activation `ar` ("Su" filled), with its arguments. */
static inline void emit_call(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn)
{
    if (!R->opt.values) {
        W_FAST(ctrec_call(R->w, fn->function_id));
        return;
    }
    emit_call_values(R, L, ar, fn);
}

/* The same with --values all. */
static NOINLINE void emit_call_values(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn)
{
    W(ctrec_begin_call(R->w, fn->function_id));
    char name[32];
    if (ar->what[0] == 'C') {
        lua_getinfo(L, "r", ar); /* a C function's arguments are the transferred values */
        for (int i = 0; i < ar->ntransfer; i++) {
            if (!lua_getlocal(L, ar, ar->ftransfer + i)) break;
            snprintf(name, sizeof name, "(arg %d)", i + 1);
            W(ctrec_arg(R->w, recorder_var(R, name, strlen(name))));
            W(value_write(R, L, -1));
            lua_pop(L, 1);
        }
    } else {
        /* each parameter is read to `at`, the one before popped first; the
         * last one stays (the hook's return drops it, or record_event) */
        int at = lua_gettop(L) + 1;
        for (int i = 1; i <= ar->nparams; i++) {
            if (i > 1) lua_pop(L, 1);
            const char *pname = lua_getlocal(L, ar, i);
            if (!pname) break;
            filter_action fa = fn->scope ? rfilter_value(fn, FILTER_ARG, i, pname) : FILTER_ALLOW;
            if (fa != FILTER_DROP) {
                W(ctrec_arg(R->w, local_var(R, fn, i, pname)));
                W(fa == FILTER_ALLOW ? value_write_abs(R, L, at) : rfilter_marker(R, fa));
            }
        }
        for (int i = 1; ar->isvararg && lua_getlocal(L, ar, -i); i++) {
            snprintf(name, sizeof name, "(vararg %d)", i);
            filter_action fa = fn->scope ? rfilter_value(fn, FILTER_ARG, 0, name) : FILTER_ALLOW;
            if (fa != FILTER_DROP) {
                W(ctrec_arg(R->w, recorder_var(R, name, strlen(name))));
                W(fa == FILTER_ALLOW ? value_write(R, L, -1) : rfilter_marker(R, fa));
            }
            lua_pop(L, 1);
        }
    }
    W(ctrec_end(R->w));
}

static NOINLINE void emit_return_values(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn);

/* Return event for the activation `ar`, with the values it returns. */
static void emit_return(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn)
{
    if (!R->opt.values) {
        emit_return_none(R);
        return;
    }
    emit_return_values(R, L, ar, fn);
}

/* The same with --values all. */
static NOINLINE void emit_return_values(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn)
{
    filter_action fa = fn->scope ? rfilter_value(fn, FILTER_RET, 0, FILTER_RETURN_NAME) : FILTER_ALLOW;
    if (fa != FILTER_ALLOW) { /* redacted, or dropped: a Return needs a value */
        W(ctrec_begin_return(R->w));
        W_AS(rfilter_marker(R, fa), "writing the returned values");
        W(ctrec_end(R->w));
        return;
    }
    lua_getinfo(L, "r", ar);
    int n = ar->ntransfer;
    /* a hook has LUA_MINSTACK free slots: lua_checkstack only for more
     * (the values, and what writing a scalar pushes: write_table checks
     * for its own) */
    if (n + 4 > LUA_MINSTACK && !lua_checkstack(L, n + 4)) n = 0;
    for (int i = 0; i < n; i++)
        if (!lua_getlocal(L, ar, ar->ftransfer + i)) lua_pushnil(L);
    W(ctrec_begin_return(R->w));
    /* the values stay: the hook's return drops them (or record_event) */
    ctrec_status st = value_write_multi(R, L, lua_gettop(L) - n + 1, n); /* absolute */
    W_AS(st, "writing the returned values");
    W(ctrec_end(R->w));
}

/* Lua allows 200 locals per function (LUAI_MAXVARS). */
#define MAX_LOCAL_NAMES 256

/* lua_getlocal numbers the active locals of a Lua function 1..k, then
 * calls every further stack slot of the activation "(temporary)", up to the
 * stack top, which in a hook is the function's whole frame (ldebug.c,
 * luaG_findlocal): no local follows the first temporary, and the slots
 * after it (three in fib, a dozen in nbody's advance) need not be read.
 * (Internal locals such as "(for state)" have names of their own.) */
static const char *temporary_name; /* Lua's own "(temporary)", once seen */

static inline int is_temporary(const char *name)
{
    /* Lua returns one string constant (ldebug.c): after the first strcmp
     * that finds it, a pointer compare */
    if (name == temporary_name) return 1;
    if (name[1] != 't' || strcmp(name, "(temporary)") != 0) return 0;
    temporary_name = name;
    return 1;
}

/* Values read by lua_getlocal or lua_getupvalue stay on the stack until
 * this many are there, then go in one lua_settop (a pop after each cost a
 * call). A hook runs with LUA_MINSTACK (20) free slots: the function (for
 * upvalues), this many values and the two slots write_address pushes fit
 * (write_table reserves what it pushes itself).
 * The last batch of a step stays: the hook's return drops it (luaD_hook
 * restores the stack top), and record_event, after which the script's
 * own hook may run, drops it itself. So emit_upvalues reads its values
 * above those emit_locals left, in smaller batches (see emit_upvalues). */
#define POP_BATCH 16

/* The locals visible at a line, as Value events after its Step; their
 * names go to names[] (*nnames of them) when names is not NULL. `base` is
 * the stack top (lua_gettop). Returns the number of values left on the
 * stack (at most POP_BATCH): the top is then base + that. */
static ALWAYS_INLINE int emit_locals(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn,
                                     int base, const char **names, int *nnames)
{
    int at = base; /* lua_getlocal puts local n at ++at, the new top */
    for (int n = 1;; n++) {
        if (at - base == POP_BATCH) {
            lua_settop(L, base);
            at = base;
        }
        const char *name = lua_getlocal(L, ar, n);
        if (!name) break;
        at++;
        if (name[0] == '(') { /* an internal local such as "(for state)" */
            if (is_temporary(name)) break;
            continue;
        }
        filter_action fa = fn->scope ? rfilter_value(fn, FILTER_LOCAL, n, name) : FILTER_ALLOW;
        if (fa == FILTER_DROP) continue;
        if (names && *nnames < MAX_LOCAL_NAMES) names[(*nnames)++] = name;
        ctrec_id var = local_var(R, fn, n, name);
        ctrec_status st = ctrec_begin_value(R->w, var);
        if (st == CTREC_OK) st = fa == FILTER_ALLOW ? value_write_abs(R, L, at) : rfilter_marker(R, fa);
        if (st == CTREC_OK) st = ctrec_end(R->w);
        if (st == CTREC_E_SIZE) { /* larger than the readers accept: a marker */
            ctrec_abandon(R->w);
            st = ctrec_begin_value(R->w, var);
            if (st == CTREC_OK) st = value_marker(R, "<too large>");
            if (st == CTREC_OK) st = ctrec_end(R->w);
        }
        if (st != CTREC_OK) {
            lua_settop(L, base);
            recorder_fail(R, "writing the Value event of a local");
            return 0;
        }
    }
    return at - base;
}

#define NOT_RECORDED UINT64_MAX /* up_var of _ENV and unnamed upvalues */

/* The variable id of upvalue `n` named `name` (cached as local_var's). */
static ctrec_id upvalue_var(recorder *R, fn_info *fn, int n, const char *name)
{
    if (n <= FN_SLOTS && fn->up_name[n - 1] == name) return fn->up_var[n - 1];
    ctrec_id var = recorder_var(R, name, strlen(name));
    if (n <= FN_SLOTS) {
        fn->up_name[n - 1] = name;
        fn->up_var[n - 1] = var;
    }
    return var;
}

/* The upvalues of the running function, as Value events named as Lua names
 * them, after the locals. Left out: _ENV (the globals table, an upvalue of
 * every chunk), names Lua does not know ("(no name)": stripped debug
 * information), and an upvalue hidden by a visible local of the same name
 * (the name means the local there). */
static void emit_upvalues(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn, frame *fr,
                          const char **locals, int nlocals, int used, int top)
{
    /* no lua_checkstack: a hook runs with LUA_MINSTACK (20) free slots, and
     * this needs the `used` slots emit_locals left, the function, a batch
     * and the two slots of write_address: at most 20 (see POP_BATCH) */
    int nups = fr->nups;
    if (nups == 1) { /* known to have no upvalue at all */
        fr->no_upvalues = 1;
        return;
    }
    int batch = POP_BATCH + 1 - used; /* used <= POP_BATCH: batch >= 1 */
    if (batch > POP_BATCH) batch = POP_BATCH;
    lua_getinfo(L, "f", ar); /* pushes the function: at top + 1 */
    int f = top + 1, any = 0, at = f; /* upvalue n is read to ++at */
    const char *name;
    for (int n = 1;; n++) {
        if (at - f == batch) {
            lua_settop(L, f);
            at = f;
        }
        /* nups (when known): upvalues 1..nups - 1 exist, the next one
         * does not; lua_getupvalue need not say so */
        if (n == nups || !(name = lua_getupvalue(L, f, n))) break;
        at++;
        int skip = n <= FN_SLOTS && fn->up_name[n - 1] == name /* cached: known */
                       ? fn->up_var[n - 1] == NOT_RECORDED
                       : name[0] == '(' || strcmp(name, "_ENV") == 0;
        if (skip && n <= FN_SLOTS) {
            fn->up_name[n - 1] = name;
            fn->up_var[n - 1] = NOT_RECORDED;
        }
        if (!skip) any = 1;
        for (int i = 0; !skip && i < nlocals; i++) /* names are mostly interned: same pointer */
            skip = locals[i] == name || (locals[i][0] == name[0] && strcmp(locals[i], name) == 0);
        filter_action fa = FILTER_ALLOW;
        if (!skip && fn->scope && (fa = rfilter_value(fn, FILTER_UPVALUE, n, name)) == FILTER_DROP)
            skip = 1;
        if (skip) continue;
        ctrec_status st = ctrec_begin_value(R->w, upvalue_var(R, fn, n, name));
        if (st == CTREC_OK) st = fa == FILTER_ALLOW ? value_write_abs(R, L, at) : rfilter_marker(R, fa);
        if (st == CTREC_OK) st = ctrec_end(R->w);
        if (st != CTREC_OK) {
            lua_settop(L, f - 1);
            W_AS(st, "writing the Value event of an upvalue");
        }
    }
    /* for the rest of this activation (not for the definition site: two
     * functions defined on one line share its fn_info, and only one of
     * them may have upvalues to record) */
    fr->no_upvalues = !any;
}

/* ---- start and stop ---------------------------------------------------- */

static void materialize(recorder *R, thread_rec *T);

void recorder_pause(recorder *R)
{
    R->active = 0;
    recorder_fast_update(R);
}

void recorder_resume(recorder *R)
{
    if (R->active || !R->w || R->closed || R->failed) return;
    R->active = 1;
    recorder_fast_update(R);
    for (size_t i = 0; i < R->chain_n; i++) materialize(R, R->chain[i]);
}

/* The call --activation-path started the recording with returned (or was
 * unwound): the recording stops for good (the ctrec module can resume it). */
static void activation_end(recorder *R)
{
    R->activation_state = 3;
    recorder_pause(R);
}

/* ---- shadow stacks ----------------------------------------------------- */

static frame *push_frame(thread_rec *T)
{
    if (T->n == T->cap) {
        size_t cap = T->cap ? T->cap * 2 : 64;
        frame *f = realloc(T->frames, cap * sizeof *f);
        if (!f) return NULL;
        T->frames = f;
        T->cap = cap;
    }
    return &T->frames[T->n++]; /* the caller sets every field */
}

/* Pops the frames above index `keep` (exclusive: frames[0..keep) stay),
 * each with a Return (None): they were unwound by an error. */
static void pop_to(recorder *R, thread_rec *T, size_t keep)
{
    while (T->n > keep) {
        frame *f = &T->frames[--T->n];
        if (f->live) emit_return_none(R);
        if (f->activation) activation_end(R);
    }
}

/* Index + 1 of the frame of activation `ci` (0: not on the shadow stack). */
static size_t find_frame(const thread_rec *T, const void *ci)
{
    for (size_t i = T->n; i > 0; i--)
        if (T->frames[i - 1].ci == ci) return i;
    return 0;
}

/* ---- threads ----------------------------------------------------------- */

/* T's frames enter the trace (Calls without arguments), when recording. */
static void materialize(recorder *R, thread_rec *T)
{
    if (!R->active) return;
    for (size_t i = 0; i < T->n; i++) {
        frame *f = &T->frames[i];
        if (recorded(f) && !f->live) {
            W(ctrec_call(R->w, f->fn->function_id));
            f->live = 1;
        }
    }
}

/* Control left T (yield, end or error): its frames leave the trace. */
static void leave_thread(recorder *R, thread_rec *T)
{
    int dead = R->lua_closed || lua_status(T->L) != LUA_YIELD;
    for (size_t i = T->n; i > 0; i--) {
        frame *f = &T->frames[i - 1];
        if (f->live) emit_return_none(R);
        f->live = 0;
        if (f->activation && dead) activation_end(R);
    }
    T->in_chain = 0;
    if (dead) { /* finished or dead: forget it */
        ptrmap_remove(&R->threads, T->L, 0);
        free(T->frames);
        free(T);
    }
}

static void switch_thread(recorder *R, lua_State *L, const lua_Debug *ar)
{
    thread_rec *T = ptrmap_get(&R->threads, L, 0);
    if (T && !T->in_chain && ar->event == LUA_HOOKCALL) {
        /* A thread that starts with a call that has no caller is running
         * its body for the first time: a suspended coroutine resumes
         * inside the frames it yielded from instead. So the frames kept
         * under this address belong to a coroutine that was collected (or
         * closed) while suspended, and whose lua_State's memory now holds
         * this new thread: they are not this thread's. */
        lua_Debug caller;
        if (!lua_getstack(L, 1, &caller)) T->n = 0;
    }
    if (T && T->in_chain) {
        while (R->chain[R->chain_n - 1] != T) leave_thread(R, R->chain[--R->chain_n]);
    } else {
        if (!T) {
            T = calloc(1, sizeof *T);
            if (!T || ptrmap_put(&R->threads, L, 0, T)) {
                free(T);
                R->failed = 1;
                recorder_fast_update(R);
                return;
            }
            T->L = L;
        }
        if (R->chain_n == R->chain_cap) {
            size_t cap = R->chain_cap ? R->chain_cap * 2 : 16;
            thread_rec **c = realloc(R->chain, cap * sizeof *c);
            if (!c) {
                R->failed = 1;
                recorder_fast_update(R);
                return;
            }
            R->chain = c;
            R->chain_cap = cap;
        }
        R->chain[R->chain_n++] = T;
        T->in_chain = 1;
        materialize(R, T);
    }
    R->cur_L = L;
    R->cur = T;
    recorder_fast_update(R);
    R->lines_L = NULL; /* rfilter_lines: decide the line hook of this thread again */
}

/* ---- the hook ---------------------------------------------------------- */

/* The event handlers are not inlined into the hook: its fast path jumps to
 * them, with no registers to save of its own (NOINLINE: at the top). */

static void step_values(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn);

/* A call event in general (on_call has the common case). `caller_ci`:
 * the caller's CallInfo (lua_getstack level 1; NULL for a tail call,
 * whose replaced frame is found by its own). `looked`: on_call already
 * filled `ar` and found `fn`. */
static NOINLINE void on_call_slow(recorder *R, thread_rec *T, lua_State *L, lua_Debug *ar,
                                  int tail, const void *caller_ci, fn_info *fn, int looked)
{
    int toplevel = !R->main_started && L == R->main_L && !tail;
    /* the shadow stack's top is the caller */
    int synced = !tail && T->n && T->frames[T->n - 1].ci == caller_ci;
    if (!looked) {
        fn = &R->toplevel_fn;
        if (!toplevel) {
            lua_getinfo(L, R->opt.values ? "Su" : "S", ar); /* "u": the parameters */
            fn = fn_lookup(R, L, ar, synced ? T->frames[T->n - 1].fn : NULL);
        }
    }
    /* --c-calls: a C function called by skipped code is not recorded either */
    if (fn && !fn->src && fn != &R->toplevel_fn && T->n && T->frames[T->n - 1].fn &&
        T->frames[T->n - 1].fn->skip)
        fn = NULL;
    frame *f;
    if (tail) {
        size_t i = find_frame(T, ar->i_ci); /* the frame being replaced */
        if (i) {
            pop_to(R, T, i);
            f = &T->frames[i - 1];
            if (f->live) emit_return_none(R);
            if (f->activation) activation_end(R);
        } else {
            f = push_frame(T);
        }
    } else {
        if (!synced) pop_to(R, T, caller_ci ? find_frame(T, caller_ci) : 0);
        f = push_frame(T);
    }
    if (!f) {
        R->failed = 1;
        recorder_fast_update(R);
        return;
    }
    *f = (frame){.ci = ar->i_ci, .fn = fn, .toplevel = toplevel,
                 .nups = R->opt.values && !toplevel ? ar->nups + 1 : 0}; /* "u" above */
    if (toplevel) { /* the script's main chunk: the trace's top-level call 0 */
        R->main_started = 1;
        return;
    }
    if (!fn || !fn->recorded) return;
    if (R->activation_state == 1 && fn->has_lines &&
        (int64_t)fn->path_id == R->activation_path_id) { /* --activation-path */
        R->activation_state = 2;
        f->activation = 1;
        T->n--; /* the frames below get their Calls, this one its own below */
        recorder_resume(R);
        T->n++;
    }
    if (R->active) {
        /* live before the Call is written: if writing fails, the recorder
         * stops and no frame's live is read again */
        f->live = 1;
        emit_call(R, L, ar, fn);
    }
}

/* A call event (not a tail call): the common case, a recorded Lua
 * function called by the function on top of the shadow stack (proven by
 * the caller's CallInfo), with room for its frame and no --activation-path
 * waiting, is done here; anything else goes on to on_call_slow with what
 * was found so far. */
static NOINLINE void on_call(recorder *R, thread_rec *T, lua_State *L, lua_Debug *ar)
{
    lua_Debug caller;
    const void *caller_ci = lua_getstack(L, 1, &caller) ? caller.i_ci : NULL;
    size_t n = T->n;
    if (__builtin_expect(!n || T->frames[n - 1].ci != caller_ci || !R->main_started, 0)) {
        on_call_slow(R, T, L, ar, 0, caller_ci, NULL, 0);
        return;
    }
    lua_getinfo(L, R->opt.values ? "Su" : "S", ar); /* "u": the parameters */
    fn_info *fn = fn_lookup(R, L, ar, T->frames[n - 1].fn);
    if (fn && fn->src && !fn->recorded && n < T->cap) {
        /* a Lua function a filter skips (or that has no lines): only its
         * frame, as on_call_slow makes it then (not the top level, which
         * main_started rules out above; no Call), without that call: about
         * 60 instructions of each call inside skipped code */
        T->frames[n] = (frame){.ci = ar->i_ci, .fn = fn, .nups = R->opt.values ? ar->nups + 1 : 0};
        T->n = n + 1;
        return;
    }
    if (__builtin_expect(!fn || !fn->src || !fn->recorded || n == T->cap ||
                             R->activation_state == 1,
                         0)) {
        on_call_slow(R, T, L, ar, 0, caller_ci, fn, 1);
        return;
    }
    frame *f = &T->frames[n];
    T->n = n + 1;
    *f = (frame){.ci = ar->i_ci, .fn = fn, .nups = R->opt.values ? ar->nups + 1 : 0};
    if (R->active) {
        f->live = 1; /* before the Call: as on_call_slow */
        emit_call(R, L, ar, fn);
    }
}

/* A return event in general (on_return has the common case). */
static NOINLINE void on_return_slow(recorder *R, thread_rec *T, lua_State *L, lua_Debug *ar)
{
    if (!T->n) return;
    if (T->frames[T->n - 1].ci != ar->i_ci) {
        size_t i = find_frame(T, ar->i_ci);
        if (!i) return; /* an activation we never saw */
        pop_to(R, T, i);
    }
    frame *f = &T->frames[--T->n];
    if (f->live) emit_return(R, L, ar, f->fn);
    if (f->activation) activation_end(R);
}

/* A return event: the common case, the function on top of the shadow
 * stack returning, not the call --activation-path started with, is
 * checked here and ends in one call (a tail call when nothing is left to
 * do after it). */
static NOINLINE void on_return(recorder *R, thread_rec *T, lua_State *L, lua_Debug *ar)
{
    size_t n = T->n;
    if (__builtin_expect(n && T->frames[n - 1].ci == ar->i_ci && !T->frames[n - 1].activation, 1)) {
        T->n = n - 1;
        if (!T->frames[n - 1].live) return;
        if (R->opt.values)
            emit_return_values(R, L, ar, T->frames[n - 1].fn);
        else
            W_FAST(ctrec_return_none(R->w, 0));
        return;
    }
    on_return_slow(R, T, L, ar);
}

/* A line event in general (on_line has the common case). */
static NOINLINE void on_line_slow(recorder *R, thread_rec *T, lua_State *L, lua_Debug *ar)
{
    frame *f = T->n ? &T->frames[T->n - 1] : NULL;
    if (!f || f->ci != ar->i_ci) {
        size_t i = find_frame(T, ar->i_ci);
        if (i) {
            pop_to(R, T, i);
            f = &T->frames[i - 1];
        } else { /* an activation we never saw: follow it, without a Call */
            if (!(f = push_frame(T))) return;
            lua_getinfo(L, "S", ar);
            *f = (frame){.ci = ar->i_ci, .fn = fn_lookup(R, L, ar, NULL), .toplevel = 1};
        }
    }
    fn_info *fn = f->fn;
    if (!fn || !fn->has_lines || !R->active) return;
    R->stepped = 1;
    if (R->opt.values) {
        step_values(R, L, ar, fn);
        return;
    }
    W(ctrec_step(R->w, fn->path_id, ar->currentline));
}

/* A line event: the common case, a line of the function on top of the
 * shadow stack, is checked here and goes straight to the writer. */
static NOINLINE void on_line(recorder *R, thread_rec *T, lua_State *L, lua_Debug *ar)
{
    size_t n = T->n;
    fn_info *fn;
    if (__builtin_expect(n && T->frames[n - 1].ci == ar->i_ci && (fn = T->frames[n - 1].fn) &&
                             fn->has_lines && R->active,
                         1)) {
        R->stepped = 1;
        if (R->opt.values) {
            step_values(R, L, ar, fn);
            return;
        }
        W_FAST(ctrec_step(R->w, fn->path_id, ar->currentline));
        return;
    }
    on_line_slow(R, T, L, ar);
}

/* The Step of a line of fn, the function of the top frame of R->cur
 * (on_line and on_line_slow make it so), and the values recorded there:
 * its locals and upvalues. The last of them stay on the stack (see
 * POP_BATCH). */
static NOINLINE void step_values(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn)
{
    W(ctrec_step(R->w, fn->path_id, ar->currentline));
    frame *fr = &R->cur->frames[R->cur->n - 1];
    if (R->opt.upvalues && !fr->no_upvalues) {
        const char *names[MAX_LOCAL_NAMES];
        int nnames = 0;
        int base = lua_gettop(L);
        int used = emit_locals(R, L, ar, fn, base, names, &nnames);
        emit_upvalues(R, L, ar, fn, fr, names, nnames, used, base + used);
    } else {
        emit_locals(R, L, ar, fn, lua_gettop(L), NULL, NULL);
    }
}

/* After an event with a trace filter: rfilter_lines, unless the line
 * hook of this thread is known to be as the running Lua function wants it
 * (the common case inside skipped code: calls and returns between skipped
 * functions). */
static inline void filter_lines(recorder *R, lua_State *L)
{
    const thread_rec *C = R->cur;
    const fn_info *fn = C->n ? C->frames[C->n - 1].fn : NULL;
    if (!fn || !fn->src || L != R->lines_L || R->script_hooks || (!fn->skip) != R->lines_on)
        rfilter_lines(R, L, C);
}

static void record_event(recorder *R, lua_State *L, lua_Debug *ar)
{
    if (L != R->cur_L) {
        switch_thread(R, L, ar);
        if (R->failed) return;
    }
    thread_rec *T = R->cur;
    int top = lua_gettop(L);
    switch (ar->event) {
    case LUA_HOOKLINE: on_line(R, T, L, ar); break;
    case LUA_HOOKCALL: on_call(R, T, L, ar); break;
    case LUA_HOOKTAILCALL: on_call_slow(R, T, L, ar, 1, NULL, NULL, 0); break;
    case LUA_HOOKRET: on_return(R, T, L, ar); break;
    default: break;
    }
    /* a step's values stay (see POP_BATCH): not for the script's hook;
     * a call or return inside skipped code leaves the stack as it was */
    if (lua_gettop(L) != top) lua_settop(L, top);
    if (R->opt.filter) filter_lines(R, L);
}

/* The hook in general: the recorder's part, then the script's own hook,
 * if it set one with debug.sethook (scripthook.c), for the events it
 * asked for. */
static NOINLINE void hook_slow(lua_State *L, lua_Debug *ar)
{
    recorder *R = g_rec;
    int event = ar->event, line = ar->currentline;
    if (!R->closed && !R->failed && event != LUA_HOOKCOUNT) record_event(R, L, ar);
    if (R->script_hooks) scripthook_call(L, event, line);
}

/* A line, call or return event of the thread of the last event, to its
 * handler: 1, or 0 for another event. */
static inline int dispatch(recorder *R, lua_State *L, lua_Debug *ar)
{
    switch (ar->event) {
    case LUA_HOOKLINE: on_line(R, R->cur, L, ar); return 1;
    case LUA_HOOKCALL: on_call(R, R->cur, L, ar); return 1;
    case LUA_HOOKRET: on_return(R, R->cur, L, ar); return 1;
    default: return 0;
    }
}

/* With a trace filter, the common case of hook: as record_event, without
 * its checks and without lua_gettop and lua_settop (with no script hook
 * nothing runs after the handler on this stack, and Lua restores the
 * stack's top after a hook). Inside skipped code every call and return
 * comes here: plain Lua with a hook on calls and returns only. */
static NOINLINE void hook_filtered(recorder *R, lua_State *L, lua_Debug *ar)
{
    if (!dispatch(R, L, ar)) {
        hook_slow(L, ar);
        return;
    }
    filter_lines(R, L);
}

/* The recorder's hook. The common case, an event of the thread of the
 * last event with no script hook and the recording going on, goes straight
 * to its handler (record_event without its checks); with a trace filter,
 * to hook_filtered. */
static void hook(lua_State *L, lua_Debug *ar)
{
    recorder *R = g_rec;
    if (L == R->fast_L) {
        if (dispatch(R, L, ar)) return;
    } else if (L == R->filter_L) {
        hook_filtered(R, L, ar);
        return;
    }
    hook_slow(L, ar);
}

/* Benchmark floors: the same hooks, nothing recorded. */
static void hook_floor_hooks(lua_State *L, lua_Debug *ar)
{
    (void)L;
    (void)ar;
}

/* The floors read the upvalues (but _ENV) too, as recording does unless
 * --no-upvalues. Calls f(L, stack index) for each. */
static void floor_upvalues(lua_State *L, lua_Debug *ar, void (*f)(lua_State *, int))
{
    if (!g_rec->opt.upvalues) return; /* LUA_MINSTACK free slots: as emit_upvalues */
    lua_getinfo(L, "f", ar);
    int fi = lua_gettop(L);
    const char *name;
    for (int n = 1; (name = lua_getupvalue(L, fi, n)); n++) {
        if (name[0] != '(' && strcmp(name, "_ENV") != 0) f(L, fi + 1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void floor_nothing(lua_State *L, int idx)
{
    (void)L;
    (void)idx;
}

static void hook_floor_locals(lua_State *L, lua_Debug *ar)
{
    if (ar->event != LUA_HOOKLINE) return;
    const char *name;
    for (int n = 1; (name = lua_getlocal(L, ar, n)); n++) {
        lua_pop(L, 1);
        if (name[0] == '(' && is_temporary(name)) break; /* as emit_locals */
    }
    floor_upvalues(L, ar, floor_nothing);
}

/* --floor reads: the reads that recording a step's values needs through
 * Lua's public API. It reads each element that values.c records (the same
 * --max-depth and --max-elements limits, the same long-array rule), each
 * once and with the cheapest raw access, and writes nothing: no type
 * lookups, no cycle checks, no key sorting, no copies of string bytes. */
static size_t floor_budget;
static volatile uintptr_t floor_sink; /* keeps the reads from being optimized away */

static void floor_read(recorder *R, lua_State *L, int idx, unsigned depth)
{
    size_t len;
    R->nvalues++; /* --stats: as write_any counts */
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            floor_sink += (uintptr_t)lua_tointeger(L, idx);
        else
            floor_sink += (uintptr_t)(int64_t)lua_tonumber(L, idx);
        return;
    case LUA_TSTRING: floor_sink += (uintptr_t)lua_tolstring(L, idx, &len) + len; return;
    case LUA_TTABLE: break;
    default: floor_sink += (uintptr_t)lua_topointer(L, idx); return;
    }
    if (depth >= R->opt.max_depth || !lua_checkstack(L, 3)) return;
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    int long_array = n > LONG_ARRAY && (size_t)n > floor_budget; /* no key scan */
    for (lua_Integer i = 1; i <= n && floor_budget; i++) {
        floor_budget--;
        lua_rawgeti(L, idx, i);
        floor_read(R, L, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
    if (long_array || !floor_budget) return;
    if (n > LONG_ARRAY)
        lua_pushinteger(L, n);
    else
        lua_pushnil(L);
    while (floor_budget && lua_next(L, idx)) { /* the other keys */
        if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 || lua_tointeger(L, -2) > n) {
            floor_budget--;
            floor_read(R, L, lua_gettop(L), depth + 1);
        }
        lua_pop(L, 1);
    }
    if (floor_budget == 0) lua_pop(L, 1); /* the scan stopped early: its key */
}

static void floor_read_value(lua_State *L, int idx)
{
    floor_budget = g_rec->opt.max_elements;
    floor_read(g_rec, L, idx, 0);
}

static void hook_floor_reads(lua_State *L, lua_Debug *ar)
{
    if (ar->event != LUA_HOOKLINE) return;
    const char *name;
    for (int n = 1; (name = lua_getlocal(L, ar, n)); n++) {
        if (name[0] != '(') floor_read_value(L, lua_gettop(L));
        lua_pop(L, 1);
        if (name[0] == '(' && is_temporary(name)) break; /* as emit_locals */
    }
    floor_upvalues(L, ar, floor_read_value);
}

/* --floor calls: the one read --values none needs beyond the hooks, the
 * source (lua_getinfo "S") of each called function, which names it. */
static void hook_floor_calls(lua_State *L, lua_Debug *ar)
{
    if (ar->event != LUA_HOOKCALL && ar->event != LUA_HOOKTAILCALL) return;
    lua_getinfo(L, "S", ar);
    floor_sink += (uintptr_t)ar->source;
}

/* --floor values: --floor reads, and the reads that recording arguments
 * and returned values needs: at each call lua_getinfo "Su" and each
 * parameter (and vararg) of a Lua function; at the return of a Lua
 * function lua_getinfo "r" and each returned value; each read as
 * floor_read_value. Whether the returning function is a Lua one is kept
 * on a stack of flags (one thread, as the benchmark programs; a return
 * the stack does not know, after an error unwound frames, reads nothing). */
#define FLOOR_STACK 4096
static unsigned char floor_is_lua[FLOOR_STACK];
static size_t floor_depth;

/* Reads local n of ar's function (lua_getlocal's numbering: a negative n
 * is a vararg) as floor_read_value; 0 when there is none. */
static int floor_read_local(lua_State *L, const lua_Debug *ar, int n)
{
    if (!lua_getlocal(L, ar, n)) return 0;
    floor_read_value(L, lua_gettop(L));
    lua_pop(L, 1);
    return 1;
}

static void hook_floor_values(lua_State *L, lua_Debug *ar)
{
    switch (ar->event) {
    case LUA_HOOKLINE: hook_floor_reads(L, ar); return;
    case LUA_HOOKCALL:
    case LUA_HOOKTAILCALL: {
        lua_getinfo(L, "Su", ar);
        int is_lua = ar->what[0] != 'C';
        if (ar->event == LUA_HOOKTAILCALL && floor_depth) floor_depth--; /* replaces its caller */
        if (floor_depth < FLOOR_STACK) floor_is_lua[floor_depth] = (unsigned char)is_lua;
        floor_depth++;
        if (!is_lua) return;
        for (int i = 1; i <= ar->nparams && floor_read_local(L, ar, i); i++) continue;
        for (int i = 1; ar->isvararg && floor_read_local(L, ar, -i); i++) continue;
        return;
    }
    case LUA_HOOKRET: {
        if (!floor_depth) return;
        floor_depth--;
        if (floor_depth >= FLOOR_STACK || !floor_is_lua[floor_depth]) return;
        lua_getinfo(L, "r", ar);
        for (int i = 0; i < ar->ntransfer && floor_read_local(L, ar, ar->ftransfer + i); i++)
            continue;
        return;
    }
    default: return;
    }
}

/* ---- lifecycle --------------------------------------------------------- */

int recorder_open(recorder *R, const recorder_options *opt, const char *script,
                  const char *const *args, size_t nargs)
{
    memset(R, 0, sizeof *R);
    R->opt = *opt;
    g_rec = R;
    for (size_t i = 0; i < sizeof R->type_ids / sizeof R->type_ids[0]; i++) R->type_ids[i] = -1;
    if (opt->floor != FLOOR_NONE) return 0;

    ctrec_writer_options wo;
    ctrec_writer_options_init(&wo);
    wo.format = opt->format;
    wo.program = script;
    wo.args = args;
    wo.nargs = nargs;
    /* trace.bin: 2 MiB zstd frames instead of the library's 64 KiB, the
     * reference writer's size: the compression thread is woken 32 times
     * less often and compresses better (trace.bin about half the size),
     * for about 8 MB more memory. */
    wo.frame_size = 2048u * 1024u;
    /* Where to compress (--compress-thread): by default on a thread of
     * its own, in every format (until 2026-12-05, a .ct with values was
     * compressed on the recording thread). Which is faster depends on the
     * host (BENCHMARKS.md, eighth, fourteenth, sixteenth, twenty-third and
     * twenty-sixth sessions): on a host whose two vCPUs are separate cores
     * the thread made trace.bin faster on every program measured (nbody.lua
     * 10000 --values all 5.05 s against 6.16, the busted specs of the
     * real-world corpus by 11 % in the median case, none slower). A .ct
     * with values gained as much only once its values chunks (MBs when
     * tables are recorded) went to the thread in parts of 256 KiB as they
     * grow (twenty-sixth session: sort.lua 10000 0.91, nbody.lua 0.92,
     * fib.lua 0.72 of the time in place, every busted spec faster, 0.945
     * in the median case); whole, they were as fast either way here, and
     * faster in place on the fourteenth session's host (by 7-27 %). On the
     * eighth session's host the thread made trace.bin slower with 1 MiB
     * frames, and on the sixteenth's (two vCPUs of one core) it gained
     * nothing. */
    if (opt->compress_thread >= 0) wo.compress_thread = opt->compress_thread; /* else the library's 1 */
    if (opt->max_event_mib) wo.max_event_bytes = (size_t)opt->max_event_mib << 20;
    wo.extra_metadata = opt->filter_metadata; /* the active trace filters */
    if (ctrec_writer_open(opt->out_dir, &wo, &R->w) != CTREC_OK) {
        fprintf(stderr, "ctrec-lua: cannot write the trace to %s: %s\n", opt->out_dir,
                ctrec_writer_errmsg(R->w));
        ctrec_writer_close(R->w);
        R->w = NULL;
        return -1;
    }
    char *abs = resolve_path(script);
    ctrec_status st = abs ? ctrec_start(R->w, abs, strlen(abs), 1) : CTREC_E_NOMEM;
    R->active = 1;
    R->activation_path_id = -1;
    if (abs && opt->activation_path) {
        /* recording waits for a function of that file, unless it is the script */
        R->activation_abs = resolve_path(opt->activation_path);
        if (R->activation_abs && strcmp(R->activation_abs, abs) != 0) {
            R->active = 0;
            R->activation_state = 1;
        }
    }
    free(abs);
    if (st != CTREC_OK) {
        fprintf(stderr, "ctrec-lua: cannot start the trace: %s\n", ctrec_writer_errmsg(R->w));
        ctrec_writer_close(R->w);
        R->w = NULL;
        return -1;
    }
    /* "@script" is the chunkname luaL_loadfile gives the script: path 0 */
    size_t len = strlen(script);
    char *source = malloc(len + 2);
    if (!source) return -1;
    source[0] = '@';
    memcpy(source + 1, script, len + 1);
    strmap_put(&R->paths, source, len + 1, 0);
    free(source);
    R->toplevel_fn.recorded = R->toplevel_fn.has_lines = 1;
    R->toplevel_fn.path_id = 0;
    R->toplevel_fn.function_id = 0;
    rfilter_classify_main(R, &R->toplevel_fn, script);
    strmap_put(&R->function_names, "<toplevel>", 10, UINT64_MAX);
    return 0;
}

#define RECORDER_MASK (LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE)

void recorder_install(recorder *R, lua_State *L)
{
    R->main_L = L;
    /* --floor lua: the script on the Lua library ctrec-lua is linked with,
     * without a hook (Debian's lua5.4 runs its own build of the VM, whose
     * speed can differ: README, Benchmark) */
    if (R->opt.floor == FLOOR_LUA) return;
    lua_Hook h = R->opt.floor == FLOOR_HOOKS    ? hook_floor_hooks
                 : R->opt.floor == FLOOR_LOCALS ? hook_floor_locals
                 : R->opt.floor == FLOOR_READS  ? hook_floor_reads
                 : R->opt.floor == FLOOR_CALLS  ? hook_floor_calls
                 : R->opt.floor == FLOOR_VALUES ? hook_floor_values
                                                : hook;
    if (R->opt.floor == FLOOR_NONE && !R->w) return;
    int mask = 0, count = 0;
    if (R->script_hooks) scripthook_get(L, &mask, &count); /* after a Ctrl-C */
    R->lines_L = NULL;
    lua_sethook(L, h, RECORDER_MASK | (mask & LUA_MASKCOUNT), count);
}

void recorder_hook_thread(recorder *R, lua_State *L1, int script_mask, int count)
{
    if (R->opt.floor != FLOOR_NONE || !R->w || R->lua_closed) return;
    R->lines_L = NULL;
    lua_sethook(L1, hook, RECORDER_MASK | (script_mask & LUA_MASKCOUNT),
                (script_mask & LUA_MASKCOUNT) ? count : 0);
}

/* Back to the main thread, then every frame of it gets its Return. */
static void unwind_all(recorder *R)
{
    while (R->chain_n > 1) leave_thread(R, R->chain[--R->chain_n]);
    if (R->chain_n == 1) {
        R->cur = R->chain[0];
        R->cur_L = R->cur->L;
        recorder_fast_update(R);
        pop_to(R, R->cur, 0);
    }
}

void recorder_error(recorder *R, const char *msg, size_t len)
{
    if (!R->w || R->closed || R->failed) return;
    if (!R->stepped) W(ctrec_step(R->w, 0, 1)); /* the script did not even load */
    R->stepped = 1;
    W(ctrec_event(R->w, CTREC_EVENT_ERROR, "", 0, msg, len));
    unwind_all(R);
}

void recorder_lua_closed(recorder *R)
{
    R->lua_closed = 1;
    R->main_L = R->cur_L = R->fast_L = R->filter_L = NULL;
}

int recorder_finish(recorder *R)
{
    if (R->closed) return 0;
    R->closed = 1;
    recorder_fast_update(R);
    if (R->main_L && !R->lua_closed) lua_sethook(R->main_L, NULL, 0, 0);
    if (!R->w) return 0;
    int failed = R->failed;
    if (!failed) {
        if (!R->stepped) ctrec_step(R->w, 0, 1); /* a trace needs a Step */
        unwind_all(R);
    }
    ctrec_status st = ctrec_writer_close(R->w);
    if (st != CTREC_OK && !failed)
        fprintf(stderr, "ctrec-lua: writing the trace failed: %s\n", ctrec_status_name(st));
    if (st != CTREC_OK)
        fprintf(stderr, "ctrec-lua: the trace in %s is incomplete; `ctrec repair %s` keeps the "
                        "events written before the failure\n", R->opt.out_dir, R->opt.out_dir);
    R->w = NULL;

    for (size_t i = 0; i < R->chain_n; i++) {
        ptrmap_remove(&R->threads, R->chain[i]->L, 0);
        free(R->chain[i]->frames);
        free(R->chain[i]);
    }
    free(R->chain);
    R->chain = NULL;
    R->chain_n = 0;
    /* Records of suspended coroutines and the function cache stay until
     * the process exits: hooks may still run (lua_close) and check R->closed. */
    free(R->activation_abs);
    R->activation_abs = NULL;
    strmap_free(&R->function_names);
    strmap_free(&R->paths);
    strmap_free(&R->vars);
    values_free(R);
    rfilter_free(R);
    return (st == CTREC_OK && !failed) ? 0 : -1;
}
