#!/usr/bin/env python3
"""instr.py -- ctrec-lua's overhead in instructions (issue 15's floors).

  instr.py [--ctrec-lua PATH] [--lua PATH] [--format bin|ct] [--out DIR]
           [--modes LIST] [PROGRAM[=ARG]...]

run.py measures the overhead targets in wall-clock and CPU time, which on a
shared virtual machine move by 0.1-0.3 from one invocation to the next.
This script runs the same modes once each under valgrind's callgrind
(--separate-threads=yes) and prints what does not move: the instructions
executed, for the recording thread (thread 1, which runs the program, its
hooks and the writer) and for the others (the compressing thread), split by
the object they ran in:

  lua        liblua5.4 (or the lua5.4 executable, which links it in): the
             interpreter, its hook dispatch and the Lua API; in a ctrec-lua
             linked with Debian's liblua5.4.a (the default when installed),
             its functions without a source file (that library has no debug
             information, the build's own code has)
  zstd       libzstd
  ctrec-lua  the recorder and libctrec (linked into it); with debug
             information (the default RelWithDebInfo build) split into
             "recorder" (tools/ctrec-lua/) and "libctrec" (src/)
  libc       libc (memcpy, malloc, strchr, ...)
  other      everything else (the dynamic loader)

Then the targets' ratios by instructions (values none / floor hooks,
values all / floor reads, both threads and the recording thread alone)
and what they mean per event: the instructions per call a 1.5-times
budget leaves (half the hooks floor, over the trace's calls), what the
recording spends per call above the hooks floor, and per recorded value
(values all over values none, and over the reads floor).

Instruction counts say nothing of page faults, system time, cache misses
or two threads sharing a core; run.py measures those. Needs valgrind.
Callgrind runs a program about 50 times slower: the default sizes are
smaller than run.py's (fib.lua 20, nbody.lua 100, sort.lua 300).
"""
import argparse
import functools
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (run.py beside this file: program specs, --stats counts)

DEFAULT_ARGS = {"fib.lua": "20", "nbody.lua": "100", "sort.lua": "300"}
MODES = ["lua5.4", "floor hooks", "floor calls", "floor reads", "floor values",
         "values none", "values all"]
PARTS = ["lua", "zstd", "recorder", "libctrec", "ctrec-lua", "libc", "other"]


@functools.lru_cache(maxsize=None)
def static_lua(exe):
    """Whether the executable has the Lua interpreter linked in (it defines
    lua_newstate): its functions without a source file are then Lua's."""
    try:
        out = subprocess.run(["nm", "--defined-only", exe], capture_output=True, text=True).stdout
    except OSError:
        return False
    return any(line.split()[-1:] == ["lua_newstate"] for line in out.splitlines())


def part_of(obj, src, exe):
    """The part an object file (and, for ctrec-lua, the function's source
    file) belongs to."""
    base = os.path.basename(obj)
    if base.startswith("liblua") or base.startswith("lua"):
        return "lua"  # Debian's lua5.4 has the interpreter linked in
    if base.startswith("libzstd"):
        return "zstd"
    if base.startswith("libc.so") or base.startswith("libm.so"):
        return "libc"
    if os.path.realpath(obj) == exe:
        if "/tools/ctrec-lua/" in src:
            return "recorder"
        if "/src/" in src or src.startswith("src/"):
            return "libctrec"
        if src in ("", "???") and static_lua(exe):
            return "lua"
        return "ctrec-lua"
    return "other"


NAMED = re.compile(r"^\((\d+)\)(?: (.*))?$")


def self_costs(path, exe):
    """Self cost (Ir) by part of one callgrind output file (one thread):
    every cost line but the inclusive one that follows a calls= line."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    kind_of = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl",
               "cfi": "fl", "cfl": "fl", "fn": "fn", "cfn": "fn"}
    cur_ob, cur_fl, fn_part = "", "", "other"
    skip_next = False
    costs = {p: 0 for p in PARTS}
    total = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            c = line[0] if line else ""
            if c.isdigit() or c in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                t = line.split()
                if len(t) > 1:
                    costs[fn_part] += int(t[1])
                continue
            key, eq, val = line.rstrip("\n").partition("=")
            if eq and key in kind_of:
                m = NAMED.match(val)
                table = names[kind_of[key]]
                if m:
                    if m.group(2) is not None:
                        table[m.group(1)] = m.group(2)
                    val = table.get(m.group(1), "")
                if key == "ob":
                    cur_ob = val
                elif key == "fl":
                    cur_fl = val
                elif key == "fn":
                    fn_part = part_of(cur_ob, cur_fl, exe)
                continue
            if eq and key == "calls":
                skip_next = True
                continue
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    if total is not None and total != sum(costs.values()):
        raise SystemExit("instr.py: %s: the parts add up to %d, the file's total is %d"
                         % (path, sum(costs.values()), total))
    return costs


def counted(cmd, work, exe):
    """Runs cmd under callgrind; the self costs by part of thread 1 and of
    the other threads together."""
    for f in glob.glob(os.path.join(work, "cg.*")):
        os.unlink(f)
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                    "--callgrind-out-file=" + os.path.join(work, "cg.out")] + cmd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    files = sorted(glob.glob(os.path.join(work, "cg.out*")))
    if not files:
        raise SystemExit("instr.py: callgrind wrote no output for %s" % " ".join(cmd))
    main = {p: 0 for p in PARTS}
    other = {p: 0 for p in PARTS}
    for f in files:
        # cg.out-01 is thread 1; without threads, cg.out alone
        into = main if f.endswith("-01") or f.endswith("cg.out") else other
        for p, v in self_costs(f, exe).items():
            into[p] += v
    return main, other


def stats_calls(ctrec, trace):
    """The calls of a trace, from `ctrec stats` (0: not said)."""
    out = subprocess.run([ctrec, "stats", trace], stdout=subprocess.PIPE, check=True,
                         text=True).stdout
    for line in out.splitlines():
        t = line.split()
        if len(t) == 2 and t[0] == "calls":
            return int(t[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctrec-lua", default=os.path.join(HERE, "..", "..", "build", "bin", "ctrec-lua"))
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--format", default="bin", choices=["bin", "ct"])
    ap.add_argument("--out", default=None, help="trace and callgrind folder (default: a temporary one)")
    ap.add_argument("--modes", default=",".join(MODES),
                    help="comma-separated subset of: %s" % ", ".join(MODES))
    ap.add_argument("programs", nargs="*", default=sorted(DEFAULT_ARGS),
                    help="program.lua or program.lua=ARG (default ARGs: %s)" % DEFAULT_ARGS)
    a = ap.parse_args()
    if not shutil.which("valgrind"):
        print("instr.py: needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 1
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            ap.error("unknown mode %r" % m)
    exe = os.path.realpath(a.ctrec_lua)
    ctrec = os.path.join(os.path.dirname(exe), "ctrec")
    work = a.out or tempfile.mkdtemp(prefix="ctrec-lua-instr-")
    os.makedirs(work, exist_ok=True)
    rec = [exe]
    cmds = {
        "lua5.4": [a.lua],
        "floor hooks": rec + ["--floor", "hooks"],
        "floor calls": rec + ["--floor", "calls"],
        "floor reads": rec + ["--floor", "reads"],
        "floor values": rec + ["--floor", "values"],
        "values none": rec + ["--format", a.format, "--values", "none", "-o", work + "/none"],
        "values all": rec + ["--format", a.format, "--values", "all", "-o", work + "/all"],
    }
    print("millions of instructions (Ir), recording thread + other threads; format %s" % a.format)
    print("%-14s %-12s %9s %9s %9s %7s  %s" % ("program", "mode", "thread 1", "others", "all",
                                             "x lua", "  ".join("%9s" % p for p in PARTS)))
    for spec in a.programs:
        if "=" not in spec and spec in DEFAULT_ARGS:
            spec += "=" + DEFAULT_ARGS[spec]  # this script's sizes, not run.py's
        name, path, args = run.program(spec)
        got = {}  # mode -> (thread 1's parts, the other threads' parts)

        def both(m):
            """m's parts, both threads"""
            return {q: got[m][0][q] + got[m][1][q] for q in PARTS}

        def all_of(m):
            return sum(both(m).values())

        def t1_of(m):
            return sum(got[m][0].values())

        def by_part(m, floor, n):
            """(m - floor) / n by part, both threads"""
            pm, pf = both(m), both(floor)
            d = {q: (pm[q] - pf[q]) / n for q in PARTS if abs(pm[q] - pf[q]) / n >= 0.5}
            return ", ".join("%s %.0f" % (q, v) for q, v in d.items())

        for m in modes:
            got[m] = counted(cmds[m] + [path] + args, work, exe)
            base = all_of("lua5.4") if "lua5.4" in got else 0
            print("%-14s %-12s %9.1f %9.1f %9.1f %7s  %s"
                  % (name, m, t1_of(m) / 1e6, (all_of(m) - t1_of(m)) / 1e6, all_of(m) / 1e6,
                     "%.2f" % (all_of(m) / base) if base else "-",
                     "  ".join("%9.1f" % (both(m)[p] / 1e6) for p in PARTS)), flush=True)

        calls = 0
        if "values none" in got:
            calls = stats_calls(ctrec, os.path.join(work, "none", "trace." + a.format))
        if "values none" in got and "floor hooks" in got:
            print("%-14s values none / floor hooks = %.2f (recording thread %.2f; target <= 1.5)"
                  % (name, all_of("values none") / all_of("floor hooks"),
                     t1_of("values none") / t1_of("floor hooks")))
            if calls:
                print("%-14s per call (%d calls): 1.5 x floor hooks leaves %.0f; values none "
                      "spends %.0f over floor hooks (recording thread %.0f), %.0f over floor calls"
                      % (name, calls, 0.5 * all_of("floor hooks") / calls,
                         (all_of("values none") - all_of("floor hooks")) / calls,
                         (t1_of("values none") - t1_of("floor hooks")) / calls,
                         (all_of("values none") - all_of("floor calls")) / calls
                         if "floor calls" in got else float("nan")))
                if "floor calls" in got:
                    print("%-14s   a call over floor calls, by part: %s"
                          % (name, by_part("values none", "floor calls", calls)))
        if "values all" in got and "floor reads" in got:
            print("%-14s values all / floor reads = %.2f (recording thread %.2f; target <= 1.5)"
                  % (name, all_of("values all") / all_of("floor reads"),
                     t1_of("values all") / t1_of("floor reads")))
        if "values all" in got:
            nvalues = run.recorded_values(rec, path, args, work)
            parts = []
            if "values none" in got:
                parts.append("values all - values none = %.0f"
                             % ((all_of("values all") - all_of("values none")) / nvalues))
            if "floor reads" in got:
                parts.append("values all - floor reads = %.0f (1.5 x floor reads leaves %.0f)"
                             % ((all_of("values all") - all_of("floor reads")) / nvalues,
                                0.5 * all_of("floor reads") / nvalues))
            print("%-14s per value (%d values): %s" % (name, nvalues, "; ".join(parts)),
                  flush=True)
            if "floor reads" in got:
                print("%-14s   a value over floor reads, by part: %s"
                      % (name, by_part("values all", "floor reads", nvalues)), flush=True)
    if not a.out:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
