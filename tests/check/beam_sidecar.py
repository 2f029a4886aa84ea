#!/usr/bin/python3
"""beam_sidecar.py CTREC FIXTURES WORKDIR

`ctrec check` on a .ct beside a BEAM recorder's trace_meta.json and
runtime_session.jsonl (ctrec_reader_ct_sidecar; docs/ct.md, "The BEAM
recorders' sidecar files"): the debugger reads those files before the
container, shows the log instead of the container when trace_meta.json's
recorder is a BEAM one, and fails its open when they are not JSON. The
container is fixtures/ctfs/elixir_plug_app.ct (the BEAM recorder's own
output) with two members added: mf.json (JSON) and bad.dat (not JSON), for
trace_meta.json's manifests to name. Each case: the exit status and the
exact sidecar diagnostic (or none).
"""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ct"))
from ctfs_container import Container  # noqa: E402
from make_synth_ct import Writer  # noqa: E402

BEAM = "codetracer-beam-recorder"
FIX_TAIL = ("keep a .ct away from a BEAM recorder's trace_meta.json and runtime_session.jsonl "
            "unless that log is the trace to show: the debugger shows the log, and the "
            "findings here are the container's")
REF_TAIL = ("make trace_meta.json, each manifest member it names and every line of "
            "runtime_session.jsonl JSON (UTF-8), or move those files away from the .ct: the "
            "debugger reads them first and its open fails on them")


def shows(n, recorder):
    return ("warning [ct-beam-sidecar]: the debugger builds this trace from "
            "runtime_session.jsonl beside it (%s; trace_meta.json's recorder is %s), not from "
            "the container; fix: %s" % (n, recorder, FIX_TAIL))


def refused(what):
    return "error [ct-beam-sidecar-refused]: %s; fix: %s" % (what, REF_TAIL)


def meta(recorder=BEAM, extra=""):
    return ('{"recorder": "%s"%s}' % (recorder, extra)).encode()


GOOD_LOG = b'{"event": "call"}\n\n {"event": "step"} \r\n'

# name, trace_meta.json (None: absent; a dict key "dir": a directory),
# runtime_session.jsonl, extra args, exit status, the diagnostic (None: no
# sidecar diagnostic)
CASES = [
    ("none", None, None, [], 0, None),
    ("meta-only", b"{", None, [], 0, None),
    ("log-only", None, b"{", [], 0, None),
    ("beam", meta(), GOOD_LOG, [], 0, shows("2 events", BEAM)),
    ("elixir-brand", meta("codetracer-elixir-recorder"), b'{"event":"call"}',
     [], 0, shows("1 event", "codetracer-elixir-recorder")),
    # blank lines by str::trim: tabs, form feeds, U+3000 and U+00A0
    ("blank-unicode", meta(), b'{"event":"call"}\n\t\x0c\xe3\x80\x80\xc2\xa0\n\n',
     [], 0, shows("1 event", BEAM)),
    ("empty-log", meta(), b"", [], 0, shows("0 events", BEAM)),
    # a line longer than the reader's first window (64 KiB), the last one
    # without a newline
    ("long-line", meta(), b'{"a": "' + b"y" * 200000 + b'"}\n{"b": 1}', [], 0,
     shows("2 events", BEAM)),
    ("other-recorder", meta("codetracer-python-recorder"), b"not json\n", [], 0, None),
    ("not-an-object", b"[1, 2]", b"not json\n", [], 0, None),
    ("recorder-not-string", b'{"recorder": 7}', b"not json\n", [], 0, None),
    ("repeated-recorder", b'{"recorder": "%s", "recorder": "x"}' % BEAM.encode(),
     b"not json\n", [], 0, None),
    ("meta-dir", "dir", GOOD_LOG, [], 0, None),
    ("meta-truncated", b'{"recorder":', GOOD_LOG, [], 1,
     refused("trace_meta.json is not JSON: the text ends inside the value")),
    ("meta-trailing", b'{} x', GOOD_LOG, [], 1,
     refused("trace_meta.json is not JSON: expected the end of the text after the JSON "
             "value, found 'x'")),
    ("meta-trailing-comma", b'{"recorder": "%s",}' % BEAM.encode(), GOOD_LOG, [], 1,
     refused("trace_meta.json is not JSON: expected a string, found '}'")),
    ("meta-control-char", b'{"recorder": "a\tb"}', GOOD_LOG, [], 1, "trace_meta.json is not JSON"),
    ("log-bad-line", meta(), b'{"event":"call"}\n{"a":1,}\n', [], 1,
     refused("runtime_session.jsonl line 2 is not JSON: expected a string, found '}'")),
    ("log-two-values", meta(), b'{"event":"call"}\n\n{} {}\n', [], 1,
     refused("runtime_session.jsonl line 3 is not JSON: expected the end of the text after "
             "the JSON value, found '{'")),
    ("log-not-utf8", meta(), b'{"event":"call"}\n"\xff"\n', [], 1,
     refused("runtime_session.jsonl line 2 is not UTF-8")),
    ("log-last-line-bad", meta(), b'{"event":"call"}\n{', [], 1,
     refused("runtime_session.jsonl line 2 is not JSON: the text ends inside the value")),
    ("manifest-json", meta(extra=', "manifests": [{"trace_copy_path": "mf.json"}, 7, '
                             '{"trace_copy_path": "missing.json"}, {"trace_copy_path": 3}]'),
     GOOD_LOG, [], 0, shows("2 events", BEAM)),
    ("manifest-not-json", meta(extra=', "manifests": [{"trace_copy_path": "mf.json"}, '
                                 '{"trace_copy_path": "bad.dat"}]'),
     GOOD_LOG, [], 1,
     refused("the manifest member bad.dat (trace_meta.json's trace_copy_path) is not JSON: "
             "expected a value, found byte 0x01")),
    ("manifest-meta-dat", meta(extra=', "manifests": [{"trace_copy_path": "meta.dat"}]'),
     GOOD_LOG, [], 1, "the manifest member meta.dat (trace_meta.json's trace_copy_path) is not JSON"),
    # serde_json keeps a repeated key's last value: the bad manifest is gone
    ("manifests-repeated", meta(extra=', "manifests": [{"trace_copy_path": "bad.dat"}], '
                                  '"manifests": []'),
     GOOD_LOG, [], 0, shows("2 events", BEAM)),
    # a trace_meta.json of exactly the bound is read whole
    ("meta-at-bound", meta().ljust(65536), GOOD_LOG, ["--max-event", "65536"], 0,
     shows("2 events", BEAM)),
    ("meta-over-bound", meta().ljust(65537), GOOD_LOG, ["--max-event", "65536"], 3,
     "warning [event-over-bound]: trace_meta.json is 65537 bytes, over the 65536-byte bound; "
     "fix: check again with a larger bound (ctrec check --max-event BYTES): the BEAM sidecar "
     "files were not checked past it"),
    # (64 KiB: the container's events.log chunk is under it)
    ("log-over-bound", meta(), b'{"event":"call"}\n{"a": "' + b"x" * 70000 + b'"}\n{\n',
     ["--max-event", "65536"], 3,
     "warning [event-over-bound]: runtime_session.jsonl line 2 is over the 65536-byte bound: "
     "not checked past it; fix: check again with a larger bound (ctrec check --max-event "
     "BYTES): the BEAM sidecar files were not checked past it"),
]


def build_ct(fixtures, out):
    src = Container(os.path.join(fixtures, "ctfs", "elixir_plug_app.ct"))
    w = Writer()
    for _, name, _, _ in src.entries:
        w.add(name, src.read(name))
    w.add("mf.json", b'{"locations": [{"id": 1, "build_path": "/a.ex", "line": 3}]}\n')
    w.add("bad.dat", b"\x01\x02 not json")
    with open(out, "wb") as f:
        f.write(w.bytes())


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    ctrec, fixtures, work = argv[1:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ct = os.path.join(work, "trace.ct")
    build_ct(fixtures, ct)
    fails = 0
    for name, meta_text, log, args, status, diag in CASES:
        d = os.path.join(work, name)
        os.makedirs(d)
        shutil.copy(ct, os.path.join(d, "trace.ct"))
        if meta_text == "dir":
            os.makedirs(os.path.join(d, "trace_meta.json"))
        elif meta_text is not None:
            with open(os.path.join(d, "trace_meta.json"), "wb") as f:
                f.write(meta_text)
        if log is not None:
            with open(os.path.join(d, "runtime_session.jsonl"), "wb") as f:
                f.write(log)
        for target in (d, os.path.join(d, "trace.ct")):
            r = subprocess.run([ctrec, "check"] + args + [target], capture_output=True)
            out = r.stdout.decode("utf-8", "replace")
            lines = [ln for ln in out.splitlines()
                     if "ct-beam-sidecar" in ln or "[event-over-bound]" in ln]
            want = []
            if diag is not None:
                want = [ln for ln in lines if diag in ln] if not diag.startswith(("warning", "error")) \
                    else [os.path.join(d, "trace.ct") + ": " + diag]
            ok = r.returncode == status and lines == want and (diag is None or want)
            if not ok:
                fails += 1
                print("FAIL %s (%s): exit %d, want %d\n  got:  %r\n  want: %r\n%s"
                      % (name, target, r.returncode, status, lines, want, out))
    # ctrec stats names the route (text and --json), and nothing without one
    import json
    for name, route in (("beam", "beam"), ("log-bad-line", "refused"), ("none", None),
                        ("other-recorder", None)):
        d = os.path.join(work, name)
        r = subprocess.run([ctrec, "stats", "--json", d], capture_output=True)
        got = json.loads(r.stdout).get("sidecar_route") if r.returncode == 0 else r.returncode
        t = subprocess.run([ctrec, "stats", d], capture_output=True).stdout.decode()
        lines = [ln for ln in t.splitlines() if ln.startswith("sidecar ")]
        want = [] if route is None else ["sidecar         %s: " % route]
        if got != route or len(lines) != len(want) or (want and not lines[0].startswith(want[0])):
            fails += 1
            print("FAIL stats %s: sidecar_route %r, want %r; text %r" % (name, got, route, lines))
    print("%d cases, %d failures" % (len(CASES), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
