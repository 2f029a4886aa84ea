#!/usr/bin/env python3
"""run_corpus.py -- ctrec-lua over real-world Lua that no one here wrote.

  run_corpus.py --ctrec-lua PATH [--ctrec PATH] [--asan PATH] [--lua PATH]
                [--root DIR] [--suite NAME]... [--values all,none]
                [--timeout SECONDS] [--smoke] [--json OUT] [--keep DIR]

For each case of each suite, and each --values mode: runs the case with
lua5.4 and with `ctrec-lua --values MODE` (binary trace), and compares exit
status, stdout and stderr (after the normalizations of NONDETERMINISM
below, the only ones); runs `ctrec check` on the trace (clean = exit 0);
with --asan, runs the case once more under an AddressSanitizer build of
ctrec-lua (--values all) and fails it on any sanitizer report or other
result. Prints one line per case and mode, then the table: suite, cases,
matches, check-clean, ASan-clean, median and worst slowdown (wall-clock,
ctrec-lua / lua5.4, one run each).

Nothing is skipped silently: a suite whose files are missing is listed as
MISSING with the command that puts it in place (README.md), an excluded
case is listed as EXCLUDED with its reason, and a case that runs out of
time as TIMEOUT. Exit status: 0 when every case that ran matched and was
check-clean (and ASan-clean), 1 otherwise, 77 when nothing could run
(--smoke: the corpus is not in place; ctest counts that as skipped).

The suites are not part of the tree: --root (default $CTREC_LUA_CORPUS or
/work/corpus-lua) holds them, see README.md for how to put them there.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

PORT_INIT = "_port=true _soft=true _nomsg=true"

# Nondeterminism of lua5.4 itself, normalized in both outputs before they
# are compared (and only these):
NONDETERMINISM = [
    # addresses: "table: 0x55d0c0a1b2c0", "function: builtin: 0x..."
    (re.compile(rb"0x[0-9a-fA-F]+"), b"0xADDR"),
    # all.lua: its random seeds (Lua 5.4 seeds math.random from the time and
    # an address), run times and memory use
    (re.compile(rb"random seeds: [0-9, ]+"), b"random seeds: N"),
    (re.compile(rb"time: [-+0-9.e() ]+"), b"time: T"),
    (re.compile(rb"(total|max) memory: [0-9.]+[KMG]?"), rb"\1 memory: M"),
    (re.compile(rb"total time: [0-9.e+-]+s?"), b"total time: T"),
    (re.compile(rb"cpu time: [0-9.e+-]+"), b"cpu time: T"),
    # all.lua: a warning comparing its run time with the previous run's
    (re.compile(rb"time difference from previous test: [-+][0-9.]+%"),
     b"time difference from previous test: P%"),
    # files.lua: the date and time it ran
    (re.compile(rb"test done on [0-9/]+, at [0-9:]+"), b"test done on D, at T"),
    # math.lua: how many random numbers it took to see the whole range
    (re.compile(rb"random range in [0-9]+ calls: \[[^\]]*\]"), b"random range in N calls: R"),
    # sort.lua: timings
    (re.compile(rb" in [0-9.]+ msec"), b" in T msec"),
    (re.compile(rb"with [0-9]+ comparisons"), b"with N comparisons"),
    # constructs.lua: GLOB1 = math.random(0, 1)
    (re.compile(rb"short-circuit optimizations \([01]\)"), b"short-circuit optimizations (R)"),
]

# Nondeterminism of stderr only: tracegc.lua (the Lua test suite) prints a
# dot to stderr at each garbage collection cycle, and how many there are
# differs from run to run of lua5.4 (1798 and 1741 bytes for two runs of
# all.lua).
STDERR_NONDETERMINISM = [(re.compile(rb"\.{2,}"), b"...")]

# Cases whose stdout differs from one lua5.4 run to the next in ways no
# normalization can undo (seen by running lua5.4 three times): only their
# exit status and stderr are compared; they are counted apart ("nondet").
NONDETERMINISTIC = {
    "testconfig.lua": "prints tables in pairs() order, which follows Lua 5.4's per-run "
                      "string hash seed",
    "test-symbols.lua": "prints the terms of a sum in pairs() order (per-run hash seed)",
    "testclone.lua": "prints file modification times and the time of the copy it makes",
}

# Differences that come from recording itself, the same as lua5.4 shows
# with any hook set (not nondeterminism): a case that matches only after
# these is KNOWN, not a match. Keyed by file name.
KNOWN_CSTACK = (
        re.compile(rb"final count: \t2500[0-9][0-9]"),
        b"final count: \tN",
        "how deep a recursion gets before Lua's stack overflows: with a hook set, Lua keeps "
        "LUA_MINSTACK slots free for it, so 5 calls fewer (250038; lua5.4 with any hook set "
        "prints the same)")
KNOWN_DIFFERENCES = {"cstack.lua": KNOWN_CSTACK, "all.lua": KNOWN_CSTACK}  # all.lua runs cstack.lua


def suites(root):
    t = os.path.join(root, "lua-5.4.4-tests")
    pl = os.path.join(root, "penlight-1.13.1")
    excluded_all = {"heavy.lua": "exhausts memory on purpose (all.lua never runs it)"}
    slow = {"errors.lua": "36 s under lua5.4 without _soft (deep recursion); run in lua54-port",
            "constructs.lua": "15 s under lua5.4 without _soft; run in lua54-port"}
    return [
        {"name": "lua54-port", "dir": t, "cwd": t, "glob": "*.lua", "env": {"LUA_INIT": PORT_INIT},
         "exclude": excluded_all,
         "smoke": ["closure.lua", "goto.lua", "vararg.lua", "tpack.lua", "code.lua",
                   "bwcoercion.lua", "events.lua"],
         "fetch": "README.md: Lua 5.4.4 test suite"},
        {"name": "lua54-default", "dir": t, "cwd": t, "glob": "*.lua", "env": {},
         "exclude": dict(excluded_all, **slow, **{
             "all.lua": "runs main.lua (below) and, without _soft, errors.lua and "
                        "constructs.lua: over 300 s under lua5.4, and leaves a looping lua5.4",
             "main.lua": "its Ctrl-C test fails under lua5.4 here (a background lua5.4 "
                         "started by sh ignores SIGINT) and leaves that lua5.4 looping for "
                         "ever; run in lua54-port, which leaves that test out"}),
         "fetch": "README.md: Lua 5.4.4 test suite"},
        {"name": "penlight-tests", "dir": os.path.join(pl, "tests"), "cwd": pl, "glob": "*.lua",
         "prefix": "tests/", "env": {}, "exclude": {}, "needs": "pl",
         "fetch": "README.md: Penlight"},
        {"name": "penlight-examples", "dir": os.path.join(pl, "examples"), "cwd": pl,
         "glob": "*.lua", "prefix": "examples/", "env": {}, "needs": "pl",
         "exclude": {"sipscan.lua": "reads a file named on the command line (none given: "
                                    "loops on stdin)"},
         "fetch": "README.md: Penlight"},
    ]


def normalize(b, stderr=False):
    for rx, rep in NONDETERMINISM + (STDERR_NONDETERMINISM if stderr else []):
        b = rx.sub(rep, b)
    return b


def run(cmd, cwd, env, timeout, exe=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("LUA_INIT")}
    e.update(env)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, executable=exe, cwd=cwd, env=e, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"", time.monotonic() - t0
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def lua_has(lua, module):
    p = subprocess.run([lua, "-e", "require('%s')" % module], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode == 0


def first_diff(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else b"<end>"
        y = lb[i] if i < len(lb) else b"<end>"
        if x != y:
            return "line %d: lua5.4 %r, ctrec-lua %r" % (i + 1, x[:160], y[:160])
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctrec-lua", required=True)
    ap.add_argument("--ctrec")
    ap.add_argument("--asan")
    ap.add_argument("--lua", default=shutil.which("lua5.4") or "/usr/bin/lua5.4")
    ap.add_argument("--root", default=os.environ.get("CTREC_LUA_CORPUS", "/work/corpus-lua"))
    ap.add_argument("--suite", action="append")
    ap.add_argument("--case", action="append", help="only these file names")
    ap.add_argument("--values", default="all,none")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--keep", help="keep the traces under this folder")
    ap.add_argument("--merge", nargs="+", metavar="JSON",
                    help="print the table of earlier --json results instead of running; a "
                         "later file's result for the same suite, case and mode replaces an "
                         "earlier one's")
    a = ap.parse_args()
    if a.merge:
        merged, listed = {}, {}
        for fn in a.merge:
            with open(fn) as fh:
                d = json.load(fh)
            for r in d["results"]:
                merged[(r["suite"], r["case"], r["values"])] = r
            for x in d["listed"]:
                listed[(x["suite"], x.get("case"))] = x
        for r in merged.values():
            if r["status"] not in ("ok", "KNOWN", "NONDET"):
                print("%-7s %s/%s --values %s: %s" % (r["status"], r["suite"], r["case"],
                                                      r["values"], r.get("detail", "")[:300]))
        table(list(merged.values()), a.values.split(","), True, True,
              list(listed.values()))
        return 0
    for k in ("ctrec_lua", "ctrec", "asan", "lua"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))
    modes = a.values.split(",")
    results, listed = [], []
    ran = 0
    for s in suites(a.root):
        if a.suite and s["name"] not in a.suite:
            continue
        if a.smoke and "smoke" not in s:
            continue
        if not os.path.isdir(s["dir"]):
            print("MISSING %s: %s not found (%s)" % (s["name"], s["dir"], s["fetch"]))
            listed.append({"suite": s["name"], "status": "MISSING"})
            continue
        if s.get("needs") and not lua_has(a.lua, s["needs"]):
            print("MISSING %s: lua5.4 cannot require '%s' (README.md: Penlight)"
                  % (s["name"], s["needs"]))
            listed.append({"suite": s["name"], "status": "MISSING"})
            continue
        files = sorted(f for f in os.listdir(s["dir"]) if f.endswith(".lua"))
        if a.smoke:
            files = [f for f in files if f in s["smoke"]]
        if a.case:
            files = [f for f in files if f in a.case]
        for f in files:
            if f in s["exclude"]:
                print("EXCLUDED %s/%s: %s" % (s["name"], f, s["exclude"][f]))
                listed.append({"suite": s["name"], "case": f, "status": "EXCLUDED",
                               "reason": s["exclude"][f]})
                continue
            script = s.get("prefix", "") + f
            ref = run(["lua5.4", script], s["cwd"], s["env"], a.timeout, exe=a.lua)
            for mode in modes:
                ran += 1
                r = {"suite": s["name"], "case": f, "values": mode}
                tmp = tempfile.mkdtemp(prefix="ctrec-corpus-")
                out = os.path.join(tmp, "trace")
                rec = run([a.ctrec_lua, "--values", mode, "-o", out, script], s["cwd"],
                          s["env"], a.timeout)
                r["ref_rc"], r["rc"] = ref[0], rec[0]
                r["ref_s"], r["rec_s"] = ref[3], rec[3]
                if rec[0] is None or ref[0] is None:
                    r["status"] = "TIMEOUT"
                    r["detail"] = "lua5.4 %s, ctrec-lua %s (limit %gs)" % (
                        "timed out" if ref[0] is None else "%.1fs" % ref[3],
                        "timed out" if rec[0] is None else "%.1fs" % rec[3], a.timeout)
                else:
                    diffs = []
                    if rec[0] != ref[0]:
                        diffs.append("exit %s, lua5.4 %s" % (rec[0], ref[0]))
                    if f in NONDETERMINISTIC:
                        r["nondet"] = NONDETERMINISTIC[f]
                    elif normalize(rec[1]) != normalize(ref[1]):
                        diffs.append("stdout " + first_diff(normalize(ref[1]), normalize(rec[1])))
                    if normalize(rec[2], True) != normalize(ref[2], True):
                        diffs.append("stderr " + first_diff(normalize(ref[2], True),
                                                            normalize(rec[2], True)))
                    r["match"] = not diffs
                    kd = KNOWN_DIFFERENCES.get(f)
                    if diffs and kd and rec[0] == ref[0] and \
                            kd[0].sub(kd[1], normalize(rec[1])) == \
                            kd[0].sub(kd[1], normalize(ref[1])) and \
                            normalize(rec[2], True) == normalize(ref[2], True):
                        r["known"] = kd[2]
                        diffs = ["known difference: " + kd[2]]
                    r["slowdown"] = rec[3] / ref[3] if ref[3] > 0 else None
                    r["detail"] = "; ".join(diffs)
                    if a.ctrec:
                        p = subprocess.run([a.ctrec, "check", out], stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT)
                        r["check"] = p.returncode == 0
                        if not r["check"]:
                            r["detail"] += " check: " + p.stdout.decode(errors="replace")[-300:]
                    r["status"] = ("ok" if r["match"] else "KNOWN" if r.get("known") else "FAIL")
                    if r["match"] and r.get("nondet"):
                        r["status"] = "NONDET"
                        r["match"] = False
                        r["detail"] = "stdout not compared: " + r["nondet"]
                    if not r.get("check", True):
                        r["status"] = "FAIL"
                if a.asan and mode == "all" and r["status"] != "TIMEOUT":
                    out2 = os.path.join(tmp, "asan")
                    env = dict(s["env"], ASAN_OPTIONS="detect_leaks=0",
                               UBSAN_OPTIONS="print_stacktrace=1")
                    z = run([a.asan, "--values", "all", "-o", out2, script], s["cwd"], env,
                            a.timeout * 2)
                    bad = z[0] is None or b"Sanitizer" in z[2] or b"runtime error:" in z[2] \
                        or z[0] != rec[0]
                    r["asan"] = not bad
                    if bad:
                        r["status"] = "FAIL"
                        r["detail"] += " asan: %s %s" % (
                            z[0], z[2].decode(errors="replace")[-400:])
                if a.keep:
                    dst = os.path.join(a.keep, s["name"], f + "." + mode)
                    shutil.rmtree(dst, ignore_errors=True)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.move(out, dst)
                shutil.rmtree(tmp, ignore_errors=True)
                print("%-7s %s/%s --values %s: lua5.4 %.2fs, ctrec-lua %.2fs%s%s" % (
                    r["status"], s["name"], f, mode, ref[3], rec[3],
                    "" if r.get("check", True) else " (check not clean)",
                    (": " + r["detail"]) if r.get("detail") else ""), flush=True)
                results.append(r)
    if ran == 0:
        print("nothing ran (see MISSING above)")
        return 77
    print()
    table(results, modes, a.ctrec, a.asan, listed)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"results": results, "listed": listed}, fh, indent=1)
    bad = [r for r in results if r["status"] not in ("ok", "KNOWN", "NONDET")]
    return 1 if bad else 0


def table(results, modes, ctrec, asan, listed):
    print("| suite | values | cases | matches | nondet (exit+stderr match) | known differences "
          "| check-clean | ASan-clean | median slowdown | worst slowdown |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["suite"] for r in results):
        for mode in modes:
            rs = [r for r in results if r["suite"] == name and r["values"] == mode]
            if not rs:
                continue
            sl = [r["slowdown"] for r in rs if r.get("slowdown")]
            worst = max(rs, key=lambda r: r.get("slowdown") or 0)
            print("| %s | %s | %d | %d | %d | %d | %s | %s | %s | %s |" % (
                name, mode, len(rs), sum(1 for r in rs if r.get("match")),
                sum(1 for r in rs if r["status"] == "NONDET"),
                sum(1 for r in rs if r.get("known")),
                "%d" % sum(1 for r in rs if r.get("check")) if ctrec else "-",
                "%d/%d" % (sum(1 for r in rs if r.get("asan")),
                           sum(1 for r in rs if "asan" in r)) if asan and mode == "all" else "-",
                "%.1fx" % statistics.median(sl) if sl else "-",
                "%.1fx (%s)" % (worst["slowdown"], worst["case"]) if sl else "-"))
    ex = [x for x in listed if x["status"] == "EXCLUDED"]
    if ex:
        print("\nexcluded: " + ", ".join("%s/%s" % (x["suite"], x["case"]) for x in ex))
    for x in listed:
        if x["status"] == "MISSING":
            print("MISSING suite: %s" % x["suite"])


if __name__ == "__main__":
    sys.exit(main())
