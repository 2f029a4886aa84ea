"""An independent trace.bin decoder (FORMAT.md section 6) for the tests:
Debian's python3-zstandard for the frames, python3-cbor2 for the events."""
import io
import struct

import cbor2
import zstandard

HEADER = bytes([0xC0, 0xDE, 0x72, 0xAC, 0xE2, 0x01, 0x00, 0x00])
SEEK_TABLE_MAGIC = 0x184D2A5E
SEEKABLE_MAGIC = 0x8F92EAB1


def read_frames(path):
    """Returns the decompressed frames, checking the seek table against them."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != HEADER:
        raise ValueError("bad header %r" % data[:8])
    body = data[8:]
    if struct.unpack("<I", body[-4:])[0] != SEEKABLE_MAGIC:
        raise ValueError("no seek table")
    n = struct.unpack("<I", body[-9:-5])[0]
    if body[-5] != 0:
        raise ValueError("seek table descriptor is not 0")
    start = len(body) - (8 + 8 * n + 9)
    magic, size = struct.unpack("<II", body[start:start + 8])
    if magic != SEEK_TABLE_MAGIC or size != 8 * n + 9:
        raise ValueError("bad seek table frame header")
    frames, off = [], 0
    dctx = zstandard.ZstdDecompressor()
    for i in range(n):
        csize, dsize = struct.unpack("<II", body[start + 8 + 8 * i:start + 16 + 8 * i])
        raw = body[off:off + csize]
        params = zstandard.get_frame_parameters(raw)
        if params.has_checksum:
            raise ValueError("frame %d has a checksum" % i)
        out = dctx.decompress(raw, max_output_size=dsize)
        if len(out) != dsize:
            raise ValueError("frame %d: %d bytes, seek table says %d" % (i, len(out), dsize))
        frames.append(out)
        off += csize
    if off != start:
        raise ValueError("frames end at %d, seek table starts at %d" % (off, start))
    return frames


def read_trace_bin(path):
    """Returns the events of a trace.bin; every frame must end on an event."""
    events = []
    for frame in read_frames(path):
        f = io.BytesIO(frame)
        while f.tell() < len(frame):
            events.append(cbor2.load(f))
    return events
