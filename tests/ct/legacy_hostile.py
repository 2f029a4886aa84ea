#!/usr/bin/python3
"""legacy_hostile.py CTREC WORKDIR

Damaged containers in the stream framings before meta.dat bits 9-11
(make_synth_ct.py --legacy, 10000 steps, one member changed each): `ctrec
print` must stop with the exact message, which names the member and the
offset, after printing every step before the damage (counted here), and
exit 1.  The undamaged sample must read whole, and `print --from-step N
--count K` of it must give the events the whole print has there.  A call
record with a 1.5 MB argument reads whole (its fields are over the 1 MiB
read at first), and under `--max-event 1M` stops with the exact message.
"""

import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_synth_ct  # noqa: E402


def build(path, name, mutate, **opts):
    orig = make_synth_ct.Writer.add

    def add(self, n, data):
        return orig(self, n, mutate(data) if n == name and mutate else data)
    make_synth_ct.Writer.add = add
    try:
        data = make_synth_ct.make(10000, legacy=True, **opts)
    finally:
        make_synth_ct.Writer.add = orig
    with open(path, "wb") as f:
        f.write(data)


def set_u64(at, v):
    def f(d):
        b = bytearray(d)
        struct.pack_into("<Q", b, at if at >= 0 else len(b) + at, v)
        return bytes(b)
    return f


def set_u32(at, v):
    def f(d):
        b = bytearray(d)
        struct.pack_into("<I", b, at, v)
        return bytes(b)
    return f


def set_byte(at, v):
    def f(d):
        b = bytearray(d)
        b[at] = v
        return bytes(b)
    return f


def recount_chunk(k, count):
    """steps.dat chunk k re-compressed with another u32 count."""
    import zstandard

    def f(d):
        offs, pos, parts = [], 0, []
        while pos < len(d):
            obj = zstandard.ZstdDecompressor().decompressobj()
            out = obj.decompress(d[pos:])
            used = len(d) - pos - len(obj.unused_data)
            parts.append(out)
            offs.append(pos)
            pos += used
        z = zstandard.ZstdCompressor(level=3, write_content_size=True)
        parts[k] = struct.pack("<I", count) + parts[k][4:]
        return b"".join(z.compress(p) for p in parts)
    return f


def cut(n):
    return lambda d: d[:n] if n >= 0 else d[:len(d) + n]


def value_record_at(k):
    """Byte offset of values record k of the sample (make_synth_ct's step
    values, no exceptions: record i is step i)."""
    import cbor2
    uv = make_synth_ct.uv
    at = 0
    for i in range(k):
        vals = [{"kind": "Int", "i": i, "type_id": 0}, {"kind": "Float", "f": i / 4, "type_id": 1},
                {"kind": "String", "text": "s%d" % (i % 7), "type_id": 2}]
        at += 1 + sum(len(uv(v)) + len(uv(x["type_id"])) + len(make_synth_ct.vs(cbor2.dumps(x)))
                      for v, x in enumerate(vals))
    return at


def event_record_at(k):
    """Byte offset of events record k (the event of step 1000 k)."""
    uv = make_synth_ct.uv
    return sum(1 + len(uv(1000 * i)) + 1 + len(b"line %d\n" % (1000 * i)) for i in range(k))


V3000 = value_record_at(3000)
E3 = event_record_at(3)
CASES = [
    # (name, member, change, message after "ctrec: NAME.ct: ", steps printed)
    ("values_backwards", "values.off", set_u64(8 * 5001, 10),
     "event 21031: values.off: record 5000 (offsets at byte 40000): ends at byte 10, before "
     "its start at 479720 (the offsets go backwards)", 5000),
    ("values_outside", "values.off", set_u64(-8, 1 << 40),
     "event 42032: values.off: record 9999 (offsets at byte 79992) spans bytes "
     "959624-1099511627776, outside values.dat (959720 bytes)", 9999),
    ("values_count", "values.dat", set_byte(V3000, 0x7f),
     "event 12629: values.dat: record 3000 (at byte %d): 127 values cannot fit in the record"
     % V3000, 3000),
    ("values_truncated", "values.dat", cut(-50),
     "event 42032: values.off: record 9999 (offsets at byte 79992) spans bytes "
     "959624-959720, outside values.dat (959670 bytes)", 9999),
    ("values_offsize", "values.off", cut(-3),
     "values.off: 80005 bytes, not a whole number of u64 offsets (at least one)", 0),
    ("steps_total", "steps.idx", set_u64(-8, 20000),
     "steps.idx: the total of 20000 records (at byte 36) does not fit 3 chunks of 4096", 0),
    ("steps_count", "steps.dat", recount_chunk(1, 4000),
     "event 17235: steps.dat: chunk 1 at byte 34: its count says 4000 records, the index 4096 "
     "(records per chunk and total)", 4096),
    ("steps_truncated", "steps.dat", cut(-10),
     "event 34443: steps.dat: chunk 2 at byte 67: zstd: Src size is incorrect", 8192),
    ("steps_idxsize", "steps.idx", cut(-4),
     "steps.idx: 40 bytes, not the 20 + 8 x chunks of its older framing (u32 records per "
     "chunk, u64 placeholder, u64 offsets, u64 total; meta.dat bit 9 is clear)", 0),
    ("events_kind", "events.dat", set_byte(E3, 9),
     "event 12634: events.dat: record 3 (chunk 3 at byte %d): an event kind beyond "
     "EventLogKind" % E3, 3001),
    ("events_past", "events.dat", set_byte(E3 + 1 + len(make_synth_ct.uv(3000)), 0x7f),
     "event 12634: events.dat: record 3 (chunk 3 at byte %d): the content runs past the "
     "record" % E3,
     3001),
    # (an event's kind and content are refused at its step, as in the
    # chunked framing: "chunk N" of a record table is record N)
    # a call record is read ahead: the steps before the call announced
    # before it are printed
    ("calls_backwards", "calls.off", set_u64(8 * 501, 3),
     "event 20952: calls.off: record 500 (offsets at byte 4000): ends at byte 3, before its "
     "start at 32254 (the offsets go backwards)", 4981),
]


def run(ctrec, path):
    p = subprocess.run([ctrec, "print", path], capture_output=True)
    steps = p.stdout.count(b'{"Step"')
    return p.returncode, p.stderr.decode().strip(), steps


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    ctrec, work = argv[1], argv[2]
    os.makedirs(work, exist_ok=True)
    bad = 0
    for name, member, change, want, want_steps in CASES:
        path = os.path.join(work, name + ".ct")
        build(path, member, change)
        rc, err, steps = run(ctrec, path)
        want = "ctrec: %s.ct: %s" % (name, want)
        if (rc, err, steps) != (1, want, want_steps):
            bad += 1
            print("FAIL %s: exit %d, %d steps (want 1, %d)\n  got:  %s\n  want: %s"
                  % (name, rc, steps, want_steps, err, want))
        else:
            print("ok %s: %d steps, %s" % (name, steps, err))
    # the undamaged sample reads whole
    path = os.path.join(work, "undamaged.ct")
    build(path, "", None)
    rc, err, steps = run(ctrec, path)
    if (rc, steps) != (0, 10000):
        bad += 1
        print("FAIL undamaged: exit %d, %d steps: %s" % (rc, steps, err))
    # random access: `print --from-step N --count K` gives the events of the
    # whole print from step N to step N + K (the calls open at N rebuilt
    # from the record table, values found by their offsets)
    full = subprocess.run([ctrec, "print", path], capture_output=True).stdout.splitlines()
    at = [i for i, l in enumerate(full) if l.startswith(b'{"Step"')]
    for n in (0, 1, 9, 10, 11, 4095, 4096, 5000, 9990, 9997):
        k = 3
        got = subprocess.run([ctrec, "print", "--from-step", str(n), "--count", str(k), path],
                             capture_output=True)
        want = full[at[n]:at[n + k] if n + k < len(at) else len(full)]
        if got.returncode or got.stdout.splitlines() != want:
            bad += 1
            print("FAIL seek %d: exit %d, %d events, want %d: %s"
                  % (n, got.returncode, len(got.stdout.splitlines()), len(want),
                     got.stderr.decode().strip()))
    # a call record whose fields before the children are over the 1 MiB
    # read at first (a 1.5 MB String argument): read on up to the event
    # limit, its argument whole; under a 1 MiB limit, refused by name
    path = os.path.join(work, "big_arg.ct")
    build(path, "", None, big_arg=1500000)
    p = subprocess.run([ctrec, "print", path], capture_output=True)
    calls = [l for l in p.stdout.splitlines() if l.startswith(b'{"Call"')]
    arg = calls[2] if len(calls) > 2 else b""  # main's, f's first, f's second
    want_arg = make_synth_ct.big_text(1500000).encode()
    if p.returncode or p.stdout.count(b'{"Step"') != 10000 or want_arg not in arg:
        bad += 1
        print("FAIL big_arg: exit %d, %d steps, argument %s: %s"
              % (p.returncode, p.stdout.count(b'{"Step"'),
                 "whole" if want_arg in arg else "not whole", p.stderr.decode().strip()))
    else:
        print("ok big_arg: 10000 steps, the 1.5 MB argument whole")
    p = subprocess.run([ctrec, "print", "--max-event", "1M", path], capture_output=True)
    want = ("ctrec: big_arg.ct: event 31: calls.dat: record 2 (at byte 1940): 1500067 bytes, "
            "and its fields before the children are not in its first 1048576 bytes (the event "
            "limit)\nctrec: the --max-event bound stopped the read, not damage: the trace may be "
            "fine, and a larger --max-event reads on")
    if (p.returncode, p.stderr.decode().strip()) != (1, want):
        bad += 1
        print("FAIL big_arg_limit: exit %d\n  got:  %s\n  want: %s"
              % (p.returncode, p.stderr.decode().strip(), want))
    else:
        print("ok big_arg_limit: %s" % want)
    print("%d of %d cases failed" % (bad, len(CASES) + 3))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
