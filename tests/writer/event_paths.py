#!/usr/bin/env python3
"""event_paths.py FAST GENERAL CTREC: runs test_event_paths.c's two builds
(the event fast paths on, and off) and fails unless they say the same:
stdout (every status and message) in every mode; trace.bin byte for byte
(`gen bin`, `fail`), every member of trace.ct but meta.dat (which holds the
recording id) as `ctrec cat` gives it (`gen ct`), and `ctrec print` of
trace.bin and of trace.ct (`timed`, `timed-ct`: their frames follow the
flush thread's timing). Also checks that the refusals the fast paths leave
to the general path are there, that the recordings are not trivially
small, and that `ctrec check`
accepts the complete traces."""
import hashlib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paths_common import (check_clean, run, run_both, same_bin, same_ct_members,  # noqa: E402
                          same_statuses)


WANT = {
    "gen": ["path id 301 is not defined (301 defined)", "path id 1099511627776 is not defined",
            "ctrec_step: line -1 is negative", "function id 25 is not defined (25 defined)",
            "type id 301 is not defined (301 defined)",
            "ctrec_step while an event is open (missing ctrec_end)",
            "ctrec_call while an event is open (missing ctrec_end)",
            "ctrec_return_none while an event is open (missing ctrec_end)",
            "ctrec_end without an open event", "ctrec_return_none: a Return with no open call",
            "NULL: CTREC_E_ARG CTREC_E_ARG CTREC_E_ARG CTREC_E_ARG CTREC_E_ARG",
            "variable id 300 is not defined (300 defined)", "the event has no value",
            "ctrec_end while a sequence value is still open", "more than max_event_bytes (600",
            "ctrec_begin_value while an event is open",
            "ctrec_begin_return: a Return with no open call",
            "ctrec_arg outside ctrec_begin_call", "argument 0 has no value",
            "in a call without ctrec_arg first", "ctrec_arg while a sequence value is open",
            "ctrec_begin_return while an event is open", "ctrec_step while an event is open",
            "close: CTREC_OK"],
    "fail": ["CTREC_E_IO: ", "File too large", "CTREC_E_FAILED", "close: CTREC_E_IO"],
    "timed": ["close: CTREC_OK"],
    "timed-ct": ["close: CTREC_OK"],
}


def main():
    fast, general, ctrec = sys.argv[1:4]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode in (["gen", "bin"], ["gen", "ct"], ["fail"], ["timed"], ["timed-ct"]):
            name = "-".join(mode)
            outs = run_both(fast, general, mode, tmp, name)
            if outs is None:
                return 1
            (d1, o1), (d2, o2) = outs
            extra = {"gen-ct": ["a .ct step's line must be 0..99999"],
                     "gen-bin": ["ctrec_thread_enter and ctrec_thread_leave"]}.get(name, [])
            bad += same_statuses(name, o1, o2, WANT[mode[0]] + extra)
            if mode[0] != "fail":
                bad += check_clean(ctrec, (d1, d2))
            if name == "gen-ct":
                bad += same_ct_members(ctrec, d1, d2, "steps.dat")
            elif name in ("timed", "timed-ct"):
                digests = []
                for d in (d1, d2):
                    rc, out, err = run([ctrec, "print", d])
                    digests.append((rc, len(out), hashlib.sha256(out).hexdigest()))
                if digests[0] != digests[1] or digests[0][0] != 0 or digests[0][1] < 1000000:
                    print("%s: ctrec print (exit, bytes, sha256): %s" % (name, digests))
                    bad += 1
            else:
                bad += same_bin(name, d1, d2, 4096)
    print("event paths: %s" % ("identical" if not bad else "%d differences" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
