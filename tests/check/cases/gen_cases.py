#!/usr/bin/env python3
"""gen_cases.py OUTDIR [ZSTD] -- writes the ctrec check corpus into OUTDIR.

Each case is a folder OUTDIR/<name>/ holding trace.json or trace.bin and,
unless the case is about them, trace_metadata.json and trace_paths.json.
The events are written here by hand (JSON text, or CBOR encoded by the small
encoder below and framed as a seekable zstd file with the zstd command), never
by ctrec, so that the reference readers' verdicts on them (verdicts.tsv) say
nothing about ctrec's writer. The expected verdicts are in verdicts.tsv, each
with the reference run that gave it; run_cases.py compares ctrec check.
"""
import json
import os
import struct
import subprocess
import sys

OUT = sys.argv[1]
ZSTD = sys.argv[2] if len(sys.argv) > 2 else "zstd"

META = {"workdir": "/tmp", "program": "p.py", "args": [],
        "recording_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
PATH = "/tmp/p.py"

NONE_T = {"Type": {"kind": 30, "lang_type": "None", "specific_info": {"kind": "None"}}}
INT_T = {"Type": {"kind": 7, "lang_type": "int", "specific_info": {"kind": "None"}}}


def base():
    """A small complete trace: type 0 None, type 1 int, variable 0 x."""
    return [
        {"Path": PATH},
        NONE_T,
        INT_T,
        {"Function": {"path_id": 0, "line": 1, "name": "<toplevel>"}},
        {"Call": {"function_id": 0, "args": []}},
        {"VariableName": "x"},
        {"Step": {"path_id": 0, "line": 1}},
        {"Value": {"variable_id": 0, "value": {"kind": "Int", "i": 1, "type_id": 1}}},
    ]


def jtext(events):
    return "[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n]\n"


# ---- CBOR (RFC 8949), the subset serde's CBOR writers use ----

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(v):
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass")
        return cbor_head(3, len(b)) + b
    if isinstance(v, bytes):  # raw CBOR spliced in
        return v
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(type(v))


def zstd_frame(data):
    return subprocess.run([ZSTD, "-q", "-c", "-3", "--no-check"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def seekable(events, per_frame=4, header=b"\xc0\xde\x72\xac\xe2\x01\x00\x00", tail=b"",
             raw=None):
    """trace.bin: the 8-byte header, zstd frames of `per_frame` events, the
    seek table (skippable frame 0x184D2A5E, entries of 8 bytes, footer)."""
    payloads = []
    if raw is not None:
        payloads = [raw]
    else:
        for i in range(0, max(len(events), 1), per_frame):
            payloads.append(b"".join(cbor(e) for e in events[i:i + per_frame]))
    frames = [zstd_frame(p) for p in payloads]
    table = b"".join(struct.pack("<II", len(f), len(p)) for f, p in zip(frames, payloads))
    table += struct.pack("<I", len(frames)) + b"\x00" + struct.pack("<I", 0x8F92EAB1)
    return header + b"".join(frames) + struct.pack("<II", 0x184D2A5E, len(table)) + table + tail


CASES = []


def case(name, fmt, events=None, text=None, data=None, meta=True, paths=True, note=""):
    CASES.append((name, fmt, events, text, data, meta, paths, note))


def both(name, extra, paths_extra=()):
    """One case in each format: the base trace plus `extra` events."""
    ev = base() + extra
    case("json-" + name, "json", ev, paths=[PATH, *paths_extra])
    case("bin-" + name, "bin", ev, paths=[PATH, *paths_extra])


def V(value):
    return {"Value": {"variable_id": 0, "value": value}}


# ---- every event kind, both formats ----
both("ok", [])
both("step", [{"Step": {"path_id": 0, "line": 2}}])
both("path", [{"Path": "/tmp/q.py"}], ["/tmp/q.py"])
both("variable-name", [{"VariableName": "y"}])
both("variable-legacy", [{"Variable": "y"}])
both("type-struct", [{"Type": {"kind": 6, "lang_type": "S", "specific_info":
                               {"kind": "Struct", "fields": [{"name": "a", "type_id": 1}]}}},
                     V({"kind": "Struct", "field_values": [{"kind": "Int", "i": 2, "type_id": 1}],
                        "type_id": 2})])
both("type-pointer", [{"Type": {"kind": 23, "lang_type": "*int", "specific_info":
                                {"kind": "Pointer", "dereference_type_id": 1}}}])
both("function-call-return", [{"Function": {"path_id": 0, "line": 3, "name": "f"}},
                              {"Call": {"function_id": 1, "args": [
                                  {"variable_id": 0, "value": {"kind": "Int", "i": 5, "type_id": 1}}]}},
                              {"Step": {"path_id": 0, "line": 3}},
                              {"Return": {"return_value": {"kind": "Int", "i": 6, "type_id": 1}}}])
both("event", [{"Event": {"kind": 0, "metadata": "", "content": "hi\n"}}])
both("asm", [{"Asm": ["nop", "ret"]}])
both("bind-variable", [{"BindVariable": {"variable_id": 0, "place": 1}}])
both("assignment-simple", [{"Assignment": {"to": 0, "pass_by": "Value",
                                           "from": {"kind": "Simple", "0": 0}}}])
both("assignment-compound", [{"Assignment": {"to": 0, "pass_by": "Reference",
                                             "from": {"kind": "Compound", "0": [0]}}}])
both("drop-variables", [{"DropVariables": [0]}])
both("compound-value", [{"CompoundValue": {"place": 1, "value": {
    "kind": "Sequence", "elements": [], "is_slice": False, "type_id": 1}}}])
both("cell-value", [{"CellValue": {"place": 2, "value": {"kind": "Int", "i": 1, "type_id": 1}}}])
both("assign-compound-item", [{"CompoundValue": {"place": 1, "value": {
    "kind": "Sequence", "elements": [], "is_slice": False, "type_id": 1}}},
    {"AssignCompoundItem": {"place": 1, "index": 0, "item_place": 2}}])
both("assign-cell", [{"AssignCell": {"place": 2, "new_value": {"kind": "Int", "i": 3, "type_id": 1}}}])
both("variable-cell", [{"VariableCell": {"variable_id": 0, "place": 2}}])
both("drop-variable", [{"DropVariable": 0}])
both("thread-start", [{"ThreadStart": 1}])
both("thread-exit", [{"ThreadStart": 1}, {"ThreadExit": 1}])
both("thread-switch", [{"ThreadStart": 1}, {"ThreadSwitch": 1}])
both("drop-last-step-unit", ["DropLastStep"])
case("json-drop-last-step-null", "json", base() + [{"DropLastStep": None}])

# ---- every value kind ----
VALUES = {
    "int": {"kind": "Int", "i": -5, "type_id": 1},
    "bool": {"kind": "Bool", "b": True, "type_id": 1},
    "string": {"kind": "String", "text": "hé\n", "type_id": 1},
    "sequence": {"kind": "Sequence", "elements": [{"kind": "Int", "i": 1, "type_id": 1}],
                 "is_slice": False, "type_id": 1},
    "sequence-no-is-slice": {"kind": "Sequence", "elements": [], "type_id": 1},
    "tuple": {"kind": "Tuple", "elements": [{"kind": "None", "type_id": 0}], "type_id": 1},
    "variant": {"kind": "Variant", "discriminator": "Some",
                "contents": {"kind": "Int", "i": 1, "type_id": 1}, "type_id": 1},
    "reference": {"kind": "Reference", "dereferenced": {"kind": "Int", "i": 1, "type_id": 1},
                  "address": 4096, "mutable": False, "type_id": 1},
    "raw": {"kind": "Raw", "r": "<obj>", "type_id": 1},
    "error": {"kind": "Error", "msg": "boom", "type_id": 1},
    "none": {"kind": "None", "type_id": 0},
    "cell": {"kind": "Cell", "place": 2},
    "bigint": {"kind": "BigInt", "b": "AQI=", "negative": True, "type_id": 1},
    "char": {"kind": "Char", "c": "z", "type_id": 1},
    "char-two": {"kind": "Char", "c": "zz", "type_id": 1},
    "float-text": {"kind": "Float", "f": "1.5", "type_id": 1},
}
for k, v in VALUES.items():
    both("value-" + k, [V(v)])

# ---- float spellings (the "f" field) ----
FLOATS = {"number": 1.5, "number-int": 7, "inf": "inf", "minus-inf": "-inf", "plus-inf": "+inf",
          "nan": "NaN", "infinity": "infinity", "exp": "1e5", "dot-first": ".5", "dot-last": "1.",
          "hex": "0x10", "space": " 1.5", "underscore": "1_0", "empty": ""}
for k, f in FLOATS.items():
    case("json-float-" + k, "json", base() + [V({"kind": "Float", "f": f, "type_id": 1})])
case("bin-float-cbor-double", "bin", base() + [V({"kind": "Float", "f": 2.5, "type_id": 1})])
case("bin-float-text-inf", "bin", base() + [V({"kind": "Float", "f": "inf", "type_id": 1})])

# ---- trace.json grammar (serde_json) ----
OK = jtext(base())
case("json-trailing-garbage", "json", text=OK + "x")
case("json-trailing-second-array", "json", text=OK + "[]")
case("json-trailing-whitespace", "json", text=OK + " \n\t\r\n ")
case("json-leading-whitespace", "json", text="\n  \t" + OK)
case("json-bom", "json", data=b"\xef\xbb\xbf" + OK.encode())
case("json-raw-tab-in-string", "json", text=OK.replace('"x"', '"a\tb"'))
case("json-raw-newline-in-string", "json", text=OK.replace('"x"', '"a\nb"'))
case("json-raw-ff-in-string", "json", data=OK.encode().replace(b'"x"', b'"a\xffb"'))
case("json-overlong-utf8", "json", data=OK.encode().replace(b'"x"', b'"a\xc0\xafb"'))
case("json-utf8-ok", "json", text=OK.replace('"x"', '"\u00e9\u20ac\U0001F600"'))
case("json-lone-high-surrogate", "json", text=OK.replace('"x"', '"a\\ud800b"'))
case("json-lone-low-surrogate", "json", text=OK.replace('"x"', '"a\\udc00b"'))
case("json-surrogate-pair", "json", text=OK.replace('"x"', '"a\\ud83d\\ude00b"'))
case("json-escapes", "json", text=OK.replace('"x"', '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041"'))
case("json-bad-escape", "json", text=OK.replace('"x"', '"\\q"'))
case("json-leading-zero", "json", text=OK.replace('"line": 1}', '"line": 01}', 1))
case("json-minus-zero-line", "json", text=OK.replace('"line": 1}', '"line": -0}', 1))
case("json-plus-sign", "json", text=OK.replace('"line": 1}', '"line": +1}', 1))
case("json-line-float", "json", text=OK.replace('"line": 1}', '"line": 1.0}', 1))
case("json-line-exp", "json", text=OK.replace('"line": 1}', '"line": 1e0}', 1))
case("json-unknown-field", "json", base() + [{"Step": {"path_id": 0, "line": 2, "extra": [1, {"a": None}]}}])
case("json-unknown-field-bad-number", "json",
     text=OK.replace('"line": 1}', '"line": 1, "extra": 01}', 1))
case("json-unknown-field-huge-number", "json",
     text=OK.replace('"line": 1}', '"line": 1, "extra": 1e400}', 1))
case("json-unknown-field-lone-surrogate", "json",
     text=OK.replace('"line": 1}', '"line": 1, "extra": "\\ud800"}', 1))
case("json-duplicate-field", "json",
     text=OK.replace('"line": 1}', '"line": 1, "line": 2}', 1))
case("json-trailing-comma", "json", text=OK.replace("\n]", ",\n]"))
case("json-empty-array", "json", text="[]")
case("json-i-as-string", "json", base() + [V({"kind": "Int", "i": "7", "type_id": 1})])

# ---- trace.bin container ----
BIN = base()
case("bin-trailing-byte", "bin", data=seekable(BIN, tail=b"\x00"))
case("bin-reserved-header", "bin", data=seekable(BIN, header=b"\xc0\xde\x72\xac\xe2\x01\x00\x01"))
case("bin-one-frame", "bin", data=seekable(BIN, per_frame=100))
case("bin-no-seek-table", "bin", data=seekable(BIN)[:-21])
case("bin-indefinite-map", "bin", data=seekable(None, raw=b"".join(cbor(e) for e in BIN[:-1]) +
     b"\xbf" + cbor("Value") + b"\xbf" + cbor("variable_id") + cbor(0) + cbor("value") +
     cbor({"kind": "Int", "i": 1, "type_id": 1}) + b"\xff\xff"))
case("bin-invalid-utf8", "bin", data=seekable(None, raw=b"".join(cbor(e) for e in BIN) +
     cbor({"VariableName": b"\x63a\xffb"})))

# ---- nesting ----
def nested(depth, leaf):
    v = leaf
    for _ in range(depth - 1):
        v = {"kind": "Sequence", "elements": [v], "is_slice": False, "type_id": 1}
    return v

LEAF = {"kind": "Int", "i": 1, "type_id": 1}
for d in (61, 62, 63):
    case("json-value-depth-%d" % d, "json", base() + [V(nested(d, LEAF))])
for d in (62, 63, 64):
    case("bin-value-depth-%d" % d, "bin", base() + [V(nested(d, LEAF))])
for d in (60, 61, 62):
    case("json-arg-depth-%d" % d, "json", base() + [
        {"Function": {"path_id": 0, "line": 3, "name": "f"}},
        {"Call": {"function_id": 1, "args": [{"variable_id": 0, "value": nested(d, LEAF)}]}},
        {"Step": {"path_id": 0, "line": 3}}])

def deep_list(n):
    return "[" * n + "]" * n

for n in (123, 124, 125):  # [ { "Step" { "x": <n arrays> : 3 + n levels
    case("json-unknown-depth-%d" % (n + 3), "json",
         text=OK.replace('"line": 1}', '"line": 1, "x": %s}' % deep_list(n), 1))

# ---- metadata and paths ----
case("json-no-metadata", "json", base(), meta=None)
case("bin-no-metadata", "bin", base(), meta=None)
case("json-metadata-not-json", "json", base(), meta="{not json")
case("json-metadata-no-workdir", "json", base(), meta={"program": "p.py", "args": []})
case("json-metadata-relative-workdir", "json", base(), meta=dict(META, workdir="."))
case("json-metadata-no-recording-id", "json", base(),
     meta={"workdir": "/tmp", "program": "p.py", "args": []})
case("json-metadata-args-not-array", "json", base(), meta=dict(META, args="a b"))
case("json-no-paths-file", "json", base(), paths=None)
case("json-paths-file-differs", "json", base(), paths=["/tmp/other.py"])
case("json-relative-path", "json", [{"Path": "p.py"}] + base()[1:], paths=["p.py"])
case("json-empty-path", "json", [{"Path": ""}] + base()[1:], paths=[""])

# ---- replay rules ----
b = base()
case("json-return-without-call", "json", b + [{"Return": {"return_value": {"kind": "None", "type_id": 0}}},
                                            {"Return": {"return_value": {"kind": "None", "type_id": 0}}}])
case("json-step-before-call", "json", [b[0], b[1], b[2], b[3], b[6], b[4], b[5], b[7]])
case("json-no-call", "json", [b[0], b[1], b[2], b[3], b[5], b[6], b[7]])
case("json-no-step", "json", b[:6])
case("json-undefined-path", "json", b + [{"Step": {"path_id": 9, "line": 1}}])
case("json-undefined-function", "json", b + [{"Call": {"function_id": 9, "args": []}}])
case("json-undefined-type", "json", b + [V({"kind": "Int", "i": 1, "type_id": 99})])
case("json-undefined-variable", "json", b + [{"Value": {"variable_id": 9, "value": LEAF}}])
case("json-no-types", "json", [x for x in b if "Type" not in x])
case("json-struct-field-count", "json", b + [{"Type": {"kind": 6, "lang_type": "S", "specific_info":
                                                     {"kind": "Struct", "fields": [{"name": "a", "type_id": 1}]}}},
                                           V({"kind": "Struct", "field_values": [], "type_id": 2})])
case("json-open-calls", "json", b + [{"Function": {"path_id": 0, "line": 3, "name": "f"}},
                                   {"Call": {"function_id": 1, "args": []}},
                                   {"Step": {"path_id": 0, "line": 3}}])

# ---- an event over the tools' 64 MiB default bound ----
case("json-value-65mib", "json", base() + [V({"kind": "String", "text": "a" * (65 << 20), "type_id": 1})])


def write_case(name, fmt, events, text, data, meta, paths):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in ("trace.json", "trace.bin", "trace_metadata.json", "trace_paths.json"):
        if os.path.exists(os.path.join(d, f)):
            os.remove(os.path.join(d, f))
    if data is None:
        if fmt == "json":
            data = (text if text is not None else jtext(events)).encode("utf-8", "surrogatepass")
        else:
            data = seekable(events)
    with open(os.path.join(d, "trace." + fmt), "wb") as f:
        f.write(data)
    if meta is not None:
        with open(os.path.join(d, "trace_metadata.json"), "w") as f:
            f.write(meta if isinstance(meta, str) else json.dumps(META if meta is True else meta))
    if paths is not None:
        with open(os.path.join(d, "trace_paths.json"), "w") as f:
            json.dump([PATH] if paths is True else paths, f)


names = set()
for name, fmt, events, text, data, meta, paths, note in CASES:
    assert name not in names, name
    names.add(name)
    write_case(name, fmt, events, text, data, meta, paths)
with open(os.path.join(OUT, "CASES"), "w") as f:
    f.write("".join(n + "\n" for n, *_ in CASES))
print("%d cases in %s" % (len(CASES), OUT))
