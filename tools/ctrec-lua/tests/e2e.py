#!/usr/bin/env python3
"""e2e.py -- end-to-end test of ctrec-lua over one example program.

  e2e.py CTREC_LUA LUA54 SCRIPT WORKDIR [--rc N] [--opt OPTION]... [--no-linehook]
         [-- ARGS...]

1. Runs `lua5.4 SCRIPT ARGS` and `ctrec-lua --format json -o WORKDIR/trace
   SCRIPT ARGS`: stdout, stderr and exit status must be identical, and the
   exit status must be N (default 0).
2. The trace must be well-formed (check_trace.py).
3. Its Steps, leaving out the definition-line Step the writer puts right
   before each Call, must be exactly the line events that a pure-Lua line
   hook (linehook.lua, run by stock lua5.4 through LUA_INIT) reports for the
   same run, as (absolute path, line) pairs.
   --no-linehook leaves this out, for scripts that set hooks of their own
   (they would replace the line hook of the reference run).
4. The Write events must add up to the program's stdout.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_trace  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env=None):
    """Runs cmd; a cmd[0] named like lua5.4 runs as `lua5.4` (argv[0] is the
    name lua5.4 prints its messages and arg[-1] with)."""
    exe = cmd[0]
    if os.path.basename(exe) == "lua5.4":
        cmd = ["lua5.4"] + cmd[1:]
    e = dict(os.environ)
    e.pop("LUA_INIT", None)
    e.pop("LUA_INIT_5_4", None)
    if env:
        e.update(env)
    p = subprocess.run(cmd, executable=exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e)
    return p.returncode, p.stdout, p.stderr


def recorded_steps(events, paths):
    steps = []
    for i, ev in enumerate(events):
        if isinstance(ev, dict) and "Step" in ev:
            nxt = events[i + 1] if i + 1 < len(events) else None
            if isinstance(nxt, dict) and "Call" in nxt:
                continue  # the definition-line Step of a Call
            steps.append((paths[ev["Step"]["path_id"]], ev["Step"]["line"]))
    return steps


def main():
    argv = sys.argv[1:]
    script_args = []
    if "--" in argv:
        k = argv.index("--")
        argv, script_args = argv[:k], argv[k + 1:]
    rc_expected, opts, pos = 0, [], []
    linehook = True
    i = 0
    while i < len(argv):
        if argv[i] == "--no-linehook":
            linehook = False
            i += 1
        elif argv[i] == "--rc":
            rc_expected = int(argv[i + 1])
            i += 2
        elif argv[i] == "--opt":
            opts.append(argv[i + 1])
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    ctrec_lua, lua, script, work = pos
    os.makedirs(work, exist_ok=True)
    trace = os.path.join(work, "trace")
    lines_out = os.path.join(work, "lines.txt")
    failures = []

    ref = run([lua, script] + script_args)
    rec = run([ctrec_lua, "--format", "json", "-o", trace] + opts + [script] + script_args)
    if ref[0] != rc_expected:
        failures.append("lua5.4 exited with %d, expected %d" % (ref[0], rc_expected))
    if rec[0] != ref[0]:
        failures.append("exit status %d, lua5.4's is %d" % (rec[0], ref[0]))
    if rec[1] != ref[1]:
        failures.append("stdout differs:\n--- lua5.4\n%s\n--- ctrec-lua\n%s"
                        % (ref[1].decode(errors="replace"), rec[1].decode(errors="replace")))
    if rec[2] != ref[2]:
        failures.append("stderr differs:\n--- lua5.4\n%s\n--- ctrec-lua\n%s"
                        % (ref[2].decode(errors="replace"), rec[2].decode(errors="replace")))

    errors = check_trace.check(trace, expect_error=(rc_expected == 1))
    failures += ["trace: " + e for e in errors]

    expected = []
    if linehook:
        hooked = run([lua, script] + script_args,
                     env={"LUA_INIT": "@" + os.path.join(HERE, "linehook.lua"),
                          "CTREC_LINES_OUT": lines_out})
        if hooked[1] != ref[1]:
            failures.append("the line-hook run printed something else")
        with open(lines_out, encoding="utf-8") as f:
            for line in f:
                path, num = line.rstrip("\n").rsplit("\t", 1)
                expected.append((os.path.realpath(path), int(num)))

    if not errors:
        events = check_trace.load(trace)
        with open(os.path.join(trace, "trace_paths.json"), encoding="utf-8") as f:
            paths = [os.path.realpath(p) for p in __import__("json").load(f)]
        got = recorded_steps(events, paths)
        if not linehook:
            expected = got
        if got != expected:
            k = next((j for j in range(min(len(got), len(expected))) if got[j] != expected[j]),
                     min(len(got), len(expected)))
            failures.append("steps differ from the line hook's at #%d (of %d recorded, %d "
                            "expected):\n  recorded %r\n  expected %r"
                            % (k, len(got), len(expected), got[k:k + 5], expected[k:k + 5]))
        written = "".join(e["Event"]["content"] for e in events
                          if isinstance(e, dict) and "Event" in e and e["Event"]["kind"] == 0)
        if written != ref[1].decode("utf-8", errors="replace"):
            failures.append("Write events %r differ from stdout %r" % (written[:200], ref[1][:200]))

    name = os.path.basename(script)
    if failures:
        for f in failures:
            print("FAIL %s: %s" % (name, f))
        return 1
    print("ok %s: %d steps, exit %d" % (name, len(expected), rec[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
