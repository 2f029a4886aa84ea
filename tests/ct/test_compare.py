#!/usr/bin/python3
"""Test of ctrec_summary.py and compare.py without ctrec:

  test_compare.py FIXTURES_DIR WORKDIR

For each multi-stream fixture, contract_events.py writes the event sequence
the `.ct` contract asks of `ctrec print`; ctrec_summary.py's summary of it
(with the metadata given as `ctrec stats --json` would) must equal
ct_decode.py's summary (spans, span types, step map and source views
aside: the stats notes given say they are not events).  Then
single changes to that stream (one value, one line, one return)
must each be found by compare.py, named by step, variable or call.
"""

import copy
import glob
import io
import json
import os
import sys
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare          # noqa: E402
import contract_events  # noqa: E402
import ct_decode        # noqa: E402
import ctrec_summary    # noqa: E402

FIX = None


def diffs(a, b):
    buf = io.StringIO()
    with redirect_stdout(buf):
        d = compare.compare(a, b, 1000)
    return d.count, buf.getvalue()


class Tools(unittest.TestCase):
    def load(self, name):
        a = ct_decode.decode(os.path.join(FIX, "ctfs", name))
        evs = contract_events.events(a)
        # as `ctrec stats --json` lists what it does not turn into events
        stats = {"metadata": a["metadata"],
                 "notes": ["%s: 1 bytes, not turned into events" % m
                           for m in compare.DECLARED_NOT_EVENTS.values()]}
        return a, evs, stats

    def summary(self, evs, stats):
        return ctrec_summary.build([json.dumps(e) for e in evs], stats)

    def test_every_fixture_round_trips(self):
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIX, "ctfs", "*.ct")))
        self.assertTrue(names)
        for n in names:
            a, evs, stats = self.load(n)
            count, out = diffs(a, self.summary(evs, stats))
            self.assertEqual(count, 0, "%s:\n%s" % (n, out))

    def test_synthetic_with_raises_round_trips(self):
        import make_synth_ct
        import tempfile
        d = tempfile.mkdtemp(prefix="ct_tc")
        p = os.path.join(d, "s.ct")
        with open(p, "wb") as f:
            f.write(make_synth_ct.make(3000, columns=True, exceptions=True, kinds=True))
        a = ct_decode.decode(p)
        os.unlink(p)
        os.rmdir(d)
        self.assertEqual(len(a["raises"]), 6)
        count, out = diffs(a, self.summary(contract_events.events(a), {"metadata": a["metadata"]}))
        self.assertEqual(count, 0, out)

    def test_undeclared_spans_are_a_difference(self):
        # Without the stats note that spans.dat is not turned into events,
        # spans missing from ctrec's side are a difference; so is a changed
        # core metadata field.
        a, evs, stats = self.load("python_flask_serve.ct")
        stats = {"metadata": dict(a["metadata"], program="other")}
        count, out = diffs(a, self.summary(evs, stats))
        self.assertIn("DIFF spans: only in A (16 entries)", out)
        self.assertIn('DIFF metadata program: A "', out)

    def test_value_change_is_named(self):
        a, evs, stats = self.load("python_flask_serve.ct")
        # the first Value event after the 3rd Step
        steps = 0
        for i, e in enumerate(evs):
            if "Step" in e:
                steps += 1
            if steps == 3 and "Value" in e:
                break
        v = evs[i]["Value"]
        name = a["varnames"][v["variable_id"]]
        evs[i] = copy.deepcopy(evs[i])
        evs[i]["Value"]["value"] = {"kind": "Int", "i": 12345, "type_id": 0}
        count, out = diffs(a, self.summary(evs, stats))
        self.assertEqual(count, 1, out)
        self.assertIn("step 2 ", out)
        self.assertIn("variable %r differs" % name, out)

    def test_line_change_is_named(self):
        a, evs, stats = self.load("ruby_sinatra_ruby.ct")
        idx = [i for i, e in enumerate(evs) if "Step" in e][100]
        evs[idx] = {"Step": dict(evs[idx]["Step"], line=evs[idx]["Step"]["line"] + 1)}
        count, out = diffs(a, self.summary(evs, stats))
        self.assertIn("DIFF step 100: A [", out)
        self.assertEqual(count, 1, out)

    def test_missing_return_is_named(self):
        a, evs, stats = self.load("python_flask_serve.ct")
        last = max(i for i, e in enumerate(evs) if "Return" in e)
        del evs[last]
        count, out = diffs(a, self.summary(evs, stats))
        self.assertGreaterEqual(count, 1)
        self.assertIn("exit_step", out)

    def test_float_spellings_compare_equal(self):
        # A CTFS float64 and the text spellings ctrec may print are one value.
        types = ["Float"]
        n = ctrec_summary.norm_value
        ref = n({"kind": "Float", "f": 0.1, "type_id": 0}, types)
        self.assertEqual(n({"kind": "Float", "f": "0.1", "type_id": 0}, types), ref)
        self.assertEqual(n({"kind": "Float", "f": 0.1, "type_id": 0}, types)["f"], "0.1")
        inf = n({"kind": "Float", "f": float("inf"), "type_id": 0}, types)
        self.assertEqual(n({"kind": "Float", "f": "+inf", "type_id": 0}, types), inf)
        self.assertEqual(n({"kind": "Float", "f": "NaN", "type_id": 0}, types),
                         n({"kind": "Float", "f": float("nan"), "type_id": 0}, types))
        self.assertNotEqual(n({"kind": "Float", "f": "0.1000001", "type_id": 0}, types), ref)

    def test_bool_text_and_bigint(self):
        n = ctrec_summary.norm_value
        t = ["Bool", "BigInt"]
        self.assertEqual(n({"kind": "Bool", "b": True, "text": "true", "type_id": 0}, t),
                         n({"kind": "Bool", "b": True, "type_id": 0}, t))
        self.assertNotEqual(n({"kind": "Bool", "b": True, "text": "false", "type_id": 0}, t),
                            n({"kind": "Bool", "b": True, "type_id": 0}, t))
        # 2**64 as CBOR bytes and as padded base64 ("AQAAAAAAAAAA")
        self.assertEqual(n({"kind": "BigInt", "b": b"\x01" + b"\x00" * 8, "negative": True,
                            "type_id": 1}, t),
                         n({"kind": "BigInt", "b": "AQAAAAAAAAAA", "negative": True,
                            "type_id": 1}, t))
        self.assertEqual(n({"kind": "BigInt", "b": "AQAAAAAAAAAA", "negative": True,
                            "type_id": 1}, t)["b"], "-18446744073709551616")


def main():
    global FIX
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    FIX = sys.argv.pop(1)
    os.makedirs(sys.argv.pop(1), exist_ok=True)
    return 0 if unittest.main(exit=False, verbosity=1).result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
