#!/usr/bin/env python3
"""ctrec follow shows a running `ctrec-lua --format ct` recording's steps
within about a second of their happening (issue 12).

    follow_ct_test.py CTREC_LUA CTREC WORKDIR

The script reads a line, prints a marker, and reads again: it waits on its
stdin, so no step and no close can publish what it did. For each of 4
markers the test writes the line, sees the marker on the script's stdout,
and waits for ctrec follow (started on the trace folder while the script
runs) to print a Value holding the marker's number: the step after the
print. Only the recorder's timed flush (flush_interval_ms, default 1000 ms)
can publish it while the script waits, so the bound below (5 s, generous
for a loaded machine; measured latencies are printed) fails if follow
shows steps only at close, and the recorder must still be running then.
"""
import os
import shutil
import subprocess
import sys
import threading
import time

SCRIPT = """\
for i = 1, 4 do
  local got = io.read("l")
  local mark = i * 1000 + 7
  print("marker " .. mark)
  io.stdout:flush()
end
io.read("l")
"""
BOUND = 5.0


def main():
    lua, ctrec, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    script = os.path.join(work, "wait.lua")
    with open(script, "w") as f:
        f.write(SCRIPT)
    d = os.path.join(work, "trace")
    rec = subprocess.Popen([lua, "--format", "ct", "-o", d, script], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not os.path.exists(os.path.join(d, "trace.ct")) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    fol = subprocess.Popen([ctrec, "follow", d], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = {}
    cv = threading.Condition()

    def read_follow():
        for line in fol.stdout:
            now = time.monotonic()
            if b'"Value"' not in line:
                continue
            for i in range(1, 5):
                key = b'"i":%d,' % (i * 1000 + 7)
                if key in line:
                    with cv:
                        seen.setdefault(i, now)
                        cv.notify_all()

    t = threading.Thread(target=read_follow)
    t.start()
    failures = []
    for i in range(1, 5):
        rec.stdin.write("go\n")
        rec.stdin.flush()
        line = rec.stdout.readline().strip()
        t_mark = time.monotonic()
        if line != "marker %d" % (i * 1000 + 7):
            failures.append("the script printed %r" % line)
            break
        with cv:
            cv.wait_for(lambda: i in seen, timeout=BOUND + 1)
        running = rec.poll() is None
        if i not in seen:
            failures.append("marker %d: ctrec follow did not show its step within %.0f s" % (i, BOUND + 1))
            break
        late = seen[i] - t_mark
        print("marker %d: shown by ctrec follow %.3f s after the script printed it%s" % (
            i * 1000 + 7, late, "" if running else " (the recorder had ended)"))
        if late > BOUND:
            failures.append("marker %d shown after %.2f s (bound %.1f s)" % (i, late, BOUND))
        if not running:
            failures.append("the recorder ended before marker %d was shown" % i)
    rec.stdin.close()
    rc = rec.wait(timeout=30)
    try:
        fol.wait(timeout=10)
    except subprocess.TimeoutExpired:
        fol.kill()
        fol.wait()
    t.join()
    if rc != 0:
        failures.append("ctrec-lua exited %d" % rc)
    c = subprocess.run([ctrec, "check", d], capture_output=True, text=True)
    if c.returncode != 0:
        failures.append("ctrec check: " + c.stdout[-400:])
    if failures:
        print("ctrec follow's stderr: " + fol.stderr.read().decode(errors="replace").strip())
    for f in failures:
        print("FAILED: " + f)
    if not failures:
        print("ctrec follow showed every marker's step while the recorder waited")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
