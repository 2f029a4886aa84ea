#!/usr/bin/env python3
"""run_cases.py CTREC CASEDIR VERDICTS.tsv FIXTURES -- ctrec check agrees with
the reference readers case by case (a case named @NAME is FIXTURES/NAME).

VERDICTS.tsv: one line per case and target:
    NAME <TAB> TARGET <TAB> VERDICT <TAB> REFERENCE RUN
VERDICT is what the reference reader did: `loads` or `refused`. ctrec check
agrees when its --json summary verdict is `loads` or `loads-with-warnings`
for `loads`, and `refused` for `refused`. A case whose line carries
`--max-event BYTES` in a fifth column is also checked with that bound (and
must then agree); without it, an event over the default bound must give
`undecided`.
"""
import json
import subprocess
import sys

ctrec, casedir, verdicts, fixtures = sys.argv[1:5]
fails = n = 0
seen = set()
for line in open(verdicts, encoding="utf-8"):
    if not line.strip() or line.startswith("#"):
        continue
    cols = line.rstrip("\n").split("\t")
    name, target, want = cols[0], cols[1], cols[2]
    extra = cols[4].split() if len(cols) > 4 and cols[4] else []
    seen.add(name)
    runs = [([], None)]
    if extra:
        runs = [([], "undecided"), (extra, None)]
    for opts, override in runs:
        cmd = [ctrec, "check", "--json", "--no-files", "--target", target] + opts + \
              [fixtures + "/" + name[1:] if name.startswith("@") else casedir + "/" + name]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = p.stdout.decode("utf-8", "replace").splitlines()
        summary = json.loads(out[-1])["summary"] if out else {}
        got = summary.get("verdict", "?")
        if got == "loads-with-warnings":
            got = "loads"
        exp = override or want
        n += 1
        if got != exp:
            fails += 1
            errs = [json.loads(l) for l in out[:-1]]
            why = "; ".join("%s: %s" % (e["rule"], e["message"][:160]) for e in errs
                            if e["severity"] == "error") or "-"
            print("DISAGREE %s --target %s %s: ctrec %s, reference %s (%s) [%s]" %
                  (name, target, " ".join(opts), got, exp, cols[3] if len(cols) > 3 else "", why))
missing = [c for c in open(casedir + "/CASES").read().split() if c not in seen]
for c in missing:
    print("NO VERDICT for case %s" % c)
print("%d of %d checks agree; %d cases without a verdict" % (n - fails, n, len(missing)))
sys.exit(1 if fails or missing else 0)
