/*
 * event_struct.h — an event struct (ctrec_reader.h) spelled through the
 * writer's own event encoder (encode/events.c), so that events read back
 * are written exactly as the writer writes them. Used by
 * ctrec_event_to_json() and ctrec_write_event().
 */
#ifndef CTREC_ENCODE_EVENT_STRUCT_H
#define CTREC_ENCODE_EVENT_STRUCT_H

#include "ctrec/ctrec_reader.h"
#include "encode/events.h"
#include "util/err.h"

/* Appends `ev` at the encoder's position (no separator before it). `scratch` is a buffer for Call
 * arguments. On failure returns the status with a message in *e; the
 * encoder's buffer may then hold a partial event (the caller truncates). */
ctrec_status evs_encode(enc *en, const ctrec_ev *ev, buf *scratch, err *e);

/* Appends the ValueRecord v alone (the .ct backend takes values bare). */
ctrec_status evs_value(enc *en, const ctrec_value *v, err *e);

#endif
