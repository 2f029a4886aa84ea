#!/usr/bin/python3
"""make_synth_ct.py OUT.ct STEPS [--blob BYTES] [--columns] [--exceptions] [--kinds]
                 [--block-size 1024|2048|4096] [--legacy | --legacy-mixed]
                 [--meta-blocks]

Write a synthetic multi-stream `.ct` of STEPS steps, for testing ct_decode.py
where the fixtures do not reach (several chunks per stream, members longer
than 511 blocks that need a level-2 mapping chain, ~100k-step traces for
speed) and as input for ctrec's reader tests.  Written from FORMAT.md 7 and
the layout ct_decode.py reads; it is a test tool, not ctrec's writer.

The trace: one path "/synth/prog.py"; step i is at line 1 + i % 50 (an
absolute step at the start of each chunk, deltas after); every step records
i (Int), x (Float i / 4) and s (String "s<i % 7>"); every 10th step enters a
call of "f" with argument n = i that returns at the next step with n * 2
(Int); a top-level call "main" spans the whole trace; every 1000th step has an
I/O event (kind 0, metadata "stdout", content "line <i>\\n").  --blob adds a
member "blob.bin" of BYTES pseudo-random bytes (seeded, so reproducible).
--columns makes it column-aware (meta.dat bit 4, paths.dat with a line
table of 50 lines of 40 columns; step i at line 1 + (i // 2) % 50, column 1
for even i and 9 for odd i, the odd ones as column-only steps, tag 7).
--exceptions adds after every 500th step a raise of ValueError "bad <i>"
and its catch (tags 2 and 3, with empty value records).
--kinds adds at steps 3, 103, 203, ... a variable v holding, in turn, the
value kinds only CTFS has or spells differently (Bool with text, Set, Enum,
ValueRef, BigInt as bytes, Char, inf/NaN/-0.0 float64, Struct with
field_names) and the rarer trace.json kinds (special_values()).
--legacy writes the stream framings of traces before meta.dat bits 9-11
(steps chunks with a count and an index trailer; values, events and calls
as record tables), which the reference reader still reads: the Nim
writer's until 2026-06-21 (meta.dat flags 0; metacraft-labs/
codetracer-trace-format-nim before 509fc47/45f5155). Its I/O events have the
kinds of that framing in turn (0 stdout, 1 stderr, 2 file op, 3 error) and
no metadata.  --legacy-mixed writes the mix of 2026-06-22 between a99ae01
and 317c809: steps and calls chunked (flags 0x300, calls.idx), values and
events still record tables.
--meta-blocks gives meta.dat the four blocks flag bits 0-3 gate, in the
order of the reference's writeMetaDat (meta_dat.nim): the MCR fields (six
varints, six strings, the hook strategies), the replay-launch byte, the
layout snapshot (u64 hash, varint-length fingerprint) and the trace filter
provenance (a count, then a path and 32 sha256 bytes each).
"""

import random
import struct
import sys

import cbor2
import zstandard

BS = 4096
USABLE = BS // 8 - 1
B40 = "\0" + "0123456789abcdefghijklmnopqrstuvwxyz./-"


def b40(name):
    v = 0
    for ch in reversed(name.ljust(12, "\0")):
        v = v * 40 + B40.index(ch)
    return v


def uv(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sv(n):
    return uv((n << 1) ^ (n >> 63) if n < 0 else n << 1)


def vs(b):
    return uv(len(b)) + b


class Writer:
    """Blocks in memory; a member's level-1 mapping block holds usable data
    pointers and, in its last entry, the level-2 block; a level-k block
    holds usable pointers to level-(k-1) subtrees and the level-(k+1) block
    in its last entry (the chain model of FORMAT.md 7.1)."""

    def __init__(self, bs=BS):
        self.bs = bs
        self.usable = bs // 8 - 1
        self.blocks = [bytearray(bs)]
        self.entries = []

    def alloc(self):
        self.blocks.append(bytearray(self.bs))
        return len(self.blocks) - 1

    def ptr(self, blk, i, val=None):
        if val is None:
            return struct.unpack_from("<Q", self.blocks[blk], 8 * i)[0]
        struct.pack_into("<Q", self.blocks[blk], 8 * i, val)
        return val

    def insert(self, root, i, d):
        u = self.usable
        cur, level = root, 1
        while i >= u ** level:
            i -= u ** level
            level += 1
            if level > 5:
                raise ValueError("member too large for 5 mapping levels")
            cur = self.ptr(cur, u) or self.ptr(cur, u, self.alloc())
        while level > 1:
            j, i = divmod(i, u ** (level - 1))
            cur = self.ptr(cur, j) or self.ptr(cur, j, self.alloc())
            level -= 1
        self.ptr(cur, i, d)

    def add(self, name, data):
        bs = self.bs
        root = self.alloc()
        n = (len(data) + bs - 1) // bs
        for i in range(n):
            d = self.alloc()
            self.blocks[d][:] = data[i * bs:(i + 1) * bs].ljust(bs, b"\0")
            self.insert(root, i, d)
        self.entries.append((len(data), root, b40(name)))

    def bytes(self):
        h = self.blocks[0]
        h[0:8] = b"\xC0\xDE\x72\xAC\xE2\x04\x00\x01"
        struct.pack_into("<II", h, 8, self.bs, 31)
        for i, e in enumerate(self.entries):
            struct.pack_into("<QQQ", h, 16 + 24 * i, *e)
        return b"".join(bytes(b) for b in self.blocks)


def table(recs):
    dat = b"".join(recs)
    offs = [0]
    for r in recs:
        offs.append(offs[-1] + len(r))
    return dat, struct.pack("<%dQ" % len(offs), *offs)


def chunked(records, per_chunk, prefix_len=True):
    z = zstandard.ZstdCompressor(level=3, write_content_size=True)
    dat = bytearray()
    offs = []
    for i in range(0, len(records), per_chunk):
        payload = b"".join((vs(r) if prefix_len else r) for r in records[i:i + per_chunk])
        offs.append(len(dat))
        dat += z.compress(payload)
    return bytes(dat), struct.pack("<I", per_chunk) + struct.pack("<%dQ" % len(offs), *offs)


LINE_LEN = 40  # --columns: every line of the path is 40 columns wide


def special_values():
    """The CTFS value kinds beyond trace.json's, in the key order the Nim
    decoder reads (it reads keys positionally)."""
    return [
        {"kind": "Bool", "b": True, "text": "true", "type_id": 4},
        {"kind": "Bool", "b": False, "text": "false", "type_id": 4},
        {"kind": "Set", "members": [{"kind": "Int", "i": 1, "type_id": 0},
                                    {"kind": "Int", "i": 2, "type_id": 0}], "type_id": 5},
        {"kind": "Enum", "name": "cBlue", "ordinal": 2, "type_id": 6},
        cbor2.CBORTag(256, 7),
        {"kind": "BigInt", "b": b"\x01" + b"\x00" * 8, "negative": True, "type_id": 7},
        {"kind": "Char", "c": "\u00e9", "type_id": 8},
        {"kind": "Float", "f": float("inf"), "type_id": 1},
        {"kind": "Float", "f": float("nan"), "type_id": 1},
        {"kind": "Float", "f": -0.0, "type_id": 1},
        {"kind": "Struct", "field_values": [{"kind": "Int", "i": 3, "type_id": 0},
                                            {"kind": "Int", "i": 4, "type_id": 0}],
         "field_names": ["x", "y"], "type_id": 9},
        {"kind": "Reference", "dereferenced": {"kind": "None", "type_id": 10},
         "address": 4096, "mutable": True, "type_id": 11},
        {"kind": "Variant", "discriminator": "Some",
         "contents": {"kind": "String", "text": "in", "type_id": 2}, "type_id": 12},
        {"kind": "Sequence", "elements": [], "is_slice": True, "type_id": 13},
        {"kind": "Tuple", "elements": [{"kind": "Raw", "r": "raw", "type_id": 14},
                                       {"kind": "Error", "msg": "oops", "type_id": 15}],
         "type_id": 16},
    ]


def big_text(n):
    """make's big_arg String: n ASCII letters."""
    return "".join(chr(97 + (i * 7 + i // 977) % 26) for i in range(n))


def make(steps, blob=0, columns=False, exceptions=False, kinds=False, block_size=BS,
         legacy=False, extra=None, extra_flags=0, mixed=False, big_arg=0, meta_blocks=False):
    """extra: {member name: bytes} added as they are; extra_flags: meta.dat
    flag bits or-ed in (for the span stream's tests); big_arg: the argument
    of f's second call (at step 10) is a String of that many bytes
    (big_text) instead of an Int."""
    types = ["Int", "Float", "String", "ValueError", "Bool", "Set", "Enum", "BigInt", "Char",
             "Point", "NoneType", "Ref", "Option", "Slice", "Raw", "Error", "Tuple"]
    varnames = ["i", "x", "s", "n", "v"]
    funcs = ["main", "f"]
    w = Writer(block_size)
    if columns:
        # column-aware paths.dat record: varint path length, path, varint
        # line count, zigzag line lengths (first absolute, then deltas)
        path_rec = vs(b"/synth/prog.py") + uv(50) + sv(LINE_LEN) + sv(0) * 49
    else:
        path_rec = b"/synth/prog.py"
    for base, recs in (("paths", [path_rec]), ("funcs", [f.encode() for f in funcs]),
                       ("types", [t.encode() for t in types]),
                       ("varnames", [v.encode() for v in varnames])):
        dat, off = table(recs)
        w.add(base + ".dat", dat)
        w.add(base + ".off", off)

    exec_recs, value_recs, events = [], [], []
    raw_values, raw_events = [], []   # for the legacy framings
    step_exec = []          # step i -> its exec index
    prev = None
    for i in range(steps):
        if columns:
            # step i: line 1 + (i // 2) % 50, column 1 (even i) or 9 (odd i);
            # odd steps are column-only moves (tag 7)
            gpos = ((i // 2) % 50) * LINE_LEN + (0 if i % 2 == 0 else 8)
        else:
            gpos = 1 + i % 50   # line-only: path 0 * 100000 + line
        if len(exec_recs) % 4096 == 0:
            exec_recs.append(b"\x00" + uv(gpos))
        elif columns and i % 2 == 1:
            exec_recs.append(b"\x07" + sv(gpos - prev))
        else:
            exec_recs.append(b"\x01" + sv(gpos - prev))
        prev = gpos
        step_exec.append(len(exec_recs) - 1)
        vals = [(0, {"kind": "Int", "i": i, "type_id": 0}),
                (1, {"kind": "Float", "f": i / 4, "type_id": 1}),
                (2, {"kind": "String", "text": "s%d" % (i % 7), "type_id": 2})]
        if kinds and i % 100 == 3:
            sv_ = special_values()
            vals.append((4, sv_[(i // 100) % len(sv_)]))
        value_recs.append(b"\x00" + uv(len(vals)) + b"".join(
            uv(v) + vs(cbor2.dumps(x)) for v, x in vals))
        raw_values.append(vals)
        if i % 1000 == 0:
            events.append(b"\x00" + uv(len(exec_recs) - 1) + vs(b"stdout")
                          + vs(b"line %d\n" % i))
            raw_events.append(((i // 1000) % 4, len(exec_recs) - 1, b"line %d\n" % i))
        if exceptions and i % 500 == 499:
            # a raise of ValueError "bad <i>" then its catch, after step i;
            # each exec event has its (empty) value record
            exec_recs.append(b"\x02" + uv(3) + vs(b"bad %d" % i))
            value_recs.append(b"")
            exec_recs.append(b"\x03" + uv(3))
            value_recs.append(b"")
            raw_values += [[], []]
    # calls: main (key 0) spans all; f at every 10th step i (i+1 < steps)
    fcalls = [i for i in range(0, steps - 1, 10)]
    main = (uv(0) + sv(-1) + uv(step_exec[0]) + uv(step_exec[steps - 1]) + uv(0) + uv(0)
            + vs(b"\xff") + uv(0) + uv(len(fcalls))
            + b"".join(uv(k + 1) for k in range(len(fcalls))))
    calls = [main]
    for i in fcalls:
        arg = cbor2.dumps({"kind": "Int", "i": i, "type_id": 0})
        if big_arg and i == 10:
            arg = cbor2.dumps({"kind": "String", "text": big_text(big_arg), "type_id": 2})
        ret = cbor2.dumps({"kind": "Int", "i": i * 2, "type_id": 0})
        calls.append(uv(1) + sv(0) + uv(step_exec[i]) + uv(step_exec[i + 1]) + uv(1) + uv(1)
                     + uv(3) + vs(arg) + vs(ret) + uv(0) + uv(0))

    if legacy:
        # The framings before meta.dat bits 9-11 (Nim exec_stream.nim,
        # value_stream.nim, io_event_stream.nim, call_stream.nim "legacy"):
        # steps.idx = u32 per chunk, u64 placeholder, u64 offsets, u64 total;
        # each chunk starts with its u32 event count; values, events and
        # calls as record tables (.dat + .off) without an index.
        # (exec_stream.nim before a99ae01: the placeholder is written 0)
        z = zstandard.ZstdCompressor(level=3, write_content_size=True)
        dat, offs = bytearray(), []
        if mixed:
            d, x = chunked(exec_recs, 4096, prefix_len=False)
            w.add("steps.dat", d)
            w.add("steps.idx", x)
        else:
            for j in range(0, len(exec_recs), 4096):
                part = exec_recs[j:j + 4096]
                offs.append(len(dat))
                dat += z.compress(struct.pack("<I", len(part)) + b"".join(part))
            w.add("steps.dat", bytes(dat))
            w.add("steps.idx", struct.pack("<IQ", 4096, 0)
                  + struct.pack("<%dQ" % len(offs), *offs) + struct.pack("<Q", len(exec_recs)))

        def type_of(x):
            return x.get("type_id", 0) if isinstance(x, dict) else 0
        recs = [(uv(len(vals)) + b"".join(uv(v) + uv(type_of(x)) + vs(cbor2.dumps(x))
                                          for v, x in vals)) if vals else b""
                for vals in raw_values]
        for base, rr in (("values", recs),
                         ("events", [bytes([k]) + uv(st) + vs(c) for k, st, c in raw_events]),
                         ("calls", calls)):
            if base == "calls" and mixed:
                d, x = chunked(calls, 256)
                w.add("calls.dat", d)
                w.add("calls.idx", x)
                continue
            d, o = table(rr)
            w.add(base + ".dat", d)
            w.add(base + ".off", o)
        flags = (0x300 if mixed else 0) | (0x10 if columns else 0)
    else:
        d, x = chunked(exec_recs, 4096, prefix_len=False)
        w.add("steps.dat", d)
        w.add("steps.idx", x)
        d, x = chunked(value_recs, 256)
        w.add("values.dat", d)
        w.add("values.idx", x)
        d, x = chunked(calls, 256)
        w.add("calls.dat", d)
        w.add("calls.idx", x)
        d, x = chunked(events, 64)
        w.add("events.dat", d)
        w.add("events.idx", x)
        flags = 0x1F00 | (0x10 if columns else 0)
    flags |= extra_flags
    meta = (b"CTMD" + struct.pack("<HH", 3, flags) + vs(b"01949fcc-7d92-7e9c-a003-0000000000ff")
            + vs(b"/synth/prog.py") + uv(1) + vs(b"--n") + vs(b"/synth") + vs(b"synth")
            + uv(1) + vs(b"/synth/prog.py"))
    if meta_blocks:
        meta = meta[:6] + struct.pack("<H", flags | 0xF) + meta[8:]
        meta += (uv(1) + uv(4) + uv(2) + uv(123456789) + uv(0) + uv(1733300000000000)
                 + vs(b"linux-x86_64") + vs(b"ns") + vs(b"rdtsc") + vs(b"seq_cst")
                 + vs("2026-12-04T23:40:00Z \u00e9".encode()) + vs(b"default")
                 + uv(2) + vs(b"ptrace") + vs(b"ld_preload"))
        meta += b"\x01"
        meta += struct.pack("<Q", 0x0123456789ABCDEF) + vs(bytes(range(5)))
        meta += (uv(2) + vs(b"/synth/.codetracer/trace-filter.toml") + bytes(range(32))
                 + vs(b"inline:skip") + bytes(range(32, 64)))
    w.add("meta.dat", meta)
    if blob:
        w.add("blob.bin", random.Random(7).randbytes(blob))
    for name, data in (extra or {}).items():
        w.add(name, data)
    return w.bytes()


def main(argv):
    args = argv[1:]
    opts = {"blob": 0, "columns": False, "exceptions": False, "kinds": False}
    if "--legacy" in args:
        args.remove("--legacy")
        opts["legacy"] = True
    if "--legacy-mixed" in args:
        args.remove("--legacy-mixed")
        opts["legacy"] = opts["mixed"] = True
    if "--meta-blocks" in args:
        args.remove("--meta-blocks")
        opts["meta_blocks"] = True
    if "--block-size" in args:
        i = args.index("--block-size")
        opts["block_size"] = int(args[i + 1])
        del args[i:i + 2]
    if "--kinds" in args:
        args.remove("--kinds")
        opts["kinds"] = True
    if "--columns" in args:
        args.remove("--columns")
        opts["columns"] = True
    if "--exceptions" in args:
        args.remove("--exceptions")
        opts["exceptions"] = True
    if "--blob" in args:
        i = args.index("--blob")
        opts["blob"] = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], "wb") as f:
        f.write(make(int(args[1]), **opts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
