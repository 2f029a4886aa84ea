"""Members of a multi-stream `.ct` that ctrec's reader does not turn into
events (docs/ct.md) but the decoder reads and reports: source views
(srcviews.dat/.off), span types (spantype.ns), the step map (step-map.ns),
spans (spans.dat/.idx).  Formats from the db-backend's span_stream.rs and
step_map_namespace.rs and the Nim new_trace_reader.nim.
"""

import struct

from ct_positions import line_only
from ctfs_container import (CtError, inflate, length_prefixed, record_table, text,
                            uvarint, vstring)


def decode_source_views(ct, paths):
    """srcviews.dat/.off (meta.dat bit 5; 'source_views' does not fit in 12
    base40 characters): varint path id, u8 view kind, varint-length view
    name, content and source map."""
    views = []
    for i, r in enumerate(record_table(ct, "srcviews")):
        pid, pos = uvarint(r, 0, "srcviews.dat path")
        if pos >= len(r):
            raise CtError("srcviews.dat: record %d: view kind missing" % i)
        kind = r[pos]
        name, pos = vstring(r, pos + 1, "srcviews.dat name")
        content, pos = vstring(r, pos, "srcviews.dat content")
        smap, pos = vstring(r, pos, "srcviews.dat source map")
        views.append({"path": paths[pid] if pid < len(paths) else "#%d" % pid,
                      "view_kind": kind, "view_name": text(name),
                      "content": text(content), "source_map": text(smap)})
    return views


def decode_span_types(b):
    """spantype.ns: 'SPTY' as u32 LE, u16 version 1, u32 type count, u64
    table offset; entries of 28 bytes: u32 type id, u32 name length, u64 name
    offset, u32 span count, u64 offset of the u64 span ids."""
    w = "spantype.ns"
    if len(b) < 18 or struct.unpack_from("<I", b, 0)[0] != 0x53505459:
        raise CtError("spantype.ns: bad magic at offset 0")
    ver, n, table = struct.unpack_from("<HIQ", b, 4)
    if ver != 1:
        raise CtError("spantype.ns: version %d at offset 4, expected 1" % ver)
    if table < 18 or table + 28 * n > len(b):
        raise CtError("%s: type table (%d entries at %d) outside %d bytes" % (w, n, table, len(b)))
    out = []
    for i in range(n):
        tid, nlen, noff, cnt, soff = struct.unpack_from("<IIQIQ", b, table + 28 * i)
        if noff + nlen > len(b) or soff + 8 * cnt > len(b):
            raise CtError("%s: entry %d points outside the member" % (w, i))
        out.append({"type_id": tid, "name": text(b[noff:noff + nlen]),
                    "span_ids": list(struct.unpack_from("<%dQ" % cnt, b, soff))})
    return out


def decode_step_map(b, paths, exec_events, exec_to_step, steps, notes):
    """step-map.ns (breakpoint index): 'STMP' as u32 LE, u16 version 1, u32
    path count, u64 path table offset; path entries (u64 path id, u32 line
    count, u64 line table offset); line entries (u32 line, u32 step count,
    i64 first, i64 last, u64 offset of the i64 step ids).  Step ids are exec
    record indices; they are mapped to the summary's steps, and checked
    against them (a note says where they disagree)."""
    w = "step-map.ns"
    if len(b) < 18 or struct.unpack_from("<I", b, 0)[0] != 0x53544D50:
        raise CtError("step-map.ns: bad magic at offset 0")
    ver, npaths, ptab = struct.unpack_from("<HIQ", b, 4)
    if ver != 1:
        raise CtError("step-map.ns: version %d at offset 4, expected 1" % ver)
    if ptab + 20 * npaths > len(b):
        raise CtError("%s: path table outside the member" % w)
    out = []
    bad = None
    gli_ok = True   # every entry explained as path 0 + global line index?
    for i in range(npaths):
        pid, nlines, ltab = struct.unpack_from("<QIQ", b, ptab + 20 * i)
        if ltab + 32 * nlines > len(b):
            raise CtError("%s: line table of path %d outside the member" % (w, pid))
        pname = paths[pid] if pid < len(paths) else "#%d" % pid
        for j in range(nlines):
            line, cnt, first, last, soff = struct.unpack_from("<IIqqQ", b, ltab + 32 * j)
            if soff + 8 * cnt > len(b):
                raise CtError("%s: step list of %s:%d outside the member" % (w, pname, line))
            ids = list(struct.unpack_from("<%dq" % cnt, b, soff))
            mapped = []
            for e in ids:
                si = exec_to_step[e] if 0 <= e < len(exec_to_step) else None
                mapped.append(si if si is not None else {"out_of_range": e})
                ok = si is not None and si >= 0 and exec_events[e][0] == "pos"
                if bad is None and (not ok or steps[si][:2] != [pname, line]):
                    bad = "%s:%d lists exec record %d" % (pname, line, e)
                gp, gl = line_only(line, len(paths))
                if not ok or pid != 0 or gp >= len(paths) or steps[si][:2] != [paths[gp], gl]:
                    gli_ok = False
            if cnt and (ids[0] != first or ids[-1] != last):
                bad = bad or "%s:%d first/last %d/%d, list %d..%d" % (pname, line, first, last,
                                                                       ids[0], ids[-1])
            out.append([pname, line, mapped])
    if bad and gli_ok:
        notes.append("step-map.ns files every step under path 0 with its global line "
                     "index (path_id * 100000 + line) as the line; so read, it agrees "
                     "with steps.dat")
    elif bad:
        notes.append("step-map.ns disagrees with steps.dat: " + bad)
    return out


def decode_spans(ct):
    """spans.dat records (spans.idx v2: u32 chunk size, u16 version 2, u16 0,
    then [u64 offset][u64 cumulative records] per chunk).  Raw records in
    append order (a reader resolves 'last record wins per span_id')."""
    idx = ct.read("spans.idx")
    if len(idx) < 8 or (len(idx) - 8) % 16:
        raise CtError("spans.idx: size %d is not 8 + 16*n" % len(idx))
    _, ver, _ = struct.unpack_from("<IHH", idx, 0)
    if ver != 2:
        raise CtError("spans.idx: version %d, expected 2" % ver)
    ents = [struct.unpack_from("<QQ", idx, 8 + 16 * i) for i in range((len(idx) - 8) // 16)]
    dat = ct.read("spans.dat")
    spans = []
    for i, (a, cum) in enumerate(ents):
        z = ents[i + 1][0] if i + 1 < len(ents) else len(dat)
        if a > z or z > len(dat):
            raise CtError("spans.idx: chunk %d outside spans.dat" % i)
        if a == z:
            continue
        for rec in length_prefixed("spans.dat", inflate("spans.dat", dat[a:z], a), a):
            spans.append(decode_span(rec))
        if len(spans) != cum:
            raise CtError("spans.idx: chunk %d cumulative %d, records so far %d"
                          % (i, cum, len(spans)))
    return spans


def decode_span(r):
    w = "spans.dat"
    s = {}
    pos = 0
    s["span_id"], pos = uvarint(r, pos, w)
    s["parent_span_id"], pos = uvarint(r, pos, w)
    if pos + 2 > len(r):
        raise CtError("spans.dat: record truncated")
    flags, status = r[pos], r[pos + 1]
    pos += 2
    s["flags"], s["status"] = flags, status
    for k in ("start_wall_ns", "end_wall_ns", "process_ord", "thread_id",
              "start_step", "end_step"):
        s[k], pos = uvarint(r, pos, w)
    if flags & 2:
        v, pos = vstring(r, pos, w)
        s["external_recording"] = text(v)
        v, pos = vstring(r, pos, w)
        s["external_path"] = text(v)
    v, pos = vstring(r, pos, w)
    s["span_type"] = text(v)
    v, pos = vstring(r, pos, w)
    s["label"] = text(v)
    if pos >= len(r):
        raise CtError("spans.dat: structural byte missing")
    s["structural"] = r[pos]
    pos += 1
    n, pos = uvarint(r, pos, w)
    md = []
    for _ in range(n):
        k, pos = vstring(r, pos, w)
        v, pos = vstring(r, pos, w)
        md.append([text(k), text(v)])
    s["metadata"] = md
    if pos != len(r):
        raise CtError("spans.dat: record has %d trailing bytes" % (len(r) - pos))
    return s


def step_map_entries(b):
    """step-map.ns as stored, checked structurally (as the debugger's parser
    and more: orders and bounds), without the steps: a list of
    (path_id, line, [step ids]) in file order.  Written from docs/ct.md and
    the spec's section 4.1 layout: header 18 bytes (u32 0x53544D50, u16 1,
    u32 path count, u64 path table offset), path entries of 20 bytes (u64
    path id, u32 line count, u64 line table offset) ascending by path id,
    line entries of 32 bytes (u32 line, u32 count, i64 first, i64 last, u64
    offset of the ids) ascending by line, ids i64 ascending and >= 0."""
    n = len(b)
    if n < 18:
        raise CtError("step-map.ns: %d bytes, no header" % n)
    magic, ver, npaths, ptab = struct.unpack_from("<IHIQ", b, 0)
    if magic != 0x53544D50:
        raise CtError("step-map.ns: bad magic 0x%08x" % magic)
    if ver != 1:
        raise CtError("step-map.ns: version %d" % ver)
    if ptab + 20 * npaths > n:
        raise CtError("step-map.ns: path table past the end")
    out = []
    last_pid = None
    for i in range(npaths):
        pid, nlines, ltab = struct.unpack_from("<QIQ", b, ptab + 20 * i)
        if last_pid is not None and pid <= last_pid:
            raise CtError("step-map.ns: path ids not ascending")
        last_pid = pid
        if ltab + 32 * nlines > n:
            raise CtError("step-map.ns: line table past the end")
        last_line = None
        for j in range(nlines):
            line, cnt, first, last, soff = struct.unpack_from("<IIqqQ", b, ltab + 32 * j)
            if last_line is not None and line <= last_line:
                raise CtError("step-map.ns: lines not ascending")
            last_line = line
            if soff + 8 * cnt > n:
                raise CtError("step-map.ns: step list past the end")
            ids = list(struct.unpack_from("<%dq" % cnt, b, soff))
            if any(x < 0 for x in ids) or any(x >= y for x, y in zip(ids, ids[1:])):
                raise CtError("step-map.ns: step list not ascending")
            if ids and (ids[0] != first or ids[-1] != last):
                raise CtError("step-map.ns: first/last are not the list's ends")
            out.append((pid, line, ids))
    return out
