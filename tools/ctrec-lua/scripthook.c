/*
 * scripthook.c — the script's own hooks, next to the recorder's.
 *
 * Lua has one hook per thread. The recorder's C hook stays installed on
 * every thread; `debug.sethook` and `debug.gethook` are replaced by C
 * functions that behave as ldblib.c's do, but keep the script's hook
 * (function, mask, count) in a registry table of their own, keyed by
 * thread with weak keys (as ldblib.c keys its own), instead of installing
 * it. The recorder's hook calls the script's hook after recording each
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

static const char hookkey = 0; /* registry[&hookkey] = {[thread] = {f, mask, count}} */

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

/* Pushes the script's hook entry of L1 ({f, mask, count}) or nil. */
static int push_entry(lua_State *L, lua_State *L1)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &hookkey) != LUA_TTABLE) return LUA_TNIL;
    lua_pushthread(L1);
    if (L1 != L) lua_xmove(L1, L, 1);
    int t = lua_rawget(L, -2);
    lua_remove(L, -2);
    return t;
}

int scripthook_get(lua_State *L, int *mask, int *count)
{
    *mask = *count = 0;
    if (!lua_checkstack(L, 4)) return 0;
    int top = lua_gettop(L);
    if (push_entry(L, L) == LUA_TTABLE) {
        lua_rawgeti(L, -1, 2);
        *mask = (int)lua_tointeger(L, -1);
        lua_rawgeti(L, -2, 3);
        *count = (int)lua_tointeger(L, -1);
    }
    lua_settop(L, top);
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
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &hookkey) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 2);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_pushvalue(L, -1);
        lua_setmetatable(L, -2); /* weak keys: a collected thread's entry goes */
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &hookkey);
    }
    if (!lua_checkstack(L1, 1)) luaL_error(L, "stack overflow");
    lua_pushthread(L1);
    if (L1 != L) lua_xmove(L1, L, 1);
    if (mask) { /* lua_sethook turns a hook with an empty mask off */
        lua_createtable(L, 3, 0);
        lua_pushvalue(L, arg + 1);
        lua_rawseti(L, -2, 1);
        lua_pushinteger(L, mask);
        lua_rawseti(L, -2, 2);
        lua_pushinteger(L, count);
        lua_rawseti(L, -2, 3);
    } else {
        lua_pushnil(L);
        count = 0;
    }
    lua_rawset(L, -3);
    recorder *R = recorder_current();
    if (mask && R) R->script_hooks = 1;
    if (R) recorder_hook_thread(R, L1, mask, count);
    return 0;
}

static int db_gethook(lua_State *L)
{
    int arg;
    lua_State *L1 = getthread(L, &arg);
    char buff[5];
    if (push_entry(L, L1) != LUA_TTABLE) { /* no hook of the script's */
        lua_pop(L, 1);
        luaL_pushfail(L);
        return 1;
    }
    lua_rawgeti(L, -1, 1); /* the function */
    lua_rawgeti(L, -2, 2);
    lua_pushstring(L, unmakemask((int)lua_tointeger(L, -1), buff));
    lua_remove(L, -2);
    lua_rawgeti(L, -3, 3); /* the count */
    return 3;
}

void scripthook_call(lua_State *L, int event, int line)
{
    static const char *const hooknames[] = {"call", "return", "line", "count", "tail call"};
    static const int event_mask[] = {LUA_MASKCALL, LUA_MASKRET, LUA_MASKLINE, LUA_MASKCOUNT,
                                     LUA_MASKCALL};
    if (event < 0 || event > 4 || !lua_checkstack(L, 6)) return;
    int top = lua_gettop(L);
    if (push_entry(L, L) == LUA_TTABLE) {
        lua_rawgeti(L, -1, 2);
        int mask = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (mask & event_mask[event]) {
            lua_rawgeti(L, -1, 1);
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
}
