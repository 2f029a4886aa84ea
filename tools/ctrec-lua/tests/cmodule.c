/* A Lua C module built without liblua5.4, as Debian's are (lfs.so,
 * lpeg.so, ...): it finds the Lua API in the program that loads it.
 * cmodule_test.sh requires it under ctrec-lua. */
#include <lauxlib.h>
#include <lua.h>

int luaopen_cmodule(lua_State *L);

static int add(lua_State *L)
{
    lua_pushinteger(L, luaL_checkinteger(L, 1) + luaL_checkinteger(L, 2));
    return 1;
}

int luaopen_cmodule(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, add);
    lua_setfield(L, -2, "add");
    return 1;
}
