#!/usr/bin/python3
"""compare.py A.json B.json [--max N] [--names A_NAME B_NAME]

Diff two normalized trace summaries (from ct_decode.py and ctrec_summary.py)
and print the first differences precisely: which table entry, which step and
which variable, which call and which field.  Exit 0 when equal, 1 when not,
2 on usage errors.

Compared: paths, functions, types, varnames, steps, values (per step, per
variable), calls (function, args, return, entry/exit step, parent, depth,
children, exception), events, and every other list either side has (threads,
raises, catches, spans, ...).  Metadata: recording_id, program, args, workdir
and recorder_id must be equal; any other key both sides have must be equal;
a key only one side has is listed as a note (the spelling of the optional
meta.dat fields in `ctrec stats` is the reader's choice).  Not compared:
layout, container, members, notes (facts about the file, not the trace).
Spans, span types, the step map and source views that only A has are accepted (as a note) when B's
`ctrec stats` notes list their member as "not turned into events", as
docs/ct.md of the reader says it does.
"""

import json
import sys

# step_map: ctrec reads step-map.ns through ctrec_reader_line_steps, not as
# events; test_step_map.py compares it with ct_decode.py.
NOT_COMPARED = {"layout", "container", "members", "notes", "metadata", "not_events",
                "step_map"}
# A summary key of ct_decode.py that ctrec, by docs/ct.md, does not turn into
# events, and the member whose mention in `ctrec stats` notes says so.
DECLARED_NOT_EVENTS = {"spans": "spans.dat", "source_views": "srcviews.dat",
                       "span_types": "spantype.ns", "step_map": "step-map.ns"}
CORE_METADATA = ("recording_id", "program", "args", "workdir", "recorder_id")
# ct_decode.py keeps these details of meta.dat that are not trace metadata.
DECODER_ONLY_METADATA = {"meta_version", "flag_names"}


class Diff:
    def __init__(self, limit):
        self.limit = limit
        self.count = 0
        self.notes = []

    def add(self, msg):
        self.count += 1
        if self.count <= self.limit:
            print("DIFF " + msg)

    def note(self, msg):
        self.notes.append(msg)


def show(v):
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= 300 else s[:297] + "..."


def value_diff(a, b, path=""):
    """Where two normalized values first differ (a path like .elements[2].i)."""
    if type(a) != type(b):
        return path or "."
    if isinstance(a, dict):
        for k in list(a.keys()) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return "%s.%s (only in %s)" % (path, k, "A" if k in a else "B")
            d = value_diff(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s (length %d vs %d)" % (path or ".", len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = value_diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else (path or ".")


def cmp_table(d, name, a, b):
    if a == b:
        return
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            d.add("%s[%d]: A %s, B %s" % (name, i, show(x), show(y)))
            break
    if len(a) != len(b):
        d.add("%s: A has %d entries, B %d%s" % (
            name, len(a), len(b),
            "; first extra: %s" % show((a if len(a) > len(b) else b)[min(len(a), len(b))])))


def cmp_steps(d, a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            d.add("step %d: A %s, B %s" % (i, show(x), show(y)))
    if len(a) != len(b):
        d.add("steps: A has %d, B %d" % (len(a), len(b)))


def cmp_values(d, a, b, steps):
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        where = "step %d%s" % (i, " (%s:%s)" % (steps[i][0], steps[i][1]) if i < len(steps) else "")
        for k in list(x.keys()) + [k for k in y if k not in x]:
            if k not in y:
                d.add("%s: variable %r only in A = %s" % (where, k, show(x[k])))
            elif k not in x:
                d.add("%s: variable %r only in B = %s" % (where, k, show(y[k])))
            elif x[k] != y[k]:
                d.add("%s: variable %r differs at %s: A %s, B %s"
                      % (where, k, value_diff(x[k], y[k]), show(x[k]), show(y[k])))
        if list(x.keys()) != list(y.keys()) and set(x) == set(y):
            d.add("%s: variables in another order: A %s, B %s" % (where, list(x), list(y)))
    if len(a) != len(b):
        d.add("values: A has %d steps, B %d" % (len(a), len(b)))


def cmp_records(d, name, a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        label = "%s %d" % (name, i)
        if isinstance(x, dict) and "function" in x:
            label += " (%s)" % x["function"]
        if not (isinstance(x, dict) and isinstance(y, dict)):
            d.add("%s: A %s, B %s" % (label, show(x), show(y)))
            continue
        for k in list(x.keys()) + [k for k in y if k not in x]:
            if k not in y:
                d.add("%s: field %r only in A = %s" % (label, k, show(x[k])))
            elif k not in x:
                d.add("%s: field %r only in B = %s" % (label, k, show(y[k])))
            elif x[k] != y[k]:
                if k == "args" and isinstance(x[k], dict) and isinstance(y[k], dict):
                    for an in list(x[k]) + [an for an in y[k] if an not in x[k]]:
                        if x[k].get(an, "<absent>") != y[k].get(an, "<absent>"):
                            d.add("%s: argument %r: A %s, B %s" % (
                                label, an, show(x[k].get(an, "<absent>")),
                                show(y[k].get(an, "<absent>"))))
                    if set(x[k]) == set(y[k]) and list(x[k]) != list(y[k]):
                        d.add("%s: arguments in another order: A %s, B %s"
                              % (label, list(x[k]), list(y[k])))
                else:
                    vd = value_diff(x[k], y[k]) if isinstance(x[k], (dict, list)) else None
                    d.add("%s: %s%s: A %s, B %s" % (label, k, " at " + vd if vd else "",
                                                  show(x[k]), show(y[k])))
    if len(a) != len(b):
        d.add("%s: A has %d, B %d" % (name, len(a), len(b)))


def cmp_metadata(d, a, b):
    # A core field a layout does not have (meta.json has no recording_id or
    # recorder_id) is the same as an empty one: "" for text, [] for args.
    for k in CORE_METADATA:
        empty = [] if k == "args" else ""
        if a.get(k, empty) != b.get(k, empty):
            d.add("metadata %s: A %s, B %s" % (k, show(a.get(k, "<absent>")),
                                               show(b.get(k, "<absent>"))))
    for k in a:
        if k in CORE_METADATA or k in DECODER_ONLY_METADATA:
            continue
        if k in b:
            if a[k] != b[k]:
                d.add("metadata %s: A %s, B %s" % (k, show(a[k]), show(b[k])))
        else:
            d.note("metadata %s only in A: %s" % (k, show(a[k])))
    for k in b:
        if k not in a and k not in CORE_METADATA:
            d.note("metadata %s only in B: %s" % (k, show(b[k])))


def compare(a, b, limit=20):
    d = Diff(limit)
    for t in ("paths", "functions", "types", "varnames"):
        cmp_table(d, t, a.get(t, []), b.get(t, []))
    cmp_steps(d, a.get("steps", []), b.get("steps", []))
    cmp_values(d, a.get("values", []), b.get("values", []), a.get("steps", []))
    cmp_records(d, "call", a.get("calls", []), b.get("calls", []))
    cmp_records(d, "event", a.get("events", []), b.get("events", []))
    done = {"paths", "functions", "types", "varnames", "steps", "values", "calls", "events"}
    for k in list(a.keys()) + [k for k in b if k not in a]:
        if k in done or k in NOT_COMPARED:
            continue
        if k in a and k not in b and DECLARED_NOT_EVENTS.get(k) in b.get("not_events", []):
            d.note("%s: %d entries in A; B's stats list %s as not turned into events"
                   % (k, len(a[k]), DECLARED_NOT_EVENTS[k]))
            continue
        if k not in a or k not in b:
            v = a.get(k, b.get(k))
            d.add("%s: only in %s (%s)" % (k, "A" if k in a else "B",
                                           "%d entries" % len(v) if isinstance(v, list) else show(v)))
            continue
        if isinstance(a[k], list) and isinstance(b[k], list):
            cmp_records(d, k, a[k], b[k])
        elif a[k] != b[k]:
            d.add("%s: A %s, B %s" % (k, show(a[k]), show(b[k])))
    if "metadata" in a or "metadata" in b:
        cmp_metadata(d, a.get("metadata", {}), b.get("metadata", {}))
    return d


def main(argv):
    args = argv[1:]
    limit = 20
    names = ("A", "B")
    if "--max" in args:
        i = args.index("--max")
        limit = int(args[i + 1])
        del args[i:i + 2]
    if "--names" in args:
        i = args.index("--names")
        names = (args[i + 1], args[i + 2])
        del args[i:i + 3]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], encoding="utf-8") as f:
        a = json.load(f)
    with open(args[1], encoding="utf-8") as f:
        b = json.load(f)
    print("A = %s (%s), B = %s (%s)" % (names[0], args[0], names[1], args[1]))
    d = compare(a, b, limit)
    for n in d.notes:
        print("note: " + n)
    if d.count:
        if d.count > limit:
            print("... %d differences in all (first %d shown)" % (d.count, limit))
        else:
            print("%d difference(s)" % d.count)
        return 1
    print("equal: %d steps, %d calls, %d events" % (
        len(a.get("steps", [])), len(a.get("calls", [])), len(a.get("events", []))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
