#!/usr/bin/python3
"""Unit test of ct_decode.py against facts read by hand from the fixtures'
bytes (xxd of the root block, `zstd -dc` of the members), so that the
decoder is not only checked against itself.

  test_ct_decode.py FIXTURES_DIR

Where each expectation comes from is written beside it.
"""

import os
import shutil
import struct
import sys
import tempfile
import unittest

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ct_decode  # noqa: E402
from ct_decode import CtError  # noqa: E402

FIX = None


def fixture(name):
    return os.path.join(FIX, name)


class Container(unittest.TestCase):
    def test_no_spans_members(self):
        # xxd -s 16 of ctfs/no_spans.ct: entry 0 = size 0x12, map block 1,
        # name 0x0000b4823c2ba152; the sizes below are the u64 at 16+24*i.
        ct = ct_decode.Container(fixture("ctfs/no_spans.ct"))
        self.addCleanup(ct.f.close)
        self.assertEqual(ct.header(), {"version": 4, "block_size": 4096,
                                       "max_root_entries": 31, "file_size": 131072,
                                       "encryption": 0, "max_shards": 1})
        self.assertEqual([(n, s) for _, n, s, _ in ct.entries], [
            ("paths.dat", 18), ("paths.off", 16), ("funcs.dat", 0), ("funcs.off", 8),
            ("types.dat", 0), ("types.off", 8), ("varnames.dat", 0), ("varnames.off", 8),
            ("steps.dat", 19), ("steps.idx", 12), ("values.dat", 17), ("values.idx", 12),
            ("calls.dat", 0), ("events.dat", 0), ("events.idx", 4), ("calls.idx", 4),
            ("step-map.ns", 358), ("meta.dat", 87)])
        self.assertEqual(ct.entries[0][3], 1)
        self.assertEqual(ct_decode.base40_decode(0x0000b4823c2ba152), "paths.dat")
        self.assertEqual(ct_decode.base40_encode("paths.dat"), 0x0000b4823c2ba152)
        self.assertEqual(ct.read("paths.dat"), b"/srv/app/index.php")
        self.assertEqual(ct.read("paths.off"), struct.pack("<QQ", 0, 18))

    def test_no_spans_steps(self):
        # zstd -dc steps.dat: 00 01, then 01 02 seven times: an absolute
        # global line index 1 (path 0, line 1), then +1 seven times.
        s = ct_decode.decode(fixture("ctfs/no_spans.ct"))
        self.assertEqual(s["steps"], [["/srv/app/index.php", n, None] for n in range(1, 9)])
        # zstd -dc values.dat: eight zero bytes = eight empty records.
        self.assertEqual(s["values"], [{}] * 8)
        self.assertEqual(s["calls"], [])
        self.assertEqual(s["events"], [])
        # meta.dat: CTMD, 03 00, flags 00 0f, then "$01949fcc-...", program.
        m = s["metadata"]
        self.assertEqual(m["meta_flags"], 0x0F00)
        self.assertEqual(m["recording_id"], "01949fcc-7d92-7e9c-a003-000000000003")
        self.assertEqual(m["program"], "/srv/app/index.php")
        self.assertEqual((m["args"], m["workdir"], m["recorder_id"]), ([], "", ""))
        self.assertEqual(m["paths"], ["/srv/app/index.php"])
        self.assertNotIn("unknown_flags", m)

    def test_no_spans_step_map(self):
        # step-map.ns: 50 4d 54 53 ("STMP" as u32 LE), 01 00 (version 1),
        # 01 00 00 00 (1 path), 12 00.. (path table at 18); at 18: path 0,
        # 08 00 00 00 (8 lines), 26 00.. (line table at 38); at 38: line 1,
        # 1 step, first 0, last 0, ... : line n has exec record n - 1.
        s = ct_decode.decode(fixture("ctfs/no_spans.ct"))
        self.assertEqual(s["step_map"], [["/srv/app/index.php", n, [n - 1]] for n in range(1, 9)])
        self.assertNotIn("notes", s)

    def test_web_session_span_types(self):
        # spantype.ns: "SPTY", version 1, two types: 0 "process" (span 1),
        # 1 "web-request" (spans 2..10)
        s = ct_decode.decode(fixture("ctfs/web_session.ct"))
        self.assertEqual(s["span_types"], [
            {"type_id": 0, "name": "process", "span_ids": [1]},
            {"type_id": 1, "name": "web-request", "span_ids": list(range(2, 11))}])
        self.assertEqual(len(s["spans"]), 11)

    def test_ruby_step_map_quirk(self):
        # ruby_sinatra_ruby.ct's step-map.ns has one path entry (path 0) whose
        # "lines" are global line indices: 100056 = rack_server.rb line 56.
        s = ct_decode.decode(fixture("ctfs/ruby_sinatra_ruby.ct"))
        self.assertIn([s["paths"][0], 100056, [3]], s["step_map"])
        self.assertEqual(s["steps"][3], [s["paths"][1], 56, None])
        self.assertTrue(any("global line index" in n for n in s["notes"]))

    def test_python_flask_columns(self):
        # meta.dat bytes 6-7: 18 2f = flags 0x2f18 (bit 13, the span stream,
        # is unknown to the Nim library and must be accepted).
        s = ct_decode.decode(fixture("ctfs/python_flask_serve.ct"))
        self.assertEqual(s["metadata"]["meta_flags"], 0x2F18)
        self.assertIn("has_span_stream", s["metadata"]["flag_names"])
        serve, app = s["paths"]
        self.assertTrue(serve.endswith("/test-programs/web/serve.py"))
        self.assertTrue(app.endswith("/test-programs/web/flask/app.py"))
        # zstd -dc steps.dat starts 00 00 | 00 fb 5a | 01 5e: position 0 =
        # first file, line 1, column 1; then absolute 0x5a<<7 | 0x7b = 11643.
        self.assertEqual(s["steps"][0], [serve, 1, 1])
        # Position 11643 by hand: paths.dat record 0 (varint path length
        # 0x50, the path, varint line count 0x84 0x02 = 260, zigzag line
        # lengths) gives serve.py's total; what is left falls in app.py.
        ct = ct_decode.Container(fixture("ctfs/python_flask_serve.ct"))
        recs = ct_decode.record_table(ct, "paths")
        ct.f.close()
        lens = [self.line_lengths(r) for r in recs]
        self.assertEqual(len(lens[0]), 260)
        rest = 11643 - sum(lens[0])
        line = 0
        while rest >= lens[1][line]:
            rest -= lens[1][line]
            line += 1
        self.assertEqual(s["steps"][1], [app, line + 1, rest + 1])
        self.assertEqual(s["steps"][1], [app, 28, 1])

    @staticmethod
    def line_lengths(rec):
        def varint(p):
            v = sh = 0
            while True:
                b = rec[p]
                p += 1
                v |= (b & 0x7F) << sh
                sh += 7
                if b < 0x80:
                    return v, p
        n, p = varint(0)
        p += n
        count, p = varint(p)
        out, prev = [], 0
        for _ in range(count):
            z, p = varint(p)
            d = (z >> 1) ^ -(z & 1)
            prev = d if not out else prev + d
            out.append(prev)
        return out

    def test_elixir_threads(self):
        # zstd -dc steps.dat of elixir_plug_app.ct: 00 01 (one absolute
        # step), then 05 01 (thread start 1), 04 01 (thread switch 1),
        # 05 02, 05 03, 05 04, 04 04 ...: BEAM processes recorded as threads.
        s = ct_decode.decode(fixture("ctfs/elixir_plug_app.ct"))
        self.assertEqual(len(s["steps"]), 1)
        self.assertEqual(s["threads"][:4], [
            {"step": 0, "kind": "thread_start", "thread_id": 1},
            {"step": 0, "kind": "thread_switch", "thread_id": 1},
            {"step": 0, "kind": "thread_start", "thread_id": 2},
            {"step": 0, "kind": "thread_start", "thread_id": 3}])
        self.assertEqual(s["calls"][0]["function"], "PlugWeb.main/0")
        self.assertEqual(s["calls"][0]["children"], [1, 2, 4])


class OlderLayouts(unittest.TestCase):
    def test_minimal_trace_split_binary(self):
        # events.log starts a3 00 00 00 | 0b 00 00 00 | 0 (u64): one chunk of
        # 163 bytes holding 11 events; events.fmt = "split-binary"; zstd -dc
        # of the frame: 01 <u32 13> "/src/main.nim" (Path), 01 ... (Path),
        # 06 path 0 line 1 "main" (Function), 00 path 0 line 1 (Step),
        # 07 function 0 + CBOR [] (Call), Steps at lines 3 and 4, 05 var 1 +
        # CBOR {kind: Int, i: 42, type_id: 7}, Step path 1 line 10,
        # 05 var 2 + CBOR String "hello" type 9, 08 + CBOR None type 0.
        s = ct_decode.decode(fixture("spec-ctfs/minimal_trace.ct"))
        self.assertEqual(s["layout"], "events-log (chunked split-binary)")
        self.assertEqual(s["paths"], ["/src/main.nim", "/src/math_utils.nim"])
        self.assertEqual(s["steps"], [["/src/main.nim", 1, None], ["/src/main.nim", 3, None],
                                      ["/src/main.nim", 4, None],
                                      ["/src/math_utils.nim", 10, None]])
        # The fixture defines no VariableName and no Type: ids stay visible.
        self.assertEqual(s["values"], [{}, {}, {"#1": {"kind": "Int", "i": 42, "type": "#7"}},
                                       {"#2": {"kind": "String", "text": "hello", "type": "#9"}}])
        self.assertEqual(s["calls"], [{"function": "main", "args": {},
                                       "return": {"kind": "None", "type": "#0"},
                                       "entry_step": 0, "exit_step": 3, "parent": None,
                                       "depth": 0, "children": []}])
        # meta.json: {"program":"factorial","args":["5"],"workdir":"/home/user/demo"}
        self.assertEqual(s["metadata"], {"program": "factorial", "args": ["5"],
                                         "workdir": "/home/user/demo"})

    def test_elixir_events_log(self):
        # elixir_plug_app.ct has steps.dat AND events.log: events.log starts
        # c0 de 72 ac e2 01 00 00 (header), then d5 0c 00 00 | 7a 00 00 00:
        # one chunk of 3285 bytes, 122 events, whose frame declares no
        # content size; events.fmt = "split-binary".  The 122 events are
        # 3 VariableName, 26 Type and 93 Value: no Path, no Step.
        s = ct_decode.decode(fixture("ctfs/elixir_plug_app.ct"), "events-log")
        self.assertEqual(s["layout"], "events-log (chunked split-binary)")
        self.assertEqual((len(s["varnames"]), len(s["types"]), len(s["steps"])), (3, 26, 0))
        # all 93 values come before any step (repeated names get "#2", "#3"...)
        self.assertEqual(len(s["values_before_first_step"]), 93)
        self.assertEqual(s["values_before_first_step"]["_arg0"],
                         {"kind": "Int", "i": 4, "type": "integer"})

    def test_stylus_plain_cbor(self):
        # events.log begins a1 65 "Event" a3 64 "kind" 0d ...: plain CBOR,
        # first event {"Event": {"kind": 13 (EvmEvent), "metadata":
        # "msg_reentrant", "content": "0"}}, before any step.
        s = ct_decode.decode(fixture("spec-ctfs/stylus_fund_tracking_demo.ct"))
        self.assertEqual(s["layout"], "events-log (plain CBOR)")
        self.assertEqual(s["events"][0], {"kind": 13, "step": -1,
                                          "metadata": "msg_reentrant", "content": "0"})
        # meta.dat: flags 0, recorder id "evm" (03 'e' 'v' 'm' at 0x7f).
        self.assertEqual(s["metadata"]["recorder_id"], "evm")
        self.assertEqual(s["metadata"]["program"], "stylus_fund_tracking_demo.wasm")


class Synthetic(unittest.TestCase):
    """make_synth_ct.py: several chunks per stream, and a member of 2.2 MB
    (538 blocks: blocks 511 and up go through a level-2 mapping block)."""

    @classmethod
    def setUpClass(cls):
        import make_synth_ct
        cls.dir = tempfile.mkdtemp(prefix="ct_synth")
        cls.path = os.path.join(cls.dir, "synth.ct")
        with open(cls.path, "wb") as f:
            f.write(make_synth_ct.make(10000, blob=2_200_000))
        cls.s = ct_decode.decode(cls.path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_killed_prefix(self):
        # Publish values.dat 10 bytes short, as a recording killed while
        # writing its last chunk: strict decoding refuses it, lenient keeps
        # the 39 whole chunks (39 * 256 records) and says where it stopped.
        with open(self.path, "rb") as f:
            data = bytearray(f.read())
        ct = ct_decode.Container(self.path)
        i, _, size, _ = ct.by_name["values.dat"]
        ct.f.close()
        struct.pack_into("<Q", data, 16 + 24 * i, size - 10)
        p = os.path.join(self.dir, "killed.ct")
        with open(p, "wb") as f:
            f.write(data)
        with self.assertRaises(CtError) as cm:
            ct_decode.decode(p)
        self.assertIn("values.dat", str(cm.exception))
        s = ct_decode.decode(p, lenient=True)
        self.assertEqual(len(s["steps"]), 10000)
        self.assertEqual(s["values"][39 * 256 - 1]["i"]["i"], 39 * 256 - 1)
        self.assertEqual(s["values"][39 * 256], {})
        self.assertTrue(any(n.startswith("lenient: values stops at chunk 39") for n in s["notes"]),
                        s["notes"])

    def test_level2_chain(self):
        import random
        ct = ct_decode.Container(self.path)
        self.assertEqual(ct.read("blob.bin"), random.Random(7).randbytes(2_200_000))
        ct.f.close()

    def test_streams(self):
        s = self.s
        self.assertEqual(len(s["steps"]), 10000)
        # step i is at line 1 + i % 50; chunk 2 of steps.dat starts at 8192
        self.assertEqual(s["steps"][8191], ["/synth/prog.py", 1 + 8191 % 50, None])
        self.assertEqual(s["steps"][8192], ["/synth/prog.py", 1 + 8192 % 50, None])
        self.assertEqual(s["values"][7777], {
            "i": {"kind": "Int", "i": 7777, "type": "Int"},
            "x": {"kind": "Float", "f": "1944.25", "type": "Float"},
            "s": {"kind": "String", "text": "s%d" % (7777 % 7), "type": "String"}})
        self.assertEqual(len(s["calls"]), 1 + 1000)
        self.assertEqual(s["calls"][0]["exit_step"], 9999)
        self.assertEqual(s["calls"][777], {
            "function": "f", "args": {"n": {"kind": "Int", "i": 7760, "type": "Int"}},
            "return": {"kind": "Int", "i": 15520, "type": "Int"},
            "entry_step": 7760, "exit_step": 7761, "parent": 0, "depth": 1, "children": []})
        self.assertEqual([e["step"] for e in s["events"]], list(range(0, 10000, 1000)))
        self.assertEqual(s["events"][3]["content"], "line 3000\n")
        self.assertEqual(s["metadata"]["args"], ["--n"])


class LegacyFramings(unittest.TestCase):
    def test_legacy_equals_current(self):
        # The same synthetic trace in the framings before meta.dat bits 9-11
        # and in the current ones decodes to the same steps, values, calls
        # (events lose their metadata: the old record had none; their kinds
        # there are the older four in turn, read as Write, TraceLogEvent,
        # ReadFile, Error).
        import make_synth_ct
        d = tempfile.mkdtemp(prefix="ct_legacy")
        try:
            out = {}
            for legacy in (False, True):
                p = os.path.join(d, "%s.ct" % legacy)
                with open(p, "wb") as f:
                    f.write(make_synth_ct.make(9000, exceptions=True, kinds=True, legacy=legacy))
                out[legacy] = ct_decode.decode(p)
        finally:
            shutil.rmtree(d)
        new, old = out[False], out[True]
        for k in ("steps", "values", "calls", "raises", "catches"):
            self.assertEqual(new[k], old[k], k)
        self.assertEqual([dict(e, metadata="", kind=(0, 12, 4, 11)[i % 4])
                          for i, e in enumerate(new["events"])], old["events"])
        self.assertEqual(len(old["steps"]), 9000)
        self.assertIn("steps.dat in the framing before meta.dat bit 9 (legacy)", old["notes"])


class SmallBlocks(unittest.TestCase):
    def test_1024_level3(self):
        # 1024-byte blocks: 127 pointers per mapping block, so a member of
        # 16309 blocks passes level 1 (127) and level 2 (127^2 = 16129).
        import make_synth_ct
        import random
        d = tempfile.mkdtemp(prefix="ct_1k")
        try:
            p = os.path.join(d, "b.ct")
            with open(p, "wb") as f:
                f.write(make_synth_ct.make(500, blob=16_700_000, block_size=1024))
            ct = ct_decode.Container(p)
            self.assertEqual((ct.block_size, ct.usable), (1024, 127))
            self.assertEqual(ct.read("blob.bin"), random.Random(7).randbytes(16_700_000))
            ct.f.close()
            s = ct_decode.decode(p)
            self.assertEqual(len(s["steps"]), 500)
        finally:
            shutil.rmtree(d)


class SyntheticColumns(unittest.TestCase):
    def test_columns_and_exceptions(self):
        import make_synth_ct
        d = tempfile.mkdtemp(prefix="ct_synth")
        try:
            p = os.path.join(d, "c.ct")
            with open(p, "wb") as f:
                f.write(make_synth_ct.make(5000, columns=True, exceptions=True))
            s = ct_decode.decode(p)
        finally:
            shutil.rmtree(d)
        # step i: line 1 + (i // 2) % 50, column 1 or 9 (odd: tag 7)
        self.assertEqual(s["steps"][:3], [["/synth/prog.py", 1, 1], ["/synth/prog.py", 1, 9],
                                          ["/synth/prog.py", 2, 1]])
        self.assertEqual(s["steps"][4099], ["/synth/prog.py", 1 + 2049 % 50, 9])
        self.assertEqual(len(s["steps"]), 5000)
        self.assertEqual(s["raises"][1], {"step": 999, "type": "ValueError",
                                          "message": "bad 999"})
        self.assertEqual(s["catches"][9], {"step": 4999, "type": "ValueError"})
        # exec indices shift by two per raise/catch; summary steps do not
        self.assertEqual(s["calls"][101]["entry_step"], 1000)
        self.assertEqual(s["calls"][101]["exit_step"], 1001)
        self.assertEqual(s["events"][4]["step"], 4000)


class NimReference(unittest.TestCase):
    """What the reference Nim reader said of each fixture, recorded in
    nim_reference.json (counts, and a digest of its whole reading in this
    summary's shape: every step, value, call and event); ct_decode.py must
    give the same.  README.md says how the record was made."""

    def test_agrees_with_recorded_reference(self):
        import hashlib
        import json
        import nim_agree
        with open(os.path.join(HERE, "nim_reference.json"), encoding="utf-8") as f:
            ref = json.load(f)
        for name, r in ref["fixtures"].items():
            a = nim_agree.comparable_decoded(ct_decode.decode(fixture(name)))
            self.assertEqual((len(a["steps"]), len(a["calls"]), len(a["events"]),
                              len(a.get("threads", []))),
                             (r["steps"], r["calls"], r["events"], r["threads"]), name)
            for k in ("layout", "container", "members", "notes"):
                a.pop(k, None)
            digest = hashlib.sha256(json.dumps(a, sort_keys=True, ensure_ascii=False)
                                    .encode()).hexdigest()
            self.assertEqual(digest, r["digest"], name)

    def test_older_framings_agree_with_recorded_reference(self):
        # make_synth_ct.py --legacy / --legacy-mixed: the stream framings
        # before meta.dat bits 9-11, as the reference read them
        import hashlib
        import json
        import make_synth_ct
        import nim_agree
        with open(os.path.join(HERE, "nim_reference.json"), encoding="utf-8") as f:
            ref = json.load(f)
        self.assertEqual(len(ref["synth"]), 3)
        d = tempfile.mkdtemp(prefix="ct_legacy")
        try:
            for args, r in ref["synth"].items():
                argv = args.split()
                p = os.path.join(d, "l.ct")
                opts = {"legacy": True, "mixed": "--legacy-mixed" in argv,
                        "columns": "--columns" in argv, "exceptions": "--exceptions" in argv,
                        "kinds": "--kinds" in argv}
                with open(p, "wb") as f:
                    f.write(make_synth_ct.make(int(argv[0]), **opts))
                a = nim_agree.comparable_decoded(ct_decode.decode(p))
                self.assertEqual(r["verdict"], "loads", args)
                self.assertEqual((len(a["steps"]), len(a["calls"]), len(a["events"])),
                                 (r["steps"], r["calls"], r["events"]), args)
                # the older kinds stdout, stderr, file op: Write, TraceLogEvent, ReadFile
                self.assertEqual([e["kind"] for e in ct_decode.decode(p)["events"]][:3],
                                 [0, 12, 4], args)
                for k in ("layout", "container", "members", "notes"):
                    a.pop(k, None)
                digest = hashlib.sha256(json.dumps(a, sort_keys=True, ensure_ascii=False)
                                        .encode()).hexdigest()
                self.assertEqual(digest, r["digest"], args)
        finally:
            shutil.rmtree(d)


class ValueKinds(unittest.TestCase):
    def test_special_kinds(self):
        # make_synth_ct.py --kinds: v at step 100*k + 3 is special_values()[k % 15]
        import make_synth_ct
        d = tempfile.mkdtemp(prefix="ct_kinds")
        try:
            p = os.path.join(d, "k.ct")
            with open(p, "wb") as f:
                f.write(make_synth_ct.make(1600, kinds=True))
            s = ct_decode.decode(p)
        finally:
            shutil.rmtree(d)
        v = [s["values"][100 * k + 3]["v"] for k in range(15)]
        self.assertEqual(v[0], {"kind": "Bool", "b": True, "type": "Bool"})
        self.assertEqual(v[2], {"kind": "Set", "members": [{"kind": "Int", "i": 1, "type": "Int"},
                                                           {"kind": "Int", "i": 2, "type": "Int"}],
                                "type": "Set"})
        self.assertEqual(v[3], {"kind": "Enum", "name": "cBlue", "ordinal": 2, "type": "Enum"})
        # CBOR d9 01 00 07: tag 256 (ValueRef), which cbor2 alone would drop
        self.assertEqual(v[4], {"kind": "ValueRef", "ref_id": 7})
        self.assertEqual(v[5], {"kind": "BigInt", "b": "-18446744073709551616", "type": "BigInt"})
        self.assertEqual([x["f"] for x in v[7:10]], ["inf", "NaN", "-0.0"])
        self.assertEqual(v[10]["field_names"], ["x", "y"])
        self.assertNotIn("v", s["values"][4])

    def test_plain_decoder_matches_cbor2(self):
        # The fallback CBOR decoder gives the same summaries as cbor2 on the
        # fixtures' values.
        import cbor2
        saved = ct_decode.cbor_value
        try:
            for name in ("ctfs/python_flask_serve.ct", "ctfs/ruby_sinatra_ruby.ct",
                         "ctfs/elixir_plug_app.ct"):
                a = ct_decode.decode(fixture(name))
                ct_decode.cbor_value = lambda m, b, w: ct_decode.cbor_plain(b)
                b = ct_decode.decode(fixture(name))
                ct_decode.cbor_value = saved
                self.assertEqual(a, b, name)
        finally:
            ct_decode.cbor_value = saved
        self.assertEqual(ct_decode.cbor_plain(cbor2.dumps({"a": [1, -2, 2.5, b"x", None]})),
                         {"a": [1, -2, 2.5, b"x", None]})


class Hostile(unittest.TestCase):
    """Damaged copies of no_spans.ct: each is refused with the member named."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ct_decode_test")
        with open(fixture("ctfs/no_spans.ct"), "rb") as f:
            self.data = bytearray(f.read())
        self.ct = ct_decode.Container(fixture("ctfs/no_spans.ct"))

    def tearDown(self):
        self.ct.f.close()
        shutil.rmtree(self.dir)

    def write(self, data):
        p = os.path.join(self.dir, "t.ct")
        with open(p, "wb") as f:
            f.write(data)
        return p

    def entry(self, name):
        for i, n, size, mb in self.ct.entries:
            if n == name:
                return i, size, mb
        raise KeyError(name)

    def replace(self, name, payload):
        """Overwrite a one-block member in place and publish its new size."""
        i, _, mb = self.entry(name)
        blk = struct.unpack_from("<Q", self.data, mb * 4096)[0]
        assert len(payload) <= 4096
        self.data[blk * 4096:blk * 4096 + len(payload)] = payload
        struct.pack_into("<Q", self.data, 16 + 24 * i, len(payload))

    def expect(self, data, *words):
        with self.assertRaises(CtError) as cm:
            ct_decode.decode(self.write(data))
        for w in words:
            self.assertIn(w, str(cm.exception))

    def test_truncated_file(self):
        # meta.dat's mapping block is 30 (root entry 17); cut the file before it.
        self.expect(self.data[:14 * 4096], "meta.dat", "mapping block 30 outside the file")

    def test_size_2_64(self):
        i, _, _ = self.entry("steps.dat")
        struct.pack_into("<Q", self.data, 16 + 24 * i, (1 << 64) - 1)
        self.expect(self.data, "steps.dat", "larger than the file")

    def test_data_block_past_end(self):
        _, _, mb = self.entry("values.dat")
        struct.pack_into("<Q", self.data, mb * 4096, 10_000)
        self.expect(self.data, "values.dat", "outside the file")

    def test_unknown_step_tag(self):
        self.replace("steps.dat", zstandard.ZstdCompressor().compress(b"\x00\x01\x09"))
        self.expect(self.data, "steps.dat", "unknown step tag 9")

    def test_frame_without_content_size(self):
        c = zstandard.ZstdCompressor(write_content_size=False)
        frame = c.compress(b"\x00\x01")
        self.replace("steps.dat", frame)
        self.expect(self.data, "steps.dat", "no content size")

    def test_varint_11_bytes(self):
        self.replace("steps.dat", zstandard.ZstdCompressor().compress(b"\x00" + b"\xff" * 10 + b"\x01"))
        self.expect(self.data, "more than 10 bytes")

    def test_chunk_offset_outside(self):
        self.replace("steps.idx", struct.pack("<IQ", 4096, 500))
        self.expect(self.data, "steps.idx", "outside steps.dat")

    def test_chunk_offsets_backwards(self):
        # steps.idx = 4096 per chunk, offsets 10 then 0: chunk 0 runs backwards
        self.replace("steps.idx", struct.pack("<IQQ", 4096, 10, 0))
        self.expect(self.data, "steps.idx", "chunk 0 spans 10..0")

    def test_frame_larger_than_declared(self):
        # a frame declaring 2 bytes of content that inflates to more
        c = zstandard.ZstdCompressor()
        frame = bytearray(c.compress(b"\x00\x01\x01\x02"))
        self.assertEqual(frame[4] & 0xC0, 0)  # 1-byte frame content size field
        frame[5] = 2
        self.replace("steps.dat", bytes(frame))
        with self.assertRaises(CtError):
            ct_decode.decode(self.write(self.data))

    def test_unknown_meta_flag_is_reported(self):
        i, size, mb = self.entry("meta.dat")
        blk = struct.unpack_from("<Q", self.data, mb * 4096)[0]
        struct.pack_into("<H", self.data, blk * 4096 + 6, 0x4F00)
        s = ct_decode.decode(self.write(self.data))
        self.assertEqual(s["metadata"]["unknown_flags"], 0x4000)
        self.assertEqual(len(s["steps"]), 8)

    def test_bad_magic(self):
        self.data[0] = 0
        self.expect(self.data, "bad magic")


def main():
    global FIX
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    FIX = sys.argv.pop(1)
    return 0 if unittest.main(exit=False, verbosity=1).result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
