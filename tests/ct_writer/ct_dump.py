#!/usr/bin/env python3
"""ct_dump.py — a small decoder of the .ct multi-stream layout for the
writer's tests, written from ../shared/FORMAT.md section 7 (not from the C
code). Prints one JSON document describing everything in the container:

  {"header": {...}, "members": {name: size}, "meta": {...},
   "paths": [...], "funcs": [...], "types": [...], "varnames": [...],
   "steps": [[kind, ...]], "values": [[[varname, value], ...]],
   "calls": [{...}], "events": [{...}], "chunks": {stream: [records...]}}

It checks what a reader relies on and exits 1 with a message when the
container breaks it: block size 4096 and 31 root entries, members inside
the file, every chunk a zstd frame with its content size, every chunk but
the last holding exactly the .idx's records-per-chunk, a step chunk
starting with an absolute step, values parallel to steps, call records in
entry order.

usage: ct_dump.py TRACE.ct [--allow-partial]
  --allow-partial: a container of a killed recording (no meta.dat, calls
  not written yet) is described as far as it goes.
"""
import json
import struct
import sys

import cbor2
import zstandard

ALPHA = "\0" + "0123456789abcdefghijklmnopqrstuvwxyz./-"


class Bad(Exception):
    pass


def b40(v):
    s = ""
    while v:
        s += ALPHA[v % 40]
        v //= 40
    return s


def member_blocks(data, bs, map_block, nblocks):
    usable = bs // 8 - 1

    def ptrs(blk):
        if blk == 0 or (blk + 1) * bs > len(data):
            raise Bad("mapping block %d outside the file" % blk)
        return struct.unpack_from("<%dQ" % (bs // 8), data, blk * bs)

    def subtree(blk, level, count, out):
        # level-1 block: direct pointers; level k: pointers to level k-1 blocks
        e = ptrs(blk)
        if level == 1:
            out.extend(e[:count])
            return
        cap = usable ** (level - 1)
        i = 0
        while count > 0:
            n = min(cap, count)
            subtree(e[i], level - 1, n, out)
            count -= n
            i += 1

    out = []
    head = map_block
    level = 1
    while len(out) < nblocks:
        if level > 5:
            raise Bad("mapping deeper than 5 levels")
        cap = usable ** level
        n = min(cap, nblocks - len(out))
        if level == 1:
            out.extend(ptrs(head)[:n])
        else:
            e = ptrs(head)
            sub = usable ** (level - 1)
            i = 0
            while n > 0:
                k = min(sub, n)
                subtree(e[i], level - 1, k, out)
                n -= k
                i += 1
        if len(out) < nblocks:
            head = ptrs(head)[usable]
            level += 1
    return out


def read_container(path):
    data = open(path, "rb").read()
    if data[:5] != bytes([0xC0, 0xDE, 0x72, 0xAC, 0xE2]):
        raise Bad("bad magic")
    version = data[5]
    bs, nroot = struct.unpack_from("<II", data, 8)
    if (version, bs, nroot) != (4, 4096, 31):
        raise Bad("header %r, expected version 4, block 4096, 31 entries" % ((version, bs, nroot),))
    if len(data) % bs:
        raise Bad("file size %d is not a whole number of blocks" % len(data))
    members = {}
    order = []
    for i in range(nroot):
        size, mb, name = struct.unpack_from("<QQQ", data, 16 + 24 * i)
        if (size, mb, name) == (0, 0, 0):
            continue
        nm = b40(name)
        nb = (size + bs - 1) // bs
        blocks = member_blocks(data, bs, mb, nb)
        for b in blocks:
            if b == 0 or (b + 1) * bs > len(data):
                raise Bad("%s: data block %d outside the file" % (nm, b))
        content = b"".join(data[b * bs:(b + 1) * bs] for b in blocks)[:size]
        members[nm] = content
        order.append(nm)
    return {"version": version, "block_size": bs, "root_entries": nroot,
            "max_shards": data[7]}, members, order


def varint(buf, pos):
    v = 0
    sh = 0
    while True:
        if pos >= len(buf):
            raise Bad("varint past the end")
        c = buf[pos]
        pos += 1
        v |= (c & 0x7F) << sh
        if not c & 0x80:
            return v, pos
        sh += 7
        if sh > 63:
            raise Bad("varint longer than 10 bytes")


def unzig(v):
    return (v >> 1) ^ -(v & 1)


def table(members, name):
    dat = members[name + ".dat"]
    off = members[name + ".off"]
    offs = struct.unpack("<%dQ" % (len(off) // 8), off)
    if not offs or offs[0] != 0 or offs[-1] != len(dat):
        raise Bad("%s.off does not cover %s.dat" % (name, name))
    return [dat[offs[i]:offs[i + 1]].decode("utf-8") for i in range(len(offs) - 1)]


def chunks(members, name):
    dat = members[name + ".dat"]
    idx = members[name + ".idx"]
    if len(idx) < 4 or (len(idx) - 4) % 8:
        raise Bad("%s.idx has %d bytes" % (name, len(idx)))
    per = struct.unpack_from("<I", idx, 0)[0]
    offs = list(struct.unpack_from("<%dQ" % ((len(idx) - 4) // 8), idx, 4))
    out = []
    for i, o in enumerate(offs):
        end = offs[i + 1] if i + 1 < len(offs) else len(dat)
        if not (o <= end <= len(dat)):
            raise Bad("%s.idx offset %d out of order or past the end" % (name, o))
        frame = dat[o:end]
        params = zstandard.get_frame_parameters(frame)
        if params.content_size == zstandard.CONTENTSIZE_UNKNOWN:
            raise Bad("%s chunk %d has no content size" % (name, i))
        raw = zstandard.ZstdDecompressor().decompress(frame)
        if len(raw) != params.content_size:
            raise Bad("%s chunk %d: %d bytes, frame says %d" % (name, i, len(raw), params.content_size))
        out.append(raw)
    return per, out


def length_prefixed(raw):
    recs = []
    pos = 0
    while pos < len(raw):
        n, pos = varint(raw, pos)
        if pos + n > len(raw):
            raise Bad("record past the end of its chunk")
        recs.append(raw[pos:pos + n])
        pos += n
    return recs


def check_counts(name, per, counts):
    for i, c in enumerate(counts):
        if c == 0 or c > per or (i + 1 < len(counts) and c != per):
            raise Bad("%s chunk %d holds %d records (records per chunk %d)" % (name, i, c, per))


def plain(v):
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, float):
        return {"float64": v.hex()}
    return v


def cbor_value(b):
    # Key order matters to the reference reader: keep it (dicts keep order).
    return plain(cbor2.loads(b))


def meta_dat(b):
    if b[:4] != b"CTMD":
        raise Bad("meta.dat: bad magic")
    version, flags = struct.unpack_from("<HH", b, 4)
    pos = 8

    def s():
        nonlocal pos
        n, pos = varint(b, pos)
        v = b[pos:pos + n].decode("utf-8")
        pos += n
        return v

    m = {"version": version, "flags": flags, "recording_id": s(), "program": s()}
    n, pos = varint(b, pos)
    m["args"] = [s() for _ in range(n)]
    m["workdir"] = s()
    m["recorder_id"] = s()
    n, pos = varint(b, pos)
    m["paths"] = [s() for _ in range(n)]
    if pos != len(b):
        raise Bad("meta.dat: %d bytes left over" % (len(b) - pos))
    return m


def dump(path, allow_partial=False):
    header, members, order = read_container(path)
    out = {"header": header, "members": {n: len(members[n]) for n in order}}
    if "meta.dat" in members:
        out["meta"] = meta_dat(members["meta.dat"])
    elif not allow_partial:
        raise Bad("no meta.dat")
    for t in ("paths", "funcs", "types", "varnames"):
        out[t] = table(members, t)

    # steps
    per, raws = chunks(members, "steps")
    steps = []
    counts = []
    for raw in raws:
        pos = 0
        n = 0
        gli = None
        while pos < len(raw):
            tag = raw[pos]
            pos += 1
            if n == 0 and tag == 1:
                raise Bad("a steps chunk starts with a delta step")
            if tag == 0:
                gli, pos = varint(raw, pos)
                steps.append(["step", gli // 100000, gli % 100000])
            elif tag == 1:
                d, pos = varint(raw, pos)
                gli += unzig(d)
                steps.append(["step", gli // 100000, gli % 100000])
            elif tag in (4, 5, 6):
                tid, pos = varint(raw, pos)
                steps.append([{4: "thread_switch", 5: "thread_start", 6: "thread_exit"}[tag], tid])
            else:
                raise Bad("unexpected step tag %d" % tag)
            n += 1
        counts.append(n)
    check_counts("steps", per, counts)
    if per != 4096:
        raise Bad("steps.idx: %d records per chunk" % per)
    out["steps"] = steps

    per, raws = chunks(members, "values")
    values = []
    counts = []
    for raw in raws:
        recs = length_prefixed(raw)
        counts.append(len(recs))
        for r in recs:
            if not r:
                values.append([])
                continue
            if r[0] != 0:
                raise Bad("values record tag %d" % r[0])
            cnt, pos = varint(r, 1)
            vs = []
            for _ in range(cnt):
                var, pos = varint(r, pos)
                n, pos = varint(r, pos)
                vs.append([var, cbor_value(r[pos:pos + n])])
                pos += n
            if pos != len(r):
                raise Bad("values record with bytes left over")
            values.append(vs)
    check_counts("values", per, counts)
    if per != 1024:
        raise Bad("values.idx: %d records per chunk" % per)
    if len(values) != len(steps) and not allow_partial:
        raise Bad("%d value records for %d steps" % (len(values), len(steps)))
    out["values"] = values

    per, raws = chunks(members, "calls")
    calls = []
    counts = []
    for raw in raws:
        recs = length_prefixed(raw)
        counts.append(len(recs))
        for r in recs:
            c = {}
            c["function"], pos = varint(r, 0)
            p, pos = varint(r, pos)
            c["parent"] = unzig(p)
            c["entry_step"], pos = varint(r, pos)
            c["exit_step"], pos = varint(r, pos)
            c["depth"], pos = varint(r, pos)
            na, pos = varint(r, pos)
            args = []
            for _ in range(na):
                var, pos = varint(r, pos)
                n, pos = varint(r, pos)
                args.append([var, cbor_value(r[pos:pos + n])])
                pos += n
            c["args"] = args
            n, pos = varint(r, pos)
            rv = r[pos:pos + n]
            pos += n
            c["return"] = None if rv == b"\xff" else cbor_value(rv)
            n, pos = varint(r, pos)
            c["exception"] = r[pos:pos + n].hex()
            pos += n
            nk, pos = varint(r, pos)
            kids = []
            for _ in range(nk):
                k, pos = varint(r, pos)
                kids.append(k)
            c["children"] = kids
            if pos != len(r):
                raise Bad("call record with bytes left over")
            calls.append(c)
    check_counts("calls", per, counts)
    if per != 256:
        raise Bad("calls.idx: %d records per chunk" % per)
    for i, c in enumerate(calls):
        if c["parent"] >= i or (c["parent"] < 0 and c["parent"] != -1):
            raise Bad("call %d: parent %d is not an earlier call" % (i, c["parent"]))
        if i and c["entry_step"] < calls[i - 1]["entry_step"]:
            raise Bad("call %d enters before call %d" % (i, i - 1))
        for k in c["children"]:
            if not (i < k < len(calls)) or calls[k]["parent"] != i:
                raise Bad("call %d: child %d does not name it its parent" % (i, k))
    out["calls"] = calls

    per, raws = chunks(members, "events")
    events = []
    counts = []
    for raw in raws:
        recs = length_prefixed(raw)
        counts.append(len(recs))
        for r in recs:
            kind = r[0]
            step, pos = varint(r, 1)
            n, pos = varint(r, pos)
            meta = r[pos:pos + n].decode("utf-8")
            pos += n
            n, pos = varint(r, pos)
            content = r[pos:pos + n].decode("utf-8")
            pos += n
            events.append({"kind": kind, "step": step, "metadata": meta, "content": content})
    check_counts("events", per, counts)
    if per != 64:
        raise Bad("events.idx: %d records per chunk" % per)
    out["events"] = events
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        d = dump(args[0], "--allow-partial" in sys.argv)
    except Bad as e:
        print("ct_dump: %s: %s" % (args[0], e), file=sys.stderr)
        return 1
    json.dump(d, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
