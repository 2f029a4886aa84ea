#!/usr/bin/env python3
"""spans_test.py CTREC CT_TESTS_DIR WORK

The span stream (spans.dat/spans.idx, meta.dat flag 0x2000; FORMAT.md 7.2
and docs/ct.md): containers made by make_synth_ct.py with span records
encoded here from the record layout, then read with `ctrec print`.

- A good stream (three chunks, one of them empty; an open record completed
  later, an external span, metadata in a stored order): the Span events,
  after the last step, are exactly the records written, in append order.
- Damage, one kind per container: the read fails with the exact message
  (member, chunk, byte) and every step is still printed before it.
- Flag 0x2000 clear: the members are not read (a note says so), as the
  debugger does not read them either.
"""
import json
import os
import struct
import subprocess
import sys

import zstandard

ctrec, ct_tests, work = sys.argv[1:4]
sys.path.insert(0, ct_tests)
import make_synth_ct  # noqa: E402

STEPS = 300
SPANS = 0x2000
failures = []


uv = make_synth_ct.uv  # LEB128


def vs(b):
    """length-prefixed bytes (a str as UTF-8)"""
    return make_synth_ct.vs(b.encode() if isinstance(b, str) else b)


def record(span_id, flags=0, status=1, start=100, end=200, proc=0, thread=1, s0=10, s1=20,
           ext=None, span_type="web-request", label="GET /", structural=3, metadata=(),
           parent=0, trailing=b""):
    r = uv(span_id) + uv(parent) + bytes([flags, status]) + uv(start) + uv(end) + uv(proc) + \
        uv(thread) + uv(s0) + uv(s1)
    if ext is not None:
        r += vs(ext[0]) + vs(ext[1])
    r += vs(span_type) + vs(label) + bytes([structural]) + uv(len(metadata))
    for k, v in metadata:
        r += vs(k) + vs(v)
    return r + trailing


def expected(span_id, flags=0, status=1, start=100, end=200, proc=0, thread=1, s0=10, s1=20,
             ext=None, span_type="web-request", label="GET /", structural=3, metadata=(),
             parent=0):
    d = {"span_id": span_id, "parent_span_id": parent, "flags": flags, "status": status,
         "start_wall_ns": start, "end_wall_ns": end, "process_ord": proc, "thread_id": thread,
         "start_step": s0, "end_step": s1, "span_type": span_type, "label": label,
         "structural": structural, "metadata": [list(p) for p in metadata]}
    if ext is not None:
        d["external_recording"], d["external_path"] = ext
    return d


def stream(chunks, per=64, version=2, reserved=0, totals=None, offsets=None, with_size=True):
    """spans.dat and spans.idx of chunks (lists of raw records)."""
    z = zstandard.ZstdCompressor(level=3, write_content_size=with_size)
    dat, offs, cum, tot = bytearray(), [], 0, []
    for recs in chunks:
        offs.append(len(dat))
        cum += len(recs)
        tot.append(cum)
        if recs:
            dat += z.compress(b"".join(vs(r) for r in recs))
    idx = struct.pack("<IHH", per, version, reserved)
    for o, t in zip(offsets or offs, totals or tot):
        idx += struct.pack("<QQ", o, t)
    return bytes(dat), idx


def write(name, dat, idx, flags=SPANS):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(make_synth_ct.make(STEPS, extra={"spans.dat": dat, "spans.idx": idx},
                                   extra_flags=flags))
    return path


def read(path):
    p = subprocess.run([ctrec, "print", path], capture_output=True, text=True)
    evs = [json.loads(line) for line in p.stdout.splitlines()]
    steps = sum(1 for e in evs if "Step" in e)
    return p, evs, steps


os.makedirs(work, exist_ok=True)

# ---- a good stream
meta = (("http.method", "GET"), ("http.url", "/a?b=1"), ("zz", ""), ("a", "ü"))
good = [
    [(record, dict(span_id=1, flags=1, status=0, end=0, s1=0)),
     (record, dict(span_id=2, span_type="process", label="/usr/bin/app", structural=2,
                   metadata=meta, start=1764000000000000000, end=1764000000900000000))],
    [],
    [(record, dict(span_id=3, flags=2, status=2, s0=0, s1=0,
                   ext=("01949fcc-7d92-7e9c-cccc-dddddddddddd", "requests/r.ct"))),
     (record, dict(span_id=1, s0=10, s1=250, metadata=(("k", "v"),))),
     (record, dict(span_id=4, parent=2, thread=7, proc=3, structural=7))],
]
dat, idx = stream([[f(**kw) for f, kw in c] for c in good])
path = write("spans-good.ct", dat, idx)
p, evs, steps = read(path)
want = [expected(**kw) for c in good for _, kw in c]
got = [e["Span"] for e in evs if "Span" in e]
if p.returncode != 0:
    failures.append("spans-good.ct: print exited %d: %s" % (p.returncode, p.stderr))
if got != want:
    failures.append("spans-good.ct: Span events differ:\n  got  %s\n  want %s"
                    % (json.dumps(got), json.dumps(want)))
last_step = max(i for i, e in enumerate(evs) if "Step" in e)
first_span = min((i for i, e in enumerate(evs) if "Span" in e), default=-1)
if first_span < last_step:
    failures.append("spans-good.ct: a Span event comes before the last step")
st = subprocess.run([ctrec, "stats", "--json", path], capture_output=True, text=True)
notes = json.loads(st.stdout).get("notes", []) if st.returncode == 0 else ["stats failed"]
if any(n.startswith("spans.") for n in notes):
    failures.append("spans-good.ct: stats still notes the span members: %s" % notes)
# seeking keeps them at the end: print --from-step
pf = subprocess.run([ctrec, "print", "--from-step", "250", path], capture_output=True, text=True)
got2 = [json.loads(line)["Span"] for line in pf.stdout.splitlines() if line.startswith('{"Span"')]
if pf.returncode != 0 or got2 != want:
    failures.append("spans-good.ct: print --from-step 250: exit %d, %d spans"
                    % (pf.returncode, len(got2)))

# ---- flag 0x2000 clear: the members are not read
path = write("spans-noflag.ct", dat, idx, flags=0)
p, evs, steps = read(path)
st = subprocess.run([ctrec, "stats", "--json", path], capture_output=True, text=True)
notes = json.loads(st.stdout).get("notes", []) if st.returncode == 0 else []
if p.returncode != 0 or any("Span" in e for e in evs) or \
        not any(n.startswith("spans.dat:") and "not turned into events" in n for n in notes):
    failures.append("spans-noflag.ct: exit %d, spans %d, notes %s"
                    % (p.returncode, sum("Span" in e for e in evs), notes))

# ---- damage: (name, dat, idx, message after "NAME: event N: ")
r1 = record(1)
r2 = record(2, label="x")
zc = zstandard.ZstdCompressor(level=3, write_content_size=True)
d_ok, i_ok = stream([[r1, r2]])
cases = [
    ("flags", *stream([[r1, record(2, flags=4)]]),
     "spans.dat: record 1 (chunk 0 at byte 0, byte %d of the chunk): unknown flag bits 0x04"
     % (len(vs(r1)))),
    ("status", *stream([[record(1, status=3)]]),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): status 3 is not 0 "
     "(unknown), 1 (ok) or 2 (error)"),
    ("zero-id", *stream([[record(0)]]),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): span_id 0 (span ids are "
     "1-based)"),
    ("open-end", *stream([[record(1, flags=1, status=0, end=0, s1=5)]]),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): an open record with a "
     "non-zero end_wall_ns or end_step"),
    ("structural", *stream([[record(1, structural=8)]]),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): unknown structural bits "
     "0x08"),
    ("trailing", *stream([[record(1, trailing=b"\x00\x00")]]),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): 2 bytes after the record's "
     "last field"),
    ("utf8", *stream([[record(1, label=b"\xff\xfe")]]),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): label is not valid UTF-8"),
    ("version", *stream([[r1]], version=1),
     "spans.idx: index version 1 at byte 4, not 2"),
    ("reserved", *stream([[r1]], reserved=5),
     "spans.idx: reserved field at byte 6 is 5, not 0"),
    ("total-back", *stream([[r1], [r2]], totals=[1, 0]),
     "spans.idx: chunk 1 (entry at byte 32): running total 0 is below the previous chunk's 1"),
    ("total-wrong", *stream([[r1, r2]], totals=[3]),
     "spans.idx: chunk 0 (entry at byte 16) says 3 records so far; the chunks hold 2"),
    ("offset-past", d_ok, struct.pack("<IHHQQ", 64, 2, 0, len(d_ok) + 9, 2),
     "spans.idx: chunk 0 (entry at byte 8) starts at byte %d of spans.dat, past its end"
     % (len(d_ok) + 9)),
    ("no-size", *stream([[r1]], with_size=False),
     "spans.dat: chunk 0 at byte 0: the zstd frame does not state its content size"),
    ("length", zc.compress(uv(200) + r1), struct.pack("<IHHQQ", 64, 2, 0, 0, 1),
     "spans.dat: record 0 (chunk 0 at byte 0, byte 0 of the chunk): its length runs past the "
     "chunk"),
    ("idx-size", d_ok, i_ok + b"\x00",
     "spans.idx: %d bytes, not an 8-byte header and 16-byte entries" % (len(i_ok) + 1)),
]
for name, d, i, msg in cases:
    fname = "spans-%s.ct" % name
    p, evs, steps = read(write(fname, d, i))
    err = p.stderr.strip()
    if p.returncode == 0 or not err.endswith(msg) or fname not in err:
        failures.append("%s: exit %d, message\n  got:  %s\n  want: ...%s"
                        % (fname, p.returncode, err, msg))
    if steps != STEPS:
        failures.append("%s: %d steps printed before the damage, not %d" % (fname, steps, STEPS))

if failures:
    print("FAIL:\n" + "\n".join(failures))
    sys.exit(1)
print("spans_test: good stream (%d records), no-flag, %d damage cases: all passed"
      % (len(want), len(cases)))
