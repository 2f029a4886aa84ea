#include "events.h"

/* {"Variant": <payload>} */
static inline void variant_open(enc *e, const char *v, size_t n)
{
    enc_map(e, 1);
    enc_key_dyn(e, v, n, 1);
}
#define VARIANT(e, lit) (enc_map((e), 1), ENC_KEY1((e), lit))

void ev_path(enc *e, const char *p, size_t n)
{
    VARIANT(e, "Path");
    enc_text(e, p, n);
    enc_map_end(e);
}

void ev_variable_name(enc *e, const char *p, size_t n)
{
    VARIANT(e, "VariableName");
    enc_text(e, p, n);
    enc_map_end(e);
}

void ev_function(enc *e, ctrec_id path_id, int64_t line, const char *name, size_t n)
{
    VARIANT(e, "Function");
    enc_map(e, 3);
    ENC_KEY1(e, "path_id");
    enc_uint(e, path_id);
    ENC_KEY(e, "line");
    enc_int(e, line);
    ENC_KEY(e, "name");
    enc_text(e, name, n);
    enc_map_end(e);
    enc_map_end(e);
}

void ev_type(enc *e, ctrec_type_kind kind, const char *lang, size_t n, enum ev_type_info info,
             const ctrec_field *fields, size_t nfields, ctrec_id deref_type)
{
    VARIANT(e, "Type");
    enc_map(e, 3);
    ENC_KEY1(e, "kind");
    enc_uint(e, (uint64_t)kind);
    ENC_KEY(e, "lang_type");
    enc_text(e, lang, n);
    ENC_KEY(e, "specific_info");
    switch (info) {
    case EV_INFO_NONE:
        enc_map(e, 1);
        ENC_KEY1(e, "kind");
        ENC_LIT(e, "None");
        break;
    case EV_INFO_STRUCT:
        enc_map(e, 2);
        ENC_KEY1(e, "kind");
        ENC_LIT(e, "Struct");
        ENC_KEY(e, "fields");
        enc_arr_n(e, nfields);
        for (size_t i = 0; i < nfields; i++) {
            enc_sep(e, i);
            enc_map(e, 2);
            ENC_KEY1(e, "name");
            enc_text(e, fields[i].name, fields[i].name_len);
            ENC_KEY(e, "type_id");
            enc_uint(e, fields[i].type_id);
            enc_map_end(e);
        }
        enc_arr_n_end(e);
        break;
    case EV_INFO_POINTER:
        enc_map(e, 2);
        ENC_KEY1(e, "kind");
        ENC_LIT(e, "Pointer");
        ENC_KEY(e, "dereference_type_id");
        enc_uint(e, deref_type);
        break;
    }
    enc_map_end(e);
    enc_map_end(e);
    enc_map_end(e);
}

/* The hottest events are written by an always-inline body called with the
 * format as a constant, so that the FX_ helpers' format
 * tests fold away: one straight-line copy per format. NAME_body is the
 * event, NAME dispatches to it (BY_FORMAT). */
#define HOT static inline __attribute__((always_inline))
#define FX_JSON(e) (&(enc){(e)->b, 1, (e)->float_number, (e)->floats, 0})
#define FX_CBOR(e) (&(enc){(e)->b, 0, 0, (e)->floats, (e)->ctfs})
#define BY_FORMAT(body, ...) \
    (e->json ? body(FX_JSON(e), __VA_ARGS__) : body(FX_CBOR(e), __VA_ARGS__))
#define BY_FORMAT0(body) (e->json ? body(FX_JSON(e)) : body(FX_CBOR(e)))

HOT void ev_step_body(enc *e, ctrec_id path_id, int64_t line)
{
    uint8_t *p = enc_room(e, 2 + 3 * FX_MAX_KEY + 2 * FX_MAX_NUM + 2);
    if (!p) return;
    if (!e->json) { /* enc.h's, the trace.bin fast path's too */
        enc_done(e, fx_cbor_step(p, path_id, line));
        return;
    }
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "Step");
    p = fx_map(e, p, 2);
    p = FX_KEY1(e, p, "path_id");
    p = fx_uint(e, p, path_id);
    p = FX_KEY(e, p, "line");
    p = fx_int(e, p, line);
    p = fx_map_end(e, p);
    p = fx_map_end(e, p);
    enc_done(e, p);
}

void ev_step(enc *e, ctrec_id path_id, int64_t line)
{
    BY_FORMAT(ev_step_body, path_id, line);
}

void ev_event(enc *e, ctrec_event_kind kind, const char *meta, size_t mn, const char *content,
              size_t cn)
{
    VARIANT(e, "Event");
    enc_map(e, 3);
    ENC_KEY1(e, "kind");
    enc_uint(e, (uint64_t)kind);
    ENC_KEY(e, "metadata");
    enc_text(e, meta, mn);
    ENC_KEY(e, "content");
    enc_text(e, content, cn);
    enc_map_end(e);
    enc_map_end(e);
}

void ev_asm(enc *e, const ctrec_str *ins, size_t count)
{
    VARIANT(e, "Asm");
    enc_arr_n(e, count);
    for (size_t i = 0; i < count; i++) {
        enc_sep(e, i);
        enc_text(e, ins[i].ptr, ins[i].len);
    }
    enc_arr_n_end(e);
    enc_map_end(e);
}

void ev_var_place(enc *e, const char *variant, size_t vn, ctrec_id var, int64_t place)
{
    variant_open(e, variant, vn);
    enc_map(e, 2);
    ENC_KEY1(e, "variable_id");
    enc_uint(e, var);
    ENC_KEY(e, "place");
    enc_int(e, place);
    enc_map_end(e);
    enc_map_end(e);
}

static void id_array(enc *e, const ctrec_id *ids, size_t count)
{
    enc_arr_n(e, count);
    for (size_t i = 0; i < count; i++) {
        enc_sep(e, i);
        enc_uint(e, ids[i]);
    }
    enc_arr_n_end(e);
}

void ev_drop_variables(enc *e, const ctrec_id *ids, size_t count)
{
    VARIANT(e, "DropVariables");
    id_array(e, ids, count);
    enc_map_end(e);
}

void ev_assign_compound_item(enc *e, int64_t place, uint64_t index, int64_t item_place)
{
    VARIANT(e, "AssignCompoundItem");
    enc_map(e, 3);
    ENC_KEY1(e, "place");
    enc_int(e, place);
    ENC_KEY(e, "index");
    enc_uint(e, index);
    ENC_KEY(e, "item_place");
    enc_int(e, item_place);
    enc_map_end(e);
    enc_map_end(e);
}

void ev_assign(enc *e, ctrec_id to, ctrec_pass_by pass_by, int compound, const ctrec_id *from,
               size_t count)
{
    VARIANT(e, "Assignment");
    enc_map(e, 3);
    ENC_KEY1(e, "to");
    enc_uint(e, to);
    ENC_KEY(e, "pass_by");
    if (pass_by == CTREC_PASS_BY_REFERENCE) ENC_LIT(e, "Reference");
    else ENC_LIT(e, "Value");
    ENC_KEY(e, "from");
    enc_map(e, 2);
    ENC_KEY1(e, "kind");
    if (compound) {
        ENC_LIT(e, "Compound");
        ENC_KEY(e, "0");
        id_array(e, from, count);
    } else {
        ENC_LIT(e, "Simple");
        ENC_KEY(e, "0");
        enc_uint(e, from[0]);
    }
    enc_map_end(e);
    enc_map_end(e);
    enc_map_end(e);
}

void ev_unsigned(enc *e, const char *variant, size_t vn, uint64_t v)
{
    variant_open(e, variant, vn);
    enc_uint(e, v);
    enc_map_end(e);
}

void ev_drop_last_step(enc *e)
{
    ENC_LIT(e, "DropLastStep");
}

HOT void ev_value_open_body(enc *e, ctrec_id var)
{
    uint8_t *p = enc_room(e, 2 + 3 * FX_MAX_KEY + FX_MAX_NUM);
    if (!p) return;
    if (!e->json) { /* enc.h's, the trace.bin fast path's too */
        enc_done(e, fx_cbor_value_open(p, var));
        return;
    }
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "Value");
    p = fx_map(e, p, 2);
    p = FX_KEY1(e, p, "variable_id");
    p = fx_uint(e, p, var);
    p = FX_KEY(e, p, "value");
    enc_done(e, p);
}

void ev_value_open(enc *e, ctrec_id var)
{
    BY_FORMAT(ev_value_open_body, var);
}

HOT void ev_return_open_body(enc *e)
{
    uint8_t *p = enc_room(e, 2 + 2 * FX_MAX_KEY);
    if (!p) return;
    if (!e->json) { /* enc.h's */
        enc_done(e, fx_cbor_return_open(p));
        return;
    }
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "Return");
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "return_value");
    enc_done(e, p);
}

void ev_return_open(enc *e)
{
    BY_FORMAT0(ev_return_open_body);
}

void ev_place_value_open(enc *e, const char *variant, size_t vn, int64_t place,
                         const char *key, size_t kn)
{
    variant_open(e, variant, vn);
    enc_map(e, 2);
    ENC_KEY1(e, "place");
    enc_int(e, place);
    enc_key_dyn(e, key, kn, 0);
}

void ev_close_value_event(enc *e)
{
    if (e->json) BUF_LIT(e->b, "}}");
}

void ev_value_encoded(enc *e, ctrec_id var, const uint8_t *value, size_t len)
{
    ev_value_open(e, var);
    enc_encoded(e, value, len);
    ev_close_value_event(e);
}

HOT void ev_call_body(enc *e, ctrec_id function_id, const ev_arg *args, size_t nargs)
{
    uint8_t *p = enc_room(e, 2 + 3 * FX_MAX_KEY + FX_MAX_NUM + 9);
    if (!p) return;
    if (e->json) {
        p = fx_map(e, p, 1);
        p = FX_KEY1(e, p, "Call");
        p = fx_map(e, p, 2);
        p = FX_KEY1(e, p, "function_id");
        p = fx_uint(e, p, function_id);
        p = FX_KEY(e, p, "args");
        *p++ = '[';
    } else {
        p = fx_cbor_call_head(p, function_id, nargs); /* enc.h's, the fast path's too */
    }
    enc_done(e, p);
    for (size_t i = 0; i < nargs; i++) {
        if (!(p = enc_room(e, 3 + 2 * FX_MAX_KEY + FX_MAX_NUM + args[i].len))) return;
        if (!e->json) { /* enc.h's, the trace.bin fast path's too */
            p = fx_cbor_arg_open(p, args[i].var);
            enc_done(e, fx_bytes(p, args[i].value, args[i].len));
            continue;
        }
        if (i) *p++ = ',';
        p = fx_map(e, p, 2);
        p = FX_KEY1(e, p, "variable_id");
        p = fx_uint(e, p, args[i].var);
        p = FX_KEY(e, p, "value");
        p = fx_bytes(p, args[i].value, args[i].len);
        p = fx_map_end(e, p);
        enc_done(e, p);
    }
    enc_arr_n_end(e);
    enc_map_end(e);
    enc_map_end(e);
}

void ev_call(enc *e, ctrec_id function_id, const ev_arg *args, size_t nargs)
{
    BY_FORMAT(ev_call_body, function_id, args, nargs);
}

/* ---- ValueRecord ---- */

/* {"kind":"Int" ... as one literal in JSON (the KIND of the rarer values;
 * FX_KIND the same through a cursor). */
#define KIND(e, np, lit)                                                \
    ((e)->json ? buf_put((e)->b, "{\"kind\":\"" lit "\"", sizeof(lit) + 9) \
               : (enc_map((e), (np)), ENC_KEY1((e), "kind"), ENC_LIT((e), lit)))
#define FX_KIND(e, p, np, lit)                                              \
    ((e)->json ? fx_bytes((p), "{\"kind\":\"" lit "\"", sizeof(lit) + 9) \
               : fx_key_cbor(fx_key_cbor(fx_map((e), (p), (np)), "kind", 4), (lit), sizeof(lit) - 1))
/* Room for a value's head or tail written with the FX_ helpers. */
#define VAL_ROOM (2 + 4 * FX_MAX_KEY + 2 * FX_MAX_NUM)

static inline void type_close(enc *e, ctrec_id type_id)
{
    ENC_KEY(e, "type_id");
    enc_uint(e, type_id);
    enc_map_end(e);
}

static inline uint8_t *fx_type_close(const enc *e, uint8_t *p, ctrec_id type_id)
{
    if (!e->json) return fx_cbor_type_close(p, type_id); /* enc.h's, the fast paths' too */
    p = FX_KEY(e, p, "type_id");
    p = fx_uint(e, p, type_id);
    return fx_map_end(e, p);
}

/* An array of a count patched in at its end: the mark enc_arr_end needs. */
static inline uint8_t *fx_arr(const enc *e, uint8_t *p, size_t *mark)
{
    *mark = (size_t)(p - e->b->data);
    *p++ = e->json ? '[' : 0x80;
    return p;
}

HOT void val_int_body(enc *e, int64_t i, ctrec_id type_id)
{
    uint8_t *p = enc_room(e, FX_VALUE_INT_ROOM);
    if (!p) return;
    enc_done(e, fx_value_int(e, p, i, type_id));
}

void val_int(enc *e, int64_t i, ctrec_id type_id)
{
    BY_FORMAT(val_int_body, i, type_id);
}

HOT int val_float_body(enc *e, double f, ctrec_id type_id)
{
    char t[32];
    size_t n;
    if (!e->json && e->ctfs) {
        uint8_t *p = enc_room(e, VAL_ROOM + 9);
        if (!p) return 0;
        p = FX_KIND(e, p, 3, "Float");
        p = FX_KEY(e, p, "f");
        uint64_t bits;
        memcpy(&bits, &f, sizeof bits);
        *p++ = 0xfb;
        for (int i = 7; i >= 0; i--) *p++ = (uint8_t)(bits >> (8 * i));
        p = fx_type_close(e, p, type_id);
        enc_done(e, p);
        return 0;
    }
    if (enc_float_text(e, f, t, &n) < 0) return -1;
    uint8_t *p = enc_room(e, VAL_ROOM + 34);
    if (!p) return 0;
    p = FX_KIND(e, p, 3, "Float");
    p = FX_KEY(e, p, "f");
    /* The text needs no escapes; it is copied as a fixed FLOAT_CACHE_TEXT
     * bytes (the room allows it), of which the n first count. */
    if (e->json && !e->float_number) *p++ = '"'; /* else a JSON number */
    else if (!e->json) p = fx_cbor_head(p, 3, n);
    if (n <= FLOAT_CACHE_TEXT) {
        memcpy(p, t, FLOAT_CACHE_TEXT);
        p += n;
    } else {
        p = fx_bytes(p, t, n);
    }
    if (e->json && !e->float_number) *p++ = '"';
    p = fx_type_close(e, p, type_id);
    enc_done(e, p);
    return 0;
}

int val_float(enc *e, double f, ctrec_id type_id)
{
    return BY_FORMAT(val_float_body, f, type_id);
}

HOT void val_bool_body(enc *e, int b, ctrec_id type_id)
{
    uint8_t *p = enc_room(e, VAL_ROOM + 5 + 11);
    if (!p) return;
    if (!e->json && e->ctfs) {
        p = FX_KIND(e, p, 4, "Bool");
        p = FX_KEY(e, p, "b");
        *p++ = b ? 0xf5 : 0xf4;
        p = FX_KEY(e, p, "text");
        p = b ? fx_bytes(p, "\x64" "true", 5) : fx_bytes(p, "\x65" "false", 6);
        p = fx_type_close(e, p, type_id);
        enc_done(e, p);
        return;
    }
    p = FX_KIND(e, p, 3, "Bool");
    p = FX_KEY(e, p, "b");
    if (e->json) p = b ? fx_bytes(p, "true", 4) : fx_bytes(p, "false", 5);
    else *p++ = b ? 0xf5 : 0xf4;
    p = fx_type_close(e, p, type_id);
    enc_done(e, p);
}

void val_bool(enc *e, int b, ctrec_id type_id)
{
    BY_FORMAT(val_bool_body, b, type_id);
}

HOT void val_text_body(enc *e, enum val_text_kind k, const char *text, size_t n, ctrec_id type_id)
{
    uint8_t *p = enc_room(e, VAL_ROOM);
    if (!p) return;
    switch (k) {
    case VAL_STRING: p = FX_KIND(e, p, 3, "String"); p = FX_KEY(e, p, "text"); break;
    case VAL_RAW: p = FX_KIND(e, p, 3, "Raw"); p = FX_KEY(e, p, "r"); break;
    case VAL_ERROR: p = FX_KIND(e, p, 3, "Error"); p = FX_KEY(e, p, "msg"); break;
    case VAL_CHAR: p = FX_KIND(e, p, 3, "Char"); p = FX_KEY(e, p, "c"); break;
    }
    enc_done(e, p);
    enc_text(e, text, n);
    if (!(p = enc_room(e, VAL_ROOM))) return;
    p = fx_type_close(e, p, type_id);
    enc_done(e, p);
}

void val_text(enc *e, enum val_text_kind k, const char *text, size_t n, ctrec_id type_id)
{
    BY_FORMAT(val_text_body, k, text, n, type_id);
}

HOT void val_none_body(enc *e, ctrec_id type_id)
{
    uint8_t *p = enc_room(e, 1 + 3 * FX_MAX_KEY + FX_MAX_NUM + 1);
    if (!p) return;
    if (!e->json) { /* enc.h's */
        enc_done(e, fx_cbor_value_none(p, type_id));
        return;
    }
    p = fx_map(e, p, 2);
    p = FX_KEY1(e, p, "kind");
    p = FX_LIT(e, p, "None");
    p = fx_type_close(e, p, type_id);
    enc_done(e, p);
}

void val_none(enc *e, ctrec_id type_id)
{
    BY_FORMAT(val_none_body, type_id);
}

HOT void ev_return_none_body(enc *e, ctrec_id type_id)
{
    if (!e->json) { /* enc.h's, the trace.bin fast path's too */
        uint8_t *p = enc_room(e, FX_CBOR_RETURN_NONE_ROOM);
        if (p) enc_done(e, fx_cbor_return_none(p, type_id));
        return;
    }
    ev_return_open_body(e);
    val_none_body(e, type_id);
    if (e->json) BUF_LIT(e->b, "}}");
}

void ev_return_none(enc *e, ctrec_id type_id)
{
    BY_FORMAT(ev_return_none_body, type_id);
}

void val_cell(enc *e, int64_t place)
{
    KIND(e, 2, "Cell");
    ENC_KEY(e, "place");
    enc_int(e, place);
    enc_map_end(e);
}

void val_bigint(enc *e, const uint8_t *mag, size_t n, int negative, ctrec_id type_id)
{
    KIND(e, 4, "BigInt");
    ENC_KEY(e, "b");
    if (!e->json && e->ctfs) {
        cbor_head(e->b, 2, n);
        buf_put(e->b, mag, n);
    } else {
        enc_base64(e, mag, n);
    }
    ENC_KEY(e, "negative");
    enc_bool(e, negative);
    type_close(e, type_id);
}

/* The compounds: the head up to the opening of the elements array, whose
 * mark the close needs (open_elements); the close from the end of that
 * array. */
HOT size_t open_elements(enc *e, uint8_t *p)
{
    size_t mark = 0;
    p = fx_arr(e, p, &mark);
    enc_done(e, p);
    return mark;
}

HOT size_t val_sequence_open_body(enc *e)
{
    uint8_t *p = enc_room(e, VAL_ROOM);
    if (!p) return 0;
    p = FX_KIND(e, p, 4, "Sequence");
    return open_elements(e, FX_KEY(e, p, "elements"));
}

size_t val_sequence_open(enc *e)
{
    return BY_FORMAT0(val_sequence_open_body);
}

HOT void val_sequence_close_body(enc *e, size_t mark, uint64_t count, int is_slice, ctrec_id type_id)
{
    enc_arr_end(e, mark, count);
    uint8_t *p = enc_room(e, VAL_ROOM + 5);
    if (!p) return;
    if (!e->json) { /* enc.h's, the model's fast path's too */
        enc_done(e, fx_cbor_sequence_close(p, is_slice, type_id));
        return;
    }
    p = FX_KEY(e, p, "is_slice");
    if (e->json) p = is_slice ? fx_bytes(p, "true", 4) : fx_bytes(p, "false", 5);
    else *p++ = is_slice ? 0xf5 : 0xf4;
    p = fx_type_close(e, p, type_id);
    enc_done(e, p);
}

void val_sequence_close(enc *e, size_t mark, uint64_t count, int is_slice, ctrec_id type_id)
{
    BY_FORMAT(val_sequence_close_body, mark, count, is_slice, type_id);
}

HOT size_t val_tuple_open_body(enc *e)
{
    uint8_t *p = enc_room(e, VAL_ROOM);
    if (!p) return 0;
    p = FX_KIND(e, p, 3, "Tuple");
    return open_elements(e, FX_KEY(e, p, "elements"));
}

size_t val_tuple_open(enc *e)
{
    return BY_FORMAT0(val_tuple_open_body);
}

/* Tuple and Struct end alike: the elements, the type. */
HOT void val_tuple_close_body(enc *e, size_t mark, uint64_t count, ctrec_id type_id)
{
    enc_arr_end(e, mark, count);
    uint8_t *p = enc_room(e, VAL_ROOM);
    if (!p) return;
    p = fx_type_close(e, p, type_id);
    enc_done(e, p);
}

void val_tuple_close(enc *e, size_t mark, uint64_t count, ctrec_id type_id)
{
    BY_FORMAT(val_tuple_close_body, mark, count, type_id);
}

HOT size_t val_struct_open_body(enc *e)
{
    uint8_t *p = enc_room(e, VAL_ROOM);
    if (!p) return 0;
    p = FX_KIND(e, p, 3, "Struct");
    return open_elements(e, FX_KEY(e, p, "field_values"));
}

size_t val_struct_open(enc *e)
{
    return BY_FORMAT0(val_struct_open_body);
}

void val_struct_close(enc *e, size_t mark, uint64_t count, ctrec_id type_id)
{
    val_tuple_close(e, mark, count, type_id);
}

void val_variant_open(enc *e, const char *disc, size_t n)
{
    KIND(e, 4, "Variant");
    ENC_KEY(e, "discriminator");
    enc_text(e, disc, n);
    ENC_KEY(e, "contents");
}

void val_variant_close(enc *e, ctrec_id type_id)
{
    type_close(e, type_id);
}

void val_reference_open(enc *e)
{
    KIND(e, 5, "Reference");
    ENC_KEY(e, "dereferenced");
}

void val_reference_close(enc *e, uint64_t address, int is_mutable, ctrec_id type_id)
{
    ENC_KEY(e, "address");
    enc_uint(e, address);
    ENC_KEY(e, "mutable");
    enc_bool(e, is_mutable);
    type_close(e, type_id);
}
