/*
 * values.c — writes Lua values with ctrec's streaming value API.
 *
 *   nil                 None     type 0, "None" (made by ctrec_start)
 *   boolean             Bool     type "boolean"
 *   integer             Int      type "integer"
 *   float               Float    type "float"
 *   string              String   type "string" (raw bytes, NULs included);
 *                                one longer than --max-string: its first
 *                                bytes + "<N more bytes>", type
 *                                "string(truncated)"
 *   function, userdata, Raw      types "function", "userdata", ... with the
 *   thread                       text tostring gives without metamethods
 *                                ("function: 0x55d0c0a1b2c0")
 *   table:
 *     keys 1..n only    Sequence type "table"
 *     string keys only  Struct   type "table{a,b,c}" (one Type per sorted
 *                                key set; fields in sorted order)
 *     1..n + strings    Struct   type "table{[array],a,b}": field "[array]"
 *                                holds the Sequence of t[1..n]
 *     other keys        Sequence type "table(pairs)" of Tuples (key, value),
 *                                type "pair"
 *   several returns     Tuple    type "tuple"
 *
 * Limits: tables nested deeper than --max-depth, a table containing itself
 * (directly or not) and elements beyond --max-elements (counted over the
 * whole recorded value) are replaced by a Raw value of type "truncated":
 * "<cycle: table: 0x...>", "<depth limit: table: 0x...>", "<12 more>", or
 * by a last field "..." holding such a marker. Tables are read with raw
 * access only (no metamethod runs), so recording has no side effect.
 * Each table level uses at most two levels of ValueRecord nesting (Struct
 * + Sequence, or Sequence + Tuple); main.c bounds --max-depth so that a
 * value never gets near the writer's 60 levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "recorder.h"

/* Kept out of line: write_any then saves no registers for them. */
#define NOINLINE __attribute__((noinline))

enum {
    T_NIL, T_BOOLEAN, T_INTEGER, T_FLOAT, T_STRING, T_TABLE, T_PAIRS, T_PAIR,
    T_TUPLE, T_FUNCTION, T_USERDATA, T_THREAD, T_LIGHTUSERDATA, T_TRUNCATED,
    T_LONG_STRING, T_COUNT
};

static const struct {
    ctrec_type_kind kind;
    const char *name;
} type_defs[T_COUNT] = {
    [T_NIL] = {CTREC_TYPE_NONE, "None"}, /* type 0: see type_id */
    [T_BOOLEAN] = {CTREC_TYPE_BOOL, "boolean"},
    [T_INTEGER] = {CTREC_TYPE_INT, "integer"},
    [T_FLOAT] = {CTREC_TYPE_FLOAT, "float"},
    [T_STRING] = {CTREC_TYPE_STRING, "string"},
    [T_TABLE] = {CTREC_TYPE_SEQ, "table"},
    [T_PAIRS] = {CTREC_TYPE_SEQ, "table(pairs)"},
    [T_PAIR] = {CTREC_TYPE_TUPLE, "pair"},
    [T_TUPLE] = {CTREC_TYPE_TUPLE, "tuple"},
    [T_FUNCTION] = {CTREC_TYPE_RAW, "function"},
    [T_USERDATA] = {CTREC_TYPE_RAW, "userdata"},
    [T_THREAD] = {CTREC_TYPE_RAW, "thread"},
    [T_LIGHTUSERDATA] = {CTREC_TYPE_RAW, "lightuserdata"},
    [T_TRUNCATED] = {CTREC_TYPE_RAW, "truncated"},
    [T_LONG_STRING] = {CTREC_TYPE_STRING, "string(truncated)"},
};

/* Returns early from the calling function when a ctrec call fails. */
#define TRY(call)                                                                \
    do {                                                                         \
        ctrec_status st_ = (call);                                               \
        if (st_ != CTREC_OK) return st_;                                         \
    } while (0)

/* type_id's first use of type t: defines it. */
static NOINLINE ctrec_status type_define(recorder *R, int t, ctrec_id *id)
{
    ctrec_id nid;
    TRY(ctrec_type_z(R->w, type_defs[t].kind, type_defs[t].name, &nid));
    R->type_ids[t] = (int64_t)nid;
    *id = nid;
    return CTREC_OK;
}

/* The id of one of the fixed types, defined on first use. */
static inline ctrec_status type_id(recorder *R, int t, ctrec_id *id)
{
    if (t == T_NIL) { /* the trace's type 0, "None" (made by ctrec_start) */
        *id = 0;
        return CTREC_OK;
    }
    if (R->type_ids[t] < 0) return type_define(R, t, id);
    *id = (ctrec_id)R->type_ids[t];
    return CTREC_OK;
}

static ctrec_status marker(recorder *R, const char *text)
{
    ctrec_id t;
    TRY(type_id(R, T_TRUNCATED, &t));
    return ctrec_raw(R->w, text, strlen(text), t);
}

ctrec_status value_marker(recorder *R, const char *text)
{
    return marker(R, text);
}

/* "<N more>", or "<more>" when N is unknown (0): written at every step a
 * truncated value is recorded, so without snprintf. */
static ctrec_status more_marker(recorder *R, uint64_t count)
{
    char text[32], digits[20];
    size_t n = 0, d = 0;
    text[n++] = '<';
    for (; count; count /= 10) digits[d++] = (char)('0' + count % 10);
    while (d) text[n++] = digits[--d];
    if (n > 1) text[n++] = ' ';
    memcpy(text + n, "more>", 5);
    ctrec_id t;
    TRY(type_id(R, T_TRUNCATED, &t));
    return ctrec_raw(R->w, text, n + 5, t);
}

ctrec_status value_none(recorder *R)
{
    ctrec_id t;
    TRY(type_id(R, T_NIL, &t));
    return ctrec_none(R->w, t);
}

/* ---- a growing scratch buffer for type names --------------------------- */

static int scratch_reserve(recorder *R, size_t need)
{
    if (need <= R->scratch_cap) return 0;
    size_t cap = R->scratch_cap ? R->scratch_cap : 256;
    while (cap < need) cap *= 2;
    char *p = realloc(R->scratch, cap);
    if (!p) return -1;
    R->scratch = p;
    R->scratch_cap = cap;
    return 0;
}

/* Appends key bytes, escaping the characters that structure the name. */
static int scratch_add(recorder *R, size_t *len, const char *s, size_t n, int escape)
{
    if (scratch_reserve(R, *len + 2 * n + 1)) return -1;
    for (size_t i = 0; i < n; i++) {
        if (escape && (s[i] == ',' || s[i] == '{' || s[i] == '}' || s[i] == '\\'))
            R->scratch[(*len)++] = '\\';
        R->scratch[(*len)++] = s[i];
    }
    return 0;
}


/* ---- values ------------------------------------------------------------ */

static NOINLINE ctrec_status write_other(recorder *R, lua_State *L, int idx, int tt,
                                         unsigned depth);

/* What luaL_typename gives for the types write_address writes (a light
 * userdata is a "userdata" too). */
static const char *const address_kind[T_COUNT] = {
    [T_FUNCTION] = "function", [T_USERDATA] = "userdata", [T_THREAD] = "thread",
    [T_LIGHTUSERDATA] = "userdata",
};

/* "function: 0x...", as tostring without __tostring (with __name if set),
 * formatted by hand: a closure held in an upvalue is recorded at every
 * step, and snprintf's "%p" cost more than the rest of the value. The
 * common case, no metatable and the same value as last time, costs two
 * API calls (lua_getmetatable, lua_topointer). */
static NOINLINE ctrec_status write_address(recorder *R, lua_State *L, int idx, int t)
{
    char text[160];
    const char *kind = address_kind[t];
    int pop = 0;
    if (lua_getmetatable(L, idx)) { /* a __name, as luaL_getmetafield reads it */
        lua_pop(L, 1);
        if (luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
            if (lua_type(L, -1) == LUA_TSTRING) kind = lua_tostring(L, -1);
            pop = 1;
        }
    }
    uintptr_t p = (uintptr_t)lua_topointer(L, idx);
    ctrec_id id;
    if (!pop && p == R->addr_ptr && kind == R->addr_kind) { /* the same as last time */
        TRY(type_id(R, t, &id));
        return ctrec_raw(R->w, R->addr_text, R->addr_len, id);
    }
    uintptr_t p0 = p;
    size_t n = strlen(kind);
    if (n > sizeof text - 24) n = sizeof text - 24;
    memcpy(text, kind, n);
    if (p) {
        memcpy(text + n, ": 0x", 4);
        n += 4;
        char hex[2 * sizeof p];
        size_t d = 0;
        for (; p; p >>= 4) hex[d++] = "0123456789abcdef"[p & 15];
        while (d) text[n++] = hex[--d];
    } else { /* glibc's "%p" of NULL */
        memcpy(text + n, ": (nil)", 7);
        n += 7;
    }
    if (pop) {
        lua_pop(L, 1);
    } else if (n <= sizeof R->addr_text) { /* kind is one of address_kind's texts */
        R->addr_ptr = p0;
        R->addr_kind = kind;
        memcpy(R->addr_text, text, n);
        R->addr_len = n;
    }
    TRY(type_id(R, t, &id));
    return ctrec_raw(R->w, text, n, id);
}

/* A string longer than --max-string: its first bytes (not cutting a UTF-8
 * sequence: up to 3 bytes fewer), then "<N more bytes>", as a String of
 * type "string(truncated)". */
static NOINLINE ctrec_status write_long_string(recorder *R, const char *s, size_t len)
{
    size_t keep = R->opt.max_string;
    for (int i = 0; i < 3 && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80; i++) keep--;
    if (((unsigned char)s[keep] & 0xC0) == 0x80) keep = R->opt.max_string; /* not UTF-8 */
    char tail[48];
    int n = snprintf(tail, sizeof tail, "<%zu more bytes>", len - keep);
    if (scratch_reserve(R, keep + (size_t)n + 1)) return CTREC_E_NOMEM;
    memcpy(R->scratch, s, keep);
    memcpy(R->scratch + keep, tail, (size_t)n);
    ctrec_id t;
    TRY(type_id(R, T_LONG_STRING, &t));
    return ctrec_string(R->w, R->scratch, keep + (size_t)n, t);
}

static NOINLINE ctrec_status write_table(recorder *R, lua_State *L, int idx, unsigned depth);

/* Writes the value at stack index idx (absolute). Numbers and strings,
 * most of what a step records, are written here, inlined into the loops
 * over locals and elements; a table goes straight to write_table (an
 * array of records: no second call), a function to write_address (a
 * closure held in an upvalue, at every step), the rest to write_other. */
static inline ctrec_status write_any(recorder *R, lua_State *L, int idx, unsigned depth)
{
    ctrec_id t;
    R->nvalues++;
    int tt = lua_type(L, idx);
    if (tt == LUA_TNUMBER) {
        if (lua_isinteger(L, idx)) {
            TRY(type_id(R, T_INTEGER, &t));
            return ctrec_int(R->w, (int64_t)lua_tointeger(L, idx), t);
        }
        TRY(type_id(R, T_FLOAT, &t));
        return ctrec_float(R->w, (double)lua_tonumber(L, idx), t);
    }
    if (tt == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (R->opt.max_string && len > R->opt.max_string) return write_long_string(R, s, len);
        TRY(type_id(R, T_STRING, &t));
        return ctrec_string(R->w, s, len, t);
    }
    if (tt == LUA_TTABLE) return write_table(R, L, idx, depth);
    if (tt == LUA_TFUNCTION) return write_address(R, L, idx, T_FUNCTION);
    return write_other(R, L, idx, tt, depth);
}

static ctrec_status write_array_memo(recorder *R, lua_State *L, int idx, const void *p,
                                     lua_Integer n, unsigned depth, int *done);

/* t[1..n] as a Sequence, at most the remaining budget of them. Called by
 * write_table, which reserved the stack up to R->stack_ok: the elements
 * stay on the stack while they fit in it with two slots to spare (for
 * write_address), at most 16, then go in one lua_settop. */
static ctrec_status write_array(recorder *R, lua_State *L, int idx, lua_Integer n,
                                unsigned depth)
{
    if (n > 0 && R->opt.format != CTREC_FORMAT_JSON) { /* trace.json keeps no memos */
        int done;
        ctrec_status st = write_array_memo(R, L, idx, lua_topointer(L, idx), n, depth, &done);
        if (done) return st;
    }
    ctrec_id t;
    TRY(type_id(R, T_TABLE, &t));
    TRY(ctrec_begin_sequence(R->w, 0, t));
    int base = lua_gettop(L), at = base; /* element i is read to ++at */
    int batch = R->stack_ok - base - 2;
    if (batch > 16) batch = 16;
    if (batch < 1) batch = 1;
    ctrec_status st = CTREC_OK;
    for (lua_Integer i = 1; i <= n; i++) {
        if (R->budget == 0) {
            st = more_marker(R, (uint64_t)(n - i + 1));
            break;
        }
        R->budget--;
        if (at - base == batch) {
            lua_settop(L, base);
            at = base;
        }
        lua_rawgeti(L, idx, i);
        st = write_any(R, L, ++at, depth + 1);
        if (st != CTREC_OK) break;
    }
    lua_settop(L, base);
    TRY(st);
    return ctrec_end_sequence(R->w);
}

/* Every entry as a (key, value) Tuple: for tables with keys that are
 * neither 1..n nor strings. */
static ctrec_status write_pairs(recorder *R, lua_State *L, int idx, size_t total,
                                unsigned depth)
{
    ctrec_id seq, pair;
    TRY(type_id(R, T_PAIRS, &seq));
    TRY(type_id(R, T_PAIR, &pair));
    TRY(ctrec_begin_sequence(R->w, 0, seq));
    size_t written = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (R->budget == 0) {
            lua_pop(L, 2);
            TRY(more_marker(R, total > written ? total - written : 0));
            break;
        }
        R->budget--;
        written++;
        int top = lua_gettop(L);
        ctrec_status st = ctrec_begin_tuple(R->w, pair);
        if (st == CTREC_OK) st = write_any(R, L, top - 1, depth + 1);
        if (st == CTREC_OK) st = write_any(R, L, top, depth + 1);
        if (st == CTREC_OK) st = ctrec_end_tuple(R->w);
        lua_pop(L, 1);
        if (st != CTREC_OK) {
            lua_pop(L, 1);
            return st;
        }
    }
    return ctrec_end_sequence(R->w);
}

typedef struct key {
    const char *s; /* stays valid: the table holds the string */
    size_t len;
    int value;     /* stack index of the field's value, kept from the scan
                      (0: not kept, read again with lua_rawget) */
} key;

static int key_cmp(const void *a, const void *b)
{
    const key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* The Struct type for these (sorted) field names, defined on first use. */
static ctrec_status struct_type(recorder *R, int has_array, const key *keys, size_t nkeys,
                                int truncated, ctrec_id *id)
{
    size_t len = 0;
    int bad = scratch_add(R, &len, "table{", 6, 0);
    if (has_array) bad |= scratch_add(R, &len, "[array]", 7, 0);
    for (size_t i = 0; i < nkeys; i++) {
        if (has_array || i) bad |= scratch_add(R, &len, ",", 1, 0);
        bad |= scratch_add(R, &len, keys[i].s, keys[i].len, 1);
    }
    if (truncated) bad |= scratch_add(R, &len, (has_array || nkeys) ? ",..." : "...", 3 + (has_array || nkeys), 0);
    bad |= scratch_add(R, &len, "}", 1, 0);
    if (bad) return CTREC_E_NOMEM;
    uint64_t found;
    if (strmap_get(&R->struct_types, R->scratch, len, &found)) {
        *id = found;
        return CTREC_OK;
    }
    size_t nfields = (size_t)has_array + nkeys + (size_t)truncated;
    ctrec_field *fields = malloc((nfields ? nfields : 1) * sizeof *fields);
    if (!fields) return CTREC_E_NOMEM;
    size_t f = 0;
    if (has_array) fields[f++] = (ctrec_field){"[array]", 7, 0};
    for (size_t i = 0; i < nkeys; i++) fields[f++] = (ctrec_field){keys[i].s, keys[i].len, 0};
    if (truncated) fields[f++] = (ctrec_field){"...", 3, 0};
    ctrec_status st = ctrec_type_struct(R->w, CTREC_TYPE_STRUCT, R->scratch, len, fields,
                                        nfields, id);
    free(fields);
    if (st == CTREC_OK) strmap_put(&R->struct_types, R->scratch, len, *id);
    return st;
}

/*
 * Struct shapes. Tables built by the same constructor list their keys in
 * the same order, and Lua interns short strings, so the sequence of key
 * string pointers finds a shape: a small direct-mapped cache maps it to the
 * sorted field order and the Struct type, and the common case needs
 * neither a sort nor the type name. An entry also keeps the keys' bytes,
 * compared on every hit: a key string that was collected can have its
 * memory reused by another string, so equal pointers alone do not mean
 * equal keys.
 */
#define SHAPE_SLOTS 256
#define SHAPE_MAX_KEYS 32
/* The stack slots write_table's scan may take (RESERVE), and those the
 * elements of an array that write_array keeps on the stack need beside
 * them (ARRAY_SPARE), so that their tables need no lua_checkstack each. */
enum { RESERVE = 2 * SHAPE_MAX_KEYS + 4, ARRAY_SPARE = 18 };
/* Tables at depth d < SHAPE_PRED_DEPTH try the shape written last at
 * depth d first (R->shape_pred): see write_table. */
#define SHAPE_PRED_DEPTH (int)(sizeof ((recorder *)0)->shape_pred / sizeof(void *))

typedef struct shape {
    uint64_t hash;
    size_t nkeys;
    int has_array;
    const char *ptr[SHAPE_MAX_KEYS];
    size_t len[SHAPE_MAX_KEYS];
    char *bytes;                         /* the keys' bytes, one after the other */
    unsigned char order[SHAPE_MAX_KEYS]; /* sorted position -> scan position */
    ctrec_id type;
} shape;

/* The hash of a shape: shape_hash_start, then shape_hash_step for each
 * key (write_table hashes the keys as it scans them). */
static inline uint64_t shape_hash_start(int has_array)
{
    return 0x9E3779B97F4A7C15ull ^ (uint64_t)has_array;
}

static inline uint64_t shape_hash_step(uint64_t h, const char *key)
{
    h ^= (uint64_t)(uintptr_t)key;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint16_t load16(const char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* memcmp(a, b, n) == 0, without a call or a loop for the short keys of
 * most tables: two loads of each that cover the n bytes (they overlap
 * when n is not a power of two), none past the n bytes. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    if (n > 16) return memcmp(a, b, n) == 0;
    if (n >= 8) return load64(a) == load64(b) && load64(a + n - 8) == load64(b + n - 8);
    if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
    if (n >= 2) return load16(a) == load16(b) && load16(a + n - 2) == load16(b + n - 2);
    return n == 0 || a[0] == b[0];
}

/* write_table's scan of the table at idx while its keys are pr's, in
 * pr's order, from nil: each pair lua_next pushed stays (key i at top +
 * 2 i, its value above it) and a copy of the key continues the scan.
 * Returns what lua_next returned last (0: the scan ended), *matched the
 * keys that were pr's (their pairs on the stack). */
static inline int scan_shape(lua_State *L, int idx, const shape *pr, int top, size_t *matched)
{
    const size_t pn = pr->nkeys;
    const char *pb = pr->bytes;
    size_t nkeys = 0;
    int pending;
    lua_pushnil(L);
    while ((pending = lua_next(L, idx))) {
        size_t klen;
        const char *ks;
        if (nkeys == pn || lua_type(L, top) != LUA_TSTRING ||
            (ks = lua_tolstring(L, top, &klen)) != pr->ptr[nkeys] || klen != pr->len[nkeys] ||
            !same_bytes(pb, ks, klen))
            break;
        pb += klen;
        nkeys++;
        lua_pushvalue(L, top); /* the scan continues from this copy */
        top += 2;
    }
    *matched = nkeys;
    return pending;
}

/* The cached shape of these keys, h their shape_hash. */
static shape *shape_find(recorder *R, const key *keys, size_t nkeys, int has_array, uint64_t h)
{
    if (!R->shapes) return NULL;
    shape *sh = &((shape *)R->shapes)[h % SHAPE_SLOTS];
    if (sh->hash != h || sh->nkeys != nkeys || sh->has_array != has_array) return NULL;
    const char *b = sh->bytes;
    for (size_t i = 0; i < nkeys; i++) {
        if (sh->ptr[i] != keys[i].s || sh->len[i] != keys[i].len ||
            !same_bytes(b, keys[i].s, keys[i].len))
            return NULL;
        b += keys[i].len;
    }
    return sh;
}

void values_free(recorder *R)
{
    if (R->shapes)
        for (size_t i = 0; i < SHAPE_SLOTS; i++) free(((shape *)R->shapes)[i].bytes);
    free(R->shapes);
    R->shapes = NULL;
    free(R->memos);
    R->memos = NULL;
    free(R->amemos);
    R->amemos = NULL;
    memset(R->shape_pred, 0, sizeof R->shape_pred);
    strmap_free(&R->struct_types);
    free(R->scratch);
    R->scratch = NULL;
    R->scratch_cap = 0;
}

typedef struct sorted_key {
    key k;
    unsigned char pos; /* position in the scan */
} sorted_key;

static int sorted_key_cmp(const void *a, const void *b)
{
    return key_cmp(&((const sorted_key *)a)->k, &((const sorted_key *)b)->k);
}

/* `more`: the table has string keys beyond the nkeys scanned; h: the
 * shape_hash of the keys (when nkeys <= SHAPE_MAX_KEYS). */
static ctrec_status write_struct(recorder *R, lua_State *L, int idx, lua_Integer n,
                                 key *keys, size_t nkeys, int more, unsigned depth, uint64_t h)
{
    int has_array = n > 0;
    ctrec_id t;
    unsigned char order_buf[SHAPE_MAX_KEYS];
    const unsigned char *order = NULL; /* NULL: keys[] itself is sorted */
    size_t keep = nkeys;
    int truncated = more || nkeys > R->budget;
    shape *sh = NULL;
    if (!truncated && nkeys <= SHAPE_MAX_KEYS) sh = shape_find(R, keys, nkeys, has_array, h);
    if (sh) {
        /* A copy: writing the fields below can meet a nested table whose
         * new shape takes this very slot, while this order is still read. */
        memcpy(order_buf, sh->order, sizeof order_buf); /* fixed size: no call */
        order = order_buf;
        t = sh->type;
        if (depth < SHAPE_PRED_DEPTH) R->shape_pred[depth] = sh;
    } else if (!truncated && nkeys <= SHAPE_MAX_KEYS) {
        sorted_key sk[SHAPE_MAX_KEYS];
        for (size_t i = 0; i < nkeys; i++) sk[i] = (sorted_key){keys[i], (unsigned char)i};
        qsort(sk, nkeys, sizeof *sk, sorted_key_cmp);
        key sorted[SHAPE_MAX_KEYS];
        for (size_t i = 0; i < nkeys; i++) {
            sorted[i] = sk[i].k;
            order_buf[i] = sk[i].pos;
        }
        TRY(struct_type(R, has_array, sorted, nkeys, 0, &t));
        order = order_buf;
        if (!R->shapes) R->shapes = calloc(SHAPE_SLOTS, sizeof(shape));
        size_t total = 0;
        for (size_t i = 0; i < nkeys; i++) total += keys[i].len;
        char *bytes = R->shapes ? malloc(total ? total : 1) : NULL;
        if (bytes) { /* without memory the shape is just not cached */
            shape *slot = &((shape *)R->shapes)[h % SHAPE_SLOTS];
            free(slot->bytes);
            slot->bytes = bytes;
            slot->hash = h;
            slot->nkeys = nkeys;
            slot->has_array = has_array;
            for (size_t i = 0; i < nkeys; i++) {
                slot->ptr[i] = keys[i].s;
                slot->len[i] = keys[i].len;
                slot->order[i] = order_buf[i];
                memcpy(bytes, keys[i].s, keys[i].len);
                bytes += keys[i].len;
            }
            slot->type = t;
            if (depth < SHAPE_PRED_DEPTH) R->shape_pred[depth] = slot;
        }
    } else {
        qsort(keys, nkeys, sizeof *keys, key_cmp);
        keep = nkeys < R->budget ? nkeys : R->budget;
        truncated = keep < nkeys || more;
        TRY(struct_type(R, has_array, keys, keep, truncated, &t));
    }
    R->budget -= keep;
    TRY(ctrec_begin_struct(R->w, t));
    if (has_array) TRY(write_array(R, L, idx, n, depth));
    for (size_t i = 0; i < keep; i++) {
        const key *k = &keys[order ? order[i] : i];
        if (k->value) {
            TRY(write_any(R, L, k->value, depth + 1));
            continue;
        }
        lua_pushlstring(L, k->s, k->len);
        lua_rawget(L, idx);
        ctrec_status st = write_any(R, L, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        TRY(st);
    }
    if (truncated) TRY(more_marker(R, more ? 0 : nkeys - keep));
    return ctrec_end_struct(R->w);
}

/*
 * Flat tables written again. Most tables a step records are the same as at
 * the step before (nbody's bodies but the one the last line changed, the
 * records of an array being sorted). A table of string keys only whose
 * fields are all integers, floats, booleans or short strings (a "flat"
 * table) is written in the fast path of write_table with its encoding kept
 * by the writer (ctrec_memo_end) in the slot of its address; its Struct
 * type and field values, in the order written, are kept here beside it.
 * The next time a flat table with the same Struct type is at that address,
 * its values read are compared with those kept and, when all are the
 * same, the writer writes the kept bytes again (ctrec_memo_write).
 * What a flat table's Struct writes depends on its type and its values
 * only: not on where it is (a leaf uses no element budget, and no cycle or
 * depth marker can be inside), nor on which table it is, so a table freed
 * and another made at its address is no harm. Strings are compared by
 * their bytes (a collected string's memory is reused), floats by their
 * bits (-0.0 is not 0.0, a NaN is the NaN it was).
 */
#define MEMO_SLOTS 1024u /* <= CTREC_MEMO_SLOTS */
#define MEMO_FIELDS 16
#define MEMO_STRING 40   /* a string longer is not kept: the table is not flat */

enum { L_INT = 1, L_FLOAT, L_BOOL, L_STRING };

typedef struct leaf {
    uint8_t tag;    /* L_* */
    uint8_t len;    /* L_STRING: its length */
    uint64_t v;     /* the integer, the float's bits, the boolean */
    const char *s;  /* L_STRING: its bytes (the table's string, while read) */
} leaf;

typedef struct memo_entry {
    const void *table; /* NULL: empty */
    uint32_t gen;      /* counts the values kept in this slot */
    const shape *sh;   /* the shape slot its keys were scanned with (which
                          may hold another shape since) */
    ctrec_id type;
    size_t n;
    leaf f[MEMO_FIELDS];            /* L_STRING: s points into chars */
    char chars[MEMO_FIELDS * MEMO_STRING];
} memo_entry;

static inline size_t memo_slot(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 54) % MEMO_SLOTS;
}

/* Reads the value at idx as a leaf of a flat table; 0: it is not one. */
static inline int read_leaf(lua_State *L, int idx, leaf *out)
{
    int tt = lua_type(L, idx);
    if (tt == LUA_TNUMBER) {
        if (lua_isinteger(L, idx)) {
            out->tag = L_INT;
            out->v = (uint64_t)lua_tointeger(L, idx);
        } else {
            double d = lua_tonumber(L, idx);
            out->tag = L_FLOAT;
            memcpy(&out->v, &d, sizeof d);
        }
        return 1;
    }
    if (tt == LUA_TSTRING) {
        size_t len;
        out->s = lua_tolstring(L, idx, &len);
        if (len > MEMO_STRING) return 0;
        out->tag = L_STRING;
        out->len = (uint8_t)len;
        return 1;
    }
    if (tt == LUA_TBOOLEAN) {
        out->tag = L_BOOL;
        out->v = (uint64_t)lua_toboolean(L, idx);
        return 1;
    }
    return 0;
}

/* The same leaf (k kept, f read). */
static inline int same_leaf(const leaf *k, const leaf *f)
{
    return k->tag == f->tag && (f->tag == L_STRING ? k->len == f->len && same_bytes(k->s, f->s, k->len)
                                                   : k->v == f->v);
}

/* What write_any writes for such a value. */
static ctrec_status write_leaf(recorder *R, const leaf *f)
{
    ctrec_id t;
    R->nvalues++;
    switch (f->tag) {
    case L_INT:
        TRY(type_id(R, T_INTEGER, &t));
        return ctrec_int(R->w, (int64_t)f->v, t);
    case L_FLOAT: {
        double d;
        memcpy(&d, &f->v, sizeof d);
        TRY(type_id(R, T_FLOAT, &t));
        return ctrec_float(R->w, d, t);
    }
    case L_BOOL:
        TRY(type_id(R, T_BOOLEAN, &t));
        return ctrec_bool(R->w, (int)f->v, t);
    default:
        if (R->opt.max_string && f->len > R->opt.max_string)
            return write_long_string(R, f->s, f->len);
        TRY(type_id(R, T_STRING, &t));
        return ctrec_string(R->w, f->s, f->len, t);
    }
}

/* Tells write_array which flat table was written, from which memo. */
static inline void flat_written(recorder *R, const void *p, size_t slot, const memo_entry *e)
{
    R->flat_p = p;
    R->flat_slot = (uint32_t)slot;
    R->flat_gen = e->gen;
    R->flat_n = e->n;
}

static ctrec_status flat_keep(recorder *R, const void *p, const shape *sh, ctrec_id t, size_t n,
                              const leaf *f, size_t slot);

/* The fast path's table at p, of Struct type t with n fields, their values
 * on the stack at base + 2 + 2 * order[i] in the order written: written
 * again from its memo when it is the same flat table as last time, else
 * written with its encoding kept. *done 0: it is not flat (or no memory
 * for the memos), nothing written. */
static ctrec_status write_flat(recorder *R, lua_State *L, const void *p, const shape *sh,
                               ctrec_id t, size_t n, int base, const unsigned char *order,
                               int *done)
{
    *done = 0;
    if (n > MEMO_FIELDS) return CTREC_OK;
    leaf f[MEMO_FIELDS];
    for (size_t i = 0; i < n; i++)
        if (!read_leaf(L, base + 2 + 2 * order[i], &f[i])) return CTREC_OK;
    if (!R->memos && !(R->memos = calloc(MEMO_SLOTS, sizeof(memo_entry)))) return CTREC_OK;
    size_t slot = memo_slot(p);
    memo_entry *e = &((memo_entry *)R->memos)[slot];
    *done = 1;
    if (e->table == p && e->type == t && e->n == n) {
        size_t i = 0;
        while (i < n && same_leaf(&e->f[i], &f[i])) i++;
        if (i == n && ctrec_memo_write(R->w, (uint32_t)slot) == CTREC_OK) {
            R->nvalues += n;
            flat_written(R, p, slot, e);
            return CTREC_OK;
        }
    }
    return flat_keep(R, p, sh, t, n, f, slot);
}

/* The flat table p (shape sh, Struct type t, the n leaves f in the order
 * written) written with its encoding kept in memo slot `slot`. */
static ctrec_status flat_keep(recorder *R, const void *p, const shape *sh, ctrec_id t, size_t n,
                              const leaf *f, size_t slot)
{
    memo_entry *e = &((memo_entry *)R->memos)[slot];
    e->table = NULL;
    e->gen++;
    int keep = ctrec_memo_begin(R->w) == CTREC_OK;
    TRY(ctrec_begin_struct(R->w, t));
    for (size_t i = 0; i < n; i++) TRY(write_leaf(R, &f[i]));
    TRY(ctrec_end_struct(R->w));
    if (keep && ctrec_memo_end(R->w, (uint32_t)slot) == CTREC_OK) {
        e->table = p;
        e->sh = sh;
        e->type = t;
        e->n = n;
        char *c = e->chars;
        for (size_t i = 0; i < n; i++) {
            e->f[i] = f[i];
            if (f[i].tag == L_STRING) {
                memcpy(c, f[i].s, f[i].len);
                e->f[i].s = c;
                c += f[i].len;
            }
        }
        flat_written(R, p, slot, e);
    }
    return CTREC_OK;
}

/*
 * Arrays of flat tables written again. An array (the Sequence write_array
 * writes) whose elements are all numbers, booleans or flat tables written
 * through their memos is kept in the memo slot of its address too (slots
 * MEMO_SLOTS on), with what it held: each number or boolean, each flat
 * table's memo slot and that slot's generation (which changes whenever
 * the slot keeps another table or the same table changed), its length,
 * the elements it wrote before a "<N more>" marker and the budget it
 * began with. The next time, its elements are looked at without writing
 * anything (elem_probe: the shape scan and the compare of write_table's
 * fast path); when all are as kept, the writer writes the whole Sequence
 * again. At the first that is not, the Sequence is written from there
 * on: the elements looked at so far from their own memos, the rest as
 * usual. What such a Sequence writes depends on those only: its elements
 * are flat (no cycle or depth marker inside), the depth of the array is
 * checked, the budget it begins with is the same and so is each element's
 * share of it.
 */
#define AMEMO_SLOTS 256u /* MEMO_SLOTS + AMEMO_SLOTS <= CTREC_MEMO_SLOTS */
#define AMEMO_ELEMS 128
enum { A_FLAT = 8 };

typedef struct aelem {
    uint8_t tag;        /* L_INT, L_FLOAT, L_BOOL, or A_FLAT */
    uint32_t slot, gen; /* A_FLAT: the flat table's memo slot, generation */
    size_t n;           /* A_FLAT: its fields */
    uint64_t v;         /* a number's or boolean's value */
} aelem;

typedef struct amemo {
    const void *table; /* NULL: empty */
    lua_Integer n;     /* lua_rawlen */
    size_t budget;     /* R->budget when it began */
    size_t k;          /* elements written (k < n: then the marker) */
    uint64_t values;   /* what its elements added to R->nvalues */
    aelem el[AMEMO_ELEMS];
} amemo;

static inline size_t amemo_slot(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 56) % AMEMO_SLOTS;
}

/* A number or boolean element as kept (its value at idx). */
static inline aelem leaf_aelem(lua_State *L, int idx)
{
    leaf f = {0};
    read_leaf(L, idx, &f);
    return (aelem){f.tag, 0, 0, 0, f.v};
}

static inline int same_aelem(const aelem *x, const aelem *y)
{
    if (x->tag != y->tag) return 0;
    if (x->tag == A_FLAT) return x->slot == y->slot && x->gen == y->gen;
    return x->v == y->v;
}

/* The element at el (an element of an array at depth - 1) as write_any
 * would write it, without writing it: 1 and *a for a number or a boolean,
 * or a table that write_table would write from its flat memo (the shape
 * its memo was kept with, the values kept); 2 for such a table whose
 * values changed: *a its slot and fields, f[] the values read, for
 * flat_keep; else 0. The stack as it was. */
static int elem_probe(recorder *R, lua_State *L, int el, unsigned depth, aelem *a, leaf *f)
{
    int tt = lua_type(L, el);
    if (tt == LUA_TNUMBER || tt == LUA_TBOOLEAN) {
        *a = leaf_aelem(L, el);
        return 1;
    }
    if (tt != LUA_TTABLE || depth >= R->opt.max_depth ||
        R->nancestors >= sizeof R->ancestors / sizeof *R->ancestors || !R->memos)
        return 0;
    const void *p = lua_topointer(L, el);
    size_t slot = memo_slot(p);
    const memo_entry *e = &((memo_entry *)R->memos)[slot];
    /* Its keys are scanned against the shape its memo was kept with,
     * where write_table tries the shape written last at its depth first:
     * a table with that shape's keys has that Struct type either way, and
     * write_table's general scan writes the same bytes as its fast path
     * (with as many keys as budget left, never truncated). */
    const shape *pr = e->sh;
    if (e->table != p || pr->type != e->type || pr->nkeys != e->n || pr->has_array ||
        pr->nkeys > R->budget)
        return 0;
    int base = lua_gettop(L);
    if (base + RESERVE > R->stack_ok) {
        if (!lua_checkstack(L, RESERVE + ARRAY_SPARE)) return 0;
        R->stack_ok = base + RESERVE + ARRAY_SPARE;
    }
    size_t nk;
    int flat = !scan_shape(L, el, pr, base + 1, &nk) && nk == pr->nkeys, same = flat;
    for (size_t i = 0; flat && i < nk; i++) {
        flat = read_leaf(L, base + 2 + 2 * pr->order[i], &f[i]);
        same = same && flat && same_leaf(&e->f[i], &f[i]);
    }
    lua_settop(L, base);
    if (!flat) return 0;
    *a = (aelem){A_FLAT, (uint32_t)slot, e->gen, e->n, 0};
    return same ? 1 : 2;
}

/* Element i (1-based) of the array at idx, as *a says it is (elem_probe
 * found it so at this step; a flat table's fields were taken from the
 * budget then). */
static ctrec_status write_aelem(recorder *R, lua_State *L, int idx, lua_Integer i,
                                const aelem *a, unsigned depth)
{
    if (a->tag != A_FLAT) {
        leaf f = {a->tag, 0, a->v, NULL};
        return write_leaf(R, &f);
    }
    if (ctrec_memo_write(R->w, a->slot) == CTREC_OK) {
        R->nvalues += 1 + a->n; /* the table and its fields, as write_any counts them */
        return CTREC_OK;
    }
    /* refused (the writer's depth bound): written anew, as write_any
     * would, its fields given back to the budget first */
    R->budget += a->n;
    lua_rawgeti(L, idx, i);
    ctrec_status st = write_any(R, L, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    return st;
}

/* write_array's work for the array p at idx (n > 0 elements, at depth),
 * with memos; *done 0: nothing written, write_array does it. */
static ctrec_status write_array_memo(recorder *R, lua_State *L, int idx, const void *p,
                                     lua_Integer n, unsigned depth, int *done)
{
    *done = 0;
    if (depth + 1 >= R->opt.max_depth) return CTREC_OK; /* its tables would be markers */
    if (!R->amemos && !(R->amemos = calloc(AMEMO_SLOTS, sizeof(amemo)))) return CTREC_OK;
    *done = 1;
    ctrec_id t;
    TRY(type_id(R, T_TABLE, &t));
    size_t as = amemo_slot(p);
    amemo *e = &((amemo *)R->amemos)[as];
    int same = e->table == p && e->n == n && e->budget == R->budget; /* so far */
    size_t budget0 = R->budget;
    uint64_t nv0 = R->nvalues;
    aelem cur[AMEMO_ELEMS]; /* this time's elements */
    int writing = 0, keep = 0, keepable = 1, marker = 0;
    int base = lua_gettop(L);
    ctrec_status st = CTREC_OK;
    lua_Integer i = 1;
    size_t k = 0;
    for (; i <= n; i++, k++) {
        if (R->budget == 0) {
            marker = 1;
            break;
        }
        R->budget--;
        lua_rawgeti(L, idx, i);
        aelem a;
        leaf f[MEMO_FIELDS];
        int known = 0;
        if (!writing) {
            known = k < AMEMO_ELEMS ? elem_probe(R, L, base + 1, depth + 1, &a, f) : 0;
            if (known && a.tag == A_FLAT) R->budget -= a.n;
            if (known == 1 && same && k < e->k && same_aelem(&e->el[k], &a)) {
                cur[k] = a;
                lua_settop(L, base);
                continue;
            }
            /* not as kept: the Sequence from here on, the elements so far
             * from their memos */
            writing = 1;
            keep = ctrec_memo_begin(R->w) == CTREC_OK;
            st = ctrec_begin_sequence(R->w, 0, t);
            for (size_t j = 0; j < k && st == CTREC_OK; j++)
                st = write_aelem(R, L, idx, (lua_Integer)j + 1, &cur[j], depth);
            if (st == CTREC_OK && known == 1) st = write_aelem(R, L, idx, i, &a, depth);
            if (st == CTREC_OK && known == 2) { /* as write_any and write_flat write it */
                const memo_entry *fe = &((memo_entry *)R->memos)[a.slot];
                const void *ep = lua_topointer(L, base + 1);
                R->nvalues++;
                R->flat_p = NULL;
                st = flat_keep(R, ep, fe->sh, fe->type, a.n, f, a.slot);
                known = R->flat_p == ep ? 1 : -1; /* kept again (its new generation), or not */
                a.gen = R->flat_gen;
            }
        }
        if (st == CTREC_OK && !known) { /* as write_array writes it */
            R->flat_p = NULL;
            int tt = lua_type(L, base + 1);
            const void *ep = tt == LUA_TTABLE ? lua_topointer(L, base + 1) : NULL;
            st = write_any(R, L, base + 1, depth + 1);
            if (tt == LUA_TNUMBER || tt == LUA_TBOOLEAN) {
                a = leaf_aelem(L, base + 1);
                known = 1;
            } else if (ep && R->flat_p == ep) {
                a = (aelem){A_FLAT, R->flat_slot, R->flat_gen, R->flat_n, 0};
                known = 1;
            }
        }
        if (known > 0 && k < AMEMO_ELEMS)
            cur[k] = a;
        else
            keepable = 0;
        lua_settop(L, base);
        if (st != CTREC_OK) return st;
    }
    if (!writing) {
        if (same && e->k == k && (e->k < (size_t)n) == marker &&
            ctrec_memo_write(R->w, MEMO_SLOTS + (uint32_t)as) == CTREC_OK) {
            R->nvalues += e->values;
            return CTREC_OK;
        }
        keep = ctrec_memo_begin(R->w) == CTREC_OK;
        TRY(ctrec_begin_sequence(R->w, 0, t));
        for (size_t j = 0; j < k; j++) TRY(write_aelem(R, L, idx, (lua_Integer)j + 1, &cur[j], depth));
    }
    if (marker) TRY(more_marker(R, (uint64_t)(n - i + 1)));
    TRY(ctrec_end_sequence(R->w));
    e->table = NULL;
    if (keep && ctrec_memo_end(R->w, MEMO_SLOTS + (uint32_t)as) == CTREC_OK && keepable) {
        e->table = p;
        e->n = n;
        e->budget = budget0;
        e->k = k;
        e->values = R->nvalues - nv0;
        memcpy(e->el, cur, k * sizeof *cur);
    }
    return CTREC_OK;
}

/* The string keys "[array]" and "..." would read as the field a Struct
 * gets for the array part or for a truncation: a table with one is written
 * as pairs, which say what its keys are. */
static int is_pseudo_field(const char *s, size_t len)
{
    return (len == 7 && memcmp(s, "[array]", 7) == 0) || (len == 3 && memcmp(s, "...", 3) == 0);
}

static NOINLINE ctrec_status write_table(recorder *R, lua_State *L, int idx, unsigned depth)
{
    char text[96];
    const void *p = lua_topointer(L, idx);
    for (unsigned i = 0; i < R->nancestors; i++) {
        if (R->ancestors[i] == p) {
            snprintf(text, sizeof text, "<cycle: table: %p>", p);
            return marker(R, text);
        }
    }
    /* The scan below keeps pairs: lua_checkstack, unless an earlier table
     * of this value reserved the slots (they stay reserved during the hook:
     * lua_checkstack raises the running CallInfo's top, below which Lua
     * never shrinks the stack). */
    int base = lua_gettop(L);
    if (depth >= R->opt.max_depth || R->nancestors >= sizeof R->ancestors / sizeof *R->ancestors ||
        (base + RESERVE > R->stack_ok && !(lua_checkstack(L, RESERVE + ARRAY_SPARE) &&
                                          (R->stack_ok = base + RESERVE + ARRAY_SPARE)))) {
        snprintf(text, sizeof text, "<depth limit: table: %p>", p);
        return marker(R, text);
    }

    enum { KEEP = SHAPE_MAX_KEYS };
    size_t nkeys = 0, cap = KEEP, others = 0, limit = R->budget + 1, scanned = 0;
    size_t in_array = 0; /* keys 1..n seen (not all of them: t[1..n] may have holes) */
    uint64_t h = 0;      /* shape_hash of the first KEEP string keys */
    key small[KEEP];
    key *keys = small;
    int top = base + 1; /* the key lua_next continues from; its value is at top + 1 */
    int pending = 0;    /* 1: lua_next pushed a pair the general scan has to take */
    lua_Integer n = -1; /* lua_rawlen, once known */

    /* The common case first: a table of string keys only, with the shape
     * of the last table written at this depth (the records of an array,
     * the bodies of nbody). The scan starts at nil, before lua_rawlen:
     * a table whose keys are all strings has length 0. Each key is
     * compared with the shape's as it is scanned (pointer, length and
     * bytes, as shape_find does), nothing is stored or hashed, and when
     * all match and the scan ends there, the fields are written in the
     * shape's order from where the scan left their values (key i at
     * base + 1 + 2 i, its value above it). At the first key that does not
     * match, the keys so far (the shape's own) go to keys[] and the
     * general scan below goes on from that key, as it would have from nil;
     * for a long array, which it scans from key n, it starts again. */
    const shape *pr = depth < SHAPE_PRED_DEPTH ? R->shape_pred[depth] : NULL;
    if (pr && pr->nkeys && pr->nkeys <= R->budget && !pr->has_array) {
        /* pr->nkeys <= budget: as many keys cannot make the scan stop
         * (limit = budget + 1) or the Struct be truncated */
        const size_t pn = pr->nkeys;
        pending = scan_shape(L, idx, pr, top, &nkeys);
        top += 2 * (int)nkeys;
        if (!pending && nkeys == pn) { /* the same shape: write it */
            unsigned char order[SHAPE_MAX_KEYS];
            memcpy(order, pr->order, sizeof order); /* pr's slot may be reused below */
            ctrec_id t = pr->type;
            R->budget -= pn;
            if (R->opt.format != CTREC_FORMAT_JSON) { /* trace.json keeps no memos */
                int done;
                ctrec_status st = write_flat(R, L, p, pr, t, pn, base, order, &done);
                if (done) {
                    lua_settop(L, base);
                    return st;
                }
            }
            R->ancestors[R->nancestors++] = p;
            ctrec_status st = ctrec_begin_struct(R->w, t);
            for (size_t i = 0; i < pn && st == CTREC_OK; i++)
                st = write_any(R, L, base + 2 + 2 * order[i], depth + 1);
            if (st == CTREC_OK) st = ctrec_end_struct(R->w);
            lua_settop(L, base);
            R->nancestors--;
            return st;
        }
        n = (lua_Integer)lua_rawlen(L, idx);
        if (n > LONG_ARRAY) { /* scanned from key n below, after the long-array case */
            lua_settop(L, base);
            nkeys = 0;
            pending = 0;
            top = base + 1;
        } else { /* the keys matched so far are pr's: on as the general scan */
            h = shape_hash_start(n > 0);
            for (size_t i = 0; i < nkeys; i++) {
                small[i] = (key){pr->ptr[i], pr->len[i], base + 2 + 2 * (int)i};
                h = shape_hash_step(h, pr->ptr[i]);
            }
            scanned = nkeys;
            goto scan;
        }
    }

    /* An array longer than LONG_ARRAY and than what is left of the budget
     * is written as a Sequence of its first elements and a "<N more>"
     * marker, without looking for other keys: lua_next, even started at
     * key n, walks the unused slots of the array part (up to as many as
     * n) before the hash part, and a recorder does this at every step. */
    if (n < 0) n = (lua_Integer)lua_rawlen(L, idx);
    if (n > LONG_ARRAY && (size_t)n > R->budget) {
        R->ancestors[R->nancestors++] = p;
        ctrec_status st = write_array(R, L, idx, n, depth);
        R->nancestors--;
        return st;
    }

    /* Which keys are there besides 1..n? The scan stops after budget + 1
     * of them, and for a long array it starts at key n, so that lua_next
     * skips the elements. (Should t[n] live in the hash part, the hash
     * entries before it are not seen: possible only for tables with other
     * keys beside a long array built out of order.)
     * The first KEEP string keys keep their value on the stack (the pair
     * lua_next pushed stays, and a copy of the key continues the scan), so
     * that write_struct needs no lookup for them. */
    h = shape_hash_start(n > 0);
    if (n > LONG_ARRAY)
        lua_pushinteger(L, n);
    else
        lua_pushnil(L);
    pending = lua_next(L, idx);
scan:
    for (; pending; pending = lua_next(L, idx)) {
        int kt = lua_type(L, top);
        if (kt == LUA_TSTRING && nkeys < KEEP && scanned < limit) {
            /* the common case, one of the first KEEP string keys, as the
             * general case below takes it (keys is still `small` then) */
            size_t klen;
            const char *ks = lua_tolstring(L, top, &klen);
            scanned++;
            if (is_pseudo_field(ks, klen)) {
                others++;
                lua_settop(L, top);
                continue;
            }
            small[nkeys++] = (key){ks, klen, top + 1};
            h = shape_hash_step(h, ks);
            lua_pushvalue(L, top); /* the scan continues from this copy */
            top += 2;
            continue;
        }
        if (kt == LUA_TNUMBER && lua_isinteger(L, top)) {
            lua_Integer k = lua_tointeger(L, top);
            if (k >= 1 && k <= n) { /* a key of t[1..n] */
                in_array++;
                lua_settop(L, top);
                continue;
            }
        }
        if (++scanned > limit) {
            lua_settop(L, top - 1);
            break;
        }
        size_t klen = 0;
        const char *ks = kt == LUA_TSTRING ? lua_tolstring(L, top, &klen) : NULL;
        if (!ks || is_pseudo_field(ks, klen)) {
            others++;
            lua_settop(L, top);
            continue;
        }
        if (nkeys == cap) {
            size_t ncap = cap * 2;
            key *nk = keys == small ? malloc(ncap * sizeof *keys)
                                    : realloc(keys, ncap * sizeof *keys);
            if (!nk) {
                if (keys != small) free(keys);
                lua_settop(L, base);
                return CTREC_E_NOMEM;
            }
            if (keys == small) memcpy(nk, small, sizeof small);
            keys = nk;
            cap = ncap;
        }
        keys[nkeys].s = ks;
        keys[nkeys].len = klen;
        if (nkeys < KEEP) {
            h = shape_hash_step(h, ks);
            keys[nkeys].value = top + 1;
            lua_pushvalue(L, top); /* the scan continues from this copy */
            top += 2;
        } else {
            keys[nkeys].value = 0;
            lua_settop(L, top);
        }
        nkeys++;
    }
    int more = scanned > limit; /* keys beyond the ones scanned */

    R->ancestors[R->nancestors++] = p;
    ctrec_status st;
    if (others) {
        /* The entries, for "<N more>": known when the scan saw them all,
         * the array part included (it starts after a long one). */
        size_t total = more || n > LONG_ARRAY ? 0 : in_array + nkeys + others;
        lua_settop(L, base);
        st = write_pairs(R, L, idx, total, depth);
    } else if (nkeys) {
        st = write_struct(R, L, idx, n, keys, nkeys, more, depth, h);
    } else {
        st = write_array(R, L, idx, n, depth);
    }
    lua_settop(L, base);
    R->nancestors--;
    if (keys != small) free(keys);
    return st;
}

/* The values write_any leaves to it: all but numbers and strings. */
static NOINLINE ctrec_status write_other(recorder *R, lua_State *L, int idx, int tt,
                                         unsigned depth)
{
    ctrec_id t;
    switch (tt) {
    case LUA_TBOOLEAN:
        TRY(type_id(R, T_BOOLEAN, &t));
        return ctrec_bool(R->w, lua_toboolean(L, idx), t);
    case LUA_TTABLE: return write_table(R, L, idx, depth);
    case LUA_TFUNCTION: return write_address(R, L, idx, T_FUNCTION);
    case LUA_TUSERDATA: return write_address(R, L, idx, T_USERDATA);
    case LUA_TTHREAD: return write_address(R, L, idx, T_THREAD);
    case LUA_TLIGHTUSERDATA: return write_address(R, L, idx, T_LIGHTUSERDATA);
    default: return value_none(R);
    }
}

ctrec_status value_write_abs(recorder *R, lua_State *L, int idx)
{
    R->budget = R->opt.max_elements;
    R->nancestors = 0;
    R->stack_ok = 0;
    return write_any(R, L, idx, 0);
}

ctrec_status value_write(recorder *R, lua_State *L, int idx)
{
    return value_write_abs(R, L, lua_absindex(L, idx));
}

ctrec_status value_write_multi(recorder *R, lua_State *L, int idx, int n)
{
    if (n == 0) return value_none(R);
    if (n == 1) return value_write_abs(R, L, idx);
    R->budget = R->opt.max_elements;
    R->nancestors = 0;
    R->stack_ok = 0;
    ctrec_id t;
    TRY(type_id(R, T_TUPLE, &t));
    TRY(ctrec_begin_tuple(R->w, t));
    for (int i = 0; i < n; i++) TRY(write_any(R, L, idx + i, 0));
    return ctrec_end_tuple(R->w);
}
