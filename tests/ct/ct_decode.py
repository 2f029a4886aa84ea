#!/usr/bin/python3
"""Independent decoder of CodeTracer CTFS (`.ct`) containers.

Written from ../shared/FORMAT.md section 7 and from reading the reference
implementations (metacraft-labs/codetracer-trace-format-nim: src/codetracer_ctfs/,
src/codetracer_trace_writer/{new_trace_reader,meta_dat,step_encoding,exec_stream,
value_stream,call_stream,io_event_stream,interning_table,cbor,split_binary}.nim;
metacraft-labs/codetracer src/db-backend/src/ctfs_trace_reader/{mod,meta_dat,
span_stream}.rs), never from ctrec's C code.  Its purpose is to check ctrec's
`.ct` reader and writer: tests compare its summary with the one
ctrec_summary.py builds from `ctrec print`.

Usage:
  ct_decode.py TRACE.ct                 normalized JSON summary on stdout
  ct_decode.py --layout events-log|multi-stream TRACE.ct
                                        the same, of one layout of a container
                                        that has both
  ct_decode.py --lenient [--layout L] TRACE.ct
                                        a killed recording: streams stop at the
                                        first missing or damaged chunk (noted)
  ct_decode.py --members TRACE.ct       the root entries (name, size, map block)
  ct_decode.py --cat TRACE.ct MEMBER    one member's bytes on stdout

The container is read block by block through the mapping chains (the file is
never loaded whole).  Requires python3-zstandard and python3-cbor2 (Debian).
"""

import json
import struct
import sys

import cbor2
import zstandard

from ct_normalize import norm_value, summary_to_json

MAGIC = b"\xC0\xDE\x72\xAC\xE2"
BASE40 = "\0" + "0123456789abcdefghijklmnopqrstuvwxyz./-"
MAX_LEVELS = 5
# A member we refuse to materialize: the tests only need small traces and
# ~100k-step ones; 1 GiB keeps a corrupt size from eating the machine.
MAX_MEMBER = 1 << 30
# Bound for one inflated zstd chunk (a frame that claims more is refused).
MAX_CHUNK = 256 << 20


class CtError(Exception):
    """A malformed container or stream; the message names member and offset."""


def base40_decode(v):
    """Root entry name: 12 base40 digits, first character least significant;
    trailing NULs dropped (the reference decoder stops at the last non-NUL)."""
    chars = []
    for _ in range(12):
        chars.append(BASE40[v % 40])
        v //= 40
    return "".join(chars).rstrip("\0")


def base40_encode(name):
    v = 0
    for ch in reversed(name[:12].ljust(12, "\0")):
        v = v * 40 + BASE40.index(ch)
    return v


# ---------------------------------------------------------------- varints

def uvarint(buf, pos, what="varint"):
    """LEB128, at most 10 bytes (the reference refuses a shift >= 64)."""
    result = 0
    shift = 0
    n = len(buf)
    while True:
        if pos >= n:
            raise CtError("%s: unexpected end at offset %d" % (what, pos))
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 70:
            raise CtError("%s: more than 10 bytes at offset %d" % (what, pos - 10))


def svarint(buf, pos, what="varint"):
    """Zigzag-encoded signed LEB128."""
    v, pos = uvarint(buf, pos, what)
    return (v >> 1) ^ -(v & 1), pos


def vstring(buf, pos, what):
    n, pos = uvarint(buf, pos, what + " length")
    if pos + n > len(buf):
        raise CtError("%s: %d bytes past the end at offset %d" % (what, n, pos))
    return bytes(buf[pos:pos + n]), pos + n


def text(b):
    """Bytes of the file as text: UTF-8, a bad byte becomes U+FFFD (what a
    JSON writer must do with it too)."""
    return b.decode("utf-8", errors="replace")


# ------------------------------------------------------------- container

class Container:
    """CTFS v2-v4 container read through its root entries and mapping chains."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        try:
            self._open()
        except BaseException:
            self.f.close()
            raise

    def _open(self):
        path = self.path
        self.f.seek(0, 2)
        self.file_size = self.f.tell()
        head = self._pread(0, 16)
        if len(head) < 16 or head[:5] != MAGIC:
            raise CtError("%s: not a CTFS container (bad magic)" % path)
        self.version = head[5]
        if self.version not in (2, 3, 4):
            raise CtError("%s: unsupported CTFS version %d" % (path, self.version))
        self.byte6, self.byte7 = head[6], head[7]
        self.block_size, self.max_root_entries = struct.unpack_from("<II", head, 8)
        if self.block_size not in (1024, 2048, 4096):
            raise CtError("%s: block size %d not 1024/2048/4096" % (path, self.block_size))
        if 16 + 24 * self.max_root_entries > self.block_size:
            raise CtError("%s: %d root entries do not fit in block 0"
                          % (path, self.max_root_entries))
        self.usable = self.block_size // 8 - 1
        self.n_blocks = self.file_size // self.block_size
        raw = self._pread(16, 24 * self.max_root_entries)
        self.entries = []  # (index, name, size, map_block)
        for i in range(self.max_root_entries):
            size, mblock, name = struct.unpack_from("<QQQ", raw, 24 * i)
            if size == 0 and mblock == 0 and name == 0:
                continue
            self.entries.append((i, base40_decode(name), size, mblock))
        self.by_name = {}
        for e in self.entries:
            self.by_name.setdefault(e[1], e)
        self._map_cache = {}
        self.lenient = False   # chunks(): stop at a damaged chunk, with a note
        self.notes = []

    def header(self):
        h = {"version": self.version, "block_size": self.block_size,
             "max_root_entries": self.max_root_entries, "file_size": self.file_size}
        if self.version >= 4:
            h["encryption"] = self.byte6
            h["max_shards"] = self.byte7
        elif self.version == 3:
            h["compression"] = self.byte6
            h["encryption"] = self.byte7
        return h

    def _pread(self, off, n):
        self.f.seek(off)
        return self.f.read(n)

    def has(self, name):
        return name in self.by_name

    def size(self, name):
        return self.by_name[name][2]

    def _map_block(self, member, blk):
        if blk == 0 or blk >= self.n_blocks:
            raise CtError("%s: mapping block %d outside the file (%d blocks)"
                          % (member, blk, self.n_blocks))
        m = self._map_cache.get(blk)
        if m is None:
            raw = self._pread(blk * self.block_size, self.block_size)
            m = struct.unpack("<%dQ" % (self.block_size // 8), raw)
            self._map_cache[blk] = m
        return m

    def _data_block(self, member, root, idx):
        """Data block number of block `idx` of a member whose level-1 mapping
        block is `root`: level k covers usable**k blocks; entry usable of a
        level-k block chains to the level k+1 block; inside level k, entry
        j points to a level k-1 subtree."""
        usable = self.usable
        cur = root
        level = 1
        cap = usable
        while idx >= cap:
            idx -= cap
            level += 1
            if level > MAX_LEVELS:
                raise CtError("%s: block index past the 5-level mapping" % member)
            nxt = self._map_block(member, cur)[usable]
            if nxt == 0:
                raise CtError("%s: missing level-%d chain block" % (member, level))
            cur = nxt
            cap = usable ** level
        while level > 1:
            sub = usable ** (level - 1)
            j, idx = divmod(idx, sub)
            nxt = self._map_block(member, cur)[j]
            if nxt == 0:
                raise CtError("%s: missing level-%d mapping block" % (member, level - 1))
            cur = nxt
            level -= 1
        d = self._map_block(member, cur)[idx]
        if d == 0 or d >= self.n_blocks:
            raise CtError("%s: data block %d (member block %d) outside the file"
                          % (member, d, idx))
        return d

    def read(self, name):
        """A member's bytes (exactly its published size)."""
        if name not in self.by_name:
            raise CtError("%s: no member %r" % (self.path, name))
        _, _, size, root = self.by_name[name]
        if size > MAX_MEMBER or size > self.file_size:
            raise CtError("%s: size %d larger than the file" % (name, size))
        out = bytearray()
        bs = self.block_size
        nblk = (size + bs - 1) // bs
        i = 0
        while i < nblk:
            d = self._data_block(name, root, i)
            # Coalesce runs of consecutive data blocks into one read.
            run = 1
            while i + run < nblk and (i + run) % self.usable != 0:
                try:
                    d2 = self._data_block(name, root, i + run)
                except CtError:
                    break
                if d2 != d + run:
                    break
                run += 1
            out += self._pread(d * bs, run * bs)
            i += run
        if len(out) < size:
            raise CtError("%s: truncated (%d of %d bytes)" % (name, len(out), size))
        del out[size:]
        return bytes(out)


# ------------------------------------------------------------- meta.dat

META_FLAGS = {
    0x0001: "has_mcr_fields",
    0x0002: "has_replay_launch_fields",
    0x0004: "has_layout_snapshot",
    0x0008: "has_trace_filter_provenance",
    0x0010: "has_column_aware_steps",
    0x0020: "has_alternate_source_views",
    0x0040: "supports_column_breakpoints",
    0x0080: "supports_column_motions",
    0x0100: "has_call_stream",
    0x0200: "has_step_stream",
    0x0400: "has_value_stream",
    0x0800: "has_io_event_stream",
    0x1000: "has_interning_tables",
    0x2000: "has_span_stream",  # known to the db-backend, not to the Nim library
}


def parse_meta_dat(b):
    """meta.dat v3: 'CTMD', u16 version, u16 flags, then varint-length strings
    and the blocks gated by flag bits 0-3 (the other known bits only announce
    members).  Unknown bits are reported in 'unknown_flags', not fatal.  Keys
    are named as `ctrec stats --json` names them (docs/ct.md): meta_flags,
    mcr_<field>, aslr_disabled, layout_hash, trace_filter_provenance."""
    if len(b) < 8 or b[:4] != b"CTMD":
        raise CtError("meta.dat: bad magic at offset 0")
    version, flags = struct.unpack_from("<HH", b, 4)
    if version != 3:
        raise CtError("meta.dat: version %d at offset 4, expected 3" % version)
    m = {"meta_version": version, "meta_flags": flags,
         "flag_names": [n for bit, n in sorted(META_FLAGS.items()) if flags & bit]}
    unknown = flags & ~sum(META_FLAGS)
    if unknown:
        m["unknown_flags"] = unknown
    pos = 8

    def s(what):
        nonlocal pos
        v, pos = vstring(b, pos, "meta.dat " + what)
        return text(v)

    def u(what):
        nonlocal pos
        v, pos = uvarint(b, pos, "meta.dat " + what)
        return v

    m["recording_id"] = s("recording_id")
    m["program"] = s("program")
    m["args"] = [s("arg") for _ in range(u("args count"))]
    m["workdir"] = s("workdir")
    m["recorder_id"] = s("recorder_id")
    m["paths"] = [s("path") for _ in range(u("paths count"))]
    if flags & 0x1:
        mcr = {}
        for k in ("tick_source", "total_threads", "atomic_mode", "total_events",
                  "total_checkpoints", "start_time_unix_us"):
            mcr[k] = u(k)
        for k in ("platform", "tick_granularity", "tick_source_str", "atomic_mode_str",
                  "start_time_str", "hook_profile"):
            mcr[k] = s(k)
        mcr["hook_strategies"] = [s("hook strategy") for _ in range(u("hook strategies"))]
        for k, v in mcr.items():
            m["mcr_" + k] = v
    if flags & 0x2:
        if pos >= len(b):
            raise CtError("meta.dat: aslr_disabled byte missing at offset %d" % pos)
        m["aslr_disabled"] = b[pos] != 0
        pos += 1
    if flags & 0x4:
        if pos + 8 > len(b):
            raise CtError("meta.dat: layout hash missing at offset %d" % pos)
        m["layout_hash"] = struct.unpack_from("<Q", b, pos)[0]
        pos += 8
        fp, pos = vstring(b, pos, "meta.dat layout fingerprint")
        m["layout_fingerprint"] = fp.hex()
    if flags & 0x8:
        prov = []
        for _ in range(u("trace filter count")):
            p = s("trace filter path")
            if pos + 32 > len(b):
                raise CtError("meta.dat: trace filter sha256 past the end at offset %d" % pos)
            prov.append({"path": p, "sha256": b[pos:pos + 32].hex()})
            pos += 32
        m["trace_filter_provenance"] = prov
    if pos != len(b):
        m["trailing_bytes"] = len(b) - pos
    return m


# ------------------------------------------------------ record tables

def record_table(ct, base):
    """Variable-size record table: BASE.dat + BASE.off (u64 offsets, N+1 of
    them: record i is dat[off[i]:off[i+1]])."""
    dat = ct.read(base + ".dat")
    off = ct.read(base + ".off")
    if len(off) % 8:
        raise CtError("%s.off: size %d not a multiple of 8" % (base, len(off)))
    offs = struct.unpack("<%dQ" % (len(off) // 8), off)
    recs = []
    for i in range(len(offs) - 1):
        a, z = offs[i], offs[i + 1]
        if a > z or z > len(dat):
            raise CtError("%s.off: record %d spans %d..%d outside %s.dat (%d bytes)"
                          % (base, i, a, z, base, len(dat)))
        recs.append(dat[a:z])
    return recs


def parse_column_paths(recs):
    """Column-aware paths.dat records: varint path_len, path bytes, varint
    line_count, then zigzag line lengths (first absolute, then deltas).
    Returns (paths, line_lengths) or None if any record does not parse so
    (then the records are plain path strings)."""
    paths, tables = [], []
    for r in recs:
        try:
            p, pos = vstring(r, 0, "path")
            n, pos = uvarint(r, pos, "line count")
            if n > 10_000_000:
                return None
            lls, prev = [], 0
            for i in range(n):
                d, pos = svarint(r, pos, "line length")
                cur = d if i == 0 else prev + d
                if cur < 0:
                    return None
                lls.append(cur)
                prev = cur
        except CtError:
            return None
        if pos != len(r):
            return None
        paths.append(text(p))
        tables.append(lls)
    return paths, tables


class PositionDecoder:
    """global_position_index -> (path, line, column) for column-aware traces:
    files laid end to end, each file the sum of its line lengths, lines 1-based,
    columns 1-based (q - line_base + 1)."""

    def __init__(self, tables):
        import bisect
        self.bisect = bisect
        self.file_base, self.file_size, self.line_base = [], [], []
        g = 0
        for lls in tables:
            lb, s = [], 0
            for n in lls:
                lb.append(s)
                s += n
            self.file_base.append(g)
            self.file_size.append(s)
            self.line_base.append(lb)
            g += s

    def decode(self, p):
        fid = self.bisect.bisect_right(self.file_base, p) - 1
        if fid < 0 or p >= self.file_base[fid] + self.file_size[fid]:
            return None
        q = p - self.file_base[fid]
        lb = self.line_base[fid]
        line = self.bisect.bisect_right(lb, q) - 1
        if line < 0:
            return None
        return fid, line + 1, q - lb[line] + 1


LINES_PER_FILE = 100_000  # line-only global index: path_id * 100000 + line


def line_only(gli, n_paths):
    """Line-only global line index -> (path_id, line).  The reference resolves
    through a prefix sum of 100000 lines per path, so an index past the last
    path stays in the last path."""
    pid = gli // LINES_PER_FILE
    if n_paths and pid > n_paths - 1:
        pid = n_paths - 1
    return pid, gli - pid * LINES_PER_FILE


# ---------------------------------------------------------- chunked streams

_dctx = zstandard.ZstdDecompressor()


def inflate(member, frame, off):
    """One zstd frame that must declare its content size (the Nim reader needs
    it), stay under MAX_CHUNK, inflate to exactly that size and fill the
    chunk's byte range (bytes after it are an error, as for the reference,
    which inflates the whole range into a buffer of the declared size)."""
    try:
        params = zstandard.get_frame_parameters(frame)
    except zstandard.ZstdError as e:
        raise CtError("%s: bad zstd frame at offset %d: %s" % (member, off, e))
    if params.content_size == zstandard.CONTENTSIZE_UNKNOWN:
        raise CtError("%s: zstd frame at offset %d has no content size" % (member, off))
    if params.content_size > MAX_CHUNK:
        raise CtError("%s: zstd frame at offset %d claims %d bytes"
                      % (member, off, params.content_size))
    obj = _dctx.decompressobj()
    try:
        out = obj.decompress(frame)
    except zstandard.ZstdError as e:
        raise CtError("%s: zstd frame at offset %d: %s" % (member, off, e))
    if not obj.eof:
        raise CtError("%s: zstd frame at offset %d is truncated" % (member, off))
    if obj.unused_data:
        raise CtError("%s: %d bytes after the zstd frame at offset %d"
                      % (member, len(obj.unused_data), off))
    if len(out) != params.content_size:
        raise CtError("%s: zstd frame at offset %d inflates to %d bytes, declares %d"
                      % (member, off, len(out), params.content_size))
    return out


def chunk_index(ct, base):
    """BASE.idx: u32 records per chunk, then u64 offsets into BASE.dat."""
    idx = ct.read(base + ".idx")
    if len(idx) < 4 or (len(idx) - 4) % 8:
        raise CtError("%s.idx: size %d is not 4 + 8*n" % (base, len(idx)))
    per_chunk = struct.unpack_from("<I", idx, 0)[0]
    offs = list(struct.unpack_from("<%dQ" % ((len(idx) - 4) // 8), idx, 4))
    return per_chunk, offs


def chunks(ct, base, dat=None):
    """Yield (chunk number, offset, inflated payload) of a chunked stream."""
    per_chunk, offs = chunk_index(ct, base)
    if dat is None:
        dat = ct.read(base + ".dat")
    for i, a in enumerate(offs):
        z = offs[i + 1] if i + 1 < len(offs) else len(dat)
        try:
            if a > z or z > len(dat):
                raise CtError("%s.idx: chunk %d spans %d..%d outside %s.dat (%d bytes)"
                              % (base, i, a, z, base, len(dat)))
            payload = inflate(base + ".dat", dat[a:z], a)
        except CtError as e:
            if not ct.lenient:
                raise
            # lenient: a killed recording's last chunk; keep what came before
            ct.notes.append("lenient: %s stops at chunk %d: %s" % (base, i, e))
            return
        yield i, a, payload


def uv_prefixed(r):
    """One record re-framed as a length-prefixed chunk payload."""
    n, out = len(r), bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            break
    return bytes(out) + r


def length_prefixed(member, payload, off):
    """Records of a chunk: [varint len][bytes]..."""
    pos, n, out = 0, len(payload), []
    while pos < n:
        ln, pos = uvarint(payload, pos, member + " record length (chunk @%d)" % off)
        if pos + ln > n:
            raise CtError("%s: record of %d bytes past the chunk end (chunk @%d, pos %d)"
                          % (member, ln, off, pos))
        out.append(payload[pos:pos + ln])
        pos += ln
    return out


def calls_chunks(ct):
    """calls.dat with calls.idx; without an index (Nim writes the index last,
    a killed trace may lack it) the frames are walked one after another."""
    if ct.has("calls.idx"):
        yield from chunks(ct, "calls")
        return
    if ct.has("calls.off"):
        # the record-table framing (calls.dat/.off, one record per call)
        # that the reference reader falls back to without calls.idx
        for i, r in enumerate(record_table(ct, "calls")):
            yield i, -1, uv_prefixed(r)
        return
    dat = ct.read("calls.dat")
    pos, i = 0, 0
    while pos < len(dat):
        try:
            params = zstandard.get_frame_parameters(dat[pos:])
        except zstandard.ZstdError as e:
            raise CtError("calls.dat: bad zstd frame at offset %d: %s" % (pos, e))
        obj = zstandard.ZstdDecompressor().decompressobj()
        out = obj.decompress(dat[pos:])
        used = len(dat) - pos - len(obj.unused_data)
        if params.content_size not in (zstandard.CONTENTSIZE_UNKNOWN, len(out)):
            raise CtError("calls.dat: frame at offset %d inflates to %d, not %d"
                          % (pos, len(out), params.content_size))
        yield i, pos, out
        pos += used
        i += 1


# ------------------------------------------------------------- CBOR values

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


# ------------------------------------------------------- step stream

TAGS = {0: "absolute", 1: "delta", 2: "raise", 3: "catch", 4: "thread_switch",
        5: "thread_start", 6: "thread_exit", 7: "delta_column"}


def legacy_step_chunks(ct):
    """steps.dat framing before meta.dat bit 9 (has_step_stream): steps.idx is
    u32 chunk size, u64 placeholder, u64 offsets, u64 total events; each
    inflated chunk starts with its u32 event count."""
    idx = ct.read("steps.idx")
    if len(idx) < 20 or (len(idx) - 20) % 8:
        raise CtError("steps.idx (legacy): size %d is not 20 + 8*n" % len(idx))
    per_chunk = struct.unpack_from("<I", idx, 0)[0]
    offs = list(struct.unpack_from("<%dQ" % ((len(idx) - 20) // 8), idx, 12))
    total = struct.unpack_from("<Q", idx, len(idx) - 8)[0]
    dat = ct.read("steps.dat")
    out = []
    for i, a in enumerate(offs):
        z = offs[i + 1] if i + 1 < len(offs) else len(dat)
        if a > z or z > len(dat):
            raise CtError("steps.idx: chunk %d spans %d..%d outside steps.dat" % (i, a, z))
        payload = inflate("steps.dat", dat[a:z], a)
        if len(payload) < 4:
            raise CtError("steps.dat: legacy chunk @%d without its count" % a)
        out.append((i, a, payload[4:], struct.unpack_from("<I", payload, 0)[0]))
    return per_chunk, out, total


def decode_exec(ct, legacy=False):
    """All exec events of steps.dat as tuples:
    ("pos", gli)  for absolute / delta / delta_column (the running global
                   position index after the event)
    ("raise", type_id, message bytes), ("catch", type_id),
    ("thread_switch"|"thread_start"|"thread_exit", thread_id).
    The running index carries across chunks (each chunk starts absolute)."""
    events = []
    gli = 0
    if legacy:
        per_chunk, parts, total = legacy_step_chunks(ct)
    else:
        per_chunk, _ = chunk_index(ct, "steps")
        parts = [(ci, off, payload, None) for ci, off, payload in chunks(ct, "steps")]
        total = None
    for ci, off, payload, declared in parts:
        pos, n, count = 0, len(payload), 0
        where = "steps.dat"
        while pos < n:
            tag = payload[pos]
            pos += 1
            if tag == 0:
                gli, pos = uvarint(payload, pos, where)
                events.append(("pos", gli))
            elif tag == 1 or tag == 7:
                d, pos = svarint(payload, pos, where)
                gli += d
                if gli < 0:
                    raise CtError("steps.dat: position below 0 (chunk @%d)" % off)
                events.append(("pos", gli) if tag == 1 else ("pos", gli, "column"))
            elif tag == 2:
                t, pos = uvarint(payload, pos, where)
                msg, pos = vstring(payload, pos, "steps.dat raise message")
                events.append(("raise", t, msg))
            elif tag == 3:
                t, pos = uvarint(payload, pos, where)
                events.append(("catch", t))
            elif tag in (4, 5, 6):
                t, pos = uvarint(payload, pos, where)
                events.append((TAGS[tag], t))
            else:
                raise CtError("steps.dat: unknown step tag %d (chunk @%d, pos %d)"
                              % (tag, off, pos - 1))
            count += 1
        if count > per_chunk:
            raise CtError("steps.dat: chunk @%d holds %d records, index says %d per chunk"
                          % (off, count, per_chunk))
        if declared is not None and declared != count:
            raise CtError("steps.dat: legacy chunk @%d says %d events, holds %d"
                          % (off, declared, count))
    if total is not None and total != len(events):
        raise CtError("steps.idx: legacy total %d, events %d" % (total, len(events)))
    return events


# ------------------------------------------------------ the whole trace

def decode_multi_stream(ct):
    out = {"layout": "multi-stream"}
    notes = []
    meta = parse_meta_dat(ct.read("meta.dat")) if ct.has("meta.dat") else None
    if meta is None:
        notes.append("no meta.dat")
        meta = {}
    flags = meta.get("meta_flags", 0)

    # Interning tables.
    def table(base):
        if ct.has(base + ".dat") and ct.has(base + ".off"):
            return record_table(ct, base)
        return []

    path_recs = table("paths")
    col = parse_column_paths(path_recs) if path_recs else None
    column_aware = bool(flags & 0x10)
    if column_aware and col is None and path_recs:
        raise CtError("paths.dat: meta.dat says column-aware but a record is not "
                      "path_len/path/line_count/line_lengths")
    if col is not None and not column_aware:
        # The reference reader promotes such a trace to column-aware (a writer
        # bug left bit 4 clear); say so.
        notes.append("paths.dat parses as column-aware although meta.dat bit 4 is clear")
        column_aware = True
    if column_aware and col is not None:
        paths, line_tables = col
    else:
        paths, line_tables = [text(r) for r in path_recs], None
    if not paths and meta.get("paths"):
        paths = list(meta["paths"])
        notes.append("paths taken from meta.dat")
    funcs = [text(r) for r in table("funcs")]
    types = [text(r) for r in table("types")]
    varnames = [text(r) for r in table("varnames")]
    out.update(paths=paths, functions=funcs, types=types, varnames=varnames)

    # Steps.
    legacy_steps = not flags & 0x200
    exec_events = decode_exec(ct, legacy_steps) if ct.has("steps.dat") else []
    if legacy_steps and exec_events:
        notes.append("steps.dat in the framing before meta.dat bit 9 (legacy)")
    decoder = None
    if column_aware and line_tables is not None and any(line_tables):
        decoder = PositionDecoder(line_tables)
    steps = []
    exec_to_step = []     # exec index -> index of the latest position step (-1: none)
    step_exec = []        # step index -> exec index
    specials = {"raises": [], "catches": [], "threads": []}
    cur = -1
    for ei, ev in enumerate(exec_events):
        kind = ev[0]
        if kind == "pos":
            gli = ev[1]
            loc = decoder.decode(gli) if decoder else None
            if loc is not None:
                pid, line, column = loc
            else:
                pid, line = line_only(gli, len(paths))
                column = None
            pname = paths[pid] if pid < len(paths) else "#%d" % pid
            steps.append([pname, line, column])
            step_exec.append(ei)
            cur = len(steps) - 1
        elif kind == "raise":
            specials["raises"].append({"step": cur, "type": tname(types, ev[1]),
                                       "message": text(ev[2])})
        elif kind == "catch":
            specials["catches"].append({"step": cur, "type": tname(types, ev[1])})
        else:
            specials["threads"].append({"step": cur, "kind": kind, "thread_id": ev[1]})
        exec_to_step.append(cur)
    out["steps"] = steps

    # Values: one record per exec event.
    values = [dict() for _ in steps]
    legacy_values = not flags & 0x400 and ct.has("values.off")
    if legacy_values or (ct.has("values.dat") and ct.has("values.idx")):
        rec_no = 0
        cache = {}
        if legacy_values:
            # before meta.dat bit 10: values.dat/.off, one record per exec
            # event: varint count, {varname id, type id, len, CBOR}
            notes.append("values.dat in the record-table framing before bit 10 (legacy)")
            recs = (("legacy", r) for r in record_table(ct, "values"))
        else:
            recs = (rec for ci, off, payload in chunks(ct, "values")
                    for rec in length_prefixed("values.dat", payload, off))
        for rec in recs:
            if isinstance(rec, tuple):
                vals = decode_legacy_values(rec[1], rec_no, varnames, types)
            else:
                vals = decode_value_record(rec, rec_no, varnames, types, cache)
            if rec_no < len(exec_to_step):
                si = exec_to_step[rec_no]
                if vals and (si < 0 or step_exec[si] != rec_no):
                    # values recorded at a raise/catch/thread event
                    kind = exec_events[rec_no][0]
                    specials.setdefault("values_at_" + kind, []).append(
                        {"step": si, "values": [list(nv) for nv in vals]})
                elif vals:
                    merge_values(values[si], vals)
            elif vals:
                notes.append("values record %d has no step" % rec_no)
            rec_no += 1
        if rec_no != len(exec_events):
            notes.append("values.dat holds %d records for %d exec events"
                         % (rec_no, len(exec_events)))
    out["values"] = values

    # Calls.
    calls = []
    if ct.has("calls.dat"):
        key = 0
        for ci, off, payload in calls_chunks(ct):
            for rec in length_prefixed("calls.dat", payload, off):
                calls.append(decode_call(rec, key, funcs, varnames, types))
                key += 1
    announce_calls(calls, exec_to_step, len(exec_events), notes)
    out["calls"] = calls

    # I/O events.
    events = []
    if not flags & 0x800 and ct.has("events.off") and ct.has("events.dat"):
        # before meta.dat bit 11: events.dat/.off, u8 kind, varint step,
        # varint-length content (no metadata)
        notes.append("events.dat in the record-table framing before bit 11 (legacy)")
        for n, rec in enumerate(record_table(ct, "events")):
            if not rec:
                raise CtError("events.dat: event %d is empty" % n)
            step, pos = uvarint(rec, 1, "events.dat step")
            content, pos = vstring(rec, pos, "events.dat content")
            events.append({"kind": rec[0], "step": map_step(exec_to_step, len(exec_events),
                                                            step, "event"),
                           "metadata": "", "content": text(content)})
    elif ct.has("events.dat") and ct.has("events.idx"):
        n = 0
        for ci, off, payload in chunks(ct, "events"):
            for rec in length_prefixed("events.dat", payload, off):
                events.append(decode_io_event(rec, n, exec_to_step, len(exec_events)))
                n += 1
    out["events"] = events

    if ct.has("spans.dat") and ct.has("spans.idx"):
        out["spans"] = decode_spans(ct)
    if ct.has("spantype.ns"):
        out["span_types"] = decode_span_types(ct.read("spantype.ns"))
    if ct.has("step-map.ns"):
        out["step_map"] = decode_step_map(ct.read("step-map.ns"), paths, exec_events,
                                          exec_to_step, steps, notes)
    if flags & 0x20 or (ct.has("srcviews.dat") and ct.has("srcviews.off")):
        out["source_views"] = decode_source_views(ct, paths)
    for k, v in specials.items():
        if v:
            out[k] = v
    out["metadata"] = meta
    if notes:
        out["notes"] = notes
    return out


def tname(types, tid):
    return types[tid] if tid < len(types) else "#%d" % tid


def merge_values(d, vals):
    for name, v in vals:
        k, n = name, 2
        while k in d:
            k = "%s#%d" % (name, n)
            n += 1
        d[k] = v


def decode_value_record(rec, rec_no, varnames, types, cache):
    """values.dat record: empty, or groups of tag 0, varint count,
    {varint varname_id, varint len, CBOR ValueRecord}.  `cache` maps a
    value's CBOR bytes to its normalized form (recorded values repeat a lot
    from step to step; the normalized values are never modified)."""
    vals = []
    pos, n = 0, len(rec)
    nv = len(varnames)
    while pos < n:
        tag = rec[pos]
        pos += 1
        if tag != 0:
            raise CtError("values.dat: record %d: unknown tag %d" % (rec_no, tag))
        count, pos = uvarint(rec, pos, "values.dat count")
        for _ in range(count):
            vid = rec[pos] if pos < n else 0x80
            if vid < 0x80:
                pos += 1
            else:
                vid, pos = uvarint(rec, pos, "values.dat varname")
            ln = rec[pos] if pos < n else 0x80
            if ln < 0x80 and pos + 1 + ln <= n:
                blob = rec[pos + 1:pos + 1 + ln]
                pos += 1 + ln
            else:
                blob, pos = vstring(rec, pos, "values.dat value")
            name = varnames[vid] if vid < nv else "#%d" % vid
            v = cache.get(blob)
            if v is None:
                v = norm_value(cbor_value("values.dat", blob, "record %d" % rec_no), types)
                if len(cache) < 1_000_000:
                    cache[blob] = v
            vals.append((name, v))
    return vals


def decode_legacy_values(rec, rec_no, varnames, types):
    vals = []
    if not rec:
        return vals
    count, pos = uvarint(rec, 0, "values.dat count")
    for _ in range(count):
        vid, pos = uvarint(rec, pos, "values.dat varname")
        _tid, pos = uvarint(rec, pos, "values.dat type")
        blob, pos = vstring(rec, pos, "values.dat value")
        name = varnames[vid] if vid < len(varnames) else "#%d" % vid
        vals.append((name, norm_value(cbor_value("values.dat", blob, "record %d" % rec_no),
                                      types)))
    return vals


def map_step(exec_to_step, n_exec, s, what):
    if s >= n_exec:
        return {"out_of_range": s}
    return exec_to_step[s]


def announce_calls(calls, exec_to_step, n_exec, notes):
    """Entry and exit steps as the event sequence of docs/ct.md shows them.
    The reader announces call records in calls.dat order, each at the first
    record N >= its entry step (and not before the call announced before
    it): a call without a step of its own, which the Nim writer records at
    the step before its parent's first step, is announced after its parent.
    Its Return comes at the first N >= its exit step and >= its
    announcement, and a parent returns after its children.  Then the exec
    record index is mapped to the summary's step (the latest Step).  A call
    whose steps differ from the file's gets a note."""
    prev = 0
    for c in calls:
        e = c["entry_step"]
        c["_file"] = (c["entry_step"], c["exit_step"])
        if isinstance(e, int):
            prev = max(prev, e)
            c["entry_step"] = prev
        if isinstance(c["exit_step"], int):
            c["exit_step"] = max(c["exit_step"], c["entry_step"])
    for c in reversed(calls):
        p = c["parent"]
        if p is not None and 0 <= p < len(calls) and isinstance(c["exit_step"], int) \
                and isinstance(calls[p]["exit_step"], int):
            calls[p]["exit_step"] = max(calls[p]["exit_step"], c["exit_step"])
    moved = 0
    for k, c in enumerate(calls):
        fe, fx = c.pop("_file")
        if (fe, fx) != (c["entry_step"], c["exit_step"]):
            moved += 1
        c["entry_step"] = map_step(exec_to_step, n_exec, c["entry_step"], "entry")
        c["exit_step"] = map_step(exec_to_step, n_exec, c["exit_step"], "exit")
    if moved:
        notes.append("%d call(s) announced or returned later than their recorded "
                     "entry/exit step (calls without a step of their own)" % moved)


def decode_call(rec, key, funcs, varnames, types):
    """calls.dat record: function id, zigzag parent key (-1 root), entry step,
    exit step, depth, args {varname id, len, CBOR}, return (len + CBOR, or
    the one byte FF for none), exception (len + CBOR, empty for none),
    children keys."""
    w = "calls.dat"
    pos = 0
    fid, pos = uvarint(rec, pos, w)
    parent, pos = svarint(rec, pos, w)
    entry, pos = uvarint(rec, pos, w)
    exit_, pos = uvarint(rec, pos, w)
    depth, pos = uvarint(rec, pos, w)
    nargs, pos = uvarint(rec, pos, w)
    args = {}
    for _ in range(nargs):
        vid, pos = uvarint(rec, pos, w)
        blob, pos = vstring(rec, pos, "calls.dat arg")
        name = varnames[vid] if vid < len(varnames) else "#%d" % vid
        # An empty argument value is read as None by the debugger.
        v = norm_value(cbor_value(w, blob, "call %d" % key), types) if blob else None
        k, n = name, 2
        while k in args:
            k = "%s#%d" % (name, n)
            n += 1
        args[k] = v
    ret, pos = vstring(rec, pos, "calls.dat return")
    exc, pos = vstring(rec, pos, "calls.dat exception")
    nchild, pos = uvarint(rec, pos, w)
    children = []
    for _ in range(nchild):
        c, pos = uvarint(rec, pos, w)
        children.append(c)
    if pos != len(rec):
        raise CtError("calls.dat: call %d has %d trailing bytes" % (key, len(rec) - pos))
    c = {
        "function": funcs[fid] if fid < len(funcs) else "#%d" % fid,
        "args": args,
        # No return value (the byte FF) is the None of type 0 the event
        # model gives it (docs/ct.md), so it compares equal to ctrec print.
        "return": norm_value({"kind": "None", "type_id": 0}, types) if ret in (b"", b"\xff")
        else norm_value(cbor_value(w, ret, "call %d return" % key), types),
        "entry_step": entry,
        "exit_step": exit_,
        "parent": None if parent < 0 else parent,
        "depth": depth,
    }
    if exc:
        c["exception"] = norm_value(cbor_value(w, exc, "call %d exception" % key), types)
    c["children"] = children
    return c


def decode_io_event(rec, n, exec_to_step, n_exec):
    """events.dat record: u8 kind (EventLogKind), varint step, varint-length
    metadata, varint-length content."""
    if not rec:
        raise CtError("events.dat: event %d is empty" % n)
    kind = rec[0]
    step, pos = uvarint(rec, 1, "events.dat step")
    md, pos = vstring(rec, pos, "events.dat metadata")
    content, pos = vstring(rec, pos, "events.dat content")
    if pos != len(rec):
        raise CtError("events.dat: event %d has %d trailing bytes" % (n, len(rec) - pos))
    return {"kind": kind, "step": map_step(exec_to_step, n_exec, step, "event"),
            "metadata": text(md), "content": text(content)}


def decode_source_views(ct, paths):
    """srcviews.dat/.off (meta.dat bit 5; 'source_views' does not fit in 12
    base40 characters): varint path id, u8 view kind, varint-length view
    name, content and source map."""
    views = []
    for i, r in enumerate(record_table(ct, "srcviews")):
        pid, pos = uvarint(r, 0, "srcviews.dat path")
        if pos >= len(r):
            raise CtError("srcviews.dat: record %d: view kind missing" % i)
        kind = r[pos]
        name, pos = vstring(r, pos + 1, "srcviews.dat name")
        content, pos = vstring(r, pos, "srcviews.dat content")
        smap, pos = vstring(r, pos, "srcviews.dat source map")
        views.append({"path": paths[pid] if pid < len(paths) else "#%d" % pid,
                      "view_kind": kind, "view_name": text(name),
                      "content": text(content), "source_map": text(smap)})
    return views


def decode_span_types(b):
    """spantype.ns: 'SPTY' as u32 LE, u16 version 1, u32 type count, u64
    table offset; entries of 28 bytes: u32 type id, u32 name length, u64 name
    offset, u32 span count, u64 offset of the u64 span ids."""
    w = "spantype.ns"
    if len(b) < 18 or struct.unpack_from("<I", b, 0)[0] != 0x53505459:
        raise CtError("spantype.ns: bad magic at offset 0")
    ver, n, table = struct.unpack_from("<HIQ", b, 4)
    if ver != 1:
        raise CtError("spantype.ns: version %d at offset 4, expected 1" % ver)
    if table < 18 or table + 28 * n > len(b):
        raise CtError("%s: type table (%d entries at %d) outside %d bytes" % (w, n, table, len(b)))
    out = []
    for i in range(n):
        tid, nlen, noff, cnt, soff = struct.unpack_from("<IIQIQ", b, table + 28 * i)
        if noff + nlen > len(b) or soff + 8 * cnt > len(b):
            raise CtError("%s: entry %d points outside the member" % (w, i))
        out.append({"type_id": tid, "name": text(b[noff:noff + nlen]),
                    "span_ids": list(struct.unpack_from("<%dQ" % cnt, b, soff))})
    return out


def decode_step_map(b, paths, exec_events, exec_to_step, steps, notes):
    """step-map.ns (breakpoint index): 'STMP' as u32 LE, u16 version 1, u32
    path count, u64 path table offset; path entries (u64 path id, u32 line
    count, u64 line table offset); line entries (u32 line, u32 step count,
    i64 first, i64 last, u64 offset of the i64 step ids).  Step ids are exec
    record indices; they are mapped to the summary's steps, and checked
    against them (a note says where they disagree)."""
    w = "step-map.ns"
    if len(b) < 18 or struct.unpack_from("<I", b, 0)[0] != 0x53544D50:
        raise CtError("step-map.ns: bad magic at offset 0")
    ver, npaths, ptab = struct.unpack_from("<HIQ", b, 4)
    if ver != 1:
        raise CtError("step-map.ns: version %d at offset 4, expected 1" % ver)
    if ptab + 20 * npaths > len(b):
        raise CtError("%s: path table outside the member" % w)
    out = []
    bad = None
    gli_ok = True   # every entry explained as path 0 + global line index?
    for i in range(npaths):
        pid, nlines, ltab = struct.unpack_from("<QIQ", b, ptab + 20 * i)
        if ltab + 32 * nlines > len(b):
            raise CtError("%s: line table of path %d outside the member" % (w, pid))
        pname = paths[pid] if pid < len(paths) else "#%d" % pid
        for j in range(nlines):
            line, cnt, first, last, soff = struct.unpack_from("<IIqqQ", b, ltab + 32 * j)
            if soff + 8 * cnt > len(b):
                raise CtError("%s: step list of %s:%d outside the member" % (w, pname, line))
            ids = list(struct.unpack_from("<%dq" % cnt, b, soff))
            mapped = []
            for e in ids:
                si = exec_to_step[e] if 0 <= e < len(exec_to_step) else None
                mapped.append(si if si is not None else {"out_of_range": e})
                ok = si is not None and si >= 0 and exec_events[e][0] == "pos"
                if bad is None and (not ok or steps[si][:2] != [pname, line]):
                    bad = "%s:%d lists exec record %d" % (pname, line, e)
                gp, gl = line_only(line, len(paths))
                if not ok or pid != 0 or gp >= len(paths) or steps[si][:2] != [paths[gp], gl]:
                    gli_ok = False
            if cnt and (ids[0] != first or ids[-1] != last):
                bad = bad or "%s:%d first/last %d/%d, list %d..%d" % (pname, line, first, last,
                                                                       ids[0], ids[-1])
            out.append([pname, line, mapped])
    if bad and gli_ok:
        notes.append("step-map.ns files every step under path 0 with its global line "
                     "index (path_id * 100000 + line) as the line; so read, it agrees "
                     "with steps.dat")
    elif bad:
        notes.append("step-map.ns disagrees with steps.dat: " + bad)
    return out


def decode_spans(ct):
    """spans.dat records (spans.idx v2: u32 chunk size, u16 version 2, u16 0,
    then [u64 offset][u64 cumulative records] per chunk).  Raw records in
    append order (a reader resolves 'last record wins per span_id')."""
    idx = ct.read("spans.idx")
    if len(idx) < 8 or (len(idx) - 8) % 16:
        raise CtError("spans.idx: size %d is not 8 + 16*n" % len(idx))
    _, ver, _ = struct.unpack_from("<IHH", idx, 0)
    if ver != 2:
        raise CtError("spans.idx: version %d, expected 2" % ver)
    ents = [struct.unpack_from("<QQ", idx, 8 + 16 * i) for i in range((len(idx) - 8) // 16)]
    dat = ct.read("spans.dat")
    spans = []
    for i, (a, cum) in enumerate(ents):
        z = ents[i + 1][0] if i + 1 < len(ents) else len(dat)
        if a > z or z > len(dat):
            raise CtError("spans.idx: chunk %d outside spans.dat" % i)
        if a == z:
            continue
        for rec in length_prefixed("spans.dat", inflate("spans.dat", dat[a:z], a), a):
            spans.append(decode_span(rec))
        if len(spans) != cum:
            raise CtError("spans.idx: chunk %d cumulative %d, records so far %d"
                          % (i, cum, len(spans)))
    return spans


def decode_span(r):
    w = "spans.dat"
    s = {}
    pos = 0
    s["span_id"], pos = uvarint(r, pos, w)
    s["parent_span_id"], pos = uvarint(r, pos, w)
    if pos + 2 > len(r):
        raise CtError("spans.dat: record truncated")
    flags, status = r[pos], r[pos + 1]
    pos += 2
    s["flags"], s["status"] = flags, status
    for k in ("start_wall_ns", "end_wall_ns", "process_ord", "thread_id",
              "start_step", "end_step"):
        s[k], pos = uvarint(r, pos, w)
    if flags & 2:
        v, pos = vstring(r, pos, w)
        s["external_recording"] = text(v)
        v, pos = vstring(r, pos, w)
        s["external_path"] = text(v)
    v, pos = vstring(r, pos, w)
    s["span_type"] = text(v)
    v, pos = vstring(r, pos, w)
    s["label"] = text(v)
    if pos >= len(r):
        raise CtError("spans.dat: structural byte missing")
    s["structural"] = r[pos]
    pos += 1
    n, pos = uvarint(r, pos, w)
    md = []
    for _ in range(n):
        k, pos = vstring(r, pos, w)
        v, pos = vstring(r, pos, w)
        md.append([text(k), text(v)])
    s["metadata"] = md
    if pos != len(r):
        raise CtError("spans.dat: record has %d trailing bytes" % (len(r) - pos))
    return s


def decode(path, layout=None, lenient=False):
    """Summary of the container at `path`.  layout: None (multi-stream when
    steps.dat exists, else events.log), "multi-stream" or "events-log" (for a
    container that has both, as the Elixir recorder writes).  lenient: read
    a killed recording's consistent prefix (streams stop at the first chunk
    that is missing or damaged; notes say where) instead of refusing it."""
    ct = Container(path)
    ct.lenient = lenient
    try:
        return _decode(ct, path, layout)
    finally:
        ct.f.close()


def _decode(ct, path, layout):
    if layout is None:
        layout = "multi-stream" if ct.has("steps.dat") else "events-log"
    if layout == "multi-stream" and ct.has("steps.dat"):
        s = decode_multi_stream(ct)
    elif layout == "events-log" and ct.has("events.log"):
        import ct_events_log
        s = ct_events_log.decode(ct)
    else:
        raise CtError("%s: no %s layout (neither steps.dat nor events.log)" % (path, layout)
                      if layout not in ("multi-stream", "events-log") or not
                      (ct.has("steps.dat") or ct.has("events.log"))
                      else "%s: no %s layout here" % (path, layout))
    if ct.notes:
        s.setdefault("notes", []).extend(ct.notes)
    s["container"] = ct.header()
    s["members"] = [[name, size] for _, name, size, _ in ct.entries]
    if ct.has("steps.dat") and ct.has("events.log"):
        s.setdefault("notes", []).append(
            "both steps.dat and events.log (the debugger reads events.log when it is "
            "present); this summary is of the %s layout" % layout)
    return s


def main(argv):
    if len(argv) >= 2 and argv[1] == "--members":
        ct = Container(argv[2])
        print(json.dumps({"container": ct.header(),
                          "members": [{"name": n, "size": s, "map_block": m}
                                      for _, n, s, m in ct.entries]}, indent=1))
        return 0
    if len(argv) >= 2 and argv[1] == "--cat":
        ct = Container(argv[2])
        sys.stdout.buffer.write(ct.read(argv[3]))
        return 0
    layout = None
    lenient = False
    if len(argv) >= 2 and argv[1] == "--lenient":
        lenient = True
        argv = argv[:1] + argv[2:]
    if len(argv) == 4 and argv[1] == "--layout":
        layout = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        s = decode(argv[1], layout, lenient)
    except CtError as e:
        sys.stderr.write("ct_decode: %s\n" % e)
        return 1
    sys.stdout.write(summary_to_json(s))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
