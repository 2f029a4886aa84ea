#!/usr/bin/env python3
"""value_paths.py FAST GENERAL CTREC: runs test_value_paths.c's two builds
(the value fast paths on, and off) in .ct and trace.bin and fails unless
their stdout (every status and message) and their traces are identical:
trace.bin byte for byte, every member of trace.ct but meta.dat (which
holds the recording id) byte for byte as `ctrec cat` gives it. Also checks
that the recording is not trivially empty and that `ctrec check` accepts
both traces."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paths_common import check_clean, run_both, same_bin, same_ct_members, same_statuses  # noqa: E402

# the misuses are refused with their messages, the rest passes
WANT = ["the struct's type has only 2 fields", "1 field values for a type with 2 fields",
        "variant already has its value", "reference already has its value",
        "event already has its value", "type id 9999 is not defined",
        "has no Struct fields", "NULL text", "close: CTREC_OK"]


def main():
    fast, general, ctrec = sys.argv[1:4]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("ct", "bin"):
            outs = run_both(fast, general, ["gen", fmt], tmp, fmt)
            if outs is None:
                return 1
            (d1, o1), (d2, o2) = outs
            bad += same_statuses(fmt, o1, o2, WANT, tail=None)
            bad += check_clean(ctrec, (d1, d2))
            if fmt == "bin":
                bad += same_bin(fmt, d1, d2, 1024)
            else:
                bad += same_ct_members(ctrec, d1, d2, "values.dat", 1024)
    print("value paths: %s" % ("identical" if not bad else "%d differences" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
