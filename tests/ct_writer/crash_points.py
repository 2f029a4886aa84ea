#!/usr/bin/env python3
"""A .ct recording killed at every point between two writes of its container.

    crash_points.py CT_PUBLISH_REC KILL_AT_WRITE_SO CTREC WORKDIR

ct_publish_rec (see its header) records deterministically on one thread,
publishing every few iterations; kill_at_write.so (LD_PRELOAD) kills it
with SIGKILL just before its Nth pwrite(). A first run counts the writes
and gives the complete trace. Then, for every N over the stretch of the
recording where values.dat outgrows its level-1 mapping block, every 17th
over the stretch where its provisional chunk is reserved in the next
level-2 leaf ahead of the tail (both found by bisection), and for about 30
N spread over the rest,
the killed trace must (or, killed before the writer's first publication,
be an empty container):
  - read with ctrec print without an error (every member exactly as one
    publication left it: no chunk from a later one, no torn frame);
  - give steps, values and I/O events that are a prefix of the complete
    trace's, holding at least the steps of the last publication the
    recorder reported ("F <steps>") before it was killed;
and for every 5th of those, ctrec repair must complete it and ctrec check
pass. Before copy-on-write publication, kills between two members' rewrites
of their provisional chunks gave a steps.dat one publication ahead of
values.dat ("no record for step ..."), or a truncated chunk frame.
"""
import os
import shutil
import subprocess
import sys

ITER, EVERY = 10500, 37
LEAF = 511 * 4096  # the bytes one mapping block's data entries cover


def kept(lines):
    """The Step, Value and Event lines of ctrec print (calls and returns of a
    killed .ct come from its scratch file only after ctrec repair)."""
    return [l for l in lines if l.startswith((b'{"Step"', b'{"Value"', b'{"Event"'))]


def main():
    rec, shim, ctrec, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    full = os.path.join(work, "full")
    count = os.path.join(work, "count")
    env = dict(os.environ, LD_PRELOAD=shim, CTREC_WRITE_COUNT=count)
    r = subprocess.run([rec, full, str(ITER), str(EVERY)], env=env, capture_output=True)
    if r.returncode != 0:
        print("the complete recording failed: %d %s" % (r.returncode, r.stderr.decode()))
        return 1
    total = int(open(count).read())
    p = subprocess.run([ctrec, "print", full], capture_output=True)
    ref = kept(p.stdout.splitlines())
    env = dict(os.environ, LD_PRELOAD=shim)

    def values_size(n):
        """values.dat's published size after a kill before write n."""
        d = os.path.join(work, "probe")
        shutil.rmtree(d, ignore_errors=True)
        env["CTREC_KILL_AT_WRITE"] = str(n)
        subprocess.run([rec, d, str(ITER), str(EVERY)], env=env, capture_output=True)
        ls = subprocess.run([ctrec, "ls", os.path.join(d, "trace.ct")], capture_output=True,
                            text=True)
        sizes = [int(l.split()[1]) for l in ls.stdout.splitlines() if l.startswith("values.dat")]
        return sizes[0] if sizes else 0

    def crossing(size):
        """The first kill point at which values.dat is published past size."""
        lo, hi = 1, total
        while lo < hi:
            n = (lo + hi) // 2
            if values_size(n) > size:
                hi = n
            else:
                lo = n + 1
        return lo

    if values_size(total) <= 2 * LEAF + 600000:
        print("values.dat does not grow well past %d bytes: make ITER larger" % (2 * LEAF))
        return 1
    # A: values.dat's level-1 block is full, its level-2 chain starts;
    # B: its provisional chunk reaches past its first level-2 leaf (blocks
    # reserved ahead of the tail in the next leaf), until the tail follows
    # (the leaf behind stays in memory, as the publications relocate the
    # blocks it maps)
    a, b = crossing(LEAF), crossing(2 * LEAF)
    dense = set(range(max(1, a - 120), min(total, a + 40)))
    dense |= set(range(max(1, b - 100), min(total, b + 1500), 17))
    points = sorted(dense | set(range(1, total + 1, max(1, total // 30))))
    failures = 0
    repaired = 0
    for k, n in enumerate(points):
        d = os.path.join(work, "kill-%d" % n)
        env["CTREC_KILL_AT_WRITE"] = str(n)
        r = subprocess.run([rec, d, str(ITER), str(EVERY)], env=env, capture_output=True)
        problems = []
        if r.returncode != -9:
            problems.append("the recorder was not killed (exit %d)" % r.returncode)
        need = max([int(l.split()[1]) for l in r.stdout.splitlines() if l.startswith(b"F ")],
                   default=0)
        empty = b"the container has no steps.dat"
        if not os.path.exists(os.path.join(d, "trace.ct")):
            if need:
                problems.append("no trace.ct after %d published steps" % need)
        elif not need and empty in subprocess.run([ctrec, "print", d], capture_output=True).stderr:
            pass  # killed before the writer's first publication: an empty container
        else:
            p = subprocess.run([ctrec, "print", d], capture_output=True)
            got = kept(p.stdout.splitlines())
            steps = sum(1 for l in got if l.startswith(b'{"Step"'))
            if p.returncode != 0:
                problems.append("ctrec print: exit %d: %s" % (p.returncode, p.stderr.decode().strip()))
            if got != ref[:len(got)]:
                at = next(i for i, (a, b) in enumerate(zip(got, ref)) if a != b) if any(
                    a != b for a, b in zip(got, ref)) else len(ref)
                problems.append("not a prefix of the complete trace at line %d: %r" % (
                    at, got[at] if at < len(got) else b"(past its end)"))
            if steps < need:
                problems.append("%d steps read, %d were published" % (steps, need))
            if not problems and steps and k % 5 == 0:
                repaired += 1
                rp = subprocess.run([ctrec, "repair", d], capture_output=True, text=True)
                c = subprocess.run([ctrec, "check", d], capture_output=True, text=True)
                if rp.returncode != 0 or c.returncode != 0:
                    problems.append("repair exit %d (%s), then check exit %d (%s)" % (
                        rp.returncode, rp.stderr.strip(), c.returncode, c.stdout.strip()[-300:]))
        if problems:
            failures += 1
            print("kill before write %d of %d: FAILED" % (n, total))
            for pr in problems:
                print("    " + pr)
        else:
            shutil.rmtree(d, ignore_errors=True)
    print("%d kill points of %d writes (%d around values.dat's mapping crossings at writes "
          "%d and %d), %d repaired: %s" % (len(points), total, len(dense), a, b, repaired,
                               "%d FAILED" % failures if failures else "every one consistent"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
