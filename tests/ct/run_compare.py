#!/usr/bin/python3
"""run_compare.py CTREC TRACE.ct WORKDIR [LAYOUT]

One CTest case: decode TRACE.ct with ct_decode.py (A), read it with
`CTREC print` and `CTREC stats --json` and summarize that with
ctrec_summary.py (B), then compare.py A B.  The summaries and ctrec's
output are left in WORKDIR for a look after a failure.  Exit 0 when they
agree; 1 (with the first differences, or ctrec's error) when not.
LAYOUT (multi-stream or events-log) picks the layout read in a container
that has both: by ct_decode.py, and by ctrec (`--layout streams` or
`--layout events-log`).
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import compare          # noqa: E402
import ct_decode        # noqa: E402
import ctrec_summary    # noqa: E402
from ct_normalize import summary_to_json  # noqa: E402


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    ctrec, trace, work = argv[1:4]
    layout = argv[4] if len(argv) == 5 else None
    os.makedirs(work, exist_ok=True)
    base = os.path.join(work, os.path.basename(trace))

    a = ct_decode.decode(trace, layout)
    with open(base + ".decoded.json", "w", encoding="utf-8") as f:
        f.write(summary_to_json(a))

    opt = [] if layout is None else ["--layout", "streams" if layout == "multi-stream" else layout]
    p = subprocess.run([ctrec, "print"] + opt + [trace], capture_output=True)
    with open(base + ".print.jsonl", "wb") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        print("FAIL: `ctrec print %s` exited %d: %s" % (
            trace, p.returncode, p.stderr.decode("utf-8", "replace").strip()))
        return 1
    q = subprocess.run([ctrec, "stats", "--json"] + opt + [trace], capture_output=True)
    if q.returncode != 0:
        print("FAIL: `ctrec stats --json %s` exited %d: %s" % (
            trace, q.returncode, q.stderr.decode("utf-8", "replace").strip()))
        return 1
    stats = json.loads(q.stdout)
    b = ctrec_summary.build(p.stdout.decode("utf-8").splitlines(), stats)
    with open(base + ".ctrec.json", "w", encoding="utf-8") as f:
        f.write(summary_to_json(b))

    print("A = ct_decode.py %s\nB = ctrec print + stats --json" % trace)
    d = compare.compare(a, b, 25)
    for n in d.notes:
        print("note: " + n)
    if d.count:
        print("FAIL: %d difference(s); summaries in %s.{decoded,ctrec}.json" % (d.count, base))
        return 1
    print("agree: %d steps, %d calls, %d events" % (
        len(a["steps"]), len(a["calls"]), len(a["events"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
