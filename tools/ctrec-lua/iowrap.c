/*
 * iowrap.c — library functions ctrec-lua replaces to see the program's
 * output and its end.
 *
 *   print, io.write, file:write  behave exactly as Lua 5.4's own (same
 *        output, results and error messages: the code follows lbaselib.c
 *        and liolib.c) and also record what reaches stdout as an Event of
 *        kind Write (stderr: WriteOther, metadata "stderr").
 *   os.exit  finishes the trace first, then calls the original os.exit.
 *
 * They are C functions installed under the original names, so tracebacks
 * and "bad argument" messages name them as Lua would.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "recorder.h"

static void record_output(lua_State *L, FILE *f, int idx)
{
    recorder *R = recorder_current();
    if (!R || !R->w || R->closed || R->failed) return;
    ctrec_event_kind kind;
    const char *meta = "";
    if (f == stdout)
        kind = CTREC_EVENT_WRITE;
    else if (f == stderr) {
        kind = CTREC_EVENT_WRITE_OTHER;
        meta = "stderr";
    } else
        return;
    size_t len;
    const char *text = lua_tolstring(L, idx, &len);
    if (ctrec_event(R->w, kind, meta, strlen(meta), text, len) != CTREC_OK)
        recorder_fail(R, "ctrec_event");
}

static int recording(void)
{
    recorder *R = recorder_current();
    return R && R->w && !R->closed && !R->failed;
}

/* print: luaB_print, plus the Write event. The converted strings stay on
 * the stack until the event text is built from them. */
static int rec_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checkstack(L, n + 4, "too many arguments to print");
    for (int i = 1; i <= n; i++) {
        size_t l;
        const char *s = luaL_tolstring(L, i, &l); /* pushed at n + i */
        if (i > 1) lua_writestring("\t", 1);
        lua_writestring(s, l);
    }
    lua_writeline();
    if (recording()) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (int i = 1; i <= n; i++) {
            size_t l;
            const char *s = lua_tolstring(L, n + i, &l);
            if (i > 1) luaL_addchar(&b, '\t');
            luaL_addlstring(&b, s, l);
        }
        luaL_addchar(&b, '\n');
        luaL_pushresult(&b);
        record_output(L, stdout, -1);
    }
    return 0;
}

/* g_write of liolib.c: writes arguments arg.. to f; the file handle to
 * return is on the top of the stack. */
static int g_write(lua_State *L, FILE *f, int arg)
{
    int first = arg;
    int nargs = lua_gettop(L) - arg;
    int status = 1;
    for (; nargs--; arg++) {
        if (lua_type(L, arg) == LUA_TNUMBER) {
            int len = lua_isinteger(L, arg)
                          ? fprintf(f, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, arg))
                          : fprintf(f, LUA_NUMBER_FMT, (LUAI_UACNUMBER)lua_tonumber(L, arg));
            status = status && (len > 0);
        } else {
            size_t l;
            const char *s = luaL_checklstring(L, arg, &l);
            status = status && (fwrite(s, sizeof(char), l, f) == l);
        }
    }
    if ((f == stdout || f == stderr) && arg > first && recording()) {
        /* the same text again, for the event */
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (int i = first; i < arg; i++) {
            if (lua_type(L, i) == LUA_TNUMBER) {
                char num[64];
                int len = lua_isinteger(L, i)
                              ? snprintf(num, sizeof num, LUA_INTEGER_FMT,
                                         (LUAI_UACINT)lua_tointeger(L, i))
                              : snprintf(num, sizeof num, LUA_NUMBER_FMT,
                                         (LUAI_UACNUMBER)lua_tonumber(L, i));
                if (len > 0) luaL_addlstring(&b, num, (size_t)len);
            } else {
                size_t l;
                const char *s = lua_tolstring(L, i, &l);
                luaL_addlstring(&b, s, l);
            }
        }
        luaL_pushresult(&b);
        record_output(L, f, -1);
        lua_pop(L, 1);
    }
    if (status) return 1; /* file handle already on stack top */
    return luaL_fileresult(L, status, NULL);
}

/* io.write: liolib's getiofile(L, "_IO_output") + g_write. */
static int rec_io_write(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "_IO_output");
    luaL_Stream *p = (luaL_Stream *)lua_touserdata(L, -1);
    if (!p || p->closef == NULL) return luaL_error(L, "default %s file is closed", "output");
    return g_write(L, p->f, 1);
}

/* file:write: liolib's f_write. */
static int rec_f_write(lua_State *L)
{
    luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
    if (p->closef == NULL) return luaL_error(L, "attempt to use a closed file");
    lua_pushvalue(L, 1); /* push file at the stack top (to be returned) */
    return g_write(L, p->f, 2);
}

/* os.exit: finish the trace, then the original (upvalue 1) does the rest. */
static int rec_os_exit(lua_State *L)
{
    recorder *R = recorder_current();
    if (R) recorder_finish(R);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

void iowrap_install(lua_State *L)
{
    lua_pushcfunction(L, rec_print);
    lua_setglobal(L, "print");

    lua_getglobal(L, "io");
    if (lua_type(L, -1) == LUA_TTABLE) {
        lua_pushcfunction(L, rec_io_write);
        lua_setfield(L, -2, "write");
    }
    lua_pop(L, 1);

    luaL_getmetatable(L, LUA_FILEHANDLE);
    if (lua_type(L, -1) == LUA_TTABLE && lua_getfield(L, -1, "__index") == LUA_TTABLE) {
        lua_pushcfunction(L, rec_f_write);
        lua_setfield(L, -2, "write");
    }
    lua_pop(L, 2);

    lua_getglobal(L, "os");
    if (lua_type(L, -1) == LUA_TTABLE) {
        lua_getfield(L, -1, "exit");
        lua_pushcclosure(L, rec_os_exit, 1);
        lua_setfield(L, -2, "exit");
    }
    lua_pop(L, 1);
}
