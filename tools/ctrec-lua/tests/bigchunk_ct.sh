#!/bin/sh
# bigchunk_ct.sh CTREC_LUA CTREC WORKDIR
# A local holding a 100,000-byte string, recorded with --max-string 0 at
# 1500 steps: each step's values record is about 100 KB, far under the
# readers' 64 MiB default bound, but a values.dat chunk (1024 records)
# inflates to about 100 MB. ctrec reads such a chunk through a window
# (docs/ct.md, "Limits on hostile input"): print, stats and check read the
# trace to its end with the default bound, as with a bound over the chunk,
# and a bound under one record stops at that record (event-over-bound;
# stats says the bound stopped it, not damage).
# Until 2026-12-05 they stopped at the chunk: ctrec could not read what
# ctrec-lua wrote.
set -u
LUA=$1 CTREC=$2 W=$3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 2
cat > big.lua <<'LUA'
local s = string.rep("x", 100000)
local n = 0
for i = 1, 1500 do
  n = n + #s
end
print(n)
LUA
"$LUA" --format ct --values all --max-string 0 -o t big.lua > out 2> err || fail "ctrec-lua: $(cat err)"
[ "$(cat out)" = 150000000 ] || fail "stdout: $(cat out)"
"$CTREC" print t > default.txt 2> default.err || fail "print: $(cat default.err)"
"$CTREC" print --max-event 1G t > whole.txt 2> whole.err || fail "print --max-event 1G: $(cat whole.err)"
cmp -s default.txt whole.txt || fail "print with the default bound differs from print with a bound over the chunk"
[ "$(grep -c '"Value"' default.txt)" -eq 7505 ] || fail "not 7505 values: $(grep -c '"Value"' default.txt)"
run=$(tr -c 'x' '\n' < default.txt | awk 'length($0) > m { m = length($0) } END { print m }')
[ "$run" = 100000 ] || fail "the string is not whole: its longest run of x is $run"
"$CTREC" check t > check.out 2>&1 || fail "check: $(cat check.out)"
tail -n 1 check.out | grep -q ": 0 errors, 0 warnings, 10520 events checked (target latest): loads$" ||
    fail "check: $(tail -n 1 check.out)"
"$CTREC" check --max-event 90K t > check90.out 2>&1
[ $? -eq 3 ] || fail "check --max-event 90K: exit $?"
grep -q "warning \[event-over-bound\]: trace.ct: event 10: values.dat: record 1 (chunk 0 at byte 0, decompressed byte 1) is 100038 bytes, over the 92160-byte limit" check90.out ||
    fail "check --max-event 90K: $(cat check90.out)"
"$CTREC" print --max-event 90K t > /dev/null 2> print90.err && fail "print --max-event 90K: exit 0"
[ "$(cat print90.err)" = "ctrec: trace.ct: event 10: values.dat: record 1 (chunk 0 at byte 0, decompressed byte 1) is 100038 bytes, over the 92160-byte limit
ctrec: the --max-event bound stopped the read, not damage: the trace may be fine, and a larger --max-event reads on" ] ||
    fail "print --max-event 90K: $(cat print90.err)"
"$CTREC" stats --max-event 90K t > stats90.out 2>&1
[ $? -eq 1 ] || fail "stats --max-event 90K: exit $?"
grep -q "^events          10 (stopped at the --max-event bound: the events before it; the trace may be fine, a larger bound reads on)$" stats90.out ||
    fail "stats --max-event 90K: $(cat stats90.out)"
"$CTREC" stats --json --max-event 90K t 2>/dev/null | grep -q '"complete":false,"stopped_at_bound":true,' ||
    fail "stats --json --max-event 90K: no stopped_at_bound"
[ $fails -eq 0 ] && echo "ok bigchunk_ct" || exit 1
