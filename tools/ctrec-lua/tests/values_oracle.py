#!/usr/bin/env python3
"""values_oracle.py -- differential test of the values ctrec-lua records.

  values_oracle.py [--inproc] [--formats bin,ct [--ctrec CTREC]] [--max-report N]
                   [-j JOBS] [--timeout SECONDS] CTREC_LUA LUA54 WORKDIR SCRIPT...

(the scripts are checked JOBS at a time, default: the number of CPUs)

SCRIPT is a path, optionally followed by its arguments after '=' separated
by commas (`bench/lua/fib.lua=18`). A path prefixed with '@' is compared in
process only (see --inproc): for scripts whose own behaviour depends on the
order of `next` (a loop over pairs), which differs between two runs; one
prefixed with '+' is compared both ways (--inproc for this script only).
A script's header lines may ask for more runs with other options, one run
per line:

  -- oracle-variant: --max-elements 7 --max-depth 2
  -- oracle-variant: --no-upvalues --max-string 5

(the default options are always run too; the options known are --max-depth,
--max-elements, --max-string and --no-upvalues).

For each script and variant:
1. `ctrec-lua --format json --values all OPTIONS -o DIR SCRIPT ARGS` records
   the run;
2. stock lua5.4 runs the script with LUA_INIT=@values_oracle.lua, a pure-Lua
   line hook that writes, at every line event, the ValueRecord ctrec-lua
   should write for each variable (values_oracle.lua says how);
3. the n-th recorded Step (leaving out the definition-line Step before each
   Call, as e2e.py does) is compared with the n-th line event of the oracle:
   same path and line, same variables in the same order, each value equal
   after the recorded one's type_id is resolved to its type (name, kind,
   Struct fields) and addresses ("0x...", also inside strings, on both
   sides) are blanked.
   The order of a "table(pairs)" Sequence is Lua's `next` order, which
   changes from run to run (string hashes are seeded), so its elements are
   compared sorted; a value whose content depends on that order (the oracle
   flags it: pairs or a long key scan in a value that ran out of budget) is
   counted, not compared, when it differs.
   --formats bin,ct also records the run (default options only) as
   trace.bin and trace.ct, converts them to JSON (`ctrec convert`) and
   compares them with the oracle the same way (for a .ct, whose Types keep
   only their names, without the kinds and Struct fields, and whose Bools
   carry a "text" as well). CTREC: the ctrec tool (default: next to
   CTREC_LUA).
   --inproc also runs the oracle inside the ctrec-lua run itself (LUA_INIT
   is honoured; debug.sethook is ctrec-lua's, which keeps the script's hook
   beside its own), where `next` gives the same order to both: there every
   value is compared exactly, order included. With --formats, such a run
   (every variant) is also recorded in each of those formats (where tables
   unchanged since a step are written again from the writer's memos),
   converted and compared exactly the same way.

A script of this test's own (named oracle_*.lua) must also exit 0 under
lua5.4: one that fails there fails the same way recorded, and the part
after its error would go untested.

Prints the first mismatches per script and exits 1 if there is any.
"""
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "values_oracle.lua")
TIMEOUT = 120  # seconds a run may take (--timeout); past it the script fails
ADDR = re.compile(r"0x[0-9a-fA-F]+|\(nil\)")

OPT_ENV = {
    "--max-depth": "CTREC_ORACLE_MAX_DEPTH",
    "--max-elements": "CTREC_ORACLE_MAX_ELEMENTS",
    "--max-string": "CTREC_ORACLE_MAX_STRING",
}


def run(cmd, env=None, cwd=None):
    exe = cmd[0]
    if os.path.basename(exe) == "lua5.4":
        cmd = ["lua5.4"] + cmd[1:]
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("LUA_INIT") or k.startswith("CTREC_ORACLE") or k == "CTREC_VALUES_OUT":
            del e[k]
    if env:
        e.update(env)
    try:
        p = subprocess.run(cmd, executable=exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=e, cwd=cwd, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # reported as the script's failure (no exit status matches it)
        return "timeout", b"", ("killed after %d s (--timeout)" % TIMEOUT).encode()
    return p.returncode, p.stdout, p.stderr


def variants_of(script):
    out = [[]]
    with open(script, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"--\s*oracle-variant:(.*)$", line.strip())
            if m:
                out.append(shlex.split(m.group(1)))
    return out


def oracle_env(opts):
    env = {}
    i = 0
    while i < len(opts):
        if opts[i] == "--no-upvalues":
            env["CTREC_ORACLE_NO_UPVALUES"] = "1"
            i += 1
        elif opts[i] in OPT_ENV:
            env[OPT_ENV[opts[i]]] = opts[i + 1]
            i += 2
        else:
            raise SystemExit("values_oracle.py: unknown variant option %r" % opts[i])
    return env


# ---- the recorded side ---------------------------------------------------

def load_resolved(trace_json, lossy=False):
    """The events of a trace.json, every ValueRecord's type_id replaced by
    the oracle's "type", "tk" (and "fields" for a Struct), addresses blanked
    (and, for a trace converted from a .ct, whose Types keep only their
    names, without "tk", "fields" and the "text" of a Bool)."""
    with open(trace_json, encoding="utf-8") as f:
        text = ADDR.sub("0x?", f.read())
    types = {}

    def hook(d):
        if "type_id" in d and "kind" in d and isinstance(d["kind"], str):
            t = types.get(d.pop("type_id"))
            if t is None:
                d["type"] = "<undefined type>"
                return d
            d["type"] = t[0]
            if not lossy:
                d["tk"] = t[1]
                if t[2] is not None:
                    d["fields"] = t[2]
            elif d["kind"] == "Bool":
                d.pop("text", None)
        return d

    def add(ev):
        if isinstance(ev, dict) and "Type" in ev:
            t = ev["Type"]
            si = t.get("specific_info") or {}
            fields = [f["name"] for f in si.get("fields", [])] if si.get("kind") == "Struct" else None
            types[len(types)] = (t["lang_type"], t["kind"], fields)
        return ev

    lines = text.split("\n")
    if lines and lines[0].strip() == "[":  # the writers' layout: one event a line
        try:
            events, memo = [], {}
            for line in lines[1:]:
                line = line.strip().rstrip(",")
                if line.startswith('{"Value"'):  # parsed once per distinct text
                    ev = memo.get(line)
                    if ev is None:
                        ev = memo[line] = json.loads(line, object_hook=hook)
                    events.append(ev)
                elif line and line != "]":
                    events.append(add(json.loads(line, object_hook=hook)))
            return events
        except ValueError:
            types.clear()
    events = json.loads(text)  # any other layout: types first, then the values
    for ev in events:
        add(ev)
    return json.loads(text, object_hook=hook)


def recorded_steps(trace_json, skip_path=None, lossy=False):
    """[(path, line, [(name, value)])] of the recorded Steps, without the
    definition-line Step of each Call and the argument Values before it."""
    events = load_resolved(trace_json, lossy)
    paths, names = [], []
    steps = []
    cur = None  # the vars list of the Step being read
    ncalls = 0
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            continue
        (kind, body), = ev.items()
        if kind == "Path":
            paths.append(os.path.realpath(body))
        elif kind == "VariableName":
            names.append(body)
        elif kind == "Step":
            # the definition-line Step of a Call: right before it (trace.json,
            # trace.bin), or before its argument Values (converted from a
            # .ct, where the first Step, the script's line 1, precedes the
            # top-level Call too)
            j = i + 1
            while j < len(events) and isinstance(events[j], dict) and \
                    next(iter(events[j])) in ("Value", "VariableName", "Type"):
                j += 1
            nxt = events[j] if j < len(events) else None
            if j > i + 1 and not (isinstance(nxt, dict) and "Call" in nxt):
                nxt = None
            if isinstance(nxt, dict) and "Call" in nxt and not (ncalls == 0 and not steps):
                nargs = len(nxt["Call"]["args"])
                if cur is not None and nargs and j == i + 1:
                    args = cur[-nargs:]
                    want = [names[a["variable_id"]] for a in nxt["Call"]["args"]]
                    if [a[0] for a in args] == want:
                        del cur[-nargs:]
                cur = None
                continue
            path = paths[body["path_id"]]
            if skip_path is not None and path == skip_path:
                cur = None
                continue
            cur = []
            steps.append((path, body["line"], cur))
        elif kind == "Value":
            if cur is not None:
                cur.append((names[body["variable_id"]], body["value"]))
        elif kind in ("Call", "Return"):
            if kind == "Call":
                ncalls += 1
            cur = None
    return steps


# ---- the oracle side -----------------------------------------------------

def oracle_steps(out_file):
    """[(path, line, [(name, value, nondet)])] of the oracle's output (the
    values parsed once per distinct text: most repeat from step to step)."""
    steps, memo, cur = [], {}, None
    with open(out_file, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 3)
            if parts[0] == "S":
                cur = []
                steps.append((os.path.realpath(json.loads(parts[1])), int(parts[2]), cur))
            elif parts[0] == "V":
                text = parts[3]
                v = memo.get(text)
                if v is None:
                    v = memo[text] = json.loads(ADDR.sub("0x?", text))
                cur.append((json.loads(parts[1]), v, parts[2] == "1"))
    return steps


def oracle_value(v, lossy=False):
    """The oracle's value without what the Types of a trace converted from
    a .ct do not keep: their kind and Struct fields."""
    if isinstance(v, list):
        return [oracle_value(x, lossy) for x in v]
    if not isinstance(v, dict):
        return v
    return {k: oracle_value(x, lossy) for k, x in v.items()
            if not (lossy and k in ("tk", "fields"))}


def canon_order(v):
    """v with the elements of every table(pairs) Sequence sorted (a last
    truncation marker stays last)."""
    if isinstance(v, list):
        return [canon_order(x) for x in v]
    if not isinstance(v, dict):
        return v
    out = {k: canon_order(x) for k, x in v.items()}
    if out.get("kind") == "Sequence" and out.get("type") == "table(pairs)":
        els = out["elements"]
        tail = []
        if els and els[-1].get("kind") == "Raw":
            tail = [els[-1]]
            els = els[:-1]
        out["elements"] = sorted(els, key=lambda e: json.dumps(e, sort_keys=True)) + tail
    return out


def short(v, n=600):
    s = json.dumps(v, sort_keys=False, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def compare(got, want, exact, label, max_report, lossy=False):
    """Mismatch texts (at most max_report), and the number of order-dependent
    values that differed and were not held against the recorder."""
    problems, nondet_skipped = [], 0
    if len(got) != len(want):
        problems.append("%s: %d recorded steps, %d oracle line events"
                        % (label, len(got), len(want)))
    for k in range(min(len(got), len(want))):
        (gp, gl, gv), (wp, wl, wv) = got[k], want[k]
        if (gp, gl) != (wp, wl):
            problems.append("%s: step #%d is %s:%d, the oracle's line event is %s:%d"
                            % (label, k, gp, gl, wp, wl))
            break
        gnames, wnames = [n for n, _ in gv], [n for n, _, _ in wv]
        if gnames != wnames:
            problems.append("%s: step #%d (line %d): variables %r recorded, %r expected"
                            % (label, k, gl, gnames, wnames))
            if len(problems) >= max_report:
                break
            continue
        for (name, g), (_, w, nondet) in zip(gv, wv):
            if lossy:
                w = oracle_value(w, lossy)
            if g == w:
                continue
            g2, w2 = (g, w) if exact else (canon_order(g), canon_order(w))
            if g2 == w2:
                continue
            if nondet and not exact:
                nondet_skipped += 1
                continue
            problems.append("%s: step #%d (%s:%d) variable %s:\n    recorded %s\n    expected %s"
                            % (label, k, os.path.basename(gp), gl, name, short(g2), short(w2)))
            if len(problems) >= max_report:
                return problems, nondet_skipped
    return problems, nondet_skipped


def check_script(ctrec_lua, lua, work, spec, inproc, max_report, formats=(), ctrec=None):
    only_inproc = spec.startswith("@")
    if only_inproc or spec.startswith("+"):
        spec, inproc = spec[1:], True
    script, _, argtext = spec.partition("=")
    args = argtext.split(",") if argtext else []
    script = os.path.abspath(script)
    name = os.path.basename(script)
    ctrec_tool = ctrec or os.path.join(os.path.dirname(ctrec_lua), "ctrec")
    problems = []
    summary = []
    for vi, opts in enumerate(variants_of(script)):
        label = name + (" [%s]" % " ".join(opts) if opts else "")
        d = os.path.join(work, "%s.%d" % (name, vi))
        os.makedirs(d, exist_ok=True)
        trace = os.path.join(d, "trace")
        out = os.path.join(d, "oracle.jsonl")
        env = oracle_env(opts)
        rec = run([ctrec_lua, "--format", "json", "--values", "all", "-o", trace] + opts
                  + [script] + args)
        env_o = dict(env, LUA_INIT="@" + ORACLE, CTREC_VALUES_OUT=out)
        ref = run([lua, script] + args, env=env_o)
        if rec[0] != ref[0] or rec[1] != ref[1] or rec[0] == "timeout":
            problems.append("%s: ctrec-lua exited %s, the oracle run %s, or stdout differs"
                            "\n  stderr: %s / %s" % (label, rec[0], ref[0],
                                                     rec[2][-300:], ref[2][-300:]))
            continue
        if ref[0] != 0 and name.startswith("oracle_"):
            # this test's own scripts are written to run to their end: one
            # that fails under lua5.4 too compares equal and leaves its rest
            # untested
            problems.append("%s: exits %s under lua5.4, not 0: %s" % (label, ref[0],
                                                                    ref[2][-300:]))
            continue
        got = recorded_steps(os.path.join(trace, "trace.json"))
        if not only_inproc:
            want = oracle_steps(out)
            p, skipped = compare(got, want, False, label, max_report)
            problems += p
            summary.append("%s: %d steps, %d values%s" % (
                label, len(got), sum(len(s[2]) for s in got),
                ", %d order-dependent values not compared" % skipped if skipped else ""))
        for fmt in formats if not only_inproc and vi == 0 else ():
            # the same run recorded as trace.bin / trace.ct, converted to JSON
            tf = os.path.join(d, "trace_" + fmt)
            conv = os.path.join(d, "trace_%s.json" % fmt)
            recf = run([ctrec_lua, "--format", fmt, "--values", "all", "-o", tf] + opts
                       + [script] + args)
            cv = run([ctrec_tool, "convert", tf, conv])
            if recf[0] != ref[0] or recf[0] == "timeout" or cv[0] != 0:
                problems.append("%s (%s): exit %s, convert %s: %s" % (
                    label, fmt, recf[0], cv[0], (recf[2] + cv[2])[-300:]))
                continue
            lossy = fmt == "ct"
            gotf = recorded_steps(conv, lossy=lossy)
            p, _ = compare(gotf, want, False, "%s (%s)" % (label, fmt), max_report, lossy)
            problems += p
            summary.append("%s (%s): %d steps" % (label, fmt, len(gotf)))
        # in process: trace.json, and each of --formats (every variant: the
        # writer's memos meet the limits there), where tables may be written
        # again from the writer's memos; each run has its own oracle output
        # (its own `next` order)
        for fmt in ["json"] + list(formats) if inproc else ():
            tag = " (inproc)" if fmt == "json" else " (inproc, %s)" % fmt
            trace2 = os.path.join(d, "trace_inproc_" + fmt)
            out2 = os.path.join(d, "oracle_inproc_%s.jsonl" % fmt)
            rec2 = run([ctrec_lua, "--format", fmt, "--values", "all", "-o", trace2] + opts
                       + [script] + args, env=dict(env, LUA_INIT="@" + ORACLE,
                                                   CTREC_VALUES_OUT=out2))
            if rec2[0] != ref[0] or rec2[0] == "timeout":
                problems.append("%s%s: exit %s: %s" % (label, tag, rec2[0], rec2[2][-300:]))
                continue
            conv2 = os.path.join(trace2, "trace.json")
            if fmt != "json":
                conv2 = os.path.join(d, "trace_inproc_%s.json" % fmt)
                cv = run([ctrec_tool, "convert", trace2, conv2])
                if cv[0] != 0:
                    problems.append("%s%s: convert %s: %s" % (label, tag, cv[0], cv[2][-300:]))
                    continue
            got2 = recorded_steps(conv2, skip_path=os.path.realpath(ORACLE), lossy=fmt == "ct")
            want2 = oracle_steps(out2)
            p, _ = compare(got2, want2, True, label + tag, max_report, fmt == "ct")
            problems += p
            summary.append("%s%s: %d steps, %d values" % (
                label, tag, len(want2), sum(len(s[2]) for s in want2)))
    return problems, summary


def main():
    argv = sys.argv[1:]
    inproc, max_report, formats, ctrec = False, 5, [], None
    jobs = os.cpu_count() or 1
    pos = []
    i = 0
    while i < len(argv):
        if argv[i] == "--inproc":
            inproc = True
            i += 1
        elif argv[i] == "--formats":
            formats = [f for f in argv[i + 1].split(",") if f]
            i += 2
        elif argv[i] == "-j":
            jobs = max(1, int(argv[i + 1]))
            i += 2
        elif argv[i] == "--ctrec":
            ctrec = argv[i + 1]
            i += 2
        elif argv[i] == "--timeout":
            global TIMEOUT
            TIMEOUT = int(argv[i + 1])
            i += 2
        elif argv[i] == "--max-report":
            max_report = int(argv[i + 1])
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    if len(pos) < 4:
        print(__doc__)
        return 2
    ctrec_lua, lua, work = pos[:3]
    os.makedirs(work, exist_ok=True)
    failed = 0
    specs = pos[3:]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda spec: check_script(ctrec_lua, lua, work, spec, inproc,
                                                          max_report, formats, ctrec), specs))
    for spec, (problems, summary) in zip(specs, results):
        if problems:
            failed += 1
            print("FAIL %s" % spec)
            for p in problems[:max_report * 4]:
                print("  " + p)
        else:
            for s in summary:
                print("ok %s" % s)
    if failed:
        print("%d script(s) with mismatches" % failed)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
