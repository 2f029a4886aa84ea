#!/usr/bin/python3
"""test_step_map.py CTREC FIXTURES WORKDIR

step-map.ns (the debugger's breakpoint index) as ctrec reads it, against
ct_extras.step_map_entries (written from the format description):

* on every fixture that has one, `ctrec step-map F` (the whole index, walked)
  and `ctrec step-map F P:L ...` (ctrec_reader_line_steps for each entry and
  for keys the index lacks) give the entries the Python decoder reads;
  `ctrec stats --json` counts them;
* damaged copies of no_spans.ct (one field of step-map.ns changed, or its
  published size cut) are refused by `ctrec step-map` with the exact
  message (member and offset), also refused by the Python decoder, and
  `ctrec check` reports them as the warning ct-step-map-damaged (the
  debugger drops a malformed index and falls back), the verdict unchanged;
* a sound index that lists steps under the wrong line is reported by
  `ctrec check` as ct-step-map-mismatch with the exact message.
"""

import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ct_extras import step_map_entries  # noqa: E402
from ctfs_container import Container, CtError, base40_encode  # noqa: E402

FIXTURES_WITH = ["elixir_plug_app", "no_spans", "ruby_sinatra_ruby", "web_session"]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def run(args):
    p = subprocess.run(args, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def entries_text(entries):
    return "".join("%d\t%d\t%s\n" % (p, l, " ".join(map(str, ids))) for p, l, ids in entries)


def python_entries(path):
    ct = Container(path)
    try:
        return step_map_entries(ct.read("step-map.ns"))
    finally:
        ct.f.close()


def check_fixture(ctrec, path):
    want = python_entries(path)
    rc, out, err = run([ctrec, "step-map", path])
    if rc != 0 or out != entries_text(want):
        fail("%s: walk: rc %d err %r\n%s---- want\n%s" % (path, rc, err, out[:400],
                                                          entries_text(want)[:400]))
    # every entry, and keys the index does not have: the next line after
    # each, a path past the last one
    keys = [(p, l) for p, l, _ in want]
    have = set(keys)
    misses = [(p, l + 1) for p, l in keys if (p, l + 1) not in have][:20]
    misses.append((max(p for p, _ in keys) + 1, 1))
    misses.append((0, 0xFFFFFFFF))
    byk = {(p, l): ids for p, l, ids in want}
    q = keys + misses
    rc, out, err = run([ctrec, "step-map", path] + ["%d:%d" % k for k in q])
    exp = entries_text([(p, l, byk.get((p, l), [])) for p, l in q])
    if rc != 0 or out != exp:
        fail("%s: queries: rc %d err %r\n%s---- want\n%s" % (path, rc, err, out[:400], exp[:400]))
    rc, out, err = run([ctrec, "stats", "--json", path])
    sm = json.loads(out).get("step_map") if rc == 0 else None
    if sm != {"lines": len(want), "step_ids": sum(len(ids) for _, _, ids in want),
              "source": "step-map.ns"}:
        fail("%s: stats step_map %r" % (path, sm))
    print("ok %s: %d entries" % (os.path.basename(path), len(want)))


# ---- damaged copies of no_spans.ct ----

def root_entry(data, name):
    want = base40_encode(name)
    for i in range(31):
        off = 16 + 24 * i
        size, mapb, nm = struct.unpack_from("<QQQ", data, off)
        if nm == want:
            return off, size, mapb
    raise KeyError(name)


def member_offset(data, name):
    _, _, mapb = root_entry(data, name)
    return struct.unpack_from("<Q", data, mapb * 4096)[0] * 4096


def patched(base, patches=(), size=None):
    data = bytearray(base)
    at = member_offset(data, "step-map.ns")
    for off, fmt, v in patches:
        struct.pack_into(fmt, data, at + off, *([v] if not isinstance(v, tuple) else v))
    if size is not None:
        struct.pack_into("<Q", data, root_entry(data, "step-map.ns")[0], size)
    return bytes(data)


# no_spans.ct's step-map.ns (358 bytes): header; the path table at 18 (path
# 0, 8 lines, line table at 38); line entries at 38 + 32*j (line j+1, one
# step, first = last = j, ids at 294 + 8*j).
HOSTILE = [
    ("magic", [(0, "<I", 0x504D5453)], None,
     "step-map.ns: magic 0x504d5453 at offset 0, expected 0x53544d50 (\"STMP\")"),
    ("version", [(4, "<H", 2)], None, "step-map.ns: version 2 at offset 4, expected 1"),
    ("short", [], 17, "step-map.ns: 17 bytes, shorter than its 18-byte header"),
    ("path-table-out", [(10, "<Q", 350)], None,
     "step-map.ns: the path table (1 entries of 20 bytes at offset 350, stated at offset 10) "
     "runs past the member's 358 bytes"),
    ("path-count-huge", [(6, "<I", 0xFFFFFFFF)], None,
     "step-map.ns: the path table (4294967295 entries of 20 bytes at offset 18, stated at "
     "offset 10) runs past the member's 358 bytes"),
    ("line-count-huge", [(18 + 8, "<I", 11)], None,
     "step-map.ns: path entry at offset 18 (path 0): its line table (11 entries of 32 bytes at "
     "offset 38) runs past the member's 358 bytes"),
    ("lines-offset-wrap", [(18 + 12, "<Q", 0xFFFFFFFFFFFFFFF0)], None,
     "step-map.ns: path entry at offset 18 (path 0): its line table (8 entries of 32 bytes at "
     "offset 18446744073709551600) runs past the member's 358 bytes"),
    ("step-count-huge", [(38 + 32 * 7 + 4, "<I", 2)], None,
     "step-map.ns: line entry at offset 262 (path 0 line 8): its step list (2 ids at offset "
     "350) runs past the member's 358 bytes"),
    ("truncated", [], 350,
     "step-map.ns: line entry at offset 262 (path 0 line 8): its step list (1 ids at offset "
     "350) runs past the member's 350 bytes"),
    ("lines-order", [(38 + 32 * 2, "<I", 2)], None,
     "step-map.ns: line entry at offset 102 (path 0): line 2 after line 2 (a path's lines "
     "must be ascending)"),
    ("first-wrong", [(38 + 32 * 3 + 8, "<q", 7)], None,
     "step-map.ns: line entry at offset 134 (path 0 line 4): first 7, the list starts with 3"),
    ("last-wrong", [(38 + 32 * 3 + 16, "<q", 2)], None,
     "step-map.ns: line entry at offset 134 (path 0 line 4): last 2, the list ends with 3"),
    ("not-ascending", [(38 + 32 * 1 + 4, "<I", 2), (38 + 32 * 1 + 16, "<q", 2),
                       (294 + 16, "<q", 1)], None,
     "step-map.ns: step list of path 0 line 2: id 1 at offset 310 does not follow the one "
     "before (not ascending)"),
    ("negative", [(294, "<q", -5), (38 + 8, "<q", -5), (38 + 16, "<q", -5)], None,
     "step-map.ns: step list of path 0 line 1: id -5 at offset 294 is below 0"),
]


def check_hostile(ctrec, fixtures, work):
    src = os.path.join(fixtures, "ctfs", "no_spans.ct")
    base = open(src, "rb").read()
    os.makedirs(work, exist_ok=True)
    for name, patches, size, msg in HOSTILE:
        path = os.path.join(work, "stepmap-%s.ct" % name)
        with open(path, "wb") as f:
            f.write(patched(base, patches, size))
        rc, out, err = run([ctrec, "step-map", path])
        want = "ctrec: no_spans: %s\n" % msg
        got = err.replace("stepmap-%s.ct" % name, "no_spans")
        if rc != 1 or got != want:
            fail("%s: step-map rc %d stderr %r, want %r" % (name, rc, err, want))
        rc, out, err = run([ctrec, "step-map", path, "0:1"])
        if rc != 1 or err.replace("stepmap-%s.ct" % name, "no_spans") != want:
            fail("%s: query rc %d stderr %r" % (name, rc, err))
        try:
            python_entries(path)
            fail("%s: the Python decoder read it" % name)
        except CtError:
            pass
        rc, out, err = run([ctrec, "check", "--json", "--no-files", path])
        try:
            doc = [json.loads(x) for x in out.splitlines() if x.strip()]
        except ValueError:
            doc = []
        diags = [d for d in doc if d.get("rule") == "ct-step-map-damaged"]
        verdict = [d["summary"]["verdict"] for d in doc if "summary" in d]
        full = ("the breakpoint index is damaged, so the debugger ignores it and derives "
                "breakpoints from the steps: %s: %s" % (os.path.basename(path), msg))
        if (len(diags) != 1 or diags[0].get("severity") != "warning" or
                diags[0].get("message") != full or
                verdict != ["loads-with-warnings"]):
            fail("%s: check said %s" % (name, out[-1500:]))
    print("ok %d damaged step maps" % len(HOSTILE))

    # sound but wrong: line 1 lists step 1, line 2 step 0
    path = os.path.join(work, "stepmap-swapped.ct")
    with open(path, "wb") as f:
        f.write(patched(base, [(294, "<q", 1), (38 + 8, "<q", 1), (38 + 16, "<q", 1),
                               (302, "<q", 0), (70 + 8, "<q", 0), (70 + 16, "<q", 0)]))
    rc, out, err = run([ctrec, "step-map", path])
    if rc != 0 or not out.startswith("0\t1\t1\n0\t2\t0\n"):
        fail("swapped: step-map rc %d %r %r" % (rc, out, err))
    rc, out, err = run([ctrec, "check", "--json", "--no-files", path])
    doc = [json.loads(x) for x in out.splitlines() if x.strip()]
    diags = [d for d in doc if d.get("rule") == "ct-step-map-mismatch"]
    full = ("step-map.ns (8 lines) disagrees with steps.dat, and the debugger resolves "
            "breakpoints from it: 2 of its 8 step ids are misplaced (the first: path 0 line 1 "
            "lists step 1, which steps.dat records at path 0 line 2); 2 steps are listed "
            "nowhere (the first: step 0 at path 0 line 1)")
    if len(diags) != 1 or diags[0].get("message") != full:
        fail("swapped: check said %s" % out[-1500:])
    print("ok swapped step map")

    # an entry whose list is empty (the debugger writes none; the layout
    # allows it): walked as an entry with no ids, counted as a line, and the
    # step it no longer lists is reported as listed nowhere
    path = os.path.join(work, "stepmap-empty-list.ct")
    with open(path, "wb") as f:
        f.write(patched(base, [(38 + 32 * 7 + 4, "<I", 0)]))
    want = python_entries(path)
    rc, out, err = run([ctrec, "step-map", path])
    if rc != 0 or out != entries_text(want) or not out.endswith("0\t7\t6\n0\t8\t\n"):
        fail("empty list: step-map rc %d %r %r (Python: %r)" % (rc, out, err, want))
    rc, out, err = run([ctrec, "stats", "--json", path])
    sm = json.loads(out).get("step_map") if rc == 0 else None
    if sm != {"lines": 8, "step_ids": 7, "source": "step-map.ns"}:
        fail("empty list: stats rc %d step_map %r" % (rc, sm))
    rc, out, err = run([ctrec, "check", "--json", "--no-files", path])
    doc = [json.loads(x) for x in out.splitlines() if x.strip()]
    got = [d["message"] for d in doc if d.get("rule") == "ct-step-map-mismatch"]
    full = ("step-map.ns (8 lines) disagrees with steps.dat, and the debugger resolves "
            "breakpoints from it: 1 step is listed nowhere (step 7 at path 0 line 8)")
    if got != [full]:
        fail("empty list: check said %r" % got)
    print("ok empty step list")


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    ctrec, fixtures, work = argv[1:]
    for f in FIXTURES_WITH:
        check_fixture(ctrec, os.path.join(fixtures, "ctfs", f + ".ct"))
    check_hostile(ctrec, fixtures, work)
    # ruby_sinatra_ruby.ct: the index files every step under path 0 with its
    # global line index as the line (docs/ct.md), so only serve.rb's agree
    path = os.path.join(fixtures, "ctfs", "ruby_sinatra_ruby.ct")
    rc, out, err = run([ctrec, "check", "--json", "--no-files", path])
    doc = [json.loads(x) for x in out.splitlines() if x.strip()]
    got = [d["message"] for d in doc if d.get("rule") == "ct-step-map-mismatch"]
    want = ("step-map.ns (104 lines) disagrees with steps.dat, and the debugger resolves "
            "breakpoints from it: 765 of its 769 step ids are misplaced (the first: path 0 line "
            "100056 lists step 4, which steps.dat records at path 1 line 56); 765 steps are "
            "listed nowhere (the first: step 4 at path 1 line 56)")
    if got != [want]:
        fail("ruby: check said %r" % got)
    else:
        print("ok ruby_sinatra_ruby.ct: the mismatch found")
    # the fixture without a step map: the call says so
    rc, out, err = run([ctrec, "step-map", os.path.join(fixtures, "ctfs",
                                                         "python_flask_serve.ct")])
    if rc != 1 or not err.endswith(": no step-map.ns in this container or beside it\n"):
        fail("python_flask_serve: rc %d %r" % (rc, err))
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
