/*
 * ctrecmod.c — the `ctrec` module a recorded script can require to stop and
 * resume the recording around the part it cares about:
 *
 *   local ctrec = require("ctrec")
 *   ctrec.stop()        -- nothing recorded from here (no Steps, Calls,
 *                       -- values or output) ...
 *   ctrec.start()       -- ... until here; the functions running now get
 *                       -- their Calls again (without arguments)
 *   ctrec.recording()   -- true while recording
 *
 * It exists only under ctrec-lua (package.preload.ctrec); under lua5.4
 * `pcall(require, "ctrec")` fails, so a script can use it optionally.
 */
#include <lauxlib.h>
#include <lua.h>

#include "recorder.h"

static int mod_stop(lua_State *L)
{
    (void)L;
    recorder *R = recorder_current();
    if (R) recorder_pause(R);
    return 0;
}

static int mod_start(lua_State *L)
{
    (void)L;
    recorder *R = recorder_current();
    if (R) recorder_resume(R);
    return 0;
}

static int mod_recording(lua_State *L)
{
    recorder *R = recorder_current();
    lua_pushboolean(L, R && R->w && !R->closed && !R->failed && R->active);
    return 1;
}

static int luaopen_ctrec(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"stop", mod_stop},
        {"start", mod_start},
        {"recording", mod_recording},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    return 1;
}

void ctrecmod_install(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_ctrec);
    lua_setfield(L, -2, "ctrec");
    lua_pop(L, 1);
}
