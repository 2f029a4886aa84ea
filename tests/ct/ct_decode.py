#!/usr/bin/python3
"""Independent decoder of CodeTracer CTFS (`.ct`) containers.

Written from ../shared/FORMAT.md section 7 and from reading the reference
implementations (metacraft-labs/codetracer-trace-format-nim: src/codetracer_ctfs/,
src/codetracer_trace_writer/{new_trace_reader,meta_dat,step_encoding,exec_stream,
value_stream,call_stream,io_event_stream,interning_table,cbor,split_binary}.nim;
metacraft-labs/codetracer src/db-backend/src/ctfs_trace_reader/{mod,meta_dat,
span_stream}.rs), never from ctrec's C code.  Its purpose is to check ctrec's
`.ct` reader and writer: tests compare its summary with the one
ctrec_summary.py builds from `ctrec print`.

Usage:
  ct_decode.py TRACE.ct                 normalized JSON summary on stdout
  ct_decode.py --layout events-log|multi-stream TRACE.ct
                                        the same, of one layout of a container
                                        that has both
  ct_decode.py --lenient [--layout L] TRACE.ct
                                        a killed recording: streams stop at the
                                        first missing or damaged chunk (noted)
  ct_decode.py --members TRACE.ct       the root entries (name, size, map block)
  ct_decode.py --cat TRACE.ct MEMBER    one member's bytes on stdout

The container is read block by block through the mapping chains (the file is
never loaded whole).  Requires python3-zstandard and python3-cbor2 (Debian).
Layers: ctfs_container.py (container, varints, record tables, chunked
streams), ct_meta.py (meta.dat), ct_positions.py (step positions),
ct_cbor.py (values), ct_extras.py (spans, span types, step map, source views),
ct_events_log.py (the older events.log layouts); this file decodes the
multi-stream layout into the summary.
"""

import json
import struct
import sys

import zstandard

from ct_cbor import Tag, cbor_plain, cbor_value
from ct_extras import decode_source_views, decode_span_types, decode_spans, decode_step_map
from ct_meta import META_FLAGS, parse_meta_dat
from ct_normalize import norm_value, summary_to_json, write_summary
from ct_positions import LINES_PER_FILE, PositionDecoder, line_only, parse_column_paths
from ctfs_container import (MAX_CHUNK, Container, CtError, base40_decode, base40_encode,
                            chunk_index, chunks, inflate, length_prefixed, record_table,
                            svarint, text, uv_prefixed, uvarint, vstring)

# What other tools and the tests use as ct_decode.X (some names come from
# the layers below: the container, CBOR, positions, the extra members).
__all__ = ["decode", "parse_meta_dat", "announce_calls", "decode_exec", "CtError",
           "Container", "record_table", "base40_decode", "base40_encode", "inflate",
           "chunks", "chunk_index", "text", "cbor_plain", "cbor_value", "Tag", "line_only",
           "LINES_PER_FILE", "MAX_CHUNK", "PositionDecoder", "summary_to_json", "META_FLAGS"]


# ------------------------------------------------------------- calls.dat

def calls_chunks(ct):
    """calls.dat with calls.idx; without an index (Nim writes the index last,
    a killed trace may lack it) the frames are walked one after another."""
    if ct.has("calls.idx"):
        yield from chunks(ct, "calls")
        return
    if ct.has("calls.off"):
        # the record-table framing (calls.dat/.off, one record per call)
        # that the reference reader falls back to without calls.idx
        for i, r in enumerate(record_table(ct, "calls")):
            yield i, -1, uv_prefixed(r)
        return
    dat = ct.read("calls.dat")
    pos, i = 0, 0
    while pos < len(dat):
        try:
            params = zstandard.get_frame_parameters(dat[pos:])
        except zstandard.ZstdError as e:
            raise CtError("calls.dat: bad zstd frame at offset %d: %s" % (pos, e))
        obj = zstandard.ZstdDecompressor().decompressobj()
        out = obj.decompress(dat[pos:])
        used = len(dat) - pos - len(obj.unused_data)
        if params.content_size not in (zstandard.CONTENTSIZE_UNKNOWN, len(out)):
            raise CtError("calls.dat: frame at offset %d inflates to %d, not %d"
                          % (pos, len(out), params.content_size))
        yield i, pos, out
        pos += used
        i += 1


# ------------------------------------------------------- step stream

TAGS = {0: "absolute", 1: "delta", 2: "raise", 3: "catch", 4: "thread_switch",
        5: "thread_start", 6: "thread_exit", 7: "delta_column"}


def legacy_step_chunks(ct):
    """steps.dat framing before meta.dat bit 9 (has_step_stream): steps.idx is
    u32 chunk size, u64 placeholder, u64 offsets, u64 total events; each
    inflated chunk starts with its u32 event count."""
    idx = ct.read("steps.idx")
    if len(idx) < 20 or (len(idx) - 20) % 8:
        raise CtError("steps.idx (legacy): size %d is not 20 + 8*n" % len(idx))
    per_chunk = struct.unpack_from("<I", idx, 0)[0]
    offs = list(struct.unpack_from("<%dQ" % ((len(idx) - 20) // 8), idx, 12))
    total = struct.unpack_from("<Q", idx, len(idx) - 8)[0]
    if per_chunk == 0:
        raise CtError("steps.idx (legacy): 0 records per chunk")
    n = len(offs)
    if (n and not (n - 1) * per_chunk < total <= n * per_chunk) or (not n and total):
        raise CtError("steps.idx (legacy): total %d does not fit %d chunks of %d"
                      % (total, n, per_chunk))
    dat = ct.read("steps.dat")
    out = []
    for i, a in enumerate(offs):
        z = offs[i + 1] if i + 1 < len(offs) else len(dat)
        if a > z or z > len(dat):
            raise CtError("steps.idx: chunk %d spans %d..%d outside steps.dat" % (i, a, z))
        payload = inflate("steps.dat", dat[a:z], a)
        if len(payload) < 4:
            raise CtError("steps.dat: legacy chunk @%d without its count" % a)
        out.append((i, a, payload[4:], struct.unpack_from("<I", payload, 0)[0]))
    return per_chunk, out, total


def decode_exec(ct, legacy=False):
    """All exec events of steps.dat as tuples:
    ("pos", gli)  for absolute / delta / delta_column (the running global
                   position index after the event)
    ("raise", type_id, message bytes), ("catch", type_id),
    ("thread_switch"|"thread_start"|"thread_exit", thread_id).
    The running index carries across chunks (each chunk starts absolute)."""
    events = []
    gli = 0
    if legacy:
        per_chunk, parts, total = legacy_step_chunks(ct)
    else:
        per_chunk, _ = chunk_index(ct, "steps")
        parts = [(ci, off, payload, None) for ci, off, payload in chunks(ct, "steps")]
        total = None
    for ci, off, payload, declared in parts:
        pos, n, count = 0, len(payload), 0
        where = "steps.dat"
        while pos < n:
            tag = payload[pos]
            pos += 1
            if tag == 0:
                gli, pos = uvarint(payload, pos, where)
                events.append(("pos", gli))
            elif tag == 1 or tag == 7:
                d, pos = svarint(payload, pos, where)
                gli += d
                if gli < 0:
                    raise CtError("steps.dat: position below 0 (chunk @%d)" % off)
                events.append(("pos", gli) if tag == 1 else ("pos", gli, "column"))
            elif tag == 2:
                t, pos = uvarint(payload, pos, where)
                msg, pos = vstring(payload, pos, "steps.dat raise message")
                events.append(("raise", t, msg))
            elif tag == 3:
                t, pos = uvarint(payload, pos, where)
                events.append(("catch", t))
            elif tag in (4, 5, 6):
                t, pos = uvarint(payload, pos, where)
                events.append((TAGS[tag], t))
            else:
                raise CtError("steps.dat: unknown step tag %d (chunk @%d, pos %d)"
                              % (tag, off, pos - 1))
            count += 1
        if count > per_chunk:
            raise CtError("steps.dat: chunk @%d holds %d records, index says %d per chunk"
                          % (off, count, per_chunk))
        if declared is not None and declared != count:
            raise CtError("steps.dat: legacy chunk @%d says %d events, holds %d"
                          % (off, declared, count))
        if declared is not None and ci + 1 < len(parts) and count != per_chunk:
            # readEvent(n) finds step n in chunk n // chunk_size
            raise CtError("steps.dat: legacy chunk @%d holds %d events, not %d"
                          % (off, count, per_chunk))
    if total is not None and total != len(events):
        raise CtError("steps.idx: legacy total %d, events %d" % (total, len(events)))
    return events


# ------------------------------------------------------ the whole trace

def decode_multi_stream(ct):
    out = {"layout": "multi-stream"}
    notes = []
    meta = parse_meta_dat(ct.read("meta.dat")) if ct.has("meta.dat") else None
    if meta is None:
        notes.append("no meta.dat")
        meta = {}
    flags = meta.get("meta_flags", 0)

    # Interning tables.
    def table(base):
        if ct.has(base + ".dat") and ct.has(base + ".off"):
            return record_table(ct, base)
        return []

    path_recs = table("paths")
    col = parse_column_paths(path_recs) if path_recs else None
    column_aware = bool(flags & 0x10)
    if column_aware and col is None and path_recs:
        raise CtError("paths.dat: meta.dat says column-aware but a record is not "
                      "path_len/path/line_count/line_lengths")
    if col is not None and not column_aware:
        # The reference reader promotes such a trace to column-aware (a writer
        # bug left bit 4 clear); say so.
        notes.append("paths.dat parses as column-aware although meta.dat bit 4 is clear")
        column_aware = True
    if column_aware and col is not None:
        paths, line_tables = col
    else:
        paths, line_tables = [text(r) for r in path_recs], None
    if not paths and meta.get("paths"):
        paths = list(meta["paths"])
        notes.append("paths taken from meta.dat")
    funcs = [text(r) for r in table("funcs")]
    types = [text(r) for r in table("types")]
    varnames = [text(r) for r in table("varnames")]
    out.update(paths=paths, functions=funcs, types=types, varnames=varnames)

    # Steps.
    legacy_steps = not flags & 0x200
    exec_events = decode_exec(ct, legacy_steps) if ct.has("steps.dat") else []
    if legacy_steps and exec_events:
        notes.append("steps.dat in the framing before meta.dat bit 9 (legacy)")
    decoder = None
    if column_aware and line_tables is not None and any(line_tables):
        decoder = PositionDecoder(line_tables)
    steps = []
    exec_to_step = []     # exec index -> index of the latest position step (-1: none)
    step_exec = []        # step index -> exec index
    specials = {"raises": [], "catches": [], "threads": []}
    cur = -1
    for ei, ev in enumerate(exec_events):
        kind = ev[0]
        if kind == "pos":
            gli = ev[1]
            loc = decoder.decode(gli) if decoder else None
            if loc is not None:
                pid, line, column = loc
            else:
                pid, line = line_only(gli, len(paths))
                column = None
            pname = paths[pid] if pid < len(paths) else "#%d" % pid
            steps.append([pname, line, column])
            step_exec.append(ei)
            cur = len(steps) - 1
        elif kind == "raise":
            specials["raises"].append({"step": cur, "type": tname(types, ev[1]),
                                       "message": text(ev[2])})
        elif kind == "catch":
            specials["catches"].append({"step": cur, "type": tname(types, ev[1])})
        else:
            specials["threads"].append({"step": cur, "kind": kind, "thread_id": ev[1]})
        exec_to_step.append(cur)
    out["steps"] = steps

    # Values: one record per exec event.
    values = [dict() for _ in steps]
    legacy_values = not flags & 0x400 and ct.has("values.off")
    if legacy_values or (ct.has("values.dat") and ct.has("values.idx")):
        rec_no = 0
        cache = {}
        if legacy_values:
            # before meta.dat bit 10: values.dat/.off, one record per exec
            # event: varint count, {varname id, type id, len, CBOR}
            notes.append("values.dat in the record-table framing before bit 10 (legacy)")
            recs = (("legacy", r) for r in record_table(ct, "values"))
        else:
            recs = (rec for ci, off, payload in chunks(ct, "values")
                    for rec in length_prefixed("values.dat", payload, off))
        for rec in recs:
            if isinstance(rec, tuple):
                vals = decode_legacy_values(rec[1], rec_no, varnames, types)
            else:
                vals = decode_value_record(rec, rec_no, varnames, types, cache)
            if rec_no < len(exec_to_step):
                si = exec_to_step[rec_no]
                if vals and (si < 0 or step_exec[si] != rec_no):
                    # values recorded at a raise/catch/thread event
                    kind = exec_events[rec_no][0]
                    specials.setdefault("values_at_" + kind, []).append(
                        {"step": si, "values": [list(nv) for nv in vals]})
                elif vals:
                    merge_values(values[si], vals)
            elif vals:
                notes.append("values record %d has no step" % rec_no)
            rec_no += 1
        if rec_no != len(exec_events):
            notes.append("values.dat holds %d records for %d exec events"
                         % (rec_no, len(exec_events)))
    out["values"] = values

    # Calls.
    calls = []
    if ct.has("calls.dat"):
        key = 0
        for ci, off, payload in calls_chunks(ct):
            for rec in length_prefixed("calls.dat", payload, off):
                calls.append(decode_call(rec, key, funcs, varnames, types))
                key += 1
    announce_calls(calls, exec_to_step, len(exec_events), notes)
    out["calls"] = calls

    # I/O events.
    events = []
    if not flags & 0x800 and ct.has("events.off") and ct.has("events.dat"):
        # before meta.dat bit 11: events.dat/.off, u8 kind, varint step,
        # varint-length content (no metadata)
        notes.append("events.dat in the record-table framing before bit 11 (legacy)")
        # The kind byte of that framing is the Nim IOEventKind (0 stdout,
        # 1 stderr, 2 file op, 3 error; io_event_stream.nim before 54b984a,
        # decodeLegacyIOEvent today, which refuses others); the EventLogKind
        # given for it is ioEventKindToOrdinal's: Write, TraceLogEvent,
        # ReadFile, Error.
        for n, rec in enumerate(record_table(ct, "events")):
            if not rec:
                raise CtError("events.dat: event %d is empty" % n)
            if rec[0] > 3:
                raise CtError("events.dat: event %d: kind %d is not one of the older "
                              "framing's four" % (n, rec[0]))
            step, pos = uvarint(rec, 1, "events.dat step")
            content, pos = vstring(rec, pos, "events.dat content")
            # (bytes after the content are read past, as the reference does)
            events.append({"kind": LEGACY_EVENT_KIND[rec[0]],
                           "step": map_step(exec_to_step, len(exec_events), step, "event"),
                           "metadata": "", "content": text(content)})
    elif ct.has("events.dat") and ct.has("events.idx"):
        n = 0
        for ci, off, payload in chunks(ct, "events"):
            for rec in length_prefixed("events.dat", payload, off):
                events.append(decode_io_event(rec, n, exec_to_step, len(exec_events)))
                n += 1
    out["events"] = events

    if ct.has("spans.dat") and ct.has("spans.idx"):
        out["spans"] = decode_spans(ct)
    if ct.has("spantype.ns"):
        out["span_types"] = decode_span_types(ct.read("spantype.ns"))
    if ct.has("step-map.ns"):
        out["step_map"] = decode_step_map(ct.read("step-map.ns"), paths, exec_events,
                                          exec_to_step, steps, notes)
    if flags & 0x20 or (ct.has("srcviews.dat") and ct.has("srcviews.off")):
        out["source_views"] = decode_source_views(ct, paths)
    for k, v in specials.items():
        if v:
            out[k] = v
    out["metadata"] = meta
    if notes:
        out["notes"] = notes
    return out


def tname(types, tid):
    return types[tid] if tid < len(types) else "#%d" % tid


def merge_values(d, vals):
    for name, v in vals:
        k, n = name, 2
        while k in d:
            k = "%s#%d" % (name, n)
            n += 1
        d[k] = v


def decode_value_record(rec, rec_no, varnames, types, cache):
    """values.dat record: empty, or groups of tag 0, varint count,
    {varint varname_id, varint len, CBOR ValueRecord}.  `cache` maps a
    value's CBOR bytes to its normalized form (recorded values repeat a lot
    from step to step; the normalized values are never modified)."""
    vals = []
    pos, n = 0, len(rec)
    nv = len(varnames)
    while pos < n:
        tag = rec[pos]
        pos += 1
        if tag != 0:
            raise CtError("values.dat: record %d: unknown tag %d" % (rec_no, tag))
        count, pos = uvarint(rec, pos, "values.dat count")
        for _ in range(count):
            vid = rec[pos] if pos < n else 0x80
            if vid < 0x80:
                pos += 1
            else:
                vid, pos = uvarint(rec, pos, "values.dat varname")
            ln = rec[pos] if pos < n else 0x80
            if ln < 0x80 and pos + 1 + ln <= n:
                blob = rec[pos + 1:pos + 1 + ln]
                pos += 1 + ln
            else:
                blob, pos = vstring(rec, pos, "values.dat value")
            name = varnames[vid] if vid < nv else "#%d" % vid
            v = cache.get(blob)
            if v is None:
                v = norm_value(cbor_value("values.dat", blob, "record %d" % rec_no), types)
                if len(cache) < 1_000_000:
                    cache[blob] = v
            vals.append((name, v))
    return vals


LEGACY_EVENT_KIND = (0, 12, 4, 11)


def decode_legacy_values(rec, rec_no, varnames, types):
    """values.dat record of the record-table framing (value_stream.nim
    before 317c809): empty (no values), or varint count, count x {varint
    varname id, varint type id, varint length, CBOR}.  The type id repeats
    the CBOR value's own; bytes after the values are refused (the reference
    ignores them)."""
    vals = []
    if not rec:
        return vals
    count, pos = uvarint(rec, 0, "values.dat count")
    for _ in range(count):
        vid, pos = uvarint(rec, pos, "values.dat varname")
        _tid, pos = uvarint(rec, pos, "values.dat type")
        blob, pos = vstring(rec, pos, "values.dat value")
        name = varnames[vid] if vid < len(varnames) else "#%d" % vid
        vals.append((name, norm_value(cbor_value("values.dat", blob, "record %d" % rec_no),
                                      types)))
    if pos != len(rec):
        raise CtError("values.dat: record %d has %d trailing bytes" % (rec_no, len(rec) - pos))
    return vals


def map_step(exec_to_step, n_exec, s, what):
    if s >= n_exec:
        return {"out_of_range": s}
    return exec_to_step[s]


def announce_calls(calls, exec_to_step, n_exec, notes):
    """Entry and exit steps as the event sequence of docs/ct.md shows them.
    The reader announces call records in calls.dat order, each at the first
    record N >= its entry step (and not before the call announced before
    it): a call without a step of its own, which the Nim writer records at
    the step before its parent's first step, is announced after its parent.
    Its Return comes at the first N >= its exit step and >= its
    announcement, and a parent returns after its children.  Then the exec
    record index is mapped to the summary's step (the latest Step).  A call
    whose steps differ from the file's gets a note."""
    prev = 0
    for c in calls:
        e = c["entry_step"]
        c["_file"] = (c["entry_step"], c["exit_step"])
        if isinstance(e, int):
            prev = max(prev, e)
            c["entry_step"] = prev
        if isinstance(c["exit_step"], int):
            c["exit_step"] = max(c["exit_step"], c["entry_step"])
    for c in reversed(calls):
        p = c["parent"]
        if p is not None and 0 <= p < len(calls) and isinstance(c["exit_step"], int) \
                and isinstance(calls[p]["exit_step"], int):
            calls[p]["exit_step"] = max(calls[p]["exit_step"], c["exit_step"])
    moved = 0
    for k, c in enumerate(calls):
        fe, fx = c.pop("_file")
        if (fe, fx) != (c["entry_step"], c["exit_step"]):
            moved += 1
        c["entry_step"] = map_step(exec_to_step, n_exec, c["entry_step"], "entry")
        c["exit_step"] = map_step(exec_to_step, n_exec, c["exit_step"], "exit")
    if moved:
        notes.append("%d call(s) announced or returned later than their recorded "
                     "entry/exit step (calls without a step of their own)" % moved)


def decode_call(rec, key, funcs, varnames, types):
    """calls.dat record: function id, zigzag parent key (-1 root), entry step,
    exit step, depth, args {varname id, len, CBOR}, return (len + CBOR, or
    the one byte FF for none), exception (len + CBOR, empty for none),
    children keys."""
    w = "calls.dat"
    pos = 0
    fid, pos = uvarint(rec, pos, w)
    parent, pos = svarint(rec, pos, w)
    entry, pos = uvarint(rec, pos, w)
    exit_, pos = uvarint(rec, pos, w)
    depth, pos = uvarint(rec, pos, w)
    nargs, pos = uvarint(rec, pos, w)
    args = {}
    for _ in range(nargs):
        vid, pos = uvarint(rec, pos, w)
        blob, pos = vstring(rec, pos, "calls.dat arg")
        name = varnames[vid] if vid < len(varnames) else "#%d" % vid
        # An empty argument value is read as None by the debugger.
        v = norm_value(cbor_value(w, blob, "call %d" % key), types) if blob else None
        k, n = name, 2
        while k in args:
            k = "%s#%d" % (name, n)
            n += 1
        args[k] = v
    ret, pos = vstring(rec, pos, "calls.dat return")
    exc, pos = vstring(rec, pos, "calls.dat exception")
    nchild, pos = uvarint(rec, pos, w)
    children = []
    for _ in range(nchild):
        c, pos = uvarint(rec, pos, w)
        children.append(c)
    if pos != len(rec):
        raise CtError("calls.dat: call %d has %d trailing bytes" % (key, len(rec) - pos))
    c = {
        "function": funcs[fid] if fid < len(funcs) else "#%d" % fid,
        "args": args,
        # No return value (the byte FF) is the None of type 0 the event
        # model gives it (docs/ct.md), so it compares equal to ctrec print.
        "return": norm_value({"kind": "None", "type_id": 0}, types) if ret in (b"", b"\xff")
        else norm_value(cbor_value(w, ret, "call %d return" % key), types),
        "entry_step": entry,
        "exit_step": exit_,
        "parent": None if parent < 0 else parent,
        "depth": depth,
    }
    if exc:
        c["exception"] = norm_value(cbor_value(w, exc, "call %d exception" % key), types)
    c["children"] = children
    return c


def decode_io_event(rec, n, exec_to_step, n_exec):
    """events.dat record: u8 kind (EventLogKind), varint step, varint-length
    metadata, varint-length content."""
    if not rec:
        raise CtError("events.dat: event %d is empty" % n)
    kind = rec[0]
    step, pos = uvarint(rec, 1, "events.dat step")
    md, pos = vstring(rec, pos, "events.dat metadata")
    content, pos = vstring(rec, pos, "events.dat content")
    if pos != len(rec):
        raise CtError("events.dat: event %d has %d trailing bytes" % (n, len(rec) - pos))
    return {"kind": kind, "step": map_step(exec_to_step, n_exec, step, "event"),
            "metadata": text(md), "content": text(content)}


def decode(path, layout=None, lenient=False):
    """Summary of the container at `path`.  layout: None (multi-stream when
    steps.dat exists, else events.log), "multi-stream" or "events-log" (for a
    container that has both, as the Elixir recorder writes).  lenient: read
    a killed recording's consistent prefix (streams stop at the first chunk
    that is missing or damaged; notes say where) instead of refusing it."""
    ct = Container(path)
    ct.lenient = lenient
    try:
        return _decode(ct, path, layout)
    finally:
        ct.f.close()


def _decode(ct, path, layout):
    if layout is None:
        layout = "multi-stream" if ct.has("steps.dat") else "events-log"
    if layout == "multi-stream" and ct.has("steps.dat"):
        s = decode_multi_stream(ct)
    elif layout == "events-log" and ct.has("events.log"):
        import ct_events_log
        s = ct_events_log.decode(ct)
    else:
        raise CtError("%s: no %s layout (neither steps.dat nor events.log)" % (path, layout)
                      if layout not in ("multi-stream", "events-log") or not
                      (ct.has("steps.dat") or ct.has("events.log"))
                      else "%s: no %s layout here" % (path, layout))
    if ct.notes:
        s.setdefault("notes", []).extend(ct.notes)
    s["container"] = ct.header()
    s["members"] = [[name, size] for _, name, size, _ in ct.entries]
    if ct.has("steps.dat") and ct.has("events.log"):
        s.setdefault("notes", []).append(
            "both steps.dat and events.log (the debugger reads events.log when it is "
            "present); this summary is of the %s layout" % layout)
    return s


def main(argv):
    if len(argv) >= 2 and argv[1] == "--members":
        ct = Container(argv[2])
        print(json.dumps({"container": ct.header(),
                          "members": [{"name": n, "size": s, "map_block": m}
                                      for _, n, s, m in ct.entries]}, indent=1))
        return 0
    if len(argv) >= 2 and argv[1] == "--cat":
        ct = Container(argv[2])
        sys.stdout.buffer.write(ct.read(argv[3]))
        return 0
    layout = None
    lenient = False
    if len(argv) >= 2 and argv[1] == "--lenient":
        lenient = True
        argv = argv[:1] + argv[2:]
    if len(argv) == 4 and argv[1] == "--layout":
        layout = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        s = decode(argv[1], layout, lenient)
    except CtError as e:
        sys.stderr.write("ct_decode: %s\n" % e)
        return 1
    write_summary(s, sys.stdout.write)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
