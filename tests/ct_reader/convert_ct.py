#!/usr/bin/env python3
"""convert_ct.py CTREC FIXTURES WORK

For every .ct fixture: `ctrec convert F OUT` (trace.json), then `ctrec print
OUT` must give the events of `ctrec print F` less exactly what trace.json
cannot hold (docs/ct.md): step columns, Raise/Catch events, call
exceptions and span records (a Bool's "text" is kept). The note convert prints on stderr
must count each of those, and `ctrec check` must give the converted
folder a verdict (it loads in the latest debugger: exit 0)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

ctrec, fixtures, work = sys.argv[1:4]
failures = []


def run(*args):
    return subprocess.run([ctrec] + list(args), capture_output=True, text=True)


def events(path):
    p = run("print", path)
    if p.returncode != 0:
        failures.append("%s: ctrec print exited %d: %s" % (path, p.returncode, p.stderr))
        return []
    return [json.loads(line) for line in p.stdout.splitlines()]


def expected(evs, n):
    out = []
    for e in evs:
        if "Raise" in e or "Catch" in e:
            n["raise"] += 1
            continue
        if "Span" in e:
            n["spans"] += 1
            continue
        if "Step" in e and "column" in e["Step"]:
            del e["Step"]["column"]
            n["columns"] += 1
        if "Return" in e and "exception" in e["Return"]:
            del e["Return"]["exception"]
            n["exc"] += 1
        out.append(e)
    return out


files = sorted(glob.glob(os.path.join(fixtures, "ctfs", "*.ct")) +
               glob.glob(os.path.join(fixtures, "spec-ctfs", "*.ct")))
if not files:
    print("no .ct fixtures under %s" % fixtures)
    sys.exit(1)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
for f in files:
    name = os.path.basename(f)
    out = os.path.join(work, name[:-3])
    p = run("convert", f, out)
    if p.returncode != 0:
        failures.append("%s: convert exited %d: %s" % (name, p.returncode, p.stderr))
        continue
    n = {"columns": 0, "raise": 0, "exc": 0, "spans": 0}
    want = expected(events(f), n)
    got = events(out)
    if got != want:
        i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        failures.append("%s: converted events differ at %d (of %d / %d): %s vs %s"
                        % (name, i, len(got), len(want),
                           json.dumps(got[i])[:200] if i < len(got) else "-",
                           json.dumps(want[i])[:200] if i < len(want) else "-"))
    m = re.search(r"cannot hold (\d+) step columns, (\d+) Raise/Catch events, (\d+) call "
                  r"exceptions and (\d+) span records", p.stderr)
    said = tuple(int(x) for x in m.groups()) if m else (0, 0, 0, 0)
    left = (n["columns"], n["raise"], n["exc"], n["spans"])
    if said != left:
        failures.append("%s: convert's note says %s left out, print shows %s" % (name, said, left))
    c = run("check", out)
    if c.returncode != 0:
        failures.append("%s: ctrec check of the conversion exited %d: %s"
                        % (name, c.returncode, c.stdout[-400:]))
    print("%s: %d events, left out %s" % (name, len(got), left))
if failures:
    print("FAIL:\n" + "\n".join(failures))
    sys.exit(1)
print("convert_ct: %d fixtures, all passed" % len(files))
