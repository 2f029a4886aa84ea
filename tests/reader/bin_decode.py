#!/usr/bin/env python3
"""An independent decoder of trace.bin (FORMAT.md section 6) for the tests.

    bin_decode.py BIN_TRACE JSON_TRACE

Reads BIN_TRACE (a trace.bin or a folder holding one) with Python's own
zstandard and cbor2 modules, nothing from ctrec: checks the 8-byte header,
walks the seek table, decompresses each frame on its own, checks that the
table's sizes are the real frames' sizes and that the frames and the table
cover the file exactly, decodes the concatenated CBOR items and compares the
events with JSON_TRACE (a trace.json or a folder) parsed by Python's json.
Floats are compared as numbers, "Variable" is read as "VariableName" and
{"DropLastStep": null} as "DropLastStep", as FORMAT.md says readers do.
"""
import io
import json
import math
import os
import struct
import sys

import cbor2
import zstandard


def fail(msg):
    print("bin_decode: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def trace_file(path, name):
    if os.path.isdir(path):
        return os.path.join(path, name)
    return path


def frames_from_seek_table(data):
    if data[:8] != bytes([0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00]):
        fail("bad header %r" % data[:8])
    if len(data) < 8 + 17:
        fail("file too short for a seek table")
    magic_footer = struct.unpack_from("<I", data, len(data) - 4)[0]
    if magic_footer != 0x8F92EAB1:
        fail("no seekable footer magic")
    n, desc = struct.unpack_from("<IB", data, len(data) - 9)
    esize = 12 if desc & 0x80 else 8
    table_size = esize * n + 9
    start = len(data) - 8 - table_size
    magic, size = struct.unpack_from("<II", data, start)
    if magic != 0x184D2A5E or size != table_size:
        fail("seek table frame header wrong: %x %d (want %d)" % (magic, size, table_size))
    entries = []
    for i in range(n):
        c, d = struct.unpack_from("<II", data, start + 8 + i * esize)
        entries.append((c, d))
    # the frames must tile [8, start) exactly
    pos = 8
    out = bytearray()
    dctx = zstandard.ZstdDecompressor()
    for i, (c, d) in enumerate(entries):
        frame = data[pos:pos + c]
        if len(frame) != c:
            fail("frame %d runs past the seek table" % i)
        if struct.unpack_from("<I", frame, 0)[0] != 0xFD2FB528:
            fail("frame %d at byte %d is not a zstd frame" % (i, pos))
        # the real compressed size of the frame starting here
        real_c = zstandard.frame_content_size(frame)  # content size from its header
        dobj = dctx.decompressobj()
        plain = dobj.decompress(frame)
        # the slice the table gives must be exactly one whole frame
        if not dobj.eof:
            fail("frame %d at byte %d: the table's %d bytes end inside the frame" % (i, pos, c))
        if dobj.unused_data:
            fail("frame %d at byte %d: the frame is shorter than the table's %d bytes" % (i, pos, c))
        if len(plain) != d:
            fail("frame %d: seek table says %d bytes, the frame has %d" % (i, d, len(plain)))
        if real_c not in (-1, d):
            fail("frame %d: header content size %d, table %d" % (i, real_c, d))
        out += plain
        pos += c
    if pos != start:
        fail("frames end at byte %d, the seek table starts at %d" % (pos, start))
    return bytes(out), n


def cbor_events(blob):
    f = io.BytesIO(blob)
    dec = cbor2.CBORDecoder(f)
    events = []
    while f.tell() < len(blob):
        events.append(dec.decode())
    return events


def norm(x):
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            out[k] = norm(v)
        if out.get("kind") == "Float" and "f" in out:
            f = out["f"]
            v = float(f) if isinstance(f, (str, int, float)) else f
            out["f"] = "NaN" if isinstance(v, float) and math.isnan(v) else v
        if "Variable" in out and len(out) == 1:
            out = {"VariableName": out["Variable"]}
        if out == {"DropLastStep": None}:
            return "DropLastStep"
        return out
    if isinstance(x, list):
        return [norm(v) for v in x]
    return x


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(trace_file(sys.argv[1], "trace.bin"), "rb") as fh:
        data = fh.read()
    blob, nframes = frames_from_seek_table(data)
    bin_events = [norm(e) for e in cbor_events(blob)]
    with open(trace_file(sys.argv[2], "trace.json"), "rb") as fh:
        json_events = [norm(e) for e in json.loads(fh.read().decode("utf-8"))]
    if len(bin_events) != len(json_events):
        fail("%d events in the binary trace, %d in the JSON" % (len(bin_events), len(json_events)))
    for i, (a, b) in enumerate(zip(bin_events, json_events)):
        if a != b:
            fail("event %d differs:\n  bin:  %r\n  json: %r" % (i, a, b))
    print("bin_decode: ok: %d events in %d frames" % (len(bin_events), nframes))


main()
