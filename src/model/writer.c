/*
 * writer.c — the event model: interning, the reference helper semantics,
 * the open-event state machine and the streaming value encoder's checks.
 * It decides what to write and checks it; events.c says how it is spelled;
 * a sink takes the bytes.
 *
 * Every event is encoded straight into the output buffer, which reaches the
 * sink only between events. An event that carries a value stays open there
 * until ctrec_end(): a failure truncates it away, and a definition made
 * while it is open (interning a type met inside a value, say) is inserted
 * in front of it. A call's arguments are encoded once into a scratch buffer,
 * since they are written twice (as Values and inside the Call).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/membarrier.h>
#include <sys/syscall.h>
#endif

#include "ctrec/ctrec.h"
#include "encode/ct_writer.h"
#include "encode/events.h"
#include "model/intern.h"
#include "model/threads.h"
#include "sink/folder.h"
#include "sink/sink.h"

/* The error paths: out of line, so that the checks on the hot paths cost
 * a compare and a branch each. */
#if defined(__GNUC__) || defined(__clang__)
#define WR_COLD __attribute__((cold, noinline))
#define WR_INLINE __attribute__((always_inline)) inline
#define WR_NOINLINE __attribute__((noinline))
#else
#define WR_COLD
#define WR_INLINE inline
#define WR_NOINLINE
#endif

#define MAX_DEPTH_LIMIT 60
#define DEFAULT_BUFFER (256u * 1024u)

enum open_kind { OPEN_NONE, OPEN_SINGLE, OPEN_CALL };
enum frame_kind { F_SEQUENCE, F_TUPLE, F_STRUCT, F_VARIANT, F_REFERENCE };

static const char *const frame_names[] = {"sequence", "tuple", "struct", "variant",
                                          "reference"};

typedef struct frame {
    uint8_t kind;
    uint8_t is_slice;
    uint8_t is_mutable;
    uint64_t count;
    uint64_t expect; /* struct: number of fields */
    size_t mark;
    ctrec_id type_id;
    uint64_t address;
} frame;

typedef struct call_arg {
    ctrec_id var;
    size_t start, end; /* the encoded value in w->ev */
} call_arg;

/* trace.bin: a function's entry Step and its Call without arguments, as
 * ctrec_call writes them (FN_CALL_BYTES at most; call_n 0: longer, or
 * not trace.bin), encoded once when the function is defined (keep_fn) */
#define FN_CALL_BYTES 64
typedef struct fn_info {
    ctrec_id path_id;
    int64_t line;
    uint8_t call_n;
    uint8_t call[FN_CALL_BYTES];
} fn_info;

struct ctrec_writer {
    err e;                /* last error */
    ctrec_status failed;  /* sticky: set by I/O or memory failure */
    ctrec_writer_options o;
    char *workdir;
    char *program;
    char *extra_metadata;    /* members added to trace_metadata.json (options) */
    size_t extra_metadata_n;
    char **args;
    int dirfd;
    int lockfd;           /* holds the folder's lock (trace.lock) */
    char uuid[37];
    sink *sink;
    ctw_writer *ct;   /* CTREC_FORMAT_CT: the .ct backend instead of a sink */
    ctrec_id ct_var; /* the open Value's variable (.ct) */
    /* .ct: the open Value is encoded straight into the backend's values
     * chunk (ctw_value_begin) through ec, from ct_at on. */
    int ct_direct;
    /* The .ct fast paths of ctrec_step, ctrec_begin_value and ctrec_end
     * may be taken: a .ct writer, not failed, without thread handles, with
     * max_event_bytes >= 127 (a values entry of a one-byte length fits);
     * set at open, cleared by fail() and by the first thread event of the
     * handles (writer_thread_event). */
    int ct_fast;
    /* The trace.bin fast paths of ctrec_step, ctrec_call,
     * ctrec_return_none, ctrec_begin_value and ctrec_end (see bin_ready)
     * may be taken: a trace.bin writer, not failed, without thread
     * handles; set at open, cleared by fail() and by the first thread
     * event of the handles, as ct_fast. */
    int bin_fast;
    size_t ct_at;
    /* .ct: the CBOR None of type ct_none_t that ctrec_return_none last
     * encoded (ct_none_n bytes; 0: none yet), the return value of every
     * call of a recorder that records no values; of type 0, the call
     * record's void marker FF instead (what the readers take for a None
     * of type 0) */
    ctrec_id ct_none_t;
    uint8_t ct_none[48];
    size_t ct_none_n;
    enc ec;
    size_t threshold;

    buf out;  /* whole events waiting for the sink, then the open event */
    buf ev;   /* call arguments; definitions made while an event is open */
    buf tmp;  /* cleaned text for interning */
    enc eo, ee;
    enc *cur; /* where values go: &eo, or &ee inside a call */
    size_t open_sep, open_at; /* the open event's separator and start in out */
    uint64_t nevents;

    intern paths, functions, types, variables;
    fn_info *fns;
    size_t fns_cap;
    int64_t *type_fields; /* per type: field count of a Struct type, else -1 */
    size_t types_cap;
    uint64_t paths_written;

    /* the open event */
    int open;
    int open_return;      /* the open event is a Return */
    int slot;             /* a top-level value may be given now */
    ctrec_id call_fn;
    call_arg *cargs;
    size_t ncargs, cargs_cap;
    frame stack[MAX_DEPTH_LIMIT];
    unsigned depth;
    unsigned skip;        /* depth_marker: compounds open below the marker */

    /* Value memos (ctrec_memo_begin/end/write): the kept encodings, one
     * per slot (allocated at the first ctrec_memo_end), and the values
     * being kept, innermost last (nmemo of them): each from `at` in `b`,
     * begun at depth `depth` in event number `event`, the enclosing
     * frame's mark and count then (at the top, count 0), the depth markers
     * written until then, and the enclosing memo's depth_hi (saved_hi) */
    struct memo_slot {
        uint8_t *p;
        size_t n, cap;
        unsigned frames; /* compounds nested in the value (0: a leaf) */
    } *memos;
    struct memo_open {
        buf *b;
        size_t at, mark, markers;
        unsigned depth, saved_hi;
        uint64_t count, event;
    } memo_open[CTREC_MEMO_NEST];
    unsigned nmemo;
    unsigned depth_hi;    /* the deepest depth since the innermost
                             ctrec_memo_begin (compounds and memos written) */
    size_t markers;       /* depth markers written (push) */

    /* Calls (the top-level one included) minus Returns: a Return needs an
     * open call, as the debugger does. */
    uint64_t calls_open;
    /* The first error met inside the open event: the event was discarded
     * then, the following value calls of that event return this status, and
     * ctrec_end returns it with its message (ev_err). */
    ctrec_status ev_failed;
    err ev_err;

    /* The flush thread (flush_interval_ms): every interval it hands the
     * whole events in `out` to the sink and flushes it (.ct: ctw_flush,
     * with olock guarding the backend's state, see CT()). `olock` guards
     * `out`, the sink and tfailed/terr: the recording thread holds it from
     * the start of an event in `out` to its end (`busy`, see below), so
     * the flush thread only ever sees whole events. It is a spin lock
     * (one atomic exchange and one plain store an event; a pthread mutex
     * cost about 30 ns an event in W1); whoever waits yields the
     * processor. Where Linux's membarrier is to be had
     * (`asym`), olock is asymmetric instead: the recording thread marks
     * itself `busy` with a plain store and then reads `want`, with no
     * fence (the atomic exchange cost about 10 ns CPU an event in W1);
     * the flush thread sets `want`, makes every thread of the process run
     * a full fence (membarrier), then waits until `busy` is clear. Either
     * the recording thread then sees `want` (and waits until it clears) or
     * the flush thread sees `busy` (see out_acquire, olock_take_flush).
     * `busy` is also the recording thread's own record of holding olock
     * (nonzero from out_acquire to out_release) in every mode, so that
     * its common path reads one word and tests another: without the flush
     * thread `want` stays 0; with the spin lock (no membarrier) `want` is
     * WANT_SPIN for good, which sends every out_acquire to the slow path
     * that takes olock (busy then BUSY_SPIN, which out_release gives
     * back). W1, callgrind: 13 instructions an event fewer than separate
     * timed/held/asym flags.
     * `mu` guards only fstop and the timed wait. */
    int timed;            /* the flush thread runs */
    int asym;             /* olock is busy/want (membarrier registered) */
    atomic_int olock;
    atomic_int busy, want;
    pthread_mutex_t mu;
    pthread_cond_t fcv;
    pthread_t flusher;
    int fstop;            /* under mu */
    ctrec_status tfailed; /* under olock: the flush thread's failure */
    err terr;

    /* Per-thread handles (threads.c): once one exists, events need an
     * entered handle, and calls_open above is the current thread's. */
    thread_ctx tc;
};

/* ------------------------------------------------------------------ */
/* errors                                                              */

const char *ctrec_version(void) { return CTREC_VERSION_STRING; }
unsigned ctrec_version_number(void) { return CTREC_VERSION_NUMBER; }

const char *ctrec_status_name(ctrec_status s)
{
    switch (s) {
    case CTREC_OK: return "CTREC_OK";
    case CTREC_E_ARG: return "CTREC_E_ARG";
    case CTREC_E_STATE: return "CTREC_E_STATE";
    case CTREC_E_UNDEFINED: return "CTREC_E_UNDEFINED";
    case CTREC_E_VALUE: return "CTREC_E_VALUE";
    case CTREC_E_DEPTH: return "CTREC_E_DEPTH";
    case CTREC_E_FLOAT: return "CTREC_E_FLOAT";
    case CTREC_E_IO: return "CTREC_E_IO";
    case CTREC_E_NOMEM: return "CTREC_E_NOMEM";
    case CTREC_E_FAILED: return "CTREC_E_FAILED";
    case CTREC_E_FORMAT: return "CTREC_E_FORMAT";
    case CTREC_E_TRUNCATED: return "CTREC_E_TRUNCATED";
    case CTREC_E_UNSUPPORTED: return "CTREC_E_UNSUPPORTED";
    case CTREC_E_SIZE: return "CTREC_E_SIZE";
    case CTREC_E_BUSY: return "CTREC_E_BUSY";
    }
    return "?";
}

static void olock_wait(atomic_int *l)
{
    do {
        while (atomic_load_explicit(l, memory_order_relaxed)) sched_yield();
    } while (atomic_exchange_explicit(l, 1, memory_order_acquire));
}

static inline void olock_take(atomic_int *l)
{
    if (atomic_exchange_explicit(l, 1, memory_order_acquire)) olock_wait(l);
}

static inline void olock_give(atomic_int *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* `want` and `busy` (see `asym`): the flush thread wants olock (asym);
 * the spin lock is used instead, for good; the recording thread holds
 * olock, and holds the spin lock too. */
enum { WANT_FLUSH = 1, WANT_SPIN = 2, BUSY_HELD = 1, BUSY_SPIN = 2 };

/* The recording thread's slow path: the flush thread wants the lock or
 * holds it (asym), or the lock is the spin lock. */
static WR_COLD void olock_wait_rec(ctrec_writer *w)
{
    if (atomic_load_explicit(&w->want, memory_order_relaxed) == WANT_SPIN) {
        olock_take(&w->olock);
        atomic_store_explicit(&w->busy, BUSY_SPIN, memory_order_relaxed);
        return;
    }
    do {
        atomic_store_explicit(&w->busy, 0, memory_order_release);
        while (atomic_load_explicit(&w->want, memory_order_acquire)) sched_yield();
        atomic_store_explicit(&w->busy, BUSY_HELD, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
    } while (atomic_load_explicit(&w->want, memory_order_acquire));
}

static WR_COLD void olock_give_spin(ctrec_writer *w)
{
    atomic_store_explicit(&w->busy, 0, memory_order_relaxed);
    olock_give(&w->olock);
}

#if defined(__linux__) && defined(SYS_membarrier)
#define OLOCK_MEMBARRIER 1
static int membarrier_cmd(int cmd) { return (int)syscall(SYS_membarrier, cmd, 0, 0); }
#endif

/* The flush thread's side. */
static void olock_take_flush(ctrec_writer *w)
{
#ifdef OLOCK_MEMBARRIER
    if (w->asym) {
        atomic_store_explicit(&w->want, WANT_FLUSH, memory_order_seq_cst);
        /* Every thread of the process runs a full fence: after it, either
         * the recording thread's busy = 1 is seen here or that thread sees
         * want = 1. Registered at start_flusher, so it does not fail. */
        (void)membarrier_cmd(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        while (atomic_load_explicit(&w->busy, memory_order_acquire)) sched_yield();
        return;
    }
#endif
    olock_take(&w->olock);
}

static void olock_give_flush(ctrec_writer *w)
{
    if (w->asym)
        atomic_store_explicit(&w->want, 0, memory_order_release);
    else
        olock_give(&w->olock);
}

/* The recording thread's side of `olock` (see the flush thread): busy is
 * only ever written by the recording thread, so it reads it plainly. */
static WR_INLINE int out_held(ctrec_writer *w)
{
    return atomic_load_explicit(&w->busy, memory_order_relaxed) != 0;
}

/* out_acquire when olock is not held: 0 when olock_wait_rec(w) is due
 * (busy is set then). */
static WR_INLINE int out_take(ctrec_writer *w)
{
    atomic_store_explicit(&w->busy, BUSY_HELD, memory_order_relaxed);
    /* no fence but the compiler's: the flush thread's membarrier stands for
     * the store-load fence this thread would need here */
    atomic_signal_fence(memory_order_seq_cst);
    return !atomic_load_explicit(&w->want, memory_order_acquire);
}

static WR_INLINE void out_acquire(ctrec_writer *w)
{
    if (!out_held(w) && !out_take(w)) olock_wait_rec(w);
}

/* out_release where busy is known to be BUSY_HELD. */
static WR_INLINE void out_give(ctrec_writer *w)
{
    atomic_store_explicit(&w->busy, 0, memory_order_release);
}

static WR_INLINE void out_release(ctrec_writer *w)
{
    int b = atomic_load_explicit(&w->busy, memory_order_relaxed);
    if (b == BUSY_HELD)
        atomic_store_explicit(&w->busy, 0, memory_order_release);
    else if (b)
        olock_give_spin(w);
}

static void abandon(ctrec_writer *w)
{
    if (w->open == OPEN_SINGLE) w->out.len = w->open_sep;
    if (w->ct_direct) {
        ctw_value_cancel(w->ct);
        w->ct_direct = 0;
    }
    out_release(w);
    w->open = OPEN_NONE;
    w->slot = 0;
    w->depth = 0;
    w->skip = 0;
    w->ncargs = 0;
    w->ev.len = 0;
    w->ev.oom = 0;
    w->nmemo = 0;
}

/* A failure that leaves the writer usable: the open event (if any) is
 * discarded. */
static WR_COLD ctrec_status ERR_PRINTF(3, 4) misuse(ctrec_writer *w, ctrec_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->e.msg, sizeof w->e.msg, fmt, ap);
    va_end(ap);
    w->e.status = st;
    if (w->open && !w->ev_failed) {
        w->ev_failed = st;
        w->ev_err = w->e;
    }
    abandon(w);
    return st;
}

/* A value call of an event that already failed: the event's first status
 * and its message (a definition made meanwhile may have set another). */
#define EVENT_FAILED(w)                                    \
    do {                                                   \
        if (!(w)->open && (w)->ev_failed) {                \
            (w)->e = (w)->ev_err;                          \
            return (w)->ev_failed;                         \
        }                                                  \
    } while (0)

/* A failure after which the trace cannot be trusted: refuse everything. */
static WR_COLD ctrec_status fail(ctrec_writer *w)
{
    if (!w->failed) w->failed = w->e.status ? w->e.status : CTREC_E_IO;
    w->ct_fast = 0;
    w->bin_fast = 0;
    abandon(w);
    return w->failed;
}

static WR_COLD ctrec_status nomem(ctrec_writer *w)
{
    err_set(&w->e, CTREC_E_NOMEM, "out of memory");
    return fail(w);
}

static WR_COLD ctrec_status refuse(ctrec_writer *w)
{
    /* Keep the original message: it says why. */
    w->e.status = CTREC_E_FAILED;
    return CTREC_E_FAILED;
}

/* With thread handles, only the thread that entered may record. */
static WR_COLD ctrec_status not_entered(ctrec_writer *w)
{
    return misuse(w, CTREC_E_STATE,
                  "the writer has thread handles: record between ctrec_thread_enter and "
                  "ctrec_thread_leave");
}

#define GUARD(w)                                                   \
    do {                                                           \
        if (!(w)) return CTREC_E_ARG;                              \
        if ((w)->tc.threads && !(w)->tc.entered) return not_entered(w); \
        if ((w)->failed) return refuse(w);                         \
    } while (0)

/* With thread handles, a Value or an I/O Event attaches to the latest Step
 * of the stream: after a ThreadSwitch that is another thread's. */
#define NEED_STEP(w, what)                                                                  \
    do {                                                                                    \
        if ((w)->tc.threads && !(w)->tc.stepped)                                            \
            return misuse((w), CTREC_E_STATE,                                               \
                          "%s: this thread has no Step since the trace switched to it (the " \
                          "event would attach to another thread's step): record a Step first", \
                          (what));                                                          \
    } while (0)

/* ------------------------------------------------------------------ */
/* output                                                              */

static ctrec_status drain(ctrec_writer *w)
{
    if (w->out.len == 0) return CTREC_OK;
    ctrec_status st;
    if (w->sink->ops->take) {
        st = w->sink->ops->take(w->sink, &w->out, &w->e);
        if (!st && buf_reserve(&w->out, w->threshold + 1024)) return nomem(w);
    } else {
        st = w->sink->ops->write(w->sink, w->out.data, w->out.len, &w->e);
    }
    w->out.len = 0;
    if (st) return fail(w);
    return CTREC_OK;
}

/* Starts an event in the output buffer. */
static inline enc *out_begin(ctrec_writer *w)
{
    out_acquire(w);
    if (w->eo.json && w->nevents) BUF_LIT(&w->out, ",\n");
    return &w->eo;
}

/* The flush thread failed: the writer fails with its message. */
static WR_COLD ctrec_status timer_failed(ctrec_writer *w)
{
    w->e = w->terr;
    return fail(w);
}

static inline ctrec_status out_commit(ctrec_writer *w)
{
    if (w->out.oom) return nomem(w);
    w->nevents++;
    if (out_held(w)) {
        if (w->tfailed) return timer_failed(w);
        if (w->open == OPEN_SINGLE) return CTREC_OK; /* a definition inside it */
    }
    ctrec_status st = CTREC_OK;
    if (w->out.len >= w->threshold && !w->open) st = drain(w);
    out_release(w);
    return st;
}

/* Ends an event that the next one must follow in the same flush (a call's
 * argument Values and entry Step before its Call): olock stays held and
 * nothing is drained, so the flush thread never publishes the one without
 * the other; the last event of the group ends with out_commit. */
static inline ctrec_status out_chain(ctrec_writer *w)
{
    if (w->out.oom) return nomem(w);
    w->nevents++;
    return CTREC_OK;
}

/* trace.bin's fast paths (ctrec_step, ctrec_call, ctrec_return_none,
 * ctrec_begin_value): GUARD's and NO_OPEN_EVENT's checks in the state
 * where they pass (bin_ready: bin_fast, a trace.bin writer not failed and
 * without thread handles; no event open; olock not held, as out_begin
 * would find it). The caller then checks its ids and takes olock with
 * out_take; only then, holding it, does it look at `out` (the flush thread
 * may have handed it to the sink and replaced it meanwhile): bin_room, no
 * failed reservation (out_commit's oom check) and room for the event's
 * largest bytes, which are then written with no reservation (enc.h's
 * fx_cbor_*, events.c's ev_*). It ends with bin_done when nothing is due:
 * no flush thread failure and `out` under the threshold, so that
 * out_commit would only count the event and give olock back. Anything
 * else goes the general way: before out_take, a tail call of the general
 * path (nothing changed); past it, the general path from out_begin on
 * (*_bin_out, after olock_wait_rec if out_take left it due), or, the event
 * written, its commit; each says what is wrong. */
static WR_INLINE int bin_ready(ctrec_writer *w)
{
    return w && w->bin_fast && !w->open && !out_held(w);
}

static WR_INLINE int bin_room(const ctrec_writer *w, size_t room)
{
    return !w->out.oom && w->out.cap - w->out.len >= room;
}

static WR_INLINE int bin_done(ctrec_writer *w, uint8_t *end)
{
    w->out.len = (size_t)(end - w->out.data);
    if (__builtin_expect(!w->tfailed && w->out.len < w->threshold, 1)) {
        out_give(w);
        w->nevents++;
        return 1;
    }
    return 0;
}

/* Definitions (Path, Function, Type, VariableName) may be made while a
 * value event is open: they are encoded aside and inserted before it. */
static inline enc *def_begin(ctrec_writer *w)
{
    if (w->open != OPEN_SINGLE) return out_begin(w);
    w->ev.len = 0;
    return &w->ee;
}

static ctrec_status def_commit(ctrec_writer *w)
{
    if (w->open != OPEN_SINGLE) return out_commit(w);
    if (w->eo.json) BUF_LIT(&w->ev, ",\n");
    if (w->ev.oom) return nomem(w);
    size_t n = w->ev.len;
    if (buf_reserve(&w->out, n)) return nomem(w);
    uint8_t *at = w->out.data + w->open_at;
    memmove(at + n, at, w->out.len - w->open_at);
    memcpy(at, w->ev.data, n);
    w->out.len += n;
    w->open_at += n;
    /* Abandoning the event now must keep the definition: the separator in
     * front of the event is the one just inserted. */
    w->open_sep = w->open_at - (w->eo.json ? 2 : 0);
    for (unsigned i = 0; i < w->depth; i++) w->stack[i].mark += n;
    w->nevents++;
    return CTREC_OK;
}

/* Non-value events may not interrupt an open one. */
#define NO_OPEN_EVENT(w, what)                                                              \
    do {                                                                                    \
        (w)->ev_failed = CTREC_OK;                                                          \
        if ((w)->open)                                                                      \
            return misuse((w), CTREC_E_STATE, "%s while an event is open (missing ctrec_end)", \
                          (what));                                                          \
    } while (0)

static inline ctrec_status check_id(ctrec_writer *w, ctrec_id id, uint64_t count,
                                    const char *what)
{
    if (id < count) return CTREC_OK;
    return misuse(w, CTREC_E_UNDEFINED, "%s id %llu is not defined (%llu defined)", what,
                  (unsigned long long)id, (unsigned long long)count);
}

/* The checks of an event that may not interrupt an open one and refers to
 * one id of a table of `count` (after GUARD: w is valid). */
static inline ctrec_status new_event(ctrec_writer *w, const char *what, ctrec_id id,
                                     uint64_t count, const char *kind)
{
    NO_OPEN_EVENT(w, what);
    return check_id(w, id, count, kind);
}

/* The .ct backend's state is the recording thread's but for the flush
 * thread's ctw_flush: every ctw_ call that changes it is made through CT(w),
 * which takes olock, and ends in ct_done, which gives it back. */
#define CT(w) (out_acquire(w), (w)->ct)

/* The .ct backend (src/encode/ct_writer.c) lays out events this file has
 * checked. What its layout cannot hold is refused (CTREC_E_UNSUPPORTED or
 * CTREC_E_STATE, the writer stays usable); an I/O or memory failure is
 * final, as for the other formats. */
static WR_COLD ctrec_status ct_done_slow(ctrec_writer *w, ctrec_status st)
{
    ctrec_status tf = out_held(w) ? w->tfailed : CTREC_OK;
    /* a definition made inside a Value encoded in the values chunk: the
     * flush thread stays out until the Value ends */
    if (!w->ct_direct) out_release(w);
    if (!st && tf) return timer_failed(w);
    if (!st) {
        w->nevents++;
        return CTREC_OK;
    }
    if (st == CTREC_E_STATE || st == CTREC_E_UNSUPPORTED || st == CTREC_E_ARG) {
        abandon(w);
        return st;
    }
    return fail(w);
}

static WR_INLINE ctrec_status ct_done(ctrec_writer *w, ctrec_status st)
{
    /* after CT(w): olock is held (tfailed is 0 without the flush thread) */
    if (__builtin_expect(!st && !w->tfailed, 1)) {
        if (!w->ct_direct) out_release(w);
        w->nevents++;
        return CTREC_OK;
    }
    return ct_done_slow(w, st);
}

#define CT_REFUSE(w, what)                                                                \
    do {                                                                                  \
        if ((w)->ct)                                                                      \
            return misuse((w), CTREC_E_UNSUPPORTED,                                       \
                          "%s: a .ct trace has no place for this event (FORMAT.md 7.2)", \
                          (what));                                                        \
    } while (0)

/* A step of the .ct layout (column 0: none): path_id * 100000 + line, or
 * in a column-aware trace its position in the path's line table. */
static WR_COLD ctrec_status ct_line_refused(ctrec_writer *w, int64_t line)
{
    return misuse(w, CTREC_E_UNSUPPORTED,
                  "a .ct step's line must be 0..%d (path_id * 100000 + line), not %lld",
                  CT_MAX_LINE, (long long)line);
}

static ctrec_status ct_step_checked(ctrec_writer *w, ctrec_id path_id, int64_t line,
                                    int64_t column)
{
    if (!ctw_line_ok(line)) return ct_line_refused(w, line);
    ctrec_status st = ct_done(w, column ? ctw_step(CT(w), path_id, line, column, &w->e)
                                        : ctw_line_step(CT(w), path_id, line, &w->e));
    if (!st) w->tc.stepped = 1; /* the thread's own step (NEED_STEP) */
    return st;
}

/* A call's entry step, then its argument Values, then the call record, as
 * one event for the flush thread: olock is held from the step to the
 * record's ct_done, so a timed flush never publishes the entry step of a
 * call whose record it does not publish (ctrec repair could not know
 * the call, and the prefix would show a step of the callee inside its
 * caller). Failures end as ct_done's do. */
static ctrec_status ct_call_checked(ctrec_writer *w, ctrec_id fn, const ev_arg *args,
                                    size_t n)
{
    if (fn != 0) {
        int64_t line = w->fns[fn].line;
        if (!ctw_line_ok(line)) return ct_line_refused(w, line);
        ctrec_status st = ctw_line_step(CT(w), w->fns[fn].path_id, line, &w->e);
        if (st) return ct_done_slow(w, st);
        w->nevents++;
        w->tc.stepped = 1;
        for (size_t i = 0; i < n; i++) {
            if ((st = ctw_value(w->ct, args[i].var, args[i].value, args[i].len, &w->e)))
                return ct_done_slow(w, st);
            w->nevents++;
        }
    }
    return ct_done(w, ctw_call(CT(w), fn, args, n, &w->e));
}

/* ------------------------------------------------------------------ */
/* open / flush / close                                                */

void ctrec_writer_options_init(ctrec_writer_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->format = CTREC_FORMAT_JSON;
    o->float_encoding = CTREC_FLOAT_STRING;
    o->copy_sources = 1;
    o->columns = 0;
    o->max_depth = MAX_DEPTH_LIMIT;
    o->buffer_size = DEFAULT_BUFFER;
    o->frame_size = 64u * 1024u;
    o->zstd_level = 3;
    o->compress_thread = 1;
    o->io_thread = 1;
    o->max_event_bytes = CTREC_MAX_EVENT_BYTES;
    o->flush_interval_ms = 1000;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- extra_metadata: a strict check of one JSON object -------------- */

typedef struct jcheck {
    const unsigned char *p, *e;
    int depth;
} jcheck;

static void jc_ws(jcheck *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int jc_hex4(jcheck *j, unsigned *cp)
{
    *cp = 0;
    for (int i = 0; i < 4; i++, j->p++) {
        if (j->p == j->e) return -1;
        unsigned c = *j->p;
        unsigned v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
        if (v == 16) return -1;
        *cp = *cp * 16 + v;
    }
    return 0;
}

/* A string: its source text (escapes not undone) is the *n bytes at *s. */
static int jc_string(jcheck *j, const unsigned char **s, size_t *n)
{
    if (j->p == j->e || *j->p != '"') return -1;
    *s = ++j->p;
    while (j->p < j->e && *j->p != '"') {
        unsigned c = *j->p;
        if (c < 0x20) return -1;
        if (c == '\\') {
            j->p++;
            if (j->p == j->e) return -1;
            c = *j->p;
            if (c == 'u') {
                unsigned cp, lo;
                j->p++;
                if (jc_hex4(j, &cp)) return -1;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (j->e - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') return -1;
                    j->p += 2;
                    if (jc_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF) return -1;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", (int)c) || c == 0) return -1;
            j->p++;
            continue;
        }
        if (c < 0x80) {
            j->p++;
            continue;
        }
        /* UTF-8: shortest form, no surrogates, at most U+10FFFF */
        size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len || (size_t)(j->e - j->p) < len) return -1;
        for (size_t i = 1; i < len; i++)
            if ((j->p[i] & 0xC0) != 0x80) return -1;
        if ((c == 0xE0 && j->p[1] < 0xA0) || (c == 0xED && j->p[1] >= 0xA0) ||
            (c == 0xF0 && j->p[1] < 0x90) || (c == 0xF4 && j->p[1] >= 0x90))
            return -1;
        j->p += len;
    }
    if (j->p == j->e) return -1;
    *n = (size_t)(j->p - *s);
    j->p++;
    return 0;
}

static int jc_value(jcheck *j);

static int jc_number(jcheck *j)
{
    if (j->p < j->e && *j->p == '-') j->p++;
    if (j->p == j->e) return -1;
    if (*j->p == '0') j->p++;
    else if (*j->p >= '1' && *j->p <= '9') while (j->p < j->e && *j->p >= '0' && *j->p <= '9') j->p++;
    else return -1;
    if (j->p < j->e && *j->p == '.') {
        j->p++;
        if (j->p == j->e || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->e && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p == j->e || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    return 0;
}

/* An object; with `top`, a member may not take a standard name. */
static int jc_object(jcheck *j, int top)
{
    if (++j->depth > 64) return -1;
    j->p++; /* '{' */
    jc_ws(j);
    if (j->p < j->e && *j->p == '}') {
        j->p++;
        j->depth--;
        return 0;
    }
    for (;;) {
        const unsigned char *k;
        size_t n;
        jc_ws(j);
        if (jc_string(j, &k, &n)) return -1;
        if (top) {
            static const char *const std_names[] = {"recording_id", "workdir", "program", "args"};
            for (size_t i = 0; i < 4; i++)
                if (strlen(std_names[i]) == n && memcmp(std_names[i], k, n) == 0) return -2;
        }
        jc_ws(j);
        if (j->p == j->e || *j->p != ':') return -1;
        j->p++;
        if (jc_value(j)) return -1;
        jc_ws(j);
        if (j->p < j->e && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->e && *j->p == '}') {
            j->p++;
            j->depth--;
            return 0;
        }
        return -1;
    }
}

static int jc_value(jcheck *j)
{
    jc_ws(j);
    if (j->p == j->e) return -1;
    switch (*j->p) {
    case '{': return jc_object(j, 0) ? -1 : 0;
    case '[':
        if (++j->depth > 64) return -1;
        j->p++;
        jc_ws(j);
        if (j->p < j->e && *j->p == ']') {
            j->p++;
            j->depth--;
            return 0;
        }
        for (;;) {
            if (jc_value(j)) return -1;
            jc_ws(j);
            if (j->p < j->e && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->e && *j->p == ']') {
                j->p++;
                j->depth--;
                return 0;
            }
            return -1;
        }
    case '"': {
        const unsigned char *s;
        size_t n;
        return jc_string(j, &s, &n);
    }
    case 't': return j->e - j->p >= 4 && memcmp(j->p, "true", 4) == 0 ? (j->p += 4, 0) : -1;
    case 'f': return j->e - j->p >= 5 && memcmp(j->p, "false", 5) == 0 ? (j->p += 5, 0) : -1;
    case 'n': return j->e - j->p >= 4 && memcmp(j->p, "null", 4) == 0 ? (j->p += 4, 0) : -1;
    default: return jc_number(j);
    }
}

/* Checks extra_metadata; on success *inner and *n are the text between the
 * object's braces, blanks trimmed (n == 0: no members). */
static ctrec_status check_extra_metadata(ctrec_writer *w, const char *text, const char **inner,
                                         size_t *n)
{
    size_t len = strlen(text);
    if (len > 1024u * 1024u)
        return err_set(&w->e, CTREC_E_ARG, "extra_metadata is longer than 1 MiB");
    jcheck j = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    jc_ws(&j);
    if (j.p == j.e || *j.p != '{')
        return err_set(&w->e, CTREC_E_ARG, "extra_metadata is not a JSON object");
    const unsigned char *open = j.p;
    int rc = jc_object(&j, 1);
    if (rc == -2)
        return err_set(&w->e, CTREC_E_ARG,
                       "extra_metadata repeats a standard member (recording_id, workdir, program, args)");
    const unsigned char *close = j.p - 1;
    if (!rc) jc_ws(&j);
    if (rc || j.p != j.e)
        return err_set(&w->e, CTREC_E_ARG,
                       "extra_metadata is not one well-formed JSON object (error near byte %zu)",
                       (size_t)(j.p - (const unsigned char *)text));
    const unsigned char *b = open + 1, *e = close;
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) e--;
    *inner = (const char *)b;
    *n = (size_t)(e - b);
    return CTREC_OK;
}

static ctrec_status write_metadata(ctrec_writer *w)
{
    buf b = {0};
    enc e = {&b, 1, 0, NULL, 0};
    enc_map(&e, 4);
    ENC_KEY1(&e, "recording_id");
    enc_text(&e, w->uuid, strlen(w->uuid));
    ENC_KEY(&e, "workdir");
    enc_text(&e, w->workdir, strlen(w->workdir));
    ENC_KEY(&e, "program");
    enc_text(&e, w->program, strlen(w->program));
    ENC_KEY(&e, "args");
    enc_arr_n(&e, w->o.nargs);
    for (size_t i = 0; i < w->o.nargs; i++) {
        enc_sep(&e, i);
        enc_text(&e, w->args[i], strlen(w->args[i]));
    }
    enc_arr_n_end(&e);
    if (w->extra_metadata_n) {
        buf_byte(&b, ',');
        buf_put(&b, w->extra_metadata, w->extra_metadata_n);
    }
    enc_map_end(&e);
    buf_byte(&b, '\n');
    ctrec_status st = b.oom ? err_set(&w->e, CTREC_E_NOMEM, "out of memory")
                            : folder_write_file(w->dirfd, "trace_metadata.json", b.data, b.len,
                                                &w->e);
    buf_free(&b);
    return st;
}

static ctrec_status write_paths(ctrec_writer *w)
{
    buf b = {0};
    enc e = {&b, 1, 0, NULL, 0};
    enc_arr_n(&e, w->paths.nids);
    for (uint64_t i = 0; i < w->paths.nids; i++) {
        size_t n;
        const char *p = intern_text(&w->paths, i, &n);
        enc_sep(&e, i);
        enc_text(&e, p, n);
    }
    enc_arr_n_end(&e);
    buf_byte(&b, '\n');
    ctrec_status st = b.oom ? err_set(&w->e, CTREC_E_NOMEM, "out of memory")
                            : folder_write_file(w->dirfd, "trace_paths.json", b.data, b.len,
                                                &w->e);
    buf_free(&b);
    if (!st) w->paths_written = w->paths.nids;
    return st;
}

static ctrec_status open_writer(ctrec_writer *w, const char *dir)
{
    ctrec_writer_options *o = &w->o;
    if (!dir) return err_set(&w->e, CTREC_E_ARG, "no trace folder given");
    if (o->format != CTREC_FORMAT_JSON && o->format != CTREC_FORMAT_BIN &&
        o->format != CTREC_FORMAT_CT)
        return err_set(&w->e, CTREC_E_ARG, "unknown format %d", (int)o->format);
    if (o->float_encoding != CTREC_FLOAT_STRING && o->float_encoding != CTREC_FLOAT_NUMBER)
        return err_set(&w->e, CTREC_E_ARG, "unknown float encoding %d", (int)o->float_encoding);
    if (o->max_depth == 0 || o->max_depth > MAX_DEPTH_LIMIT)
        return err_set(&w->e, CTREC_E_ARG, "max_depth must be 1..%d, not %u", MAX_DEPTH_LIMIT,
                       o->max_depth);
    if (o->nargs && !o->args) return err_set(&w->e, CTREC_E_ARG, "nargs > 0 with no args");
    if (o->max_event_bytes == 0) o->max_event_bytes = CTREC_MAX_EVENT_BYTES;
    /* In trace.bin each chunk handed to the sink becomes one zstd frame. */
    w->threshold = o->format == CTREC_FORMAT_BIN ? (o->frame_size ? o->frame_size : 65536)
                   : o->buffer_size                ? o->buffer_size
                                                   : DEFAULT_BUFFER;
    if (w->threshold < 1024) w->threshold = 1024;

    /* workdir, made absolute */
    if (o->workdir && o->workdir[0] == '/') {
        w->workdir = dupstr(o->workdir);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd) return err_sys(&w->e, errno, "reading the current directory");
        if (o->workdir && o->workdir[0] && strcmp(o->workdir, ".") != 0) {
            size_t n = strlen(cwd) + strlen(o->workdir) + 2;
            w->workdir = malloc(n);
            if (w->workdir) snprintf(w->workdir, n, "%s/%s", cwd, o->workdir);
            free(cwd);
        } else {
            w->workdir = cwd;
        }
    }
    w->program = dupstr(o->program ? o->program : "");
    w->args = calloc(o->nargs ? o->nargs : 1, sizeof(char *));
    if (!w->workdir || !w->program || !w->args) return err_set(&w->e, CTREC_E_NOMEM, "out of memory");
    for (size_t i = 0; i < o->nargs; i++) {
        w->args[i] = dupstr(o->args[i] ? o->args[i] : "");
        if (!w->args[i]) return err_set(&w->e, CTREC_E_NOMEM, "out of memory");
    }
    o->args = NULL; /* the caller's array is not kept */
    if (o->extra_metadata) {
        const char *inner = NULL;
        size_t n = 0;
        ctrec_status xs = check_extra_metadata(w, o->extra_metadata, &inner, &n);
        if (xs) return xs;
        if (n && !(w->extra_metadata = malloc(n)))
            return err_set(&w->e, CTREC_E_NOMEM, "out of memory");
        if (n) memcpy(w->extra_metadata, inner, n);
        w->extra_metadata_n = n;
        o->extra_metadata = NULL; /* the caller's text is not kept */
    }

    if (buf_reserve(&w->out, w->threshold + 1024))
        return err_set(&w->e, CTREC_E_NOMEM, "out of memory");
    /* The float texts' cache is an optimisation: without memory, none. */
    w->eo = (enc){&w->out, o->format == CTREC_FORMAT_JSON,
                  o->float_encoding == CTREC_FLOAT_NUMBER, calloc(1, sizeof(float_cache)),
                  o->format == CTREC_FORMAT_CT};
    w->ee = w->eo;
    w->ec = w->eo;
    w->ee.b = &w->ev;

    ctrec_status st = folder_open(dir, &w->dirfd, &w->e);
    if (st) return st;
    /* before anything in the folder changes */
    if ((st = folder_lock(w->dirfd, dir, &w->lockfd, &w->e))) return st;
    folder_uuid_v7(w->uuid);
    if ((st = write_metadata(w))) return st;
    /* The other format's event file from an earlier recording in this
     * folder would be read instead of this one (readers try trace.json
     * first) or left stale beside it. */
    static const char *const event_files[] = {"trace.json", "trace.bin", "trace.ct"};
    for (int i = 0; i < 3; i++) {
        if (i == (int)o->format) continue;
        if (unlinkat(w->dirfd, event_files[i], 0) && errno != ENOENT)
            return err_sys(&w->e, errno, "removing the old %s", event_files[i]);
    }
    if (o->format == CTREC_FORMAT_CT) {
        ctw_meta m = {w->uuid, w->program, w->workdir, "ctrec", w->args, o->nargs, 0, NULL, NULL};
        st = ctw_open(w->dirfd, "trace.ct", o->compress_thread, o->zstd_level, o->columns, &m,
                      &w->ct, &w->e);
    } else if (o->format == CTREC_FORMAT_JSON) {
        st = file_sink_open(w->dirfd, "trace.json", o->io_thread, &w->sink, &w->e);
        if (!st) BUF_LIT(&w->out, "[\n");
    } else {
        zstd_sink_options zo = {o->frame_size ? o->frame_size : 64u * 1024u, o->zstd_level,
                                o->compress_thread};
        st = zstd_sink_open(w->dirfd, "trace.bin", &zo, &w->sink, &w->e);
    }
    if (st) return st;
    return write_paths(w);
}

/* ------------------------------------------------------------------ */
/* the flush thread                                                    */

/* Hands the whole events waiting in `out` to the sink and flushes it, with
 * olock held and no event open in `out`. A failure is kept for the recording
 * thread, which fails the writer at its next event. */
static void timed_flush(ctrec_writer *w)
{
    err e = {0};
    ctrec_status st = CTREC_OK;
    if (w->ct) {
        /* .ct: the backend publishes its chunks in progress (ct_writer.h) */
        if ((st = ctw_flush(w->ct, 0, &e))) {
            w->terr = e;
            w->tfailed = st;
        }
        return;
    }
    if (w->out.len) {
        if (w->sink->ops->take) {
            st = w->sink->ops->take(w->sink, &w->out, &e);
            if (!st && buf_reserve(&w->out, w->threshold + 1024))
                st = err_set(&e, CTREC_E_NOMEM, "out of memory");
        } else {
            st = w->sink->ops->write(w->sink, w->out.data, w->out.len, &e);
        }
        w->out.len = 0;
    }
    if (!st) st = w->sink->ops->flush(w->sink, &e);
    if (st) {
        w->terr = e;
        w->tfailed = st;
    }
}

static void *flusher_main(void *arg)
{
    ctrec_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        uint64_t ns = (uint64_t)next.tv_nsec + (uint64_t)w->o.flush_interval_ms * 1000000u;
        next.tv_sec += (time_t)(ns / 1000000000u);
        next.tv_nsec = (long)(ns % 1000000000u);
        while (!w->fstop && pthread_cond_timedwait(&w->fcv, &w->mu, &next) != ETIMEDOUT) {
        }
        if (w->fstop) break;
        pthread_mutex_unlock(&w->mu);
        olock_take_flush(w);
        if (!w->tfailed) timed_flush(w);
        olock_give_flush(w);
        pthread_mutex_lock(&w->mu);
        clock_gettime(CLOCK_MONOTONIC, &next);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Registers the process for membarrier (asym olock) if it can, before the
 * writer starts any thread (ctrec_writer_open): Linux makes a process
 * with one thread register at once, while a process with more waits for
 * an RCU grace period (synchronize_rcu; 10-12 ms here, a tenth of W1's 1 M
 * iterations). A process registered once stays so (later writers return
 * at once). */
static void olock_register(ctrec_writer *w)
{
    w->asym = 0;
#ifdef OLOCK_MEMBARRIER
    int q = membarrier_cmd(MEMBARRIER_CMD_QUERY);
    w->asym = q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
              membarrier_cmd(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

/* Starts the flush thread; without one (no thread to be had) the writer
 * works as with flush_interval_ms 0. */
static void start_flusher(ctrec_writer *w)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca)) return;
    int ok = !pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) && !pthread_cond_init(&w->fcv, &ca);
    pthread_condattr_destroy(&ca);
    if (!ok) return;
    atomic_init(&w->olock, 0);
    atomic_init(&w->busy, 0);
    atomic_init(&w->want, 0);
    /* w->asym: olock_register, at open */
    if (pthread_mutex_init(&w->mu, NULL)) {
        pthread_cond_destroy(&w->fcv);
        return;
    }
    /* before the flush thread exists: the recording thread takes the spin
     * lock from now on */
    if (!w->asym) atomic_store_explicit(&w->want, WANT_SPIN, memory_order_relaxed);
    if (pthread_create(&w->flusher, NULL, flusher_main, w)) {
        atomic_store_explicit(&w->want, 0, memory_order_relaxed);
        pthread_cond_destroy(&w->fcv);
        pthread_mutex_destroy(&w->mu);
        return;
    }
    w->timed = 1;
}

static void stop_flusher(ctrec_writer *w)
{
    if (!w->timed) return;
    pthread_mutex_lock(&w->mu);
    w->fstop = 1;
    pthread_cond_broadcast(&w->fcv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->flusher, NULL);
    pthread_cond_destroy(&w->fcv);
    pthread_mutex_destroy(&w->mu);
    w->timed = 0;
}

ctrec_status ctrec_writer_open(const char *dir, const ctrec_writer_options *opts,
                               ctrec_writer **out)
{
    if (!out) return CTREC_E_ARG;
    *out = NULL;
    ctrec_writer *w = calloc(1, sizeof *w);
    if (!w) return CTREC_E_NOMEM;
    w->dirfd = -1;
    w->lockfd = -1;
    ctrec_writer_options_init(&w->o);
    *out = w;
    if (opts) {
        /* A caller built against an older, smaller struct gets the defaults
         * for the fields it does not know. */
        if (opts->struct_size < offsetof(ctrec_writer_options, format) + sizeof opts->format ||
            opts->struct_size > sizeof *opts) {
            err_set(&w->e, CTREC_E_ARG,
                    "options.struct_size is %zu: initialise the options with "
                    "ctrec_writer_options_init() (this library's struct has %zu bytes)",
                    opts->struct_size, sizeof *opts);
            w->failed = CTREC_E_ARG;
            return CTREC_E_ARG;
        }
        memcpy(&w->o, opts, opts->struct_size);
    }
    if (w->o.flush_interval_ms) olock_register(w); /* before any thread */
    ctrec_status st = open_writer(w, dir);
    if (st) {
        w->failed = st;
        return st;
    }
    if (w->o.flush_interval_ms) start_flusher(w);
    w->ct_fast = w->ct && w->o.max_event_bytes >= 127;
    w->bin_fast = w->o.format == CTREC_FORMAT_BIN;
#ifdef CTREC_TEST_GENERAL_EVENTS
    /* tests/writer/test_event_paths.c: the general paths' output, which
     * the fast paths' must equal */
    w->ct_fast = w->bin_fast = 0;
#endif
    return CTREC_OK;
}

ctrec_status ctrec_writer_flush(ctrec_writer *w)
{
    GUARD(w);
    /* The output buffer ends with the open event: draining it now would
     * put a partial event in the file. */
    NO_OPEN_EVENT(w, "ctrec_writer_flush");
    if (w->ct) {
        out_acquire(w);
        if (w->tfailed) return timer_failed(w);
        if (ctw_flush(w->ct, 1, &w->e)) return fail(w);
        out_release(w);
        if (w->paths_written != w->paths.nids && write_paths(w)) return fail(w);
        return CTREC_OK;
    }
    out_acquire(w);
    if (w->tfailed) return timer_failed(w);
    ctrec_status st = drain(w);
    if (st) return st;
    if (w->sink->ops->flush(w->sink, &w->e)) return fail(w);
    out_release(w);
    if (w->paths_written != w->paths.nids && write_paths(w)) return fail(w);
    return CTREC_OK;
}

static const char *ct_path_at(void *ctx, uint64_t i, size_t *n)
{
    return intern_text(ctx, i, n);
}

/* A .ct addresses a call's entry and exit, and an I/O event, by step
 * index: when calls or events were recorded but no step at all (every step
 * refused, say a first line past 99999, or a trace of Calls only), close
 * writes one Step first, at the definition of the first call's function
 * (the Step the writer gives every other call; ctrec_start's path and line
 * for the top-level call), else (or with no call) at line 0 of its path
 * (path 0 with no call; column-aware: line 1, column 1; else line 1 of the
 * first path with a line table). Only when no step can be placed at all (a
 * column-aware trace with no line table) does close leave calls.dat empty
 * and return CTREC_E_UNSUPPORTED; an event is refused earlier there
 * (ctw_event). */
static ctrec_status ct_step_for_calls(ctrec_writer *w)
{
    ctrec_id fn;
    if (!ctw_stepless(w->ct, &fn)) return CTREC_OK;
    /* (ctrec_write_event takes a Function's path id unchecked) */
    ctrec_id path = fn < w->functions.nids ? w->fns[fn].path_id : 0;
    int64_t line = fn < w->functions.nids ? w->fns[fn].line : 0;
    ctrec_status st = CTREC_E_UNSUPPORTED;
    if (path >= w->paths.nids) path = 0, line = -1;
    if (w->paths.nids && ctw_line_ok(line)) st = ctw_step(w->ct, path, line, 0, &w->e);
    if (w->paths.nids && st == CTREC_E_UNSUPPORTED)
        st = ctw_step(w->ct, path, w->o.columns ? 1 : 0, 0, &w->e);
    for (ctrec_id p = 0; st == CTREC_E_UNSUPPORTED && p < w->paths.nids; p++)
        st = ctw_step(w->ct, p, 1, 0, &w->e);
    if (st == CTREC_E_UNSUPPORTED)
        return misuse(w, st,
                      "ctrec_writer_close: the .ct has calls but no step, and no step can be "
                      "written for them (no path, or a column-aware trace with no source line "
                      "table): its calls.dat is left empty");
    return st ? fail(w) : CTREC_OK;
}

ctrec_status ctrec_writer_close(ctrec_writer *w)
{
    if (!w) return CTREC_OK;
    abandon(w);
    stop_flusher(w);
    if (w->tfailed && !w->failed) timer_failed(w);
    ctrec_status result = w->failed;
    if (w->ct) {
        if (!result) {
            abandon(w);
            ctw_meta m = {w->uuid, w->program, w->workdir, "ctrec", w->args, w->o.nargs,
                         w->paths.nids, ct_path_at, &w->paths};
            ctrec_status nostep = ct_step_for_calls(w);
            if (nostep != CTREC_E_UNSUPPORTED) result = nostep;
            if (!result && ctw_close(w->ct, &m, &w->e)) result = fail(w);
            if (!result && write_paths(w)) result = fail(w);
            if (!result) result = nostep;
        } else {
            ctw_abandon(w->ct);
        }
        w->ct = NULL;
    } else if (!result) {
        abandon(w);
        if (w->eo.json && w->nevents) BUF_LIT(&w->out, "\n]\n");
        else if (w->eo.json) BUF_LIT(&w->out, "]\n");
        if (w->out.oom) result = nomem(w);
        if (!result) result = drain(w);
        if (!result && w->sink->ops->finish(w->sink, &w->e)) result = fail(w);
        if (!result && write_paths(w)) result = fail(w);
    }
    if (w->sink) w->sink->ops->destroy(w->sink);
    if (w->dirfd >= 0) close(w->dirfd);
    if (w->lockfd >= 0) close(w->lockfd); /* the folder is free: last */
    threads_free(w->tc.threads);
    buf_free(&w->out);
    buf_free(&w->ev);
    buf_free(&w->tmp);
    intern_free(&w->paths);
    intern_free(&w->functions);
    intern_free(&w->types);
    intern_free(&w->variables);
    free(w->fns);
    free(w->type_fields);
    free(w->cargs);
    free(w->eo.floats);
    if (w->memos)
        for (size_t i = 0; i < CTREC_MEMO_SLOTS; i++) free(w->memos[i].p);
    free(w->memos);
    if (w->args)
        for (size_t i = 0; i < w->o.nargs; i++) free(w->args[i]);
    free(w->args);
    free(w->workdir);
    free(w->program);
    free(w->extra_metadata);
    free(w);
    return result;
}

int ctrec_writer_active(const char *trace)
{
    if (!trace) return -1;
    struct stat sb;
    if (stat(trace, &sb) == 0 && !S_ISDIR(sb.st_mode)) { /* a trace file: its folder */
        const char *slash = strrchr(trace, '/');
        if (!slash) return folder_lock_held(".");
        size_t n = (size_t)(slash - trace);
        char *d = malloc(n + 2);
        if (!d) return -1;
        memcpy(d, trace, n ? n : 1);
        d[n ? n : 1] = 0;
        int r = folder_lock_held(d);
        free(d);
        return r;
    }
    return folder_lock_held(trace);
}

const char *ctrec_writer_errmsg(const ctrec_writer *w)
{
    if (!w) return "no writer (NULL handle)";
    return w->e.status ? w->e.msg : "";
}

ctrec_status ctrec_writer_status(const ctrec_writer *w)
{
    return w ? w->e.status : CTREC_E_ARG;
}

uint64_t ctrec_writer_event_count(const ctrec_writer *w) { return w ? w->nevents : 0; }
unsigned ctrec_value_depth(const ctrec_writer *w) { return w ? w->depth + w->skip : 0; }
const char *ctrec_writer_recording_id(const ctrec_writer *w) { return w ? w->uuid : ""; }
uint64_t ctrec_path_count(const ctrec_writer *w) { return w ? w->paths.nids : 0; }
uint64_t ctrec_function_count(const ctrec_writer *w) { return w ? w->functions.nids : 0; }
uint64_t ctrec_type_count(const ctrec_writer *w) { return w ? w->types.nids : 0; }
uint64_t ctrec_variable_count(const ctrec_writer *w) { return w ? w->variables.nids : 0; }

/* ------------------------------------------------------------------ */
/* interning                                                           */

/* The text as it will be written: invalid UTF-8 bytes replaced. */
static int clean_text(ctrec_writer *w, const char **p, size_t *n)
{
    int valid;
    utf8_clean_len((const uint8_t *)*p, *n, &valid);
    if (valid) return 0;
    w->tmp.len = 0;
    utf8_clean_put(&w->tmp, (const uint8_t *)*p, *n);
    if (w->tmp.oom) return -1;
    *p = (const char *)w->tmp.data;
    *n = w->tmp.len;
    return 0;
}

/* An event larger than max_event_bytes is refused: the readers (and so
 * ctrec check and the debugger's tools) refuse it by default. */
static WR_COLD ctrec_status too_big(ctrec_writer *w, size_t n)
{
    return misuse(w, CTREC_E_SIZE,
                  "the event would take at least %zu bytes, more than max_event_bytes (%zu; "
                  "readers refuse events over CTREC_MAX_EVENT_BYTES = 64 MiB by default)",
                  n, w->o.max_event_bytes);
}

#define TEXT_ARG(w, p, n)                                                         \
    do {                                                                          \
        if (!(p) && (n)) return misuse((w), CTREC_E_ARG, "NULL text with length %zu", (n)); \
        if (!(p)) (p) = "";                                                       \
        if ((n) > (w)->o.max_event_bytes) return too_big((w), (n));               \
    } while (0)

/* The `_z` functions take a NUL-terminated string: NULL is no string. */
#define Z_ARG(w, p, what)                                                         \
    do {                                                                          \
        if (!(w)) return CTREC_E_ARG;                                             \
        if ((w)->failed) return refuse(w);                                        \
        if (!(p)) return misuse((w), CTREC_E_ARG, "%s: NULL string", (what));     \
    } while (0)

#define LINE_ARG(w, line, what)                                                   \
    do {                                                                          \
        if ((line) < 0)                                                           \
            return misuse((w), CTREC_E_ARG, "%s: line %lld is negative", (what),  \
                          (long long)(line));                                     \
    } while (0)

/* Interns key (p, n) in table t; `fresh` forces a new id. Returns 1 when a
 * new id was made (the caller emits the definition), 0 when found, <0 on
 * failure. */
static int intern_key(ctrec_writer *w, intern *t, const char **p, size_t *n, int fresh,
                      ctrec_id *id)
{
    /* A key found recently needs no cleaning (the same bytes as a stored,
     * clean text) and no hash. */
    unsigned slot = intern_cache_slot(*p, *n);
    if (!fresh && intern_cached(t, *p, *n, slot, id)) return 0;
    if (clean_text(w, p, n)) return -1;
    if (!fresh && intern_find(t, *p, *n, id)) {
        t->cache[slot] = *id + 1;
        return 0;
    }
    if (intern_add(t, *p, *n, id)) return -1;
    if (!fresh) t->cache[slot] = *id + 1;
    return 1;
}

/* A key of table t found in its cache (intern_cached) with every check
 * passing: what path_impl, function_impl and variable_impl do then (GUARD
 * and TEXT_ARG pass, no definition to write), without a call, for
 * recorders that name their variables and functions at every use (W1:
 * about 12 instructions an event). 0: the caller goes the whole way. */
static WR_INLINE int def_cached(ctrec_writer *w, intern *t, const char *p, size_t n,
                                ctrec_id *id)
{
    ctrec_id got;
    if (w->failed || w->tc.threads || !p || n > w->o.max_event_bytes ||
        !intern_cached(t, p, n, intern_cache_slot(p, n), &got))
        return 0;
    if (id) *id = got;
    return 1;
}

/* Best effort: a source that cannot be copied (missing, not a regular
 * file, a symlink planted in files/, no room) is skipped and the recording
 * goes on; ctrec check warns about paths missing from files/. */
static void copy_source(ctrec_writer *w, const char *raw, size_t raw_len, const char *clean,
                        size_t clean_len)
{
    if (!w->o.copy_sources) return;
    int copied;
    err ignored;
    folder_copy_source(w->dirfd, w->workdir, raw, raw_len, clean, clean_len, &copied, &ignored);
}

/* A path of a .ct; a column-aware one reads its source (raw: as given,
 * absolute or relative to the workdir) for the line-length table. */
static ctrec_status ct_path(ctrec_writer *w, const char *p, size_t n, const char *raw,
                            size_t raw_len)
{
    char *file = NULL;
    if (w->o.columns && raw_len && !memchr(raw, 0, raw_len)) {
        size_t wl = raw[0] == '/' ? 0 : strlen(w->workdir) + 1;
        file = malloc(wl + raw_len + 1);
        if (!file) return nomem(w);
        if (wl) {
            memcpy(file, w->workdir, wl - 1);
            file[wl - 1] = '/';
        }
        memcpy(file + wl, raw, raw_len);
        file[wl + raw_len] = 0;
    }
    ctrec_status st = ct_done(w, ctw_path(CT(w), p, n, file, &w->e));
    free(file);
    return st;
}

static ctrec_status path_impl(ctrec_writer *w, const char *p, size_t n, int fresh, ctrec_id *id)
{
    GUARD(w);
    TEXT_ARG(w, p, n);
    ctrec_id got;
    const char *raw = p;
    size_t raw_len = n;
    int r = intern_key(w, &w->paths, &p, &n, fresh, &got);
    if (r < 0) return nomem(w);
    if (r > 0) {
        ctrec_status st;
        if (w->ct) st = ct_path(w, p, n, raw, raw_len);
        else {
            ev_path(def_begin(w), p, n);
            st = def_commit(w);
        }
        if (st) return st;
        copy_source(w, raw, raw_len, p, n);
    }
    if (id) *id = got;
    return CTREC_OK;
}

ctrec_status ctrec_path(ctrec_writer *w, const char *p, size_t n, ctrec_id *id)
{
    return path_impl(w, p, n, 0, id);
}
ctrec_status ctrec_path_z(ctrec_writer *w, const char *p, ctrec_id *id)
{
    Z_ARG(w, p, "ctrec_path_z");
    return path_impl(w, p, strlen(p), 0, id);
}
ctrec_status ctrec_path_new(ctrec_writer *w, const char *p, size_t n, ctrec_id *id)
{
    return path_impl(w, p, n, 1, id);
}

/* What the writer keeps per function id (its definition site, for the Step
 * a call writes) and per type id (its number of Struct fields, -1 for other
 * types); 0, or -1 when out of memory. */
/* An array of `elem`-byte items with room for index `need`: `items` itself
 * when it has it, else reallocated to a capacity doubled from *cap (or from
 * `first`), stored in *cap. NULL when out of memory (`items` stays). */
static void *grow(void *items, size_t *cap, uint64_t need, size_t elem, size_t first)
{
    if (need < *cap) return items;
    size_t n = *cap ? *cap : first;
    while (n <= need) {
        if (n > SIZE_MAX / 2 / elem) return NULL;
        n *= 2;
    }
    void *p = realloc(items, n * elem);
    if (p) *cap = n;
    return p;
}

static int keep_fn(ctrec_writer *w, ctrec_id id, ctrec_id path_id, int64_t line)
{
    fn_info *f = grow(w->fns, &w->fns_cap, id, sizeof *f, 64);
    if (!f) return -1;
    w->fns = f;
    fn_info *fi = &w->fns[id];
    fi->path_id = path_id;
    fi->line = line;
    fi->call_n = 0;
    if (w->o.format == CTREC_FORMAT_BIN) {
        /* call_out's bytes: the entry step (not the top-level call's),
         * then the Call (ctrec_call's fast path copies them whole) */
        uint8_t b[FX_CBOR_STEP_ROOM + FX_CBOR_CALL_HEAD_ROOM] = {0};
        uint8_t *p = id != 0 ? fx_cbor_step(b, path_id, line) : b;
        size_t n = (size_t)(fx_cbor_call_head(p, id, 0) - b);
        memcpy(fi->call, b, FN_CALL_BYTES);
        if (n <= FN_CALL_BYTES) fi->call_n = (uint8_t)n;
    }
    return 0;
}

static int keep_type(ctrec_writer *w, ctrec_id id, int64_t nfields)
{
    int64_t *t = grow(w->type_fields, &w->types_cap, id, sizeof *t, 64);
    if (!t) return -1;
    w->type_fields = t;
    w->type_fields[id] = nfields;
    return 0;
}

static ctrec_status function_impl(ctrec_writer *w, const char *name, size_t n, ctrec_id path_id,
                                  int64_t line, int fresh, ctrec_id *id)
{
    GUARD(w);
    TEXT_ARG(w, name, n);
    LINE_ARG(w, line, "ctrec_function");
    ctrec_status st = check_id(w, path_id, w->paths.nids, "path");
    if (st) return st;
    ctrec_id got;
    int r = intern_key(w, &w->functions, &name, &n, fresh, &got);
    if (r < 0) return nomem(w);
    if (r > 0) {
        if (keep_fn(w, got, path_id, line)) return nomem(w);
        if (w->ct) st = ct_done(w, ctw_function(CT(w), name, n, &w->e));
        else {
            ev_function(def_begin(w), path_id, line, name, n);
            st = def_commit(w);
        }
        if (st) return st;
    }
    if (id) *id = got;
    return CTREC_OK;
}

ctrec_status ctrec_function(ctrec_writer *w, const char *name, size_t n, ctrec_id path_id,
                            int64_t line, ctrec_id *id)
{
    if (w && line >= 0 && path_id < w->paths.nids &&
        def_cached(w, &w->functions, name, n, id))
        return CTREC_OK;
    return function_impl(w, name, n, path_id, line, 0, id);
}
ctrec_status ctrec_function_z(ctrec_writer *w, const char *name, ctrec_id path_id, int64_t line,
                              ctrec_id *id)
{
    Z_ARG(w, name, "ctrec_function_z");
    size_t n = strlen(name);
    if (line >= 0 && path_id < w->paths.nids && def_cached(w, &w->functions, name, n, id))
        return CTREC_OK;
    return function_impl(w, name, n, path_id, line, 0, id);
}
ctrec_status ctrec_function_new(ctrec_writer *w, const char *name, size_t n, ctrec_id path_id,
                                int64_t line, ctrec_id *id)
{
    return function_impl(w, name, n, path_id, line, 1, id);
}

static ctrec_status type_impl(ctrec_writer *w, ctrec_type_kind kind, const char *lang, size_t n,
                              enum ev_type_info info, const ctrec_field *fields, size_t nfields,
                              ctrec_id deref, int fresh, ctrec_id *id)
{
    GUARD(w);
    TEXT_ARG(w, lang, n);
    if ((unsigned)kind >= CTREC_TYPE_KIND_COUNT)
        return misuse(w, CTREC_E_ARG, "type kind %d is not a TypeKind (0..%d)", (int)kind,
                      CTREC_TYPE_KIND_COUNT - 1);
    ctrec_status st;
    if (info == EV_INFO_STRUCT) {
        if (nfields && !fields) return misuse(w, CTREC_E_ARG, "NULL fields with nfields %zu", nfields);
        for (size_t i = 0; i < nfields; i++) {
            if (!fields[i].name && fields[i].name_len)
                return misuse(w, CTREC_E_ARG, "field %zu has a NULL name", i);
            if ((st = check_id(w, fields[i].type_id, w->types.nids, "field type"))) return st;
        }
    } else if (info == EV_INFO_POINTER) {
        if ((st = check_id(w, deref, w->types.nids, "dereference type"))) return st;
    }
    ctrec_id got;
    int r = intern_key(w, &w->types, &lang, &n, fresh, &got);
    if (r < 0) return nomem(w);
    if (r > 0) {
        if (keep_type(w, got, info == EV_INFO_STRUCT ? (int64_t)nfields : -1)) return nomem(w);
        if (w->ct) st = ct_done(w, ctw_type(CT(w), lang, n, &w->e));
        else {
            ev_type(def_begin(w), kind, lang, n, info, fields, nfields, deref);
            st = def_commit(w);
        }
        if (st) return st;
    }
    if (id) *id = got;
    return CTREC_OK;
}

ctrec_status ctrec_type(ctrec_writer *w, ctrec_type_kind kind, const char *lang, size_t n,
                        ctrec_id *id)
{
    return type_impl(w, kind, lang, n, EV_INFO_NONE, NULL, 0, 0, 0, id);
}
ctrec_status ctrec_type_z(ctrec_writer *w, ctrec_type_kind kind, const char *lang, ctrec_id *id)
{
    Z_ARG(w, lang, "ctrec_type_z");
    return type_impl(w, kind, lang, strlen(lang), EV_INFO_NONE, NULL, 0, 0, 0, id);
}
ctrec_status ctrec_type_new(ctrec_writer *w, ctrec_type_kind kind, const char *lang, size_t n,
                            ctrec_id *id)
{
    return type_impl(w, kind, lang, n, EV_INFO_NONE, NULL, 0, 0, 1, id);
}
ctrec_status ctrec_type_struct(ctrec_writer *w, ctrec_type_kind kind, const char *lang, size_t n,
                               const ctrec_field *fields, size_t nfields, ctrec_id *id)
{
    return type_impl(w, kind, lang, n, EV_INFO_STRUCT, fields, nfields, 0, 0, id);
}
ctrec_status ctrec_type_pointer(ctrec_writer *w, ctrec_type_kind kind, const char *lang,
                                size_t n, ctrec_id deref, ctrec_id *id)
{
    return type_impl(w, kind, lang, n, EV_INFO_POINTER, NULL, 0, deref, 0, id);
}

static ctrec_status variable_impl(ctrec_writer *w, const char *name, size_t n, int fresh,
                                  ctrec_id *id)
{
    GUARD(w);
    TEXT_ARG(w, name, n);
    ctrec_id got;
    int r = intern_key(w, &w->variables, &name, &n, fresh, &got);
    if (r < 0) return nomem(w);
    if (r > 0) {
        ctrec_status st;
        if (w->ct) st = ct_done(w, ctw_varname(CT(w), name, n, &w->e));
        else {
            ev_variable_name(def_begin(w), name, n);
            st = def_commit(w);
        }
        if (st) return st;
    }
    if (id) *id = got;
    return CTREC_OK;
}

ctrec_status ctrec_variable(ctrec_writer *w, const char *name, size_t n, ctrec_id *id)
{
    if (w && def_cached(w, &w->variables, name, n, id)) return CTREC_OK;
    return variable_impl(w, name, n, 0, id);
}
ctrec_status ctrec_variable_z(ctrec_writer *w, const char *name, ctrec_id *id)
{
    Z_ARG(w, name, "ctrec_variable_z");
    size_t n = strlen(name);
    if (def_cached(w, &w->variables, name, n, id)) return CTREC_OK;
    return variable_impl(w, name, n, 0, id);
}
ctrec_status ctrec_variable_new(ctrec_writer *w, const char *name, size_t n, ctrec_id *id)
{
    return variable_impl(w, name, n, 1, id);
}

/* ------------------------------------------------------------------ */
/* events without values                                               */

ctrec_status ctrec_start(ctrec_writer *w, const char *path, size_t len, int64_t line)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_start");
    LINE_ARG(w, line, "ctrec_start");
    if (w->functions.nids || w->types.nids)
        return misuse(w, CTREC_E_STATE,
                      "ctrec_start must come before any function or type is defined");
    ctrec_id path_id, fn, none;
    ctrec_status st;
    if ((st = ctrec_path(w, path, len, &path_id))) return st;
    if ((st = ctrec_function(w, "<toplevel>", 10, path_id, line, &fn))) return st;
    if ((st = ctrec_call(w, fn))) return st;
    return ctrec_type(w, CTREC_TYPE_NONE, "None", 4, &none);
}

ctrec_status ctrec_start_z(ctrec_writer *w, const char *path, int64_t line)
{
    Z_ARG(w, path, "ctrec_start_z");
    return ctrec_start(w, path, strlen(path), line);
}

static WR_NOINLINE ctrec_status step_commit(ctrec_writer *w);

/* ctrec_step past its fast path: out of line, so that the fast path saves no
 * registers. */
static WR_NOINLINE ctrec_status step_rest(ctrec_writer *w, ctrec_id path_id, int64_t line)
{
    GUARD(w);
    ctrec_status st = new_event(w, "ctrec_step", path_id, w->paths.nids, "path");
    if (st) return st;
    LINE_ARG(w, line, "ctrec_step");
    if (w->ct) return ct_step_checked(w, path_id, line, 0);
    ev_step(out_begin(w), path_id, line);
    return step_commit(w);
}

/* A Step's out_commit and the thread's step (the general path's end). */
static WR_NOINLINE ctrec_status step_commit(ctrec_writer *w)
{
    ctrec_status st = out_commit(w);
    if (st) return st;
    w->tc.stepped = 1;
    return CTREC_OK;
}

/* ctrec_step's trace.bin fast path past out_take (olock held, or due
 * when `wait`): the general path from out_begin on. */
static WR_NOINLINE ctrec_status step_bin_out(ctrec_writer *w, ctrec_id path_id, int64_t line,
                                             int wait)
{
    if (wait) olock_wait_rec(w);
    ev_step(&w->eo, path_id, line);
    return step_commit(w);
}

/* The .ct fast paths (ctrec_step, ctrec_begin_value, ctrec_end) do their
 * common case without a call, so that they save no registers: olock not
 * held before the event (held since ctrec_begin_value for ctrec_end) and
 * nothing to wait for, so that out_give ends it. The rest is in tail
 * calls: past the checks, to *_ct_slow with `wait` when out_take left
 * olock_wait_rec due (nothing is changed before). */
static WR_NOINLINE ctrec_status step_ct_slow(ctrec_writer *w, uint64_t x, int wait)
{
    /* x: ctw_gli(path_id, line), line <= CT_MAX_LINE (fewer registers
     * kept in the fast path) */
    if (wait) olock_wait_rec(w);
    return ct_done(w, ctw_line_step(w->ct, x / 100000u, (int64_t)(x % 100000u), &w->e));
}

ctrec_status ctrec_step(ctrec_writer *w, ctrec_id path_id, int64_t line)
{
    /* .ct without thread handles, every check passing: what step_rest's
     * checks and ct_step_checked do then */
    if (w && w->ct_fast && !w->open && path_id < w->paths.nids && ctw_line_ok(line)) {
        uint64_t x = ctw_gli(path_id, line);
        w->ev_failed = CTREC_OK;
        if (!out_held(w)) {
            if (!out_take(w)) return step_ct_slow(w, x, 1);
            /* tfailed before anything changes (as ct_done's after) */
            if (!w->tfailed && ctw_line_step_try(w->ct, x)) {
                out_give(w);
                w->nevents++;
                return CTREC_OK;
            }
        }
        return step_ct_slow(w, x, 0);
    }
    /* trace.bin, every check passing (bin_ready): what step_rest does then */
    if (bin_ready(w) && path_id < w->paths.nids && line >= 0) {
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) return step_bin_out(w, path_id, line, 1);
        if (!bin_room(w, FX_CBOR_STEP_ROOM)) return step_bin_out(w, path_id, line, 0);
        if (bin_done(w, fx_cbor_step(w->out.data + w->out.len, path_id, line))) {
            w->tc.stepped = 1;
            return CTREC_OK;
        }
        return step_commit(w);
    }
    return step_rest(w, path_id, line);
}

ctrec_status ctrec_step_column(ctrec_writer *w, ctrec_id path_id, int64_t line, int64_t column)
{
    GUARD(w);
    ctrec_status st = new_event(w, "ctrec_step_column", path_id, w->paths.nids, "path");
    if (st) return st;
    if (column < 1)
        return misuse(w, CTREC_E_ARG, "ctrec_step_column: column %lld is not >= 1",
                      (long long)column);
    if (w->ct) {
        LINE_ARG(w, line, "ctrec_step_column");
        if (!w->o.columns)
            return misuse(w, CTREC_E_UNSUPPORTED,
                          "ctrec_step_column: a .ct keeps columns only when the writer was "
                          "opened with the option columns = 1 (use ctrec_step)");
        return ct_step_checked(w, path_id, line, column);
    }
    return ctrec_step(w, path_id, line);
}

ctrec_status ctrec_step_path(ctrec_writer *w, const char *path, size_t len, int64_t line)
{
    ctrec_id id = 0; /* set unless st (gcc -O3 on the general build warned) */
    ctrec_status st = ctrec_path(w, path, len, &id);
    return st ? st : ctrec_step(w, id, line);
}

ctrec_status ctrec_event(ctrec_writer *w, ctrec_event_kind kind, const char *meta, size_t mn,
                         const char *content, size_t cn)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_event");
    NEED_STEP(w, "ctrec_event");
    TEXT_ARG(w, meta, mn);
    TEXT_ARG(w, content, cn);
    if (mn + cn > w->o.max_event_bytes) return too_big(w, mn + cn);
    if ((unsigned)kind >= CTREC_EVENT_KIND_COUNT)
        return misuse(w, CTREC_E_ARG, "event kind %d is not an EventLogKind (0..%d)", (int)kind,
                      CTREC_EVENT_KIND_COUNT - 1);
    if (w->ct) return ct_done(w, ctw_event(CT(w), kind, meta, mn, content, cn, &w->e));
    ev_event(out_begin(w), kind, meta, mn, content, cn);
    return out_commit(w);
}

ctrec_status ctrec_event_z(ctrec_writer *w, ctrec_event_kind kind, const char *meta,
                           const char *content)
{
    Z_ARG(w, meta, "ctrec_event_z (metadata)");
    Z_ARG(w, content, "ctrec_event_z (content)");
    return ctrec_event(w, kind, meta, strlen(meta), content, strlen(content));
}

ctrec_status ctrec_asm(ctrec_writer *w, const ctrec_str *ins, size_t count)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_asm");
    CT_REFUSE(w, "ctrec_asm");
    if (count && !ins) return misuse(w, CTREC_E_ARG, "NULL instructions with count %zu", count);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (!ins[i].ptr && ins[i].len)
            return misuse(w, CTREC_E_ARG, "instruction %zu is NULL with length %zu", i, ins[i].len);
        total += ins[i].len < w->o.max_event_bytes ? ins[i].len : w->o.max_event_bytes;
        if (total > w->o.max_event_bytes) return too_big(w, total);
    }
    ev_asm(out_begin(w), ins, count);
    return out_commit(w);
}

static ctrec_status var_place(ctrec_writer *w, const char *what, const char *variant, size_t vn,
                              ctrec_id var, int64_t place)
{
    GUARD(w);
    ctrec_status st = new_event(w, what, var, w->variables.nids, "variable");
    if (st) return st;
    CT_REFUSE(w, what);
    ev_var_place(out_begin(w), variant, vn, var, place);
    return out_commit(w);
}

ctrec_status ctrec_bind_variable(ctrec_writer *w, ctrec_id var, int64_t place)
{
    return var_place(w, "ctrec_bind_variable", "BindVariable", 12, var, place);
}
ctrec_status ctrec_variable_cell(ctrec_writer *w, ctrec_id var, int64_t place)
{
    return var_place(w, "ctrec_variable_cell", "VariableCell", 12, var, place);
}

static ctrec_status check_ids(ctrec_writer *w, const ctrec_id *ids, size_t count)
{
    if (count && !ids) return misuse(w, CTREC_E_ARG, "NULL ids with count %zu", count);
    for (size_t i = 0; i < count; i++) {
        ctrec_status st = check_id(w, ids[i], w->variables.nids, "variable");
        if (st) return st;
    }
    return CTREC_OK;
}

ctrec_status ctrec_drop_variable(ctrec_writer *w, ctrec_id var)
{
    GUARD(w);
    ctrec_status st = new_event(w, "ctrec_drop_variable", var, w->variables.nids, "variable");
    if (st) return st;
    CT_REFUSE(w, "ctrec_drop_variable");
    EV_UNSIGNED(out_begin(w), "DropVariable", var);
    return out_commit(w);
}

ctrec_status ctrec_drop_variables(ctrec_writer *w, const ctrec_id *ids, size_t count)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_drop_variables");
    CT_REFUSE(w, "ctrec_drop_variables");
    ctrec_status st = check_ids(w, ids, count);
    if (st) return st;
    ev_drop_variables(out_begin(w), ids, count);
    return out_commit(w);
}

ctrec_status ctrec_assign_compound_item(ctrec_writer *w, int64_t place, uint64_t index,
                                        int64_t item_place)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_assign_compound_item");
    CT_REFUSE(w, "ctrec_assign_compound_item");
    ev_assign_compound_item(out_begin(w), place, index, item_place);
    return out_commit(w);
}

ctrec_status ctrec_assign(ctrec_writer *w, ctrec_id to, ctrec_pass_by pass_by, int compound,
                          const ctrec_id *from, size_t count)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_assign");
    CT_REFUSE(w, "ctrec_assign");
    if (pass_by != CTREC_PASS_BY_VALUE && pass_by != CTREC_PASS_BY_REFERENCE)
        return misuse(w, CTREC_E_ARG, "pass_by %d is neither Value nor Reference", (int)pass_by);
    if (!compound && count != 1)
        return misuse(w, CTREC_E_ARG, "a Simple rvalue takes exactly one id, not %zu", count);
    ctrec_status st = check_id(w, to, w->variables.nids, "variable");
    if (st || (st = check_ids(w, from, count))) return st;
    ev_assign(out_begin(w), to, pass_by, compound, from, count);
    return out_commit(w);
}

static ctrec_status thread_event(ctrec_writer *w, const char *what, const char *variant,
                                 size_t vn, uint64_t tid, int raw)
{
    GUARD(w);
    NO_OPEN_EVENT(w, what);
    /* The handles keep the per-thread model in step with the thread events
     * they write: one written beside them would break it. */
    if (raw && w->tc.threads)
        return misuse(w, CTREC_E_STATE,
                      "%s: the writer has thread handles, which write the thread events "
                      "(ctrec_thread_open, ctrec_thread_enter, ctrec_thread_close)",
                      what);
    if (w->ct) {
        int tag = variant[6] == 'S' && variant[7] == 't' ? CT_THREAD_START
                  : variant[6] == 'E'                    ? CT_THREAD_EXIT
                                                         : CT_THREAD_SWITCH;
        return ct_done(w, ctw_thread(CT(w), tag, tid, &w->e));
    }
    ev_unsigned(out_begin(w), variant, vn, tid);
    return out_commit(w);
}

ctrec_status writer_thread_event(ctrec_writer *w, enum writer_thread_ev which, uint64_t tid)
{
    w->ct_fast = 0; /* the writer has (or is getting) thread handles */
    w->bin_fast = 0;
    switch (which) {
    case WT_START: return thread_event(w, "ctrec_thread_open", "ThreadStart", 11, tid, 0);
    case WT_EXIT: return thread_event(w, "ctrec_thread_close", "ThreadExit", 10, tid, 0);
    case WT_SWITCH: return thread_event(w, "ctrec_thread_enter", "ThreadSwitch", 12, tid, 0);
    }
    return CTREC_E_ARG;
}

thread_ctx *writer_thread_ctx(ctrec_writer *w) { return &w->tc; }
uint64_t *writer_calls_open(ctrec_writer *w) { return &w->calls_open; }
int writer_event_open(const ctrec_writer *w) { return w->open != OPEN_NONE; }
ctrec_status writer_misuse(ctrec_writer *w, ctrec_status st, const char *msg)
{
    return misuse(w, st, "%s", msg);
}

ctrec_status writer_refuse(ctrec_writer *w, ctrec_status st, const char *msg)
{
    return err_set(&w->e, st, "%s", msg);
}

ctrec_status ctrec_thread_start(ctrec_writer *w, uint64_t tid)
{
    return thread_event(w, "ctrec_thread_start", "ThreadStart", 11, tid, 1);
}
ctrec_status ctrec_thread_exit(ctrec_writer *w, uint64_t tid)
{
    return thread_event(w, "ctrec_thread_exit", "ThreadExit", 10, tid, 1);
}
ctrec_status ctrec_thread_switch(ctrec_writer *w, uint64_t tid)
{
    return thread_event(w, "ctrec_thread_switch", "ThreadSwitch", 12, tid, 1);
}

/* What only a .ct can hold, refused for trace.json and trace.bin. */
static ctrec_status ct_only(ctrec_writer *w, const char *what, const char *thing)
{
    return misuse(w, CTREC_E_UNSUPPORTED,
                  "%s: trace.json and trace.bin have no place for %s (a .ct has: "
                  "CTREC_FORMAT_CT)",
                  what, thing);
}

/* Raise and Catch: .ct only (steps.dat tags 2 and 3). */
static ctrec_status raise_catch(ctrec_writer *w, const char *what, ctrec_id type_id,
                                const char *msg, size_t n, int is_raise)
{
    GUARD(w);
    NO_OPEN_EVENT(w, what);
    if (!w->ct) return ct_only(w, what, "an exception record");
    ctrec_status st = new_event(w, what, type_id, w->types.nids, "type");
    if (st) return st;
    if (!is_raise) return ct_done(w, ctw_catch(CT(w), type_id, &w->e));
    TEXT_ARG(w, msg, n);
    if (clean_text(w, &msg, &n)) return nomem(w);
    return ct_done(w, ctw_raise(CT(w), type_id, msg, n, &w->e));
}

ctrec_status ctrec_raise(ctrec_writer *w, ctrec_id type_id, const char *message, size_t len)
{
    return raise_catch(w, "ctrec_raise", type_id, message, len, 1);
}

ctrec_status ctrec_catch(ctrec_writer *w, ctrec_id type_id)
{
    return raise_catch(w, "ctrec_catch", type_id, NULL, 0, 0);
}

ctrec_status ctrec_drop_last_step(ctrec_writer *w)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_drop_last_step");
    CT_REFUSE(w, "ctrec_drop_last_step");
    ev_drop_last_step(out_begin(w));
    return out_commit(w);
}

/* ------------------------------------------------------------------ */
/* events with values                                                  */

/* Opens a single-value event (the checks passed; the caller sets w->cur);
 * `json`: 0 when the event is known not to go to trace.json (no separator
 * then). */
static WR_INLINE void open_single_fields(ctrec_writer *w, int json)
{
    size_t at = w->out.len;
    w->open_sep = at;
    if (json && w->eo.json && w->nevents) {
        BUF_LIT(&w->out, ",\n");
        at = w->out.len;
    }
    w->open_at = at;
    w->open = OPEN_SINGLE;
    w->open_return = 0;
    w->slot = 1;
    w->depth = 0;
}

static WR_INLINE void open_single_set(ctrec_writer *w, int json)
{
    out_acquire(w);
    open_single_fields(w, json);
}

static WR_INLINE ctrec_status open_single(ctrec_writer *w, const char *what)
{
    GUARD(w);
    NO_OPEN_EVENT(w, what);
    open_single_set(w, 1);
    w->cur = &w->eo;
    return CTREC_OK;
}

/* A .ct Value encoded straight into the values chunk (ctw_value_begin). */
static WR_INLINE void ct_value_direct(ctrec_writer *w, ctrec_id var)
{
    w->ct_var = var;
    w->ec.b = ctw_value_begin(w->ct, var, &w->ct_at);
    w->cur = &w->ec;
    w->ct_direct = 1;
}

/* ctrec_begin_value past its fast path: out of line, so that the fast path saves no
 * registers. */
static WR_NOINLINE ctrec_status begin_value_rest(ctrec_writer *w, ctrec_id var)
{
    GUARD(w);
    NEED_STEP(w, "ctrec_begin_value");
    ctrec_status st = check_id(w, var, w->variables.nids, "variable");
    if (st || (st = open_single(w, "ctrec_begin_value"))) return st;
    if (w->ct) {
        w->ct_var = var;
        if (ctw_step_count(w->ct)) ct_value_direct(w, var);
        return CTREC_OK;
    }
    ev_value_open(&w->eo, var);
    return CTREC_OK;
}

static WR_NOINLINE ctrec_status begin_value_ct_slow(ctrec_writer *w, ctrec_id var, int wait)
{
    if (wait) olock_wait_rec(w);
    open_single_set(w, 0); /* a .ct */
    ct_value_direct(w, var);
    return CTREC_OK;
}

/* ctrec_begin_value's trace.bin fast path past out_take (olock held, or
 * due when `wait`): what begin_value_rest does from open_single_set on. */
static WR_NOINLINE ctrec_status begin_value_bin_out(ctrec_writer *w, ctrec_id var, int wait)
{
    if (wait) olock_wait_rec(w);
    open_single_fields(w, 1);
    w->cur = &w->eo;
    ev_value_open(&w->eo, var);
    return CTREC_OK;
}

ctrec_status ctrec_begin_value(ctrec_writer *w, ctrec_id var)
{
    /* .ct without thread handles after a step, every check passing: what
     * begin_value_rest's checks and open_single do then (see ctrec_step) */
    if (w && w->ct_fast && !w->open && var < w->variables.nids && ctw_step_count(w->ct)) {
        w->ev_failed = CTREC_OK;
        if (!out_held(w)) {
            if (!out_take(w)) return begin_value_ct_slow(w, var, 1);
            if (ctw_value_begin_fits(w->ct)) {
                open_single_fields(w, 0); /* a .ct */
                ct_value_direct(w, var);
                return CTREC_OK;
            }
        }
        return begin_value_ct_slow(w, var, 0);
    }
    /* trace.bin, every check passing (bin_ready): what begin_value_rest
     * does then; olock stays held until ctrec_end */
    if (bin_ready(w) && var < w->variables.nids) {
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) return begin_value_bin_out(w, var, 1);
        if (!bin_room(w, FX_CBOR_VALUE_OPEN_ROOM)) return begin_value_bin_out(w, var, 0);
        open_single_fields(w, 0); /* trace.bin: no separator */
        w->cur = &w->eo;
        w->out.len = (size_t)(fx_cbor_value_open(w->out.data + w->out.len, var) - w->out.data);
        return CTREC_OK;
    }
    return begin_value_rest(w, var);
}

ctrec_status ctrec_begin_value_named(ctrec_writer *w, const char *name, size_t len)
{
    ctrec_id var;
    ctrec_status st = ctrec_variable(w, name, len, &var);
    return st ? st : ctrec_begin_value(w, var);
}

/* The debugger fails on a Return with no open call. */
static WR_COLD ctrec_status no_call_to_return(ctrec_writer *w, const char *what)
{
    return misuse(w, CTREC_E_STATE,
                  "%s: a Return with no open call (every Call has had its Return, the "
                  "top-level one included; the debugger refuses such a trace)",
                  what);
}

/* ctrec_begin_return's trace.bin fast path past out_take (olock held, or
 * due when `wait`): what begin_return_rest does from open_single_set on. */
static WR_NOINLINE ctrec_status begin_return_bin_out(ctrec_writer *w, int wait)
{
    if (wait) olock_wait_rec(w);
    open_single_fields(w, 1);
    w->cur = &w->eo;
    w->open_return = 1;
    ev_return_open(&w->eo);
    return CTREC_OK;
}

static WR_NOINLINE ctrec_status begin_return_rest(ctrec_writer *w);

ctrec_status ctrec_begin_return(ctrec_writer *w)
{
    /* trace.bin, every check passing (bin_ready, a call open): what
     * begin_return_rest does then; olock stays held until ctrec_end */
    if (bin_ready(w) && w->calls_open) {
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) return begin_return_bin_out(w, 1);
        if (!bin_room(w, FX_CBOR_RETURN_OPEN_ROOM)) return begin_return_bin_out(w, 0);
        open_single_fields(w, 0); /* trace.bin: no separator */
        w->cur = &w->eo;
        w->open_return = 1;
        uint8_t *p = w->out.data + w->out.len;
        w->out.len += (size_t)(fx_cbor_return_open(p) - p);
        return CTREC_OK;
    }
    return begin_return_rest(w);
}

/* ctrec_begin_return past its fast path. */
static WR_NOINLINE ctrec_status begin_return_rest(ctrec_writer *w)
{
    ctrec_status st = open_single(w, "ctrec_begin_return");
    if (st) return st;
    if (!w->calls_open) return no_call_to_return(w, "ctrec_begin_return");
    if (w->ct) {
        w->ct_var = (ctrec_id)-1;
        return CTREC_OK;
    }
    w->open_return = 1;
    ev_return_open(&w->eo);
    return CTREC_OK;
}

/* A Return whose value is the exception the call exits by (.ct only: in
 * the ct_var slot, CT_EXCEPTION marks it). */
#define CT_EXCEPTION ((ctrec_id)-2)

ctrec_status ctrec_begin_return_exception(ctrec_writer *w)
{
    static const char what[] = "ctrec_begin_return_exception";
    GUARD(w);
    NO_OPEN_EVENT(w, what);
    if (!w->ct) return ct_only(w, what, "a call's exception");
    if (!w->calls_open) return no_call_to_return(w, what);
    ctrec_status st = open_single(w, what);
    if (st) return st;
    w->ct_var = CT_EXCEPTION;
    return CTREC_OK;
}

ctrec_status ctrec_return_exception(ctrec_writer *w, ctrec_id type_id, const char *message,
                                    size_t len)
{
    ctrec_status st = ctrec_begin_return_exception(w);
    if (st || (st = ctrec_error(w, message, len, type_id))) return st;
    return ctrec_end(w);
}

ctrec_status ctrec_begin_compound_value(ctrec_writer *w, int64_t place)
{
    if (w && !w->failed && !w->open) CT_REFUSE(w, "ctrec_begin_compound_value");
    ctrec_status st = open_single(w, "ctrec_begin_compound_value");
    if (st) return st;
    ev_place_value_open(&w->eo, "CompoundValue", 13, place, "value", 5);
    return CTREC_OK;
}

ctrec_status ctrec_begin_cell_value(ctrec_writer *w, int64_t place)
{
    if (w && !w->failed && !w->open) CT_REFUSE(w, "ctrec_begin_cell_value");
    ctrec_status st = open_single(w, "ctrec_begin_cell_value");
    if (st) return st;
    ev_place_value_open(&w->eo, "CellValue", 9, place, "value", 5);
    return CTREC_OK;
}

ctrec_status ctrec_begin_assign_cell(ctrec_writer *w, int64_t place)
{
    if (w && !w->failed && !w->open) CT_REFUSE(w, "ctrec_begin_assign_cell");
    ctrec_status st = open_single(w, "ctrec_begin_assign_cell");
    if (st) return st;
    ev_place_value_open(&w->eo, "AssignCell", 10, place, "new_value", 9);
    return CTREC_OK;
}

ctrec_status ctrec_begin_call(ctrec_writer *w, ctrec_id fn)
{
    GUARD(w);
    ctrec_status st = new_event(w, "ctrec_begin_call", fn, w->functions.nids, "function");
    if (st) return st;
    w->ev.len = 0;
    w->cur = &w->ee;
    w->open = OPEN_CALL;
    w->slot = 0;
    w->depth = 0;
    w->ncargs = 0;
    w->call_fn = fn;
    return CTREC_OK;
}

static WR_NOINLINE ctrec_status arg_rest(ctrec_writer *w, ctrec_id var);

ctrec_status ctrec_arg(ctrec_writer *w, ctrec_id var)
{
    /* trace.bin or .ct (bin_fast or ct_fast: not failed, no thread
     * handles), inside ctrec_begin_call with no value open and the last
     * argument given, a defined variable, room in cargs: what arg_rest
     * does then */
    if (w && (w->bin_fast | w->ct_fast) && w->open == OPEN_CALL && !w->depth && !w->slot &&
        var < w->variables.nids && w->ncargs < w->cargs_cap) {
        size_t at = w->ev.len;
        if (w->ncargs) w->cargs[w->ncargs - 1].end = at;
        w->cargs[w->ncargs++] = (call_arg){var, at, at};
        w->slot = 1;
        return CTREC_OK;
    }
    return arg_rest(w, var);
}

/* ctrec_arg past its fast path. */
static WR_NOINLINE ctrec_status arg_rest(ctrec_writer *w, ctrec_id var)
{
    GUARD(w);
    EVENT_FAILED(w);
    if (w->open != OPEN_CALL)
        return misuse(w, CTREC_E_STATE, "ctrec_arg outside ctrec_begin_call");
    if (w->depth)
        return misuse(w, CTREC_E_STATE, "ctrec_arg while a %s value is open",
                      frame_names[w->stack[w->depth - 1].kind]);
    if (w->slot)
        return misuse(w, CTREC_E_VALUE, "argument %zu has no value", w->ncargs - 1);
    ctrec_status st = check_id(w, var, w->variables.nids, "variable");
    if (st) return st;
    call_arg *a = grow(w->cargs, &w->cargs_cap, w->ncargs, sizeof *a, 16);
    if (!a) return nomem(w);
    w->cargs = a;
    if (w->ncargs) w->cargs[w->ncargs - 1].end = w->ev.len;
    w->cargs[w->ncargs++] = (call_arg){var, w->ev.len, w->ev.len};
    w->slot = 1;
    return CTREC_OK;
}

ctrec_status ctrec_arg_named(ctrec_writer *w, const char *name, size_t len)
{
    ctrec_id var;
    ctrec_status st = ctrec_variable(w, name, len, &var);
    return st ? st : ctrec_arg(w, var);
}

static ctrec_status end_call(ctrec_writer *w)
{
    if (w->slot) return misuse(w, CTREC_E_VALUE, "argument %zu has no value", w->ncargs - 1);
    if (w->ev.len > w->o.max_event_bytes) return too_big(w, w->ev.len);
    /* read only up to ncargs: the first set so that gcc, which cannot
     * tell, does not take the rest for read (zeroing all 16 cost about 50
     * instructions a call) */
    ev_arg small[16];
    small[0] = (ev_arg){0, NULL, 0};
    ev_arg *args = w->ncargs <= 16 ? small : malloc(w->ncargs * sizeof *args);
    if (!args) return nomem(w);
    for (size_t i = 0; i < w->ncargs; i++) {
        call_arg *c = &w->cargs[i];
        args[i] = (ev_arg){c->var, w->ev.data + c->start, c->end - c->start};
    }
    ctrec_id fn = w->call_fn;
    size_t n = w->ncargs;
    w->open = OPEN_NONE;
    ctrec_status st = CTREC_OK;
    if (w->ct) {
        /* As below: a Step at the definition line, where the arguments are
         * the values visible, then the Call. */
        st = ct_call_checked(w, fn, args, n);
        if (args != small) free(args);
        abandon(w);
        if (!st) w->calls_open++;
        return st;
    }
    if (fn != 0) {
        /* The reference writer's call: argument Values, a Step at the
         * definition line, then the Call. */
        for (size_t i = 0; i < n && !st; i++) {
            ev_value_encoded(out_begin(w), args[i].var, args[i].value, args[i].len);
            st = out_chain(w);
        }
        if (!st) {
            ev_step(out_begin(w), w->fns[fn].path_id, w->fns[fn].line);
            st = out_chain(w);
        }
    }
    if (!st) {
        ev_call(out_begin(w), fn, args, n);
        st = out_commit(w);
    }
    if (args != small) free(args);
    abandon(w);
    if (!st) {
        w->calls_open++;
        if (fn != 0) w->tc.stepped = 1;
    }
    return st;
}

static ctrec_status end_event(ctrec_writer *w)
{
    if (!w->open) return misuse(w, CTREC_E_STATE, "ctrec_end without an open event");
    if (w->depth)
        return misuse(w, CTREC_E_STATE, "ctrec_end while a %s value is still open",
                      frame_names[w->stack[w->depth - 1].kind]);
    if (w->open == OPEN_CALL) {
        if (w->ev.oom) return nomem(w);
        if (w->ncargs && !w->slot) w->cargs[w->ncargs - 1].end = w->ev.len;
        return end_call(w);
    }
    if (w->slot) return misuse(w, CTREC_E_VALUE, "the event has no value");
    if (w->ct_direct) {
        size_t n = w->ec.b->len - w->ct_at;
        if (n > w->o.max_event_bytes) return too_big(w, n);
        w->ct_direct = 0;
        w->open = OPEN_NONE;
        return ct_done(w, ctw_value_end(CT(w), &w->e));
    }
    if (w->out.len - w->open_at > w->o.max_event_bytes) return too_big(w, w->out.len - w->open_at);
    if (w->ct) {
        if (w->out.oom) return nomem(w);
        const uint8_t *v = w->out.data + w->open_at;
        size_t n = w->out.len - w->open_at;
        ctrec_status st = w->ct_var == (ctrec_id)-1 ? ctw_return(CT(w), v, n, NULL, 0, &w->e)
                          : w->ct_var == CT_EXCEPTION ? ctw_return(CT(w), NULL, 0, v, n, &w->e)
                                                      : ctw_value(CT(w), w->ct_var, v, n, &w->e);
        int ret = w->ct_var == (ctrec_id)-1 || w->ct_var == CT_EXCEPTION;
        w->out.len = w->open_sep;
        w->open = OPEN_NONE;
        if ((st = ct_done(w, st))) return st;
        if (ret) w->calls_open--;
        return CTREC_OK;
    }
    ev_close_value_event(&w->eo);
    w->open = OPEN_NONE;
    ctrec_status st = out_commit(w);
    if (!st && w->open_return) w->calls_open--;
    return st;
}

static WR_NOINLINE ctrec_status call_commit(ctrec_writer *w, ctrec_id fn);

/* ctrec_end's general path. */
static WR_NOINLINE ctrec_status end_general(ctrec_writer *w)
{
    GUARD(w);
    if (!w->open && w->ev_failed) {
        /* The event failed earlier and was discarded then: its first error. */
        ctrec_status st = w->ev_failed;
        w->e = w->ev_err;
        w->ev_failed = CTREC_OK;
        return st;
    }
    ctrec_status st = end_event(w);
    w->ev_failed = CTREC_OK;
    return st;
}

/* ctrec_end of a call (ctrec_begin_call) on a .ct without thread handles
 * (ct_fast): every check of end_event and end_call passing, a function
 * other than the top-level one with a line the .ct can hold, at most 16
 * arguments, olock free and nothing due, the entry step in
 * ctw_line_step_try's case and room for the argument Values: the step,
 * the Values and the call in one ctw_step_args_call, and the bookkeeping
 * of ct_call_checked, ct_done and end_call. Anything else goes to
 * end_general (with olock held when out_take has left olock_wait_rec due,
 * as out_acquire would). */
static WR_NOINLINE ctrec_status end_call_ct(ctrec_writer *w)
{
    size_t n = w->ncargs;
    ctrec_id fn = w->call_fn;
    if (w->ev.oom || w->ev.len > w->o.max_event_bytes || n > 16 || fn == 0 ||
        !ctw_line_ok(w->fns[fn].line) || out_held(w))
        return end_general(w);
    if (n) w->cargs[n - 1].end = w->ev.len; /* end_event's */
    w->ev_failed = CTREC_OK;
    if (!out_take(w)) {
        olock_wait_rec(w);
        return end_general(w);
    }
    if (w->tfailed) return end_general(w); /* before anything changes */
    uint64_t x = ctw_gli(w->fns[fn].path_id, w->fns[fn].line);
    /* the step's case first (a step after Values of 126 bytes or more is
     * not), before the argument list is built */
    if (!ctw_line_step_fits(w->ct, x)) return end_general(w);
    ev_arg args[16];
    for (size_t i = 0; i < n; i++) {
        call_arg *c = &w->cargs[i];
        args[i] = (ev_arg){c->var, w->ev.data + c->start, c->end - c->start};
    }
    int r = ctw_step_args_call(w->ct, x, fn, args, n, &w->e);
    if (r < 0) return end_general(w); /* nothing changed; olock held */
    /* end_call's end: the event closed and its state cleared (abandon) */
    w->open = OPEN_NONE;
    w->ncargs = 0;
    w->ev.len = 0;
    w->skip = 0;
    w->tc.stepped = 1;
    if (r) {
        w->nevents += 1 + n; /* the entry step and the Values were made */
        ctrec_status st = ct_done_slow(w, (ctrec_status)r);
        abandon(w);
        w->ev_failed = CTREC_OK;
        return st;
    }
    out_give(w);
    w->nevents += 2 + n; /* the entry step, the Values, the call */
    w->calls_open++;
    return CTREC_OK;
}

/* ctrec_end of a Return with its value (ctrec_begin_return) on a .ct
 * without thread handles (ct_fast): every check of end_event passing,
 * olock held by ctrec_begin_return's out_take (nothing to wait for) and
 * no failure of the flush thread: ctw_return directly and the
 * bookkeeping of end_event and ct_done. Anything else goes to
 * end_general. */
static WR_NOINLINE ctrec_status end_return_ct(ctrec_writer *w)
{
    size_t n = w->out.len - w->open_at;
    if (w->out.oom || n > w->o.max_event_bytes ||
        atomic_load_explicit(&w->busy, memory_order_relaxed) != BUSY_HELD || w->tfailed)
        return end_general(w);
    ctrec_status st = ctw_return(w->ct, w->out.data + w->open_at, n, NULL, 0, &w->e);
    w->out.len = w->open_sep;
    w->open = OPEN_NONE;
    if (st) {
        st = ct_done_slow(w, st);
        w->ev_failed = CTREC_OK;
        return st;
    }
    w->ev_failed = CTREC_OK;
    out_give(w);
    w->nevents++;
    w->calls_open--;
    return CTREC_OK;
}

/* ctrec_end past its fast path: out of line, so that the fast path saves no
 * registers. A .ct's call and Return (ct_fast) have paths of their own. */
static WR_NOINLINE ctrec_status end_rest(ctrec_writer *w)
{
    /* a .ct Value encoded in place (ct_direct) first: the one that comes
     * here most (its fast path in ctrec_end takes values under 128 bytes) */
    if (w && !w->ct_direct && w->ct_fast && !w->depth && !w->slot) {
        if (w->open == OPEN_CALL) return end_call_ct(w);
        if (w->open == OPEN_SINGLE && w->ct_var == (ctrec_id)-1) return end_return_ct(w);
    }
    return end_general(w);
}

#define BIN_CALL_ARGS 16
_Static_assert(BIN_CALL_ARGS < 24, "a call's args count is its head's last byte");
_Static_assert(FX_CBOR_STEP_ROOM + FX_CBOR_CALL_HEAD_ROOM >= FN_CALL_BYTES, "the room for fn_info.call");

/* end_call_bin past its checks, olock held and the room there: the
 * group's bytes and its bookkeeping. The entry step and the Call's head
 * are keep_fn's bytes (fn_info.call: the Call without arguments, whose
 * last byte is its args array's head, 0x80; with n <= BIN_CALL_ARGS < 24
 * arguments it is 0x80 | n), copied whole as ctrec_call does. `any`: 0,
 * values up to 32 bytes copied with no call (so that end_call_bin saves
 * no registers), a longer one sends the group to end_call_bin_any before
 * anything is counted or `out`'s length moved (the bytes written past it
 * are then written again); 1, any length. */
static WR_INLINE ctrec_status call_bin_write(ctrec_writer *w, int any);

static WR_NOINLINE ctrec_status end_call_bin_any(ctrec_writer *w)
{
    return call_bin_write(w, 1);
}

static WR_INLINE ctrec_status call_bin_write(ctrec_writer *w, int any)
{
    ctrec_id fn = w->call_fn;
    const fn_info *fi = &w->fns[fn];
    size_t n = w->ncargs;
    uint8_t *p = w->out.data + w->out.len;
    const uint8_t *ev = w->ev.data;
    const call_arg *a = w->cargs;
    if (fn != 0) {
        for (size_t i = 0; i < n; i++) {
            size_t len = a[i].end - a[i].start;
            if (!any && len > 32) return end_call_bin_any(w);
            p = fx_cbor_value_open(p, a[i].var);
            if (any) fx_copy(p, ev + a[i].start, len);
            else fx_copy32(p, ev + a[i].start, len);
            p += len;
        }
        w->nevents += n + 1; /* out_chain's */
    }
    memcpy(p, fi->call, FN_CALL_BYTES); /* within the room */
    p += fi->call_n;
    p[-1] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++) {
        size_t len = a[i].end - a[i].start;
        if (!any && len > 32) return end_call_bin_any(w); /* the top-level call's */
        p = fx_cbor_arg_open(p, a[i].var);
        if (any) fx_copy(p, ev + a[i].start, len);
        else fx_copy32(p, ev + a[i].start, len);
        p += len;
    }
    /* abandon's, olock aside (end_call's out_commit gives it back) */
    w->open = OPEN_NONE;
    w->ncargs = 0;
    w->ev.len = 0;
    if (bin_done(w, p)) {
        w->calls_open++;
        if (fn != 0) w->tc.stepped = 1;
        return CTREC_OK;
    }
    return call_commit(w, fn);
}

/* end_call_bin past out_take when olock_wait_rec is due: out of line, so
 * that end_call_bin makes no call but tail calls. */
static WR_NOINLINE ctrec_status end_call_wait(ctrec_writer *w)
{
    olock_wait_rec(w);
    return end_call(w);
}

/* The end of ctrec_begin_call's call in trace.bin (bin_fast, a call open):
 * with its arguments all given (no value open, the last one with its
 * value), their bytes (in `ev`) within max_event_bytes, at most
 * BIN_CALL_ARGS of them, the function's call bytes kept (fn_info.call_n),
 * olock not held (as out_begin finds it), then taken with out_take and
 * room in `out` for every event of the group: what end_call writes (the
 * argument Values, the entry step, the Call with the arguments; the
 * top-level call has neither Values nor step), in one go
 * (call_bin_write), and its bookkeeping. Past out_take without room, or
 * when olock_wait_rec is due, end_call writes it (olock then held: its
 * out_begins take nothing); anything else goes to end_rest, which says
 * what is wrong. (No `skip` check: the depth marker's compounds are inside
 * a compound, depth > 0.) */
static WR_NOINLINE ctrec_status end_call_bin(ctrec_writer *w)
{
    size_t n = w->ncargs;
    if (w->depth || w->slot || w->ev.oom || n > BIN_CALL_ARGS ||
        w->ev.len > w->o.max_event_bytes || out_held(w))
        return end_rest(w);
    if (n) w->cargs[n - 1].end = w->ev.len; /* end_event's */
    w->ev_failed = CTREC_OK;
    if (!out_take(w)) return end_call_wait(w);
    /* each argument twice (its Value and in the Call), the step and the
     * Call's head (FN_CALL_BYTES copied) */
    size_t room = n * (FX_CBOR_VALUE_OPEN_ROOM + FX_CBOR_ARG_OPEN_ROOM) + 2 * w->ev.len +
                  FX_CBOR_STEP_ROOM + FX_CBOR_CALL_HEAD_ROOM;
    if (!bin_room(w, room) || !w->fns[w->call_fn].call_n) return end_call(w);
    return call_bin_write(w, 0);
}

ctrec_status ctrec_end(ctrec_writer *w)
{
    /* a .ct Value in the values chunk, complete, without thread handles:
     * what end_event does then (see ctrec_step); ctw_value_end_try takes
     * a value under 128 bytes only, within max_event_bytes (ct_fast) */
    if (w && w->ct_direct && w->ct_fast && !w->depth && !w->slot &&
        atomic_load_explicit(&w->busy, memory_order_relaxed) == BUSY_HELD && !w->tfailed &&
        ctw_value_end_try(w->ct)) {
        w->ct_direct = 0;
        w->open = OPEN_NONE;
        w->ev_failed = CTREC_OK;
        out_give(w);
        w->nevents++;
        return CTREC_OK;
    }
    /* trace.bin (bin_fast), a Value or Return complete, olock held since
     * it began (BUSY_HELD, not the spin lock), within max_event_bytes,
     * nothing due (bin_done's checks): what end_event and out_commit do
     * then */
    if (w && w->bin_fast && w->open == OPEN_SINGLE && !(w->depth | (unsigned)w->slot) &&
        atomic_load_explicit(&w->busy, memory_order_relaxed) == BUSY_HELD &&
        !(w->out.oom | (int)w->tfailed) && w->out.len - w->open_at <= w->o.max_event_bytes &&
        w->out.len < w->threshold) {
        w->open = OPEN_NONE;
        w->ev_failed = CTREC_OK;
        out_give(w);
        w->nevents++;
        w->calls_open -= (unsigned)w->open_return; /* 1 for a Return, else 0 */
        return CTREC_OK;
    }
    if (w && w->bin_fast && w->open == OPEN_CALL) return end_call_bin(w);
    return end_rest(w);
}

/* A call's out_commit and its bookkeeping (the general path's end). */
static WR_NOINLINE ctrec_status call_commit(ctrec_writer *w, ctrec_id fn)
{
    ctrec_status st = out_commit(w);
    if (st) return st;
    w->calls_open++;
    if (fn != 0) w->tc.stepped = 1;
    return CTREC_OK;
}

/* ctrec_call in trace.json and trace.bin past its checks: the entry step
 * (but for the top-level call) and the call, one group for the flush
 * thread (out_chain). */
static WR_NOINLINE ctrec_status call_out(ctrec_writer *w, ctrec_id fn)
{
    ctrec_status st;
    if (fn != 0) {
        ev_step(out_begin(w), w->fns[fn].path_id, w->fns[fn].line);
        if ((st = out_chain(w))) return st;
    }
    ev_call(out_begin(w), fn, NULL, 0);
    return call_commit(w, fn);
}

/* ctrec_call's trace.bin fast path past out_take (olock held, or due
 * when `wait`). */
static WR_NOINLINE ctrec_status call_bin_out(ctrec_writer *w, ctrec_id fn, int wait)
{
    if (wait) olock_wait_rec(w);
    return call_out(w, fn);
}

static WR_NOINLINE ctrec_status call_rest(ctrec_writer *w, ctrec_id fn)
{
    GUARD(w);
    ctrec_status st = new_event(w, "ctrec_call", fn, w->functions.nids, "function");
    if (st) return st;
    if (w->ct) {
        if ((st = ct_call_checked(w, fn, NULL, 0))) return st;
        w->calls_open++;
        return CTREC_OK;
    }
    return call_out(w, fn);
}

/* ctrec_call on a .ct without thread handles (ct_fast): every check of
 * call_rest passing, olock free and nothing due, the entry step in
 * ctw_line_step_try's case: what ct_call_checked and ct_done do then.
 * Anything else goes to call_rest (with olock held when out_take has left
 * olock_wait_rec due, as out_acquire would). */
static WR_NOINLINE ctrec_status call_ct(ctrec_writer *w, ctrec_id fn)
{
    if (!w->open && fn != 0 && fn < w->functions.nids && !out_held(w) &&
        ctw_line_ok(w->fns[fn].line)) {
        uint64_t x = ctw_gli(w->fns[fn].path_id, w->fns[fn].line);
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) {
            olock_wait_rec(w);
            return call_rest(w, fn);
        }
        /* tfailed before anything changes (as ct_done's after) */
        if (!w->tfailed) {
            int r = ctw_step_call(w->ct, x, fn, &w->e);
            if (r == 0) {
                out_give(w);
                w->nevents += 2; /* the entry step and the call */
                w->tc.stepped = 1;
                w->calls_open++;
                return CTREC_OK;
            }
            if (r > 0) { /* the step made, the call failed */
                w->nevents++;
                w->tc.stepped = 1;
                return ct_done_slow(w, (ctrec_status)r);
            }
        }
    }
    return call_rest(w, fn);
}

/* A call without arguments: what ctrec_begin_call + ctrec_end write, without
 * the argument bookkeeping (the common event of a recorder's hot path). */
ctrec_status ctrec_call(ctrec_writer *w, ctrec_id fn)
{
    /* trace.bin, every check passing (bin_ready): what call_rest does then */
    if (bin_ready(w) && fn < w->functions.nids) {
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) return call_bin_out(w, fn, 1);
        if (!bin_room(w, FX_CBOR_STEP_ROOM + FX_CBOR_CALL_HEAD_ROOM))
            return call_bin_out(w, fn, 0);
        uint8_t *p = w->out.data + w->out.len;
        const fn_info *fi = &w->fns[fn];
        if (fn != 0) w->nevents++; /* the entry step's out_chain */
        if (fi->call_n) { /* the bytes keep_fn encoded */
            memcpy(p, fi->call, FN_CALL_BYTES); /* within the room */
            p += fi->call_n;
        } else {
            if (fn != 0) p = fx_cbor_step(p, fi->path_id, fi->line);
            p = fx_cbor_call_head(p, fn, 0);
        }
        if (bin_done(w, p)) {
            w->calls_open++;
            if (fn != 0) w->tc.stepped = 1;
            return CTREC_OK;
        }
        return call_commit(w, fn);
    }
    if (w && w->ct_fast) return call_ct(w, fn); /* ct_fast: not in the general build */
    return call_rest(w, fn);
}

/* ctrec_return_none past its checks, on a .ct and on the other formats:
 * each out of line (tail calls), so that neither saves registers for the
 * other. */
static WR_NOINLINE ctrec_status return_none_ct(ctrec_writer *w, ctrec_id t)
{
    static const uint8_t void_marker = 0xFF;
    const uint8_t *v = w->ct_none;
    size_t n = w->ct_none_n;
    if (!n || t != w->ct_none_t) {
        if (t == 0) { /* the record's void marker */
            v = &void_marker;
            n = 1;
        } else {
            w->tmp.len = 0;
            enc e = {&w->tmp, 0, 0, NULL, 1};
            val_none(&e, t);
            if (w->tmp.oom) return nomem(w);
            v = w->tmp.data;
            n = w->tmp.len;
        }
        if (n <= sizeof w->ct_none) { /* kept for the next return of type t */
            memcpy(w->ct_none, v, n);
            w->ct_none_n = n;
            w->ct_none_t = t;
        }
    }
    ctrec_status st = ct_done(w, ctw_return(CT(w), v, n, NULL, 0, &w->e));
    if (st) return st;
    w->calls_open--;
    return CTREC_OK;
}

/* A Return's out_commit and its bookkeeping (the general path's end). */
static WR_NOINLINE ctrec_status return_commit(ctrec_writer *w)
{
    ctrec_status st = out_commit(w);
    if (st) return st;
    w->calls_open--;
    return CTREC_OK;
}

static WR_NOINLINE ctrec_status return_none_out(ctrec_writer *w, ctrec_id t)
{
    ev_return_none(out_begin(w), t);
    return return_commit(w);
}

/* ctrec_return_none's trace.bin fast path past out_take (olock held, or
 * due when `wait`). */
static WR_NOINLINE ctrec_status return_none_bin_out(ctrec_writer *w, ctrec_id t, int wait)
{
    if (wait) olock_wait_rec(w);
    return return_none_out(w, t);
}

static WR_NOINLINE ctrec_status return_none_rest(ctrec_writer *w, ctrec_id t)
{
    GUARD(w);
    ctrec_status st = new_event(w, "ctrec_return_none", t, w->types.nids, "type");
    if (st) return st;
    if (!w->calls_open) return no_call_to_return(w, "ctrec_return_none");
    if (w->ct) return return_none_ct(w, t);
    return return_none_out(w, t);
}

/* ctrec_return_none on a .ct without thread handles (ct_fast): every check
 * of return_none_rest passing, the CBOR None of type t kept (ct_none),
 * olock free and nothing due: what return_none_ct does then. Anything
 * else goes to return_none_rest (with olock held when out_take has left
 * olock_wait_rec due, as out_acquire would). */
static WR_NOINLINE ctrec_status return_none_ctf(ctrec_writer *w, ctrec_id t)
{
    if (!w->open && t == w->ct_none_t && w->ct_none_n && t < w->types.nids && w->calls_open &&
        !out_held(w)) {
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) {
            olock_wait_rec(w);
            return return_none_rest(w, t);
        }
        if (!w->tfailed) {
            ctrec_status st = ctw_return(w->ct, w->ct_none, w->ct_none_n, NULL, 0, &w->e);
            if (st) return ct_done_slow(w, st);
            out_give(w);
            w->nevents++;
            w->calls_open--;
            return CTREC_OK;
        }
    }
    return return_none_rest(w, t);
}

ctrec_status ctrec_return_none(ctrec_writer *w, ctrec_id t)
{
    /* trace.bin, every check passing (bin_ready): what return_none_rest
     * does then */
    if (bin_ready(w) && t < w->types.nids && w->calls_open) {
        w->ev_failed = CTREC_OK;
        if (!out_take(w)) return return_none_bin_out(w, t, 1);
        if (!bin_room(w, FX_CBOR_RETURN_NONE_ROOM)) return return_none_bin_out(w, t, 0);
        if (bin_done(w, fx_cbor_return_none(w->out.data + w->out.len, t))) {
            w->calls_open--;
            return CTREC_OK;
        }
        return return_commit(w);
    }
    if (w && w->ct_fast) return return_none_ctf(w, t);
    return return_none_rest(w, t);
}

void ctrec_abandon(ctrec_writer *w)
{
    if (!w) return;
    abandon(w);
    w->ev_failed = CTREC_OK;
}

/* ------------------------------------------------------------------ */
/* the value encoder                                                   */

/* The value calls' fast paths (ctrec_int, ctrec_float, the texts,
 * ctrec_begin_struct, ctrec_end_struct and ctrec_end_sequence): the
 * checks of value_slot and LEAF, in the state where they all pass, then
 * the CBOR encoded inline (enc.h's fx_cbor_*, the bytes of events.c's
 * val_*). Anything else goes the general way, which says what is wrong.
 * Every frame's `expect` bounds its values (push): a struct's fields, 1
 * for a variant or a reference, no bound for a sequence or a tuple.
 * val_frame (the ends of a compound): the innermost compound's frame when
 * one is open (so is an event, see val_claim), the writer has not failed,
 * no compound is being dropped under the depth marker, and values are
 * CBOR (.ct and trace.bin); else NULL. */
static WR_INLINE frame *val_frame(ctrec_writer *w)
{
#ifdef CTREC_TEST_GENERAL_VALUES
    /* tests/writer/test_value_paths.c: the general path's output, which
     * the fast paths' must equal */
    (void)w;
    return NULL;
#else
    if (!w || w->failed || !w->depth || w->skip || w->cur->json) return NULL;
    return &w->stack[w->depth - 1];
#endif
}

/* The position of a value and the room for it (ctrec_int, ctrec_float,
 * the texts, ctrec_begin_struct; w valid): CBOR, room for `room` bytes in
 * the value's buffer, and the position: inside a compound (no compound
 * dropped under the depth marker) its frame's count under its bound, at
 * the top the event's slot. Returns the buffer, the position claimed;
 * NULL, nothing changed. Neither `open` nor `failed` is read: a compound
 * or a slot is only ever there inside an open event (push and ctrec_arg
 * need one, open_single_fields sets the slot, and every end of an event
 * leaves neither: abandon clears both, the ends' fast paths take none),
 * and a failed writer has no open event (fail() abandons it, and GUARD,
 * bin_fast and ct_fast refuse every event after); `skip` is only set
 * inside a compound (push sets it at depth >= max_depth >= 1, and the
 * frames are popped only once it is back to 0). */
static WR_INLINE buf *val_claim(ctrec_writer *w, size_t room)
{
#ifdef CTREC_TEST_GENERAL_VALUES
    (void)w;
    (void)room;
    return NULL;
#else
    if (w->depth) {
        frame *f = &w->stack[w->depth - 1];
        if (w->skip || f->count >= f->expect || w->cur->json) return NULL;
        buf *b = w->cur->b;
        if (b->cap - b->len < room) return NULL;
        f->count++;
        return b;
    }
    if (!w->slot || w->cur->json) return NULL;
    buf *b = w->cur->b;
    if (b->cap - b->len < room) return NULL;
    w->slot = 0;
    return b;
#endif
}

/* Claims the position of one value: checks the event and the enclosing
 * compound, then the type id. */
static inline ctrec_status value_slot(ctrec_writer *w, const char *what)
{
    if (!w) return CTREC_E_ARG;
    if (w->failed) return refuse(w);
    EVENT_FAILED(w);
    if (!w->open) return misuse(w, CTREC_E_STATE, "%s outside an event", what);
    if (w->depth == 0) {
        if (!w->slot) {
            if (w->open == OPEN_CALL)
                return misuse(w, CTREC_E_STATE, "%s in a call without ctrec_arg first", what);
            return misuse(w, CTREC_E_VALUE, "%s: the event already has its value", what);
        }
        w->slot = 0;
        return CTREC_OK;
    }
    frame *f = &w->stack[w->depth - 1];
    if ((f->kind == F_VARIANT || f->kind == F_REFERENCE) && f->count >= 1)
        return misuse(w, CTREC_E_VALUE, "%s: the %s already has its value", what,
                      frame_names[f->kind]);
    if (f->kind == F_STRUCT && f->count >= f->expect)
        return misuse(w, CTREC_E_VALUE, "%s: the struct's type has only %llu fields", what,
                      (unsigned long long)f->expect);
    enc_sep(w->cur, f->count++);
    return CTREC_OK;
}

/* depth_marker: inside a compound replaced by the marker, values are
 * taken and dropped. */
#define SKIPPED(w) ((w) && (w)->skip && !(w)->failed)

#define LEAF(w, what, type_id)                                                      \
    do {                                                                            \
        if (SKIPPED(w)) return CTREC_OK;                                            \
        ctrec_status st_ = value_slot((w), (what));                                 \
        if (st_) return st_;                                                        \
        if ((type_id) >= (w)->types.nids) return check_id((w), (type_id), (w)->types.nids, "type"); \
    } while (0)

static inline ctrec_status leaf_done(ctrec_writer *w)
{
    if (w->cur->b->oom) return nomem(w);
    return CTREC_OK;
}

/* ctrec_int past its fast path: out of line, so that the fast path saves
 * no registers. */
static WR_NOINLINE ctrec_status int_slow(ctrec_writer *w, int64_t i, ctrec_id t)
{
    if (w && !w->failed && w->open && !w->depth && w->slot && !w->skip && t < w->types.nids) {
        w->slot = 0;
        val_int(w->cur, i, t);
        return leaf_done(w);
    }
    LEAF(w, "ctrec_int", t);
    val_int(w->cur, i, t);
    return leaf_done(w);
}

ctrec_status ctrec_int(ctrec_writer *w, int64_t i, ctrec_id t)
{
    /* CBOR (.ct and trace.bin; a .ct's Value straight into the values
     * chunk, arguments and return values, ints inside compounds), every
     * check passing (val_claim, the room first): val_int's bytes inline,
     * with no call; the rest int_slow (a tail call) */
    buf *b;
    if (w && t < w->types.nids && (b = val_claim(w, FX_VALUE_INT_ROOM))) {
        b->len = (size_t)(fx_cbor_value_int(b->data + b->len, i, t) - b->data);
        return CTREC_OK;
    }
    return int_slow(w, i, t);
}

static WR_NOINLINE ctrec_status float_slow(ctrec_writer *w, double f, ctrec_id t)
{
    LEAF(w, "ctrec_float", t);
    if (val_float(w->cur, f, t))
        return misuse(w, CTREC_E_FLOAT,
                      "%s cannot be written with CTREC_FLOAT_NUMBER (JSON has no such number)",
                      f != f ? "NaN" : f > 0 ? "inf" : "-inf");
    return leaf_done(w);
}

/* trace.bin's Float past ctrec_float's checks (the position claimed, the
 * room there) when enc_float_text's cache does not hold the bits: out of
 * line, so that ctrec_float makes no call. */
static WR_NOINLINE ctrec_status float_text_put(ctrec_writer *w, double f, ctrec_id t)
{
    buf *b = w->cur->b;
    char text[32];
    size_t n;
    enc_float_text(w->cur, f, text, &n); /* CBOR: any float has a text */
    b->len = (size_t)(fx_cbor_value_float_text(b->data + b->len, text, n, t) - b->data);
    return CTREC_OK;
}

/* the room of either CBOR Float (checked before the position is claimed) */
#define FLOAT_ROOM \
    (FX_VALUE_FLOAT_TEXT_ROOM > FX_VALUE_FLOAT64_ROOM ? FX_VALUE_FLOAT_TEXT_ROOM : FX_VALUE_FLOAT64_ROOM)

ctrec_status ctrec_float(ctrec_writer *w, double f, ctrec_id t)
{
    /* the room first, as ctrec_int (val_claim): without it, float_slow */
    buf *b;
    if (w && t < w->types.nids && (b = val_claim(w, FLOAT_ROOM))) {
        if (w->cur->ctfs) { /* a .ct: a CBOR float64, inline */
            b->len = (size_t)(fx_cbor_value_float64(b->data + b->len, f, t) - b->data);
            return CTREC_OK;
        }
        /* trace.bin: the float's text, straight from enc_float_text's
         * cache when it holds the bits (a text of at most
         * FLOAT_CACHE_TEXT bytes, which fx_cbor_value_float_text copies
         * whole), else float_text_put */
        float_cache *c = w->cur->floats;
        if (c) {
            uint64_t bits;
            memcpy(&bits, &f, sizeof bits);
            size_t i = float_cache_slot(bits);
            if (c->slot[i].len && c->slot[i].bits == bits) {
                b->len = (size_t)(fx_cbor_value_float_text(b->data + b->len, c->slot[i].text,
                                                           c->slot[i].len, t) -
                                  b->data);
                return CTREC_OK;
            }
        }
        return float_text_put(w, f, t);
    }
    return float_slow(w, f, t);
}

ctrec_status ctrec_bool(ctrec_writer *w, int b, ctrec_id t)
{
    LEAF(w, "ctrec_bool", t);
    val_bool(w->cur, b != 0, t);
    return leaf_done(w);
}

static WR_NOINLINE ctrec_status text_slow(ctrec_writer *w, const char *what,
                                          enum val_text_kind k, const char *p, size_t n,
                                          ctrec_id t)
{
    LEAF(w, what, t);
    TEXT_ARG(w, p, n);
    val_text(w->cur, k, p, n, t);
    return leaf_done(w);
}

/* text_leaf's fast path for a text past 32 bytes (w valid, the checks
 * before val_claim passed): the same, with the copy by memcpy, out of line
 * so that text_leaf makes no call (and saves no registers). */
static WR_NOINLINE ctrec_status text_long(ctrec_writer *w, const char *what,
                                          enum val_text_kind k, const char *p, size_t n,
                                          ctrec_id t)
{
    buf *b;
    if (fx_ascii(p, n) && (b = val_claim(w, n + FX_VALUE_TEXT_ROOM))) {
        b->len = (size_t)(fx_cbor_value_text(b->data + b->len, (unsigned)k, p, n, t) - b->data);
        return CTREC_OK;
    }
    return text_slow(w, what, k, p, n, t);
}

static WR_INLINE ctrec_status text_leaf(ctrec_writer *w, const char *what,
                                        enum val_text_kind k, const char *p, size_t n,
                                        ctrec_id t)
{
    /* ASCII (valid UTF-8 as it is) with the room there (val_claim), so
     * that this makes no call but the tail calls: otherwise text_slow,
     * which reserves the room and cleans the text (val_text); past 32
     * bytes text_long */
    buf *b;
    if (w && p && n <= w->o.max_event_bytes && t < w->types.nids) {
        if (n > 32) return text_long(w, what, k, p, n, t);
        if (fx_ascii32(p, n) && (b = val_claim(w, n + FX_VALUE_TEXT_ROOM))) {
            b->len = (size_t)(fx_cbor_value_text32(b->data + b->len, (unsigned)k, p, n, t) -
                              b->data);
            return CTREC_OK;
        }
    }
    return text_slow(w, what, k, p, n, t);
}

ctrec_status ctrec_string(ctrec_writer *w, const char *p, size_t n, ctrec_id t)
{
    return text_leaf(w, "ctrec_string", VAL_STRING, p, n, t);
}
ctrec_status ctrec_string_z(ctrec_writer *w, const char *p, ctrec_id t)
{
    if (SKIPPED(w)) return CTREC_OK;
    Z_ARG(w, p, "ctrec_string_z");
    return ctrec_string(w, p, strlen(p), t);
}
ctrec_status ctrec_raw(ctrec_writer *w, const char *p, size_t n, ctrec_id t)
{
    return text_leaf(w, "ctrec_raw", VAL_RAW, p, n, t);
}
ctrec_status ctrec_error(ctrec_writer *w, const char *p, size_t n, ctrec_id t)
{
    return text_leaf(w, "ctrec_error", VAL_ERROR, p, n, t);
}

ctrec_status ctrec_char(ctrec_writer *w, const char *p, size_t n, ctrec_id t)
{
    if (w && !w->failed && !w->ev_failed && !w->skip) {
        if (!p) return misuse(w, CTREC_E_ARG, "ctrec_char: NULL character");
        if (n == 0 || utf8_seq_len((const uint8_t *)p, n) != n)
            return misuse(w, CTREC_E_VALUE, "ctrec_char takes exactly one UTF-8 character");
    }
    return text_leaf(w, "ctrec_char", VAL_CHAR, p, n, t);
}

ctrec_status ctrec_none(ctrec_writer *w, ctrec_id t)
{
    LEAF(w, "ctrec_none", t);
    val_none(w->cur, t);
    return leaf_done(w);
}

/* ---- value memos ---- */

ctrec_status ctrec_memo_begin(ctrec_writer *w)
{
    if (!w) return CTREC_E_ARG;
    /* (w->cur is set only inside an event; every enc has eo's format) */
    if (w->failed || w->ev_failed || !w->open || w->skip || w->eo.json ||
        w->nmemo == CTREC_MEMO_NEST)
        return err_set(&w->e, CTREC_E_UNSUPPORTED, "ctrec_memo_begin: %s",
                       w->eo.json                      ? "trace.json keeps no memos"
                       : w->nmemo == CTREC_MEMO_NEST ? "memos nest deeper than CTREC_MEMO_NEST"
                                                       : "no value can be written here");
    struct memo_open *o = &w->memo_open[w->nmemo++];
    o->b = w->cur->b;
    o->at = w->cur->b->len;
    o->depth = w->depth;
    o->event = w->nevents;
    o->markers = w->markers;
    o->saved_hi = w->depth_hi;
    w->depth_hi = w->depth;
    if (w->depth) {
        o->mark = w->stack[w->depth - 1].mark;
        o->count = w->stack[w->depth - 1].count;
    } else {
        o->mark = 0;
        o->count = w->slot ? 0 : 1; /* 1: the event has its value already */
    }
    return CTREC_OK;
}

ctrec_status ctrec_memo_end(ctrec_writer *w, uint32_t slot)
{
    if (!w) return CTREC_E_ARG;
    const char *why = NULL;
    struct memo_open *o = w->nmemo ? &w->memo_open[--w->nmemo] : NULL;
    unsigned hi = w->depth_hi;
    if (o) w->depth_hi = o->saved_hi > hi ? o->saved_hi : hi; /* the enclosing memo's */
    if (slot >= CTREC_MEMO_SLOTS)
        why = "the slot is out of range";
    else if (!o || w->failed || w->ev_failed || !w->open || o->event != w->nevents ||
             w->cur->b != o->b)
        why = "no ctrec_memo_begin in this event, or the event failed";
    else if (w->markers != o->markers)
        why = "the value holds a depth marker, which depends on where it is written";
    else if (w->skip || w->depth != o->depth || w->cur->b->oom || w->cur->b->len <= o->at ||
             (w->depth ? w->stack[w->depth - 1].mark != o->mark ||
                             w->stack[w->depth - 1].count != o->count + 1
                       : w->slot || o->count != 0))
        why = "not exactly one whole value was written since ctrec_memo_begin";
    if (why)
        return err_set(&w->e, slot >= CTREC_MEMO_SLOTS ? CTREC_E_ARG : CTREC_E_STATE,
                       "ctrec_memo_end: %s", why);
    /* Without memory the value is just not kept: the writer and the
     * event go on (a memo only saves work). */
    if (!w->memos && !(w->memos = calloc(CTREC_MEMO_SLOTS, sizeof *w->memos)))
        return err_set(&w->e, CTREC_E_NOMEM, "ctrec_memo_end: out of memory");
    struct memo_slot *m = &w->memos[slot];
    size_t n = w->cur->b->len - o->at;
    if (n > m->cap) {
        uint8_t *p = realloc(m->p, n);
        if (!p) {
            m->n = 0; /* the slot holds nothing rather than an older value */
            return err_set(&w->e, CTREC_E_NOMEM, "ctrec_memo_end: out of memory");
        }
        m->p = p;
        m->cap = n;
    }
    memcpy(m->p, w->cur->b->data + o->at, n);
    m->n = n;
    m->frames = hi - o->depth;
    return CTREC_OK;
}

static WR_NOINLINE ctrec_status memo_write_slow(ctrec_writer *w, const struct memo_slot *m)
{
    LEAF(w, "ctrec_memo_write", 0);
    buf_put(w->cur->b, m->p, m->n);
    return leaf_done(w);
}

ctrec_status ctrec_memo_write(ctrec_writer *w, uint32_t slot)
{
    if (!w) return CTREC_E_ARG;
    if (slot >= CTREC_MEMO_SLOTS || !w->memos || !w->memos[slot].n || w->eo.json)
        return err_set(&w->e, CTREC_E_UNSUPPORTED, "ctrec_memo_write: %s",
                       w->eo.json                   ? "trace.json keeps no memos"
                       : slot >= CTREC_MEMO_SLOTS ? "the slot is out of range"
                                                    : "the slot is empty");
    const struct memo_slot *m = &w->memos[slot];
    unsigned hi = w->depth + m->frames;
    if (hi > w->o.max_depth) /* written anew, its compounds would meet the depth bound */
        return err_set(&w->e, CTREC_E_UNSUPPORTED,
                       "ctrec_memo_write: the value would nest deeper than %u levels here",
                       w->o.max_depth);
    if (hi > w->depth_hi) w->depth_hi = hi; /* for a memo being kept around it */
    buf *b;
    if ((b = val_claim(w, m->n))) {
        /* (memcpy: copying 16-byte blocks inline cost more, callgrind on
         * nbody.lua and sort.lua, BENCHMARKS.md eighteenth session) */
        memcpy(b->data + b->len, m->p, m->n);
        b->len += m->n;
        return CTREC_OK;
    }
    return memo_write_slow(w, m);
}

ctrec_status ctrec_cell(ctrec_writer *w, int64_t place)
{
    if (SKIPPED(w)) return CTREC_OK;
    ctrec_status st = value_slot(w, "ctrec_cell");
    if (st) return st;
    val_cell(w->cur, place);
    return leaf_done(w);
}

ctrec_status ctrec_bigint(ctrec_writer *w, const uint8_t *mag, size_t n, int negative,
                          ctrec_id t)
{
    LEAF(w, "ctrec_bigint", t);
    if (!mag && n) return misuse(w, CTREC_E_ARG, "NULL magnitude with length %zu", n);
    val_bigint(w->cur, mag ? mag : (const uint8_t *)"", n, negative != 0, t);
    return leaf_done(w);
}

static ctrec_status push(ctrec_writer *w, const char *what, enum frame_kind kind, ctrec_id t,
                         frame **out)
{
    *out = NULL;
    if (SKIPPED(w)) {
        w->skip++;
        return CTREC_OK;
    }
    ctrec_status st = value_slot(w, what);
    if (st) return st;
    if (t >= w->types.nids) return check_id(w, t, w->types.nids, "type");
    if (w->depth >= w->o.max_depth) {
        if (!w->o.depth_marker)
            return misuse(w, CTREC_E_DEPTH, "%s: values nest deeper than %u levels", what,
                          w->o.max_depth);
        /* the compound becomes a Raw marker of its type; what it holds is
         * dropped up to its end */
        char m[64];
        int n = snprintf(m, sizeof m, "<truncated: deeper than %u levels>", w->o.max_depth);
        val_text(w->cur, VAL_RAW, m, (size_t)n, t);
        w->skip = 1;
        w->markers++;
        return leaf_done(w);
    }
    frame *f = &w->stack[w->depth++];
    if (w->depth > w->depth_hi) w->depth_hi = w->depth;
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->type_id = t;
    /* the values it takes (val_claim); a struct's: its fields */
    f->expect = kind == F_VARIANT || kind == F_REFERENCE ? 1 : UINT64_MAX;
    *out = f;
    return CTREC_OK;
}

static ctrec_status pop(ctrec_writer *w, const char *what, enum frame_kind kind, frame **out)
{
    *out = NULL;
    if (SKIPPED(w)) {
        w->skip--;
        return CTREC_OK;
    }
    if (!w) return CTREC_E_ARG;
    if (w->failed) return refuse(w);
    EVENT_FAILED(w);
    if (!w->open) return misuse(w, CTREC_E_STATE, "%s outside an event", what);
    if (!w->depth) return misuse(w, CTREC_E_STATE, "%s without a matching begin", what);
    frame *f = &w->stack[w->depth - 1];
    if (f->kind != kind)
        return misuse(w, CTREC_E_STATE, "%s while a %s is open", what, frame_names[f->kind]);
    w->depth--;
    *out = f;
    return CTREC_OK;
}

ctrec_status ctrec_begin_sequence(ctrec_writer *w, int is_slice, ctrec_id t)
{
    frame *f;
    ctrec_status st = push(w, "ctrec_begin_sequence", F_SEQUENCE, t, &f);
    if (st || !f) return st; /* !f: depth_marker */
    f->is_slice = is_slice != 0;
    f->mark = val_sequence_open(w->cur);
    return leaf_done(w);
}

static WR_NOINLINE ctrec_status end_sequence_slow(ctrec_writer *w);

/* ctrec_end_sequence's fast path for a count past 23 (its checks passed,
 * the room there): the elements moved for the count's longer head
 * (enc_cbor_patch_count, within the room), then the end. */
static WR_NOINLINE ctrec_status seq_close_moved(ctrec_writer *w, frame *f, buf *b)
{
    enc_cbor_patch_count(b, f->mark, f->count);
    b->len = (size_t)(fx_cbor_sequence_close(b->data + b->len, f->is_slice, f->type_id) - b->data);
    w->depth--;
    return CTREC_OK;
}

ctrec_status ctrec_end_sequence(ctrec_writer *w)
{
    /* CBOR (val_frame), a sequence open, no failed reservation and the
     * room for a count's head of up to 9 bytes and the end: what pop and
     * val_sequence_close do then, with no call (so no registers saved):
     * the count in the byte left for it, or past 23 (a longer head)
     * seq_close_moved (a tail call); the rest end_sequence_slow, which
     * says what is wrong */
    frame *f = val_frame(w);
    if (f) {
        buf *b = w->cur->b;
        if (f->kind == F_SEQUENCE && !b->oom &&
            b->cap - b->len >= 8 + FX_CBOR_SEQUENCE_CLOSE_ROOM) {
            if (f->count >= 24) return seq_close_moved(w, f, b);
            b->data[f->mark] = (uint8_t)(0x80 | f->count);
            b->len = (size_t)(fx_cbor_sequence_close(b->data + b->len, f->is_slice, f->type_id) -
                              b->data);
            w->depth--;
            return CTREC_OK;
        }
    }
    return end_sequence_slow(w);
}

static WR_NOINLINE ctrec_status end_sequence_slow(ctrec_writer *w)
{
    frame *f;
    ctrec_status st = pop(w, "ctrec_end_sequence", F_SEQUENCE, &f);
    if (st || !f) return st; /* !f: depth_marker */
    val_sequence_close(w->cur, f->mark, f->count, f->is_slice, f->type_id);
    return leaf_done(w);
}

ctrec_status ctrec_begin_tuple(ctrec_writer *w, ctrec_id t)
{
    frame *f;
    ctrec_status st = push(w, "ctrec_begin_tuple", F_TUPLE, t, &f);
    if (st || !f) return st; /* !f: depth_marker */
    f->mark = val_tuple_open(w->cur);
    return leaf_done(w);
}

ctrec_status ctrec_end_tuple(ctrec_writer *w)
{
    frame *f;
    ctrec_status st = pop(w, "ctrec_end_tuple", F_TUPLE, &f);
    if (st || !f) return st; /* !f: depth_marker */
    val_tuple_close(w->cur, f->mark, f->count, f->type_id);
    return leaf_done(w);
}

static WR_NOINLINE ctrec_status begin_struct_slow(ctrec_writer *w, ctrec_id t);

ctrec_status ctrec_begin_struct(ctrec_writer *w, ctrec_id t)
{
    frame *f;
    /* the room first, as ctrec_int (val_claim): without it,
     * begin_struct_slow */
    buf *b;
    if (w && t < w->types.nids && w->depth < w->o.max_depth && w->type_fields[t] >= 0 &&
        (b = val_claim(w, FX_STRUCT_OPEN_ROOM))) {
        f = &w->stack[w->depth++];
        if (w->depth > w->depth_hi) w->depth_hi = w->depth;
        memset(f, 0, sizeof *f);
        f->kind = F_STRUCT;
        f->type_id = t;
        f->expect = (uint64_t)w->type_fields[t];
        uint8_t *p = fx_cbor_struct_open(b->data + b->len);
        f->mark = (size_t)(p - b->data);
        b->len = f->mark + 1;
        return CTREC_OK;
    }
    return begin_struct_slow(w, t);
}

static WR_NOINLINE ctrec_status begin_struct_slow(ctrec_writer *w, ctrec_id t)
{
    frame *f;
    ctrec_status st = push(w, "ctrec_begin_struct", F_STRUCT, t, &f);
    if (st || !f) return st; /* !f: depth_marker */
    if (w->type_fields[t] < 0)
        return misuse(w, CTREC_E_VALUE,
                      "ctrec_begin_struct: type %llu has no Struct fields (define it with "
                      "ctrec_type_struct)",
                      (unsigned long long)t);
    f->expect = (uint64_t)w->type_fields[t];
    f->mark = val_struct_open(w->cur);
    return leaf_done(w);
}

static WR_NOINLINE ctrec_status end_struct_slow(ctrec_writer *w);

ctrec_status ctrec_end_struct(ctrec_writer *w)
{
    frame *f = val_frame(w);
    if (f) {
        buf *b = w->cur->b;
        if (f->kind == F_STRUCT && f->count == f->expect && f->count < 24 &&
            b->cap - b->len >= FX_CBOR_TYPE_CLOSE_ROOM) { /* else end_struct_slow */
            /* enc_arr_end's count, then type_id (val_struct_close) */
            b->data[f->mark] = (uint8_t)(0x80 | f->count);
            b->len = (size_t)(fx_cbor_type_close(b->data + b->len, f->type_id) - b->data);
            w->depth--;
            return CTREC_OK;
        }
    }
    return end_struct_slow(w);
}

static WR_NOINLINE ctrec_status end_struct_slow(ctrec_writer *w)
{
    frame *f;
    ctrec_status st = pop(w, "ctrec_end_struct", F_STRUCT, &f);
    if (st || !f) return st; /* !f: depth_marker */
    if (f->count != f->expect)
        return misuse(w, CTREC_E_VALUE, "ctrec_end_struct: %llu field values for a type with %llu fields",
                      (unsigned long long)f->count, (unsigned long long)f->expect);
    val_struct_close(w->cur, f->mark, f->count, f->type_id);
    return leaf_done(w);
}

ctrec_status ctrec_begin_variant(ctrec_writer *w, const char *disc, size_t n, ctrec_id t)
{
    frame *f;
    if (w && !w->failed && !w->ev_failed && !w->skip && !disc && n)
        return misuse(w, CTREC_E_ARG, "NULL discriminator with length %zu", n);
    ctrec_status st = push(w, "ctrec_begin_variant", F_VARIANT, t, &f);
    if (st || !f) return st; /* !f: depth_marker */
    val_variant_open(w->cur, disc ? disc : "", n);
    return leaf_done(w);
}

ctrec_status ctrec_end_variant(ctrec_writer *w)
{
    frame *f;
    ctrec_status st = pop(w, "ctrec_end_variant", F_VARIANT, &f);
    if (st || !f) return st; /* !f: depth_marker */
    if (f->count != 1) return misuse(w, CTREC_E_VALUE, "ctrec_end_variant: the variant has no contents");
    val_variant_close(w->cur, f->type_id);
    return leaf_done(w);
}

ctrec_status ctrec_begin_reference(ctrec_writer *w, uint64_t address, int is_mutable, ctrec_id t)
{
    frame *f;
    ctrec_status st = push(w, "ctrec_begin_reference", F_REFERENCE, t, &f);
    if (st || !f) return st; /* !f: depth_marker */
    f->address = address;
    f->is_mutable = is_mutable != 0;
    val_reference_open(w->cur);
    return leaf_done(w);
}

ctrec_status ctrec_end_reference(ctrec_writer *w)
{
    frame *f;
    ctrec_status st = pop(w, "ctrec_end_reference", F_REFERENCE, &f);
    if (st || !f) return st; /* !f: depth_marker */
    if (f->count != 1)
        return misuse(w, CTREC_E_VALUE, "ctrec_end_reference: the reference has no dereferenced value");
    val_reference_close(w->cur, f->address, f->is_mutable, f->type_id);
    return leaf_done(w);
}

ctrec_status ctrec_variable_int(ctrec_writer *w, const char *name, size_t len, int64_t i,
                                ctrec_id t)
{
    ctrec_status st = ctrec_begin_value_named(w, name, len);
    if (st || (st = ctrec_int(w, i, t))) return st;
    return ctrec_end(w);
}

/* ================================================================== */
/* ctrec_write_event (declared in ctrec_reader.h): an event struct,    */
/* typically from a reader, written verbatim with its ids as given.    */
/* Added for the reader/convert work (issue 3); self-contained.        */
/* ================================================================== */

#include "encode/event_struct.h"

/* Appends a definition to the writer's tables without de-duplication, so
 * that ids stay positions and later ctrec_* calls see the definitions. */
static ctrec_status we_define(ctrec_writer *w, const ctrec_ev *ev)
{
    ctrec_id id;
    const char *p;
    size_t n;
    switch (ev->type) {
    case CTREC_EV_PATH:
        p = ev->text.ptr ? ev->text.ptr : "";
        n = ev->text.len;
        if (clean_text(w, &p, &n) || intern_add(&w->paths, p, n, &id)) return nomem(w);
        copy_source(w, ev->text.ptr ? ev->text.ptr : "", ev->text.len, p, n);
        return CTREC_OK;
    case CTREC_EV_VARIABLE_NAME:
        p = ev->text.ptr ? ev->text.ptr : "";
        n = ev->text.len;
        if (clean_text(w, &p, &n) || intern_add(&w->variables, p, n, &id)) return nomem(w);
        return CTREC_OK;
    case CTREC_EV_FUNCTION:
        p = ev->function.name.ptr ? ev->function.name.ptr : "";
        n = ev->function.name.len;
        if (clean_text(w, &p, &n) || intern_add(&w->functions, p, n, &id) ||
            keep_fn(w, id, ev->function.path_id, ev->function.line))
            return nomem(w);
        return CTREC_OK;
    case CTREC_EV_TYPE:
        p = ev->type_def.lang_type.ptr ? ev->type_def.lang_type.ptr : "";
        n = ev->type_def.lang_type.len;
        if (clean_text(w, &p, &n) || intern_add(&w->types, p, n, &id) ||
            keep_type(w, id,
                      ev->type_def.info == CTREC_INFO_STRUCT ? (int64_t)ev->type_def.nfields : -1))
            return nomem(w);
        return CTREC_OK;
    default:
        return CTREC_OK;
    }
}

/* ctrec_write_event into a .ct: each event through the backend, values
 * encoded bare in the .ct's CBOR flavour. */
static ctrec_status ct_write_event(ctrec_writer *w, const ctrec_ev *ev)
{
    enc e = {&w->tmp, 0, 0, NULL, 1};
    ctrec_status st;
    size_t n;
    const char *p;
    switch (ev->type) {
    case CTREC_EV_PATH:
    case CTREC_EV_VARIABLE_NAME:
    case CTREC_EV_FUNCTION:
    case CTREC_EV_TYPE: {
        if ((st = we_define(w, ev))) return st;
        intern *t = ev->type == CTREC_EV_PATH            ? &w->paths
                    : ev->type == CTREC_EV_VARIABLE_NAME ? &w->variables
                    : ev->type == CTREC_EV_FUNCTION      ? &w->functions
                                                         : &w->types;
        p = intern_text(t, t->nids - 1, &n);
        if (ev->type == CTREC_EV_PATH) /* a column-aware .ct reads the source's lines */
            return ct_path(w, p, n, ev->text.ptr ? ev->text.ptr : "", ev->text.len);
        st = ev->type == CTREC_EV_VARIABLE_NAME ? ctw_varname(CT(w), p, n, &w->e)
             : ev->type == CTREC_EV_FUNCTION    ? ctw_function(CT(w), p, n, &w->e)
                                                : ctw_type(CT(w), p, n, &w->e);
        return ct_done(w, st);
    }
    case CTREC_EV_STEP:
        if ((st = check_id(w, ev->step.path_id, w->paths.nids, "path"))) return st;
        /* A line-only .ct has no place for the column: the step goes
         * without it (a column-aware one takes it). */
        return ct_step_checked(w, ev->step.path_id, ev->step.line,
                               w->o.columns ? ev->step.column : 0);
    case CTREC_EV_VALUE:
        w->tmp.len = 0;
        if ((st = evs_value(&e, ev->value.value, &w->e))) return st == CTREC_E_NOMEM ? nomem(w) : st;
        if (w->tmp.oom) return nomem(w);
        return ct_done(w, ctw_value(CT(w), ev->value.variable_id, w->tmp.data, w->tmp.len, &w->e));
    case CTREC_EV_RETURN:
        if (ctw_open_calls(w->ct) == 0)
            return misuse(w, CTREC_E_STATE, "Return: a .ct return needs an open call");
        w->tmp.len = 0;
        if ((st = evs_value(&e, ev->ret.return_value, &w->e))) return st == CTREC_E_NOMEM ? nomem(w) : st;
        n = w->tmp.len; /* the exception's value follows the return value's */
        if (ev->ret.exception && (st = evs_value(&e, ev->ret.exception, &w->e)))
            return st == CTREC_E_NOMEM ? nomem(w) : st;
        if (w->tmp.oom) return nomem(w);
        return ct_done(w, ctw_return(CT(w), w->tmp.data, ev->ret.is_void ? 0 : n,
                                     w->tmp.data + n, w->tmp.len - n, &w->e));
    case CTREC_EV_RAISE:
    case CTREC_EV_CATCH:
        if ((st = check_id(w, ev->raise.type_id, w->types.nids, "type"))) return st;
        if (ev->type == CTREC_EV_CATCH) return ct_done(w, ctw_catch(CT(w), ev->raise.type_id, &w->e));
        p = ev->raise.message.ptr;
        n = ev->raise.message.len;
        TEXT_ARG(w, p, n);
        if (clean_text(w, &p, &n)) return nomem(w);
        return ct_done(w, ctw_raise(CT(w), ev->raise.type_id, p, n, &w->e));
    case CTREC_EV_CALL: {
        size_t na = ev->call.nargs;
        if (na && !ev->call.args) return misuse(w, CTREC_E_ARG, "NULL call arguments");
        if ((st = check_id(w, ev->call.function_id, w->functions.nids, "function"))) return st;
        ev_arg *args = calloc(na ? na : 1, sizeof *args);
        size_t *offs = calloc(na + 1, sizeof *offs);
        if (!args || !offs) {
            free(args);
            free(offs);
            return nomem(w);
        }
        w->tmp.len = 0;
        st = CTREC_OK;
        for (size_t i = 0; i < na && !st; i++) {
            offs[i] = w->tmp.len;
            st = evs_value(&e, ev->call.args[i].value, &w->e);
        }
        offs[na] = w->tmp.len;
        if (!st && w->tmp.oom) st = CTREC_E_NOMEM;
        if (!st) {
            for (size_t i = 0; i < na; i++)
                args[i] = (ev_arg){ev->call.args[i].variable_id, w->tmp.data + offs[i],
                                   offs[i + 1] - offs[i]};
            st = ct_done(w, ctw_call(CT(w), ev->call.function_id, args, na, &w->e));
        } else if (st == CTREC_E_NOMEM) {
            st = nomem(w);
        }
        free(args);
        free(offs);
        return st;
    }
    case CTREC_EV_EVENT:
        if ((unsigned)ev->event.kind >= CTREC_EVENT_KIND_COUNT)
            return misuse(w, CTREC_E_ARG, "event kind %d is not an EventLogKind", (int)ev->event.kind);
        return ct_done(w, ctw_event(CT(w), ev->event.kind,
                                   ev->event.metadata.ptr ? ev->event.metadata.ptr : "",
                                   ev->event.metadata.len,
                                   ev->event.content.ptr ? ev->event.content.ptr : "",
                                   ev->event.content.len, &w->e));
    case CTREC_EV_THREAD_START:
    case CTREC_EV_THREAD_EXIT:
    case CTREC_EV_THREAD_SWITCH:
        return ct_done(w, ctw_thread(CT(w),
                                    ev->type == CTREC_EV_THREAD_START  ? CT_THREAD_START
                                    : ev->type == CTREC_EV_THREAD_EXIT ? CT_THREAD_EXIT
                                                                       : CT_THREAD_SWITCH,
                                    ev->id, &w->e));
    default:
        return misuse(w, CTREC_E_UNSUPPORTED,
                      "ctrec_write_event: %s: a .ct trace has no place for this event (FORMAT.md "
                      "7.2)",
                      ctrec_event_type_name(ev->type));
    }
}

ctrec_status ctrec_write_event(ctrec_writer *w, const ctrec_ev *ev)
{
    GUARD(w);
    NO_OPEN_EVENT(w, "ctrec_write_event");
    if (!ev) return misuse(w, CTREC_E_ARG, "NULL event");
    if (w->ct) {
        ctrec_status st = ct_write_event(w, ev);
        if (st) return st;
        if (ev->type == CTREC_EV_CALL) w->calls_open++;
        else if (ev->type == CTREC_EV_RETURN && w->calls_open) w->calls_open--;
        return CTREC_OK;
    }
    /* trace.json and trace.bin have no place for these (their readers
     * refuse an unknown variant): refused, never written */
    if (ev->type == CTREC_EV_RAISE || ev->type == CTREC_EV_CATCH || ev->type == CTREC_EV_SPAN)
        return misuse(w, CTREC_E_UNSUPPORTED,
                      "%s: trace.json and trace.bin have no place for this .ct event",
                      ctrec_event_type_name(ev->type));
    out_acquire(w);
    size_t before = w->out.len;
    enc *e = out_begin(w);
    ctrec_status st = evs_encode(e, ev, &w->ev, &w->e);
    w->ev.len = 0;
    w->ev.oom = 0;
    if (st) {
        w->out.len = before;
        out_release(w);
        if (st == CTREC_E_NOMEM) return nomem(w);
        return st; /* the message is set; the writer stays usable */
    }
    if ((st = we_define(w, ev))) {
        w->out.len = before;
        out_release(w);
        return st;
    }
    if ((st = out_commit(w))) return st;
    /* Verbatim: counted, never refused (a converted trace stays as it was). */
    if (ev->type == CTREC_EV_CALL) w->calls_open++;
    else if (ev->type == CTREC_EV_RETURN && w->calls_open) w->calls_open--;
    return CTREC_OK;
}
