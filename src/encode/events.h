/*
 * events.h — every event variant and ValueRecord kind of FORMAT.md section
 * 2, described once over the encoder primitives, in the reference field
 * order. Nothing here checks ids or nesting: the model layer (writer.c) does.
 */
#ifndef CTREC_ENCODE_EVENTS_H
#define CTREC_ENCODE_EVENTS_H

#include "enc.h"

/* Definitions */
void ev_path(enc *e, const char *p, size_t n);
void ev_variable_name(enc *e, const char *p, size_t n);
void ev_function(enc *e, ctrec_id path_id, int64_t line, const char *name, size_t n);

enum ev_type_info { EV_INFO_NONE, EV_INFO_STRUCT, EV_INFO_POINTER };
void ev_type(enc *e, ctrec_type_kind kind, const char *lang, size_t n, enum ev_type_info info,
             const ctrec_field *fields, size_t nfields, ctrec_id deref_type);

/* Events without values */
void ev_step(enc *e, ctrec_id path_id, int64_t line);
void ev_event(enc *e, ctrec_event_kind kind, const char *meta, size_t mn, const char *content,
              size_t cn);
void ev_asm(enc *e, const ctrec_str *ins, size_t count);
void ev_var_place(enc *e, const char *variant, size_t vn, ctrec_id var, int64_t place);
#define EV_VAR_PLACE(e, lit, var, place) ev_var_place((e), (lit), sizeof(lit) - 1, (var), (place))
void ev_drop_variables(enc *e, const ctrec_id *ids, size_t count);
void ev_assign_compound_item(enc *e, int64_t place, uint64_t index, int64_t item_place);
void ev_assign(enc *e, ctrec_id to, ctrec_pass_by pass_by, int compound, const ctrec_id *from,
               size_t count);
/* DropVariable, ThreadStart, ThreadExit, ThreadSwitch: {"Name": n}. */
void ev_unsigned(enc *e, const char *variant, size_t vn, uint64_t v);
#define EV_UNSIGNED(e, lit, v) ev_unsigned((e), (lit), sizeof(lit) - 1, (v))
void ev_drop_last_step(enc *e);

/* Events carrying one value: the open part, then the value, then the close. */
void ev_value_open(enc *e, ctrec_id var);
void ev_return_open(enc *e);
/* CompoundValue / CellValue {place, value} and AssignCell {place, new_value}. */
void ev_place_value_open(enc *e, const char *variant, size_t vn, int64_t place,
                         const char *key, size_t kn);
void ev_close_value_event(enc *e);
/* Return {return_value: None of type_id}, whole. */
void ev_return_none(enc *e, ctrec_id type_id);

/* Call {function_id, args: [{variable_id, value}...]} from values already
 * encoded by the same encoder. */
typedef struct ev_arg {
    ctrec_id var;
    const uint8_t *value;
    size_t len;
} ev_arg;
void ev_call(enc *e, ctrec_id function_id, const ev_arg *args, size_t nargs);
/* Value {variable_id, value} from an already encoded value. */
void ev_value_encoded(enc *e, ctrec_id var, const uint8_t *value, size_t len);

/* ValueRecord leaves */
void val_int(enc *e, int64_t i, ctrec_id type_id);
int val_float(enc *e, double f, ctrec_id type_id); /* -1: not representable */
void val_bool(enc *e, int b, ctrec_id type_id);
/* String {text}, Raw {r}, Error {msg}, Char {c}. */
enum val_text_kind { VAL_STRING, VAL_RAW, VAL_ERROR, VAL_CHAR };
void val_text(enc *e, enum val_text_kind k, const char *p, size_t n, ctrec_id type_id);
void val_none(enc *e, ctrec_id type_id);
void val_cell(enc *e, int64_t place);
void val_bigint(enc *e, const uint8_t *mag, size_t n, int negative, ctrec_id type_id);

/* ValueRecord compounds: open returns the mark of the item list (if any),
 * close takes the item count and the fields that follow the items. */
size_t val_sequence_open(enc *e);
void val_sequence_close(enc *e, size_t mark, uint64_t count, int is_slice, ctrec_id type_id);
size_t val_tuple_open(enc *e);
void val_tuple_close(enc *e, size_t mark, uint64_t count, ctrec_id type_id);
size_t val_struct_open(enc *e);
void val_struct_close(enc *e, size_t mark, uint64_t count, ctrec_id type_id);
void val_variant_open(enc *e, const char *disc, size_t n);
void val_variant_close(enc *e, ctrec_id type_id);
void val_reference_open(enc *e);
void val_reference_close(enc *e, uint64_t address, int is_mutable, ctrec_id type_id);

#endif
