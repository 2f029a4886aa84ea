"""Checks the traces of open_event_defs: JSON events as expected, and the
binary trace (decoded independently with cbor2 + zstandard) equal to them."""
import json
import sys

sys.path.insert(0, sys.argv[3])
from tracebin import read_trace_bin  # noqa: E402

jdir, bdir = sys.argv[1], sys.argv[2]
with open(jdir + "/trace.json", encoding="utf-8") as f:
    events = json.load(f)


def ival(i):
    return {"kind": "Int", "i": i, "type_id": 2}


def typ(kind, name):
    return {"Type": {"kind": kind, "lang_type": name, "specific_info": {"kind": "None"}}}


expected = [
    {"Path": "/a.src"},
    {"Function": {"path_id": 0, "line": 1, "name": "<toplevel>"}},
    {"Call": {"function_id": 0, "args": []}},
    typ(30, "None"),
    {"VariableName": "v"},
    typ(0, "seq"),
    typ(7, "int"),
    {"Value": {"variable_id": 0, "value": {"kind": "Sequence", "elements": [ival(i) for i in range(30)],
                                           "is_slice": False, "type_id": 1}}},
    typ(9, "str"),
    typ(27, "tuple"),
    {"VariableName": "late"},
    {"Return": {"return_value": {"kind": "Tuple", "elements": [ival(i) for i in range(24)]
                                 + [{"kind": "String", "text": "x", "type_id": 3}], "type_id": 4}}},
    {"Step": {"path_id": 0, "line": 2}},
]
if events != expected:
    for i, (a, b) in enumerate(zip(events, expected)):
        if a != b:
            print("event", i, "is", json.dumps(a), "expected", json.dumps(b))
    print("FAIL: trace.json differs (%d events, %d expected)" % (len(events), len(expected)))
    sys.exit(1)
binevents = read_trace_bin(bdir + "/trace.bin")
if binevents != expected:
    print("FAIL: trace.bin differs from the expected events")
    sys.exit(1)
print("ok: %d events in both formats" % len(events))
