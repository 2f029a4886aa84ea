#!/usr/bin/python3
"""make_both_ct.py STREAMS.ct TRACE.bin OUT.ct [--damage-calls]

Write a `.ct` holding both layouts of one trace, as the Rust crate's CTFS
writer does: every member of STREAMS.ct (the multi-stream layout, meta.dat
included) and an `events.log` of plain CBOR events (the older layout's
third form, which the debugger's load_events reads), the CBOR being
TRACE.bin's events (its zstd frames inflated, the seek table left out).
Give the two of the same run and they hold the same trace.
--damage-calls replaces calls.idx with 3 bytes (not 4 + 8n), so the
multi-stream members do not read.  A test tool.
"""

import struct
import sys

import zstandard

from ctfs_container import Container
from make_synth_ct import Writer

SEEK_TABLE = 0x184D2A5E


def bin_cbor(data):
    """trace.bin's events: the frames after the 8-byte header, inflated."""
    pos, out = 8, bytearray()
    d = zstandard.ZstdDecompressor()
    while pos < len(data):
        magic = struct.unpack_from("<I", data, pos)[0]
        if magic == SEEK_TABLE:
            break
        n = _frame_len(data, pos)
        out += d.stream_reader(data[pos:pos + n]).read()
        pos += n
    return bytes(out)


def _frame_len(data, pos):
    """The compressed length of the zstd frame at pos (its blocks)."""
    desc = data[pos + 4]
    fcs_flag, single, dict_flag = desc >> 6, (desc >> 5) & 1, desc & 3
    n = 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
    n += (1 if single else 0, 2, 4, 8)[fcs_flag]
    p = pos + n
    while True:
        bh = data[p] | data[p + 1] << 8 | data[p + 2] << 16
        last, btype, size = bh & 1, (bh >> 1) & 3, bh >> 3
        p += 3 + (1 if btype == 1 else size)
        if last:
            break
    if desc & 4:  # content checksum
        p += 4
    return p - pos


def main(argv):
    args = [a for a in argv[1:] if a != "--damage-calls"]
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    streams, tbin, out = args
    src = Container(streams)
    w = Writer()
    for _, name, _, _ in src.entries:
        data = src.read(name)
        if name == "calls.idx" and "--damage-calls" in argv:
            data = b"\0\0\0"
        w.add(name, data)
    with open(tbin, "rb") as f:
        w.add("events.log", bin_cbor(f.read()))
    with open(out, "wb") as f:
        f.write(w.bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
