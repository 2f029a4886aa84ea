"""What value_paths.py and event_paths.py share: each runs one test
program built twice (a writer's fast paths on, and off: the general
paths), in the same mode, and compares what the two builds said and
wrote."""
import os
import subprocess


def run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr


def run_both(fast, general, mode, tmp, name):
    """Runs `PROG *mode DIR` with both builds, each into its own folder
    under tmp. Returns [(dir, stdout), (dir, stdout)] (fast, general), or
    None after printing why when one exits non-zero."""
    outs = []
    for prog in (fast, general):
        d = os.path.join(tmp, "%s-%s" % (name, os.path.basename(prog)))
        rc, out, err = run([prog] + list(mode) + [d])
        if rc != 0:
            print("%s %s: exit %d\n%s" % (prog, name, rc, err.decode()))
            return None
        outs.append((d, out))
    return outs


def same_statuses(name, o1, o2, wants, tail=6000):
    """The number of differences: the two builds' stdout (every status and
    message) must be equal and hold every text in wants (the output's
    last `tail` characters printed when one is missing; None: all)."""
    bad = 0
    if o1 != o2:
        print("%s: the statuses differ:\n--- fast\n%s\n--- general\n%s"
              % (name, o1.decode(), o2.decode()))
        bad += 1
    text = o1.decode()
    for want in wants:
        if want not in text:
            print("%s: no %r in the output:\n%s" % (name, want, text if tail is None else text[-tail:]))
            bad += 1
    return bad


def check_clean(ctrec, dirs):
    """The number of folders `ctrec check` does not accept."""
    bad = 0
    for d in dirs:
        rc, out, err = run([ctrec, "check", d])
        if rc != 0:
            print("ctrec check %s: exit %d\n%s%s" % (d, rc, out.decode(), err.decode()))
            bad += 1
    return bad


def same_bin(name, d1, d2, min_len):
    """The number of differences: the two trace.bin files equal byte for
    byte, and not trivially small."""
    b1 = open(os.path.join(d1, "trace.bin"), "rb").read()
    b2 = open(os.path.join(d2, "trace.bin"), "rb").read()
    if b1 != b2 or len(b1) < min_len:
        print("%s trace.bin: %d and %d bytes, %s" % (name, len(b1), len(b2),
              "equal" if b1 == b2 else "different"))
        return 1
    return 0


def same_ct_members(ctrec, d1, d2, must_have, min_len=0):
    """The number of differences: the two trace.ct files list the same
    members (must_have among them) and every member but meta.dat (which
    holds the recording id) is the same, byte for byte as `ctrec cat` gives
    it; must_have holds at least min_len bytes."""
    bad = 0
    rc, ls1, _ = run([ctrec, "ls", os.path.join(d1, "trace.ct")])
    rc2, ls2, _ = run([ctrec, "ls", os.path.join(d2, "trace.ct")])
    members = [line.split("\t")[0] for line in ls1.decode().splitlines()]
    if rc or rc2 or ls1 != ls2 or must_have not in members:
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
        elif m == must_have and len(c1) < min_len:
            print("trace.ct %s: only %d bytes" % (m, len(c1)))
            bad += 1
    return bad
