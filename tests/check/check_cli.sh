#!/bin/sh
# `ctrec check` on the command line: exit statuses, --json, --help, usage
# errors, and traces from `ctrec convert` and the C example checking clean.
#
#   check_cli.sh CTREC CTREC_EXAMPLE_C FIXTURES
set -u
CTREC=$1
EXAMPLE=$2
FIX=$3
T=$(mktemp -d "${TMPDIR:-/tmp}/ctrec-check-cli-XXXXXX")
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect STATUS CMD... : runs CMD (stdout to $T/out, stderr to $T/err)
expect() {
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" = "$want" ] || { fail "exit $got, want $want: $*"; cat "$T/out" "$T/err" >&2; }
}

# --help and usage errors
expect 0 "$CTREC" check --help
grep -q '^usage: ctrec check' "$T/out" || fail "--help prints no usage"
expect 2 "$CTREC" check
expect 2 "$CTREC" check --target 24.1 "$FIX/codetracer-m0"
expect 2 "$CTREC" check --max 0 "$FIX/codetracer-m0"
expect 2 "$CTREC" check --bogus "$FIX/codetracer-m0"
expect 2 "$CTREC" check "$FIX/codetracer-m0" "$FIX/codetracer-wasm"

# the fixtures' verdicts (reasons in test_check.c)
expect 1 "$CTREC" check "$FIX/reference-rust"
# (latest: the Step at event 2 opens a made-up top-level call, which the
# Return at event 5 closes; the one at 6 has none)
grep -q 'event 6: error \[return-without-call\]' "$T/out" || fail "reference-rust: no return-without-call at event 6"
grep -q '^    {"Return":' "$T/out" || fail "reference-rust: the event JSON is not shown"
tail -n 1 "$T/out" | grep -q '4 errors.*target latest.*will not load' || fail "reference-rust: summary"
expect 1 "$CTREC" check --target 25.11 "$FIX/reference-rust"
grep -q 'event 2: error \[step-before-call\]' "$T/out" || fail "reference-rust 25.11: no step-before-call"
expect 0 "$CTREC" check "$FIX/codetracer-wasm"
expect 0 "$CTREC" check --target 25.11 "$FIX/codetracer-wasm/trace.json"
expect 1 "$CTREC" check --strict "$FIX/codetracer-wasm"
expect 0 "$CTREC" check "$FIX/codetracer-m0"
expect 0 "$CTREC" check --target=25.11 "$FIX/codetracer-m0"
expect 2 "$CTREC" check "$FIX/codetracer-m0" --json --max

# --json: one object per line, the last one the summary
expect 1 "$CTREC" check --json "$FIX/reference-rust"
lines=$(wc -l <"$T/out")
[ "$lines" -eq 10 ] || fail "--json: $lines lines, want 10 (4 errors, 5 warnings, summary)"
grep -q '"rule":"return-without-call","file":"[^"]*","event_index":6,"event":{"Return":' "$T/out" ||
    fail "--json: return-without-call object"
grep -q '"severity":"warning","rule":"metadata-missing","file":"[^"]*trace_metadata.json","event_index":null,"event":null' "$T/out" ||
    fail "--json: file-level object"
tail -n 1 "$T/out" | grep -q '^{"summary":{.*"target":"latest","errors":4,"warnings":5,"events":10,.*"ok":false,"verdict":"refused"}}$' ||
    fail "--json: summary"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$T/out" || fail "--json: not JSON lines"
fi
# the first two are warnings: stopped there, the check decides nothing (3)
expect 3 "$CTREC" check --max 2 "$FIX/reference-rust"
[ "$(grep -c ' \[' "$T/out")" -eq 2 ] || fail "--max 2 shows more than 2 diagnostics"
grep -q 'stopped early.*undecided' "$T/out" || fail "--max: summary does not say it stopped"
expect 3 "$CTREC" check --json --max 1 "$FIX/reference-rust"
tail -n 1 "$T/out" | grep -q '"verdict":"undecided"' || fail "--max --json: verdict not undecided"
expect 1 "$CTREC" check --json --target 25.11 "$FIX/reference-rust"
tail -n 1 "$T/out" | grep -q '"target":"25.11",.*"verdict":"refused"' || fail "--json 25.11: summary"
expect 0 "$CTREC" check --json "$FIX/codetracer-m0"
tail -n 1 "$T/out" | grep -q '"ok":true,"verdict":"loads-with-warnings"' || fail "--json m0: summary"

# a missing trace is a bad trace, not a usage error
expect 1 "$CTREC" check "$T/nope"
grep -q 'unreadable-trace' "$T/out" || fail "missing trace: no unreadable-trace"
grep -q "fix: give a trace folder holding trace.ct, trace.json or trace.bin, or one of those files; when it is one, the message says what in it cannot be read" "$T/out" ||
  fail "missing trace: the fix: $(cat "$T/out")"

# the writer's example, in both formats, and its conversions
for fmt in json bin; do
    "$EXAMPLE" "$T/ex-$fmt" "$fmt" >/dev/null || fail "example $fmt"
    expect 0 "$CTREC" check --strict --no-files "$T/ex-$fmt"
    expect 0 "$CTREC" check "$T/ex-$fmt"   # one warning: its made-up source has no copy
    grep -q 'source-file-missing' "$T/out" || fail "example $fmt: source-file-missing expected"
done
expect 0 "$CTREC" convert "$T/ex-json" "$T/conv-bin" --format bin
expect 0 "$CTREC" check --strict --no-files "$T/conv-bin"
expect 0 "$CTREC" check --strict --no-files --target 25.11 "$T/conv-bin"
expect 0 "$CTREC" convert "$T/ex-bin" "$T/conv-json" --format json
expect 0 "$CTREC" check --strict --no-files "$T/conv-json"
expect 0 "$CTREC" convert --float-number "$T/ex-bin" "$T/conv-json-num" --format json
expect 0 "$CTREC" check --strict --no-files --target 25.11 "$T/conv-json-num"
# the fixtures converted keep their verdicts
expect 0 "$CTREC" convert "$FIX/codetracer-m0" "$T/m0-bin" --format bin
expect 0 "$CTREC" check "$T/m0-bin"
expect 0 "$CTREC" convert "$FIX/codetracer-wasm" "$T/wasm-bin" --format bin
expect 0 "$CTREC" check --target 25.11 "$T/wasm-bin"

# a conversion that fails halfway leaves no trace file that would look
# complete (OUT a folder, as OUT a file)
cp -r "$T/conv-json" "$T/cut"
head -c 600 "$T/conv-json/trace.json" >"$T/cut/trace.json"
expect 1 "$CTREC" convert "$T/cut" "$T/cut-out" --format bin
[ ! -e "$T/cut-out/trace.bin" ] || fail "convert of a cut trace left $T/cut-out/trace.bin"
grep -q 'removed: the conversion did not finish' "$T/err" || fail "convert: no word of the removal"
expect 1 "$CTREC" convert "$T/cut" "$T/cut-out.bin"
[ ! -e "$T/cut-out.bin" ] || fail "convert of a cut trace left $T/cut-out.bin"

# a complete trace whose trace_paths.json fell behind (a recording killed
# while closing): `ctrec repair` rewrites it, then leaves the trace alone
cp -r "$T/ex-bin" "$T/stale-paths"
printf '[]\n' >"$T/stale-paths/trace_paths.json"
# no debugger reads trace_paths.json: a warning
expect 0 "$CTREC" check "$T/stale-paths"
grep -q 'warning \[paths-file-mismatch\]' "$T/out" || fail "stale-paths: no paths-file-mismatch warning"
expect 0 "$CTREC" repair --dry-run "$T/stale-paths"
grep -q 'does not list its' "$T/out" || fail "repair --dry-run: no report of stale trace_paths.json"
grep -q '^\[\]$' "$T/stale-paths/trace_paths.json" || fail "repair --dry-run wrote"
expect 0 "$CTREC" repair "$T/stale-paths"
grep -q 'trace_paths.json rewritten' "$T/out" || fail "repair: trace_paths.json not rewritten"
expect 0 "$CTREC" check "$T/stale-paths"
expect 0 "$CTREC" repair "$T/stale-paths"
grep -q 'nothing to repair' "$T/out" || fail "repair: a complete trace not left alone"

# --max-event BYTES: every reading command takes it; an event over it stops
# the read, and check says it cannot decide (3), not that the trace is bad
mkdir -p "$T/big"
long=$(printf '%03000d' 0)
printf '[{"Path":"/a"},{"Function":{"path_id":0,"line":1,"name":"main"}},{"Call":{"function_id":0,"args":[]}},{"Step":{"path_id":0,"line":1}},{"Path":"/%s"}]\n' "$long" >"$T/big/trace.json"
expect 1 "$CTREC" print --max-event 1K "$T/big"
grep -q 'larger than the 1024-byte event limit' "$T/err" || fail "print --max-event 1K: no word of the bound"
grep -qx 'ctrec: the --max-event bound stopped the read, not damage: the trace may be fine, and a larger --max-event reads on' "$T/err" ||
    fail "print --max-event 1K: no word that the bound stopped it"
expect 0 "$CTREC" print --max-event 1M "$T/big"
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "print --max-event 1M: not 5 events"
expect 1 "$CTREC" stats --max-event 1K "$T/big"
expect 0 "$CTREC" stats --max-event 4096 "$T/big"
expect 1 "$CTREC" convert --max-event 1K "$T/big" "$T/big-out.bin"
expect 0 "$CTREC" convert --max-event 1M "$T/big" "$T/big-out.bin"
expect 1 "$CTREC" follow --max-event 1K --timeout 2000 "$T/big"
expect 3 "$CTREC" check --no-files --max-event 1K "$T/big"
grep -q 'warning \[event-over-bound\]' "$T/out" || fail "check --max-event: no event-over-bound"
grep -q 'undecided: an event is over the --max-event bound' "$T/out" || fail "check --max-event: verdict"
expect 3 "$CTREC" check --no-files --json --max-event=1K "$T/big"
tail -n 1 "$T/out" | grep -q '"verdict":"undecided"' || fail "check --json --max-event: verdict"
expect 0 "$CTREC" check --no-files --max-event 1M "$T/big"
expect 0 "$CTREC" repair --dry-run --max-event 1K "$T/big"
expect 2 "$CTREC" print --max-event 0 "$T/big"
expect 2 "$CTREC" check --max-event 12Q "$T/big"
# a .ct: a record or meta.dat over the bound is the bound (event-over-bound,
# undecided), not damage the debugger refuses (until 2026-12-05 it was
# parse-error or unreadable-trace); a chunk over it whose records are not
# is read through a window
expect 0 "$CTREC" convert "$T/big" "$T/big.ct"
md=$("$CTREC" cat "$T/big.ct" meta.dat | wc -c) # it holds the paths and the workdir
expect 3 "$CTREC" check --no-files --max-event 1K "$T/big.ct"
[ "$(cat "$T/out")" = "$T/big.ct: warning [event-over-bound]: big.ct: meta.dat: $md bytes, over the 1024-byte limit: the check could not read it whole, so it cannot say whether the debugger loads the trace (the debugger has no such bound); fix: the trace may be fine: check again with a larger bound (ctrec check --max-event BYTES); nothing in it was checked
$T/big.ct: 0 errors, 1 warning, 0 events checked (stopped early) (target latest): undecided: an event is over the --max-event bound; the trace may be fine, check again with a larger bound" ] ||
    { fail "check --max-event 1K of a .ct (a path over the bound)"; cat "$T/out" >&2; }
expect 0 "$CTREC" check --no-files --max-event 4K "$T/big.ct"
FL=$FIX/ctfs/python_flask_serve.ct
expect 1 "$CTREC" check --no-files --max-event 1K "$FL"
grep -q "parse-error" "$T/out" && fail "check --max-event 1K of a recorder's .ct: the bound taken for a parse error"
grep -qF "$FL: event 44: warning [event-over-bound]: python_flask_serve.ct: event 44: values.dat: record 2 (chunk 0 at byte 0, decompressed byte 2) is 2614 bytes, over the 1024-byte limit" "$T/out" ||
    fail "check --max-event 1K of a recorder's .ct: no event-over-bound"
# its values.dat chunk inflates to 128877 bytes, every record under 4K:
# read through a window, to the end
expect 1 "$CTREC" check --no-files --max-event 4K "$FL"
tail -n 1 "$T/out" | grep -qF "$FL: 1 error, 0 warnings, 1013 events checked (target latest)" ||
    fail "check --max-event 4K of a recorder's .ct: not read to the end"
expect 3 "$CTREC" check --no-files --max-event 256 "$FL"
[ "$(cat "$T/out")" = "$FL: warning [event-over-bound]: python_flask_serve.ct: meta.dat: 613 bytes, over the 256-byte limit: the check could not read it whole, so it cannot say whether the debugger loads the trace (the debugger has no such bound); fix: the trace may be fine: check again with a larger bound (ctrec check --max-event BYTES); nothing in it was checked
$FL: 0 errors, 1 warning, 0 events checked (stopped early) (target latest): undecided: an event is over the --max-event bound; the trace may be fine, check again with a larger bound" ] ||
    { fail "check --max-event 256 of a .ct (meta.dat over the bound)"; cat "$T/out" >&2; }

# what print forgives, check refuses (the debugger's parsers do)
mkdir -p "$T/trail" "$T/surr"
printf '[{"Path":"/a"},{"Function":{"path_id":0,"line":1,"name":"main"}},{"Call":{"function_id":0,"args":[]}},{"Step":{"path_id":0,"line":1}}]x\n' >"$T/trail/trace.json"
expect 0 "$CTREC" print "$T/trail"
grep -q "^ctrec: warning: .*trace.json: forgave 1 spelling the debugger's parser refuses, the first in event 4: 'x' after the closing ']' of trace.json" "$T/err" ||
    fail "print: no warning for bytes after ']'"
expect 1 "$CTREC" check --no-files "$T/trail"
grep -q "error \[parse-error\].*'x' after the closing ']' of trace.json (the debugger's parser refuses it)" "$T/out" ||
    fail "check: bytes after ']' not refused"
printf '[{"Path":"/a\\ud800"},{"Function":{"path_id":0,"line":1,"name":"main"}},{"Call":{"function_id":0,"args":[]}},{"Step":{"path_id":0,"line":1}}]\n' >"$T/surr/trace.json"
expect 0 "$CTREC" convert "$T/surr" "$T/surr-out.json"
grep -q 'forgave 1 spelling.*first in event 0: a lone surrogate escape \\ud800' "$T/err" ||
    fail "convert: no warning for a lone surrogate"
expect 1 "$CTREC" check --no-files "$T/surr"
expect 0 "$CTREC" print "$T/surr-out.json"
[ ! -s "$T/err" ] || fail "the converted trace still needs forgiving"
# trace.bin: reserved header bytes and bytes after the seek table
"$CTREC" convert "$T/trail" "$T/hdr.bin" >/dev/null 2>&1
cp "$T/hdr.bin" "$T/tail.bin"
printf '\001' | dd of="$T/hdr.bin" bs=1 seek=7 conv=notrunc 2>/dev/null
expect 0 "$CTREC" print "$T/hdr.bin"
grep -q 'forgave 1 spelling.*header bytes 6 and 7 are 00 01, not 00 00' "$T/err" || fail "print: no warning for the header"
expect 1 "$CTREC" check --no-files "$T/hdr.bin"
grep -q 'unreadable-trace.*header bytes 6 and 7 are 00 01' "$T/out" || fail "check: header not refused"
printf 'zz' >>"$T/tail.bin"
expect 0 "$CTREC" stats "$T/tail.bin"
grep -q 'forgave 1 spelling.*bytes after the seek table' "$T/err" || fail "stats: no warning for bytes after the seek table"
expect 1 "$CTREC" check --no-files "$T/tail.bin"
grep -q 'bytes after the seek table' "$T/out" || fail "check: bytes after the seek table not refused"

if [ "$fails" -eq 0 ]; then
    rm -rf "$T"
    echo "check_cli: ok"
    exit 0
fi
echo "check_cli: $fails failures (files kept in $T)" >&2
exit 1
