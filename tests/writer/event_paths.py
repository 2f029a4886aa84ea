#!/usr/bin/env python3
"""event_paths.py FAST GENERAL CTREC: runs test_event_paths.c's two builds
(the event fast paths on, and off) and fails unless they say the same:
stdout (every status and message) in every mode; trace.bin byte for byte
(`gen bin`, `fail`), every member of trace.ct but meta.dat (which holds the
recording id) as `ctrec cat` gives it (`gen ct`), and `ctrec print` of
trace.bin (`timed`, whose frames follow the flush thread's timing). Also
checks that the refusals the fast paths leave to the general path are
there, that the recordings are not trivially small, and that `ctrec check`
accepts the complete traces."""
import hashlib
import os
import subprocess
import sys
import tempfile


def run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr


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
            "close: CTREC_OK"],
    "fail": ["CTREC_E_IO: ", "File too large", "CTREC_E_FAILED", "close: CTREC_E_IO"],
    "timed": ["close: CTREC_OK"],
}


def main():
    fast, general, ctrec = sys.argv[1:4]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode in (["gen", "bin"], ["gen", "ct"], ["fail"], ["timed"]):
            name = "-".join(mode)
            outs = []
            for prog in (fast, general):
                d = os.path.join(tmp, "%s-%s" % (name, os.path.basename(prog)))
                rc, out, err = run([prog] + mode + [d])
                if rc != 0:
                    print("%s %s: exit %d\n%s" % (prog, name, rc, err.decode()))
                    return 1
                outs.append((d, out))
            (d1, o1), (d2, o2) = outs
            if o1 != o2:
                print("%s: the statuses differ:\n--- fast\n%s\n--- general\n%s"
                      % (name, o1.decode(), o2.decode()))
                bad += 1
            text = o1.decode()
            extra = {"gen-ct": ["a .ct step's line must be 0..99999"],
                     "gen-bin": ["ctrec_thread_enter and ctrec_thread_leave"]}.get(name, [])
            for want in WANT[mode[0]] + extra:
                if want not in text:
                    print("%s: no %r in the output:\n%s" % (name, want, text[-6000:]))
                    bad += 1
            if mode[0] != "fail":
                for d in (d1, d2):
                    rc, out, err = run([ctrec, "check", d])
                    if rc != 0:
                        print("ctrec check %s: exit %d\n%s%s" % (d, rc, out.decode(), err.decode()))
                        bad += 1
            if name == "gen-ct":
                rc, ls1, _ = run([ctrec, "ls", os.path.join(d1, "trace.ct")])
                rc2, ls2, _ = run([ctrec, "ls", os.path.join(d2, "trace.ct")])
                members = [l.split("\t")[0] for l in ls1.decode().splitlines()]
                if rc or rc2 or ls1 != ls2 or "steps.dat" not in members:
                    print("ctrec ls: %s / %s" % (ls1.decode(), ls2.decode()))
                    bad += 1
                for m in members:
                    if m == "meta.dat":
                        continue
                    _, c1, _ = run([ctrec, "cat", os.path.join(d1, "trace.ct"), m])
                    _, c2, _ = run([ctrec, "cat", os.path.join(d2, "trace.ct"), m])
                    if c1 != c2:
                        print("trace.ct %s: %d and %d bytes, different" % (m, len(c1), len(c2)))
                        bad += 1
            elif name == "timed":
                digests = []
                for d in (d1, d2):
                    rc, out, err = run([ctrec, "print", d])
                    digests.append((rc, len(out), hashlib.sha256(out).hexdigest()))
                if digests[0] != digests[1] or digests[0][0] != 0 or digests[0][1] < 1000000:
                    print("timed: ctrec print (exit, bytes, sha256): %s" % digests)
                    bad += 1
            else:
                b1 = open(os.path.join(d1, "trace.bin"), "rb").read()
                b2 = open(os.path.join(d2, "trace.bin"), "rb").read()
                if b1 != b2 or len(b1) < 4096:
                    print("%s trace.bin: %d and %d bytes, %s" % (name, len(b1), len(b2),
                          "equal" if b1 == b2 else "different"))
                    bad += 1
    print("event paths: %s" % ("identical" if not bad else "%d differences" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
