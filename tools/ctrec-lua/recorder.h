/*
 * recorder.h — the state ctrec-lua shares between its parts.
 *
 *   main.c    options, and running the script the way lua.c does
 *   hooks.c   the lua_sethook hook: steps, calls, returns, coroutines
 *   values.c  Lua values -> ctrec's streaming value API
 *   iowrap.c  print / io.write / file:write / os.exit replacements
 *   scripthook.c  debug.sethook / gethook: the script's hooks beside ours
 *   ctrecmod.c  the `ctrec` module: stop and resume the recording
 *   maps.c    two small hash maps (byte strings and pointers)
 *
 * There is one recorder per process (the hook has no user-data slot, so it
 * reaches the recorder through a static pointer set by recorder_install).
 */
#ifndef CTREC_LUA_RECORDER_H
#define CTREC_LUA_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "ctrec/ctrec.h"
#include "filter.h"

/* ---- maps.c ------------------------------------------------------------ */

/* Byte-string keys (copied) -> uint64_t values. */
typedef struct strmap {
    struct strmap_entry *slots;
    size_t cap, count;
} strmap;

/* Returns 1 and sets *value when `key` is present. */
int strmap_get(const strmap *m, const char *key, size_t len, uint64_t *value);
/* Adds or replaces; returns 0, or -1 when out of memory. */
int strmap_put(strmap *m, const char *key, size_t len, uint64_t value);
void strmap_free(strmap *m);

/* (pointer, integer) keys -> void * values. The pointer is only compared. */
typedef struct ptrmap {
    struct ptrmap_entry *slots;
    size_t cap, count;
} ptrmap;

void *ptrmap_get(const ptrmap *m, const void *p, intptr_t k);
int ptrmap_put(ptrmap *m, const void *p, intptr_t k, void *value);
void ptrmap_remove(ptrmap *m, const void *p, intptr_t k);
void ptrmap_free(ptrmap *m);

/* ---- the recorder ------------------------------------------------------ */

typedef enum floor_mode {
    FLOOR_NONE = 0, /* record */
    FLOOR_HOOKS,    /* benchmark: hooks installed, nothing recorded */
    FLOOR_LOCALS,   /* benchmark: hooks + lua_getlocal of every local per line */
    FLOOR_READS,    /* benchmark: + a read of every element values.c records */
    FLOOR_CALLS,    /* benchmark: hooks + lua_getinfo "S" at each call (--values none's reads) */
    FLOOR_VALUES,   /* benchmark: FLOOR_READS + the reads of arguments and returned values */
    FLOOR_LUA       /* benchmark: no hook (the Lua library ctrec-lua runs on, alone) */
} floor_mode;

typedef struct recorder_options {
    const char *out_dir;   /* -o, default "ctrec-trace" */
    ctrec_format format;   /* --format, default bin */
    int values;            /* --values all (1) | none (0) */
    int c_calls;           /* --c-calls */
    unsigned max_depth;    /* --max-depth: table nesting recorded */
    unsigned max_elements; /* --max-elements: elements per recorded value */
    size_t max_string;     /* --max-string: bytes of a string recorded (0: all) */
    unsigned max_event_mib; /* --max-event-mib: the writer's event bound (0: the
                               library's default, CTREC_MAX_EVENT_BYTES) */
    int upvalues;          /* record upvalues at each step (--no-upvalues: 0) */
    int compress_thread;   /* --compress-thread on (1) | off (0); -1: the
                              format's default (off for trace.bin, on for .ct) */
    int stats;             /* --stats: print the number of values written at the end */
    floor_mode floor;      /* --floor */
    const char *activation_path; /* --activation-path: record from the first call
                                    of a function of this file until it returns */
    trace_filter *filter;  /* --trace-filter & co (filter.h); NULL: none */
    const char *filter_metadata; /* the filters as trace_metadata.json members */
} recorder_options;

/* What the recorder knows about one function (one definition site). */
typedef struct fn_info {
    const char *source;   /* lua_Debug.source pointer it was found by (compared only) */
    char *src;            /* a copy of the source text: the pointer alone is not an
                             identity, a collected chunk's name can be freed and its
                             memory reused by another chunk's (NULL for C functions) */
    size_t srclen;
    int linedefined;
    int recorded;         /* 1: a Lua function of a file chunk, or a C function
                             with --c-calls; it gets Calls, Returns and Steps */
    int has_lines;        /* 1: a Lua function of a file chunk: Steps and locals */
    ctrec_id path_id;
    ctrec_id function_id;
    /* Cache of local-variable name -> variable id by local slot, so the
     * line hook finds the id of an unchanged local by one pointer compare
     * (FN_LOCAL_SLOTS: nbody's advance has 23 slots, temporaries included;
     * a slot beyond it is looked up by name at each line). */
#define FN_SLOTS 16
#define FN_LOCAL_SLOTS 64
    const char *slot_name[FN_LOCAL_SLOTS];
    ctrec_id slot_var[FN_LOCAL_SLOTS];
    /* the same for upvalues */
    const char *up_name[FN_SLOTS];
    ctrec_id up_var[FN_SLOTS];
    /* Trace filters (rfilter.c): what the rules say about this function
     * (NULL: no filter, or a C function), and a cache of the actions for
     * its locals and parameters by slot, as slot_name above. */
    const filter_scope *scope;
    int skip;             /* exec = "skip": no Call, Steps or Return; no line hook */
    const char *fslot_name[FN_LOCAL_SLOTS];
    unsigned char fslot_action[FN_LOCAL_SLOTS][2]; /* [local, arg]: 0 unknown, else action + 1 */
    const char *fup_name[FN_SLOTS];          /* the same for upvalue n */
    unsigned char fup_action[FN_SLOTS];
} fn_info;

/* One activation on a thread's shadow call stack. */
typedef struct frame {
    const void *ci;  /* lua_Debug.i_ci: identifies the activation (see hooks.c) */
    fn_info *fn;     /* NULL: not recorded (a C function without --c-calls) */
    int toplevel;    /* the main chunk: the trace's call 0, no Call/Return */
    int live;        /* its Call is in the trace (and its Return not yet) */
    int activation;  /* the call that started the recording (--activation-path) */
    int nups;        /* its function's upvalues + 1 (lua_getinfo "u" at its Call,
                        with --values all), 0: not known */
    int no_upvalues; /* 1: its first Step found none worth recording (none,
                        or only _ENV and unnamed ones): known per activation,
                        not per fn_info, which two functions defined on one
                        line share */
} frame;

/* The shadow call stack of one Lua thread (the main thread or a coroutine). */
typedef struct thread_rec {
    lua_State *L;
    frame *frames;
    size_t n, cap;
    int in_chain; /* on the chain of running threads (its frames are in the trace) */
} thread_rec;

typedef struct recorder {
    recorder_options opt;
    ctrec_writer *w;     /* NULL in floor modes */
    int failed;          /* the writer failed: stop recording */
    int closed;          /* the trace is finished: hooks do nothing */
    int lua_closed;      /* lua_close ran: the lua_State pointers kept are stale */
    lua_State *main_L;

    /* threads */
    ptrmap threads;            /* lua_State* -> thread_rec* */
    thread_rec **chain;        /* running threads, main first; the trace's call
                                  stack is their frames in this order */
    size_t chain_n, chain_cap;
    lua_State *cur_L;          /* the thread of the last event */
    thread_rec *cur;
    lua_State *fast_L;         /* cur_L while its events may go straight to their
                                  handlers (recording, not failed or closed, no
                                  filter, no script hook); else NULL. One compare
                                  in the hook; recorder_fast_update sets it */
    lua_State *filter_L;       /* the same with a trace filter: cur_L while its
                                  events may go to their handlers and then to
                                  the line-hook check (no script hook, so no
                                  lua_gettop/lua_settop around them); else NULL */

    fn_info toplevel_fn;       /* the script's main chunk: function 0 */
    int main_started;          /* the main chunk's call was seen */
    int script_hooks;          /* the script called debug.sethook with a hook once */

    /* start and stop: --activation-path, the ctrec module */
    int active;                /* recording: Steps, Calls, values, output */
    char *activation_abs;      /* --activation-path, absolute (NULL: none) */
    int64_t activation_path_id;/* its path id once a chunk of it was seen, else -1 */
    int activation_state;      /* 0 none, 1 waiting, 2 recording the activation, 3 done */
    int stepped;               /* at least one Step was written */

    /* interning caches */
    ptrmap functions;          /* (source ptr, linedefined) or (C function, -1) -> fn_info* */
    fn_info *last_fn;          /* the Lua function found last (checked first) */
    strmap function_names;     /* names given out, to keep them unique */
    strmap paths;              /* chunk source ("@x.lua") -> path id */
    strmap vars;               /* variable name -> id */

    /* values.c state */
    strmap struct_types;       /* "table{a,b}" -> type id */
    void *shapes;              /* cache of Struct shapes (values.c) */
    void *shape_pred[8];       /* per table depth: the shape written last there,
                                  tried first by the next table's key scan */
    void *memos;               /* the flat tables written last, with their
                                  writer memos (values.c); NULL: none yet */
    void *amemos;              /* the same for arrays of flat tables */
    const void *flat_p;        /* the flat table write_flat wrote last, */
    uint32_t flat_slot, flat_gen; /* its memo slot and that slot's generation */
    size_t flat_n;             /* and its fields */
    int64_t type_ids[24];      /* per value kind, -1 until defined */
    size_t budget;             /* elements left for the value being written */
    const void *ancestors[64]; /* tables being written, for cycle detection */
    unsigned nancestors;
    int stack_ok;              /* stack slots up to this index are reserved
                                  (lua_checkstack) for the value being written */
    uint64_t nvalues;          /* Lua values written (elements included): --stats */
    uintptr_t addr_ptr;        /* the last "function: 0x..." text written (values.c) */
    const char *addr_kind;
    char addr_text[64];
    size_t addr_len;
    char *scratch;             /* growing buffer for names and texts */
    size_t scratch_cap;

    /* rfilter.c state */
    lua_State *lines_L;        /* rfilter_lines: the thread whose line hook is known */
    int lines_on;              /* to be on (1) or off (0); lines_L is set to NULL by
                                  every lua_sethook of the recorder's and on a
                                  change of thread, to look again */
    strmap modules;            /* chunk source text -> module name (char *) it was required as */
    int64_t filter_type_ids[2]; /* "Redacted", "Dropped": type id + 1, 0 until defined */
} recorder;

/* hooks.c */
int recorder_open(recorder *R, const recorder_options *opt, const char *script,
                  const char *const *args, size_t nargs);
/* Installs the hook on L (coroutines created later inherit it). */
void recorder_install(recorder *R, lua_State *L);
/* The main chunk could not be loaded or ended with an uncaught error: an
 * Error event with `msg` at the last step, then Returns for every frame. */
void recorder_error(recorder *R, const char *msg, size_t len);
/* Closes every open call and finishes the trace; idempotent. Returns 0, or
 * -1 if the trace could not be written (the reason is printed). */
int recorder_finish(recorder *R);
/* lua_close ran (what it runs, __close handlers and finalizers, is still
 * recorded): from now on the recorder never touches a lua_State. */
void recorder_lua_closed(recorder *R);
/* Sets the recorder's hook on thread L1 with the script's hook mask and
 * count there (scripthook.c): LUA_MASKCOUNT and the count are added. */
void recorder_hook_thread(recorder *R, lua_State *L1, int script_mask, int count);
/* The recorder the hooks and the library wrappers use (NULL before
 * recorder_open). */
recorder *recorder_current(void);
/* Interns a variable name. */
ctrec_id recorder_var(recorder *R, const char *name, size_t len);
/* Decides R->fast_L and R->filter_L again: after a change of what the
 * hook's fast paths do not check (a failure, the end, a script hook, a
 * pause or resume, a change of thread). */
void recorder_fast_update(recorder *R);
/* Records a problem with the writer once, then stops recording. */
void recorder_fail(recorder *R, const char *what);
/* Pauses the recording (the ctrec module's stop): no Steps, Calls, values
 * or output are recorded until recorder_resume; calls already in the trace
 * still get their Returns. */
void recorder_pause(recorder *R);
/* Resumes it: the functions running now that are not in the trace (called
 * while paused) get their Calls, without arguments, outermost first. */
void recorder_resume(recorder *R);

/* values.c */
/* A table whose array part is longer than this and than the elements left
 * is written without looking for other keys; shorter ones are scanned
 * from key n (see write_table). */
#define LONG_ARRAY 64
/* Writes the Lua value at stack index idx as one ValueRecord. */
ctrec_status value_write(recorder *R, lua_State *L, int idx);
/* The same for an absolute (positive) stack index. */
ctrec_status value_write_abs(recorder *R, lua_State *L, int idx);
/* Writes `n` values starting at absolute (positive) stack index idx: none -> None, one -> the
 * value, several -> a Tuple. */
ctrec_status value_write_multi(recorder *R, lua_State *L, int idx, int n);
/* The None value (type "nil"). */
ctrec_status value_none(recorder *R);
/* A Raw value of type "truncated" holding `text` (a marker such as "<too large>"). */
ctrec_status value_marker(recorder *R, const char *text);
void values_free(recorder *R);

/* scripthook.c */
/* Replaces debug.sethook and debug.gethook. */
void scripthook_install(lua_State *L);
/* The mask and count of the script's hook on L; returns 1 when it has one. */
int scripthook_get(lua_State *L, int *mask, int *count);
/* Calls the script's hook of L for this event when its mask asks for it
 * (from the recorder's hook, after the event is recorded). */
void scripthook_call(lua_State *L, int event, int line);

/* ctrecmod.c */
/* package.preload.ctrec: the module with stop(), start(), recording(). */
void ctrecmod_install(lua_State *L);

/* rfilter.c: trace filters applied while recording */
/* Classifies a Lua function of a file chunk (fn_new, once per definition
 * site): sets fn->scope and fn->skip. `name` is the name the trace gives
 * it. Returns fn->skip. */
int rfilter_classify(recorder *R, lua_State *L, lua_Debug *ar, fn_info *fn, const char *name);
/* The script's main chunk (recorder_open). */
void rfilter_classify_main(recorder *R, fn_info *fn, const char *script);
/* After a hook event: the line hook off while the running function is
 * skipped, on again in recorded code. */
void rfilter_lines(recorder *R, lua_State *L, const thread_rec *T);
/* The action for value `name` of kind `kind` in fn (slot n >= 1 of a
 * local or parameter, or upvalue n, caches it; n = 0: not cached). For
 * upvalues: rfilter_value(fn, FILTER_UPVALUE, n, name) where the recorder
 * writes upvalue n's Value (drop: no Value; redact: rfilter_marker). */
filter_action rfilter_value(fn_info *fn, filter_value_kind kind, int n, const char *name);
/* Writes the marker value FILTER_REDACTED or FILTER_DROPPED. */
ctrec_status rfilter_marker(recorder *R, filter_action a);
void rfilter_free(recorder *R);

/* iowrap.c */
/* Replaces print, io.write, the write method of files and os.exit. */
void iowrap_install(lua_State *L);

#endif
