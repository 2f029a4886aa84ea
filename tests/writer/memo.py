#!/usr/bin/env python3
"""memo.py PROG CTREC: runs test_memo.c in its two modes (every value
written with the value functions, and some written again from value
memos) in .ct and trace.bin, and fails unless both exit 0 (the memo mode
checks the statuses of its misuses itself) and their traces are
identical: trace.bin byte for byte, every member of trace.ct but meta.dat
(which holds the recording id) byte for byte as `ctrec cat` gives it; and
`ctrec check` accepts both."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paths_common import check_clean, run, same_bin, same_ct_members  # noqa: E402


def main():
    prog, ctrec = sys.argv[1:3]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("ct", "bin"):
            dirs = []
            for mode in ("plain", "memo"):
                d = os.path.join(tmp, "%s-%s" % (fmt, mode))
                rc, out, err = run([prog, mode, fmt, d])
                if rc != 0:
                    print("%s %s %s: exit %d\n%s%s" % (prog, mode, fmt, rc, out.decode(), err.decode()))
                    return 1
                dirs.append(d)
            bad += check_clean(ctrec, dirs)
            if fmt == "bin":
                bad += same_bin(fmt, dirs[0], dirs[1], 1024)
            else:
                bad += same_ct_members(ctrec, dirs[0], dirs[1], "values.dat", 1024)
    print("memos: %s" % ("identical traces" if not bad else "%d differences" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
