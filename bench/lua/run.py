#!/usr/bin/env python3
"""run.py -- overhead benchmark of ctrec-lua (issue 5).

  run.py [--ctrec-lua PATH] [--lua PATH] [--runs N] [--out DIR] [PROGRAM...]

For each CPU-bound program (fib.lua, nbody.lua, sort.lua by default) runs
  lua5.4                     plain interpreter
  floor hooks                ctrec-lua --floor hooks: the hooks, nothing recorded
  floor locals               ctrec-lua --floor locals: + lua_getlocal of every local per line
  values none                ctrec-lua --values none (binary format)
  values all                 ctrec-lua --values all (binary format)
N times each (default 5) and prints the median CPU times (user + system, which
a busy machine disturbs less than wall-clock time; the median wall-clock time
is shown too), the ratios
the issue sets targets for (values none / hooks floor <= 1.5, values all /
locals floor <= 2) and the trace sizes.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ARGS = {"fib.lua": ["27"], "nbody.lua": ["1000"], "sort.lua": ["2000"]}


def timed(cmd):
    """CPU time (user + system, all threads) of one run: the machine may be
    shared, and wall-clock time then measures the other processes too."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctrec-lua", default=os.path.join(HERE, "..", "..", "build", "bin", "ctrec-lua"))
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=None, help="trace folder (default: a temporary one)")
    ap.add_argument("programs", nargs="*", default=["fib.lua", "nbody.lua", "sort.lua"])
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="ctrec-lua-bench-")
    rec = [a.ctrec_lua]
    modes = [
        ("lua5.4", [a.lua]),
        ("floor hooks", rec + ["--floor", "hooks"]),
        ("floor locals", rec + ["--floor", "locals"]),
        ("values none", rec + ["--format", "bin", "--values", "none", "-o", out]),
        ("values all", rec + ["--format", "bin", "--values", "all", "-o", out]),
    ]
    print("%-10s %-13s %9s %9s %9s  %s" % ("program", "mode", "cpu s", "x lua5.4", "wall s",
                                         "trace.bin"))
    rows = {}
    for prog in a.programs:
        path = os.path.join(HERE, prog)
        args = DEFAULT_ARGS.get(prog, [])
        for name, cmd in modes:
            times = [timed(cmd + [path] + args) for _ in range(a.runs)]
            med = statistics.median(t[0] for t in times)
            wall = statistics.median(t[1] for t in times)
            rows[(prog, name)] = med
            size = ""
            if name.startswith("values"):
                size = "%.1f MB" % (os.path.getsize(os.path.join(out, "trace.bin")) / 1e6)
            print("%-10s %-13s %9.3f %9.2f %9.3f  %s"
                  % (prog, name, med, med / rows[(prog, "lua5.4")], wall, size), flush=True)
        none_ratio = rows[(prog, "values none")] / rows[(prog, "floor hooks")]
        all_ratio = rows[(prog, "values all")] / rows[(prog, "floor locals")]
        print("%-10s values none / floor hooks = %.2f (target <= 1.5)   "
              "values all / floor locals = %.2f (target <= 2)" % (prog, none_ratio, all_ratio))
    if not a.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
