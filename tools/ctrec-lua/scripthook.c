/*
 * scripthook.c — the script's own hooks, next to the recorder's.
 *
 * Lua has one hook per thread. The recorder's C hook stays installed on
 * every thread; `debug.sethook` and `debug.gethook` are replaced by C
 * functions that behave as ldblib.c's do, but keep the script's hook
 * instead of installing it: its function where ldblib.c keeps it
 * (registry._HOOKKEY[thread], a table with weak keys), its mask and count
 * in a table of the same kind of their own (mask + 16 * count). The recorder's hook calls the script's hook after recording each
 * event, for the events of the script's mask, with the arguments ldblib's
 * hookf gives ("call", "return", "line" + line, "count", "tail call").
 * A count asked for by the script is the count of the recorder's hook on
 * that thread (LUA_MASKCOUNT added), so count events come as often as
 * under lua5.4. So:
 *   - debug.gethook() answers as under lua5.4: nothing (nil) when the
 *     script set no hook on the thread, the script's function, mask and
 *     count when it did; the recorder's hook is never seen;
 *   - a script's hook neither replaces the recorder's nor is lost.
 * The script's hook function runs inside a hook, where Lua turns hooks
 * off: neither the recorder nor the script's hook sees it, as under lua5.4.
 */
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "recorder.h"

#define HOOKKEY "_HOOKKEY"       /* registry._HOOKKEY[thread] = function, as ldblib.c */
static const char maskkey = 0;  /* registry[&maskkey][thread] = mask + 16 * count */

/* Pushes the table registry[&maskkey] or registry._HOOKKEY (created with
 * weak keys if missing). */
static void push_table(lua_State *L, int ours)
{
    int t = ours ? lua_rawgetp(L, LUA_REGISTRYINDEX, &maskkey)
                 : lua_getfield(L, LUA_REGISTRYINDEX, HOOKKEY);
    if (t == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_pushvalue(L, -1);
    lua_setmetatable(L, -2); /* weak keys: a collected thread's entry goes */
    lua_pushvalue(L, -1);
    if (ours)
        lua_rawsetp(L, LUA_REGISTRYINDEX, &maskkey);
    else
        lua_setfield(L, LUA_REGISTRYINDEX, HOOKKEY);
}

static lua_State *getthread(lua_State *L, int *arg)
{
    if (lua_isthread(L, 1)) {
        *arg = 1;
        return lua_tothread(L, 1);
    }
    *arg = 0;
    return L;
}

static int makemask(const char *smask, int count)
{
    int mask = 0;
    if (strchr(smask, 'c')) mask |= LUA_MASKCALL;
    if (strchr(smask, 'r')) mask |= LUA_MASKRET;
    if (strchr(smask, 'l')) mask |= LUA_MASKLINE;
    if (count > 0) mask |= LUA_MASKCOUNT;
    return mask;
}

static const char *unmakemask(int mask, char *smask)
{
    int i = 0;
    if (mask & LUA_MASKCALL) smask[i++] = 'c';
    if (mask & LUA_MASKRET) smask[i++] = 'r';
    if (mask & LUA_MASKLINE) smask[i++] = 'l';
    smask[i] = '\0';
    return smask;
}

/* The script's hook mask and count on L1 (0, 0: none). */
static void get_mask(lua_State *L, lua_State *L1, int *mask, int *count)
{
    *mask = *count = 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &maskkey) == LUA_TTABLE) {
        lua_pushthread(L1);
        if (L1 != L) lua_xmove(L1, L, 1);
        lua_Integer v = lua_rawget(L, -2) == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
        *mask = (int)(v & 15);
        *count = (int)(v >> 4);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Pushes the script's hook function on L1 (nil: none). */
static void push_function(lua_State *L, lua_State *L1)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, HOOKKEY) != LUA_TTABLE) return; /* nil */
    lua_pushthread(L1);
    if (L1 != L) lua_xmove(L1, L, 1);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

int scripthook_get(lua_State *L, int *mask, int *count)
{
    *mask = *count = 0;
    if (!lua_checkstack(L, 4)) return 0;
    get_mask(L, L, mask, count);
    return *mask != 0;
}

static int db_sethook(lua_State *L)
{
    int arg, mask, count;
    lua_State *L1 = getthread(L, &arg);
    if (lua_isnoneornil(L, arg + 1)) { /* no hook: turn the script's off */
        lua_settop(L, arg + 1);
        mask = count = 0;
    } else {
        const char *smask = luaL_checkstring(L, arg + 2);
        luaL_checktype(L, arg + 1, LUA_TFUNCTION);
        count = (int)luaL_optinteger(L, arg + 3, 0);
        mask = makemask(smask, count);
    }
    if (!lua_checkstack(L1, 1)) luaL_error(L, "stack overflow");
    push_table(L, 0); /* hooktable[L1] = the function, as ldblib.c */
    lua_pushthread(L1);
    if (L1 != L) lua_xmove(L1, L, 1);
    lua_pushvalue(L, arg + 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    if (!mask) count = 0; /* lua_sethook turns a hook with an empty mask off */
    push_table(L, 1);
    lua_pushthread(L1);
    if (L1 != L) lua_xmove(L1, L, 1);
    if (mask)
        lua_pushinteger(L, (lua_Integer)mask + 16 * (lua_Integer)count);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    recorder *R = recorder_current();
    if (mask && R) {
        R->script_hooks = 1;
        recorder_fast_update(R);
    }
    if (R) recorder_hook_thread(R, L1, mask, count);
    return 0;
}

static int db_gethook(lua_State *L)
{
    int arg;
    lua_State *L1 = getthread(L, &arg);
    char buff[5];
    int mask, count;
    (void)arg;
    get_mask(L, L1, &mask, &count);
    if (!mask) { /* no hook of the script's */
        luaL_pushfail(L);
        return 1;
    }
    push_function(L, L1);
    lua_pushstring(L, unmakemask(mask, buff));
    lua_pushinteger(L, count);
    return 3;
}

/* A coroutine inherits the hook, mask and count of the thread that creates
 * it (lua_newthread copies them), but ldblib's hook table has no entry for
 * it: under lua5.4, debug.gethook in it gives nil, the mask and the count,
 * and the inherited hook calls nothing. The recorder's hook is inherited the
 * same way; coroutine.create and coroutine.wrap are replaced by the C
 * functions below (lcorolib.c's, plus this) so the script's mask and count
 * are inherited too, and its function not. */
static void inherit_mask(lua_State *L, lua_State *NL)
{
    int mask, count;
    get_mask(L, L, &mask, &count);
    if (!mask) return;
    push_table(L, 1);
    lua_pushthread(NL);
    lua_xmove(NL, L, 1);
    lua_pushinteger(L, (lua_Integer)mask + 16 * (lua_Integer)count);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int co_create(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *NL = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, NL, 1);
    inherit_mask(L, NL);
    return 1;
}

/* lcorolib.c's auxwrap, the function coroutine.wrap returns (a closure over
 * the coroutine), taken from what the library's own wrap returns. */
static lua_CFunction auxwrap;

static int co_wrap(lua_State *L)
{
    co_create(L);
    lua_pushcclosure(L, auxwrap, 1);
    return 1;
}

void scripthook_call(lua_State *L, int event, int line)
{
    static const char *const hooknames[] = {"call", "return", "line", "count", "tail call"};
    static const int event_mask[] = {LUA_MASKCALL, LUA_MASKRET, LUA_MASKLINE, LUA_MASKCOUNT,
                                     LUA_MASKCALL};
    if (event < 0 || event > 4 || !lua_checkstack(L, 6)) return;
    int top = lua_gettop(L), mask, count;
    get_mask(L, L, &mask, &count);
    if (mask & event_mask[event]) {
        push_function(L, L);
        if (lua_type(L, -1) == LUA_TFUNCTION) {
            lua_pushstring(L, hooknames[event]);
            if (line >= 0)
                lua_pushinteger(L, line);
            else
                lua_pushnil(L);
            lua_call(L, 2, 0); /* an error goes on as from ldblib's hook */
        }
    }
    lua_settop(L, top);
}

void scripthook_install(lua_State *L)
{
    lua_getglobal(L, "debug");
    if (lua_type(L, -1) == LUA_TTABLE) {
        lua_pushcfunction(L, db_sethook);
        lua_setfield(L, -2, "sethook");
        lua_pushcfunction(L, db_gethook);
        lua_setfield(L, -2, "gethook");
    }
    lua_pop(L, 1);
    int top = lua_gettop(L);
    lua_getglobal(L, "coroutine");
    if (lua_type(L, -1) == LUA_TTABLE) {
        if (lua_getfield(L, -1, "wrap") == LUA_TFUNCTION) {
            lua_pushcfunction(L, co_create); /* any function: only the wrapper is kept */
            if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_tocfunction(L, -1) &&
                lua_getupvalue(L, -1, 1) && lua_isthread(L, -1))
                auxwrap = lua_tocfunction(L, -2);
        }
        lua_settop(L, top + 1);
        lua_pushcfunction(L, co_create);
        lua_setfield(L, -2, "create");
        if (auxwrap) {
            lua_pushcfunction(L, co_wrap);
            lua_setfield(L, -2, "wrap");
        }
    }
    lua_settop(L, top);
}
