"""The older `.ct` layouts: an `events.log` member holding the trace.json
event stream itself, with `meta.dat` (or the spec fixture's `meta.json` and
`paths.json`).  Used by ct_decode.py; written from FORMAT.md 7.3 and from
reading the reference code (codetracer db-backend ctfs_trace_reader/mod.rs
load_events; the Nim split_binary.nim decodeEvent), not from ctrec's C code.

events.log is, after an optional header C0 DE 72 AC E2 01 00 00 (the
Elixir recorder's has one before its chunks):
- chunked: [u32 compressed size][u32 event count][u64 first event id] and
  that many bytes of one zstd frame, repeated; the payload is CBOR or, when
  the member `events.fmt` says "split-binary", the split-binary encoding;
- or, after that header, trace.bin's bytes: a zstd seekable stream (zstd frames, then the seek table, a skippable frame) of
  CBOR events, as the Rust crate's CTFS writer writes it (ctfs_writer.rs);
- or, when it is neither, plain concatenated CBOR items.
CBOR events are serde's externally tagged enum: a map {"Variant": payload}
or the bare text "DropLastStep".

Split-binary: u8 tag, fixed-width little-endian fields, strings as u32 length
+ bytes, dynamic payloads as u32 length + CBOR:
 0 Step u64 path, i64 line        13 DropVariables u32 n, u64 ids
 1 Path str   2 VariableName str  14 CompoundValue i64 place, cbor value
 3 Variable str                   15 CellValue i64 place, cbor value
 4 Type cbor  5 Value u64 var, cbor value
 6 Function u64 path, i64 line, str name
 7 Call u64 function, cbor [FullValueRecord]
 8 Return cbor value              16 AssignCompoundItem i64, u64, i64
 9 Event u8 kind, str metadata, str content
10 Asm u32 n, str...              17 AssignCell i64 place, cbor value
11 BindVariable u64 var, i64 place 18 VariableCell u64 var, i64 place
12 Assignment cbor                19 DropVariable u64
20/21/22 ThreadStart/Exit/Switch u64   23 DropLastStep
24 Step with column: u64 path, i64 line, i64 column
"""

import json
import struct

import cbor2
import zstandard

import ctrec_summary
from ct_meta import parse_meta_dat
from ctfs_container import MAX_CHUNK, CtError, text

HEADER_V1 = b"\xC0\xDE\x72\xAC\xE2\x01\x00\x00"


def inflate_any(frame, off):
    """An events.log chunk: one zstd frame or more (the debugger decodes a
    chunk with zstd's decode_all, every frame in it), declaring their
    content size or not (the Rust writer and the Elixir recorder stream
    them); inflated with a bound."""
    try:
        zstandard.get_frame_parameters(frame)
    except zstandard.ZstdError as e:
        raise CtError("events.log: bad zstd frame at offset %d: %s" % (off, e))
    reader = zstandard.ZstdDecompressor().stream_reader(frame, read_across_frames=True)
    try:
        out = reader.read(MAX_CHUNK + 1)
    except zstandard.ZstdError as e:
        raise CtError("events.log: zstd frame at offset %d: %s" % (off, e))
    if len(out) > MAX_CHUNK:
        raise CtError("events.log: zstd frame at offset %d inflates past %d bytes" % (off, MAX_CHUNK))
    return out


def chunked_payload(b):
    """Concatenated inflated chunks, or None if b is not a chunk sequence."""
    out = bytearray()
    pos = 0
    total = 0
    while pos < len(b):
        if pos + 16 > len(b):
            return None
        csize, count, first = struct.unpack_from("<IIQ", b, pos)
        if first != total or pos + 16 + csize > len(b) or csize == 0:
            return None
        frame = b[pos + 16:pos + 16 + csize]
        if frame[:4] != b"\x28\xB5\x2F\xFD":
            return None
        out += inflate_any(frame, pos + 16)
        total += count
        pos += 16 + csize
    return bytes(out)


def seekable_payload(b):
    """A zstd seekable stream (after trace.bin's header): the frames
    inflated in order, skippable frames skipped; the last must be the seek
    table, whose frame count must match."""
    out = bytearray()
    pos = 0
    frames = 0
    table = None
    while pos < len(b):
        if table is not None:
            raise CtError("events.log: bytes after the seek table, from byte %d" % (pos + 8))
        if pos + 8 > len(b):
            raise CtError("events.log: a frame header cut short at byte %d" % (pos + 8))
        magic, size = struct.unpack_from("<II", b, pos)
        if magic & 0xFFFFFFF0 == 0x184D2A50:
            if pos + 8 + size > len(b):
                raise CtError("events.log: a skippable frame cut short at byte %d" % (pos + 8))
            if magic == 0x184D2A5E:
                table = b[pos + 8:pos + 8 + size]
            pos += 8 + size
            continue
        if magic != 0xFD2FB528:
            raise CtError("events.log: no zstd frame at byte %d" % (pos + 8))
        d = zstandard.ZstdDecompressor().decompressobj()
        try:
            out += d.decompress(b[pos:])
        except zstandard.ZstdError as e:
            raise CtError("events.log: zstd frame at byte %d: %s" % (pos + 8, e))
        if not d.eof:
            raise CtError("events.log: the zstd frame at byte %d is cut short" % (pos + 8))
        pos = len(b) - len(d.unused_data)
        frames += 1
    if table is None:
        raise CtError("events.log: no seek table")
    if len(table) < 9 or struct.unpack_from("<I", table, len(table) - 9)[0] != frames:
        raise CtError("events.log: the seek table does not count the %d frames" % frames)
    return bytes(out)


def cbor_events(b):
    """Concatenated CBOR items."""
    import io
    f = io.BytesIO(b)
    dec = cbor2.CBORDecoder(f)
    evs = []
    while f.tell() < len(b):
        at = f.tell()
        try:
            evs.append(dec.decode())
        except Exception as e:
            raise CtError("events.log: bad CBOR event at offset %d: %s" % (at, e))
    return evs


class Reader:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def take(self, n):
        if self.pos + n > len(self.b):
            raise CtError("events.log: split-binary event past the end at offset %d" % self.pos)
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def i64(self):
        return struct.unpack("<q", self.take(8))[0]

    def str(self):
        return text(self.take(self.u32()))

    def cbor(self):
        n = self.u32()
        at = self.pos
        try:
            return cbor2.loads(self.take(n))
        except CtError:
            raise
        except Exception as e:
            raise CtError("events.log: bad CBOR payload at offset %d: %s" % (at, e))


def split_binary_events(b):
    r = Reader(b)
    evs = []
    while r.pos < len(b):
        at = r.pos
        t = r.u8()
        if t == 0:
            evs.append({"Step": {"path_id": r.u64(), "line": r.i64()}})
        elif t == 24:
            evs.append({"Step": {"path_id": r.u64(), "line": r.i64(), "column": r.i64()}})
        elif t == 1:
            evs.append({"Path": r.str()})
        elif t == 2:
            evs.append({"VariableName": r.str()})
        elif t == 3:
            evs.append({"Variable": r.str()})
        elif t == 4:
            evs.append({"Type": r.cbor()})
        elif t == 5:
            evs.append({"Value": {"variable_id": r.u64(), "value": r.cbor()}})
        elif t == 6:
            evs.append({"Function": {"path_id": r.u64(), "line": r.i64(), "name": r.str()}})
        elif t == 7:
            evs.append({"Call": {"function_id": r.u64(), "args": r.cbor()}})
        elif t == 8:
            evs.append({"Return": {"return_value": r.cbor()}})
        elif t == 9:
            evs.append({"Event": {"kind": r.u8(), "metadata": r.str(), "content": r.str()}})
        elif t == 10:
            evs.append({"Asm": [r.str() for _ in range(r.u32())]})
        elif t == 11:
            evs.append({"BindVariable": {"variable_id": r.u64(), "place": r.i64()}})
        elif t == 12:
            evs.append({"Assignment": r.cbor()})
        elif t == 13:
            evs.append({"DropVariables": [r.u64() for _ in range(r.u32())]})
        elif t == 14:
            evs.append({"CompoundValue": {"place": r.i64(), "value": r.cbor()}})
        elif t == 15:
            evs.append({"CellValue": {"place": r.i64(), "value": r.cbor()}})
        elif t == 16:
            evs.append({"AssignCompoundItem": {"place": r.i64(), "index": r.u64(),
                                               "item_place": r.i64()}})
        elif t == 17:
            evs.append({"AssignCell": {"place": r.i64(), "new_value": r.cbor()}})
        elif t == 18:
            evs.append({"VariableCell": {"variable_id": r.u64(), "place": r.i64()}})
        elif t == 19:
            evs.append({"DropVariable": r.u64()})
        elif t in (20, 21, 22):
            evs.append({("ThreadStart", "ThreadExit", "ThreadSwitch")[t - 20]: r.u64()})
        elif t == 23:
            evs.append("DropLastStep")
        else:
            raise CtError("events.log: unknown split-binary tag %d at offset %d" % (t, at))
    return evs


def decode(ct):
    raw = ct.read("events.log")
    layout = "events-log"
    split = ct.has("events.fmt") and ct.read("events.fmt") == b"split-binary"
    header = raw.startswith(HEADER_V1)
    body = raw[len(HEADER_V1):] if header else raw
    # an empty events.log holds no events; the header alone is a stream
    # without its seek table
    payload = chunked_payload(body) if body else None if header else b""
    if payload is None and not split and header:
        evs = cbor_events(seekable_payload(body))
        layout += " (trace.bin's stream)"
    elif payload is None:
        if split:
            raise CtError("events.log: events.fmt says split-binary but the chunks do not parse")
        evs = cbor_events(raw)
        layout += " (plain CBOR)"
    elif split:
        evs = split_binary_events(payload)
        layout += " (chunked split-binary)"
    else:
        evs = cbor_events(payload)
        layout += " (chunked CBOR)"

    meta = {}
    notes = []
    if ct.has("meta.dat"):
        meta = parse_meta_dat(ct.read("meta.dat"))
    elif ct.has("meta.json"):
        meta = json.loads(ct.read("meta.json"))
        notes.append("meta.json, no meta.dat (the current debugger refuses this container)")
    s = ctrec_summary.build_events(evs, {"metadata": meta})
    if not s["paths"] and ct.has("paths.json"):
        notes.append("paths from paths.json")
        s["paths"] = json.loads(ct.read("paths.json"))
    out = {"layout": layout}
    out.update(s)
    if notes:
        out["notes"] = notes
    return out
