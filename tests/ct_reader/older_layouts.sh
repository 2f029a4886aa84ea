#!/bin/sh
# The older .ct layouts (events.log): the spec fixture's split-binary
# events.log with meta.json/paths.json, and a raw-CBOR events.log with
# meta.dat. Exact events for the first, counts for the second; ls and cat.
#   older_layouts.sh CTREC FIXTURES WORK
set -eu
CTREC=$1 FIX=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CTREC" print "$FIX/spec-ctfs/minimal_trace.ct" > "$WORK/minimal.txt"
cat > "$WORK/minimal.expected" <<'X'
{"Path":"/src/main.nim"}
{"Path":"/src/math_utils.nim"}
{"Function":{"path_id":0,"line":1,"name":"main"}}
{"Step":{"path_id":0,"line":1}}
{"Call":{"function_id":0,"args":[]}}
{"Step":{"path_id":0,"line":3}}
{"Step":{"path_id":0,"line":4}}
{"Value":{"variable_id":1,"value":{"kind":"Int","i":42,"type_id":7}}}
{"Step":{"path_id":1,"line":10}}
{"Value":{"variable_id":2,"value":{"kind":"String","text":"hello","type_id":9}}}
{"Return":{"return_value":{"kind":"None","type_id":0}}}
X
cmp "$WORK/minimal.txt" "$WORK/minimal.expected" || fail "minimal_trace.ct events differ"
"$CTREC" stats --json "$FIX/spec-ctfs/minimal_trace.ct" > "$WORK/minimal.json"
grep -q '"metadata":{"recording_id":"","program":"factorial","args":\["5"\],"workdir":"/home/user/demo"}' \
  "$WORK/minimal.json" || fail "minimal_trace.ct metadata (meta.json): $(cat "$WORK/minimal.json")"

"$CTREC" stats --json "$FIX/spec-ctfs/stylus_fund_tracking_demo.ct" > "$WORK/stylus.json"
grep -q '"counts":{"Step":14,"Path":1,"VariableName":9,"Type":37,"Value":19,"Function":6,"Call":7,"Return":7,"Event":12},"complete":true' \
  "$WORK/stylus.json" || fail "stylus counts: $(cat "$WORK/stylus.json")"
"$CTREC" print "$FIX/spec-ctfs/stylus_fund_tracking_demo.ct" | tail -n 1 > "$WORK/stylus.last"
[ "$(cat "$WORK/stylus.last")" = '{"Return":{"return_value":{"kind":"Int","i":0,"type_id":15}}}' ] ||
  fail "stylus last event: $(cat "$WORK/stylus.last")"

# ls and cat
"$CTREC" ls "$FIX/spec-ctfs/minimal_trace.ct" > "$WORK/ls.txt"
printf 'events.log\t179\nevents.fmt\t12\nmeta.json\t64\npaths.json\t39\n' > "$WORK/ls.expected"
cmp "$WORK/ls.txt" "$WORK/ls.expected" || fail "ls: $(cat "$WORK/ls.txt")"
"$CTREC" cat "$FIX/spec-ctfs/minimal_trace.ct" paths.json > "$WORK/paths.json"
[ "$(cat "$WORK/paths.json")" = '["/src/main.nim","/src/math_utils.nim"]' ] || fail "cat paths.json"
if "$CTREC" cat "$FIX/spec-ctfs/minimal_trace.ct" nosuch.dat > /dev/null 2> "$WORK/err.txt"; then
  fail "cat of a missing member succeeded"
fi
grep -q 'minimal_trace.ct: no member named nosuch.dat' "$WORK/err.txt" || fail "cat message: $(cat "$WORK/err.txt")"
# a folder holding a .ct is read through it
mkdir -p "$WORK/folder" && cp "$FIX/spec-ctfs/minimal_trace.ct" "$WORK/folder/trace.ct"
"$CTREC" print "$WORK/folder" | cmp - "$WORK/minimal.expected" || fail "a folder holding a .ct"
echo "older_layouts: ok"
