#!/usr/bin/env python3
"""instr_test.py -- bench/lua/instr.py's callgrind reading, and one run.

  instr_test.py INSTR_PY CTREC_LUA LUA54 WORK

1. A callgrind file written here (name compression, a call's inclusive
   cost, relative and repeated positions, an inlined file): the self cost
   of each part, exactly.
2. instr.py over fib.lua 12 (floor hooks, values none) under valgrind:
   the trace's calls (fib(12) makes 465 calls, the main chunk one more)
   and ratios that a recording above its floor gives.
"""
import importlib.util
import os
import re
import subprocess
import sys

instr_py, ctrec_lua, lua54, work = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("instr", instr_py)
instr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(instr)
os.makedirs(work, exist_ok=True)
fails = []


def expect(what, got, want):
    if got != want:
        fails.append("%s: got %r, want %r" % (what, got, want))


# 1. the parser
exe = "/opt/x/bin/ctrec-lua"
cg = """# callgrind format
version: 1
positions: line
events: Ir
summary: 950

ob=(1) /usr/lib/x86_64-linux-gnu/liblua5.4.so.0.0.0
fl=(1) ???
fn=(1) lua_getinfo
0 100
cob=(2) /usr/lib/x86_64-linux-gnu/libc.so.6
cfi=(2) ./string/strchr.S
cfn=(2) strchr
calls=3 0
0 50
+1 20

ob=(2)
fl=(2)
fn=(2)
0 50

ob=(3) %s
fl=(3) /src/tools/ctrec-lua/hooks.c
fn=(3) on_call
12 200
cfl=(4) /src/src/model/writer.c
cfn=(4) ctrec_call
calls=1 0
* 400
fl=(4)
fn=(4)
5 300
fi=(5) /src/src/encode/enc.h
-1 80
fe=(4)
+2 20
7
ob=(4) /usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4
fl=(1)
fn=(5) 0x0000000000031920
0 180

totals: 950
""" % exe
path = os.path.join(work, "cg.synthetic")
with open(path, "w") as f:
    f.write(cg)
got = instr.self_costs(path, exe)
expect("self costs by part", {k: v for k, v in got.items() if v},
       {"lua": 120, "libc": 50, "recorder": 200, "libctrec": 400, "zstd": 180})
# a file whose parts do not add up to its total is refused
with open(path, "w") as f:
    f.write(cg.replace("totals: 950", "totals: 951"))
try:
    instr.self_costs(path, exe)
    fails.append("a total of 951 for parts of 950 was taken")
except SystemExit as e:
    expect("the refusal", "add up to 950, the file's total is 951" in str(e), True)

# 2. one run under valgrind
p = subprocess.run([sys.executable, instr_py, "--ctrec-lua", ctrec_lua, "--lua", lua54,
                    "--modes", "floor hooks,values none", "--out", os.path.join(work, "run"),
                    "fib.lua=12"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
expect("instr.py's status (stderr %r)" % p.stderr, p.returncode, 0)
m = re.search(r"values none / floor hooks = ([0-9.]+) \(recording thread ([0-9.]+);", p.stdout)
if not m:
    fails.append("no ratio line in:\n" + p.stdout)
else:
    expect("values none above floor hooks", float(m.group(1)) > 1.0, True)
m = re.search(r"per call \((\d+) calls\): 1\.5 x floor hooks leaves (\d+); values none spends (\d+)",
              p.stdout)
if not m:
    fails.append("no per-call line in:\n" + p.stdout)
else:
    expect("calls", int(m.group(1)), 466)
    expect("a call's cost is positive", int(m.group(3)) > 0, True)
rows = [l for l in p.stdout.splitlines() if l.startswith("fib.lua 12 ") and
        ("floor hooks  " in l or "values none  " in l)]
expect("one row a mode", len(rows), 2)

if fails:
    print("\n".join(fails))
    sys.exit(1)
print("instr_test: ok")
