#!/usr/bin/python3
"""Build the normalized summary that ct_decode.py makes from a `.ct` file,
but from ctrec's own reading of it:

  ctrec_summary.py EVENTS.jsonl [STATS.json]
  ctrec_summary.py --ctrec PATH/TO/ctrec TRACE     (runs print and stats itself)

EVENTS.jsonl is the output of `ctrec print TRACE` (one JSON event per line, the
trace.json event model); STATS.json the output of `ctrec stats --json TRACE`
(its "metadata" object is the summary's metadata).

How the event sequence becomes the summary (the `.ct` event order contract of
the project brief: Step, its Values, the Calls entering at that step, the
Returns exiting at it, Events at their step):
- ids are table positions: Path, Function, Type, VariableName events are
  appended to their tables in order;
- a Step appends [path, line, column] (column null when the Step has none)
  and an empty value map; "the current step" is the index of the latest Step;
- a Value goes to the current step's map under its variable's name;
- a Call's entry step is the current step; its exit step is the current step
  when its Return comes (calls matched with a stack); parent = the call below
  it on the stack, depth = the stack height under it, children = the calls
  whose parent it is, in order;
- an Event (I/O) is recorded with the current step;
- thread events, raise/catch and other extensions go to lists of their own,
  each with the current step (EXTENSIONS below, spelled as docs/ct.md of the
  reader says: {"Raise": {"type_id", "message"}}, {"Catch": {"type_id"}});
  Values right after such a record are its values ("values_at_<kind>");
- a Return's "exception" goes to the call (docs/ct.md spelling).
-1 stands for "before the first step".
"""

import json
import subprocess
import sys

from ct_normalize import norm_value, write_summary

THREAD_EVENTS = {"ThreadStart": "thread_start", "ThreadSwitch": "thread_switch",
                 "ThreadExit": "thread_exit"}


def build(lines, stats=None):
    """Summary of `ctrec print` output lines (one JSON event per line)."""
    return build_events((json.loads(l) for l in lines if l.strip()), stats)


def build_events(evs, stats=None):
    """Summary of a sequence of events already parsed (dicts, or the bare
    string of a unit variant such as "DropLastStep")."""
    paths, funcs, types, varnames = [], [], [], []
    steps, values, calls, events = [], [], [], []
    extra = {}
    stack = []
    cur = -1
    before_first = {}

    def add_extra(key, item):
        extra.setdefault(key, []).append(item)

    pending = []   # values_at_<kind> entries still empty

    def open_special(kind):
        """Values after a raise/catch/thread record belong to it."""
        vals = []
        pending.append((kind, cur, vals))
        return vals
    special = None

    for ln, ev in enumerate(evs, 1):
        if isinstance(ev, str):
            name, body = ev, None
        else:
            if len(ev) != 1:
                raise ValueError("event %d: %d keys" % (ln, len(ev)))
            (name, body), = ev.items()
        if name == "Path":
            paths.append(body)
        elif name == "Function":
            funcs.append(body["name"])
        elif name == "Type":
            types.append(body["lang_type"])
        elif name in ("VariableName", "Variable"):
            varnames.append(body)
        elif name == "Step":
            special = None
            pid = body["path_id"]
            p = paths[pid] if pid < len(paths) else "#%d" % pid
            steps.append([p, body["line"], body.get("column")])
            values.append({})
            cur = len(steps) - 1
        elif name == "Value" and special is not None:
            # values of a raise/catch/thread record (docs/ct.md: every
            # steps.dat record has its values.dat record)
            vid = body["variable_id"]
            vname = varnames[vid] if vid < len(varnames) else "#%d" % vid
            special.append([vname, norm_value(body["value"], types)])
        elif name == "Value":
            vid = body["variable_id"]
            vname = varnames[vid] if vid < len(varnames) else "#%d" % vid
            target = values[cur] if cur >= 0 else before_first
            k, n = vname, 2
            while k in target:
                k = "%s#%d" % (vname, n)
                n += 1
            target[k] = norm_value(body["value"], types)
        elif name == "Call":
            special = None
            fid = body["function_id"]
            args = {}
            for a in body.get("args", []):
                vid = a["variable_id"]
                an = varnames[vid] if vid < len(varnames) else "#%d" % vid
                k, n = an, 2
                while k in args:
                    k = "%s#%d" % (an, n)
                    n += 1
                args[k] = norm_value(a["value"], types)
            c = {"function": funcs[fid] if fid < len(funcs) else "#%d" % fid,
                 "args": args, "return": None, "entry_step": cur, "exit_step": None,
                 "parent": stack[-1] if stack else None, "depth": len(stack)}
            calls.append(c)
            stack.append(len(calls) - 1)
        elif name == "Return":
            if not stack:
                add_extra("unmatched_returns", {"step": cur})
                continue
            c = calls[stack.pop()]
            rv = body.get("return_value") if isinstance(body, dict) else None
            c["return"] = None if rv is None else norm_value(rv, types)
            c["exit_step"] = cur
            for k, v in body.items():
                if k != "return_value":
                    c[k] = norm_value(v, types) if isinstance(v, dict) and "kind" in v else v
        elif name == "Event":
            events.append({"kind": body["kind"], "step": cur,
                           "metadata": body.get("metadata", ""),
                           "content": body.get("content", "")})
        elif name in THREAD_EVENTS:
            add_extra("threads", {"step": cur, "kind": THREAD_EVENTS[name], "thread_id": body})
            special = open_special(THREAD_EVENTS[name])
        elif name in EXTENSIONS:
            EXTENSIONS[name](body, cur, add_extra, types)
            if name in ("Raise", "Catch"):
                special = open_special(name.lower())
        else:
            add_extra("other_events", {"step": cur, "event": {name: body}})

    for kind, st, vals in pending:
        if vals:
            extra.setdefault("values_at_" + kind, []).append({"step": st, "values": vals})
    for i, c in enumerate(calls):
        c["children"] = []
    for i, c in enumerate(calls):
        if c["parent"] is not None:
            calls[c["parent"]]["children"].append(i)

    s = {"paths": paths, "functions": funcs, "types": types, "varnames": varnames,
         "steps": steps, "values": values, "calls": calls, "events": events}
    if before_first:
        s["values_before_first_step"] = before_first
    s.update(extra)
    if stats is not None:
        s["metadata"] = stats.get("metadata", {})
        # members the reader lists as read but not turned into events
        # (docs/ct.md: "spans.dat: 805 bytes, not turned into events")
        skipped = [n.split(":")[0] for n in stats.get("notes", [])
                   if "not turned into events" in n]
        if skipped:
            s["not_events"] = skipped
    return s


# Extensions of the event model for what trace.json cannot hold.  Until the
# reader's docs/ct.md fixes their spelling these are the expected shapes;
# each handler turns one into the entry ct_decode.py makes.
def _raise(body, cur, add, types):
    add("raises", {"step": cur, "type": _type(body, types), "message": body.get("message", "")})


def _catch(body, cur, add, types):
    add("catches", {"step": cur, "type": _type(body, types)})


def _type(body, types):
    if "type" in body:
        return body["type"]
    tid = body.get("type_id")
    return types[tid] if isinstance(tid, int) and tid < len(types) else "#%s" % (tid,)


def _span(body, cur, add, types):
    add("spans", body)


EXTENSIONS = {"Raise": _raise, "Catch": _catch, "Span": _span}


def run_ctrec(ctrec, trace):
    p = subprocess.run([ctrec, "print", trace], capture_output=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode("utf-8", "replace"))
        raise SystemExit("ctrec print %s failed (exit %d)" % (trace, p.returncode))
    lines = p.stdout.decode("utf-8").splitlines()
    q = subprocess.run([ctrec, "stats", "--json", trace], capture_output=True)
    if q.returncode != 0:
        sys.stderr.write(q.stderr.decode("utf-8", "replace"))
        raise SystemExit("ctrec stats --json %s failed (exit %d)" % (trace, q.returncode))
    return lines, json.loads(q.stdout)


def main(argv):
    if len(argv) == 4 and argv[1] == "--ctrec":
        lines, stats = run_ctrec(argv[2], argv[3])
    elif len(argv) in (2, 3):
        with open(argv[1], encoding="utf-8") as f:
            lines = f.read().splitlines()
        stats = None
        if len(argv) == 3:
            with open(argv[2], encoding="utf-8") as f:
                stats = json.load(f)
    else:
        sys.stderr.write(__doc__)
        return 2
    write_summary(build(lines, stats), sys.stdout.write)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
