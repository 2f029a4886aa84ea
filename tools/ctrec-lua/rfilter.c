/*
 * rfilter.c — trace filters (filter.h) applied by the recorder.
 *
 * Each Lua function of a file chunk is classified once, when fn_new meets
 * its definition site: by its file (absolute path), its module (the name
 * `require` loaded its chunk under, seen as the chunk's first vararg when
 * the second is its file name, which is how Lua 5.4's searcher calls a Lua
 * module; else derived from the path) and its name. A skipped function
 * gets no Call, Steps or Return, and while it runs the thread's hook mask
 * has no LUA_MASKLINE (unless the script's own hook, scripthook.c, asks for
 * lines), so that its lines run without hook calls; calls and
 * returns still reach the hook, so a recorded function it calls is
 * recorded (and turns the line hook on again), as the Python recorder's
 * skip is per code object, not per call tree. Values are allowed, redacted
 * (an Error value "<redacted>" of Raw type "Redacted", as the Python
 * recorder writes) or dropped (left out; a dropped return value is
 * "<dropped>" of type "Dropped", since a Return needs a value).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>

#include "recorder.h"

/* The module names R->modules points to (strmap does not own its values);
 * there is one recorder per process. */
static char **names;
static size_t nnames, capnames;

static int keep_name(char *name)
{
    if (nnames == capnames) {
        size_t cap = capnames ? capnames * 2 : 16;
        char **p = realloc(names, cap * sizeof *p);
        if (!p) return -1;
        names = p;
        capnames = cap;
    }
    names[nnames++] = name;
    return 0;
}

/* The module name a chunk's main function was required under: Lua 5.4's
 * searcher_Lua calls the chunk with (modname, filename), filename being
 * the chunk name without its '@'. Returns a malloc'd name or NULL. */
static char *required_as(lua_State *L, lua_Debug *ar)
{
    char *name = NULL;
    if (!lua_checkstack(L, 2)) return NULL;
    const char *n1 = lua_getlocal(L, ar, -1);
    if (!n1) return NULL;
    const char *n2 = lua_getlocal(L, ar, -2);
    if (n2) {
        size_t l1, l2;
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
            const char *mod = lua_tolstring(L, -2, &l1);
            const char *file = lua_tolstring(L, -1, &l2);
            if (l2 + 1 == ar->srclen && memcmp(file, ar->source + 1, l2) == 0 &&
                strlen(mod) == l1 && (name = malloc(l1 + 1)))
                memcpy(name, mod, l1 + 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return name;
}

static char *absolute(const char *file)
{
    char *abs = realpath(file, NULL);
    if (abs || file[0] == '/') return abs ? abs : strdup(file);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return strdup(file);
    size_t n = strlen(cwd) + strlen(file) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", cwd, file);
    return p;
}

int rfilter_classify(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn, const char *name)
{
    trace_filter *f = R->opt.filter;
    if (!f || ar->source[0] != '@') return 0;
    const char *module = NULL;
    uint64_t v;
    char *req = NULL;
    if (ar->what[0] == 'm' && (req = required_as(L, ar)) != NULL) {
        if (keep_name(req)) {
            free(req);
        } else {
            strmap_put(&R->modules, ar->source, ar->srclen, (uint64_t)(uintptr_t)req);
            module = req;
        }
    } else if (strmap_get(&R->modules, ar->source, ar->srclen, &v)) {
        module = (const char *)(uintptr_t)v;
    }
    const char *qual = ar->what[0] == 'm' ? ""
                       : strncmp(name, "<anonymous> ", 12) == 0 ? "<anonymous>"
                                                                 : name;
    char *abs = absolute(ar->source + 1);
    fn->scope = abs ? filter_classify(f, abs, module, qual) : NULL;
    free(abs);
    fn->skip = fn->scope && fn->scope->skip;
    return fn->skip;
}

void rfilter_classify_main(recorder *R, fn_info *fn, const char *script)
{
    if (!R->opt.filter) return;
    char *abs = absolute(script);
    fn->scope = abs ? filter_classify(R->opt.filter, abs, NULL, "") : NULL;
    free(abs);
    fn->skip = fn->scope && fn->scope->skip;
    if (fn->skip) fn->has_lines = 0;
}

void rfilter_lines(recorder *R, lua_State *L, const thread_rec *T)
{
    if (!R->opt.filter || !T->n) return;
    const fn_info *fn = T->frames[T->n - 1].fn;
    if (!fn || (!fn->src && fn != &R->toplevel_fn)) return; /* C: its caller decides */
    int want = !fn->skip;
    int smask = 0, scount = 0; /* a script's own line hook keeps the line events */
    if (!want && R->script_hooks && scripthook_get(L, &smask, &scount) && (smask & LUA_MASKLINE))
        want = 1;
    /* The line hook of this thread is known to be as wanted: calls and
     * returns inside skipped code need no lua_gethookmask. */
    if (L == R->lines_L && want == R->lines_on) return;
    int mask = lua_gethookmask(L);
    if (!!(mask & LUA_MASKLINE) != want)
        lua_sethook(L, lua_gethook(L), want ? mask | LUA_MASKLINE : mask & ~LUA_MASKLINE,
                    lua_gethookcount(L));
    R->lines_L = L;
    R->lines_on = want;
}

filter_action rfilter_value(fn_info *fn, filter_value_kind kind, int n, const char *name)
{
    if (!fn->scope) return FILTER_ALLOW;
    if (kind == FILTER_UPVALUE && n >= 1 && n <= FN_SLOTS) {
        if (fn->fup_name[n - 1] != name || !fn->fup_action[n - 1]) {
            fn->fup_name[n - 1] = name;
            fn->fup_action[n - 1] = (unsigned char)(filter_decide(fn->scope, kind, name) + 1);
        }
        return (filter_action)(fn->fup_action[n - 1] - 1);
    }
    int k = kind == FILTER_ARG;
    if (n >= 1 && n <= FN_LOCAL_SLOTS && (kind == FILTER_LOCAL || kind == FILTER_ARG)) {
        if (fn->fslot_name[n - 1] != name) {
            fn->fslot_name[n - 1] = name;
            fn->fslot_action[n - 1][0] = fn->fslot_action[n - 1][1] = 0;
        }
        if (!fn->fslot_action[n - 1][k])
            fn->fslot_action[n - 1][k] = (unsigned char)(filter_decide(fn->scope, kind, name) + 1);
        return (filter_action)(fn->fslot_action[n - 1][k] - 1);
    }
    return filter_decide(fn->scope, kind, name);
}

ctrec_status rfilter_marker(recorder *R, filter_action a)
{
    int i = a == FILTER_DROP;
    if (R->filter_type_ids[i] <= 0) {
        ctrec_id id;
        ctrec_status st = ctrec_type_z(R->w, CTREC_TYPE_RAW, i ? "Dropped" : "Redacted", &id);
        if (st != CTREC_OK) return st;
        R->filter_type_ids[i] = (int64_t)id + 1;
    }
    const char *text = i ? FILTER_DROPPED : FILTER_REDACTED;
    return ctrec_error(R->w, text, strlen(text), (ctrec_id)(R->filter_type_ids[i] - 1));
}

void rfilter_free(recorder *R)
{
    for (size_t i = 0; i < nnames; i++) free(names[i]);
    free(names);
    names = NULL;
    nnames = capnames = 0;
    strmap_free(&R->modules);
}
