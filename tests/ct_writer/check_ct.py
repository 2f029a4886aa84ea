#!/usr/bin/env python3
"""check_ct.py CASE TOOL OUTDIR [ARG] — runs one case of test_ct_writer.c (or
ctrec convert) and checks the container it wrote through the project's one
independent decoder, tests/ct/ct_decode.py (FORMAT.md section 7): its
summary, and for what the summary normalizes away (step tags, raw CBOR
values, records per chunk) its lower layers. Exit 0 when everything
matches; every difference is printed."""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ct"))
import ct_decode  # noqa: E402
import zstandard  # noqa: E402

failures = []
PER_CHUNK = {"steps": 4096, "values": 1024, "calls": 256, "events": 64}


def expect(what, got, want):
    if got != want:
        if isinstance(got, list) and isinstance(want, list):
            for i, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    failures.append("%s[%d]: got %.300r, want %.300r" % (what, i, g, w))
                    return
            failures.append("%s: %d items, want %d" % (what, len(got), len(want)))
            return
        failures.append("%s: got %.300r, want %.300r" % (what, got, want))


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def container(path, lenient=False):
    ct = ct_decode.Container(path)
    ct.lenient = lenient
    ct.notes = []
    return ct


def raw(path, lenient=False):
    """What the summary normalizes away: the exec records of steps.dat
    (tags kept), each values record as [varname id, plain CBOR] pairs, and
    per stream the records of each chunk; checks that every chunk but the
    last holds exactly its .idx's records-per-chunk and that every step
    chunk starts with an absolute step (tag 0)."""
    ct = container(path, lenient)
    out = {"exec": [list(e) for e in ct_decode.decode_exec(ct)], "values": [], "per_chunk": {}}
    for base in ("steps", "values", "calls", "events"):
        per, offs = ct_decode.chunk_index(ct, base)
        out["per_chunk"][base] = per
        counts = []
        for ci, off, payload in ct_decode.chunks(ct, base):
            if base == "steps":
                if payload[:1] != b"\x00":
                    failures.append("steps.dat chunk %d does not start absolute" % ci)
                counts.append(None)
                continue
            recs = ct_decode.length_prefixed(base + ".dat", payload, off)
            counts.append(len(recs))
            if base == "values":
                for r in recs:
                    pairs = []
                    if r:
                        n, pos = ct_decode.uvarint(r, 1, "values")
                        for _ in range(n):
                            var, pos = ct_decode.uvarint(r, pos, "values")
                            blob, pos = ct_decode.vstring(r, pos, "values")
                            pairs.append([var, ct_decode.cbor_plain(blob)])
                    out["values"].append(pairs)
        for k, n in enumerate(counts[:-1]):
            if n is not None and n != per:
                failures.append("%s chunk %d holds %d records, not %d" % (base, k, n, per))
    ct.f.close()
    return out


def summary(path, lenient=False):
    d = ct_decode.decode(path, lenient=lenient)
    d["metadata"]["recording_id"] = "<uuid>"
    d["container"].pop("file_size", None)
    return d


def scenario(tool, out):
    rc, so, se = run(tool, "scenario", out)
    expect("ct_writer_test scenario exit (stderr: %s)" % se.strip(), rc, 0)
    path = os.path.join(out, "trace.ct")
    got = {"summary": summary(path), "raw": raw(path)}
    want = json.load(open(os.path.join(HERE, "expected_scenario.json")))
    for part in want:
        for k in want[part]:
            expect(part + "." + k, json.loads(json.dumps(got[part].get(k))), want[part][k])
    # what the plain CBOR above cannot show: Float is a CBOR float64 (2.5),
    # the root call returned nothing (the byte FF), BigInt's b is a byte
    # string (0100ff) with "negative"
    ct = container(path)
    vals = b"".join(p for _, _, p in ct_decode.chunks(ct, "values"))
    calls = b"".join(p for _, _, p in ct_decode.chunks(ct, "calls"))
    ct.f.close()
    expect("Float as float64", b"af\xfb\x40\x04\x00\x00\x00\x00\x00\x00" in vals, True)
    expect("root call record", calls[:12].hex(" "), "0b 00 01 00 0a 00 00 01 ff 00 01 01")
    expect("BigInt bytes", b"abC\x01\x00\xffhnegative\xf5" in calls, True)
    # inner() returned by ctrec_return_none of the None type 0: the void
    # marker FF (return length 1, ff), not the CBOR None (which readers
    # take for the same); function 2, parent 1, entry and exit step 4,
    # depth 2, no argument, exception or child
    recs = ct_decode.length_prefixed("calls.dat", calls, 0)
    expect("inner's call record", recs[2].hex(" "), "02 02 04 04 02 00 01 ff 00 00")
    # the recording id is the trace_metadata.json one, a UUIDv7
    meta = json.load(open(os.path.join(out, "trace_metadata.json")))
    rid = ct_decode.decode(path)["metadata"]["recording_id"]
    expect("recording_id", rid, meta["recording_id"])
    expect("uuid version", rid[14], "7")
    # no scratch file left; no other event file
    expect("files", sorted(os.listdir(out)),
           ["noreturn", "trace.ct", "trace.lock", "trace_metadata.json", "trace_paths.json"])
    e = ct_decode.decode(os.path.join(out, "noreturn", "trace.ct"))
    expect("noreturn steps/calls/types", (e["steps"], e["calls"], e["types"]), ([], [], ["None"]))


def chunks(tool, out):
    n = 5000
    rc, so, se = run(tool, "chunks", out, str(n))
    expect("ct_writer_test chunks exit (stderr: %s)" % se.strip(), rc, 0)
    path = os.path.join(out, "trace.ct")
    d = ct_decode.decode(path)
    r = raw(path)
    Int = lambda i: {"kind": "Int", "i": i, "type": "Int"}  # noqa: E731
    steps, values, calls, events = [], [], [], []
    calls.append({"function": "<toplevel>", "args": {}, "return": {"kind": "None", "type": "None"},
                  "entry_step": 0, "parent": None, "depth": 0, "children": []})
    for i in range(n):
        steps.append(["/m", 1 + i % 7, None])
        values.append({"i": Int(i)})
        if i % 10 == 9:
            steps.append(["/m", 50, None])
            values.append({"x": Int(i)})
            key = len(calls)
            calls[0]["children"].append(key)
            calls.append({"function": "f", "args": {"x": Int(i)}, "return": Int(-i),
                          "entry_step": len(steps) - 1, "exit_step": len(steps) - 1,
                          "parent": 0, "depth": 1, "children": []})
            if i % 100 == 99:
                events.append({"kind": 0, "step": len(steps) - 1, "metadata": "", "content": "x"})
    calls[0]["exit_step"] = len(steps) - 1
    expect("step count", len(d["steps"]), len(steps))
    expect("steps", d["steps"], steps)
    expect("values", d["values"], values)
    expect("call count", len(d["calls"]), len(calls))
    expect("calls", d["calls"], calls)
    expect("events", d["events"], events)
    expect("notes", d.get("notes"), None)
    expect("records per chunk", r["per_chunk"], PER_CHUNK)
    expect("members", sorted(m for m, _ in d["members"]), sorted(
        ["meta.dat"] + [t + x for t in ("paths", "funcs", "types", "varnames") for x in (".dat", ".off")]
        + [t + x for t in ("steps", "values", "calls", "events") for x in (".dat", ".idx")]))


def rand_text(k, n):
    """Text number k of the big-value tests, n letters (test_ct_writer.c
    rand_letter): pseudo-random, which zstd cannot halve."""
    out = bytearray(n)
    for i in range(n):
        x = (i * 2654435761 + k * 40503) & 0xFFFFFFFF
        out[i] = 97 + (x ^ (x >> 15)) % 26
    return out.decode()


def bigchunk(tool, out):
    """Values chunks over the writer's one-call bound (16 MiB): the first
    (1024 steps of 20,000 bytes) compressed in pieces, the second in one
    call; in place and with the thread. ct_writer_test checks the values
    with ctrec's reader; here ct_decode.py reads them, and the first
    frame must state its content size."""
    n = 1100
    rc, so, se = run(tool, "bigchunk", out, str(n))
    expect("ct_writer_test bigchunk exit (stderr: %s)" % se.strip(), rc, 0)
    sample = range(0, n, 25)  # every value is checked by ctrec's reader in C
    texts = {k: rand_text(k, 20000) for k in sample}
    for mode in ("inplace", "thread"):
        path = os.path.join(out, mode, "trace.ct")
        d = ct_decode.decode(path)
        expect(mode + " steps", d["steps"], [["/m", 1 + k % 5, None] for k in range(n)])
        got = [v.get("s", {}).get("text") for v in d["values"]]
        expect(mode + " value count", len(got), n)
        expect(mode + " value lengths", sorted({len(t or "") for t in got}), [20000])
        bad = [k for k in sample if k >= len(got) or got[k] != texts[k]]
        expect(mode + " values differing (every 25th)", bad[:5], [])
        ct = container(path)
        frames = [(ci, len(payload)) for ci, off, payload in ct_decode.chunks(ct, "values")]
        expect(mode + " values chunks (index, content size)",
               [(ci, size > 16 << 20) for ci, size in frames], [(0, True), (1, False)])
        dat = ct.read("values.dat")
        expect(mode + " first frame's content size",
               zstandard.get_frame_parameters(dat).content_size, frames[0][1])
        expect(mode + " notes", d.get("notes"), None)


BK_TOP, BK_INNER, BK_MID = 30000, 25000, 1000


def parts(tool, out):
    """A values chunk handed to the compressing thread in parts as it
    grows (1300 steps of a 3,000-byte String): the closed trace and the
    copies published after steps 50 (no part yet), 137 (one part, and as
    many bytes in the writer's buffer as at 50), 200 (parts), 1024 (the
    first chunk complete, its parts not joined yet) and 1200 (parts of the
    second chunk): every step and every value, the copies' up to their
    flush, through ct_decode.py."""
    n, at = 1300, (50, 137, 200, 1024, 1200)
    rc, so, se = run(tool, "parts", out)
    expect("ct_writer_test parts exit (stderr: %s)" % se.strip(), rc, 0)
    texts = [rand_text(k, 3000) for k in range(n)]
    for name, upto, lenient in [("trace.ct", n, False)] + [
            ("published_%d.ct" % a, a, True) for a in at]:
        d = ct_decode.decode(os.path.join(out, name), lenient=lenient)
        expect(name + " steps", d["steps"], [["/m", 1 + k % 5, None] for k in range(upto)])
        got = [v.get("s", {}).get("text") for v in d["values"]]
        expect(name + " value count", len(got), upto)
        bad = [k for k in range(upto) if k >= len(got) or got[k] != texts[k]]
        expect(name + " values differing", bad[:5], [])
    ct = container(os.path.join(out, "trace.ct"))
    frames = [len(payload) for ci, off, payload in ct_decode.chunks(ct, "values")]
    expect("values chunks' content sizes over 3 MB", [f > 3000000 for f in frames],
           [True, False])


def bigkids_expected():
    """bigkids' calls (test_ct_writer.c bigkids_one), by key: function,
    parent, children; a leaf's argument k and returned value are its key."""
    fn, parent = {0: "<toplevel>"}, {0: None}
    kids = {0: []}
    key = 1

    def call(f, p):
        nonlocal key
        k = key
        key += 1
        fn[k], parent[k], kids[k] = f, p, []
        kids[p].append(k)
        return k

    for _ in range(BK_MID - 1):
        call("leaf", 0)
    mid = call("mid", 0)
    inner = call("inner", mid)
    for _ in range(BK_INNER):
        call("leaf", inner)
    for _ in range(BK_INNER):
        call("leaf", mid)
    for _ in range(BK_TOP - BK_MID):
        call("leaf", 0)
    return fn, parent, kids


def stored_frame_blocks(frame, content):
    """The blocks of a frame as the writer stores a calls chunk with big
    calls, the header zstd writes: magic, a 4-byte content size, no
    checksum, single-segment (0xa0) up to 1 MiB of content, else (0x80) a
    window descriptor of 2^20; then raw blocks of 128 KiB but the last:
    their sizes, or a message."""
    head = b"\x28\xb5\x2f\xfd" + (b"\xa0" if len(content) <= 1 << 20 else b"\x80\x50")
    if frame[:len(head)] != head:
        return "header %s" % frame[:len(head) + 1].hex(" ")
    pos = len(head) + 4
    if int.from_bytes(frame[len(head):pos], "little") != len(content):
        return "content size %d, not %d" % (int.from_bytes(frame[len(head):pos], "little"),
                                            len(content))
    sizes, data = [], b""
    while True:
        bh = int.from_bytes(frame[pos:pos + 3], "little")
        last, kind, size = bh & 1, (bh >> 1) & 3, bh >> 3
        if kind != 0:
            return "block %d of kind %d" % (len(sizes), kind)
        data += frame[pos + 3:pos + 3 + size]
        sizes.append(size)
        pos += 3 + size
        if last:
            break
    if pos != len(frame) or data != content:
        return "blocks do not hold the content"
    return sizes


def calls_frames(path):
    """(chunk number, its frame's bytes, what it inflates to) for each
    calls.dat chunk of the .ct at path."""
    ct = container(path)
    dat = ct.read("calls.dat")
    _, offs = ct_decode.chunk_index(ct, "calls")
    offs = offs + [len(dat)]
    for ci, off, payload in ct_decode.chunks(ct, "calls"):
        yield ci, dat[off:offs[ci + 1]], payload


def bigkids(tool, out):
    """Calls with over 64 KiB of children's keys (the top-level call's,
    chunk 0, written at close; mid's and inner's, both in chunk 3, before):
    every call's function, parent, children, argument and returned value as
    ct_decode.py reads them; those two chunks stored as raw blocks, holding
    exactly what they inflate to, the others compressed. And a top-level
    call of 400,000 children (wide), whose chunk passes the 1 MiB window:
    its frame's other header, its record's children; and one of 30,000
    children left open by a kill, repaired (kill): its children, its chunk
    stored by ctrec_ct_repair as the writer stores it."""
    rc, so, se = run(tool, "bigkids", out)
    expect("ct_writer_test bigkids exit (stderr: %s)" % se.strip(), rc, 0)
    fn, parent, kids = bigkids_expected()
    for mode in ("inplace", "thread"):
        path = os.path.join(out, mode, "trace.ct")
        d = ct_decode.decode(path)
        calls = d["calls"]
        expect(mode + " call count", len(calls), len(fn))
        bad = []
        for k, c in enumerate(calls):
            leaf = fn.get(k) == "leaf"
            want = (fn.get(k), parent.get(k), kids.get(k),
                    {"k": {"kind": "Int", "i": k, "type": "Int"}} if leaf else {},
                    {"kind": "Int", "i": k, "type": "Int"} if leaf else {"kind": "None", "type": "None"})
            if (c["function"], c["parent"], c["children"], c["args"], c["return"]) != want:
                bad.append(k)
        expect(mode + " calls differing", bad[:5], [])
        big = (0, BK_MID // ct_decode.chunk_index(container(path), "calls")[0])
        stored = []
        for ci, frame, payload in calls_frames(path):
            got = stored_frame_blocks(frame, payload)
            if ci in big:
                expect(mode + " chunk %d: raw blocks of 128 KiB but the last" % ci,
                       isinstance(got, list) and all(n == 128 << 10 for n in got[:-1]), True)
                if isinstance(got, str):
                    failures.append("%s chunk %d: %s" % (mode, ci, got))
            if not isinstance(got, str):
                stored.append(ci)
        expect(mode + " chunks stored", stored, list(big))
        expect(mode + " notes", d.get("notes"), None)
    # wide: the top-level call's 400,000 children, over the 1 MiB window:
    # its chunk (the first) read alone, its first record decoded
    ci, frame, payload = next(calls_frames(os.path.join(out, "wide", "trace.ct")))
    got = stored_frame_blocks(frame, payload)
    expect("wide chunk 0: raw blocks of 128 KiB but the last, over 1 MiB",
           isinstance(got, list) and all(n == 128 << 10 for n in got[:-1]) and sum(got) > 1 << 20,
           True)
    if isinstance(got, str):
        failures.append("wide chunk 0: %s" % got)
    n, pos = ct_decode.uvarint(payload, 0)
    root = ct_decode.decode_call(payload[pos:pos + n], 0, ["<toplevel>", "leaf"], [], [])
    expect("wide: the top-level call's children", root["children"] == list(range(1, 400001)), True)
    expect("wide: its parent and depth", (root["parent"], root["depth"]), (None, 0))
    # kill: the top-level call of BK_TOP children left open by a kill,
    # repaired: its children's keys apart in repair too (chunk 0 stored)
    path = os.path.join(out, "kill", "repaired.ct")
    d = ct_decode.decode(path)
    calls = d["calls"]
    expect("kill: repaired calls", len(calls), BK_TOP + 1)
    if calls:
        expect("kill: the top-level call's children", calls[0]["children"] == list(range(1, BK_TOP + 1)),
               True)
        expect("kill: leaves' parents", sorted({c["parent"] for c in calls[1:]}), [0])
    ci, frame, payload = next(calls_frames(path))
    got = stored_frame_blocks(frame, payload)
    expect("kill: repaired chunk 0 stored", isinstance(got, list), True)
    if isinstance(got, str):
        failures.append("kill chunk 0: %s" % got)


def rle_frame(n):
    """The frame the writer builds for a chunk of n zero bytes: magic, a
    single-segment header with the content size (1 byte under 256, else 2
    bytes less 256), one last RLE block of n copies, the byte."""
    fcs = bytes([0x20, n]) if n < 256 else bytes([0x60]) + (n - 256).to_bytes(2, "little")
    return b"\x28\xb5\x2f\xfd" + fcs + (1 | 1 << 1 | n << 3).to_bytes(3, "little") + b"\x00"


def runs(tool, out):
    """Steps without values: every values chunk a run of 0 bytes, written as
    one RLE block (a full chunk of 1024 records, a last one of 276 or 100,
    a single record, which zstd compresses): the exact frames, their
    offsets in values.idx, what python-zstandard inflates, and the steps
    and (empty) values ct_decode.py reads."""
    for n in (2148, 1300, 1):
        d = os.path.join(out, str(n))
        rc, so, se = run(tool, "runs", d, str(n))
        expect("ct_writer_test runs %d exit (stderr: %s)" % (n, se.strip()), rc, 0)
        path = os.path.join(d, "trace.ct")
        ct = container(path)
        sizes = [1024] * (n // 1024) + ([n % 1024] if n % 1024 else [])
        got = [(off, p) for _, off, p in ct_decode.chunks(ct, "values")]
        expect("values chunks (%d steps)" % n, [len(p) for _, p in got], sizes)
        expect("values bytes (%d steps)" % n, [p.count(0) for _, p in got], sizes)
        dat = ct.read("values.dat")
        want = b"".join(rle_frame(k) if k > 1 else b"" for k in sizes)
        if n > 1:
            expect("values.dat frames (%d steps)" % n, dat.hex(" "), want.hex(" "))
            offs = [0]
            for k in sizes[:-1]:
                offs.append(offs[-1] + len(rle_frame(k)))
            expect("values.idx offsets (%d steps)" % n, [o for o, _ in got], offs)
        else:
            expect("a 1-byte chunk compressed by zstd", dat != rle_frame(1), True)
        ct.f.close()
        dd = ct_decode.decode(path)
        expect("steps (%d)" % n, dd["steps"], [["/m", 1 + i % 7, None] for i in range(n)])
        expect("values (%d)" % n, dd["values"], [{} for _ in range(n)])


def inplace(tool, out):
    rc, so, se = run(tool, "inplace", out)
    expect("ct_writer_test inplace exit (stderr: %s)" % se.strip(), rc, 0)
    path = os.path.join(out, "trace.ct")
    d = ct_decode.decode(path)
    r = raw(path)
    Int = lambda i, t="Int": {"kind": "Int", "i": i, "type": t}  # noqa: E731
    expect("steps", d["steps"], [["/m", 1, None], ["/m", 2, None], ["/m", 3, None], ["/m", 4, None]])
    expect("types", d["types"], ["None", "Int", "String", "List", "Late"])
    expect("values", d["values"], [
        {"v%d" % k: Int(k * 1000) for k in range(130)},
        {"s": {"kind": "String", "text": "x" * 200, "type": "String"},
         "t": {"kind": "Sequence", "elements": [Int(5, "Late")], "is_slice": False, "type": "List"},
         "u": Int(3)},
        {},
        {"u": Int(4)}])
    # the values records as written, in order: nothing of the dropped values
    expect("values records", [[p[0] for p in rec] for rec in r["values"]],
           [list(range(130)), [130, 131, 132], [], [132]])
    expect("notes", d.get("notes"), None)


# test_ct_writer.c predict's steps: v0..v(n-1) (even ones 150-byte
# strings where long), then s's string length (None: no value)
PREDICT = [(130, False, 200), (130, False, 200), (1, False, 5), (0, False, None),
           (130, False, 20000), (130, True, 20000), (0, False, None), (1, False, 200),
           (130, True, None), (64, False, 130)]


def predict_values(upto, extra_u=True):
    """The values of predict's first `upto` steps (with step 6's u, given
    after the publication, when extra_u)."""
    out = []
    for i, (nv, long_v, s_len) in enumerate(PREDICT[:upto]):
        rec = {}
        for k in range(nv):
            if long_v and k % 2 == 0:
                rec["v%d" % k] = {"kind": "String", "text": "y" * 150, "type": "String"}
            else:
                rec["v%d" % k] = {"kind": "Int", "i": i * 1000 + k, "type": "Int"}
        if s_len is not None:
            rec["s"] = {"kind": "String", "text": "y" * s_len, "type": "String"}
        if i == 5 and extra_u:
            rec["u"] = {"kind": "Int", "i": 77, "type": "Int"}
        out.append(rec)
    return out


def predict(tool, out):
    rc, so, se = run(tool, "predict", out)
    expect("ct_writer_test predict exit (stderr: %s)" % se.strip(), rc, 0)
    d = ct_decode.decode(os.path.join(out, "trace.ct"))
    expect("predict steps", d["steps"], [["/m", i + 1, None] for i in range(len(PREDICT))])
    expect("predict values", d["values"], predict_values(len(PREDICT)))
    expect("predict notes", d.get("notes"), None)
    # the copy taken at the flush in step 6: its record as given until then
    p = ct_decode.decode(os.path.join(out, "published.ct"), lenient=True)
    expect("published steps", p["steps"], [["/m", i + 1, None] for i in range(6)])
    expect("published values", p["values"], predict_values(6, extra_u=False))


def fsize(tool, out):
    rc, so, se = run(tool, "fsize", out)
    expect("ct_writer_test fsize exit (stderr: %s)" % se.strip(), rc, 0)
    # what was published before the failure is a valid container prefix
    path = os.path.join(out, "trace.ct")
    try:
        d = ct_decode.decode(path, lenient=True)
        # the provisional meta.dat of the open: no paths listed
        expect("meta.dat after a failure", (d["metadata"].get("meta_version"),
                                            d["metadata"].get("paths")), (3, []))
        # (no step chunk is complete yet: 4096 steps a chunk)
        if len(raw(path, lenient=True)["values"]) < PER_CHUNK["values"]:
            failures.append("no value chunk was published before the limit")
    except ct_decode.CtError as e:
        failures.append("the container after the failure: %s" % e)


BIG_LEN = [1024, 300 * 1024, 2500 * 1024]


def big_text(k):
    """bigscratch's argument of call k."""
    return rand_text(k, BIG_LEN[k])


def scratch_frame_bytes(path):
    """The scratch file's pieces ([u32 size][zstd frame]): each frame's
    bytes, up to the first one cut by the kill."""
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos + 4 <= len(data):
        n = int.from_bytes(data[pos:pos + 4], "little")
        if pos + 4 + n > len(data):
            break  # cut by the kill
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def scratch_frames(path):
    """The scratch file's pieces as (frame size, content size): a stored
    piece's frame is larger than its content (raw block headers), a
    compressed one's smaller."""
    return [(len(f), zstandard.get_frame_parameters(f).content_size)
            for f in scratch_frame_bytes(path)]


def repaired_calls(tool, case, out):
    """Runs `ct_writer_test CASE OUT` (a killed recording, repaired into
    OUT/repaired.ct): its stdout and the repaired calls, decoded here (None
    after a failure)."""
    rc, so, se = run(tool, case, out)
    expect("ct_writer_test %s exit (stderr: %s)" % (case, se.strip()), rc, 0)
    try:
        return so, ct_decode.decode(os.path.join(out, "repaired.ct"))["calls"]
    except ct_decode.CtError as e:
        failures.append("repaired.ct: %s" % e)
        return so, None


def bigscratch(tool, out):
    """Scratch records of 1, 3 and 20 blocks, repaired after a kill: every
    call and argument as recorded, through the independent decoder."""
    calls = repaired_calls(tool, "bigscratch", out)[1]
    if calls is None:
        return
    # records zstd cannot halve: every piece stored, those of the 300 KiB
    # and 2.5 MiB arguments in raw blocks of 128 KiB
    frames = scratch_frames(os.path.join(out, "trace.ct.calls~"))
    expect("scratch pieces compressed (pseudo-random arguments)",
           [f for f in frames if f[0] < f[1]], [])
    expect("scratch pieces over 2 MiB", len([f for f in frames if f[1] > 2 << 20]), 1)
    expect("functions of the calls", [c["function"] for c in calls], ["<toplevel>", "f", "f", "f"])
    expect("steps of the calls", [(c["entry_step"], c["exit_step"]) for c in calls],
           [(0, 9), (1, 2), (4, 5), (7, 9)])
    for k in range(3):
        a = calls[k + 1]["args"].get("s", {})
        if a.get("kind") != "String" or a.get("text") != big_text(k):
            failures.append("call %d: its argument is not the one recorded (%s, %d bytes)" %
                            (k + 1, a.get("kind"), len(a.get("text", ""))))


def repair_tree_expected():
    """repairtree's calls (test_ct_writer.c rtree_node), by key: parent,
    entry step (a call makes a step at its function's line), exit step,
    children, returned value; the top-level call and the 3 left open end at
    the last step."""
    calls = {0: {"parent": None, "entry": 0, "children": [], "ret": None}}
    s = 0  # the next step; a call's entry step is the one at f's line
    key = 1
    stack = []

    def enter(k, parent):
        nonlocal s
        calls[k] = {"parent": parent, "entry": s + 1, "children": [], "ret": None}
        calls[parent]["children"].append(k)
        s += 2  # the step of line 2, then the call's at f's line

    # iteratively, as rtree_node recurses: (key, depth, children left)
    while key < 20000:
        stack.append([key, 1, None])
        enter(key, 0)
        key += 1
        while stack:
            top = stack[-1]
            if top[2] is None:
                top[2] = 1 + top[0] % 3 if top[1] < 5 else 0
            if top[2]:
                top[2] -= 1
                enter(key, top[0])
                stack.append([key, top[1] + 1, None])
                key += 1
                continue
            calls[top[0]]["exit"] = s
            s += 1
            if top[0] % 7 == 0:
                calls[top[0]]["ret"] = top[0]
            stack.pop()
    parent = 0
    for _ in range(3):
        enter(key, parent)
        parent = key
        key += 1
    last = s  # the step of line 7, the last published
    for k in [0] + list(range(key - 3, key)):
        calls[k]["exit"] = last
    return [calls[k] for k in range(key)]


def put_uvar(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def scratch_pieces(path):
    """The scratch file's pieces, decompressed."""
    return [zstandard.ZstdDecompressor().decompress(f) for f in scratch_frame_bytes(path)]


def scratch_to_old(path, new_path):
    """Reads the scratch file (ct_writer.h: e and x records, keys and steps
    from the bases of their piece) and writes it again in the form of
    ctrec before 2026-12-04 (E and X records, every field absolute, the
    children in the X record) as one piece: the calls, by key, as this
    reader sees them."""
    stream, starts = b"", []
    for p in scratch_pieces(path):
        starts.append(len(stream))
        stream += p
    starts.append(len(stream))
    recs, pos, piece, bkey, bstep = [], 0, -1, 0, 0
    while pos < len(stream):
        tag = stream[pos]
        n, q = ct_decode.uvarint(stream, pos + 1, "the scratch file")
        body = stream[q:q + n]
        while starts[piece + 1] <= pos:  # the piece the record starts in
            piece += 1
            bkey = bstep = 0
        pos = q + n
        if tag == ord("e"):
            dk, j = ct_decode.uvarint(body, 0, "a scratch record")
            fn, j = ct_decode.uvarint(body, j, "a scratch record")
            dp, j = ct_decode.uvarint(body, j, "a scratch record")
            ds, j = ct_decode.uvarint(body, j, "a scratch record")
            key, step = bkey + dk, bstep + ds
            recs.append(("E", key, fn, key - dp if dp else -1, step, body[j:]))
            bkey, bstep = key, step
        elif tag == ord("x"):
            kz, j = ct_decode.uvarint(body, 0, "a scratch record")
            ds, j = ct_decode.uvarint(body, j, "a scratch record")
            step = bstep + ds
            recs.append(("X", bkey + ((kz >> 1) ^ -(kz & 1)), step, body[j:]))
            bstep = step
        else:
            raise ValueError("record tag %r" % chr(tag))
    kids = {}
    for r in recs:
        if r[0] == "E" and r[3] >= 0:
            kids.setdefault(r[3], []).append(r[1])
    old = bytearray()
    for r in recs:
        if r[0] == "E":
            zz = 1 if r[3] < 0 else 2 * r[3]
            body = put_uvar(r[1]) + put_uvar(r[2]) + put_uvar(zz) + put_uvar(r[4]) + r[5]
        else:
            k = kids.get(r[1], [])
            body = (put_uvar(r[1]) + put_uvar(r[2]) + r[3] + put_uvar(len(k)) +
                    b"".join(put_uvar(c) for c in k))
        old += r[0].encode() + put_uvar(len(body)) + body
    frame = ct_decode.zstandard.ZstdCompressor(write_content_size=True).compress(bytes(old))
    with open(new_path, "wb") as f:
        f.write(len(frame).to_bytes(4, "little") + frame)
    return recs


def repairtree(tool, out, ctrec):
    """A tree of calls over several scratch pieces and key windows,
    repaired after a kill: every call's parent, children, steps, argument
    and returned value, through the independent decoder. Then the killed
    trace again with its scratch file read here and written in the form of
    ctrec before 2026-12-04 (what a recording of that ctrec left behind):
    ctrec repair makes the same calls of it."""
    so, got = repaired_calls(tool, "repairtree", out)
    # delta records compress: every piece (but a short last one) at zstd
    # level -4 or -1, the file under a quarter of its records (about 7
    # times smaller)
    frames = scratch_frames(os.path.join(out, "trace.ct.calls~"))
    expect("scratch pieces stored", [f for f in frames[:-1] if f[0] >= f[1]], [])
    expect("scratch file under a quarter of its records",
           sum(f[0] + 4 for f in frames) * 4 < sum(f[1] for f in frames), True)
    old = os.path.join(out, "old-form")
    os.makedirs(old)
    shutil.copy(os.path.join(out, "trace.ct"), old)
    try:
        recs = scratch_to_old(os.path.join(out, "trace.ct.calls~"),
                              os.path.join(old, "trace.ct.calls~"))
    except (ValueError, ct_decode.CtError) as e:
        failures.append("the scratch file: %s" % e)
        return
    expect("entry records in the scratch file, by key",
           [r[1] for r in recs if r[0] == "E"], list(range(len(repair_tree_expected()))))
    rc, so_old, se = run(ctrec, "repair", os.path.join(old, "trace.ct"))
    expect("ctrec repair of the old form (stderr: %s)" % se.strip(), rc, 0)
    want = repair_tree_expected()
    expect("ctrec_ct_repair's counts", so.strip(), "%d calls, 4 open" % len(want))
    if got is None:
        return
    expect("number of calls", len(got), len(want))
    bad = 0
    for k, (g, w) in enumerate(zip(got, want)):
        a = g["args"].get("k")
        r = g["return"]
        have = (g["parent"], g["children"], g["entry_step"], g["exit_step"],
                a and a.get("i"), r.get("i") if r.get("kind") == "Int" else None)
        exp = (w["parent"], w["children"], w["entry"], w["exit"], None if k == 0 else k,
               w["ret"])
        if have != exp and bad < 5:
            failures.append("call %d: (parent, children, entry, exit, argument, returned) %r, "
                            "expected %r" % (k, have, exp))
            bad += 1
    try:
        again = ct_decode.decode(os.path.join(old, "trace.ct"))["calls"]
    except ct_decode.CtError as e:
        failures.append("the old form, repaired: %s" % e)
        return
    expect("the calls repaired from the old form", again, got)


def roundtrip(ctrec, out, fixtures):
    """json -> ct -> json: every event a .ct holds survives; ctrec print of
    the .ct and of its conversion back agree; the container decodes here."""
    for name in ("codetracer-m0", "codetracer-wasm"):
        src = os.path.join(fixtures, name)
        ct = os.path.join(out, name + "-ct")
        back = os.path.join(out, name + "-back")
        rc, so, se = run(ctrec, "convert", "--format", "ct", src, ct)
        expect("convert %s to ct (%s)" % (name, se.strip()), rc, 0)
        rc, so, se = run(ctrec, "convert", "--format", "json", ct, back)
        expect("convert %s back to json (%s)" % (name, se.strip()), rc, 0)
        p_ct = run(ctrec, "print", ct)[1]
        p_back = run(ctrec, "print", back)[1]
        expect(name + ": print of the .ct == print of its json", p_ct, p_back)
        p_src = run(ctrec, "print", src)[1]
        def count(text, kind):
            return sum(1 for l in text.splitlines() if l.startswith('{"%s"' % kind))
        for kind in ("Step", "Call", "Event", "Path", "Function", "VariableName"):
            expect("%s: %s events" % (name, kind), count(p_ct, kind), count(p_src, kind))
        # a call still open at the end of the recording ends at the last step
        # (a call record has an exit step): it reads back with a Return
        expect("%s: a Return per Call" % name, count(p_ct, "Return"), count(p_ct, "Call"))
        d = ct_decode.decode(os.path.join(ct, "trace.ct"))
        expect(name + ": steps decoded", len(d["steps"]), count(p_src, "Step"))
    # thread events (ctrec_write_event into a .ct): steps.dat's thread
    # records, each after the step it follows, and back again. The reference
    # Nim reader (nim-ct-dump, nim_read.tsv's header) loaded this container on
    # 2026-12-04: 8 step records (the 4 steps and the 4 thread records), 1 call.
    src = os.path.join(out, "threads")
    os.makedirs(src, exist_ok=True)
    evs = ['{"Path":"/t/a.lua"}', '{"Function":{"path_id":0,"line":1,"name":"main"}}',
           '{"Call":{"function_id":0,"args":[]}}', '{"Step":{"path_id":0,"line":1}}',
           '{"ThreadStart":7}', '{"Step":{"path_id":0,"line":2}}', '{"ThreadSwitch":7}',
           '{"ThreadSwitch":0}', '{"Step":{"path_id":0,"line":3}}', '{"ThreadExit":7}',
           '{"Step":{"path_id":0,"line":4}}',
           '{"Return":{"return_value":{"kind":"None","type_id":0}}}']
    with open(os.path.join(src, "trace.json"), "w") as f:
        f.write("[\n" + ",\n".join(evs) + "\n]\n")
    ct = os.path.join(out, "threads-ct")
    rc, so, se = run(ctrec, "convert", "--format", "ct", src, ct)
    expect("convert threads to ct (%s)" % se.strip(), rc, 0)
    d = ct_decode.decode(os.path.join(ct, "trace.ct"))
    expect("threads: steps", d["steps"], [["/t/a.lua", n, None] for n in (1, 2, 3, 4)])
    expect("threads: thread records", d.get("threads"),
           [{"step": 0, "kind": "thread_start", "thread_id": 7},
            {"step": 1, "kind": "thread_switch", "thread_id": 7},
            {"step": 1, "kind": "thread_switch", "thread_id": 0},
            {"step": 2, "kind": "thread_exit", "thread_id": 7}])
    body = lambda text: [l for l in text.splitlines()  # noqa: E731
                         if not l.startswith(('{"Function"', '{"Call"'))]
    expect("threads: print of the .ct", body(run(ctrec, "print", ct)[1]),
           body("\n".join(evs)))
    back = os.path.join(out, "threads-back")
    rc, so, se = run(ctrec, "convert", "--format", "json", ct, back)
    expect("convert threads back to json (%s)" % se.strip(), rc, 0)
    expect("threads: print of its json", run(ctrec, "print", back)[1], run(ctrec, "print", ct)[1])
    # what a .ct cannot hold fails the conversion, nothing is dropped
    rc, so, se = run(ctrec, "convert", "--format", "ct", os.path.join(fixtures, "reference-rust"),
                     os.path.join(out, "rr-ct"))
    expect("reference-rust to ct exit", rc, 1)
    expect("reference-rust to ct message",
           "Return: a .ct return needs an open call" in se, True)
    expect("no trace.ct after a failed conversion",
           os.path.exists(os.path.join(out, "rr-ct", "trace.ct")), False)


def uv(n):
    """LEB128 of n (the expected bytes of a path length)."""
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def columns(tool, out, ctrec):
    """A column-aware .ct: steps.dat's tags (7 within a line), paths.dat's
    Layout A records, meta.dat flag 0x10, and the steps as ct_decode.py and
    ctrec print read them."""
    rc, so, se = run(tool, "columns", out)
    expect("ct_writer_test columns exit (stderr: %s)" % se.strip(), rc, 0)
    path = os.path.join(out, "trace", "trace.ct")
    src = os.path.join(out, "src", "a.lua")
    d = ct_decode.decode(path)
    expect("meta.dat flags", d["metadata"]["meta_flags"], 0x1f10)
    expect("paths", d["paths"], ["a.lua", "/no/such/file.lua", src])
    expect("steps", d["steps"], [["a.lua", 1, 7], ["a.lua", 1, 1], ["a.lua", 1, 10],
                                 ["a.lua", 3, 1], ["a.lua", 3, 2], ["a.lua", 2, 1],
                                 ["a.lua", 4, 6], [src, 4, 3]])
    x = lambda i: {"x": {"kind": "Int", "i": i, "type": "Int"}}  # noqa: E731
    expect("values", d["values"], [x(1), {}, {}, {}, {}, {}, {}, x(9)])
    expect("notes", d.get("notes"), None)
    ct = ct_decode.Container(path)
    ct.lenient = False
    # positions: a.lua's lines take 10, 1, 4 and 6 (newlines counted); the
    # unreadable path none; the second a.lua starts at 21
    raw = b"".join(p for _, _, p in ct_decode.chunks(ct, "steps"))
    expect("steps.dat records", raw.hex(" "), "00 06 07 0b 07 12 01 04 07 02 01 03 01 14 01 24")
    recs = ct_decode.record_table(ct, "paths")
    expect("paths.dat Layout A records", [r.hex(" ") for r in recs],
           [(b"\x05a.lua\x04\x14\x11\x06\x04").hex(" "),
            (b"\x11/no/such/file.lua\x00").hex(" "),
            (uv(len(src.encode())) + src.encode() + b"\x04\x14\x11\x06\x04").hex(" ")])
    steps = [l for l in run(ctrec, "print", path)[1].splitlines() if l.startswith('{"Step"')]
    expect("ctrec print steps", steps,
           ['{"Step":{"path_id":%d,"line":%d,"column":%d}}' % t
            for t in [(0, 1, 7), (0, 1, 1), (0, 1, 10), (0, 3, 1), (0, 3, 2), (0, 2, 1),
                      (0, 4, 6), (2, 4, 3)]])
    # ctrec convert .ct -> .ct keeps the columns (the writer reads the
    # sources' line lengths again): the same events, the same steps.dat
    conv = os.path.join(out, "conv")
    rc, so, se = run(ctrec, "convert", "--format", "ct", path, conv)
    expect("convert to ct exit (%s)" % se.strip(), (rc, se), (0, ""))
    cpath = os.path.join(conv, "trace.ct")
    expect("convert: ctrec print", run(ctrec, "print", cpath)[1], run(ctrec, "print", path)[1])
    c = ct_decode.decode(cpath)
    expect("convert: meta.dat flags", c["metadata"]["meta_flags"], 0x1f10)
    expect("convert: steps", c["steps"], d["steps"])
    ct = ct_decode.Container(cpath)
    ct.lenient = False
    expect("convert: steps.dat records",
           b"".join(p for _, _, p in ct_decode.chunks(ct, "steps")).hex(" "),
           "00 06 07 0b 07 12 01 04 07 02 01 03 01 14 01 24")
    # a source with a line table that cannot be read now: line-only, said so
    os.rename(src, src + ".away")
    try:
        rc, so, se = run(ctrec, "convert", "--format", "ct", path, conv + "2")
    finally:
        os.rename(src + ".away", src)
    expect("convert without a.lua exit", rc, 0)
    expect("convert without a.lua notes", se.splitlines(),
           ["ctrec: note: %s2: cannot read %s, whose line lengths a column-aware .ct needs: "
            "the output is line-only" % (conv, os.path.join(out, "src", "a.lua")),
            "ctrec: note: ctrec's trace.ct cannot hold 8 step columns, 0 Raise/Catch events, "
            "0 call exceptions and 0 span records of the .ct; they were left out"])
    c = ct_decode.decode(os.path.join(conv + "2", "trace.ct"))
    expect("convert without a.lua: flags, steps", (c["metadata"]["meta_flags"], c["steps"]),
           (0x1f00, [["a.lua", 1, None]] * 3 + [["a.lua", 3, None]] * 2 +
            [["a.lua", 2, None], ["a.lua", 4, None], [src, 4, None]]))


THREADS_PRINT = """\
{"Path":"/src/t.py"}
{"Function":{"path_id":0,"line":0,"name":"<toplevel>"}}
{"Function":{"path_id":0,"line":0,"name":"work"}}
{"Function":{"path_id":0,"line":0,"name":"leaf"}}
{"Type":{"kind":16,"lang_type":"None","specific_info":{"kind":"None"}}}
{"Type":{"kind":16,"lang_type":"int","specific_info":{"kind":"None"}}}
{"VariableName":"i"}
{"Step":{"path_id":0,"line":2}}
{"Call":{"function_id":0,"args":[]}}
{"ThreadStart":7}
{"ThreadStart":8}
{"Step":{"path_id":0,"line":3}}
{"Value":{"variable_id":0,"value":{"kind":"Int","i":1,"type_id":1}}}
{"ThreadSwitch":8}
{"Step":{"path_id":0,"line":10}}
{"Value":{"variable_id":0,"value":{"kind":"Int","i":8,"type_id":1}}}
{"Value":{"variable_id":0,"value":{"kind":"Int","i":10,"type_id":1}}}
{"Call":{"function_id":1,"args":[{"variable_id":0,"value":{"kind":"Int","i":8,"type_id":1}}]}}
{"ThreadSwitch":7}
{"Step":{"path_id":0,"line":20}}
{"Value":{"variable_id":0,"value":{"kind":"Int","i":20,"type_id":1}}}
{"Call":{"function_id":2,"args":[]}}
{"ThreadSwitch":8}
{"Step":{"path_id":0,"line":11}}
{"Return":{"return_value":{"kind":"Int","i":5,"type_id":1}}}
{"ThreadExit":8}
{"ThreadSwitch":7}
{"Step":{"path_id":0,"line":21}}
{"Return":{"return_value":{"kind":"None","type_id":0}}}
{"Step":{"path_id":0,"line":4}}
{"ThreadExit":7}
{"Return":{"return_value":{"kind":"None","type_id":0}}}
"""


def threads(tool, out, ctrec):
    """Thread handles into a .ct (ct_writer_test threads): ctrec print reads
    the exact event sequence; the steps, thread records and Returns come in
    the order the same script gives in trace.json; ctrec check finds no
    error; ct_decode.py reads the same steps, thread records, values and
    call tree (calls.dat holds one tree: a Return closes the innermost call
    of the trace, the single stack the debugger replays from trace.json)."""
    rc, so, se = run(tool, "threads", out)
    expect("ct_writer_test threads exit (stderr: %s)" % se.strip(), rc, 0)
    path = os.path.join(out, "trace.ct")
    rc, ct_print, se = run(ctrec, "print", path)
    expect("ctrec print exit (%s)" % se.strip(), rc, 0)
    expect("ctrec print", ct_print.splitlines(), THREADS_PRINT.splitlines())
    rc, json_print, se = run(ctrec, "print", out + "-json")
    expect("ctrec print json exit (%s)" % se.strip(), rc, 0)
    keep = lambda text: [l for l in text.splitlines()  # noqa: E731
                         if l.startswith(('{"Step"', '{"Thread', '{"Return'))]
    # the .ct closes the top-level call at close (its last Return)
    expect("steps, threads and returns as in trace.json", keep(ct_print)[:-1],
           keep(json_print))
    for d in (out, out + "-json"):
        rc, so, se = run(ctrec, "check", d)
        expect("ctrec check %s exit (%s)" % (d, (so + se).strip()), rc, 0)
        expect("ctrec check %s verdict" % d, " 0 errors, 1 warning" in so + se, True)
    d = ct_decode.decode(path)
    expect("steps", [s[1] for s in d["steps"]], [2, 3, 10, 20, 11, 21, 4])
    expect("threads", [(t["step"], t["kind"], t["thread_id"]) for t in d["threads"]],
           [(0, "thread_start", 7), (0, "thread_start", 8), (1, "thread_switch", 8),
            (2, "thread_switch", 7), (3, "thread_switch", 8), (4, "thread_exit", 8),
            (4, "thread_switch", 7), (6, "thread_exit", 7)])
    i = lambda n: {"kind": "Int", "i": n, "type": "int"}  # noqa: E731
    expect("values", d["values"], [{}, {"i": i(1)}, {"i": i(8), "i#2": i(10)}, {"i": i(20)},
                                   {}, {}, {}])
    none = {"kind": "None", "type": "None"}
    expect("calls", [(c["function"], c["entry_step"], c["exit_step"], c["parent"], c["return"])
                     for c in d["calls"]],
           [("<toplevel>", 0, 6, None, none), ("work", 2, 5, 0, none), ("leaf", 3, 4, 1, i(5))])
    expect("notes", d.get("notes"), None)


def printed(ctrec, d, kind):
    """The bodies of the `kind` events `ctrec print d` gives, in order."""
    r = subprocess.run([ctrec, "print", d], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    expect("ctrec print %s exit (stderr: %s)" % (d, r.stderr.decode(errors="replace").strip()),
           r.returncode, 0)
    head = '{"%s"' % kind
    return [json.loads(line.strip().rstrip(","))[kind]
            for line in r.stdout.decode().splitlines() if line.strip().startswith(head)]


def callpaths(tool, out, ctrec, mode="callpaths"):
    """The same pseudo-random calls written into a .ct and a trace.json
    (test_ct_writer.c callpaths): the calls ct_decode.py reads from the .ct
    (function, arguments, return value, entry and exit step, parent,
    depth, children) against the ones the trace.json's events give. The
    trace.json writer shares none of the .ct writer's call paths. Then
    the Calls and Returns ctrec print gives of both, in order: the C
    reader's batches hand out a Return's text where it was decoded, so a
    call entered later in the same batch must not overwrite it."""
    n = ["70000"] if mode == "callpaths" else []  # past 2^14 calls: keys of 1-3 bytes
    for fmt in ("ct", "json"):
        rc, so, se = run(tool, mode, os.path.join(out, fmt), fmt, *n)
        expect("ct_writer_test %s %s exit (stderr: %s)" % (mode, fmt, se.strip()), rc, 0)
    d = ct_decode.decode(os.path.join(out, "ct", "trace.ct"))
    with open(os.path.join(out, "json", "trace.json")) as f:
        events = json.load(f)
    funcs, types, varnames, calls, stack = [], [], [], [], []
    nsteps = 0

    def value(v):
        r = {k: x for k, x in v.items() if k != "type_id"}
        r["type"] = types[v["type_id"]]
        return r

    for ev in events:
        (kind, body), = ev.items()
        if kind == "Function":
            funcs.append(body["name"])
        elif kind == "Type":
            types.append(body["lang_type"])
        elif kind == "VariableName":
            varnames.append(body)
        elif kind == "Step":
            nsteps += 1
        elif kind == "Call":
            key = len(calls)
            parent = stack[-1] if stack else None
            if parent is not None:
                calls[parent]["children"].append(key)
            calls.append({"function": funcs[body["function_id"]],
                          "args": {varnames[a["variable_id"]]: value(a["value"]) for a in body["args"]},
                          "return": None, "entry_step": max(nsteps - 1, 0), "exit_step": None,
                          "parent": parent, "depth": len(stack), "children": []})
            stack.append(key)
        elif kind == "Return":
            c = calls[stack.pop()]
            c["return"] = value(body["return_value"])
            c["exit_step"] = nsteps - 1
    # the top-level call is never returned: a .ct closes it at the last step,
    # and so every call still open (kidpaths leaves 4 more open)
    expect("calls still open", len(stack), 1 if mode == "callpaths" else 5)
    for key in stack:
        calls[key]["return"] = {"kind": "None", "type": "None"}
        calls[key]["exit_step"] = nsteps - 1
    expect("step count", len(d["steps"]), nsteps)
    expect("call count", len(d["calls"]), len(calls))
    expect("calls", d["calls"], calls)
    expect("notes", d.get("notes"), None)
    lens = [len(json.dumps(c["return"])) for c in calls]
    if mode == "callpaths":
        expect("calls past 2^14", len(calls) > (1 << 14), True)
        expect("returns of varied lengths", min(lens) < 40 < max(lens), True)
    else:
        kids = {len(c["children"]) for c in calls}
        expect("children counts", kids >= set(range(10)), True)
        expect("calls past 3 chunks", len(calls) > 3 * 256, True)
    expect("calls with over 4 children", any(len(c["children"]) > 4 for c in calls), True)
    for kind in ("Call", "Return"):
        from_ct = printed(ctrec, os.path.join(out, "ct"), kind)
        from_json = printed(ctrec, os.path.join(out, "json"), kind)
        if kind == "Return":  # a .ct closes the open calls at its last step
            k = len(stack)
            expect("ctrec print of the .ct: the open calls' Returns", from_ct[-k:],
                   [{"return_value": {"kind": "None", "type_id": 0}}] * k)
            from_ct = from_ct[:-k]
        expect("ctrec print: %s events, .ct against trace.json" % kind, len(from_ct),
               len(from_json))
        bad = [i for i, (x, y) in enumerate(zip(from_ct, from_json)) if x != y]
        expect("ctrec print: %s events that differ, .ct against trace.json (first: %s)"
               % (kind, bad[:1] and (from_ct[bad[0]], from_json[bad[0]])), len(bad), 0)


def main():
    case, tool, out = sys.argv[1:4]
    shutil.rmtree(out, ignore_errors=True)
    if case == "roundtrip":
        os.makedirs(out)
        roundtrip(tool, out, sys.argv[4])
    elif case == "columns":
        columns(tool, out, sys.argv[4])
    elif case in ("callpaths", "kidpaths"):
        callpaths(tool, out, sys.argv[4], case)
    elif case == "repairtree":
        repairtree(tool, out, sys.argv[4])
    elif case == "threads":
        shutil.rmtree(out + "-json", ignore_errors=True)
        threads(tool, out, sys.argv[4])
    else:
        {"scenario": scenario, "chunks": chunks, "fsize": fsize, "inplace": inplace,
         "predict": predict,
         "runs": runs, "bigscratch": bigscratch, "bigchunk": bigchunk, "parts": parts, "bigkids": bigkids}[case](
            tool, out)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
