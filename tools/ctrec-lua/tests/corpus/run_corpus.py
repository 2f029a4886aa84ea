#!/usr/bin/env python3
"""run_corpus.py -- ctrec-lua over real-world Lua that no one here wrote.

  run_corpus.py --ctrec-lua PATH [--ctrec PATH] [--asan PATH] [--lua PATH]
                [--root DIR] [--suite NAME]... [--case NAME]...
                [--format ct,bin] [--values all,none] [--asan-mode ct:all]
                [--timeout SECONDS] [--jobs N] [--smoke] [--json OUT]
                [--keep DIR] [--markdown OUT]
  run_corpus.py --merge JSON... [--markdown OUT]
  run_corpus.py --fetch-commands [--root DIR]

For each case of each suite: runs it once with lua5.4, then, for each
--format and each --values mode, with `ctrec-lua --format F --values V`,
and compares exit status, stdout and stderr (after the normalizations of
NONDETERMINISM below, the only ones); runs `ctrec check` on each trace
(clean = exit 0); with --asan, runs the case once more in the --asan-mode
(default ct:all) under an AddressSanitizer + UBSan build of ctrec-lua and
fails it on any sanitizer report or a result other than the plain build's
(an ASan run over its limit with no report is listed apart, not counted).
Prints one line per case and mode, then the table per suite, format and
values mode: cases, matches, check-clean, ASan-clean, median and worst
slowdown. The slowdown is CPU time (user + system of the process and the
children it waited for, from wait4) of ctrec-lua over lua5.4's, one run
each, for the cases where lua5.4 needs at least MIN_CPU (20 ms); the
median's column says over how many cases.

Nothing is skipped silently: a suite whose files are not in place is
printed as "absent: <the command that puts it there>" (--fetch-commands
prints them all as one shell script), an excluded case as EXCLUDED with
its reason, a case over --timeout as TIMEOUT. Exit status: 0 when every
case that ran matched (or differs only as KNOWN/NONDET below) and was
check-clean (and ASan-clean), 1 otherwise, 77 when nothing could run
(--smoke: the corpus is not in place; ctest counts that as skipped).

The suites are not part of the tree: --root (default $CTREC_LUA_CORPUS or
/work/corpus-lua) holds them; README.md says what each is.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
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
    # (time.txt in its folder, left by whichever ran it last: lua5.4,
    # ctrec-lua, or nothing in a corpus just put in place, when no warning
    # comes), removed with the newline Lua's warning ends with (so that
    # the tracegc dots printed before and after it stay one run, as
    # STDERR_NONDETERMINISM expects; the end of a line printed with it in
    # stdout stays): all.lua's only difference, lua5.4 run first in a fresh
    # corpus (seen twice: the percentage, then a lone dot after the line)
    (re.compile(rb"(Lua warning: )?#?time difference from previous test: [-+][0-9.]+%\n?"),
     b""),
    # files.lua: the date and time it ran
    (re.compile(rb"test done on [0-9/]+, at [0-9:]+"), b"test done on D, at T"),
    # math.lua: how many random numbers it took to see the whole range
    (re.compile(rb"random range in [0-9]+ calls: \[[^\]]*\]"), b"random range in N calls: R"),
    # sort.lua: timings
    (re.compile(rb" in [0-9.]+ msec"), b" in T msec"),
    (re.compile(rb"with [0-9]+ comparisons"), b"with N comparisons"),
    # constructs.lua: GLOB1 = math.random(0, 1)
    (re.compile(rb"short-circuit optimizations \([01]\)"), b"short-circuit optimizations (R)"),
    # are-we-fast-yet's harness: the run time of each iteration and in total
    (re.compile(rb"(runtime|average|total|Total Runtime): [0-9]+us"), rb"\1: Tus"),
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

# Differences that come from recording itself (not nondeterminism): a case
# that matches only after these is KNOWN, not a match. Keyed by file name;
# "stdout"/"stderr": (pattern, replacement) applied to both outputs before
# they are compared again; "formats": the trace formats it applies to.
KNOWN_CSTACK = {
    "stdout": (re.compile(rb"final count: \t2500[0-9][0-9]"), b"final count: \tN"),
    "reason": "how deep a recursion gets before Lua's stack overflows: with a hook set, Lua "
              "keeps LUA_MINSTACK slots free for it, so 5 calls fewer (250038; lua5.4 with any "
              "hook set prints the same)"}
KNOWN_CT_LINES = {
    "stderr": (re.compile(rb"ctrec-lua: recording stopped: [^\n]*a \.ct step's line must be "
                          rb"0\.\.\.?99999 [^\n]*\n"), b""),
    "formats": ("ct",),
    "reason": "verybig.lua runs a generated file of more than 99999 lines: a .ct step holds "
              "path_id * 100000 + line (the reference layout's fixed lines per file), so the "
              "writer refuses the step on line 100000 and ctrec-lua stops recording there, "
              "saying so on stderr (the program runs on; the trace up to there is kept)"}
KNOWN_DIFFERENCES = {"cstack.lua": KNOWN_CSTACK, "all.lua": KNOWN_CSTACK,  # all.lua runs cstack
                     "verybig.lua": KNOWN_CT_LINES}



# The busted spec suites: pure-Lua libraries, each at a release tag, run
# with Debian 12's busted 2.1.1 (lua-busted installs its modules for 5.1 to
# 5.4; `/usr/bin/busted` is a Lua script, run here as `lua5.4 /usr/bin/busted`
# and `ctrec-lua /usr/bin/busted`), one case per spec file. Each library's
# own sources come first on package.path (busted adds ./src/?.lua; LUA_PATH
# adds it for the scripts argparse's integrity spec starts with lua5.4).
BUSTED = [
    # name, GitHub owner/repo, tag
    ("middleclass", "kikito/middleclass", "v4.1.1"),
    ("inspect.lua", "kikito/inspect.lua", "v3.1.3"),
    ("Moses", "Yonaba/Moses", "Moses-2.1.0-1"),
    ("luassert", "lunarmodules/luassert", "v1.9.0"),
    ("say", "lunarmodules/say", "v1.4.1"),
    ("argparse", "mpeterv/argparse", "0.6.0"),
    ("lustache", "Olivine-Labs/lustache", "v1.3.1-0"),
]
BUSTED_BIN = "/usr/bin/busted"
# Moses' specs start with require 'luacov' (coverage), which Debian 12 does
# not package: an empty module stands in for it, under lua5.4 as under
# ctrec-lua.
BUSTED_INIT = "package.preload.luacov = function() return {} end"

# are-we-fast-yet's Lua benchmarks (pinned commit), run through its harness
# (`harness.lua NAME ITERATIONS INNER`) with 1 iteration and an inner size
# small enough that lua5.4 needs well under a second.
AWFY_COMMIT = "50e34b17e5fced7b8fe7afd14dc04b0ebd84a75a"
# Mandelbrot and NBody check their result only at the sizes the suite's
# test.conf uses (1 is one of them).
AWFY = [("Bounce", 5), ("CD", 2), ("DeltaBlue", 50), ("Havlak", 1), ("Json", 1),
        ("List", 5), ("Mandelbrot", 1), ("NBody", 1), ("Permute", 5), ("Queens", 5),
        ("Richards", 1), ("Sieve", 5), ("Storage", 2), ("Towers", 5)]


def fetch_commands(root):
    """The shell commands that put each suite under root, by suite name: one
    command a line, so that the script --fetch-commands prints (set -e)
    stops at the first that fails (a command in an && list does not)."""
    gh = "https://github.com/%s/archive/%s.tar.gz"
    busted = "\n".join(
        "mkdir -p %s/busted/%s\ncurl -sSfL %s | tar -xz --strip-components=1 -C %s/busted/%s"
        % (root, n, gh % (r, "refs/tags/" + t), root, n) for n, r, t in BUSTED)
    return {
        "lua54": "git clone --bare https://github.com/lua/lua /tmp/lua.git\nmkdir -p %s\n"
                 "git --git-dir=/tmp/lua.git archive v5.4.4 testes | tar -x -C %s\n"
                 "mv %s/testes %s/lua-5.4.4-tests" % (root, root, root, root),
        "penlight": "apt-get install -y lua-penlight lua-filesystem\n"
                    "git clone --bare https://github.com/lunarmodules/Penlight /tmp/penlight.git\n"
                    "mkdir -p %s/penlight-1.13.1\ngit --git-dir=/tmp/penlight.git archive "
                    "1.13.1 tests examples | tar -x -C %s/penlight-1.13.1" % (root, root),
        "busted": "apt-get install -y lua-busted\n" + busted,
        "awfy": "mkdir -p %s/awfy\ncurl -sSfL %s | tar -xz --strip-components=3 -C %s/awfy "
                "are-we-fast-yet-%s/benchmarks/Lua" % (root, gh % ("smarr/are-we-fast-yet",
                                                                   AWFY_COMMIT), root, AWFY_COMMIT),
    }


def lua_files(d, cwd, prefix=""):
    return [{"name": f, "cwd": cwd, "argv": [prefix + f]}
            for f in sorted(os.listdir(d)) if f.endswith(".lua")]


def suites(root):
    t = os.path.join(root, "lua-5.4.4-tests")
    pl = os.path.join(root, "penlight-1.13.1")
    bu = os.path.join(root, "busted")
    aw = os.path.join(root, "awfy")
    fc = fetch_commands(root)
    excluded_all = {"heavy.lua": "exhausts memory on purpose (all.lua never runs it)"}
    slow = {"errors.lua": "36 s under lua5.4 without _soft (deep recursion); run in lua54-port",
            "constructs.lua": "15 s under lua5.4 without _soft; run in lua54-port"}

    def busted_cases():
        out = []
        for n, _, _ in BUSTED:
            d = os.path.join(bu, n)
            sd = os.path.join(d, "spec")
            if not os.path.isdir(sd):
                out.append({"name": n, "absent": fc["busted"]})
                continue
            for f in sorted(os.listdir(sd)):
                if f.endswith("_spec.lua"):
                    out.append({"name": n + "/spec/" + f, "cwd": d,
                                "argv": [BUSTED_BIN, "-o", "TAP", "spec/" + f]})
        return out

    def awfy_cases():
        return [{"name": "%s.lua" % n.lower(), "cwd": aw,
                 "argv": ["harness.lua", n, "1", str(inner)]} for n, inner in AWFY]

    return [
        {"name": "lua54-port", "dir": t, "env": {"LUA_INIT": PORT_INIT},
         "cases": lambda: lua_files(t, t), "exclude": excluded_all,
         "smoke": ["closure.lua", "goto.lua", "vararg.lua", "tpack.lua", "code.lua",
                   "bwcoercion.lua", "events.lua"],
         "fetch": fc["lua54"]},
        {"name": "lua54-default", "dir": t, "env": {}, "cases": lambda: lua_files(t, t),
         "exclude": dict(excluded_all, **slow, **{
             "all.lua": "runs main.lua (below) and, without _soft, errors.lua and "
                        "constructs.lua: over 300 s under lua5.4, and leaves a looping lua5.4",
             "main.lua": "its Ctrl-C test fails under lua5.4 here (a background lua5.4 "
                         "started by sh ignores SIGINT) and leaves that lua5.4 looping for "
                         "ever; run in lua54-port, which leaves that test out"}),
         "fetch": fc["lua54"]},
        {"name": "penlight-tests", "dir": os.path.join(pl, "tests"), "env": {},
         "cases": lambda: lua_files(os.path.join(pl, "tests"), pl, "tests/"),
         "exclude": {}, "needs": "pl", "fetch": fc["penlight"]},
        {"name": "penlight-examples", "dir": os.path.join(pl, "examples"), "env": {},
         "cases": lambda: lua_files(os.path.join(pl, "examples"), pl, "examples/"),
         "needs": "pl",
         "exclude": {"sipscan.lua": "reads a file named on the command line (none given: "
                                    "loops on stdin)"},
         "fetch": fc["penlight"]},
        {"name": "busted-specs", "dir": bu, "cases": busted_cases, "needs": "busted",
         "env": {"LUA_INIT": BUSTED_INIT, "LUA_PATH": "./src/?.lua;./src/?/init.lua;;"},
         "exclude": {}, "smoke": ["say/spec/say_spec.lua"], "fetch": fc["busted"]},
        {"name": "awfy", "dir": aw, "cases": awfy_cases, "env": {},
         "exclude": {"havlak.lua": "14 s of CPU under lua5.4 at its smallest input (1): "
                                   "hours of recording with --values all"},
         "smoke": ["nbody.lua"], "fetch": fc["awfy"]},
    ]


def normalize(b, stderr=False):
    for rx, rep in NONDETERMINISM + (STDERR_NONDETERMINISM if stderr else []):
        b = rx.sub(rep, b)
    return b


LIVE, LIVE_LOCK = set(), threading.Lock()  # sessions of the cases running now


def on_term(signum, frame):
    """SIGTERM/SIGINT: the cases running now go with the runner."""
    with LIVE_LOCK:
        for pid in LIVE:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    os._exit(128 + signum)


def run(cmd, cwd, env, timeout, exe=None):
    """Runs cmd (its own session, stdin empty) and returns (exit status or
    None on timeout, stdout, stderr, CPU seconds, wall-clock seconds). The
    CPU time is wait4's: the process and the children it waited for."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("LUA_INIT", "LUA_PATH", "LUA_CPATH"))}
    e.update(env)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, executable=exe, cwd=cwd, env=e, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    with LIVE_LOCK:
        LIVE.add(p.pid)
    bufs = [[], []]

    def drain(f, acc):
        for chunk in iter(lambda: f.read(65536), b""):
            acc.append(chunk)

    ts = [threading.Thread(target=drain, args=(p.stdout, bufs[0])),
          threading.Thread(target=drain, args=(p.stderr, bufs[1]))]
    for t in ts:
        t.start()
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    try:  # what it left running in its session (a lua5.4 started in the background...)
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    with LIVE_LOCK:
        LIVE.discard(p.pid)
    for t in ts:
        t.join()
    p.stdout.close()
    p.stderr.close()
    cpu = ru.ru_utime + ru.ru_stime
    if timed_out:
        return None, b"".join(bufs[0]), b"".join(bufs[1]), cpu, wall
    return p.returncode, b"".join(bufs[0]), b"".join(bufs[1]), cpu, wall


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


MIN_CPU = 0.02  # seconds of lua5.4 CPU time below which no slowdown is computed


def slowdown(r):
    """ctrec-lua's CPU time over lua5.4's, None when lua5.4's is too short
    to measure (under MIN_CPU: the clock's tick and process start-up)."""
    if r.get("ref_cpu") is None or r.get("rec_cpu") is None or r["ref_cpu"] < MIN_CPU:
        return None
    return r["rec_cpu"] / r["ref_cpu"]


def compare(case, fmt, ref, rec):
    """Fills the verdict of one recording against the lua5.4 run."""
    f = os.path.basename(case)
    r = {}
    diffs = []
    if rec[0] != ref[0]:
        diffs.append("exit %s, lua5.4 %s" % (rec[0], ref[0]))
    if f in NONDETERMINISTIC:
        r["nondet"] = NONDETERMINISTIC[f]
    elif normalize(rec[1]) != normalize(ref[1]):
        diffs.append("stdout " + first_diff(normalize(ref[1]), normalize(rec[1])))
    if normalize(rec[2], True) != normalize(ref[2], True):
        diffs.append("stderr " + first_diff(normalize(ref[2], True), normalize(rec[2], True)))
    r["match"] = not diffs
    kd = KNOWN_DIFFERENCES.get(f)
    if diffs and kd and rec[0] == ref[0] and fmt in kd.get("formats", (fmt,)):
        def known(b, stream):
            b = normalize(b, stream == "stderr")
            return kd[stream][0].sub(kd[stream][1], b) if stream in kd else b
        if (f in NONDETERMINISTIC or known(rec[1], "stdout") == known(ref[1], "stdout")) and \
                known(rec[2], "stderr") == known(ref[2], "stderr"):
            r["known"] = kd["reason"]
            diffs = ["known difference: " + kd["reason"]]
    r["detail"] = "; ".join(diffs)
    r["status"] = "ok" if r["match"] else "KNOWN" if r.get("known") else "FAIL"
    if r["match"] and r.get("nondet"):
        r["status"] = "NONDET"
        r["match"] = False
        r["detail"] = "stdout not compared: " + r["nondet"]
    return r


def run_case(a, s, c, modes, lock):
    """Runs one case: lua5.4 once, then each format and values mode."""
    results = []
    # argv[0] "lua5.4", as ctrec-lua names itself in its messages
    ref = run(["lua5.4"] + c["argv"], c["cwd"], s["env"], a.timeout, exe=a.lua)
    for fmt, mode in modes:
        r = {"suite": s["name"], "case": c["name"], "format": fmt, "values": mode}
        tmp = tempfile.mkdtemp(prefix="ctrec-corpus-")
        out = os.path.join(tmp, "trace")
        rec = run([a.ctrec_lua, "--format", fmt, "--values", mode, "-o", out] + c["argv"],
                  c["cwd"], s["env"], a.timeout)
        r["ref_rc"], r["rc"] = ref[0], rec[0]
        r["ref_cpu"], r["rec_cpu"] = ref[3], rec[3]
        r["ref_wall"], r["rec_wall"] = ref[4], rec[4]
        if rec[0] is None or ref[0] is None:
            r["status"] = "TIMEOUT"
            r["detail"] = "lua5.4 %s, ctrec-lua %s (limit %gs)" % (
                "timed out" if ref[0] is None else "%.1fs CPU" % ref[3],
                "timed out" if rec[0] is None else "%.1fs CPU" % rec[3], a.timeout)
        else:
            r.update(compare(c["name"], fmt, ref, rec))
            r["slowdown"] = slowdown(r)
            if a.ctrec:
                p = subprocess.run([a.ctrec, "check", out], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
                r["check"] = p.returncode == 0
                if not r["check"]:
                    r["status"] = "FAIL"
                    r["detail"] += " check: " + p.stdout.decode(errors="replace")[-300:]
        if a.asan and "%s:%s" % (fmt, mode) == a.asan_mode and r["status"] != "TIMEOUT":
            out2 = os.path.join(tmp, "asan")
            env = dict(s["env"], ASAN_OPTIONS="detect_leaks=0",
                       UBSAN_OPTIONS="print_stacktrace=1")
            z = run([a.asan, "--format", fmt, "--values", mode, "-o", out2] + c["argv"],
                    c["cwd"], env, a.timeout * 2)
            report = b"Sanitizer" in z[2] or b"runtime error:" in z[2]
            if z[0] is None and not report:  # not finished: not counted as run
                r["asan_timeout"] = True
                r["detail"] += " (ASan run timed out after %gs, no report)" % (a.timeout * 2)
            else:
                bad = report or z[0] != rec[0]
                r["asan"] = not bad
                if bad:
                    r["status"] = "FAIL"
                    r["detail"] += " asan: %s %s" % (
                        "timed out" if z[0] is None else z[0],
                        z[2].decode(errors="replace")[-400:])
        if a.keep:
            dst = os.path.join(a.keep, s["name"], c["name"] + "." + fmt + "." + mode)
            shutil.rmtree(dst, ignore_errors=True)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.move(out, dst)
        shutil.rmtree(tmp, ignore_errors=True)
        with lock:
            print("%-7s %s/%s --format %s --values %s: lua5.4 %.2fs, ctrec-lua %.2fs CPU%s%s" % (
                r["status"], s["name"], c["name"], fmt, mode, ref[3], rec[3],
                "" if r.get("check", True) else " (check not clean)",
                (": " + r["detail"]) if r.get("detail") else ""), flush=True)
        results.append(r)
    return results


def main():
    ap = argparse.ArgumentParser(
        description="ctrec-lua over real-world Lua (see the module docstring and README.md)",
        epilog="--fetch-commands prints the commands that put the suites under --root.")
    ap.add_argument("--ctrec-lua")
    ap.add_argument("--ctrec")
    ap.add_argument("--asan")
    ap.add_argument("--asan-mode", default="ct:all", help="FORMAT:VALUES of the ASan run")
    ap.add_argument("--lua", default=shutil.which("lua5.4") or "/usr/bin/lua5.4")
    ap.add_argument("--root", default=os.environ.get("CTREC_LUA_CORPUS", "/work/corpus-lua"))
    ap.add_argument("--suite", action="append")
    ap.add_argument("--case", action="append", help="only these cases (names as printed)")
    ap.add_argument("--format", default="ct,bin")
    ap.add_argument("--values", default="all,none")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--jobs", type=int, default=1, help="cases run at the same time")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--markdown", help="write the table (Markdown) to this file too")
    ap.add_argument("--keep", help="keep the traces under this folder")
    ap.add_argument("--fetch-commands", action="store_true",
                    help="print the shell commands that put every suite under --root")
    ap.add_argument("--merge", nargs="+", metavar="JSON",
                    help="print the table of earlier --json results instead of running; a "
                         "later file's result for the same suite, case and mode replaces an "
                         "earlier one's")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if a.fetch_commands:
        print("#!/bin/sh\n# puts the ctrec-lua corpus under %s\nset -e" % a.root)
        for k, v in fetch_commands(a.root).items():
            print("# %s\n%s" % (k, v))
        return 0
    if a.merge:
        merged, listed = {}, {}
        for fn in a.merge:
            with open(fn) as fh:
                d = json.load(fh)
            for r in d["results"]:
                r.setdefault("format", "bin")
                merged[(r["suite"], r["case"], r["format"], r["values"])] = r
            for x in d["listed"]:
                listed[(x["suite"], x.get("case"))] = x
        for r in merged.values():
            if r["status"] not in ("ok", "KNOWN", "NONDET"):
                print("%-7s %s/%s --format %s --values %s: %s" % (
                    r["status"], r["suite"], r["case"], r["format"], r["values"],
                    r.get("detail", "")[:300]))
        rs = list(merged.values())
        table(rs, True, any("asan" in r for r in rs), list(listed.values()), a.markdown)
        return 0
    if not a.ctrec_lua:
        ap.error("--ctrec-lua is required")
    for k in ("ctrec_lua", "ctrec", "asan", "lua"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))
    modes = [(f, v) for f in a.format.split(",") for v in a.values.split(",")]
    results, listed = [], []
    work = []
    for s in suites(a.root):
        if a.suite and s["name"] not in a.suite:
            continue
        if a.smoke and "smoke" not in s:
            continue
        if not os.path.isdir(s["dir"]):
            print("absent: %s (%s not found): %s" % (s["name"], s["dir"], s["fetch"]))
            listed.append({"suite": s["name"], "status": "absent"})
            continue
        if s.get("needs") and not lua_has(a.lua, s["needs"]):
            print("absent: %s (lua5.4 cannot require '%s'): %s"
                  % (s["name"], s["needs"], s["fetch"]))
            listed.append({"suite": s["name"], "status": "absent"})
            continue
        for c in s["cases"]():
            if a.smoke and c["name"] not in s["smoke"]:
                continue
            if a.case and c["name"] not in a.case:
                continue
            if c.get("absent"):
                print("absent: %s/%s: %s" % (s["name"], c["name"], c["absent"]))
                listed.append({"suite": s["name"], "case": c["name"], "status": "absent"})
                continue
            if c["name"] in s["exclude"]:
                print("EXCLUDED %s/%s: %s" % (s["name"], c["name"], s["exclude"][c["name"]]))
                listed.append({"suite": s["name"], "case": c["name"], "status": "EXCLUDED",
                               "reason": s["exclude"][c["name"]]})
                continue
            work.append((s, c))
    if not work:
        print("nothing ran (see absent above)")
        return 77
    lock = threading.Lock()

    def save():  # after each case: a run cut short still leaves its results for --merge
        if a.json:
            with open(a.json + ".tmp", "w") as fh:
                json.dump({"results": results, "listed": listed}, fh, indent=1)
            os.replace(a.json + ".tmp", a.json)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        for rs in ex.map(lambda sc: run_case(a, sc[0], sc[1], modes, lock), work):
            results.extend(rs)
            save()
    print()
    table(results, a.ctrec, a.asan, listed, a.markdown)
    save()
    bad = [r for r in results if r["status"] not in ("ok", "KNOWN", "NONDET")]
    return 1 if bad else 0


def table(results, ctrec, asan, listed, markdown=None):
    lines = ["| suite | format | values | cases | matches | nondet (exit+stderr match) "
             "| known differences | check-clean | ASan-clean | median slowdown (CPU; cases "
             "measured) | worst slowdown (CPU) | total CPU, lua5.4 / ctrec-lua |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["suite"], r.get("format", "bin"), r["values"]) for r in results)
    for name in dict.fromkeys(k[0] for k in keys):
        for k in [k for k in keys if k[0] == name]:
            rs = [r for r in results if (r["suite"], r.get("format", "bin"), r["values"]) == k]
            for r in rs:
                if r["status"] != "TIMEOUT":
                    r["slowdown"] = slowdown(r)
            sl = [r["slowdown"] for r in rs if r.get("slowdown")]
            worst = max(rs, key=lambda r: r.get("slowdown") or 0)
            az = [r for r in rs if "asan" in r]
            done = [r for r in rs if r["status"] != "TIMEOUT" and r.get("ref_cpu") is not None]
            t_ref = sum(r["ref_cpu"] for r in done)
            t_rec = sum(r["rec_cpu"] for r in done)
            lines.append("| %s | %s | %s | %d | %d | %d | %d | %s | %s | %s | %s | %s |" % (
                name, k[1], k[2], len(rs), sum(1 for r in rs if r.get("match")),
                sum(1 for r in rs if r["status"] == "NONDET"),
                sum(1 for r in rs if r.get("known")),
                "%d" % sum(1 for r in rs if r.get("check")) if ctrec else "-",
                "%d/%d" % (sum(1 for r in az if r["asan"]), len(az)) if asan and az else "-",
                "%.1fx (%d)" % (statistics.median(sl), len(sl)) if sl else "-",
                "%.1fx (%s)" % (worst["slowdown"], worst["case"]) if sl else "-",
                "%.2f s / %.2f s (%.1fx)" % (t_ref, t_rec, t_rec / t_ref) if t_ref > 0 else "-"))
    other = [r for r in results if r["status"] == "TIMEOUT"]
    if other:
        lines.append("")
        lines.append("timed out: " + ", ".join("%s/%s (%s %s)" % (
            r["suite"], r["case"], r.get("format", "bin"), r["values"]) for r in other))
    other = [r for r in results if r.get("asan_timeout")]
    if other:
        lines.append("")
        lines.append("ASan run timed out (no report; not counted in ASan-clean): " + ", ".join(
            "%s/%s" % (r["suite"], r["case"]) for r in other))
    ex = [x for x in listed if x["status"] == "EXCLUDED"]
    if ex:
        lines.append("")
        lines.append("excluded: " + ", ".join("%s/%s" % (x["suite"], x["case"]) for x in ex))
    for x in listed:
        if x["status"] == "absent":
            lines.append("absent: %s%s" % (x["suite"], "/" + x["case"] if x.get("case") else ""))
    print("\n".join(lines))
    if markdown:
        with open(markdown, "w") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
