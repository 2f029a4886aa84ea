#!/usr/bin/python3
"""contract_events.py TRACE.ct

Print the event sequence the project's `.ct` contract asks `ctrec print` to
give for TRACE.ct, as ct_decode.py reads it (one JSON event per line):
definitions in table order first (Path, Function, Type, VariableName; a
Function's path_id/line are not in the file: 0/0 here), then for each step:
Step (with "column" when the file has one), its Values, then the Calls
entering and the Returns exiting at that step in the order a live recording
emits them (a Call nested in the open call comes before that call's Return),
then the I/O Events and thread events of that step.  Calls and events before
the first step (step -1) come before it.

It exists to test ctrec_summary.py (its summary of this output must equal
ct_decode.py's summary) and as a readable model of the contract.  Values are
the normalized ones turned back into ValueRecords (type names back to ids,
floats as text, BigInt as base64), which is one valid spelling, not
necessarily the reader's.  Raise/Catch are spelled as docs/ct.md of the
reader says; spans are not emitted (the reader lists them as not events).
"""

import base64
import json
import sys

import ct_decode


def denorm(v, type_ids):
    if not isinstance(v, dict):
        return v
    out = {"kind": v["kind"]}
    for k, x in v.items():
        if k == "kind":
            continue
        if k == "type":
            out["type_id"] = type_ids.get(x, int(x[1:]) if str(x).startswith("#") else 0)
        elif v["kind"] == "BigInt" and k == "b":
            n = int(x)
            mag = abs(n).to_bytes(max(1, (abs(n).bit_length() + 7) // 8), "big")
            out["b"] = base64.b64encode(mag).decode()
            out["negative"] = n < 0
        elif k in ("elements", "field_values", "members"):
            out[k] = [denorm(e, type_ids) for e in x]
        elif k in ("contents", "dereferenced"):
            out[k] = denorm(x, type_ids)
        else:
            out[k] = x
    return out


def events(s):
    type_ids = {}
    for i, t in enumerate(s["types"]):
        type_ids.setdefault(t, i)
    var_ids = {}
    for i, n in enumerate(s["varnames"]):
        var_ids.setdefault(n, i)
    fun_ids = {}
    for i, n in enumerate(s["functions"]):
        fun_ids.setdefault(n, i)
    path_ids = {}
    for i, p in enumerate(s["paths"]):
        path_ids.setdefault(p, i)

    out = []
    for p in s["paths"]:
        out.append({"Path": p})
    for f in s["functions"]:
        out.append({"Function": {"path_id": 0, "line": 0, "name": f}})
    for t in s["types"]:
        out.append({"Type": {"kind": 16, "lang_type": t, "specific_info": {"kind": "None"}}})
    for n in s["varnames"]:
        out.append({"VariableName": n})

    def var_id(name):
        base = name.split("#")[0] if name not in var_ids else name
        return var_ids[base]

    calls = s["calls"]
    by_step = {}
    for e in s["events"]:
        by_step.setdefault(e["step"], []).append(("event", e))
    for t in s.get("threads", []):
        by_step.setdefault(t["step"], []).append(("thread", t))
    for r in s.get("raises", []):
        by_step.setdefault(r["step"], []).append(("raise", r))
    for r in s.get("catches", []):
        by_step.setdefault(r["step"], []).append(("catch", r))
    nxt = 0
    stack = []

    def calls_and_returns(i):
        nonlocal nxt
        while True:
            can_call = nxt < len(calls) and calls[nxt]["entry_step"] == i
            can_ret = bool(stack) and calls[stack[-1]]["exit_step"] == i
            if can_call and (not can_ret or calls[nxt]["parent"] == stack[-1]):
                c = calls[nxt]
                out.append({"Call": {"function_id": fun_ids[c["function"]], "args": [
                    {"variable_id": var_id(k), "value": denorm(v, type_ids) if v else
                     {"kind": "None", "type_id": 0}} for k, v in c["args"].items()]}})
                stack.append(nxt)
                nxt += 1
            elif can_ret:
                c = calls[stack.pop()]
                r = c["return"]
                out.append({"Return": {"return_value": None if r is None else denorm(r, type_ids)}})
            else:
                return

    def extras(i):
        for kind, e in by_step.get(i, []):
            if kind == "event":
                out.append({"Event": {"kind": e["kind"], "metadata": e["metadata"],
                                      "content": e["content"]}})
            elif kind == "raise":
                out.append({"Raise": {"type_id": type_ids[e["type"]], "message": e["message"]}})
            elif kind == "catch":
                out.append({"Catch": {"type_id": type_ids[e["type"]]}})
            else:
                name = {"thread_start": "ThreadStart", "thread_switch": "ThreadSwitch",
                        "thread_exit": "ThreadExit"}[e["kind"]]
                out.append({name: e["thread_id"]})

    calls_and_returns(-1)
    extras(-1)
    for i, st in enumerate(s["steps"]):
        step = {"path_id": path_ids[st[0]], "line": st[1]}
        if st[2] is not None:
            step["column"] = st[2]
        out.append({"Step": step})
        for name, v in s["values"][i].items():
            out.append({"Value": {"variable_id": var_id(name), "value": denorm(v, type_ids)}})
        calls_and_returns(i)
        extras(i)
    return out


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    for e in events(ct_decode.decode(argv[1])):
        sys.stdout.write(json.dumps(e, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
