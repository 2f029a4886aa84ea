#!/usr/bin/python3
"""step_map_flat.py CTREC CHECK_RULES WORK RSS_LIMIT_KB

`ctrec check` compares a .ct's step-map.ns (the debugger's breakpoint
index) with its steps in memory that does not grow with the steps: per
(path, line) a count and a sum of the steps' mixed indexes, and the
position of every step (8 bytes each) only when the two disagree, to say
exactly where (src/check/check.c, check_step_map).

A trace of N steps on lines 1-3 of one path is written as trace.json,
converted to a .ct by `ctrec convert`, and given a step-map.ns built here
(tests/ct/make_synth_ct.py's container writer; the layout ct_extras.py
reads):

* sound: check says nothing of the index, and its peak RSS stays under
  RSS_LIMIT_KB (measured by CHECK_RULES --peak-rss, tests/check/test_check.c,
  which runs ctrec_check in a child of its own small process: a child of
  this one would count this one's memory; not held to the limit under
  AddressSanitizer);
* two ids swapped between lines 1 and 2: check reports
  ct-step-map-mismatch with the exact message;
* step N-1 left out of its line's list: reported as listed nowhere.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ct"))
from ctfs_container import Container  # noqa: E402
from make_synth_ct import Writer  # noqa: E402

N = 1500000
failures = []  # what failed, printed at the end


def step_map(lists):
    """step-map.ns for path 0: lists = {line: [ids ascending]}"""
    lines = sorted(lists)
    header = 18
    ptab = header
    ltab = ptab + 20
    ids_at = ltab + 32 * len(lines)
    out = bytearray(struct.pack("<IHIQ", 0x53544D50, 1, 1, ptab))
    out += struct.pack("<QIQ", 0, len(lines), ltab)
    off = ids_at
    for ln in lines:
        ids = lists[ln]
        out += struct.pack("<IIqqQ", ln, len(ids), ids[0], ids[-1], off)
        off += 8 * len(ids)
    for ln in lines:
        out += struct.pack("<%dq" % len(lists[ln]), *lists[ln])
    return bytes(out)


def with_map(src, dst, lists):
    """dst: the container src with a step-map.ns of lists added"""
    ct = Container(src)
    w = Writer()
    for _, name, _, _ in ct.entries:
        w.add(name, ct.read(name))
    ct.f.close()
    w.add("step-map.ns", step_map(lists))
    with open(dst, "wb") as f:
        f.write(w.bytes())


def lines_trace(work, n):
    """trace.json in work/json (made here) of n Steps on lines 1-3 of one
    path, work/prog.src: (the folder, the source's path)"""
    jd = os.path.join(work, "json")
    os.makedirs(jd, exist_ok=True)
    src = os.path.join(work, "prog.src")
    with open(src, "w") as f:
        f.write("a\nb\nc\n")
    with open(os.path.join(jd, "trace.json"), "w") as f:
        f.write('[\n{"Path":"%s"},\n' % src)
        f.write('{"Function":{"path_id":0,"line":1,"name":"<toplevel>"}},\n')
        f.write('{"Call":{"function_id":0,"args":[]}},\n')
        f.write('{"Type":{"kind":30,"lang_type":"None","specific_info":{"kind":"None"}}},\n')
        f.write(",\n".join('{"Step":{"path_id":0,"line":%d}}' % (1 + i % 3) for i in range(n)))
        f.write("\n]\n")
    with open(os.path.join(jd, "trace_paths.json"), "w") as f:
        json.dump([src], f)
    with open(os.path.join(jd, "trace_metadata.json"), "w") as f:
        json.dump({"recording_id": "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b", "workdir": work,
                   "program": "prog", "args": []}, f)
    return jd, src


def check(path):
    p = subprocess.run([sys.argv[1], "check", "--json", "--no-files", path], capture_output=True)
    return [json.loads(x) for x in p.stdout.decode().splitlines() if x.strip()]


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    ctrec, rules, work, limit = argv[1], argv[2], argv[3], argv[4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "json"))
    jd, src = lines_trace(work, N)
    plain = os.path.join(work, "plain")
    p = subprocess.run([ctrec, "convert", "--format", "ct", jd, plain], capture_output=True,
                       text=True)
    if p.returncode != 0:
        print("FAIL convert: %s" % p.stderr)
        return 1
    copy = os.path.join(plain, "files", src.lstrip("/"))  # the source's copy, for check
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copy(src, copy)
    lists = {ln: list(range(ln - 1, N, 3)) for ln in (1, 2, 3)}

    sound = os.path.join(plain, "sound.ct")  # beside files/, the source copy
    with_map(os.path.join(plain, "trace.ct"), sound, lists)
    doc = check(sound)
    if any("rule" in d for d in doc):
        failures.append("sound: check reported %s" % doc[:3])
    p = subprocess.run([rules, "--peak-rss", sound, limit], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append("sound: %s%s" % (p.stdout, p.stderr))
    else:
        print("ok sound index of %d steps: %s" % (N, p.stdout.strip()))

    swapped = {ln: list(ids) for ln, ids in lists.items()}
    swapped[1][1], swapped[2][1] = swapped[2][1], swapped[1][1]  # steps 3 and 4
    swapped[1].sort()
    swapped[2].sort()
    bad = os.path.join(work, "swapped.ct")
    with_map(os.path.join(plain, "trace.ct"), bad, swapped)
    got = [d["message"] for d in check(bad) if d.get("rule") == "ct-step-map-mismatch"]
    want = ("step-map.ns (3 lines) disagrees with steps.dat, and the debugger resolves "
            "breakpoints from it: 2 of its %d step ids are misplaced (the first: path 0 line 1 "
            "lists step 4, which steps.dat records at path 0 line 2); 2 steps are listed "
            "nowhere (the first: step 3 at path 0 line 1)" % N)
    if got != [want]:
        failures.append("swapped: check said %r" % got)
    else:
        print("ok swapped ids found")

    short = {ln: list(ids) for ln, ids in lists.items()}
    last = (N - 1) % 3 + 1
    short[last].pop()
    cut = os.path.join(work, "short.ct")
    with_map(os.path.join(plain, "trace.ct"), cut, short)
    got = [d["message"] for d in check(cut) if d.get("rule") == "ct-step-map-mismatch"]
    want = ("step-map.ns (3 lines) disagrees with steps.dat, and the debugger resolves "
            "breakpoints from it: 1 step is listed nowhere (step %d at path 0 line %d)"
            % (N - 1, last))
    if got != [want]:
        failures.append("short: check said %r" % got)
    else:
        print("ok a step listed nowhere found")
    for f in failures:
        print("FAIL " + f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
