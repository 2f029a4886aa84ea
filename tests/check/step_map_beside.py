#!/usr/bin/python3
"""step_map_beside.py CTREC WORK

The breakpoint index beside a .ct: the debugger reads <name>.ct.step-map.ns
when the container has no step-map.ns (db-backend ctfs_trace_reader/mod.rs
load_step_map_namespace, sidecar_step_map_path), and so do ctrec's reader
(ctrec_reader_step_map_walk, ctrec_reader_line_steps,
ctrec_reader_step_map_source) and `ctrec check`. A trace of 30 steps on
lines 1-3 of one path, written as trace.json and converted to a .ct (which
has no step-map.ns), then:

* no file beside: nothing said of an index;
* a sound index beside: `ctrec step-map` prints it, check says nothing;
* two ids swapped: ct-step-map-mismatch naming the file, exact message;
* a damaged file: ct-step-map-damaged naming it, exact message;
* a directory of that name: no index;
* the same container with a sound step-map.ns inside and the damaged file
  beside: the member is the index, the file is not read.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ct"))
from step_map_flat import lines_trace, step_map, with_map  # noqa: E402

N = 30
fails = []


def run(args):
    p = subprocess.run(args, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sm_diags(ctrec, path):
    rc, out, _ = run([ctrec, "check", "--json", "--no-files", path])
    ds = [json.loads(x) for x in out.splitlines() if x.strip()]
    return rc, [(d["rule"], d["message"]) for d in ds
                if "rule" in d and d["rule"].startswith("ct-step-map")]


def expect(what, got, want):
    if got != want:
        fails.append(what)
        print("FAIL %s:\n  got:  %r\n  want: %r" % (what, got, want))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    ctrec, work = argv[1:]
    shutil.rmtree(work, ignore_errors=True)
    jd, _ = lines_trace(work, N)
    d = os.path.join(work, "ct")
    rc, _, err = run([ctrec, "convert", "--format", "ct", jd, d])
    if rc:
        print("FAIL convert: " + err)
        return 1
    ct = os.path.join(d, "trace.ct")
    beside = ct + ".step-map.ns"
    sound = {ln: list(range(ln - 1, N, 3)) for ln in (1, 2, 3)}
    swapped = {1: sorted([1] + sound[1][1:]), 2: sorted([0] + sound[2][1:]), 3: sound[3]}

    expect("no index: check", sm_diags(ctrec, d), (0, []))
    rc, _, err = run([ctrec, "step-map", ct])
    expect("no index: step-map", (rc, err),
           (1, "ctrec: trace.ct: no step-map.ns in this container or beside it\n"))

    with open(beside, "wb") as f:
        f.write(step_map(sound))
    expect("sound beside: check", sm_diags(ctrec, d), (0, []))
    rc, out, err = run([ctrec, "step-map", ct])
    expect("sound beside: step-map", (rc, out),
           (0, "".join("0\t%d\t%s\n" % (ln, " ".join(map(str, sound[ln]))) for ln in (1, 2, 3))))

    rc, out, _ = run([ctrec, "stats", "--json", d])
    expect("sound beside: stats", json.loads(out).get("step_map") if rc == 0 else rc,
           {"lines": 3, "step_ids": 30, "source": beside})

    with open(beside, "wb") as f:
        f.write(step_map(swapped))
    expect("swapped beside: check", sm_diags(ctrec, d),
           (0, [("ct-step-map-mismatch",
                 "trace.ct.step-map.ns, the breakpoint index beside the .ct, (3 lines) "
                 "disagrees with steps.dat, and the debugger resolves breakpoints from it: "
                 "2 of its 30 step ids are misplaced (the first: path 0 line 1 lists step 1, "
                 "which steps.dat records at path 0 line 2); 2 steps are listed nowhere (the "
                 "first: step 0 at path 0 line 1)")]))

    with open(beside, "wb") as f:
        f.write(b"not an index at all")
    expect("damaged beside: check", sm_diags(ctrec, d),
           (0, [("ct-step-map-damaged",
                 "the breakpoint index is damaged, so the debugger ignores it and derives "
                 "breakpoints from the steps: trace.ct: trace.ct.step-map.ns: magic 0x20746f6e "
                 "at offset 0, expected 0x53544d50 (\"STMP\")")]))

    os.remove(beside)
    os.makedirs(beside)
    expect("directory beside: check", sm_diags(ctrec, d), (0, []))
    os.rmdir(beside)

    d2 = os.path.join(work, "both")
    os.makedirs(d2)
    for name in ("trace_paths.json", "trace_metadata.json"):
        shutil.copy(os.path.join(d, name), d2)
    with_map(ct, os.path.join(d2, "trace.ct"), sound)
    with open(os.path.join(d2, "trace.ct.step-map.ns"), "wb") as f:
        f.write(b"not an index at all")
    expect("member and file beside: check", sm_diags(ctrec, d2), (0, []))

    print("%d failures" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
