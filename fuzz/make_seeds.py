#!/usr/bin/env python3
"""Regenerates the committed seed corpora in fuzz/corpus/<target>/seed-*
from the project's own writer: the C example and the W1 benchmark in both
formats, plus hand-written call sequences for fuzz_writer, and for
fuzz_ct_legacy the members of a make_synth_ct.py --legacy container.

    fuzz/make_seeds.py BUILD_DIR      (e.g. build; needs its bin/ programs)

Fuzzer-found inputs (regress-*) in the same folders are kept.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\n@@\n"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def cbor_stream(trace_bin):
    """The decompressed event stream of a trace.bin (frames only)."""
    body = trace_bin[8:]
    out = bytearray()
    d = zstandard.ZstdDecompressor()
    reader = d.stream_reader(body, read_across_frames=True)
    while True:
        chunk = reader.read(1 << 16)
        if not chunk:
            break
        out += chunk
    return bytes(out)


def text(s):
    b = s.encode() if isinstance(s, str) else s
    return bytes([len(b)]) + b


def writer_seeds():
    # op numbers of fuzz_writer.c
    START, TYPE, VAR, STEP, CALL, EVENT = 7, 3, 6, 8, 9, 10
    FUNC, BVAL, BRET, BCALL, ARG, END = 2, 19, 21, 23, 24, 26
    INT, FLOAT, BOOL, STR, NONE, BIGINT, CHAR = 28, 29, 30, 31, 32, 34, 35
    BSEQ, ESEQ, BTUP, ETUP, BSTRUCT, ESTRUCT = 36, 37, 38, 39, 40, 41
    BVAR, EVAR, BREF, EREF, FLUSH, STRUCTT = 42, 43, 44, 45, 46, 4
    body = bytes([START]) + text("/src/main.py") + bytes([8])
    body += bytes([TYPE, 10]) + text("int")
    body += bytes([VAR]) + text("x") + bytes([1])
    body += bytes([STEP, 0, 16])
    body += bytes([BVAL, 0, INT, 40, 1, END])
    body += bytes([BVAL, 0, BSEQ, 0, 0, INT, 24, 0, FLOAT, 200, 0, BOOL, 1, 0, ESEQ, END])
    body += bytes([BVAL, 0, BTUP, 0, STR, 0]) + text("h\xe9\x00llo".encode("latin-1")) + bytes([0, ETUP, END])
    body += bytes([STRUCTT, 2]) + text("a") + bytes([0]) + text("b") + bytes([0]) + text("S")
    body += bytes([BVAL, 0, BSTRUCT, 2, INT, 8, 0, NONE, 0, ESTRUCT, END])
    body += bytes([BVAL, 0, BVAR, 0]) + text("Some") + bytes([0, BREF, 3, 1, 0, CHAR]) + text("\u00e9") + bytes([0, EREF, EVAR, END])
    body += bytes([BVAL, 0, BIGINT, 9] + list(range(9)) + [1, 0, END])
    body += bytes([FUNC, 1]) + text("f") + bytes([0, 24])
    body += bytes([BCALL, 1, ARG, 0, INT, 16, 0, END])
    body += bytes([STEP, 0, 32, BRET, NONE, 0, END, FLUSH])
    body += bytes([EVENT]) + text("meta") + text("content\n") + bytes([0])
    for f in (0x00, 0x01, 0x02, 0x83):
        put("writer", "calls-%02x" % f, bytes([f, 59]) + body)
    deep = bytes([0, 59, START]) + text("/d") + bytes([8, VAR]) + text("v") + bytes([1])
    deep += bytes([BVAL, 0]) + bytes([BSEQ, 0, 0]) * 70 + bytes([INT, 8, 0]) + bytes([ESEQ]) * 70 + bytes([END])
    put("writer", "deep", deep)
    # value memos: a Sequence of a Sequence kept in slot 0, written again as
    # a whole value, and refused three compounds deep where max_depth is 4
    MBEGIN, MEND, MWRITE = 48, 49, 50
    memo = bytes([1, 3, START]) + text("/m") + bytes([8, TYPE, 10]) + text("int")
    memo += bytes([VAR]) + text("v") + bytes([1, STEP, 0, 16])
    memo += bytes([BVAL, 0, MBEGIN, BSEQ, 0, 0, BSEQ, 0, 0, INT, 8, 0, ESEQ, ESEQ, MEND, 0, END])
    memo += bytes([BVAL, 0, MWRITE, 0, END])
    memo += bytes([BVAL, 0]) + bytes([BSEQ, 0, 0]) * 3 + bytes([MWRITE, 0, INT, 8, 0])
    memo += bytes([ESEQ]) * 3 + bytes([END])
    put("writer", "memo", memo)


def legacy_seeds():
    """fuzz_ct_legacy: byte 0 chooses the member (see fuzz_ct_legacy.c), the
    rest is that member of a 520-step make_synth_ct.py --legacy container
    with raise/catch records and every value kind (record tables as records
    ended by 0xfe)."""
    import struct
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "ct"))
    import ct_decode
    import make_synth_ct
    with tempfile.NamedTemporaryFile(suffix=".ct") as f:
        f.write(make_synth_ct.make(520, legacy=True, exceptions=True, kinds=True))
        f.flush()
        ct = ct_decode.Container(f.name)
        m = {name: ct.read(name) for _, name, _, _ in ct.entries}
        ct.f.close()
    idx = m["steps.idx"]
    first = struct.unpack_from("<Q", idx, 12)[0]
    chunk = zstandard.ZstdDecompressor().decompress(m["steps.dat"][first:])
    put("ct_legacy", "steps-chunk", b"\x00" + chunk)
    put("ct_legacy", "steps-idx", b"\x01" + idx)
    for k, base in enumerate(("values", "events", "calls")):
        off = m[base + ".off"]
        offs = struct.unpack("<%dQ" % (len(off) // 8), off)
        recs = [m[base + ".dat"][a:b] for a, b in zip(offs, offs[1:])]
        put("ct_legacy", base + "-dat", bytes([2 + k]) + b"\xfe".join(recs))
        put("ct_legacy", base + "-off", bytes([5 + k]) + off[:4096])


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    bindir = os.path.join(build, "bin")
    tmp = tempfile.mkdtemp(prefix="ctrec-seeds-")
    try:
        traces = {}
        for fmt in ("json", "bin"):
            d = os.path.join(tmp, "example-" + fmt)
            subprocess.run([os.path.join(bindir, "ctrec-example-c"), d, fmt], check=True,
                           stdout=subprocess.DEVNULL)
            traces["example-" + fmt] = d
            d = os.path.join(tmp, "w1-" + fmt)
            subprocess.run([os.path.join(bindir, "ctrec-bench"), "w1", "-n", "30", "--format", fmt,
                            "--out", d], check=True, stdout=subprocess.DEVNULL)
            traces["w1-" + fmt] = d
        for name, d in traces.items():
            paths = read(os.path.join(d, "trace_paths.json"))
            meta = read(os.path.join(d, "trace_metadata.json"))
            if name.endswith("json"):
                tj = read(os.path.join(d, "trace.json"))
                put("json_reader", name, b"\x00" + tj)
                put("json_reader", name + "-side", b"\x01" + tj + SEP + paths + SEP + meta)
                put("check", name, b"\x00" + tj)
                put("check", name + "-side", b"\x01" + tj + SEP + paths + SEP + meta)
            else:
                tb = read(os.path.join(d, "trace.bin"))
                stream = cbor_stream(tb)
                put("bin_reader", name + "-raw", b"\x00" + tb)
                put("bin_reader", name + "-stream", b"\x01" + stream)
                put("bin_reader", name + "-stream-cut", b"\x75" + stream)
                put("check", name + "-side", b"\x03" + stream + SEP + paths + SEP + meta)
        writer_seeds()
        legacy_seeds()
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
