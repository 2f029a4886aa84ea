/*
 * validate.h — small strict validators for what the writer produces,
 * independent of the library: a JSON parser (RFC 8259, UTF-8 checked), a
 * CBOR item walker for the event stream of trace.bin and a trace.bin
 * container check (header, zstd frames, seek table). Used by the fuzz
 * harnesses and the reliability tests.
 */
#ifndef CTREC_TEST_VALIDATE_H
#define CTREC_TEST_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct vresult {
    int ok;              /* 1 when the whole input is valid */
    uint64_t items;      /* events (array elements / CBOR items) seen */
    unsigned max_depth;  /* deepest nesting of arrays/maps, the events' own
                            wrapper included (an event {"Step":{..}} is 2) */
    size_t err_at;       /* byte offset of the first problem */
    char msg[160];
} vresult;

/* Strict JSON: one value, optional surrounding whitespace. When it is an
 * array, r->items receives its number of elements. */
int v_json_value(const uint8_t *p, size_t n, vresult *r);

/* A trace.json: a JSON array whose elements are events (an object with
 * exactly one key naming a variant, or the string "DropLastStep"). */
int v_json_trace(const uint8_t *p, size_t n, vresult *r);

/* The event lines of a trace.json prefix as the writer writes them ("[",
 * then one event per line ending in ","): every complete line must be one
 * valid event. r->items receives the number of complete events. The last
 * line may lack its newline (the writer puts ",\n" before an event): it
 * counts if it holds a whole event and is ignored if not; a complete trace
 * ("]" line) is accepted too. */
int v_json_trace_prefix(const uint8_t *p, size_t n, vresult *r);

/* Concatenated CBOR events as trace.bin holds them once decompressed
 * (definite lengths, shortest integer forms, text keys, valid UTF-8). */
int v_cbor_events(const uint8_t *p, size_t n, vresult *r);

/* A whole trace.bin: header, zstd frames, seek table consistent with the
 * frames, and the decompressed stream valid per v_cbor_events. When
 * `complete` is 0 the seek table may be missing and the last frame may be
 * truncated (a killed recording): every complete frame must still be
 * valid, and r->items counts the events in them. `max_out` bounds the
 * decompressed size. */
int v_trace_bin(const uint8_t *p, size_t n, int complete, size_t max_out, vresult *r);

/* Reads a whole file (at most `max` bytes) into a malloc'd buffer. */
uint8_t *v_read_file(const char *path, size_t max, size_t *len);

#endif
