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

void ev_step(enc *e, ctrec_id path_id, int64_t line)
{
    uint8_t *p = enc_room(e, 2 + 3 * FX_MAX_KEY + 2 * FX_MAX_NUM + 2);
    if (!p) return;
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

void ev_value_open(enc *e, ctrec_id var)
{
    uint8_t *p = enc_room(e, 2 + 3 * FX_MAX_KEY + FX_MAX_NUM);
    if (!p) return;
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "Value");
    p = fx_map(e, p, 2);
    p = FX_KEY1(e, p, "variable_id");
    p = fx_uint(e, p, var);
    p = FX_KEY(e, p, "value");
    enc_done(e, p);
}

void ev_return_open(enc *e)
{
    uint8_t *p = enc_room(e, 2 + 2 * FX_MAX_KEY);
    if (!p) return;
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "Return");
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "return_value");
    enc_done(e, p);
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

void ev_call(enc *e, ctrec_id function_id, const ev_arg *args, size_t nargs)
{
    uint8_t *p = enc_room(e, 2 + 3 * FX_MAX_KEY + FX_MAX_NUM + 9);
    if (!p) return;
    p = fx_map(e, p, 1);
    p = FX_KEY1(e, p, "Call");
    p = fx_map(e, p, 2);
    p = FX_KEY1(e, p, "function_id");
    p = fx_uint(e, p, function_id);
    p = FX_KEY(e, p, "args");
    if (e->json) *p++ = '[';
    else p = fx_cbor_head(p, 4, nargs);
    enc_done(e, p);
    for (size_t i = 0; i < nargs; i++) {
        enc_sep(e, i);
        enc_map(e, 2);
        ENC_KEY1(e, "variable_id");
        enc_uint(e, args[i].var);
        ENC_KEY(e, "value");
        enc_encoded(e, args[i].value, args[i].len);
        enc_map_end(e);
    }
    enc_arr_n_end(e);
    enc_map_end(e);
    enc_map_end(e);
}

/* ---- ValueRecord ---- */

/* {"kind":"Int" ... as one literal in JSON. */
#define KIND(e, np, lit)                                                \
    ((e)->json ? buf_put((e)->b, "{\"kind\":\"" lit "\"", sizeof(lit) + 9) \
               : (enc_map((e), (np)), ENC_KEY1((e), "kind"), ENC_LIT((e), lit)))

static inline void type_close(enc *e, ctrec_id type_id)
{
    ENC_KEY(e, "type_id");
    enc_uint(e, type_id);
    enc_map_end(e);
}

void val_int(enc *e, int64_t i, ctrec_id type_id)
{
    uint8_t *p = enc_room(e, 1 + 4 * FX_MAX_KEY + 2 * FX_MAX_NUM + 1);
    if (!p) return;
    p = fx_map(e, p, 3);
    p = FX_KEY1(e, p, "kind");
    p = FX_LIT(e, p, "Int");
    p = FX_KEY(e, p, "i");
    p = fx_int(e, p, i);
    p = FX_KEY(e, p, "type_id");
    p = fx_uint(e, p, type_id);
    p = fx_map_end(e, p);
    enc_done(e, p);
}

int val_float(enc *e, double f, ctrec_id type_id)
{
    size_t mark = e->b->len;
    KIND(e, 3, "Float");
    ENC_KEY(e, "f");
    if (enc_float(e, f) < 0) {
        e->b->len = mark;
        return -1;
    }
    type_close(e, type_id);
    return 0;
}

void val_bool(enc *e, int b, ctrec_id type_id)
{
    KIND(e, 3, "Bool");
    ENC_KEY(e, "b");
    enc_bool(e, b);
    type_close(e, type_id);
}

void val_text(enc *e, enum val_text_kind k, const char *p, size_t n, ctrec_id type_id)
{
    switch (k) {
    case VAL_STRING: KIND(e, 3, "String"); ENC_KEY(e, "text"); break;
    case VAL_RAW: KIND(e, 3, "Raw"); ENC_KEY(e, "r"); break;
    case VAL_ERROR: KIND(e, 3, "Error"); ENC_KEY(e, "msg"); break;
    case VAL_CHAR: KIND(e, 3, "Char"); ENC_KEY(e, "c"); break;
    }
    enc_text(e, p, n);
    type_close(e, type_id);
}

void val_none(enc *e, ctrec_id type_id)
{
    uint8_t *p = enc_room(e, 1 + 3 * FX_MAX_KEY + FX_MAX_NUM + 1);
    if (!p) return;
    p = fx_map(e, p, 2);
    p = FX_KEY1(e, p, "kind");
    p = FX_LIT(e, p, "None");
    p = FX_KEY(e, p, "type_id");
    p = fx_uint(e, p, type_id);
    p = fx_map_end(e, p);
    enc_done(e, p);
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
    enc_base64(e, mag, n);
    ENC_KEY(e, "negative");
    enc_bool(e, negative);
    type_close(e, type_id);
}

size_t val_sequence_open(enc *e)
{
    KIND(e, 4, "Sequence");
    ENC_KEY(e, "elements");
    return enc_arr(e);
}

void val_sequence_close(enc *e, size_t mark, uint64_t count, int is_slice, ctrec_id type_id)
{
    enc_arr_end(e, mark, count);
    ENC_KEY(e, "is_slice");
    enc_bool(e, is_slice);
    type_close(e, type_id);
}

size_t val_tuple_open(enc *e)
{
    KIND(e, 3, "Tuple");
    ENC_KEY(e, "elements");
    return enc_arr(e);
}

void val_tuple_close(enc *e, size_t mark, uint64_t count, ctrec_id type_id)
{
    enc_arr_end(e, mark, count);
    type_close(e, type_id);
}

size_t val_struct_open(enc *e)
{
    KIND(e, 3, "Struct");
    ENC_KEY(e, "field_values");
    return enc_arr(e);
}

void val_struct_close(enc *e, size_t mark, uint64_t count, ctrec_id type_id)
{
    enc_arr_end(e, mark, count);
    type_close(e, type_id);
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
