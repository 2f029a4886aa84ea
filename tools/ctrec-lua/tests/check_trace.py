#!/usr/bin/env python3
"""check_trace.py -- checks that a trace.json folder is well-formed, with the
rules of FORMAT.md section 5 (until `ctrec check` exists):

  - it parses; every event has one known variant;
  - it opens with Path, Function <toplevel>, Call 0, Type None;
  - ids (paths, functions, types, variable names) are defined before use;
  - Struct values have as many fields as their type; nesting <= 60;
  - no Step before the first Call, at least one Step;
  - Calls and Returns balance: no Return without an open call (the
    top-level call excepted) and, at the end, only the top-level call open;
  - trace_paths.json lists the Path events; trace_metadata.json has the keys.

Usage: check_trace.py TRACE_DIR [--expect-error]   (exit status 1 on errors)
As a module: load(dir) -> events, check(dir) -> list of error strings.
"""
import json
import os
import sys

VARIANTS = {
    "Step", "Path", "VariableName", "Variable", "Type", "Value", "Function", "Call",
    "Return", "Event", "Asm", "BindVariable", "Assignment", "DropVariables",
    "CompoundValue", "CellValue", "AssignCompoundItem", "AssignCell", "VariableCell",
    "DropVariable", "ThreadStart", "ThreadExit", "ThreadSwitch", "DropLastStep",
}


def load(trace_dir):
    with open(os.path.join(trace_dir, "trace.json"), encoding="utf-8") as f:
        return json.load(f)


def check(trace_dir, expect_error=False):
    errors = []
    try:
        events = load(trace_dir)
    except (OSError, ValueError) as e:
        return ["trace.json does not parse: %s" % e]
    if not isinstance(events, list):
        return ["trace.json is not an array"]

    paths, functions, types, variables = [], [], [], []
    depth = 0          # open calls, the top-level one included
    steps = 0
    called = False
    last_error_event = None

    def err(i, msg):
        if len(errors) < 50:
            errors.append("event %d: %s" % (i, msg))

    def check_value(i, v, level):
        if level > 60:
            err(i, "value nested deeper than 60 levels")
            return
        if not isinstance(v, dict) or "kind" not in v:
            err(i, "not a ValueRecord: %r" % (v,))
            return
        kind = v["kind"]
        if kind != "Cell":
            t = v.get("type_id")
            if not isinstance(t, int) or t >= len(types):
                err(i, "type id %r not defined" % (t,))
                return
        if kind in ("Sequence", "Tuple"):
            for e in v["elements"]:
                check_value(i, e, level + 1)
        elif kind == "Struct":
            info = types[v["type_id"]]["specific_info"]
            if info.get("kind") != "Struct":
                err(i, "Struct value of a type without Struct info")
            elif len(info["fields"]) != len(v["field_values"]):
                err(i, "Struct with %d values for %d fields"
                    % (len(v["field_values"]), len(info["fields"])))
            for e in v["field_values"]:
                check_value(i, e, level + 1)
        elif kind in ("Variant",):
            check_value(i, v["contents"], level + 1)
        elif kind == "Reference":
            check_value(i, v["dereferenced"], level + 1)
        elif kind == "Float":
            if not isinstance(v["f"], str):
                err(i, "float not written as a string")
        elif kind == "String":
            if not isinstance(v["text"], str):
                err(i, "String without text")

    def var(i, vid):
        if not isinstance(vid, int) or vid >= len(variables):
            err(i, "variable id %r not defined" % (vid,))

    for i, ev in enumerate(events):
        if ev == "DropLastStep":
            err(i, "DropLastStep is not supported by the debugger")
            continue
        if not isinstance(ev, dict) or len(ev) != 1:
            err(i, "not a one-key object: %r" % (ev,))
            continue
        (name, body), = ev.items()
        if name not in VARIANTS:
            err(i, "unknown variant %s" % name)
            continue
        if name == "Path":
            paths.append(body)
        elif name in ("VariableName", "Variable"):
            variables.append(body)
        elif name == "Type":
            info = body.get("specific_info", {})
            if info.get("kind") == "Struct":
                for fld in info["fields"]:
                    if fld["type_id"] >= len(types):
                        err(i, "field type %r not defined" % fld["type_id"])
            types.append(body)
        elif name == "Function":
            if body["path_id"] >= len(paths):
                err(i, "function path id not defined")
            functions.append(body)
        elif name == "Step":
            if not called:
                err(i, "Step before the first Call")
            if body["path_id"] >= len(paths):
                err(i, "step path id %r not defined" % body["path_id"])
            steps += 1
            last_error_event = None
        elif name == "Value":
            var(i, body["variable_id"])
            check_value(i, body["value"], 1)
        elif name == "Call":
            if body["function_id"] >= len(functions):
                err(i, "function id %r not defined" % body["function_id"])
            for a in body["args"]:
                var(i, a["variable_id"])
                check_value(i, a["value"], 1)
            called = True
            depth += 1
        elif name == "Return":
            check_value(i, body["return_value"], 1)
            if depth <= 1:
                err(i, "Return without an open call")
            else:
                depth -= 1
        elif name == "Event":
            if not (0 <= body["kind"] <= 13):
                err(i, "bad event kind %r" % body["kind"])
            if body["kind"] == 11:
                last_error_event = i
        elif name in ("ThreadStart", "ThreadExit", "ThreadSwitch", "BindVariable",
                      "Assignment", "DropVariables"):
            err(i, "%s is not supported by released debuggers" % name)

    opening = [list(e.keys())[0] if isinstance(e, dict) else e for e in events[:4]]
    if opening != ["Path", "Function", "Call", "Type"]:
        errors.append("the trace does not open with Path, Function, Call, Type: %r" % opening)
    elif (events[1]["Function"]["name"] != "<toplevel>" or events[2]["Call"]["function_id"] != 0
          or events[3]["Type"]["kind"] != 30):
        errors.append("bad opening events")
    if steps == 0:
        errors.append("no Step")
    if depth != 1:
        errors.append("%d calls still open at the end (the top-level one excepted)" % (depth - 1))
    if expect_error and last_error_event is None:
        errors.append("no Error event after the last step")
    if not expect_error and any(isinstance(e, dict) and "Event" in e and e["Event"]["kind"] == 11
                                for e in events):
        errors.append("an Error event in a run that did not fail")

    try:
        with open(os.path.join(trace_dir, "trace_paths.json"), encoding="utf-8") as f:
            if json.load(f) != paths:
                errors.append("trace_paths.json differs from the Path events")
        with open(os.path.join(trace_dir, "trace_metadata.json"), encoding="utf-8") as f:
            meta = json.load(f)
            for k in ("recording_id", "workdir", "program", "args"):
                if k not in meta:
                    errors.append("trace_metadata.json has no %s" % k)
    except (OSError, ValueError) as e:
        errors.append("metadata: %s" % e)
    for p in paths:
        if p.startswith("/") and os.path.exists(p):
            if not os.path.isfile(os.path.join(trace_dir, "files", p.lstrip("/"))):
                errors.append("source %s not copied into files/" % p)
    return errors


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    errors = check(args[0], "--expect-error" in sys.argv)
    for e in errors:
        print("check_trace: %s: %s" % (args[0], e), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
