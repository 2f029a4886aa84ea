#!/usr/bin/env python3
"""ctrec follow on a `--format ct` recording whose tables grow after it
opened, to the recording's end.

    follow_ct_late_test.py CTREC_LUA CTREC WORKDIR

The script waits on its stdin, then loads a second file (a new path,
function, variable names and types) and calls into it, waits again, and
ends with a loop of 1.2 s of CPU time, across a timed flush. ctrec
follow is started while the recorder runs, and the test writes the first
line only once follow has printed a Step: so every definition the second
file brings is published after follow read the tables. While the script
runs the loop, the test stops reading follow's output, and it reads on
only once the recorder is gone: follow, blocked on the full pipe, is then
behind what the recorder published last. It checks that

  - follow prints each definition before the first event that names it
    (a Step's path_id, a Call's function_id, a Value's variable_id and
    type_id): until 2026-12-06 the definitions were given only as they
    were when follow opened the trace, and the later ones never;
  - follow ends by itself once the recorder is gone (exit 0), after the
    events the recorder published last (the loop's last steps, the final
    print's Event, the top-level Return): it used to stop at its last look
    before that, where it was when it saw the recorder gone;
  - what follow printed is what `ctrec print` prints of the finished trace,
    as a multiset of lines (a call is announced when its record is
    published, so the order may differ: docs/ct.md, "Following").

A second recording is killed (SIGKILL) while followed: follow must then
print what `ctrec print` reads of the killed trace and exit 1 with a
message that sends to `ctrec repair` (it exited 0 before 2026-12-06: a .ct
has no end marker; the writer's scratch file, left beside it, tells).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

MAIN = """\
io.read("l")
local m = dofile(arg[1])
local total = m.run(4)
print("run " .. total)
io.stdout:flush()
io.read("l")
local function late_fn(x)
  local late_local = { doubled = x * 2, label = "late" }
  return late_local.doubled
end
print("late " .. late_fn(21))
local t0, spins = os.clock(), 0
while os.clock() - t0 < 1.2 do spins = spins + #string.rep("ab", 100000) end
print("spun " .. (spins > 0 and "yes" or "no"))
"""
MODULE = """\
local M = {}
function M.square(v)
  local sq_result = v * v
  return sq_result
end
function M.run(n)
  local acc_sum = 0.5
  for k = 1, n do acc_sum = acc_sum + M.square(k) end
  return acc_sum
end
return M
"""
BOUND = 20.0


def check_order(lines):
    """The first event naming an id before its definition, or None."""
    have = {"Path": 0, "Function": 0, "Type": 0, "VariableName": 0}
    for i, line in enumerate(lines):
        ev = json.loads(line)
        (kind, body), = ev.items()
        if kind in have:
            have[kind] += 1
            continue
        need = []
        if kind == "Step":
            need.append(("Path", body["path_id"]))
        elif kind == "Call":
            need.append(("Function", body["function_id"]))
            for a in body["args"]:
                need += [("VariableName", a["variable_id"]), ("Type", a["value"]["type_id"])]
        elif kind == "Value":
            need += [("VariableName", body["variable_id"]), ("Type", body["value"]["type_id"])]
        elif kind == "Return":
            need.append(("Type", body["return_value"]["type_id"]))
        for what, ident in need:
            if ident >= have[what]:
                return "line %d, %s, names %s %d; %d defined before it" % (
                    i + 1, line.strip(), what, ident, have[what])
    return None


def start(lua, d, argv, stdout):
    """ctrec-lua recording argv into folder d, once its trace.ct exists."""
    rec = subprocess.Popen([lua, "--format", "ct", "-o", d] + argv, stdin=subprocess.PIPE,
                           stdout=stdout, text=True)
    t0 = time.monotonic()
    while not os.path.exists(os.path.join(d, "trace.ct")) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    return rec


def killed(lua, ctrec, work):
    """The killed recording's failures (a list)."""
    script = os.path.join(work, "killed.lua")
    with open(script, "w") as f:
        f.write("local waiting = 1\nio.read('l')\nprint('never')\n")
    d = os.path.join(work, "killed")
    rec = start(lua, d, [script], subprocess.DEVNULL)
    fol = subprocess.Popen([ctrec, "follow", d], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    first = ""  # follow's lines up to its first Step (the recorder's first flush)
    for line in iter(fol.stdout.readline, ""):
        first += line
        if '"Step"' in line:
            break
    rec.send_signal(signal.SIGKILL)
    rec.wait()
    rec.stdin.close()
    failures = []
    # (read through the same buffered stream as above: communicate() would
    # skip what readline() already buffered)
    watchdog = threading.Timer(BOUND, fol.kill)
    watchdog.start()
    rest = fol.stdout.read()
    err = fol.stderr.read()
    fol.wait()
    if not watchdog.is_alive():
        failures.append("killed: ctrec follow did not end within %.0f s" % BOUND)
    watchdog.cancel()
    if fol.returncode != 1 or "ctrec repair" not in err:
        failures.append("killed: ctrec follow exited %d (%s), not 1 with a word of ctrec repair"
                        % (fol.returncode, err.strip()))
    p = subprocess.run([ctrec, "print", d], capture_output=True, text=True)
    got = (first + rest).splitlines()
    if sorted(got) != sorted(p.stdout.splitlines()):
        failures.append("killed: follow printed %d lines, print %d" % (len(got),
                                                                      len(p.stdout.splitlines())))
    if not any('"Step"' in x for x in got):
        failures.append("killed: no Step was followed before the kill")
    return failures


def main():
    lua, ctrec, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    main_lua = os.path.join(work, "main.lua")
    mod_lua = os.path.join(work, "late_module.lua")
    with open(main_lua, "w") as f:
        f.write(MAIN)
    with open(mod_lua, "w") as f:
        f.write(MODULE)
    d = os.path.join(work, "trace")
    rec = start(lua, d, [main_lua, mod_lua], subprocess.PIPE)
    fol = subprocess.Popen([ctrec, "follow", d], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    lines = []
    cv = threading.Condition()

    reading = threading.Event()
    reading.set()

    def read_follow():
        for line in fol.stdout:
            reading.wait()
            with cv:
                lines.append(line)
                cv.notify_all()

    t = threading.Thread(target=read_follow)
    t.start()
    failures = []
    with cv:
        stepped = cv.wait_for(lambda: any('"Step"' in x for x in lines), timeout=BOUND)
    if not stepped:
        failures.append("ctrec follow printed no Step within %.0f s while the script waited"
                        % BOUND)
    rec.stdin.write("go\n")
    rec.stdin.flush()
    out1 = rec.stdout.readline().strip()
    if out1 != "run 30.5":
        failures.append("the script printed %r, not 'run 30.5'" % out1)
    time.sleep(1.5)  # the timed flush publishes the module's part meanwhile
    reading.clear()
    rec.stdin.write("go\n")
    rec.stdin.close()
    out2 = rec.stdout.read().strip()
    if out2 != "late 42\nspun yes":
        failures.append("the script printed %r at the end, not 'late 42', 'spun yes'" % out2)
    rc = rec.wait(timeout=30)
    if rc != 0:
        failures.append("ctrec-lua exited %d" % rc)
    time.sleep(1.0)  # follow sees the recorder gone (two polls of its trace.lock)
    reading.set()
    try:
        frc = fol.wait(timeout=BOUND)
    except subprocess.TimeoutExpired:
        failures.append("ctrec follow did not end within %.0f s of the recorder's end" % BOUND)
        fol.kill()
        frc = fol.wait()
    t.join()
    err = fol.stderr.read()
    if frc != 0:
        failures.append("ctrec follow exited %d: %s" % (frc, err.strip()))
    bad = check_order(lines)
    if bad:
        failures.append("a definition came after its first use: " + bad)
    late_path = [i for i, x in enumerate(lines) if x.startswith('{"Path"') and "late_module" in x]
    first_step = next((i for i, x in enumerate(lines) if '"Step"' in x), None)
    if not late_path or first_step is None or late_path[0] < first_step:
        failures.append("the module's Path was not printed after the first Step (lines %s, "
                        "first Step %s): the test did not follow a growing table"
                        % (late_path, first_step))
    p = subprocess.run([ctrec, "print", d], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append("ctrec print: " + p.stderr.strip())
    printed = p.stdout.splitlines(keepends=True)
    if sorted(lines) != sorted(printed):
        only_f = len(set(lines) - set(printed))
        only_p = len(set(printed) - set(lines))
        failures.append("follow printed %d lines, print %d; %d distinct only in follow's, %d only "
                        "in print's; the last of follow's: %s"
                        % (len(lines), len(printed), only_f, only_p,
                           lines[-1].strip() if lines else "none"))
    failures += killed(lua, ctrec, work)
    for f in failures:
        print("FAILED: " + f)
    if not failures:
        print("ctrec follow printed all %d events of the recording, each definition before its "
              "first use (the module's Path at line %d, after the first Step at line %d); of "
              "a killed recording, what print reads, and exit 1" % (len(lines), late_path[0] + 1,
                                                                     first_step + 1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
