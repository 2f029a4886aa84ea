#!/usr/bin/env python3
"""startstop_test.py -- starting and stopping the recording: the ctrec
module (stop/start/recording) and --activation-path.

  startstop_test.py CTREC_LUA LUA54 TEST_SCRIPTS_DIR WORKDIR [CTREC]

For each case: stdout, stderr and exit status as lua5.4's; the trace
well-formed (check_trace.py, and `ctrec check --strict` of the binary
trace when CTREC is given); the recorded Steps, Calls (function name and
number of arguments), Returns and Write events exactly as listed.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_trace  # noqa: E402

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def run(cmd):
    exe = cmd[0]
    if os.path.basename(exe) == "lua5.4":
        cmd = ["lua5.4"] + cmd[1:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUA_INIT")}
    p = subprocess.run(cmd, executable=exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env)
    return p.returncode, p.stdout, p.stderr


def outline(trace):
    """Steps (line), Calls (name/number of args), Returns, Writes, in order."""
    events = check_trace.load(trace)
    names, out = [], []
    for e in events:
        if not isinstance(e, dict):
            continue
        if "Function" in e:
            names.append(e["Function"]["name"])
        elif "Step" in e:
            out.append("S%d" % e["Step"]["line"])
        elif "Call" in e:
            out.append("C %s/%d" % (names[e["Call"]["function_id"]], len(e["Call"]["args"])))
        elif "Return" in e:
            out.append("R")
        elif "Event" in e:
            out.append("W " + e["Event"]["content"].strip())
    return out


def case(ctrec_lua, lua, ctrec, work, name, script, opts, expected):
    ref = run([lua, script])
    trace = os.path.join(work, name)
    rec = run([ctrec_lua, "--format", "json", "-o", trace] + opts + [script])
    expect(rec == ref, "%s: output or status differs from lua5.4's: %r vs %r" % (name, rec, ref))
    errors = check_trace.check(trace)
    expect(not errors, "%s: trace: %r" % (name, errors))
    if not errors:
        got = outline(trace)
        expect(got == expected, "%s: recorded\n  %s\nexpected\n  %s"
               % (name, " ; ".join(got), " ; ".join(expected)))
    if ctrec:
        binp = os.path.join(work, name + "_bin")
        run([ctrec_lua, "-o", binp] + opts + [script])
        p = subprocess.run([ctrec, "check", "--strict", binp], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        expect(p.returncode == 0, "%s: ctrec check --strict: %s" % (name, p.stdout.decode()))


def main():
    ctrec_lua, lua, scripts, work = sys.argv[1:5]
    ctrec = sys.argv[5] if len(sys.argv) > 5 else None
    os.makedirs(work, exist_ok=True)
    startstop = os.path.join(scripts, "startstop.lua")
    activation = os.path.join(scripts, "activation.lua")
    module = os.path.join(scripts, "activation_mod.lua")

    # ctrec.stop() at line 10 in middle: work(3) and its output are not
    # recorded; ctrec.start() at line 14 in inner: inner, called meanwhile,
    # gets its Call (without arguments; the writer's definition-line Step
    # S13 before it), middle keeps its own. The coroutine created and first
    # resumed while stopped gets its Call when it starts the recording.
    case(ctrec_lua, lua, ctrec, work, "startstop", startstop, [], [
        "C <toplevel>/0", "S3", "S8", "S19", "S20", "S9", "C middle/0", "S10",
        "S13", "C inner/0", "S15", "S4", "C work/1", "S5", "S6", "S6", "S7", "R",
        "S16", "R", "R", "W result\t9", "S21",
        "S22", "C <anonymous> startstop.lua:22/0", "S26", "S27", "R", "W co\t3",
        "S31", "S32", "W end"])

    # --activation-path: from the module's first run (its main chunk, run by
    # require from load_it, which gets its Call) until that run returns.
    case(ctrec_lua, lua, ctrec, work, "activation", activation,
         ["--activation-path", module], [
             "C <toplevel>/0", "S5", "C load_it/0", "S1",
             "C <main chunk> activation_mod.lua/2", "S2", "S3", "S7", "S4",
             "S8", "S4", "C twice/1", "S5", "S6", "R", "S9", "R", "R"])
    # the script itself: everything, as without the option
    case(ctrec_lua, lua, ctrec, work, "activation_script", activation,
         ["--activation-path", activation], outline_plain(ctrec_lua, work, activation))
    # a file that never runs: nothing but the Step a trace needs
    case(ctrec_lua, lua, ctrec, work, "activation_never", activation,
         ["--activation-path", startstop], ["C <toplevel>/0", "S1"])

    for f in failures:
        print("FAIL", f)
    if not failures:
        print("ok startstop")
    return 1 if failures else 0


def outline_plain(ctrec_lua, work, script):
    trace = os.path.join(work, "plain")
    run([ctrec_lua, "--format", "json", "-o", trace, script])
    got = outline(trace)
    expect(len(got) > 20 and "C twice/1" in got, "the plain recording of activation.lua: %r"
           % (got,))
    return got


if __name__ == "__main__":
    sys.exit(main())
