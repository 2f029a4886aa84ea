#!/usr/bin/python3
"""make_log_ct.py OUT.ct [--header] [--unpledged]
                        [--assignment | --bin-stream [--cut N | --trailing] [--meta-dat]]

Write a `.ct` in the older layout (FORMAT.md 7.3) whose `events.log` is
split-binary (`events.fmt` = "split-binary") and holds every event tag the
encoding has but Assignment (12): Step with and without a column, Path,
VariableName and its legacy alias Variable, Type (a Struct with fields, a
Pointer), Value, Function, Call with arguments, Return, Event, Asm,
BindVariable, DropVariables, CompoundValue, CellValue, AssignCompoundItem,
AssignCell, VariableCell, DropVariable, ThreadStart/Exit/Switch and
DropLastStep, in two chunks (`[u32 compressed size][u32 count][u64 first
event id]` + a zstd frame, as the reference's codetracer_trace_writer.nim
writes them), with a meta.dat.
--assignment adds an Assignment (tag 12) after the first step. --header
puts trace.bin's header C0 DE 72 AC E2 01 00 00 before the chunks, as the
Elixir recorder's events.log has it (fixtures/ctfs/elixir_plug_app.ct).
--unpledged writes the chunks' frames without their content size, as that
recorder does, and the second chunk as two frames (the debugger's
ChunkedReader decodes a chunk with zstd's decode_all, every frame in it).

--bin-stream writes instead what the Rust crate's CTFS writer writes
(codetracer-trace-format ctfs_writer.rs): events.log = trace.bin's header
C0 DE 72 AC E2 01 00 00 and a zstd seekable stream (two frames, then the
seek table: a skippable frame 0x184D2A5E of u32 compressed and decompressed
sizes per frame, the frame count, a descriptor byte 0 and 0x8F92EAB1) of the
CBOR events of trace.bin (BIN_EVENTS), with meta.json and paths.json.
--cut N keeps only the first N bytes of that events.log; --trailing adds a
byte after the seek table; --meta-dat writes meta.dat instead of meta.json
and paths.json (what the debugger's old-format path needs).

The encoding is that of the reference's split_binary.nim (decodeEvent): a
tag byte, little-endian u64/i64/u32 fields, strings as u32 length + bytes,
values, types and call arguments as u32 length + CBOR (the CTFS ValueRecord
spelling: a Float's f a float64, a Bool with its text).  Written from that
description and ct_events_log.py's, not from ctrec's C code; a test tool.
"""

import struct
import sys

import cbor2
import zstandard

from make_synth_ct import Writer, uv, vs

def u8(n):
    return struct.pack("<B", n)


def u32(n):
    return struct.pack("<I", n)


def u64(n):
    return struct.pack("<Q", n)


def i64(n):
    return struct.pack("<q", n)


def s(t):
    b = t.encode() if isinstance(t, str) else t
    return u32(len(b)) + b


def c(obj):
    return s(cbor2.dumps(obj))


def int_(i, t=0):
    return {"kind": "Int", "i": i, "type_id": t}


def events(assignment=False):
    """(tag, payload bytes) in order."""
    ev = [
        (1, s("/split/main.nim")),
        (1, s("/split/lib.nim")),
        (4, c({"kind": 7, "lang_type": "int", "specific_info": {"kind": "None"}})),
        (4, c({"kind": 9, "lang_type": "string", "specific_info": {"kind": "None"}})),
        (4, c({"kind": 6, "lang_type": "Point",
               "specific_info": {"kind": "Struct",
                                 "fields": [{"name": "x", "type_id": 0},
                                            {"name": "y", "type_id": 0}]}})),
        (4, c({"kind": 19, "lang_type": "ptr int",
               "specific_info": {"kind": "Pointer", "dereference_type_id": 0}})),
        (4, c({"kind": 8, "lang_type": "float", "specific_info": {"kind": "None"}})),
        (4, c({"kind": 12, "lang_type": "bool", "specific_info": {"kind": "None"}})),
        (6, u64(0) + i64(1) + s("main")),
        (6, u64(1) + i64(10) + s("add")),
        (2, s("a")),
        (3, s("b")),  # the legacy alias: read as a VariableName
        (2, s("p")),
        (0, u64(0) + i64(1)),
        (7, u64(0) + c([])),
        (24, u64(0) + i64(2) + i64(5)),
        (5, u64(0) + c(int_(-42))),
        (5, u64(1) + c({"kind": "String", "text": "h\u00e9llo", "type_id": 1})),
        (5, u64(2) + c({"kind": "Struct", "field_values": [int_(3), int_(4)], "type_id": 2})),
        (5, u64(0) + c({"kind": "Float", "f": 2.5, "type_id": 4})),
        (5, u64(1) + c({"kind": "Bool", "b": True, "text": "true", "type_id": 5})),
        (9, u8(0) + s("stdout") + s("hello\n")),
        (9, u8(2) + s("") + s("/tmp/x")),
        (10, u32(2) + s("mov r0, 1") + s("ret")),
        (11, u64(0) + i64(100)),
        (18, u64(1) + i64(-7)),
        (14, i64(100) + c({"kind": "Sequence", "elements": [int_(1), int_(2)],
                           "is_slice": False, "type_id": 0})),
        (15, i64(-7) + c(int_(9))),
        (16, i64(100) + u64(1) + i64(101)),
        (17, i64(-7) + c(int_(10))),
        (0, u64(1) + i64(11)),
        (7, u64(1) + c([{"variable_id": 0, "value": int_(5)},
                        {"variable_id": 1, "value": {"kind": "None", "type_id": 0}}])),
        (20, u64(2)),
        (22, u64(2)),
        (0, u64(1) + i64(12)),
        (21, u64(2)),
        (22, u64(0)),
        (8, c(int_(8))),
        (19, u64(2)),
        (13, u32(2) + u64(0) + u64(1)),
        (13, u32(0)),
        (0, u64(0) + i64(3)),
        (23, b""),
        (0, u64(0) + i64(4)),
        (8, c({"kind": "None", "type_id": 0})),
    ]
    if assignment:
        ev.insert(14, (12, c({"to": 0, "pass_by": "Value",
                              "from": {"kind": "Simple", "data": 2}})))
    return ev


HEADER = b"\xC0\xDE\x72\xAC\xE2\x01\x00\x00"


def events_log(evs, split_at, header=False, unpledged=False):
    z = zstandard.ZstdCompressor(level=3, write_content_size=not unpledged)
    out = bytearray(HEADER if header else b"")
    for first, part in ((0, evs[:split_at]), (split_at, evs[split_at:])):
        raw = b"".join(u8(t) + p for t, p in part)
        if unpledged and first:  # two frames in one chunk
            frame = z.compress(raw[:len(raw) // 3]) + z.compress(raw[len(raw) // 3:])
        else:
            frame = z.compress(raw)
        out += u32(len(frame)) + u32(len(part)) + u64(first) + frame
    return bytes(out)


# --bin-stream's events, in trace.bin's CBOR spelling (serde's externally
# tagged enum; a Float's f and a Bool are as trace.bin has them)
BIN_EVENTS = [
    {"Path": "/rs/main.rs"},
    {"Function": {"path_id": 0, "line": 1, "name": "main"}},
    {"Type": {"kind": 7, "lang_type": "i64", "specific_info": {"kind": "None"}}},
    {"VariableName": "n"},
    {"Call": {"function_id": 0, "args": []}},
    {"Step": {"path_id": 0, "line": 2}},
    {"Value": {"variable_id": 0, "value": int_(41)}},
    {"Event": {"kind": 0, "metadata": "", "content": "out\n"}},
    {"Step": {"path_id": 0, "line": 3}},
    {"Value": {"variable_id": 0, "value": {"kind": "Sequence", "elements": [int_(1), int_(2)],
                                           "is_slice": False, "type_id": 0}}},
    {"ThreadSwitch": 1},
    "DropLastStep",
    {"Step": {"path_id": 0, "line": 4}},
    {"Return": {"return_value": {"kind": "None", "type_id": 0}}},
]


def seekable(payload, split_at):
    """payload as a zstd seekable stream of two frames and its seek table."""
    z = zstandard.ZstdCompressor(level=3, write_content_size=False)
    out = bytearray()
    entries = bytearray()
    parts = (payload[:split_at], payload[split_at:])
    for part in parts:
        frame = z.compress(part)
        out += frame
        entries += u32(len(frame)) + u32(len(part))
    table = entries + u32(len(parts)) + u8(0) + u32(0x8F92EAB1)
    return bytes(out + u32(0x184D2A5E) + u32(len(table)) + table)


def meta_dat(program, workdir, paths):
    return (b"CTMD" + struct.pack("<HH", 3, 0) + vs(b"01949fcc-7d92-7e9c-a003-00000000a5b1")
            + vs(program) + uv(0) + vs(workdir) + vs(b"split")
            + uv(len(paths)) + b"".join(vs(p) for p in paths))


def make_bin_stream(cut=None, trailing=False, with_meta_dat=False):
    raw = b"".join(cbor2.dumps(e) for e in BIN_EVENTS)
    log = HEADER + seekable(raw, len(raw) // 2)
    if trailing:
        log += b"\0"
    if cut is not None:
        log = log[:cut]
    w = Writer()
    w.add("events.log", log)
    if with_meta_dat:
        w.add("meta.dat", meta_dat(b"main", b"/rs", [b"/rs/main.rs"]))
    else:
        w.add("meta.json", b'{"program":"main","args":["--x"],"workdir":"/rs"}')
        w.add("paths.json", b'["/rs/main.rs"]')
    return w.bytes()


def make(assignment=False, header=False, unpledged=False):
    evs = events(assignment)
    w = Writer()
    w.add("events.log", events_log(evs, len(evs) // 2, header, unpledged))
    w.add("events.fmt", b"split-binary")
    w.add("meta.dat", meta_dat(b"/split/main.nim", b"/split",
                               [b"/split/main.nim", b"/split/lib.nim"]))
    return w.bytes()


def main(argv):
    args = argv[1:]
    flags = {a for a in args
             if a in ("--assignment", "--bin-stream", "--trailing", "--header", "--meta-dat",
                      "--unpledged")}
    args = [a for a in args if a not in flags]
    cut = None
    if "--cut" in args:
        i = args.index("--cut")
        cut = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    if "--bin-stream" in flags:
        data = make_bin_stream(cut, "--trailing" in flags, "--meta-dat" in flags)
    else:
        data = make("--assignment" in flags, "--header" in flags, "--unpledged" in flags)
    with open(args[0], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
