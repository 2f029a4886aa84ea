#!/usr/bin/env python3
"""parse_check.py DIR N [EXPECT]: the trace folder DIR as python's json reads it.

- trace.json, trace_paths.json, trace_metadata.json parse with json.loads
  (strict: NaN/Infinity literals and invalid UTF-8 are refused);
- trace.json is an array of exactly N events, each a one-key object or the
  bare string "DropLastStep";
- trace_paths.json equals the Path events, in order;
- with EXPECT: each event re-dumped as compact ASCII JSON equals the
  corresponding line of the EXPECT file.
Exits 1 with a message on the first mismatch.
"""
import json
import sys


def fail(msg):
    print("parse_check: " + msg, file=sys.stderr)
    sys.exit(1)


def no_constants(name):
    fail("non-JSON literal %s" % name)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")  # strict: invalid UTF-8 is an error
    except UnicodeDecodeError as e:
        fail("%s is not UTF-8: %s" % (path, e))
    try:
        return json.loads(text, parse_constant=no_constants)
    except ValueError as e:
        fail("%s does not parse: %s" % (path, e))


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    events = load(d + "/trace.json")
    if not isinstance(events, list):
        fail("trace.json is not an array")
    if len(events) != n:
        fail("trace.json has %d events, expected %d" % (len(events), n))
    for i, ev in enumerate(events):
        if ev == "DropLastStep":
            continue
        if not isinstance(ev, dict) or len(ev) != 1:
            fail("event %d is not a one-key object: %r" % (i, ev))
    paths = load(d + "/trace_paths.json")
    want = [ev["Path"] for ev in events if isinstance(ev, dict) and "Path" in ev]
    if paths != want:
        fail("trace_paths.json %r != Path events %r" % (paths, want))
    meta = load(d + "/trace_metadata.json")
    if list(meta.keys()) != ["recording_id", "workdir", "program", "args"]:
        fail("trace_metadata.json keys %r" % list(meta.keys()))
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="ascii") as f:
            lines = f.read().splitlines()
        if len(lines) != n:
            fail("expect file has %d lines, expected %d" % (len(lines), n))
        for i, (ev, line) in enumerate(zip(events, lines)):
            got = json.dumps(ev, ensure_ascii=True, separators=(",", ":"))
            if got != line:
                fail("event %d:\n  got:      %s\n  expected: %s" % (i, got, line))


main()
