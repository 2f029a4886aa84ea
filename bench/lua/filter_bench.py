#!/usr/bin/env python3
"""filter_bench.py -- what a trace filter that skips a hot module costs (issue 15).

  filter_bench.py [--ctrec-lua PATH] [--lua PATH] [--runs N] [--unfiltered] [CASE...]

filter/main.lua calls a kernel module (filter/kernel.lua) that does about
90 % of plain lua5.4's time, then runs a recorded report loop of string
work (the other 10 %). For each case it runs, interleaved run by run (so a
slow moment of a shared machine hits every mode alike), N times (default 5):
  lua5.4                 plain interpreter
  kernel only            plain, the report loop left out (ROWS = 0): the kernel's share
  kernel, no hook        ctrec-lua --floor lua with ROWS = 0: the kernel on the Lua library
                         ctrec-lua is linked with (Debian's liblua5.4.a, or liblua5.4.so
                         without it), no hook: lua5.4 is its own build of the VM, and
                         the two can differ in speed
  filtered               ctrec-lua --trace-filter filter/skip-kernel.toml (the kernel
                         skipped: exec = "skip"), --values all, trace.bin
  kernel filtered        the same with ROWS = 0: what the skipped kernel costs alone
  unfiltered             (with --unfiltered) ctrec-lua without the filter: the kernel recorded
and prints the median wall-clock and CPU time (user + system, all threads)
of each and their ratios to lua5.4 (issue 15's target: filtered at most
1.5). On a loaded machine the wall-clock times wait for a core; the CPU
times say what the work costs.

Cases: mandelbrot (the kernel loops without calls: skipped, it runs with
no hook call at all but one call and one return) and spectral (the kernel
calls a small function in its inner loop: each call still reaches the call
and return hooks, which find the function skipped and record nothing).
"""
import argparse
import os
import statistics
import tempfile

from run import timed  # bench/lua/run.py: wall and CPU time of one run

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {"mandelbrot": ("500", "6000"), "spectral": ("1200", "9000")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctrec-lua", default=os.path.join(HERE, "..", "..", "build", "bin", "ctrec-lua"))
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--unfiltered", action="store_true")
    ap.add_argument("cases", nargs="*", default=sorted(CASES))
    a = ap.parse_args()
    out = tempfile.mkdtemp(prefix="ctrec-lua-filter-bench-")
    main_lua = os.path.join(HERE, "filter", "main.lua")
    flt = os.path.join(HERE, "filter", "skip-kernel.toml")
    print("%-11s %-16s %8s %8s %8s %8s" % ("case", "mode", "wall s", "x lua", "cpu s", "x lua"))
    for case in a.cases:
        size, rows = CASES[case]
        modes = [
            ("lua5.4", [a.lua, main_lua, case, size, rows]),
            ("kernel only", [a.lua, main_lua, case, size, "0"]),
            ("kernel, no hook", [a.ctrec_lua, "--floor", "lua", main_lua, case, size, "0"]),
            ("filtered", [a.ctrec_lua, "--trace-filter", flt, "-o", out + "/f", main_lua, case, size, rows]),
            ("kernel filtered", [a.ctrec_lua, "--trace-filter", flt, "-o", out + "/k", main_lua, case, size, "0"]),
        ]
        if a.unfiltered:
            modes.append(("unfiltered", [a.ctrec_lua, "-o", out + "/u", main_lua, case, size, rows]))
        times = {name: [] for name, _ in modes}
        for _ in range(a.runs):
            for name, cmd in modes:
                times[name].append(timed(cmd))
        med = {n: statistics.median(w for w, _ in t) for n, t in times.items()}
        cpu = {n: statistics.median(c for _, c in t) for n, t in times.items()}
        for name, _ in modes:
            print("%-11s %-16s %8.3f %8.2f %8.3f %8.2f" % (case, name, med[name], med[name] / med["lua5.4"],
                                                       cpu[name], cpu[name] / cpu["lua5.4"]))
        print("%-11s kernel share of plain time: %.0f %% (cpu %.0f %%); filtered / lua5.4 = %.2f wall, "
              "%.2f cpu (target <= 1.5)"
              % (case, 100 * med["kernel only"] / med["lua5.4"], 100 * cpu["kernel only"] / cpu["lua5.4"],
                 med["filtered"] / med["lua5.4"], cpu["filtered"] / cpu["lua5.4"]))
        print("%-11s kernel filtered / kernel, no hook = %.2f wall, %.2f cpu (what skipping costs); "
              "kernel, no hook / kernel only = %.2f wall, %.2f cpu (the VM's build)"
              % (case, med["kernel filtered"] / med["kernel, no hook"],
                 cpu["kernel filtered"] / cpu["kernel, no hook"],
                 med["kernel, no hook"] / med["kernel only"], cpu["kernel, no hook"] / cpu["kernel only"]))


if __name__ == "__main__":
    main()
