/*
 * event_struct.c — event structs back to JSON or CBOR through encode/events.c.
 */
#include <stdlib.h>
#include <string.h>

#include "event_struct.h"

#define MAX_ENCODE_DEPTH 2000u

static const char *txt(ctrec_str s) { return s.ptr ? s.ptr : ""; }

static int b64val(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

/* Decodes standard (or url-safe) base64, padding optional. Returns the
 * byte count or -1. `out` holds at least len * 3 / 4 + 3 bytes. */
static long b64_decode(const char *s, size_t len, uint8_t *out)
{
    while (len && s[len - 1] == '=') len--;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val((uint8_t)s[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

static ctrec_status val(enc *en, const ctrec_value *v, unsigned depth, err *e);

/* ---- the .ct extensions (docs/ct.md): spellings trace.json has not ---- */

static void kind_key(enc *en, unsigned npairs, const char *kind, size_t n)
{
    enc_map(en, npairs);
    ENC_KEY1(en, "kind");
    enc_text(en, kind, n);
}

static ctrec_status val_ext(enc *en, const ctrec_value *v, unsigned depth, err *e)
{
    ctrec_status st;
    size_t mark;
    switch (v->kind) {
    case CTREC_VAL_BOOL: /* with its text */
        kind_key(en, 4, "Bool", 4);
        ENC_KEY(en, "b");
        enc_bool(en, v->b);
        ENC_KEY(en, "text");
        enc_text(en, txt(v->text), v->text.len);
        break;
    case CTREC_VAL_STRUCT: /* with field_names */
    case CTREC_VAL_SET:
        if (v->nchildren && !v->children) return err_set(e, CTREC_E_ARG, "NULL children");
        if (v->kind == CTREC_VAL_SET) {
            kind_key(en, 3, "Set", 3);
            ENC_KEY(en, "members");
        } else {
            kind_key(en, 4, "Struct", 6);
            ENC_KEY(en, "field_values");
        }
        mark = enc_arr(en);
        for (size_t i = 0; i < v->nchildren; i++) {
            enc_sep(en, i);
            if ((st = val(en, &v->children[i], depth + 1, e))) return st;
        }
        enc_arr_end(en, mark, v->nchildren);
        if (v->kind == CTREC_VAL_STRUCT) {
            ENC_KEY(en, "field_names");
            mark = enc_arr(en);
            for (size_t i = 0; i < v->nchildren; i++) {
                enc_sep(en, i);
                enc_text(en, txt(v->names[i]), v->names[i].len);
            }
            enc_arr_end(en, mark, v->nchildren);
        }
        break;
    case CTREC_VAL_ENUM:
        kind_key(en, 4, "Enum", 4);
        ENC_KEY(en, "name");
        enc_text(en, txt(v->text), v->text.len);
        ENC_KEY(en, "ordinal");
        enc_int(en, v->i);
        break;
    case CTREC_VAL_VALUE_REF:
        if (!en->json && en->ctfs) { /* a .ct's ValueRef: CBOR tag 256 over the id */
            cbor_head(en->b, 6, 256);
            enc_uint(en, (uint64_t)v->i);
            return CTREC_OK;
        }
        kind_key(en, 2, "ValueRef", 8);
        ENC_KEY(en, "id");
        enc_uint(en, (uint64_t)v->i);
        enc_map_end(en);
        return CTREC_OK;
    default: return err_set(e, CTREC_E_ARG, "unknown value kind %d", (int)v->kind);
    }
    ENC_KEY(en, "type_id");
    enc_uint(en, v->type_id);
    enc_map_end(en);
    return CTREC_OK;
}

static ctrec_status val(enc *en, const ctrec_value *v, unsigned depth, err *e)
{
    if (!v) return err_set(e, CTREC_E_ARG, "a NULL value");
    if (depth > MAX_ENCODE_DEPTH)
        return err_set(e, CTREC_E_DEPTH, "value nested deeper than %u levels", MAX_ENCODE_DEPTH);
    ctrec_status st;
    size_t mark;
    if ((v->kind == CTREC_VAL_BOOL && v->text.len) || (v->kind == CTREC_VAL_STRUCT && v->names) ||
        v->kind >= CTREC_VAL_SET)
        return val_ext(en, v, depth, e);
    switch (v->kind) {
    case CTREC_VAL_INT: val_int(en, v->i, v->type_id); return CTREC_OK;
    case CTREC_VAL_FLOAT:
        if (val_float(en, v->f, v->type_id) < 0)
            return err_set(e, CTREC_E_FLOAT, "inf or NaN cannot be written as a JSON number");
        return CTREC_OK;
    case CTREC_VAL_BOOL: val_bool(en, v->b, v->type_id); return CTREC_OK;
    case CTREC_VAL_STRING: val_text(en, VAL_STRING, txt(v->text), v->text.len, v->type_id); return CTREC_OK;
    case CTREC_VAL_RAW: val_text(en, VAL_RAW, txt(v->text), v->text.len, v->type_id); return CTREC_OK;
    case CTREC_VAL_ERROR: val_text(en, VAL_ERROR, txt(v->text), v->text.len, v->type_id); return CTREC_OK;
    case CTREC_VAL_CHAR: val_text(en, VAL_CHAR, txt(v->text), v->text.len, v->type_id); return CTREC_OK;
    case CTREC_VAL_NONE: val_none(en, v->type_id); return CTREC_OK;
    case CTREC_VAL_CELL: val_cell(en, v->i); return CTREC_OK;
    case CTREC_VAL_BIGINT: {
        uint8_t small[96];
        size_t need = v->text.len / 4 * 3 + 6;
        uint8_t *mag = need <= sizeof small ? small : malloc(need);
        if (!mag) return err_set(e, CTREC_E_NOMEM, "out of memory");
        long n = b64_decode(txt(v->text), v->text.len, mag);
        if (n >= 0) val_bigint(en, mag, (size_t)n, v->b, v->type_id);
        if (mag != small) free(mag);
        if (n < 0) return err_set(e, CTREC_E_VALUE, "BigInt magnitude is not base64");
        return CTREC_OK;
    }
    case CTREC_VAL_SEQUENCE:
    case CTREC_VAL_TUPLE:
    case CTREC_VAL_STRUCT:
        if (v->nchildren && !v->children) return err_set(e, CTREC_E_ARG, "NULL children");
        mark = v->kind == CTREC_VAL_SEQUENCE ? val_sequence_open(en)
               : v->kind == CTREC_VAL_TUPLE  ? val_tuple_open(en)
                                             : val_struct_open(en);
        for (size_t i = 0; i < v->nchildren; i++) {
            enc_sep(en, i);
            if ((st = val(en, &v->children[i], depth + 1, e))) return st;
        }
        if (v->kind == CTREC_VAL_SEQUENCE)
            val_sequence_close(en, mark, v->nchildren, v->b, v->type_id);
        else if (v->kind == CTREC_VAL_TUPLE)
            val_tuple_close(en, mark, v->nchildren, v->type_id);
        else
            val_struct_close(en, mark, v->nchildren, v->type_id);
        return CTREC_OK;
    case CTREC_VAL_VARIANT:
        if (v->nchildren != 1 || !v->children)
            return err_set(e, CTREC_E_ARG, "a Variant needs exactly one contents value");
        val_variant_open(en, txt(v->text), v->text.len);
        if ((st = val(en, v->children, depth + 1, e))) return st;
        val_variant_close(en, v->type_id);
        return CTREC_OK;
    case CTREC_VAL_REFERENCE:
        if (v->nchildren != 1 || !v->children)
            return err_set(e, CTREC_E_ARG, "a Reference needs exactly one dereferenced value");
        val_reference_open(en);
        if ((st = val(en, v->children, depth + 1, e))) return st;
        val_reference_close(en, v->address, v->b, v->type_id);
        return CTREC_OK;
    default: break;
    }
    return err_set(e, CTREC_E_ARG, "unknown value kind %d", (int)v->kind);
}

static ctrec_status call(enc *en, const ctrec_ev *ev, buf *scratch, err *e)
{
    size_t n = ev->call.nargs;
    if (n && !ev->call.args) return err_set(e, CTREC_E_ARG, "NULL call arguments");
    ev_arg small[16];
    size_t offs_small[17];
    ev_arg *args = n <= 16 ? small : malloc(n * sizeof *args);
    size_t *offs = n <= 16 ? offs_small : malloc((n + 1) * sizeof *offs);
    ctrec_status st = CTREC_OK;
    if (!args || !offs) {
        st = err_set(e, CTREC_E_NOMEM, "out of memory");
        goto out;
    }
    enc se = *en;
    se.b = scratch;
    scratch->len = 0;
    for (size_t i = 0; i < n; i++) {
        offs[i] = scratch->len;
        if ((st = val(&se, ev->call.args[i].value, 1, e))) goto out;
    }
    offs[n] = scratch->len;
    if (scratch->oom) {
        st = err_set(e, CTREC_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        args[i] = (ev_arg){ev->call.args[i].variable_id, scratch->data + offs[i],
                           offs[i + 1] - offs[i]};
    ev_call(en, ev->call.function_id, args, n);
out:
    if (args != small) free(args);
    if (offs != offs_small) free(offs);
    return st;
}

ctrec_status evs_value(enc *en, const ctrec_value *v, err *e) { return val(en, v, 1, e); }

ctrec_status evs_encode(enc *en, const ctrec_ev *ev, buf *scratch, err *e)
{
    ctrec_status st = CTREC_OK;
    if (!ev) return err_set(e, CTREC_E_ARG, "NULL event");
    switch (ev->type) {
    case CTREC_EV_STEP:
        if (!ev->step.column) {
            ev_step(en, ev->step.path_id, ev->step.line);
            break;
        }
        enc_map(en, 1);
        ENC_KEY1(en, "Step");
        enc_map(en, 3);
        ENC_KEY1(en, "path_id");
        enc_uint(en, ev->step.path_id);
        ENC_KEY(en, "line");
        enc_int(en, ev->step.line);
        ENC_KEY(en, "column");
        enc_int(en, ev->step.column);
        enc_map_end(en);
        enc_map_end(en);
        break;
    case CTREC_EV_RAISE:
    case CTREC_EV_CATCH:
        enc_map(en, 1);
        if (ev->type == CTREC_EV_RAISE) ENC_KEY1(en, "Raise");
        else ENC_KEY1(en, "Catch");
        enc_map(en, ev->type == CTREC_EV_RAISE ? 2 : 1);
        ENC_KEY1(en, "type_id");
        enc_uint(en, ev->raise.type_id);
        if (ev->type == CTREC_EV_RAISE) {
            ENC_KEY(en, "message");
            enc_text(en, txt(ev->raise.message), ev->raise.message.len);
        }
        enc_map_end(en);
        enc_map_end(en);
        break;
    case CTREC_EV_SPAN: {
        /* docs/ct.md: the record's fields as stored */
        const ctrec_span *sp = ev->span;
        if (!sp) return err_set(e, CTREC_E_ARG, "NULL span");
        if (sp->metadata_count && !sp->metadata) return err_set(e, CTREC_E_ARG, "NULL span metadata");
        int ext = (sp->flags & 2) != 0;
        enc_map(en, 1);
        ENC_KEY1(en, "Span");
        enc_map(en, 14u + (ext ? 2u : 0u));
        ENC_KEY1(en, "span_id");
        enc_uint(en, sp->span_id);
        ENC_KEY(en, "parent_span_id");
        enc_uint(en, sp->parent_span_id);
        ENC_KEY(en, "flags");
        enc_uint(en, sp->flags);
        ENC_KEY(en, "status");
        enc_uint(en, sp->status);
        ENC_KEY(en, "start_wall_ns");
        enc_uint(en, sp->start_wall_ns);
        ENC_KEY(en, "end_wall_ns");
        enc_uint(en, sp->end_wall_ns);
        ENC_KEY(en, "process_ord");
        enc_uint(en, sp->process_ord);
        ENC_KEY(en, "thread_id");
        enc_uint(en, sp->thread_id);
        ENC_KEY(en, "start_step");
        enc_uint(en, sp->start_step);
        ENC_KEY(en, "end_step");
        enc_uint(en, sp->end_step);
        if (ext) {
            ENC_KEY(en, "external_recording");
            enc_text(en, txt(sp->external_recording), sp->external_recording.len);
            ENC_KEY(en, "external_path");
            enc_text(en, txt(sp->external_path), sp->external_path.len);
        }
        ENC_KEY(en, "span_type");
        enc_text(en, txt(sp->span_type), sp->span_type.len);
        ENC_KEY(en, "label");
        enc_text(en, txt(sp->label), sp->label.len);
        ENC_KEY(en, "structural");
        enc_uint(en, sp->structural);
        ENC_KEY(en, "metadata");
        enc_arr_n(en, sp->metadata_count);
        for (size_t i = 0; i < sp->metadata_count; i++) {
            enc_sep(en, i);
            enc_arr_n(en, 2);
            enc_text(en, txt(sp->metadata[2 * i]), sp->metadata[2 * i].len);
            enc_sep(en, 1);
            enc_text(en, txt(sp->metadata[2 * i + 1]), sp->metadata[2 * i + 1].len);
            enc_arr_n_end(en);
        }
        enc_arr_n_end(en);
        enc_map_end(en);
        enc_map_end(en);
        break;
    }
    case CTREC_EV_PATH: ev_path(en, txt(ev->text), ev->text.len); break;
    case CTREC_EV_VARIABLE_NAME: ev_variable_name(en, txt(ev->text), ev->text.len); break;
    case CTREC_EV_TYPE: {
        enum ev_type_info info = ev->type_def.info == CTREC_INFO_STRUCT    ? EV_INFO_STRUCT
                                 : ev->type_def.info == CTREC_INFO_POINTER ? EV_INFO_POINTER
                                                                       : EV_INFO_NONE;
        if ((unsigned)ev->type_def.kind >= CTREC_TYPE_KIND_COUNT)
            return err_set(e, CTREC_E_ARG, "type kind %d is not a TypeKind", (int)ev->type_def.kind);
        if (info == EV_INFO_STRUCT && ev->type_def.nfields && !ev->type_def.fields)
            return err_set(e, CTREC_E_ARG, "NULL struct fields");
        for (size_t i = 0; info == EV_INFO_STRUCT && i < ev->type_def.nfields; i++)
            if (!ev->type_def.fields[i].name && ev->type_def.fields[i].name_len)
                return err_set(e, CTREC_E_ARG, "NULL field name");
        ev_type(en, ev->type_def.kind, txt(ev->type_def.lang_type), ev->type_def.lang_type.len, info,
                ev->type_def.fields, info == EV_INFO_STRUCT ? ev->type_def.nfields : 0,
                ev->type_def.dereference_type_id);
        break;
    }
    case CTREC_EV_VALUE:
        ev_value_open(en, ev->value.variable_id);
        if ((st = val(en, ev->value.value, 1, e))) return st;
        ev_close_value_event(en);
        break;
    case CTREC_EV_FUNCTION:
        ev_function(en, ev->function.path_id, ev->function.line, txt(ev->function.name),
                    ev->function.name.len);
        break;
    case CTREC_EV_CALL: return call(en, ev, scratch, e);
    case CTREC_EV_RETURN:
        if (ev->ret.exception) {
            enc_map(en, 1);
            ENC_KEY1(en, "Return");
            enc_map(en, 2);
            ENC_KEY1(en, "return_value");
            if ((st = val(en, ev->ret.return_value, 1, e))) return st;
            ENC_KEY(en, "exception");
            if ((st = val(en, ev->ret.exception, 1, e))) return st;
            enc_map_end(en);
            enc_map_end(en);
            break;
        }
        ev_return_open(en);
        if ((st = val(en, ev->ret.return_value, 1, e))) return st;
        ev_close_value_event(en);
        break;
    case CTREC_EV_EVENT:
        if ((unsigned)ev->event.kind >= CTREC_EVENT_KIND_COUNT)
            return err_set(e, CTREC_E_ARG, "event kind %d is not an EventLogKind",
                           (int)ev->event.kind);
        ev_event(en, ev->event.kind, txt(ev->event.metadata), ev->event.metadata.len,
                 txt(ev->event.content), ev->event.content.len);
        break;
    case CTREC_EV_ASM:
        if (ev->asm_ins.count && !ev->asm_ins.instructions)
            return err_set(e, CTREC_E_ARG, "NULL instructions");
        for (size_t i = 0; i < ev->asm_ins.count; i++)
            if (!ev->asm_ins.instructions[i].ptr && ev->asm_ins.instructions[i].len)
                return err_set(e, CTREC_E_ARG, "NULL instruction text");
        ev_asm(en, ev->asm_ins.instructions, ev->asm_ins.count);
        break;
    case CTREC_EV_BIND_VARIABLE:
        EV_VAR_PLACE(en, "BindVariable", ev->var_place.variable_id, ev->var_place.place);
        break;
    case CTREC_EV_VARIABLE_CELL:
        EV_VAR_PLACE(en, "VariableCell", ev->var_place.variable_id, ev->var_place.place);
        break;
    case CTREC_EV_ASSIGNMENT:
        if (ev->assignment.count && !ev->assignment.from)
            return err_set(e, CTREC_E_ARG, "NULL ids");
        if (!ev->assignment.compound && ev->assignment.count != 1)
            return err_set(e, CTREC_E_ARG, "a Simple RValue needs exactly one id");
        ev_assign(en, ev->assignment.to, ev->assignment.pass_by, ev->assignment.compound,
                  ev->assignment.from, ev->assignment.count);
        break;
    case CTREC_EV_DROP_VARIABLES:
        if (ev->drop_variables.count && !ev->drop_variables.ids)
            return err_set(e, CTREC_E_ARG, "NULL ids");
        ev_drop_variables(en, ev->drop_variables.ids, ev->drop_variables.count);
        break;
    case CTREC_EV_COMPOUND_VALUE:
    case CTREC_EV_CELL_VALUE:
    case CTREC_EV_ASSIGN_CELL:
        if (ev->type == CTREC_EV_COMPOUND_VALUE)
            ev_place_value_open(en, "CompoundValue", 13, ev->place_value.place, "value", 5);
        else if (ev->type == CTREC_EV_CELL_VALUE)
            ev_place_value_open(en, "CellValue", 9, ev->place_value.place, "value", 5);
        else
            ev_place_value_open(en, "AssignCell", 10, ev->place_value.place, "new_value", 9);
        if ((st = val(en, ev->place_value.value, 1, e))) return st;
        ev_close_value_event(en);
        break;
    case CTREC_EV_ASSIGN_COMPOUND_ITEM:
        ev_assign_compound_item(en, ev->assign_compound_item.place, ev->assign_compound_item.index,
                                ev->assign_compound_item.item_place);
        break;
    case CTREC_EV_DROP_VARIABLE: EV_UNSIGNED(en, "DropVariable", ev->id); break;
    case CTREC_EV_THREAD_START: EV_UNSIGNED(en, "ThreadStart", ev->id); break;
    case CTREC_EV_THREAD_EXIT: EV_UNSIGNED(en, "ThreadExit", ev->id); break;
    case CTREC_EV_THREAD_SWITCH: EV_UNSIGNED(en, "ThreadSwitch", ev->id); break;
    case CTREC_EV_DROP_LAST_STEP: ev_drop_last_step(en); break;
    default: return err_set(e, CTREC_E_ARG, "unknown event type %d", (int)ev->type);
    }
    return st;
}

ctrec_status ctrec_event_to_json(const ctrec_ev *ev, ctrec_float_encoding floats, char **out,
                                 size_t *cap, size_t *len)
{
    if (!ev || !out || !cap || !len) return CTREC_E_ARG;
    buf b = {(uint8_t *)*out, 0, *out ? *cap : 0, 0};
    buf scratch = {0};
    enc en = {&b, 1, floats == CTREC_FLOAT_NUMBER, NULL, 0};
    err e = {0};
    ctrec_status st = evs_encode(&en, ev, &scratch, &e);
    buf_free(&scratch);
    if (!st) buf_byte(&b, 0);
    if (!st && b.oom) st = CTREC_E_NOMEM;
    *out = (char *)b.data;
    *cap = b.cap;
    *len = st || !b.len ? 0 : b.len - 1;
    return st;
}
