#!/bin/sh
# check_bin.sh CTREC_LUA CTREC EXAMPLES_DIR WORKDIR
# Records every example in the binary format (the default) and asks
# `ctrec check --strict` whether the debugger loads the trace.
set -u
CTREC_LUA=$1 CTREC=$2 EX=$3 WORK=$4
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fails=0
for script in "$EX"/*.lua; do
    name=$(basename "$script" .lua)
    [ "$name" = mod_util ] && continue
    for opts in "" "--values=none"; do
        out="$WORK/$name$opts"
        "$CTREC_LUA" $opts -o "$out" "$script" >/dev/null 2>&1
        if ! "$CTREC" check --strict "$out" >"$out.check" 2>&1; then
            echo "FAIL: ctrec check $name $opts:"; cat "$out.check"
            fails=$((fails + 1))
        fi
    done
done
# A value over the readers' default 64 MiB event bound: by default the
# writer refuses it (CTREC_E_SIZE) and ctrec-lua records the marker
# <too large> instead, so the trace passes check.
printf 'local s = string.rep("x", 70 * 1024 * 1024)\nprint(#s)\nprint("end")\n' >"$WORK/big.lua"
"$CTREC_LUA" --max-string 0 -o "$WORK/big" "$WORK/big.lua" >/dev/null 2>&1 || { echo "FAIL: big.lua (default bound)"; fails=$((fails + 1)); }
"$CTREC" check --strict "$WORK/big" >"$WORK/big.check" 2>&1 &&
    "$CTREC" print "$WORK/big" | grep -q '"r": *"<too large>"' ||
    { echo "FAIL: a 70 MiB local is not the marker <too large>:"; cat "$WORK/big.check"; fails=$((fails + 1)); }
rm -rf "$WORK/big"
# Written with a raised bound, such an event is not damage: `ctrec repair`
# leaves the trace alone, and keeps that event when the trace is cut after it.
"$CTREC_LUA" --max-string 0 --max-event-mib 128 -o "$WORK/big" "$WORK/big.lua" >/dev/null 2>&1 || { echo "FAIL: big.lua"; fails=$((fails + 1)); }
"$CTREC" repair "$WORK/big" >"$WORK/big.repair" 2>&1 &&
    grep -q 'nothing to repair' "$WORK/big.repair" &&
    [ ! -e "$WORK/big/trace.bin.damaged" ] ||
    { echo "FAIL: repair of a complete trace with a 70 MiB value:"; cat "$WORK/big.repair"; fails=$((fails + 1)); }
size=$(wc -c <"$WORK/big/trace.bin")
head -c $((size - 40)) "$WORK/big/trace.bin" >"$WORK/big/cut" && mv "$WORK/big/cut" "$WORK/big/trace.bin"
"$CTREC" repair "$WORK/big" >"$WORK/big.repair" 2>&1 &&
    grep -q 'not damaged: read with a bound of 1 GiB' "$WORK/big.repair" &&
    grep -q 'repaired: 1[0-9] events' "$WORK/big.repair" ||
    { echo "FAIL: repair of a cut trace with a 70 MiB value:"; cat "$WORK/big.repair"; fails=$((fails + 1)); }
rm -rf "$WORK/big"
[ $fails -eq 0 ] && echo "ok ctrec check" || exit 1
