/*
 * stackvm.c — a small stack-machine interpreter that records what it runs
 * with libctrec, as an interpreter author would: the program of demo.stk
 * (beside this file), compiled by hand into the instructions below, with
 * functions, recursion, locals of every kind (int, float, bool, string,
 * none, a struct, a list), a list nested deeper than the writer's depth
 * bound (written with the truncation marker), real threads (pthreads, one
 * thread handle each), an exception caught by a handler and one that ends
 * the run.
 *
 * What it records, per the rules of ctrec.h:
 * - at each source line, a Step, then the value of every local of the
 *   frame that has one (the debugger carries nothing forward);
 * - a Call (with its arguments) per function call, a Return per call: the
 *   return value, or, when an exception unwinds the frame, an Error value
 *   holding the exception's message;
 * - an exception caught: the Step of the handler's line; uncaught: an
 *   Event of kind Error on the last step (the run ended in an error);
 * - each spawned thread through its own ctrec_thread_handle: ThreadStart
 *   where it is spawned, its events after a ThreadSwitch, ThreadExit at
 *   its end; every thread enters the writer once per recorded step.
 *
 * Usage: ctrec-stackvm [OUT_DIR [json|bin]]   (default ./stackvm-trace, json)
 * Exit status: 0 when recorded (the program itself ends in an error, by
 * design), 1 when recording failed, 2 on a usage error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrec/ctrec.h"

#ifndef STACKVM_SOURCE
#define STACKVM_SOURCE "demo.stk"
#endif

/* ------------------------------------------------------------------ */
/* values                                                              */

typedef enum { V_UNSET, V_NONE, V_INT, V_FLOAT, V_BOOL, V_STR, V_LIST, V_POINT, V_ERR } vkind;

typedef struct list list;
typedef struct val {
    vkind k;
    int64_t i;     /* INT, BOOL; POINT: x */
    int64_t y;     /* POINT: y */
    double f;
    const char *s; /* STR, ERR (static text) */
    list *l;
} val;

struct list {
    int n;
    list *next_alloc; /* every list, to free them at the end */
    val items[];
};

static pthread_mutex_t alloc_mu = PTHREAD_MUTEX_INITIALIZER;
static list *all_lists;

static list *list_new(int n)
{
    list *l = calloc(1, sizeof *l + (size_t)n * sizeof(val));
    if (!l) {
        fputs("ctrec-stackvm: out of memory\n", stderr);
        exit(1);
    }
    l->n = n;
    pthread_mutex_lock(&alloc_mu);
    l->next_alloc = all_lists;
    all_lists = l;
    pthread_mutex_unlock(&alloc_mu);
    return l;
}

/* ------------------------------------------------------------------ */
/* the program                                                         */

enum op {
    LINE, PUSHI, PUSHF, PUSHB, PUSHS, PUSHN, LOAD, STORE, ADD, SUB, MUL, DIV, LE, JZ, JMP,
    CALL, RET, MKLIST, MKPOINT, NEST, SPAWN, JOIN, TRY, ENDTRY, PRINT, HALT
};

typedef struct ins {
    enum op op;
    int64_t a;
    double f;
    const char *s;
} ins;

enum { F_MAIN, F_FACT, F_DIV, F_WORKER, NFUNCS };
#define MAXLOCALS 16

typedef struct func {
    const char *name;
    int line;            /* definition line */
    int entry;           /* first instruction */
    int nparams, nlocals;
    const char *locals[MAXLOCALS];
} func;

/* main's locals */
enum { X, F, OK, S, NOTHING, P, XS, DEEP, R, T1, T2, Q, E };

static func funcs[NFUNCS] = {
    [F_MAIN] = {"<toplevel>", 13, 0, 0, 13,
                {"x", "f", "ok", "s", "nothing", "p", "xs", "deep", "r", "t1", "t2", "q", "e"}},
    [F_FACT] = {"fact", 1, 0, 1, 1, {"n"}},
    [F_DIV] = {"div", 4, 0, 2, 2, {"a", "b"}},
    [F_WORKER] = {"worker", 6, 0, 1, 3, {"id", "acc", "i"}},
};

#define I(o, a) {o, (a), 0.0, NULL}
static const ins code[] = {
    /* main: 0 */
    I(LINE, 14), I(PUSHI, 5), I(STORE, X), {PUSHF, 0, 2.5, NULL}, I(STORE, F), I(PUSHB, 1),
    I(STORE, OK), {PUSHS, 0, 0.0, "hi"}, I(STORE, S), I(PUSHN, 0), I(STORE, NOTHING),
    I(LINE, 15), I(PUSHI, 1), I(PUSHI, 2), I(MKPOINT, 0), I(STORE, P), I(PUSHI, 1),
    I(PUSHI, 2), I(PUSHI, 3), I(MKLIST, 3), I(STORE, XS),
    I(LINE, 16), I(NEST, 70), I(STORE, DEEP),
    I(LINE, 17), I(LOAD, X), I(CALL, F_FACT), I(STORE, R),
    I(LINE, 18), I(PUSHI, 1), I(SPAWN, F_WORKER), I(STORE, T1), I(PUSHI, 2),
    I(SPAWN, F_WORKER), I(STORE, T2),
    I(LINE, 19), I(LOAD, T1), I(JOIN, 0), I(LOAD, T2), I(JOIN, 0), I(ADD, 0), I(STORE, Q),
    I(LINE, 20), I(TRY, 50), I(LOAD, R), I(PUSHI, 0), I(CALL, F_DIV), I(STORE, Q),
    I(ENDTRY, 0), I(JMP, 54),
    /* 50: the handler, the exception's message on the stack */
    I(LINE, 21), I(STORE, E), I(LOAD, E), I(PRINT, 0),
    /* 54 */
    I(LINE, 22), I(PUSHI, 1), I(PUSHI, 0), I(CALL, F_DIV), I(STORE, Q), I(HALT, 0),
    /* fact: 60 */
    I(LINE, 2), I(LOAD, 0), I(PUSHI, 1), I(LE, 0), I(JZ, 67), I(PUSHI, 1), I(RET, 0),
    /* 67 */
    I(LINE, 3), I(LOAD, 0), I(LOAD, 0), I(PUSHI, 1), I(SUB, 0), I(CALL, F_FACT), I(MUL, 0),
    I(RET, 0),
    /* div: 75 */
    I(LINE, 5), I(LOAD, 0), I(LOAD, 1), I(DIV, 0), I(RET, 0),
    /* worker: 80 */
    I(LINE, 7), I(PUSHI, 0), I(STORE, 1),
    I(LINE, 8), I(PUSHI, 0), I(STORE, 2),
    /* 86 */
    I(LINE, 9), I(LOAD, 2), I(PUSHI, 2), I(LE, 0), I(JZ, 105),
    I(LINE, 10), I(LOAD, 1), I(LOAD, 0), I(LOAD, 2), I(ADD, 0), I(CALL, F_FACT), I(ADD, 0),
    I(STORE, 1),
    I(LINE, 11), I(LOAD, 2), I(PUSHI, 1), I(ADD, 0), I(STORE, 2), I(JMP, 86),
    /* 105 */
    I(LINE, 12), I(LOAD, 1), I(RET, 0),
};

/* ------------------------------------------------------------------ */
/* recording                                                           */

typedef struct rec {
    ctrec_writer *w;
    ctrec_id path;
    ctrec_id t_none, t_int, t_float, t_bool, t_str, t_list, t_point, t_err;
    ctrec_id fn[NFUNCS];
    ctrec_id var[NFUNCS][MAXLOCALS];
} rec;

static rec REC;

/* The first failure is kept (under the writer, so never two at once). */
static ctrec_status rec_failed;
static char rec_msg[512];

static void note(ctrec_status st, const char *what)
{
    if (st == CTREC_OK || rec_failed) return;
    rec_failed = st;
    snprintf(rec_msg, sizeof rec_msg, "%s: %s", what, ctrec_writer_errmsg(REC.w));
}
#define T(call) note((call), #call)

static void write_value(const val *v)
{
    ctrec_writer *w = REC.w;
    switch (v->k) {
    case V_UNSET:
    case V_NONE: T(ctrec_none(w, REC.t_none)); break;
    case V_INT: T(ctrec_int(w, v->i, REC.t_int)); break;
    case V_FLOAT: T(ctrec_float(w, v->f, REC.t_float)); break;
    case V_BOOL: T(ctrec_bool(w, (int)v->i, REC.t_bool)); break;
    case V_STR: T(ctrec_string(w, v->s, strlen(v->s), REC.t_str)); break;
    case V_ERR: T(ctrec_error(w, v->s, strlen(v->s), REC.t_err)); break;
    case V_POINT:
        T(ctrec_begin_struct(w, REC.t_point));
        T(ctrec_int(w, v->i, REC.t_int));
        T(ctrec_int(w, v->y, REC.t_int));
        T(ctrec_end_struct(w));
        break;
    case V_LIST:
        /* Deeper than the writer's bound, ctrec_begin_sequence writes the
         * truncation marker (depth_marker) and drops what is given inside:
         * ctrec_value_depth() lets the recorder stop descending there. */
        T(ctrec_begin_sequence(w, 0, REC.t_list));
        if (ctrec_value_depth(w) <= 60)
            for (int j = 0; j < v->l->n; j++) write_value(&v->l->items[j]);
        T(ctrec_end_sequence(w));
        break;
    }
}

static ctrec_status setup(const char *dir, int bin)
{
    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = bin ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON;
    o.program = "demo.stk";
    o.depth_marker = 1; /* deep data: a marker at the bound, not an error */
    ctrec_status st = ctrec_writer_open(dir, &o, &REC.w);
    if (st) return st;
    ctrec_writer *w = REC.w;
    if ((st = ctrec_start(w, STACKVM_SOURCE, strlen(STACKVM_SOURCE), 13))) return st;
    REC.path = 0;
    REC.t_none = 0;
    if ((st = ctrec_type_z(w, CTREC_TYPE_INT, "int", &REC.t_int)) ||
        (st = ctrec_type_z(w, CTREC_TYPE_FLOAT, "float", &REC.t_float)) ||
        (st = ctrec_type_z(w, CTREC_TYPE_BOOL, "bool", &REC.t_bool)) ||
        (st = ctrec_type_z(w, CTREC_TYPE_STRING, "string", &REC.t_str)) ||
        (st = ctrec_type_z(w, CTREC_TYPE_SEQ, "list", &REC.t_list)) ||
        (st = ctrec_type_z(w, CTREC_TYPE_ERROR, "exception", &REC.t_err)))
        return st;
    ctrec_field pf[2] = {{"x", 1, REC.t_int}, {"y", 1, REC.t_int}};
    if ((st = ctrec_type_struct(w, CTREC_TYPE_STRUCT, "Point", 5, pf, 2, &REC.t_point))) return st;
    REC.fn[F_MAIN] = 0;
    for (int f = 0; f < NFUNCS; f++) {
        if (f != F_MAIN &&
            (st = ctrec_function_z(w, funcs[f].name, REC.path, funcs[f].line, &REC.fn[f])))
            return st;
        for (int l = 0; l < funcs[f].nlocals; l++)
            if ((st = ctrec_variable_z(w, funcs[f].locals[l], &REC.var[f][l]))) return st;
    }
    return CTREC_OK;
}

/* ------------------------------------------------------------------ */
/* the machine                                                         */

#define STACK 256
#define FRAMES 64

typedef struct frame {
    int fn, ret_pc, base; /* base: the caller's stack height */
    int handler;          /* TRY: the handler's pc, -1 for none */
    val locals[MAXLOCALS];
} frame;

typedef struct vm {
    ctrec_thread_handle *h;
    val stack[STACK];
    int sp;
    frame frames[FRAMES];
    int nf;
    val result;     /* the thread's result (JOIN) */
    pthread_t thread;
} vm;

static vm *threads[8];
static int nthreads;

static void run(vm *m, int pc);

static void push(vm *m, val v) { m->stack[m->sp++] = v; }
static val pop(vm *m) { return m->stack[--m->sp]; }
static val vint(int64_t i) { return (val){.k = V_INT, .i = i}; }

static void rec_step(vm *m, int line)
{
    frame *fr = &m->frames[m->nf - 1];
    T(ctrec_thread_enter(m->h));
    T(ctrec_step(REC.w, REC.path, line));
    for (int l = 0; l < funcs[fr->fn].nlocals; l++) {
        if (fr->locals[l].k == V_UNSET) continue;
        T(ctrec_begin_value(REC.w, REC.var[fr->fn][l]));
        write_value(&fr->locals[l]);
        T(ctrec_end(REC.w));
    }
    T(ctrec_thread_leave(m->h));
}

static void call(vm *m, int fn, int ret_pc)
{
    frame *fr = &m->frames[m->nf++];
    memset(fr, 0, sizeof *fr);
    fr->fn = fn;
    fr->ret_pc = ret_pc;
    fr->handler = -1;
    m->sp -= funcs[fn].nparams;
    fr->base = m->sp;
    T(ctrec_thread_enter(m->h));
    T(ctrec_begin_call(REC.w, REC.fn[fn]));
    for (int a = 0; a < funcs[fn].nparams; a++) {
        fr->locals[a] = m->stack[m->sp + a];
        T(ctrec_arg(REC.w, REC.var[fn][a]));
        write_value(&fr->locals[a]);
    }
    T(ctrec_end(REC.w));
    T(ctrec_thread_leave(m->h));
}

/* Returns from the innermost frame with `v` (an Error value when an
 * exception unwinds it). */
static int ret(vm *m, val v)
{
    frame *fr = &m->frames[--m->nf];
    T(ctrec_thread_enter(m->h));
    T(ctrec_begin_return(REC.w));
    write_value(&v);
    T(ctrec_end(REC.w));
    T(ctrec_thread_leave(m->h));
    m->sp = fr->base;
    if (v.k != V_ERR) push(m, v);
    return fr->ret_pc;
}

/* Raises `msg`: unwinds to the innermost frame with a handler (its pc), or
 * ends the thread: -1. The top-level frame has no Return. */
static int raise_exc(vm *m, const char *msg)
{
    val err = {.k = V_ERR, .s = msg};
    while (m->nf > 0) {
        frame *fr = &m->frames[m->nf - 1];
        if (fr->handler >= 0) {
            int pc = fr->handler;
            fr->handler = -1;
            m->sp = fr->base;
            push(m, (val){.k = V_STR, .s = msg});
            return pc;
        }
        if (m->nf == 1 && fr->fn == F_MAIN) break;
        ret(m, err);
    }
    /* uncaught: the run ends in an error, on the last step */
    T(ctrec_thread_enter(m->h));
    T(ctrec_event(REC.w, CTREC_EVENT_ERROR, "", 0, msg, strlen(msg)));
    T(ctrec_thread_leave(m->h));
    fprintf(stderr, "stackvm: uncaught exception: %s\n", msg);
    return -1;
}

static val nest(int depth)
{
    list *l = list_new(1);
    l->items[0] = depth > 1 ? nest(depth - 1) : vint(0);
    return (val){.k = V_LIST, .l = l};
}

static void *thread_main(void *arg)
{
    vm *m = arg;
    run(m, funcs[F_WORKER].entry);
    T(ctrec_thread_close(m->h)); /* ThreadExit */
    return NULL;
}

static void run(vm *m, int pc)
{
    for (;;) {
        const ins *in = &code[pc++];
        frame *fr = &m->frames[m->nf - 1];
        val a, b;
        switch (in->op) {
        case LINE: rec_step(m, (int)in->a); break;
        case PUSHI: push(m, vint(in->a)); break;
        case PUSHF: push(m, (val){.k = V_FLOAT, .f = in->f}); break;
        case PUSHB: push(m, (val){.k = V_BOOL, .i = in->a}); break;
        case PUSHS: push(m, (val){.k = V_STR, .s = in->s}); break;
        case PUSHN: push(m, (val){.k = V_NONE}); break;
        case LOAD: push(m, fr->locals[in->a]); break;
        case STORE: fr->locals[in->a] = pop(m); break;
        case ADD: b = pop(m); a = pop(m); push(m, vint(a.i + b.i)); break;
        case SUB: b = pop(m); a = pop(m); push(m, vint(a.i - b.i)); break;
        case MUL: b = pop(m); a = pop(m); push(m, vint(a.i * b.i)); break;
        case LE: b = pop(m); a = pop(m); push(m, (val){.k = V_BOOL, .i = a.i <= b.i}); break;
        case DIV:
            b = pop(m);
            a = pop(m);
            if (b.i == 0) {
                if ((pc = raise_exc(m, "division by zero")) < 0) return;
            } else {
                push(m, vint(a.i / b.i));
            }
            break;
        case JZ: if (!pop(m).i) pc = (int)in->a; break;
        case JMP: pc = (int)in->a; break;
        case CALL:
            call(m, (int)in->a, pc);
            pc = funcs[in->a].entry;
            break;
        case RET:
            a = pop(m);
            if (m->nf == 1) { /* a thread's entry function */
                ret(m, a);
                m->result = a;
                return;
            }
            pc = ret(m, a);
            break;
        case MKLIST: {
            list *l = list_new((int)in->a);
            for (int j = (int)in->a - 1; j >= 0; j--) l->items[j] = pop(m);
            push(m, (val){.k = V_LIST, .l = l});
            break;
        }
        case MKPOINT: b = pop(m); a = pop(m); push(m, (val){.k = V_POINT, .i = a.i, .y = b.i}); break;
        case NEST: push(m, nest((int)in->a)); break;
        case SPAWN: {
            vm *t = calloc(1, sizeof *t);
            if (!t || nthreads == 8) exit(1);
            threads[nthreads++] = t;
            uint64_t tid = (uint64_t)nthreads;
            /* ThreadStart where it is spawned, by the spawning thread */
            T(ctrec_thread_enter(m->h));
            T(ctrec_thread_open(REC.w, tid, &t->h));
            T(ctrec_thread_leave(m->h));
            t->stack[t->sp++] = pop(m);
            t->nf = 0;
            call(t, F_WORKER, -1);
            push(m, vint((int64_t)tid));
            if (pthread_create(&t->thread, NULL, thread_main, t)) exit(1);
            break;
        }
        case JOIN: {
            vm *t = threads[pop(m).i - 1];
            pthread_join(t->thread, NULL);
            push(m, t->result);
            break;
        }
        case TRY: fr->handler = (int)in->a; break;
        case ENDTRY: fr->handler = -1; break;
        case PRINT: {
            a = pop(m);
            printf("%s\n", a.s);
            T(ctrec_thread_enter(m->h));
            T(ctrec_event(REC.w, CTREC_EVENT_WRITE, "stdout", 6, a.s, strlen(a.s)));
            T(ctrec_event(REC.w, CTREC_EVENT_WRITE, "stdout", 6, "\n", 1));
            T(ctrec_thread_leave(m->h));
            break;
        }
        case HALT: return;
        }
    }
}

static const char usage[] =
    "usage: ctrec-stackvm [OUT_DIR [json|bin]]\n"
    "\n"
    "Runs the stack-machine program of examples/stackvm/demo.stk and records it\n"
    "into the trace folder OUT_DIR (default ./stackvm-trace) as trace.json (json,\n"
    "the default) or trace.bin (bin). The program ends in an uncaught error by\n"
    "design; the exit status is 0 when the trace was recorded whole.\n";

int main(int argc, char **argv)
{
    const char *pos[2] = {"stackvm-trace", "json"};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if ((argv[i][0] == '-' && argv[i][1]) || npos == 2) {
            fprintf(stderr, "ctrec-stackvm: unexpected argument '%s'\n%s", argv[i], usage);
            return 2;
        }
        pos[npos++] = argv[i];
    }
    if (strcmp(pos[1], "json") && strcmp(pos[1], "bin")) {
        fprintf(stderr, "ctrec-stackvm: the format is json or bin, not '%s'\n%s", pos[1], usage);
        return 2;
    }
    funcs[F_FACT].entry = 60;
    funcs[F_DIV].entry = 75;
    funcs[F_WORKER].entry = 80;
    for (int f = 1; f < NFUNCS; f++) { /* the hand-compiled entry points */
        const ins *e = &code[funcs[f].entry];
        if (e->op != LINE || e->a != funcs[f].line + 1) {
            fprintf(stderr, "ctrec-stackvm: bad entry of %s\n", funcs[f].name);
            return 1;
        }
    }
    ctrec_status st = setup(pos[0], !strcmp(pos[1], "bin"));
    vm *m = calloc(1, sizeof *m);
    if (!st && m) {
        /* the main thread: its handle adopts what it recorded so far */
        st = ctrec_thread_open(REC.w, 0, &m->h);
        if (!st) {
            m->nf = 1;
            m->frames[0] = (frame){.fn = F_MAIN, .handler = -1};
            run(m, 0);
            T(ctrec_thread_close(m->h));
        }
    }
    if (st) note(st, "setup");
    ctrec_status cst = ctrec_writer_close(REC.w);
    if (cst && !rec_failed) note(cst, "ctrec_writer_close");
    for (int t = 0; t < nthreads; t++) free(threads[t]);
    free(m);
    while (all_lists) {
        list *n = all_lists->next_alloc;
        free(all_lists);
        all_lists = n;
    }
    if (rec_failed) {
        fprintf(stderr, "ctrec-stackvm: recording failed: %s\n", rec_msg);
        return 1;
    }
    return 0;
}
