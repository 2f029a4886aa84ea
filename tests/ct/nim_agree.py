#!/usr/bin/python3
"""nim_agree.py DUMP.jsonl TRACE.ct

Check ct_decode.py against the reference Nim reader: DUMP.jsonl is what the
verification tool `nim-ct-dump` (built outside the project from
metacraft-labs/codetracer-trace-format-nim, see /work/refs/README.md on the
development machine; never a dependency of the tests) printed for TRACE.ct
through the `ct_reader_*` functions the debugger links.  The dump is turned
into the summary shape of ct_decode.py and the two are compared with
compare.py.  Exit 0 when they agree.

Mapping of the dump: its "step" records are exec events (position steps and
thread/raise/catch events alike, as the reference counts them); position
events (absolute_step, delta_step, delta_column) become steps, the others go
to the threads/raises/catches lists with the index of the latest position
step, and call entry/exit and I/O event steps are mapped the same way.
Values: the dump renders CBOR generically ({"bytes": hex} for byte strings,
{"tag": n, "value": v} for tags, "NaN"/"inf"/"-inf" for non-finite floats);
those are turned back before normalizing.  A return value whose bytes are
the one byte FF is "no value".  I/O event kinds: the FFI gives only the
reference's four classes (stdout/stderr/file_op/error), so ct_decode.py's
EventLogKind number is compared through the same classing.  Not in the dump,
so not compared: spans, span types, step map, source views, I/O event kinds
beyond the class.
"""

import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cbor2            # noqa: E402
import compare          # noqa: E402
import ct_decode        # noqa: E402
from ct_normalize import norm_value  # noqa: E402

POSITION = ("absolute_step", "delta_step", "delta_column")


def kind_class(k):
    """The Nim reader's ordinalToIOEventKind."""
    if k in (0, 1, 2):
        return "stdout"
    if 3 <= k <= 10:
        return "file_op"
    if k == 11:
        return "error"
    if k in (12, 13):
        return "stderr"
    return "stdout"


def unrender(v):
    if isinstance(v, dict):
        if set(v) == {"bytes"}:
            return bytes.fromhex(v["bytes"])
        if set(v) == {"tag", "value"}:
            return cbor2.CBORTag(v["tag"], unrender(v["value"]))
        out = {k: unrender(x) for k, x in v.items()}
        if out.get("kind") == "Float" and isinstance(out.get("f"), str):
            out["f"] = {"NaN": math.nan, "inf": math.inf, "-inf": -math.inf}[out["f"]]
        return out
    if isinstance(v, list):
        return [unrender(x) for x in v]
    return v


def from_dump(lines):
    recs = [json.loads(l) for l in lines if l.strip()]
    by = {}
    for r in recs:
        by.setdefault(r["type"], []).append(r)
    meta = by.get("meta_dat", [{}])[0]
    md = by.get("metadata", [{}])[0]
    column_aware = bool(md.get("has_column_aware_steps"))
    paths = [p["path"] for p in by.get("path", [])]
    types = [t["name"] for t in by.get("type", [])]
    s = {"paths": paths,
         "functions": [f["name"] for f in by.get("function", [])],
         "types": types,
         "varnames": [v["name"] for v in by.get("varname", [])]}
    steps, values, exec_to_step = [], [], []
    extra = {"threads": [], "raises": [], "catches": []}
    cur = -1
    for st in by.get("step", []):
        ev = st["event"]
        if ev["kind"] in POSITION:
            steps.append([st["path"], st["line"], st.get("column") if column_aware else None])
            vals = {}
            for v in st["values"]:
                k, n = v["name"], 2
                while k in vals:
                    k = "%s#%d" % (v["name"], n)
                    n += 1
                vals[k] = norm_value(unrender(v["value"]), types)
            values.append(vals)
            cur = len(steps) - 1
        elif ev["kind"].startswith("thread_"):
            extra["threads"].append({"step": cur, "kind": ev["kind"], "thread_id": ev["thread_id"]})
        elif ev["kind"] == "raise":
            t = ev["exception_type_id"]
            extra["raises"].append({"step": cur, "type": types[t] if t < len(types) else "#%d" % t,
                                    "message": bytes(ev["message"]).decode("utf-8", "replace")})
        elif ev["kind"] == "catch":
            t = ev["catch_exception_type_id"] if "catch_exception_type_id" in ev \
                else ev["exception_type_id"]
            extra["catches"].append({"step": cur,
                                     "type": types[t] if t < len(types) else "#%d" % t})
        if ev["kind"] not in POSITION and st["values"]:
            # values recorded at a raise/catch/thread record: ct_decode.py
            # keeps them apart as values_at_<kind> (name, value) pairs
            extra.setdefault("values_at_" + ev["kind"], []).append(
                {"step": cur, "values": [[v["name"], norm_value(unrender(v["value"]), types)]
                                         for v in st["values"]]})
        exec_to_step.append(cur)

    def m(i):
        return exec_to_step[i] if i < len(exec_to_step) else {"out_of_range": i}

    calls = []
    for c in by.get("call", []):
        args = {}
        for a in c["args"]:
            args[a["name"]] = norm_value(unrender(a["value"]), types) if a.get("hex") else None
        ret = norm_value({"kind": "None", "type_id": 0}, types) \
            if c["return_value_hex"] in ("", "ff") else norm_value(unrender(c["return_value"]), types)
        d = {"function": c["function"], "args": args, "return": ret,
             "entry_step": c["entry_step"], "exit_step": c["exit_step"],
             "parent": None if c["parent"] < 0 else c["parent"], "depth": c["depth"]}
        if c.get("exception_hex"):
            d["exception"] = norm_value(unrender(c["exception"]), types)
        d["children"] = c["children"]
        calls.append(d)
    # the same presentation of entry/exit as ct_decode.py (docs/ct.md order)
    ct_decode.announce_calls(calls, exec_to_step, len(exec_to_step), [])
    events = [{"kind": e["kind"], "step": m(e["step"]), "metadata": e.get("metadata_internal", ""),
               "content": e["content"]} for e in by.get("io_event", [])]
    s.update(steps=steps, values=values, calls=calls, events=events)
    for k, v in extra.items():
        if v:
            s[k] = v
    s["metadata"] = {k: meta[k] for k in ("recording_id", "program", "args", "workdir",
                                          "recorder_id", "paths") if k in meta}
    if "flags" in meta:
        s["metadata"]["meta_flags"] = meta["flags"]
    verdict = by.get("verdict", [{}])[0]
    return s, verdict, by.get("error", [])


def comparable_decoded(a):
    a = dict(a)
    for k in ("spans", "source_views", "span_types", "step_map"):
        a.pop(k, None)
    a["events"] = [dict(e, kind=kind_class(e["kind"])) for e in a["events"]]
    a["metadata"] = {k: v for k, v in a["metadata"].items()
                     if k in ("recording_id", "program", "args", "workdir", "recorder_id",
                              "paths", "meta_flags")}
    return a


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        b, verdict, errors = from_dump(f.read().splitlines())
    a = comparable_decoded(ct_decode.decode(argv[2]))
    print("A = ct_decode.py %s\nB = nim-ct-dump %s (verdict %s, %d accessor errors)"
          % (argv[2], argv[1], verdict.get("result"), len(errors)))
    d = compare.compare(a, b, 25)
    for n in d.notes:
        print("note: " + n)
    if d.count:
        print("DIFFER: %d difference(s)" % d.count)
        return 1
    print("agree: %d steps, %d calls, %d events, values of every step"
          % (len(a["steps"]), len(a["calls"]), len(a["events"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
