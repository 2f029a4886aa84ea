#!/usr/bin/env python3
"""run.py -- overhead benchmark of ctrec-lua (issue 5).

  run.py [--ctrec-lua PATH] [--lua PATH] [--runs N] [--out DIR] [--cpus LIST]
         [--format bin|ct|json] [--compress-thread on|off]
         [PROGRAM[=ARG]...]

For each CPU-bound program (fib.lua, nbody.lua, sort.lua by default, each
sized to run 30-70 ms under plain lua5.4 and 0.1-0.3 s with the hooks) runs
  lua5.4                     plain interpreter
  floor lua                  ctrec-lua --floor lua: no hook, nothing recorded: the Lua
                             library ctrec-lua is linked with (Debian's liblua5.4.a, or
                             liblua5.4.so without it), which is not lua5.4's own build
                             of the VM and can differ in speed
  floor hooks                ctrec-lua --floor hooks: the hooks, nothing recorded
  floor locals               ctrec-lua --floor locals: + lua_getlocal of every local per line
  floor reads                ctrec-lua --floor reads: + a raw read of every element that
                             --values all records at a step (a lower bound of any recorder
                             of those values; writes nothing)
  floor calls                ctrec-lua --floor calls: the hooks + lua_getinfo "S" at each
                             call, which names the called function (--values none's reads)
  floor values               ctrec-lua --floor values: floor reads + the reads of each
                             call's arguments and each return's values (lua_getinfo "Su"
                             and "r", lua_getlocal, the same raw reads): every value that
                             --values all records, read once (--stats counts them)
  values none                ctrec-lua --values none (--format, default bin)
  values all                 ctrec-lua --values all (--format, default bin)
N times each (default 5, interleaved: run 1 of every mode, then run 2, ...,
so that a slow minute of a shared machine hits every mode alike) and prints
per mode the median wall-clock time and the median CPU time (user + system,
both of ctrec-lua's threads: the recorder compresses trace.bin on a second
thread, so on a machine with a spare core the CPU time exceeds the wall
time), then the ratios issue 15 sets targets for (values none / hooks floor
<= 1.5, values all / reads floor <= 1.5) and how far the reads floor alone
is from the locals floor, in wall-clock and in CPU time, with the same
ratios against the calls and values floors (what the targets' floors leave
out: naming each called function, reading arguments and returned values),
the trace sizes,
and the cost per recorded value: one more untimed `--values all --stats`
run counts the Lua values recorded (elements of tables included), and
  ns/value = (values all - values none) / values   (reading + writing them)
  write ns/value = (values all - floor reads) / values   (writing only)
  reads ns/value = (floor values - floor calls) / values (what reading them
                   through Lua's API costs any recorder: ns/value's floor)
from the median wall-clock and CPU times (target: ns/value <= 40).

Before and after, it times plain lua5.4 on each CPU alone ("cpu speed"):
on a shared virtual machine one vCPU can run far slower than another for
minutes at a time, and an unpinned run's time then depends on the vCPU it
landed on. --cpus pins every run (a recording's threads included) to the
CPUs given.
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
DEFAULT_ARGS = {"fib.lua": "30", "nbody.lua": "10000", "sort.lua": "10000"}


PIN = None  # --cpus: the CPUs every run is pinned to (None: not pinned)


def pinned(cpus):
    """A preexec_fn pinning the child to `cpus` (None: no pinning)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def timed(cmd, cpus=None):
    """Wall-clock and CPU time (user + system, all threads) of one run,
    pinned to `cpus` (default: --cpus)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True,
                   preexec_fn=pinned(cpus if cpus is not None else PIN))
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cpu_speeds(lua, cpus):
    """The median wall-clock time of plain lua5.4 running fib.lua 30 on each
    CPU alone (3 runs each, interleaved), and the slowest over the fastest.
    On a shared virtual machine one vCPU can run far slower than the other
    for minutes at a time (seen: 1.7 times, the slow one changing), which
    moves every unpinned wall-clock ratio by where each run landed."""
    t = {c: [] for c in cpus}
    for _ in range(3):
        for c in cpus:
            t[c].append(timed([lua, os.path.join(HERE, "fib.lua"), "30"], {c})[0])
    med = {c: statistics.median(v) for c, v in t.items()}
    return med, max(med.values()) / min(med.values())


def print_speeds(lua, when):
    cpus = sorted(PIN if PIN is not None else os.sched_getaffinity(0))
    med, ratio = cpu_speeds(lua, cpus)
    print("cpu speed %s: lua5.4 fib.lua 30 on %s; slowest / fastest = %.2f%s"
          % (when, ", ".join("cpu %d %.3f s" % (c, med[c]) for c in cpus), ratio,
             "  (the CPUs differ: unpinned ratios depend on where each run landed; "
             "see --cpus)" if ratio > 1.15 else ""), flush=True)


def program(spec):
    """PROGRAM[=ARG] -> (name, path, args): ARG, else DEFAULT_ARGS's."""
    prog, _, arg = spec.partition("=")
    path = os.path.join(HERE, prog)
    args = [arg or DEFAULT_ARGS.get(prog, "")] if (arg or prog in DEFAULT_ARGS) else []
    return prog + (" " + args[0] if args else ""), path, args


def recorded_values(rec, path, args, out):
    """The number of Lua values `--values all` records (one untimed
    `--stats` run, trace.bin into out/stats)."""
    p = subprocess.run(rec + ["--format", "bin", "--values", "all", "--stats", "-o",
                              out + "/stats", path] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return int(p.stderr.decode().rsplit("ctrec-lua: ", 1)[1].split()[0])


def main():
    global PIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctrec-lua", default=os.path.join(HERE, "..", "..", "build", "bin", "ctrec-lua"))
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--format", default="bin", choices=["bin", "ct", "json"],
                    help="trace format of the recording modes (default bin)")
    ap.add_argument("--out", default=None, help="trace folder (default: a temporary one)")
    ap.add_argument("--compress-thread", default=None, choices=["on", "off"],
                    help="passed to ctrec-lua's recording modes (default: the recorder's own)")
    ap.add_argument("--cpus", default=None,
                    help="pin every run to these CPUs (comma-separated, e.g. 0; a recording's "
                         "threads then share them); default: not pinned")
    ap.add_argument("programs", nargs="*", default=sorted(DEFAULT_ARGS),
                    help="program.lua or program.lua=ARG (default ARGs: %s)" % DEFAULT_ARGS)
    a = ap.parse_args()
    if a.cpus is not None:
        PIN = {int(c) for c in a.cpus.split(",")}
    out = a.out or tempfile.mkdtemp(prefix="ctrec-lua-bench-")
    print_speeds(a.lua, "before")
    rec = [a.ctrec_lua]
    fmt = ["--format", a.format]
    if a.compress_thread:
        fmt += ["--compress-thread", a.compress_thread]
    modes = [
        ("lua5.4", [a.lua]),
        ("floor lua", rec + ["--floor", "lua"]),
        ("floor hooks", rec + ["--floor", "hooks"]),
        ("floor locals", rec + ["--floor", "locals"]),
        ("floor reads", rec + ["--floor", "reads"]),
        ("floor calls", rec + ["--floor", "calls"]),
        ("floor values", rec + ["--floor", "values"]),
        ("values none", rec + fmt + ["--values", "none", "-o", out + "/none"]),
        ("values all", rec + fmt + ["--values", "all", "-o", out + "/all"]),
    ]
    print("%-10s %-13s %8s %8s %8s %8s  %s" % ("program", "mode", "wall s", "x lua", "cpu s",
                                              "x lua", "trace (%s)" % a.format))
    for spec in a.programs:
        name_args, path, args = program(spec)
        prog = spec.partition("=")[0]
        times = {name: [] for name, _ in modes}
        for _ in range(a.runs):
            for name, cmd in modes:
                times[name].append(timed(cmd + [path] + args))
        wall = {n: statistics.median(t[0] for t in times[n]) for n in times}
        cpu = {n: statistics.median(t[1] for t in times[n]) for n in times}
        for name, _ in modes:
            size = ""
            if name.startswith("values"):
                f = os.path.join(out, name.split()[1], "trace." + a.format)
                size = "%.1f MB" % (os.path.getsize(f) / 1e6)
            print("%-10s %-13s %8.3f %8.2f %8.3f %8.2f  %s"
                  % (name_args, name, wall[name],
                     wall[name] / wall["lua5.4"], cpu[name], cpu[name] / cpu["lua5.4"], size))
        for label, m in (("wall", wall), ("cpu", cpu)):
            print("%-10s %-4s values none / floor hooks = %5.2f (target <= 1.5)   "
                  "values all / floor reads = %5.2f (target <= 1.5)   "
                  "values all / floor locals = %5.2f   floor reads / floor locals = %5.2f"
                  % (prog, label, m["values none"] / m["floor hooks"],
                     m["values all"] / m["floor reads"], m["values all"] / m["floor locals"],
                     m["floor reads"] / m["floor locals"]),
                  flush=True)
            print("%-10s %-4s values none / floor calls = %5.2f   values all / floor values = %5.2f   "
                  "floor calls / floor hooks = %5.2f   floor values / floor reads = %5.2f"
                  % (prog, label, m["values none"] / m["floor calls"],
                     m["values all"] / m["floor values"], m["floor calls"] / m["floor hooks"],
                     m["floor values"] / m["floor reads"]),
                  flush=True)
            print("%-10s %-4s floor lua / lua5.4 = %5.2f (the VM ctrec-lua runs on, no hook)   "
                  "floor hooks / floor lua = %5.2f"
                  % (prog, label, m["floor lua"] / m["lua5.4"], m["floor hooks"] / m["floor lua"]),
                  flush=True)
        nvalues = recorded_values(rec, path, args, out)
        for label, m in (("wall", wall), ("cpu", cpu)):
            print("%-10s %-4s %d values recorded: ns/value = %.1f (target <= 40), write ns/value = %.1f, "
                  "reads ns/value = %.1f"
                  % (prog, label, nvalues, (m["values all"] - m["values none"]) / nvalues * 1e9,
                     (m["values all"] - m["floor reads"]) / nvalues * 1e9,
                     (m["floor values"] - m["floor calls"]) / nvalues * 1e9), flush=True)
    print_speeds(a.lua, "after")
    if not a.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
