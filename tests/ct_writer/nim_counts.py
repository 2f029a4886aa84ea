#!/usr/bin/env python3
"""nim_counts.py CTREC_LUA CTREC CTREC_BENCH SRC FIXTURES WORK [CT_WRITER_TEST]

nim_read.tsv records what the reference Nim reader read from the .ct files
ctrec wrote (verdict and counts of steps, calls, I/O events and values; the
reader is built outside the project and is not run here). This test writes
the same cases again and checks that `ctrec stats --json` counts exactly
what the reference read then, so a change in what the writer puts in a .ct
shows up against the reference's reading."""
import json
import os
import shutil
import subprocess
import sys

lua, ctrec, bench, src, fixtures, work = sys.argv[1:7]
ctw = sys.argv[7] if len(sys.argv) > 7 else None
here = os.path.dirname(os.path.abspath(__file__))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []
n = 0
ctw_dirs = {}
for line in open(os.path.join(here, "nim_read.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    name, verdict, steps, calls, events, values = line.rstrip("\n").split("\t")
    want = (int(steps), int(calls), int(events), int(values))
    out = os.path.join(work, name)
    trace = None
    if name.startswith("lua-"):
        base, mode = name[4:].rsplit("-", 1)
        for d in ("examples/lua", "tools/ctrec-lua/tests/lua"):
            script = os.path.join(src, d, base + ".lua")
            if os.path.exists(script):
                break
        subprocess.run([lua, "--format", "ct", "--values", mode, "-o", out, base + ".lua"],
                       cwd=os.path.dirname(script), input="\n", text=True, capture_output=True,
                       timeout=120)
    elif name.startswith("fx-"):
        subprocess.run([ctrec, "convert", "--format", "ct", os.path.join(fixtures, name[3:]), out],
                       capture_output=True, timeout=120)
    elif name.startswith("ctw-"):
        # ctw-MODE[:SUB] = ct_writer_test MODE DIR, the .ct in DIR[/SUB] (SUB ending in
        # .ct: that file); each MODE runs once
        mode, _, sub = name[4:].partition(":")
        if ctw is None:
            failures.append("%s: no ct_writer_test given" % name)
            continue
        out = ctw_dirs.get(mode)
        if out is None:
            out = ctw_dirs[mode] = os.path.join(work, "ctw-" + mode)
            subprocess.run([ctw, mode, out], capture_output=True, timeout=300)
        if sub.endswith(".ct"):
            trace = os.path.join(out, sub)
        elif sub:
            out = os.path.join(out, sub)
    elif name == "w1-3000":
        subprocess.run([bench, "w1", "-n", "3000", "--format", "ct", "--out", out],
                       capture_output=True, timeout=120)
    st = subprocess.run([ctrec, "stats", "--json", trace or os.path.join(out, "trace.ct")],
                        capture_output=True, text=True)
    if st.returncode != 0:
        failures.append("%s: ctrec stats exited %d: %s" % (name, st.returncode, st.stderr[-300:]))
        continue
    by = json.loads(st.stdout).get("counts", {})
    got = (by.get("Step", 0), by.get("Call", 0), by.get("Event", 0), by.get("Value", 0))
    n += 1
    if verdict != "loads" or got != want:
        failures.append("%s: ctrec reads steps/calls/events/values %s, the Nim reader read %s (%s)"
                        % (name, got, want, verdict))
if failures:
    print("FAIL:\n" + "\n".join(failures))
    sys.exit(1)
print("nim_counts: %d cases, ctrec's counts are the Nim reader's" % n)
