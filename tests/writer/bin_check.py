#!/usr/bin/env python3
"""bin_check.py GENERATOR [--full] [--seed=N]: trace.bin decoded independently of ctrec.
bin_check.py partial DIR N: DIR/trace.bin of a recording still running (no
seek table yet) holds N whole events in complete frames.
bin_check.py count DIR N: the finished DIR/trace.bin holds N events.

Runs `GENERATOR gen json DIR` and `GENERATOR gen bin DIR` (the same
recording), then decodes trace.bin with Debian's zstandard and cbor2:
8-byte v1 header, zstd seekable frames, seek table; the CBOR items must be
the JSON events (same data model), each item's bytes must be the canonical
CBOR of that event (definite lengths, shortest integers, key order as in the
JSON); with --full (writer_events' recording) several frames are expected
and a few items are compared with hand-written bytes.
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import cbor2
import zstandard

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("bin_check: FAILED: " + msg, file=sys.stderr)


def decode_bin(path):
    data = open(path, "rb").read()
    check(data[:8] == bytes([0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00]),
          "header is %s" % data[:8].hex())
    # seek table at the end
    n, desc, magic = struct.unpack("<IBI", data[-9:])
    check(magic == 0x8F92EAB1, "seekable magic %x" % magic)
    check(desc == 0, "descriptor %d" % desc)
    table_size = 8 * n + 9
    tstart = len(data) - table_size - 8
    skip_magic, size = struct.unpack("<II", data[tstart:tstart + 8])
    check(skip_magic == 0x184D2A5E, "skippable magic %x" % skip_magic)
    check(size == table_size, "seek table size %d != %d" % (size, table_size))
    entries = [struct.unpack("<II", data[tstart + 8 + 8 * i: tstart + 16 + 8 * i])
               for i in range(n)]
    check(8 + sum(c for c, _ in entries) == tstart, "frames do not fill the file")
    out = b""
    pos = 8
    frames = []
    for csize, dsize in entries:
        frame = data[pos:pos + csize]
        pos += csize
        plain = zstandard.ZstdDecompressor().decompressobj().decompress(frame)
        check(len(plain) == dsize, "frame decompressed to %d, table says %d" % (len(plain), dsize))
        frames.append(plain)
        out += plain
    return out, frames


def items(blob):
    """(decoded, raw bytes) of each concatenated CBOR item."""
    fp = io.BytesIO(blob)
    dec = cbor2.CBORDecoder(fp)
    res = []
    while fp.tell() < len(blob):
        start = fp.tell()
        obj = dec.decode()
        res.append((obj, blob[start:fp.tell()]))
    return res


def t(s):
    """CBOR text string head + bytes, short strings only."""
    b = s.encode()
    assert len(b) < 24
    return bytes([0x60 | len(b)]) + b


def partial(d, n):
    data = open(os.path.join(d, "trace.bin"), "rb").read()
    check(data[:8] == bytes([0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00]), "header")
    rest, blob = data[8:], b""
    while rest:
        check(struct.unpack("<I", rest[:4])[0] != 0x184D2A5E, "seek table before close")
        dobj = zstandard.ZstdDecompressor().decompressobj()
        blob += dobj.decompress(rest)
        check(dobj.eof, "incomplete frame after flush")
        rest = dobj.unused_data
    got = len(items(blob))
    check(got == n, "%d events readable after flush, expected %d" % (got, n))
    if failures:
        sys.exit(1)


def count(d, n):
    blob, _ = decode_bin(os.path.join(d, "trace.bin"))
    got = len(items(blob))
    check(got == n, "trace.bin holds %d events, expected %d" % (got, n))
    if failures:
        sys.exit(1)


def main():
    if sys.argv[1] == "partial":
        return partial(sys.argv[2], int(sys.argv[3]))
    if sys.argv[1] == "count":
        return count(sys.argv[2], int(sys.argv[3]))
    gen = sys.argv[1]
    full = "--full" in sys.argv[2:]
    tmp = tempfile.mkdtemp(prefix="ctrec-bincheck-")
    try:
        jdir, bdir = os.path.join(tmp, "json"), os.path.join(tmp, "bin")
        extra = [a for a in sys.argv[2:] if a.startswith("--seed=")]
        extra = [extra[0][7:]] if extra else []
        subprocess.run([gen, "gen", "json", jdir] + extra, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([gen, "gen", "bin", bdir] + extra, check=True, stdout=subprocess.DEVNULL)
        if full:  # the same without the compression thread, at zstd level 19
            b1dir = os.path.join(tmp, "bin1")
            subprocess.run([gen, "gen", "bin1", b1dir], check=True, stdout=subprocess.DEVNULL)
            blob1, _ = decode_bin(os.path.join(b1dir, "trace.bin"))
        check(not os.path.exists(os.path.join(bdir, "trace.json")), "bin folder has trace.json")
        jevents = json.load(open(os.path.join(jdir, "trace.json"), encoding="utf-8"))
        blob, frames = decode_bin(os.path.join(bdir, "trace.bin"))
        check(not full or len(frames) > 1,
              "expected several frames with frame_size 1024, got %d" % len(frames))
        for i, fr in enumerate(frames):  # every frame holds whole events
            try:
                items(fr)
            except Exception as e:  # noqa: BLE001
                check(False, "frame %d does not hold whole CBOR items: %s" % (i, e))
        bitems = items(blob)
        bevents = [o for o, _ in bitems]
        check(len(bevents) == len(jevents),
              "trace.bin has %d events, trace.json %d" % (len(bevents), len(jevents)))
        for i, (b, j) in enumerate(zip(bevents, jevents)):
            check(b == j, "event %d differs:\n  bin:  %r\n  json: %r" % (i, b, j))
        for i, (obj, raw) in enumerate(bitems):
            canon = cbor2.dumps(obj)
            check(raw == canon, "event %d is not canonical CBOR:\n  got  %s\n  want %s"
                  % (i, raw.hex(), canon.hex()))
        raws = [r for _, r in bitems]
        if full:
            hand_checks(raws)
            check(blob1 == blob, "trace.bin without the compression thread differs")
        check(open(os.path.join(jdir, "trace_paths.json")).read()
              == open(os.path.join(bdir, "trace_paths.json")).read(), "trace_paths.json differs")
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("bin_check: %d failures" % failures, file=sys.stderr)
        sys.exit(1)
    print("bin_check: trace.bin matches trace.json (%d events)" % len(jevents))


def hand_checks(raws):
    # hand-written bytes
    step = b"\xa1" + t("Step") + b"\xa2" + t("path_id") + b"\x00" + t("line") + b"\x01"
    check(step in raws, "Step{path_id 0, line 1} bytes not found")
    check(bytes([0x6c]) + b"DropLastStep" in raws,
          "DropLastStep is not the bare text string")
    slice_type = (b"\xa1" + t("Type") + b"\xa3" + t("kind") + b"\x18\x21" + t("lang_type")
                  + t("BigInt") + t("specific_info") + b"\xa1" + t("kind") + t("None"))
    check(slice_type in raws, "Type kind 33 is not 18 21")
    tsw = b"\xa1" + t("ThreadSwitch") + b"\x1b" + b"\xff" * 8
    check(tsw in raws, "ThreadSwitch u64 max bytes")
    imin = (b"\xa1" + t("Value") + b"\xa2" + t("variable_id") + b"\x00" + t("value")
            + b"\xa3" + t("kind") + t("Int") + t("i") + b"\x3b\x7f" + b"\xff" * 7
            + t("type_id") + b"\x01")
    check(imin in raws, "Int i64 min bytes")
    zero_step = b"\xa1" + t("Step") + b"\xa2" + t("path_id") + b"\x00" + t("line") + b"\x00"
    check(zero_step in raws, "Step line 0 is not 00")
    flt = (b"\xa1" + t("Value") + b"\xa2" + t("variable_id") + b"\x00" + t("value")
           + b"\xa3" + t("kind") + t("Float") + t("f") + t("2.5") + t("type_id") + b"\x02")
    check(flt in raws, "Float 2.5 is not the text \"2.5\"")
    # a 30-element sequence: array head 98 1e
    check(any(b"\x98\x1e" in r for r in raws), "30-element array head 98 1e not found")
    # a 300-element sequence: 99 01 2c; a 70000-byte text: 7a 00 01 11 70
    check(any(b"\x99\x01\x2c" in r for r in raws), "300-element array head 99 01 2c not found")
    check(any(b"\x7a\x00\x01\x11\x70" + b"h" * 70000 in r for r in raws),
          "70000-byte text head 7a 00 01 11 70 not found")


main()
