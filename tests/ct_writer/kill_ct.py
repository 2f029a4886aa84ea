#!/usr/bin/env python3
"""A .ct recording killed with SIGKILL at KILLS moments spread over its run.

    kill_ct.py CT_KILL_REC CTREC WORKDIR [KILLS]

ct_kill_rec (see its header) records with flush_interval_ms 100 and reports
on stdout how many steps it had given ("T steps time") and, in every other
run, how many it had published with ctrec_writer_flush ("F steps"). After
each kill:
  - ctrec print reads the killed trace.ct without an error and every step it
    gives is the recorded one (line and value, in order); it gives at least
    the steps of the last F marker and of the last T marker older than the
    flush interval plus a slack for a loaded machine (without the timed flush
    the runs with no F marker would show nothing), and the I/O events at
    them (the last step's may be cut off: it is an event of its own);
  - ctrec repair completes it: it keeps exactly those steps, every call
    entered at them is there with its Return (f's calls that were open at
    the kill returned at the last step), the I/O events read before it are,
    the reader reads it to its end (ctrec stats) and ctrec check passes.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

FLUSH_MS = 100
SLACK = 0.5  # seconds on top of the interval before a T marker must be published

STEP = re.compile(rb'^\{"Step":\{"path_id":0,"line":(\d+)\}\}$')
VALUE = re.compile(rb'^\{"Value":\{"variable_id":0,"value":\{"kind":"Int","i":(\d+),"type_id":1\}\}\}$')
EVENT = re.compile(rb'^\{"Event":\{"kind":0,"metadata":"stdout","content":"e(\d+)"\}\}$')


def expected_steps():
    """(line, value or None) of every step, in order, forever."""
    i = 0
    while True:
        if i % 10 == 0:
            yield 1, None
        yield 2 + i % 1000, i
        i += 1


def expectations(nsteps):
    """Calls (f's and the top-level one) and events at the first nsteps
    steps, and whether the last of those steps has an event.
    With no step published there is no call either: a .ct call is entered at
    a step, and ctrec repair keeps no call without one (a killed recording
    under a slow start, ASan on a loaded machine, publishes nothing before
    its first timed flush). A call is one event with its entry step (the
    writer publishes both or neither), but the I/O event after a step is an
    event of its own: a timed flush between the two publishes the step
    without it."""
    if nsteps == 0:
        return 0, 0, False
    calls, events, n, i, last = 1, 0, 0, 0, False
    while True:
        if i % 10 == 0:
            if n == nsteps:
                break
            calls += 1
            n += 1
            last = False
        if n == nsteps:
            break
        n += 1
        last = i % 50 == 0
        if last:
            events += 1
        i += 1
    return calls, events, last


def read_trace(ctrec, d):
    """Checks every step of ctrec print against the recording; returns
    (rc, stderr, steps, calls, returns, events)."""
    p = subprocess.run([ctrec, "print", d], capture_output=True)
    gen = expected_steps()
    steps = calls = returns = events = 0
    want = None
    bad = None
    for line in p.stdout.splitlines():
        m = STEP.match(line)
        if m:
            if want is not None and want[1] is not None and bad is None:
                bad = "step %d has no value" % (steps - 1)
            want = next(gen)
            if int(m.group(1)) != want[0] and bad is None:
                bad = "step %d is at line %s, not %d" % (steps, m.group(1).decode(), want[0])
            steps += 1
            continue
        m = VALUE.match(line)
        if m:
            if (want is None or want[1] != int(m.group(1))) and bad is None:
                bad = "step %d has the value %s, not %s" % (steps - 1, m.group(1).decode(),
                                                            want and want[1])
            want = (want[0], None) if want else None
            continue
        if EVENT.match(line):
            events += 1
        elif line.startswith(b'{"Call"'):
            calls += 1
        elif line.startswith(b'{"Return"'):
            returns += 1
    return p.returncode, p.stderr.decode(errors="replace").strip(), steps, calls, returns, events, bad


def main():
    rec, ctrec, work = sys.argv[1:4]
    kills = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = 0
    for k in range(kills):
        # from before the first timed flush to a second in
        delay = 0.15 + 0.85 * k / max(1, kills - 1)
        every = 3000 if k % 2 == 0 else 0
        d = os.path.join(work, "kill-%02d" % k)
        p = subprocess.Popen([rec, d, str(FLUSH_MS), str(every)], stdout=subprocess.PIPE)
        markers = []

        def collect(out=p.stdout, into=markers):
            for line in out:
                into.append(line.split())

        t = threading.Thread(target=collect)
        t.start()
        time.sleep(delay)
        t_kill = time.monotonic()
        p.kill()
        p.wait()
        t.join()
        last_f = max([int(m[1]) for m in markers if m[0] == b"F"], default=0)
        given = max([int(m[1]) for m in markers], default=0)
        old_t = max([int(m[1]) for m in markers
                     if m[0] == b"T" and float(m[2]) <= t_kill - FLUSH_MS / 1000 - SLACK],
                    default=0)
        need = max(last_f, old_t)
        problems = []
        if p.returncode != -9:
            problems.append("the recorder ended by itself (%s)" % p.returncode)
        if not os.path.exists(os.path.join(d, "trace.ct")):
            # killed before the writer was open (the recorder's start, slow
            # under ASan) is no loss; after a publication it is
            if need or given:
                problems.append("no trace.ct (%d steps given, %d published)" % (given, need))
            seen = 0
        else:
            rc, err, seen, calls, returns, events, bad = read_trace(ctrec, d)
            if rc != 0:
                problems.append("ctrec print of the killed trace: exit %d: %s" % (rc, err))
            if bad:
                problems.append("killed trace: " + bad)
            if seen < need:
                problems.append("%d steps read, but %d were published before the kill" % (seen, need))
            r = subprocess.run([ctrec, "repair", d], capture_output=True, text=True)
            if r.returncode != 0 or "repaired:" not in r.stdout:
                problems.append("ctrec repair: exit %d: %s %s" % (r.returncode, r.stdout.strip(),
                                                                   r.stderr.strip()))
            st = subprocess.run([ctrec, "stats", "--json", d], capture_output=True, text=True)
            want_calls, want_events, last_event = expectations(seen)
            if events != want_events and not (last_event and events == want_events - 1):
                problems.append("killed trace: %d I/O events, want %d%s" % (
                    events, want_events, " (or one less)" if last_event else ""))
            want_events = events  # repair keeps every published event, adds none
            try:
                j = json.loads(st.stdout)
                n = j["counts"]
                got = (j["complete"], n.get("Step", 0), n.get("Call", 0), n.get("Return", 0),
                       n.get("Event", 0))
            except (ValueError, KeyError) as ex:
                got = ("ctrec stats --json: exit %d, %s %s" % (st.returncode, ex, st.stderr.strip()),)
            if got != (True, seen, want_calls, want_calls, want_events):
                problems.append("repaired trace (complete, steps, calls, returns, events): %s, "
                                "want %s" % (got, (True, seen, want_calls, want_calls, want_events)))
            c = subprocess.run([ctrec, "check", d], capture_output=True, text=True)
            if c.returncode != 0:
                problems.append("ctrec check of the repaired trace: exit %d: %s" % (
                    c.returncode, c.stdout.strip()[-500:]))
            if os.path.exists(os.path.join(d, "trace.ct.calls~")):
                problems.append("the scratch file is still there after the repair")
        print("kill %2d after %4d ms (%s): given %7d, published F %7d, T-%.1fs %7d; read %7d%s" % (
            k, delay * 1000, "flush+timer" if every else "timer only", given, last_f,
            FLUSH_MS / 1000 + SLACK, old_t, seen, "" if not problems else ": FAILED"))
        for pr in problems:
            print("    " + pr)
        if problems:
            failures += 1
        else:
            shutil.rmtree(d, ignore_errors=True)
    print("FAILED: %d kills" % failures if failures else
          "every published step survived every kill, and repair completed each trace")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
