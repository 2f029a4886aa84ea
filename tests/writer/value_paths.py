#!/usr/bin/env python3
"""value_paths.py FAST GENERAL CTREC: runs test_value_paths.c's two builds
(the value fast paths on, and off) in .ct and trace.bin and fails unless
their stdout (every status and message) and their traces are identical:
trace.bin byte for byte, every member of trace.ct but meta.dat (which
holds the recording id) byte for byte as `ctrec cat` gives it. Also checks
that the recording is not trivially empty and that `ctrec check` accepts
both traces."""
import os
import subprocess
import sys
import tempfile


def run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr


def main():
    fast, general, ctrec = sys.argv[1:4]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("ct", "bin"):
            outs = []
            for prog in (fast, general):
                d = os.path.join(tmp, "%s-%s" % (fmt, os.path.basename(prog)))
                rc, out, err = run([prog, "gen", fmt, d])
                if rc != 0:
                    print("%s gen %s: exit %d\n%s" % (prog, fmt, rc, err.decode()))
                    return 1
                outs.append((d, out))
            (d1, o1), (d2, o2) = outs
            if o1 != o2:
                print("%s: the statuses differ:\n--- fast\n%s\n--- general\n%s"
                      % (fmt, o1.decode(), o2.decode()))
                bad += 1
            # the misuses are refused with their messages, the rest passes
            text = o1.decode()
            for want in ("the struct's type has only 2 fields", "1 field values for a type with 2 fields",
                         "variant already has its value", "reference already has its value",
                         "event already has its value", "type id 9999 is not defined",
                         "has no Struct fields", "NULL text", "close: CTREC_OK"):
                if want not in text:
                    print("%s: no %r in the output:\n%s" % (fmt, want, text))
                    bad += 1
            for d in (d1, d2):
                rc, out, err = run([ctrec, "check", d])
                if rc != 0:
                    print("ctrec check %s: exit %d\n%s%s" % (d, rc, out.decode(), err.decode()))
                    bad += 1
            if fmt == "bin":
                b1 = open(os.path.join(d1, "trace.bin"), "rb").read()
                b2 = open(os.path.join(d2, "trace.bin"), "rb").read()
                if b1 != b2 or len(b1) < 1024:
                    print("trace.bin: %d and %d bytes, %s" % (len(b1), len(b2),
                          "equal" if b1 == b2 else "different"))
                    bad += 1
                continue
            rc, ls1, _ = run([ctrec, "ls", os.path.join(d1, "trace.ct")])
            rc2, ls2, _ = run([ctrec, "ls", os.path.join(d2, "trace.ct")])
            members = [l.split("\t")[0] for l in ls1.decode().splitlines()]
            if rc or rc2 or "values.dat" not in members:
                print("ctrec ls: %s / %s" % (ls1.decode(), ls2.decode()))
                return 1
            for m in members:
                if m == "meta.dat":
                    continue
                _, c1, _ = run([ctrec, "cat", os.path.join(d1, "trace.ct"), m])
                _, c2, _ = run([ctrec, "cat", os.path.join(d2, "trace.ct"), m])
                if c1 != c2:
                    print("trace.ct %s: %d and %d bytes, different" % (m, len(c1), len(c2)))
                    bad += 1
                elif m == "values.dat" and len(c1) < 1024:
                    print("trace.ct values.dat: only %d bytes" % len(c1))
                    bad += 1
    print("value paths: %s" % ("identical" if not bad else "%d differences" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
