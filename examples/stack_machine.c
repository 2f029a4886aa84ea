/*
 * stack_machine.c — a small stack-machine interpreter that records itself
 * with libctrec the way docs/recording-guide.md says: a Step per source line
 * with the value of every visible local (int, float, bool, string, list,
 * struct, none, and a list nested 80 deep that the writer truncates with a
 * marker), Calls with their arguments, recursion, Returns (also for frames
 * an exception unwinds), an exception caught, output as Write events, two
 * threads recording through ctrec_thread handles, and an uncaught error at
 * the end (an Error event on the last step).
 *
 * Usage: ctrec-stack-machine OUT_DIR [json|bin]
 *        ctrec-stack-machine --help
 *
 * The program it runs ("sm" source, written next to the trace as
 * OUT_DIR.sm so that the writer copies it into files/):
 */
static const char source_text[] =
    "def fact(n):\n"                        /* 1 */
    "    if n < 2: return 1\n"              /* 2 */
    "    return n * fact(n - 1)\n"          /* 3 */
    "def risky(x):\n"                       /* 4 */
    "    if x > 2: throw \"too big\"\n"     /* 5 */
    "    return x * 10\n"                   /* 6 */
    "def worker(k):\n"                      /* 7 */
    "    s = fact(k)\n"                     /* 8 */
    "    return s\n"                        /* 9 */
    "a = 3; f = 2.5; ok = true; name = \"sm\"\n" /* 10 */
    "p = Point(1, 2); xs = [1, 2, 3]; deep = nest(80); nothing = none\n" /* 11 */
    "r = fact(5)\n"                         /* 12 */
    "try: risky(1); risky(5)\n"             /* 13 */
    "catch e: print(e)\n"                   /* 14 */
    "spawn worker(4); spawn worker(6); join\n" /* 15 */
    "risky(9)\n";                           /* 16 */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctrec/ctrec.h"

/* ---- values ------------------------------------------------------------ */

enum vkind { V_NONE, V_INT, V_FLOAT, V_BOOL, V_STR, V_LIST, V_POINT, V_ERR };
typedef struct value {
    enum vkind k;
    int64_t i;
    double f;
    const char *s;
    const struct value *items; /* V_LIST */
    size_t n;
} value;

/* ---- the program -------------------------------------------------------- */

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, LT, GT, JF, JMP, CALL, RET, THROW, TRY, UNTRY,
          PRINT, SPAWN, JOIN, POP, HALT };
typedef struct ins {
    enum op op;
    int a;    /* constant, local, target, function */
    int line;
} ins;

typedef struct func {
    const char *name;
    int line;       /* definition line */
    int entry;      /* first instruction */
    int nparams;
    int nlocals;
    const char *locals[8];
} func;

static value consts[24];
static value deep_levels[81];
static const value list3[3] = {{V_INT, 1, 0, 0, 0, 0}, {V_INT, 2, 0, 0, 0, 0}, {V_INT, 3, 0, 0, 0, 0}};

enum { F_FACT, F_RISKY, F_WORKER, F_MAIN };
static const func funcs[] = {
    {"fact", 1, 0, 1, 1, {"n"}},
    {"risky", 4, 14, 1, 1, {"x"}},
    {"worker", 7, 24, 1, 2, {"k", "s"}},
    {"<toplevel>", 1, 29, 0, 8, {"a", "f", "ok", "name", "p", "xs", "deep", "nothing"}},
};
enum { C_2, C_1, C_10, C_3, C_TOOBIG, C_5, C_4, C_6, C_9, C_A, C_F, C_OK, C_NAME, C_P, C_XS,
       C_DEEP, C_NONE };
/* locals of main: 0 a, 1 f, 2 ok, 3 name, 4 p, 5 xs, 6 deep, 7 nothing (the
 * results of fact(5) and risky() are not kept in locals) */
static const ins code[] = {
    /* fact(n): 0 */
    {LOAD, 0, 2}, {PUSH, C_2, 2}, {LT, 0, 2}, {JF, 6, 2}, {PUSH, C_1, 2}, {RET, 0, 2},
    /* 6 */ {LOAD, 0, 3}, {LOAD, 0, 3}, {PUSH, C_1, 3}, {SUB, 0, 3}, {CALL, F_FACT, 3},
    {MUL, 0, 3}, {RET, 0, 3}, {HALT, 0, 3},
    /* risky(x): 14 */
    {LOAD, 0, 5}, {PUSH, C_3, 5}, {GT, 0, 5}, {JF, 20, 5}, {PUSH, C_TOOBIG, 5}, {THROW, 0, 5},
    /* 20 */ {LOAD, 0, 6}, {PUSH, C_10, 6}, {MUL, 0, 6}, {RET, 0, 6},
    /* worker(k): 24 */
    {LOAD, 0, 8}, {CALL, F_FACT, 8}, {STORE, 1, 8}, {LOAD, 1, 9}, {RET, 0, 9},
    /* main: 29 */
    {PUSH, C_A, 10}, {STORE, 0, 10}, {PUSH, C_F, 10}, {STORE, 1, 10}, {PUSH, C_OK, 10},
    {STORE, 2, 10}, {PUSH, C_NAME, 10}, {STORE, 3, 10},
    /* 37 */ {PUSH, C_P, 11}, {STORE, 4, 11}, {PUSH, C_XS, 11}, {STORE, 5, 11},
    {PUSH, C_DEEP, 11}, {STORE, 6, 11}, {PUSH, C_NONE, 11}, {STORE, 7, 11},
    /* 45 */ {PUSH, C_5, 12}, {CALL, F_FACT, 12}, {POP, 0, 12},
    /* 48 */ {TRY, 57, 13}, {PUSH, C_1, 13}, {CALL, F_RISKY, 13}, {POP, 0, 13},
    {PUSH, C_5, 13}, {CALL, F_RISKY, 13}, {POP, 0, 13}, {UNTRY, 0, 13}, {JMP, 58, 13},
    /* 57: the handler, the error on the stack */ {PRINT, 0, 14},
    /* 58 */ {PUSH, C_4, 15}, {SPAWN, F_WORKER, 15}, {PUSH, C_6, 15}, {SPAWN, F_WORKER, 15},
    {JOIN, 0, 15},
    /* 63 */ {PUSH, C_9, 16}, {CALL, F_RISKY, 16}, {POP, 0, 16}, {HALT, 0, 16},
};

/* ---- the recording ------------------------------------------------------- */

static ctrec_writer *W;
static ctrec_id T_NONE, T_INT, T_FLOAT, T_BOOL, T_STR, T_LIST, T_POINT, T_ERR;
static ctrec_id FN[4], VARS[4][8], PATH;

static ctrec_status put_value(const value *v)
{
    switch (v->k) {
    case V_NONE: return ctrec_none(W, T_NONE);
    case V_INT: return ctrec_int(W, v->i, T_INT);
    case V_FLOAT: return ctrec_float(W, v->f, T_FLOAT);
    case V_BOOL: return ctrec_bool(W, (int)v->i, T_BOOL);
    case V_STR: return ctrec_string_z(W, v->s, T_STR);
    case V_ERR: return ctrec_error(W, v->s, strlen(v->s), T_ERR);
    case V_POINT:
        ctrec_begin_struct(W, T_POINT);
        ctrec_int(W, v->i, T_INT);
        ctrec_int(W, (int64_t)v->f, T_INT);
        return ctrec_end_struct(W);
    case V_LIST:
        /* walked naively: past max_depth the writer writes the marker */
        ctrec_begin_sequence(W, 0, T_LIST);
        for (size_t j = 0; j < v->n; j++) put_value(&v->items[j]);
        return ctrec_end_sequence(W);
    }
    return CTREC_E_ARG;
}

static int check(ctrec_status st, const char *what)
{
    if (st == CTREC_OK) return 0;
    fprintf(stderr, "ctrec-stack-machine: %s: %s\n", what, ctrec_writer_errmsg(W));
    return 1;
}

/* ---- the machine ----------------------------------------------------- */

typedef struct frame {
    int fn, pc, line;
    value locals[8];
    int set[8];      /* the local has a value: it is visible */
    int handler;     /* TRY target, -1 none */
    size_t sp_base;
} frame;

typedef struct vm {
    ctrec_thread *t;
    frame frames[64];
    int nframes;
    value stack[256];
    size_t sp;
    int failed;
    pthread_t kids[4];
    int nkids;
    uint64_t next_tid;
} vm;

static uint64_t tids = 1;
static pthread_mutex_t tid_mu = PTHREAD_MUTEX_INITIALIZER;

static void record_step(vm *m, frame *f)
{
    m->failed |= check(ctrec_step(W, PATH, f->line), "step");
    for (int i = 0; i < funcs[f->fn].nlocals; i++) {
        if (!f->set[i]) continue;
        ctrec_begin_value(W, VARS[f->fn][i]);
        put_value(&f->locals[i]);
        m->failed |= check(ctrec_end(W), "value");
    }
}

static void call(vm *m, int fn)
{
    frame *f = &m->frames[m->nframes++];
    memset(f, 0, sizeof *f);
    f->fn = fn;
    f->pc = funcs[fn].entry;
    f->handler = -1;
    ctrec_begin_call(W, FN[fn]);
    for (int i = funcs[fn].nparams - 1; i >= 0; i--) {
        f->locals[i] = m->stack[--m->sp];
        f->set[i] = 1;
    }
    for (int i = 0; i < funcs[fn].nparams; i++) {
        ctrec_arg(W, VARS[fn][i]);
        put_value(&f->locals[i]);
    }
    m->failed |= check(ctrec_end(W), "call");
    f->sp_base = m->sp;
    f->line = 0;
}

typedef struct spawn_arg {
    int fn;
    value arg;
    uint64_t tid;
} spawn_arg;

static void run(vm *m);

static void *thread_main(void *p)
{
    spawn_arg *a = p;
    vm *m = calloc(1, sizeof *m);
    if (!m || ctrec_thread_attach(W, a->tid, &m->t)) {
        free(m);
        free(a);
        return NULL;
    }
    ctrec_thread_enter(m->t);
    m->stack[m->sp++] = a->arg;
    call(m, a->fn);
    ctrec_thread_leave(m->t);
    run(m);
    ctrec_thread_detach(m->t);
    free(m);
    free(a);
    return NULL;
}

/* Unwinds from the current frame to the nearest handler; a Return (the
 * error) for every frame left. Returns 0 when caught, 1 when it reached the
 * top level uncaught. */
static int unwind(vm *m, value err)
{
    for (;;) {
        frame *f = &m->frames[m->nframes - 1];
        if (f->handler >= 0) {
            m->sp = f->sp_base;
            m->stack[m->sp++] = err;
            f->pc = f->handler;
            f->handler = -1;
            return 0;
        }
        if (f->fn == F_MAIN) return 1;
        ctrec_begin_return(W);
        ctrec_error(W, err.s, strlen(err.s), T_ERR);
        m->failed |= check(ctrec_end(W), "return (unwound)");
        m->nframes--;
    }
}

static void run(vm *m)
{
    for (;;) {
        ctrec_thread_enter(m->t);
        frame *f = &m->frames[m->nframes - 1];
        const ins *in = &code[f->pc++];
        if (in->line != f->line) {
            f->line = in->line;
            record_step(m, f);
        }
        value a, b;
        int done = 0;
        switch (in->op) {
        case PUSH: m->stack[m->sp++] = consts[in->a]; break;
        case LOAD: m->stack[m->sp++] = f->locals[in->a]; break;
        case STORE:
            f->locals[in->a] = m->stack[--m->sp];
            f->set[in->a] = 1;
            break;
        case POP: m->sp--; break;
        case ADD: case SUB: case MUL: case LT: case GT:
            b = m->stack[--m->sp];
            a = m->stack[--m->sp];
            a.i = in->op == ADD ? a.i + b.i : in->op == SUB ? a.i - b.i : in->op == MUL ? a.i * b.i
                : in->op == LT ? a.i < b.i : a.i > b.i;
            a.k = in->op == LT || in->op == GT ? V_BOOL : V_INT;
            m->stack[m->sp++] = a;
            break;
        case JF:
            if (!m->stack[--m->sp].i) f->pc = in->a;
            break;
        case JMP: f->pc = in->a; break;
        case CALL: call(m, in->a); break;
        case RET:
            a = m->stack[--m->sp];
            ctrec_begin_return(W);
            put_value(&a);
            m->failed |= check(ctrec_end(W), "return");
            m->sp = f->sp_base;
            m->nframes--;
            if (m->nframes == 0) done = 1; /* a thread's function returned */
            else m->stack[m->sp++] = a;
            break;
        case THROW:
            a = m->stack[--m->sp];
            a.k = V_ERR;
            if (unwind(m, a)) {
                /* uncaught: the run ends in an error on this step */
                char msg[128];
                snprintf(msg, sizeof msg, "uncaught error: %s", a.s);
                m->failed |= check(ctrec_event(W, CTREC_EVENT_ERROR, "", 0, msg, strlen(msg)), "error");
                fprintf(stderr, "sm: %s (line %d)\n", msg, in->line);
                done = 1;
            }
            break;
        case TRY: f->handler = in->a; break;
        case UNTRY: f->handler = -1; break;
        case PRINT: {
            a = m->stack[--m->sp];
            char out[128];
            int n = snprintf(out, sizeof out, "caught: %s\n", a.s);
            fputs(out, stdout);
            m->failed |= check(ctrec_event(W, CTREC_EVENT_WRITE, "stdout", 6, out, (size_t)n), "write");
            break;
        }
        case SPAWN: {
            spawn_arg *sa = malloc(sizeof *sa);
            if (!sa) break;
            sa->fn = in->a;
            sa->arg = m->stack[--m->sp];
            pthread_mutex_lock(&tid_mu);
            sa->tid = ++tids;
            pthread_mutex_unlock(&tid_mu);
            if (pthread_create(&m->kids[m->nkids], NULL, thread_main, sa) == 0) m->nkids++;
            else free(sa);
            break;
        }
        case JOIN:
            ctrec_thread_leave(m->t); /* the others need the writer */
            for (int i = 0; i < m->nkids; i++) pthread_join(m->kids[i], NULL);
            m->nkids = 0;
            ctrec_thread_enter(m->t);
            break;
        case HALT: done = 1; break;
        }
        ctrec_thread_leave(m->t);
        if (done) return;
    }
}

static const char usage[] =
    "usage: ctrec-stack-machine OUT_DIR [json|bin]\n"
    "\n"
    "Runs a small stack-machine program (recursion, an exception caught, two\n"
    "threads, an uncaught error at the end) and records it into the trace\n"
    "folder OUT_DIR; the program's source is written to OUT_DIR.sm.\n";

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "ctrec-stack-machine: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "json") && strcmp(argv[2], "bin"))) {
        fputs(usage, stderr);
        return 2;
    }
    /* the source, absolute, beside the trace folder */
    char src[4096], cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) return 1;
    snprintf(src, sizeof src, "%s%s%s.sm", argv[1][0] == '/' ? "" : cwd,
             argv[1][0] == '/' ? "" : "/", argv[1]);
    FILE *sf = fopen(src, "w");
    if (!sf || fputs(source_text, sf) < 0 || fclose(sf)) {
        perror(src);
        return 1;
    }

    consts[C_2] = (value){V_INT, 2, 0, 0, 0, 0};
    consts[C_1] = (value){V_INT, 1, 0, 0, 0, 0};
    consts[C_10] = (value){V_INT, 10, 0, 0, 0, 0};
    consts[C_3] = (value){V_INT, 2, 0, 0, 0, 0}; /* "x > 2" */
    consts[C_TOOBIG] = (value){V_STR, 0, 0, "too big", 0, 0};
    consts[C_5] = (value){V_INT, 5, 0, 0, 0, 0};
    consts[C_4] = (value){V_INT, 4, 0, 0, 0, 0};
    consts[C_6] = (value){V_INT, 6, 0, 0, 0, 0};
    consts[C_9] = (value){V_INT, 9, 0, 0, 0, 0};
    consts[C_A] = (value){V_INT, 3, 0, 0, 0, 0};
    consts[C_F] = (value){V_FLOAT, 0, 2.5, 0, 0, 0};
    consts[C_OK] = (value){V_BOOL, 1, 0, 0, 0, 0};
    consts[C_NAME] = (value){V_STR, 0, 0, "sm", 0, 0};
    consts[C_P] = (value){V_POINT, 1, 2.0, 0, 0, 0};
    consts[C_XS] = (value){V_LIST, 0, 0, 0, list3, 3};
    deep_levels[0] = (value){V_INT, 80, 0, 0, 0, 0};
    for (int d = 1; d <= 80; d++) deep_levels[d] = (value){V_LIST, 0, 0, 0, &deep_levels[d - 1], 1};
    consts[C_DEEP] = deep_levels[80];

    ctrec_writer_options o;
    ctrec_writer_options_init(&o);
    o.format = argc == 3 && !strcmp(argv[2], "bin") ? CTREC_FORMAT_BIN : CTREC_FORMAT_JSON;
    o.program = src;
    o.depth_marker = 1; /* deep data: truncated with a marker, not refused */
    if (ctrec_writer_open(argv[1], &o, &W) != CTREC_OK) {
        fprintf(stderr, "ctrec-stack-machine: %s\n", ctrec_writer_errmsg(W));
        ctrec_writer_close(W);
        return 1;
    }
    int bad = check(ctrec_start_z(W, src, 10), "start");
    PATH = 0;
    bad |= check(ctrec_type_z(W, CTREC_TYPE_INT, "int", &T_INT), "type");
    T_NONE = 0;
    ctrec_type_z(W, CTREC_TYPE_FLOAT, "float", &T_FLOAT);
    ctrec_type_z(W, CTREC_TYPE_BOOL, "bool", &T_BOOL);
    ctrec_type_z(W, CTREC_TYPE_STRING, "str", &T_STR);
    ctrec_type_z(W, CTREC_TYPE_SEQ, "list", &T_LIST);
    ctrec_type_z(W, CTREC_TYPE_ERROR, "error", &T_ERR);
    ctrec_field pf[2] = {{"x", 1, T_INT}, {"y", 1, T_INT}};
    bad |= check(ctrec_type_struct(W, CTREC_TYPE_STRUCT, "Point", 5, pf, 2, &T_POINT), "Point");
    for (int fn = 0; fn < 4; fn++) {
        if (fn == F_MAIN) FN[fn] = 0;
        else bad |= check(ctrec_function_z(W, funcs[fn].name, PATH, funcs[fn].line, &FN[fn]), "fn");
        for (int i = 0; i < funcs[fn].nlocals; i++)
            bad |= check(ctrec_variable_z(W, funcs[fn].locals[i], &VARS[fn][i]), "var");
    }

    vm *m = calloc(1, sizeof *m);
    if (!m || ctrec_thread_attach(W, 1, &m->t)) return 1;
    m->frames[0] = (frame){F_MAIN, funcs[F_MAIN].entry, 0, {{0}}, {0}, -1, 0};
    m->nframes = 1;
    run(m);
    bad |= m->failed;
    ctrec_thread_detach(m->t);
    free(m);
    ctrec_status st = ctrec_writer_close(W);
    if (st) fprintf(stderr, "ctrec-stack-machine: closing: %s\n", ctrec_status_name(st));
    /* the recorded program ended in an uncaught error: exit 1, as it would */
    return st || bad ? 3 : 1;
}
