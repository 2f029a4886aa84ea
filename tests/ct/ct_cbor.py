"""CBOR of CTFS ValueRecords: cbor2 for speed, and a small strict decoder
for values that carry CBOR tags, because cbor2 takes tag 256 (the CTFS
ValueRef, cbor.nim CborTagValueRef) for its "stringref namespace" and drops it.
"""

import struct

import cbor2

from ctfs_container import CtError


class Tag:
    """A CBOR tag the ValueRecord decoder keeps as it is (cbor2 would treat
    tag 256, the CTFS ValueRef, as its 'stringref namespace' and drop it)."""

    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def cbor_plain(b):
    """Minimal strict CBOR decoder for values that carry tags: definite
    lengths, text, bytes, ints, arrays, maps, tags, false/true/null,
    half/single/double floats."""
    def item(pos, depth):
        if depth > 200:
            raise ValueError("nesting deeper than 200")
        if pos >= len(b):
            raise ValueError("unexpected end at %d" % pos)
        ib = b[pos]
        major, info = ib >> 5, ib & 31
        pos += 1
        if info < 24:
            arg = info
        elif info <= 27:
            n = 1 << (info - 24)
            if pos + n > len(b):
                raise ValueError("unexpected end at %d" % pos)
            raw = b[pos:pos + n]
            arg = int.from_bytes(raw, "big")
            pos += n
        else:
            raise ValueError("indefinite length or reserved info %d at %d" % (info, pos - 1))
        if major == 0:
            return arg, pos
        if major == 1:
            return -1 - arg, pos
        if major in (2, 3):
            if pos + arg > len(b):
                raise ValueError("string past the end at %d" % pos)
            v = b[pos:pos + arg]
            return (bytes(v) if major == 2 else bytes(v).decode("utf-8")), pos + arg
        if major == 4:
            out = []
            for _ in range(arg):
                v, pos = item(pos, depth + 1)
                out.append(v)
            return out, pos
        if major == 5:
            out = {}
            for _ in range(arg):
                k, pos = item(pos, depth + 1)
                v, pos = item(pos, depth + 1)
                out[k] = v
            return out, pos
        if major == 6:
            v, pos = item(pos, depth + 1)
            return Tag(arg, v), pos
        if info < 24 or info == 24:
            if arg == 20:
                return False, pos
            if arg == 21:
                return True, pos
            if arg in (22, 23):
                return None, pos
            raise ValueError("simple value %d" % arg)
        if info == 25:
            return struct.unpack(">e", raw)[0], pos
        if info == 26:
            return struct.unpack(">f", raw)[0], pos
        return struct.unpack(">d", raw)[0], pos
    v, pos = item(0, 0)
    if pos != len(b):
        raise ValueError("%d bytes after the value" % (len(b) - pos))
    return v


def cbor_value(member, b, where):
    try:
        if b"\xd9\x01\x00" in b or b"\xda\x00\x00\x01\x00" in b:
            return cbor_plain(b)   # may hold a ValueRef (tag 256)
        return cbor2.loads(b)
    except Exception as e:  # cbor2 raises several types
        raise CtError("%s: bad CBOR value at %s: %s" % (member, where, e))
