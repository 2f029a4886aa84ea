#!/usr/bin/env bash
# stack_machine.sh SM CTREC: records the example program in both formats;
# each trace passes `ctrec check` and holds the guide's cases.
set -u
sm=$1 ctrec=$2
fails=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL ($fmt): $*"; fails=$((fails + 1)); }
for fmt in json bin; do
    out="$work/t-$fmt"
    "$sm" "$out" $fmt >"$work/stdout" 2>"$work/stderr"; rc=$?
    # the recorded program ends in an uncaught error: exit 1, as it would
    [ $rc -eq 1 ] || { fail "exit $rc: $(cat "$work/stderr")"; continue; }
    grep -qx 'caught: too big' "$work/stdout" || fail "no 'caught: too big' on stdout"
    "$ctrec" check "$out" >"$work/check" 2>&1 || { fail "ctrec check:"; cat "$work/check"; }
    grep -q 'error' "$work/check" && grep -q '\[error\]\|errors*: [1-9]' "$work/check" && fail "check reports errors"
    "$ctrec" print "$out" >"$work/events" || fail "ctrec print"
    ev="$work/events"
    has() { grep -qF -- "$1" "$ev" || fail "no $2 in the trace"; }
    has '"r":"<truncated: deeper than 60 levels>"' "depth marker"
    has '{"kind":"Float","f":"2.5"' "float local"
    has '{"kind":"Bool","b":true' "bool local"
    has '{"kind":"String","text":"sm"' "string local"
    has '{"kind":"Struct","field_values":[{"kind":"Int","i":1' "struct local"
    has '{"kind":"None","type_id":0}' "none"
    has '{"Return":{"return_value":{"kind":"Error","msg":"too big"' "Return of an unwound frame"
    has '{"Event":{"kind":0,"metadata":"stdout","content":"caught: too big\n"}}' "Write event"
    has '{"Event":{"kind":11,"metadata":"","content":"uncaught error: too big"}}' "Error event"
    has '{"ThreadStart":2}' "ThreadStart"
    has '{"ThreadSwitch":3}' "ThreadSwitch"
    has '{"ThreadExit":3}' "ThreadExit"
    has '{"Return":{"return_value":{"kind":"Int","i":120' "fact(5) = 120"
    has '{"Return":{"return_value":{"kind":"Int","i":720' "fact(6) = 720 in a thread"
    # recursion: fact(5) calls itself down to fact(1)
    [ "$(grep -c '"Call":{"function_id":1,' "$ev")" -ge 15 ] || fail "fewer fact calls than the recursion makes"
    # Calls and Returns balance (the top level needs none); the stats agree
    calls=$(grep -c '"Call":' "$ev"); rets=$(grep -c '"Return":' "$ev")
    [ $((calls - 1)) -eq "$rets" ] || fail "$calls Calls (top level included) and $rets Returns"
    [ -s "$out/files/${work#/}/t-$fmt.sm" ] || fail "the source is not in files/"
done
[ $fails -eq 0 ] && echo "examples_stack_machine: ok" || exit 1
