#!/bin/sh
# nostep_ct.sh CTREC_LUA CTREC WORKDIR
# A script whose first line is past 99999, recorded as .ct: the writer
# refuses the step (a .ct addresses path_id * 100000 + line), ctrec-lua
# stops recording, and at close the writer gives the top-level call the one
# Step it has a place for (ctrec_start's line 1): the file passes
# ctrec check and reads back as Step, Call, Return (docs/ct-writer.md).
set -u
LUA=$1 CTREC=$2 W=$3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 2
awk 'BEGIN { for (i = 0; i < 99999; i++) print ""; print "print(1)" }' > big.lua
"$LUA" --format ct -o t big.lua > out 2> err
rc=$?
[ $rc -eq 0 ] || fail "ctrec-lua exit $rc"
[ "$(cat out)" = 1 ] || fail "stdout: $(cat out)"
grep -q "recording stopped: .*a .ct step's line must be 0..99999 (path_id \* 100000 + line), not 100000" err ||
    fail "stderr: $(cat err)"
"$CTREC" check t > check.out 2>&1 || fail "ctrec check: $(cat check.out)"
grep -q ": 0 errors, 0 warnings, 6 events checked (target latest): loads$" check.out ||
    fail "ctrec check: $(cat check.out)"
"$CTREC" print t | tail -n +2 > print.out || fail "ctrec print"
cat > want <<'END'
{"Function":{"path_id":0,"line":0,"name":"<toplevel>"}}
{"Type":{"kind":16,"lang_type":"None","specific_info":{"kind":"None"}}}
{"Step":{"path_id":0,"line":1}}
{"Call":{"function_id":0,"args":[]}}
{"Return":{"return_value":{"kind":"None","type_id":0}}}
END
cmp -s want print.out || fail "ctrec print: $(cat print.out)"
[ $fails -eq 0 ] && echo "nostep_ct: ok"
exit $fails
