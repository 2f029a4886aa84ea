#!/usr/bin/env python3
"""bin_stream_damage.py CTREC WORK

An older-layout .ct whose events.log is trace.bin's header and seekable
stream (make_log_ct.py --bin-stream), damaged: ctrec print and check must
say exactly what is wrong and where, print every event before the damage,
and ct_decode.py must refuse the same files. Whole, with a meta.dat: read,
and refused by check as the debugger refuses it (ct-events-log-stream)."""
import os
import shutil
import subprocess
import sys

import ct_decode
from ctfs_container import CtError

HERE = os.path.dirname(os.path.abspath(__file__))
ctrec, work = sys.argv[1:3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def make(name, *args):
    path = os.path.join(work, name + ".ct")
    subprocess.run([sys.executable, os.path.join(HERE, "make_log_ct.py"), path, "--bin-stream"]
                   + list(args), check=True)
    return path


def expect(what, got, want):
    if got != want:
        failures.append("%s: got %r, want %r" % (what, got, want))


# (args, print's exit status, events printed, print's stderr, ct_decode.py's refusal)
CASES = [
    (["--cut", "40"], 1, 0,
     "ctrec: cut40.ct: events.log: truncated zstd frame at byte 8 after event 0\n",
     "events.log: the zstd frame at byte 8 is cut short"),
    (["--cut", "8"], 1, 0,
     "ctrec: cut8.ct: events.log: no seek table: the file ends at byte 8 after event 0 (0 "
     "complete frames; the recording was not closed, or the file is cut)\n",
     "events.log: no seek table"),
    (["--trailing"], 0, 14,
     "ctrec: warning: trailing.ct: forgave 1 spelling the debugger's parser refuses, the first "
     "in event 14: bytes after the seek table, from byte 405 (ctrec check refuses the trace)\n",
     "events.log: bytes after the seek table, from byte 405"),
]
for args, rc, nev, err, refusal in CASES:
    name = "".join(a.strip("-") for a in args)
    path = make(name, *args)
    p = subprocess.run([ctrec, "print", path], capture_output=True, text=True, cwd=work)
    expect(name + ": print exit", p.returncode, rc)
    expect(name + ": events printed", len(p.stdout.splitlines()), nev)
    expect(name + ": print stderr", p.stderr.replace(work + "/", ""), err)
    try:
        ct_decode.decode(path)
        failures.append(name + ": ct_decode.py read it")
    except CtError as e:
        expect(name + ": ct_decode.py", str(e), refusal)
# the whole stream reads back; check refuses the trailing byte as the
# debugger's reader would (it looks for the seek table at the end)
c = subprocess.run([ctrec, "check", make("trailing", "--trailing")], capture_output=True,
                   text=True, cwd=work)
expect("trailing: check exit", c.returncode, 1)
expect("trailing: check names the bytes",
       "events.log: bytes after the seek table, from byte 405 (the debugger's reader looks for "
       "the seek table at the end of the file and refuses it)" in c.stdout, True)
# with meta.dat, the debugger's old-format path takes the container, and its
# load_events (codetracer db-backend ctfs_trace_reader/mod.rs, a387f8fa)
# reads what is not chunks as plain CBOR: it refuses the stream (code
# reading; no reference run). ctrec reads it, and check says so.
path = make("metadat", "--meta-dat")
p = subprocess.run([ctrec, "print", path], capture_output=True, text=True)
expect("meta-dat: print", (p.returncode, len(p.stdout.splitlines())), (0, 14))
c = subprocess.run([ctrec, "check", path], capture_output=True, text=True)
expect("meta-dat: check exit", c.returncode, 1)
expect("meta-dat: check's rule",
       "error [ct-events-log-stream]: events.log holds trace.bin's zstd stream (no chunk "
       "headers): the debugger's load_events takes it for plain CBOR and refuses it" in c.stdout,
       True)
# the chunked forms it reads are not flagged
for args in ([], ["--header"]):
    path = os.path.join(work, "chunks%s.ct" % "".join(args))
    subprocess.run([sys.executable, os.path.join(HERE, "make_log_ct.py"), path] + args, check=True)
    c = subprocess.run([ctrec, "check", path], capture_output=True, text=True)
    expect("chunks%s: no ct-events-log-stream" % args, "ct-events-log-stream" in c.stdout, False)
if failures:
    print("FAIL:\n" + "\n".join(failures))
    sys.exit(1)
print("bin_stream_damage: %d damaged containers, messages exact" % len(CASES))
