/*
 * iowrap.c — library functions ctrec-lua replaces to see the program's
 * output and its end.
 *
 *   print, io.write, file:write  behave exactly as Lua 5.4's own (same
 *        output, results and error messages: the code follows lbaselib.c
 *        and liolib.c) and also record what reaches stdout as an Event of
 *        kind Write (stderr: WriteOther, metadata "stderr"). When an
 *        argument raises an error halfway (a __tostring that fails, a
 *        boolean given to io.write), what was written before it is
 *        recorded first. Output before the script's first Step (LUA_INIT)
 *        is not recorded.
 *   os.exit  loslib.c's os_exit, with the trace finished just before the
 *        process exits: after the argument checks and after lua_close
 *        (os.exit(code, true)), so that the __close handlers and
 *        finalizers that lua_close runs are recorded too.
 *
 * They are C functions installed under the original names, so tracebacks
 * and "bad argument" messages name them as Lua would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "recorder.h"

static int recording(void)
{
    recorder *R = recorder_current();
    return R && R->w && !R->closed && !R->failed && R->stepped && R->active;
}

static void record_output(lua_State *L, FILE *f, int idx)
{
    recorder *R = recorder_current();
    if (!recording()) return;
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

/* Records print's output of arguments from..to-1 (converted strings at
 * n + i), with the separators, and the newline when `end`. */
static void record_print(lua_State *L, int n, int from, int to, int end)
{
    if (!recording() || (from == to && !end)) return;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = from; i < to; i++) {
        size_t l;
        const char *s = lua_tolstring(L, n + i, &l);
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_addlstring(&b, s, l);
    }
    if (end) luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    record_output(L, stdout, -1);
    lua_pop(L, 1);
}

/* print: luaB_print, plus the Write event. The converted strings stay on
 * the stack until the event text is built from them. Only a __tostring
 * metamethod can make the conversion of an argument fail: before calling
 * one, the output so far is recorded. */
static int rec_print(lua_State *L)
{
    int n = lua_gettop(L);
    int recorded = 1; /* arguments before this one are in an event */
    luaL_checkstack(L, n + 4, "too many arguments to print");
    for (int i = 1; i <= n; i++) {
        if (luaL_getmetafield(L, i, "__tostring") != LUA_TNIL) {
            lua_pop(L, 1);
            record_print(L, n, recorded, i, 0);
            recorded = i;
        }
        size_t l;
        const char *s = luaL_tolstring(L, i, &l); /* pushed at n + i */
        if (i > 1) lua_writestring("\t", 1);
        lua_writestring(s, l);
    }
    lua_writeline();
    record_print(L, n, recorded, n + 1, 1);
    return 0;
}

/* Records g_write's output of arguments from..to-1 to f. */
static void record_write(lua_State *L, FILE *f, int from, int to)
{
    if (from == to || (f != stdout && f != stderr) || !recording()) return;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = from; i < to; i++) {
        if (lua_type(L, i) == LUA_TNUMBER) {
            char num[64];
            int len = lua_isinteger(L, i) ? snprintf(num, sizeof num, LUA_INTEGER_FMT,
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

/* g_write of liolib.c: writes arguments arg.. to f; the file handle to
 * return is on the top of the stack. An argument that is neither a string
 * nor a number raises an error: what was written before it is recorded
 * first. */
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
            if (lua_type(L, arg) != LUA_TSTRING) record_write(L, f, first, arg);
            size_t l;
            const char *s = luaL_checklstring(L, arg, &l);
            status = status && (fwrite(s, sizeof(char), l, f) == l);
        }
    }
    record_write(L, f, first, arg);
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

/* os.exit: os_exit of loslib.c; the trace is finished after its argument
 * checks and after lua_close, just before the process exits. */
static int rec_os_exit(lua_State *L)
{
    int status;
    if (lua_isboolean(L, 1))
        status = (lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE);
    else
        status = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
    recorder *R = recorder_current();
    if (lua_toboolean(L, 2)) {
        lua_close(L);
        if (R) recorder_lua_closed(R);
    }
    if (R) recorder_finish(R);
    exit(status);
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
        lua_pushcfunction(L, rec_os_exit);
        lua_setfield(L, -2, "exit");
    }
    lua_pop(L, 1);
}
