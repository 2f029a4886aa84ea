"""The CTFS container layer of the independent `.ct` decoder: header, root
entries with base40 names, mapping-block chains (up to 5 levels), members
read block by block; LEB128 varints; the record-table (.dat + .off) and
chunked-stream (.dat + .idx, one zstd frame per chunk) framings.  Written
from FORMAT.md 7.1 and the reference code (codetracer-trace-format-nim
src/codetracer_ctfs/), not from ctrec's C code.
"""

import struct

import zstandard

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


_dctx = zstandard.ZstdDecompressor()


def skippable_only(data):
    """Whether data is whole zstd skippable frames (magic 0x184D2A50-5F,
    u32 size, that many bytes) and nothing else."""
    pos = 0
    while pos < len(data):
        if len(data) - pos < 8:
            return False
        magic, size = struct.unpack_from("<II", data, pos)
        if magic & 0xFFFFFFF0 != 0x184D2A50 or pos + 8 + size > len(data):
            return False
        pos += 8 + size
    return True


def inflate(member, frame, off, padded=False):
    """One zstd frame that must declare its content size (the Nim reader needs
    it), stay under MAX_CHUNK, inflate to exactly that size and fill the
    chunk's byte range (bytes after it are an error, as for the reference,
    which inflates the whole range into a buffer of the declared size).
    With `padded` (a file read while it was recorded), skippable frames may
    follow it: ctrec pads a published .dat that way when its last chunk
    compressed smaller than the provisional one a reader saw before
    (docs/ct-writer.md, Durability); zstd's decoders skip them."""
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
    if obj.unused_data and not (padded and skippable_only(obj.unused_data)):
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
            payload = inflate(base + ".dat", dat[a:z], a, padded=ct.lenient)
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
