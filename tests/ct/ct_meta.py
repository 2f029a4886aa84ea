"""meta.dat version 3 of a `.ct` (FORMAT.md 7.2; Nim meta_dat.nim, the
db-backend's meta_dat.rs): 'CTMD', u16 version, u16 flags, varint-length
strings, and the blocks flag bits 0-3 gate.
"""

import struct

from ctfs_container import CtError, text, uvarint, vstring


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
